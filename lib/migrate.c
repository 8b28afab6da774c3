// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The migration orchestrator: logging, pre-copy of the allocated LBAs,
 * dirty rounds until the convergence rule, Suspend, the last drain, the
 * stop-and-copy, the controller state, the target's Resume. One engine
 * serves hmlm_migrate() (data written to the target's block devices) and
 * hmlm_migrate_out() (data written to a migration stream, in
 * migrate_stream.c, with hmlm_migrate_in() that replays a stream).
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <linux/aio_abi.h>
#include <linux/nvme_hmlm.h>

#include "internal.h"
#include "migrate_int.h"

#define DEFAULT_ROUNDS		8
/* stop-and-copy time the rounds aim at when no budget is given */
#define DEFAULT_STOPCOPY_US	250
/* rounds in a row whose dirty bytes did not shrink before giving up */
#define NO_PROGRESS_ROUNDS	3
#define DIRTY_MAX_EXTENTS	65536
#define ALLOC_MAX_EXTENTS	(1U << 18)
#define DRAIN_TIMEOUT_MS	30000
/* a wait is cut in slices this long: the callback may cancel in between */
#define WAIT_SLICE_MS		100
/* how long a cancel waits for a Suspend in flight to end (admin timeout) */
#define RESUME_WAIT_MS		60000
/* SCT 1h SC 3Ah: Controller Not Suspended; the status without DNR, More */
#define NVME_STATUS_NOT_SUSP	0x13a
#define NVME_STATUS_SCT_SC	0x7ff
#define MEM_BATCH		1024
#define MEM_MAX_RECVS		100000
/* Get Controller State straight into a buffer this large (bytes) */
#define STATE_SIZE_HINT		4096
/* the dirty extents go in batches of asynchronous direct I/O */
#define BATCH_IOS		128
#define BATCH_BYTES		(4U << 20)

/* ------------------------------------------------------------------ */

/*
 * -ETIMEDOUT once the stop-phase deadline passed (until the hand-over's
 * commit point: after it the source cannot resume).
 */
int hmlm_mig_deadline(struct mig *m)
{
	if (!m->deadline_ns || m->committed || hmlm_now_ns() <= m->deadline_ns)
		return 0;
	m->r->flags |= HMLM_REPORT_DEADLINE;
	return -ETIMEDOUT;
}

/*
 * The progress callback, at every phase, after every copied chunk and
 * every WAIT_SLICE_MS of a wait: -ECANCELED when it asks to (until the
 * state is read), -ETIMEDOUT when the stop-phase deadline passed.
 */
int hmlm_mig_progress(struct mig *m, enum hmlm_phase phase)
{
	uint64_t t0;
	int ret;

	m->prog.size = sizeof(m->prog);
	m->prog.phase = phase;
	m->prog.round = m->round;
	if (m->p.progress) {
		t0 = m->stopped ? hmlm_now_ns() : 0;
		ret = m->p.progress(&m->prog, m->p.progress_arg);
		if (m->stopped)
			m->r->callback_ns += hmlm_now_ns() - t0;
		if (ret && m->cancel_ok)
			return -ECANCELED;
	}
	return hmlm_mig_deadline(m);
}

void hmlm_mig_params_defaults(struct hmlm_migrate_params *out,
			      const struct hmlm_migrate_params *in)
{
	memset(out, 0, sizeof(*out));
	if (in) {
		size_t n = in->size && in->size < sizeof(*out) ?
			   in->size : sizeof(*out);

		memcpy(out, in, n);
	}
	out->size = sizeof(*out);
	if (!out->max_rounds)
		out->max_rounds = DEFAULT_ROUNDS;
	if (out->max_rounds > HMLM_MIGRATE_MAX_ROUNDS)
		out->max_rounds = HMLM_MIGRATE_MAX_ROUNDS;
	if (!out->log_entries)
		out->log_entries = HMLM_LOG_DEFAULT_ENTRIES;
}

static struct mig_ns *ns_by_src(struct mig *m, uint32_t nsid)
{
	unsigned int i;

	for (i = 0; i < m->nr_ns; i++)
		if (m->ns[i].map->src_nsid == nsid)
			return &m->ns[i];
	return NULL;
}

int hmlm_mig_check_map(const struct hmlm_ns_map *ns, unsigned int nr_ns)
{
	unsigned int i, j;

	if (!ns || !nr_ns || nr_ns > HMLM_STREAM_MAX_NS)
		return -EINVAL;
	for (i = 0; i < nr_ns; i++) {
		if (!ns[i].src_nsid || ns[i].src_nsid == HMLM_NSID_ALL ||
		    !ns[i].dst_nsid || ns[i].dst_nsid == HMLM_NSID_ALL)
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (ns[j].src_nsid == ns[i].src_nsid ||
			    ns[j].dst_nsid == ns[i].dst_nsid)
				return -EINVAL;
	}
	return 0;
}

void hmlm_mig_free(struct mig *m)
{
	unsigned int i;

	if (m->ns)
		for (i = 0; i < m->nr_ns; i++) {
			hmlm_bdev_close(&m->ns[i].src);
			hmlm_bdev_close(&m->ns[i].dst);
		}
	free(m->ns);
	hmlm_log_close(m->log);
	m->log = NULL;
	hmlm_log_close(m->log_ended);
	m->log_ended = NULL;
	hmlm_extents_free(m->dirty);
	/* waits for any I/O still in flight before its buffer goes */
	if (m->aio)
		syscall(SYS_io_destroy, m->aio);
	free(m->buf);
	free(m->batch_buf);
}

/* Opens the block devices and the dirty set. @local: the targets too. */
int hmlm_mig_setup(struct mig *m, const struct hmlm_ns_map *map,
		   unsigned int nr_ns, int local)
{
	unsigned int i;
	int ret;

	m->nr_ns = nr_ns;
	m->ns = calloc(nr_ns, sizeof(*m->ns));
	m->buf = hmlm_buf_alloc(HMLM_COPY_BUF);
	if (!m->ns || !m->buf)
		return -ENOMEM;
	for (i = 0; i < nr_ns; i++) {
		m->ns[i].src.fd = -1;
		m->ns[i].dst.fd = -1;
	}
	ret = hmlm_extents_new(DIRTY_MAX_EXTENTS, &m->dirty);
	if (ret)
		return ret;
	for (i = 0; i < nr_ns; i++) {
		struct mig_ns *n = &m->ns[i];

		n->map = &map[i];
		ret = hmlm_bdev_open(map[i].src_bdev, 0, &n->src);
		if (ret)
			return ret;
		if (n->src.lba_size > HMLM_COPY_BUF)
			return -EINVAL;
		ret = hmlm_bdev_check(&n->src, m->src->mmc_fd, map[i].src_nsid);
		if (ret)
			return ret;
		if (local) {
			ret = hmlm_bdev_open(map[i].dst_bdev, 1, &n->dst);
			if (ret)
				return ret;
			ret = hmlm_bdev_check(&n->dst, m->dst->mmc_fd,
					      map[i].dst_nsid);
			if (ret)
				return ret;
			if (n->dst.lba_size != n->src.lba_size)
				return -EINVAL;
			if (n->dst.nlbas < n->src.nlbas)
				return -ENOSPC;
		}
		/*
		 * Dirty extents are kept to the LBA: the set coarsens only
		 * when it outgrows DIRTY_MAX_EXTENTS.
		 */
		ret = hmlm_extents_add_ns(m->dirty, map[i].src_nsid,
					  n->src.nlbas, n->src.lba_size, 1);
		if (ret)
			return ret;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Moving data: to the target's block device or to the stream. */

static int put_data(struct mig *m, struct mig_ns *n, uint64_t slba,
		    uint64_t nlb)
{
	if (m->w) {
		struct hmlm_stream_extent e = {
			.nsid = n->map->src_nsid, .round = m->round,
			.slba = slba, .nlb = nlb, .data = m->buf,
		};

		return hmlm_stream_write_extent(m->w, &e);
	}
	return hmlm_bdev_write(&n->dst, slba, nlb, m->buf);
}

static int put_zero(struct mig *m, struct mig_ns *n, uint64_t slba,
		    uint64_t nlb)
{
	if (m->w) {
		struct hmlm_stream_extent e = {
			.nsid = n->map->src_nsid, .round = m->round,
			.slba = slba, .nlb = nlb,
			.flags = HMLM_STREAM_DEALLOC_ZEROES,
		};

		return hmlm_stream_write_dealloc(m->w, &e);
	}
	return hmlm_bdev_zero(&n->dst, slba, nlb);
}

static int poll_log(struct mig *m);

static int copy_range(struct mig *m, struct mig_ns *n, uint64_t slba,
		      uint64_t nlb)
{
	uint64_t chunk = HMLM_COPY_BUF / n->src.lba_size;
	int ret;

	while (nlb) {
		uint64_t c = nlb < chunk ? nlb : chunk;
		uint64_t bytes = c * n->src.lba_size;

		ret = hmlm_bdev_read(&n->src, slba, c, m->buf);
		if (!ret)
			ret = put_data(m, n, slba, c);
		if (ret)
			return ret;
		m->r->bytes_copied += bytes;
		if (m->round)
			m->r->bytes_rewritten += bytes;
		*m->round_bytes += bytes;
		m->prog.bytes_done += bytes;
		if (m->prog.bytes_total < m->prog.bytes_done)
			m->prog.bytes_total = m->prog.bytes_done;
		ret = hmlm_mig_progress(m, m->prog.phase);
		if (!ret)
			ret = poll_log(m);	/* keep the queue from filling */
		if (ret)
			return ret;
		slba += c;
		nlb -= c;
	}
	return 0;
}

/*
 * The allocated LBAs of @n into @alloc (granularity 1). Without the
 * device's help (no RALBAS, or HMLM_MIGRATE_NO_ALLOC) the whole namespace.
 */
static int alloc_ranges(struct mig *m, struct mig_ns *n,
			struct hmlm_extents *alloc)
{
	struct hmlm_alloc_iter *it;
	struct hmlm_lba_range r;
	uint32_t nsid = n->map->src_nsid;
	int ret;

	ret = hmlm_extents_add_ns(alloc, nsid, n->src.nlbas, n->src.lba_size, 1);
	if (ret)
		return ret;
	if (m->p.flags & HMLM_MIGRATE_NO_ALLOC)
		goto whole;
	ret = hmlm_alloc_iter_new(m->src, nsid, 0, &it);
	if (ret)
		return ret;
	while ((ret = hmlm_alloc_iter_next(it, &r)) > 0) {
		if (r.slba >= n->src.nlbas)
			break;
		if (r.nlb > n->src.nlbas - r.slba)
			r.nlb = n->src.nlbas - r.slba;
		ret = hmlm_extents_add(alloc, nsid, r.slba, r.nlb);
		if (ret)
			break;
	}
	hmlm_alloc_iter_free(it);
	if (ret == -EIO || ret == -EOPNOTSUPP) {
		/* the device cannot tell: every LBA may hold data */
		m->r->flags |= HMLM_REPORT_NO_ALLOC;
		goto whole;
	}
	return ret;
whole:
	return hmlm_extents_mark_all(alloc, nsid);
}

/* The copy rate the convergence rule predicts the stop-and-copy with. */
/* The last copy: @bytes in @extents I/O extents (0: unknown) in @ns. */
static void rate_note(struct mig *m, uint64_t bytes, uint64_t extents,
		      uint64_t ns)
{
	if (!bytes || !ns)
		return;
	m->rate_bytes = bytes;
	m->rate_extents = extents;
	m->rate_ns = ns;
}

static int write_round(struct mig *m, uint32_t flags, uint64_t dirty)
{
	struct hmlm_stream_round rr = {
		.round = m->round, .flags = flags, .dirty_bytes = dirty,
	};

	return m->w ? hmlm_stream_write_round(m->w, &rr) : 0;
}

/*
 * A full pass: every allocated range copied, every gap between them
 * zeroed on the target. The pre-copy, and the recopy after a full queue.
 */
static int full_pass(struct mig *m)
{
	struct hmlm_extents *alloc;
	struct hmlm_extent e;
	uint64_t t0, b0;
	unsigned int i;
	int ret;

	ret = hmlm_extents_new(ALLOC_MAX_EXTENTS, &alloc);
	if (ret)
		return ret;
	for (i = 0; i < m->nr_ns && !ret; i++)
		ret = alloc_ranges(m, &m->ns[i], alloc);
	if (ret)
		goto out;
	if (!m->r->allocated_bytes)
		m->r->allocated_bytes = hmlm_extents_bytes(alloc, HMLM_NSID_ALL);
	m->prog.bytes_total += hmlm_extents_bytes(alloc, HMLM_NSID_ALL);
	/* the pre-copy's size, for the target's progress (ROUND 0) */
	if (!m->round)
		ret = write_round(m, 0, hmlm_extents_bytes(alloc, HMLM_NSID_ALL));
	if (!ret)
		ret = hmlm_mig_progress(m, m->prog.phase);
	t0 = hmlm_now_ns();
	b0 = m->r->bytes_copied;
	for (i = 0; i < m->nr_ns && !ret; i++) {
		struct mig_ns *n = &m->ns[i];
		uint64_t pos = 0;

		memset(&e, 0, sizeof(e));
		e.nsid = n->map->src_nsid;
		while (!ret && hmlm_extents_next(alloc, &e) > 0 &&
		       e.nsid == n->map->src_nsid) {
			if (e.slba > pos)
				ret = put_zero(m, n, pos, e.slba - pos);
			if (!ret)
				ret = copy_range(m, n, e.slba, e.nlb);
			pos = e.slba + e.nlb;
		}
		if (!ret && pos < n->src.nlbas)
			ret = put_zero(m, n, pos, n->src.nlbas - pos);
	}
	rate_note(m, m->r->bytes_copied - b0, 0, hmlm_now_ns() - t0);
out:
	hmlm_extents_free(alloc);
	return ret;
}

/* One piece of a batch: at most HMLM_COPY_BUF bytes of one extent. */
struct piece {
	struct mig_ns *n;
	uint64_t slba, nlb;
	size_t off;		/* in batch_buf */
};

/* Submits @nr iocbs; how many went (all of them unless it failed). */
static unsigned int aio_submit_all(struct mig *m, struct iocb *cbs,
				   unsigned int nr, int *ret)
{
	struct iocb *ptrs[BATCH_IOS];
	unsigned int i, sub = 0;

	*ret = 0;
	for (i = 0; i < nr; i++)
		ptrs[i] = &cbs[i];
	while (sub < nr) {
		long n = syscall(SYS_io_submit, m->aio, nr - sub, ptrs + sub);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*ret = n < 0 ? -errno : -EIO;
			break;
		}
		sub += (unsigned int)n;
	}
	return sub;
}

/*
 * Reaps @nr (at most BATCH_IOS) completions into @ev, WAIT_SLICE_MS at a
 * time with the progress callback in between. I/O in flight cannot be
 * abandoned: a cancel or the deadline lands in *@err (if still 0) and the
 * wait goes on. How many were reaped, or a negative errno.
 */
static long aio_reap(struct mig *m, long nr, struct io_event *ev, int *err)
{
	long done = 0;

	while (done < nr) {
		struct timespec ts = { 0, WAIT_SLICE_MS * 1000000L };
		long n = syscall(SYS_io_getevents, m->aio, 1, nr - done,
				 ev + done, &ts);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;	/* the context is torn down at free */
		if (!n && !*err)
			*err = hmlm_mig_progress(m, m->prog.phase);
		done += n;
	}
	return done;
}

/*
 * Waits for @sub submitted iocbs; @ret is the submission's result. 0 when
 * each moved its bytes.
 */
static int aio_wait_all(struct mig *m, unsigned int sub, int ret)
{
	struct io_event ev[BATCH_IOS];
	unsigned int i;
	int err = 0;
	long n;

	n = aio_reap(m, sub, ev, &err);
	if (n < 0)
		return n;
	for (i = 0; i < (unsigned int)n; i++) {
		const struct iocb *cb = (const struct iocb *)
					(uintptr_t)ev[i].obj;

		if (!ret && ev[i].res < 0)
			ret = (int)ev[i].res;
		else if (!ret && (uint64_t)ev[i].res != cb->aio_nbytes)
			ret = -EIO;
	}
	return ret ? ret : err;
}

/* Submits @nr iocbs and waits for all; 0 when each moved its bytes. */
static int aio_run(struct mig *m, struct iocb *cbs, unsigned int nr)
{
	int ret;
	unsigned int sub = aio_submit_all(m, cbs, nr, &ret);

	return aio_wait_all(m, sub, ret);
}

/* The reads (@write 0) or the writes of the pieces of a batch. */
static void batch_iocbs(struct mig *m, const struct piece *pc,
			unsigned int nr, struct iocb *cbs, int write)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		const struct hmlm_bdev *b = write ? &pc[i].n->dst :
						    &pc[i].n->src;

		memset(&cbs[i], 0, sizeof(cbs[i]));
		cbs[i].aio_lio_opcode = write ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
		cbs[i].aio_fildes = (uint32_t)b->fd;
		cbs[i].aio_buf = (uintptr_t)((char *)m->batch_buf + pc[i].off);
		cbs[i].aio_nbytes = pc[i].nlb * b->lba_size;
		cbs[i].aio_offset = (int64_t)(pc[i].slba * b->lba_size);
	}
}

/* The pieces of a batch were copied: count their bytes. */
static void batch_account(struct mig *m, const struct piece *pc,
			  unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		uint64_t bytes = pc[i].nlb * pc[i].n->src.lba_size;

		m->r->bytes_copied += bytes;
		if (m->round)
			m->r->bytes_rewritten += bytes;
		*m->round_bytes += bytes;
		m->prog.bytes_done += bytes;
	}
	if (m->prog.bytes_total < m->prog.bytes_done)
		m->prog.bytes_total = m->prog.bytes_done;
}

/*
 * Copies the pieces of one batch: every read submitted at once, then
 * every write, so the device sees a deep queue rather than one small I/O
 * after another. The pieces are out of the dirty set already.
 */
static int copy_batch(struct mig *m, struct piece *pc, unsigned int nr)
{
	struct iocb cbs[BATCH_IOS];
	int ret;

	batch_iocbs(m, pc, nr, cbs, 0);
	ret = aio_run(m, cbs, nr);
	if (ret)
		return ret;
	batch_iocbs(m, pc, nr, cbs, 1);
	ret = aio_run(m, cbs, nr);
	if (ret)
		return ret;
	batch_account(m, pc, nr);
	ret = hmlm_mig_progress(m, m->prog.phase);
	if (!ret)
		ret = poll_log(m);
	return ret;
}

/* Batches are for block devices written here (not the stream). */
static int batch_ready(struct mig *m)
{
	if (m->w || m->aio_failed)
		return 0;
	if (!m->batch_buf) {
		m->batch_buf = hmlm_buf_alloc(BATCH_BYTES);
		if (!m->batch_buf) {
			m->aio_failed = 1;
			return 0;
		}
	}
	if (!m->aio && syscall(SYS_io_setup, BATCH_IOS, &m->aio)) {
		m->aio = 0;
		m->aio_failed = 1;
		return 0;
	}
	return 1;
}

/* The dirty extents in batches of asynchronous I/O. */
static int copy_dirty_batched(struct mig *m, const struct hmlm_extent *snap,
			      size_t k)
{
	struct piece pc[BATCH_IOS];
	unsigned int nr = 0;
	size_t used = 0, i;
	int ret = 0;

	for (i = 0; i < k && !ret; i++) {
		struct mig_ns *n = ns_by_src(m, snap[i].nsid);
		uint64_t slba = snap[i].slba, nlb = snap[i].nlb, chunk;

		if (!n)
			continue;
		/* out of the set first: a change logged meanwhile puts it back */
		ret = hmlm_extents_remove(m->dirty, snap[i].nsid, slba, nlb);
		m->r->dirty_extents++;
		chunk = HMLM_COPY_BUF / n->src.lba_size;
		while (!ret && nlb) {
			uint64_t c = nlb < chunk ? nlb : chunk;
			size_t len = (size_t)(c * n->src.lba_size);
			size_t alen = (len + 4095) & ~(size_t)4095;

			if (nr == BATCH_IOS || used + alen > BATCH_BYTES) {
				ret = copy_batch(m, pc, nr);
				nr = 0;
				used = 0;
				if (ret)
					break;
			}
			pc[nr].n = n;
			pc[nr].slba = slba;
			pc[nr].nlb = c;
			pc[nr].off = used;
			nr++;
			used += alen;
			slba += c;
			nlb -= c;
		}
	}
	if (!ret && nr)
		ret = copy_batch(m, pc, nr);
	return ret;
}

/* Copies every dirty extent and takes it out of the set. */
static int copy_dirty(struct mig *m)
{
	struct hmlm_extent *snap;
	size_t cnt = hmlm_extents_count(m->dirty), k = 0, i, copied;
	uint64_t t0, b0;
	int ret = 0;

	if (!cnt)
		return 0;
	snap = calloc(cnt, sizeof(*snap));
	if (!snap)
		return -ENOMEM;
	{
		struct hmlm_extent e = { 0 };

		while (k < cnt && hmlm_extents_next(m->dirty, &e) > 0)
			snap[k++] = e;
	}
	t0 = hmlm_now_ns();
	b0 = m->r->bytes_copied;
	copied = k;
	if (batch_ready(m)) {
		ret = copy_dirty_batched(m, snap, k);
		k = 0;
	}
	for (i = 0; i < k && !ret; i++) {
		struct mig_ns *n = ns_by_src(m, snap[i].nsid);

		if (!n)
			continue;
		/*
		 * Out of the set first: a change logged while the copy runs
		 * (the log is read between chunks) puts it back.
		 */
		ret = hmlm_extents_remove(m->dirty, snap[i].nsid, snap[i].slba,
					  snap[i].nlb);
		if (!ret)
			ret = copy_range(m, n, snap[i].slba, snap[i].nlb);
		m->r->dirty_extents++;
	}
	if (!ret)
		rate_note(m, m->r->bytes_copied - b0, copied, hmlm_now_ns() - t0);
	free(snap);
	return ret;
}

/*
 * The stop-and-copy of hmlm_migrate() as one batch whose reads overlap
 * the last memory report (an admin command of the downtime). Only a set
 * that fits one batch; a larger one is copied by copy_dirty() at once.
 */
struct final_copy {
	struct piece pc[BATCH_IOS];
	struct iocb cbs[BATCH_IOS];
	unsigned int nr;	/* pieces; 0: none planned */
	unsigned int inflight;	/* reads submitted */
	int ret;		/* the first error */
	uint64_t t0;		/* the stop-and-copy started */
};

/*
 * Plans @fc from the dirty set: 1 when the set fits one batch (its extents
 * leave the set), 0 when it does not, or a negative errno.
 */
static int final_copy_plan(struct mig *m, struct final_copy *fc)
{
	struct hmlm_extent e = { 0 };
	size_t cnt = hmlm_extents_count(m->dirty), used = 0;
	unsigned int nr = 0, i;
	int ret;

	if (!cnt || cnt > BATCH_IOS || !batch_ready(m))
		return 0;
	while (hmlm_extents_next(m->dirty, &e) > 0) {
		struct mig_ns *n = ns_by_src(m, e.nsid);
		uint64_t len;

		if (!n)
			continue;	/* as copy_dirty(): not migrated */
		len = e.nlb * n->src.lba_size;
		if (len > HMLM_COPY_BUF || used + len > BATCH_BYTES)
			return 0;
		fc->pc[nr].n = n;
		fc->pc[nr].slba = e.slba;
		fc->pc[nr].nlb = e.nlb;
		fc->pc[nr].off = used;
		nr++;
		used += (len + 4095) & ~(uint64_t)4095;
	}
	for (i = 0; i < nr; i++) {
		ret = hmlm_extents_remove(m->dirty, fc->pc[i].n->map->src_nsid,
					  fc->pc[i].slba, fc->pc[i].nlb);
		if (ret)
			return ret;
		m->r->dirty_extents++;
	}
	fc->nr = nr;
	return nr ? 1 : 0;
}

static void final_copy_reads(struct mig *m, struct final_copy *fc)
{
	batch_iocbs(m, fc->pc, fc->nr, fc->cbs, 0);
	fc->inflight = aio_submit_all(m, fc->cbs, fc->nr, &fc->ret);
}

/*
 * Reaps the reads and, if @ok and they all worked, writes what they read.
 * Nothing of @fc is in flight after it, whatever it returns.
 */
static int final_copy_done(struct mig *m, struct final_copy *fc, int ok)
{
	if (!fc->nr)
		return 0;
	fc->ret = aio_wait_all(m, fc->inflight, fc->ret);
	if (!fc->ret && ok) {
		batch_iocbs(m, fc->pc, fc->nr, fc->cbs, 1);
		fc->ret = aio_run(m, fc->cbs, fc->nr);
	}
	if (!fc->ret && ok)
		batch_account(m, fc->pc, fc->nr);
	m->r->stopcopy_ns = hmlm_now_ns() - fc->t0;
	return fc->ret;
}

/* Empties the dirty set (a full pass follows). */
static int dirty_clear(struct mig *m)
{
	struct hmlm_extent e = { 0 };
	int ret;

	while (hmlm_extents_next(m->dirty, &e) > 0) {
		ret = hmlm_extents_remove(m->dirty, e.nsid, e.slba, e.nlb);
		if (ret)
			return ret;
		memset(&e, 0, sizeof(e));
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The migration queue and memory tracking while the source runs. */

static int log_restart(struct mig *m)
{
	if (m->log)
		m->r->log_records += hmlm_log_records(m->log);
	hmlm_log_close(m->log);
	m->log = NULL;
	return hmlm_log_start(m->src, m->p.log_entries, 0, &m->log);
}

/*
 * Reads what the queue holds into the dirty set, without waiting; called
 * between rounds and after every copied chunk. A full queue lost changes:
 * logging restarts at once and the next round boundary copies everything
 * allocated again (need_full).
 */
static int poll_log(struct mig *m)
{
	int ret;

	if (!m->log)
		return 0;
	ret = hmlm_log_collect(m->log, m->dirty, 0);
	if (ret < 0)
		return ret;
	if (!(hmlm_log_markers(m->log) & HMLM_LOG_SEEN_FULL))
		return 0;
	m->r->queue_full_events++;
	m->need_full = 1;
	return log_restart(m);
}

static int mem_report(struct mig *m, const struct hmlm_mem_range *r,
		      unsigned int n)
{
	int ret;

	if (!n)
		return 0;
	m->r->mem_ranges_reported += n;
	if (m->w) {
		struct hmlm_stream_mem_range *sr = calloc(n, sizeof(*sr));
		struct hmlm_stream_mem mem = {
			.round = m->round, .count = n,
			.granularity = 4096ULL << m->p.mem_gran,
		};
		unsigned int i;

		if (!sr)
			return -ENOMEM;
		for (i = 0; i < n; i++) {
			sr[i].start = r[i].addr;
			sr[i].len = r[i].len;
		}
		mem.ranges = sr;
		ret = hmlm_stream_write_mem(m->w, &mem);
		free(sr);
		if (ret)
			return ret;
	}
	if (m->p.mem_dirty) {
		uint64_t t0 = m->stopped ? hmlm_now_ns() : 0;

		ret = m->p.mem_dirty(r, n, m->p.mem_arg);
		if (m->stopped)
			m->r->callback_ns += hmlm_now_ns() - t0;
		if (ret)
			return -ECANCELED;
	}
	return 0;
}

/* Track Receive until nothing more; @final: until SUSP=1 and MTR=0. */
static int mem_drain(struct mig *m, int final)
{
	struct hmlm_mem_range *r;
	unsigned int attrs, i;
	int n, ret = 0;

	if (!m->mem_tracking)
		return 0;
	r = calloc(MEM_BATCH, sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (i = 0; i < MEM_MAX_RECVS; i++) {
		ret = hmlm_mig_deadline(m);
		if (ret)
			break;
		n = hmlm_mem_track_recv(m->src, r, MEM_BATCH, &attrs);
		if (n < 0) {
			ret = n;
			break;
		}
		ret = mem_report(m, r, (unsigned int)n);
		if (ret)
			break;
		if (attrs & HMLM_MEM_MORE)
			continue;
		if (!final || (attrs & HMLM_MEM_SUSPENDED))
			break;
	}
	if (i == MEM_MAX_RECVS)
		ret = -EPROTO;
	free(r);
	return ret;
}

static void mem_stop(struct mig *m)
{
	if (m->mem_tracking)
		hmlm_mem_track_stop(m->src);
	m->mem_tracking = 0;
}

/* ------------------------------------------------------------------ */


/*
 * The convergence rule. With @converge_bytes: fewer dirty bytes than
 * that. Otherwise the downtime budget decides: the predicted stop-and-copy
 * time within half the budget (DEFAULT_STOPCOPY_US without one). The
 * prediction scales the last copy by bytes and, when that copy counted
 * them, by extents: small scattered extents cost an I/O each whatever
 * their size, and the larger of the two estimates counts.
 */
static int converged(struct mig *m, uint64_t dirty)
{
	double target_ns, by_bytes, by_extents = 0;

	if (m->p.converge_bytes)
		return dirty <= m->p.converge_bytes;
	if (!dirty)
		return 1;
	if (!m->rate_bytes)
		return 0;
	target_ns = m->p.downtime_budget_us ?
		    m->p.downtime_budget_us * 500.0 :
		    DEFAULT_STOPCOPY_US * 1000.0;
	by_bytes = (double)dirty * (double)m->rate_ns / (double)m->rate_bytes;
	if (m->rate_extents)
		by_extents = (double)hmlm_extents_count(m->dirty) *
			     (double)m->rate_ns / (double)m->rate_extents;
	return (by_bytes > by_extents ? by_bytes : by_extents) <= target_ns;
}

/* The next round: copies the @dirty bytes of the dirty set. */
static int copy_round(struct mig *m, uint64_t dirty)
{
	int ret;

	m->round++;
	m->r->rounds = m->round;
	m->round_bytes = &m->r->round_bytes[m->round];
	m->prog.dirty_bytes = dirty;
	m->prog.bytes_total += dirty;
	ret = write_round(m, 0, dirty);
	if (!ret)
		ret = hmlm_mig_progress(m, HMLM_PHASE_ROUND);
	return ret ? ret : copy_dirty(m);
}

/* After a full queue: a round that copies everything allocated again. */
static int full_round(struct mig *m)
{
	int ret;

	m->need_full = 0;
	m->round++;
	m->r->rounds = m->round;
	m->round_bytes = &m->r->round_bytes[m->round];
	ret = write_round(m, 0, hmlm_extents_bytes(m->dirty, HMLM_NSID_ALL));
	if (!ret)
		ret = hmlm_mig_progress(m, HMLM_PHASE_ROUND);
	if (!ret)
		ret = dirty_clear(m);
	return ret ? ret : full_pass(m);
}

/* Logging, tracking, pre-copy and the rounds: the source keeps running. */
int hmlm_mig_run_live(struct mig *m)
{
	uint64_t dirty, prev = UINT64_MAX;
	unsigned int stalled = 0;
	int ret;

	m->cancel_ok = 1;
	if (m->p.mem_ranges && m->p.nr_mem_ranges) {
		struct hmlm_mem_limits lim;

		ret = hmlm_mem_track_start(m->src, m->p.mem_ranges,
					   m->p.nr_mem_ranges, m->p.mem_gran,
					   &lim);
		if (ret)
			return ret;
		m->mem_tracking = 1;
	}
	ret = hmlm_log_start(m->src, m->p.log_entries, 0, &m->log);
	if (ret)
		return ret;

	m->round = 0;
	m->round_bytes = &m->r->round_bytes[0];
	ret = hmlm_mig_progress(m, HMLM_PHASE_PRECOPY);
	if (!ret)
		ret = full_pass(m);
	if (ret)
		return ret;

	for (;;) {
		ret = poll_log(m);
		if (!ret)
			ret = mem_drain(m, 0);
		if (ret)
			return ret;
		if (m->need_full) {
			/* a full queue: a round that copies everything again */
			if (m->round >= m->p.max_rounds) {
				m->r->flags |= HMLM_REPORT_MAX_ROUNDS;
				break;	/* the stop-and-copy does it */
			}
			ret = full_round(m);
			if (ret)
				return ret;
			prev = UINT64_MAX;
			continue;
		}
		dirty = hmlm_extents_bytes(m->dirty, HMLM_NSID_ALL);
		if (converged(m, dirty)) {
			m->r->flags |= HMLM_REPORT_CONVERGED;
			break;
		}
		if (m->round >= m->p.max_rounds) {
			m->r->flags |= HMLM_REPORT_MAX_ROUNDS;
			break;
		}
		if (m->round && dirty >= prev) {
			/*
			 * With converge_bytes the first round that does not
			 * shrink ends the rounds; under the budget rule small
			 * sets jitter, so a few in a row do.
			 */
			if (m->p.converge_bytes ||
			    ++stalled >= NO_PROGRESS_ROUNDS) {
				m->r->flags |= HMLM_REPORT_NO_PROGRESS;
				break;
			}
		} else {
			stalled = 0;
		}
		prev = dirty;
		ret = copy_round(m, dirty);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Suspend (DUDMQ) and the SUSPENDED callback: from here the VM is stopped.
 * @t_suspended is set once the source is suspended.
 */
static int stop_source(struct mig *m, uint64_t *t_suspended)
{
	unsigned int tmo = 0;
	uint64_t t0;
	int ret;

	t0 = hmlm_now_ns();
	if (m->p.stop_deadline_us) {
		m->deadline_ns = t0 + m->p.stop_deadline_us * 1000;
		/* and the stream's writes: a stalled channel ends there too */
		if (m->w)
			hmlm_stream_writer_set_deadline(m->w, m->deadline_ns);
		/* the Suspend's own wait within it (0 is the admin timeout) */
		tmo = (unsigned int)((m->p.stop_deadline_us + 999) / 1000);
		if (!tmo || m->p.stop_deadline_us > UINT32_MAX * 1000ULL)
			tmo = UINT32_MAX;
	}
	/* whatever it returns (EINTR: still in flight), cancel resumes */
	m->src_suspend_sent = 1;
	ret = hmlm_suspend(m->src, HMLM_SUSPEND_DUDMQ, tmo);
	if (ret)
		return ret;
	*t_suspended = hmlm_now_ns();
	m->r->suspend_ns = *t_suspended - t0;
	m->stopped = 1;
	return hmlm_mig_progress(m, HMLM_PHASE_SUSPENDED);
}

/*
 * After stop_source(): the drain to the "suspended" marker, the
 * stop-and-copy. With @fc, a set that fits one batch is only planned and
 * its reads submitted: final_copy_done() finishes it.
 */
static int finish_source(struct mig *m, struct final_copy *fc)
{
	uint64_t t0, dirty, tick, now;
	unsigned int markers;
	int ret;

	/*
	 * The device posts "suspended" and deletes the queue: read to EOF,
	 * within DRAIN_TIMEOUT_MS and the deadline, the callback asked every
	 * WAIT_SLICE_MS.
	 */
	t0 = hmlm_now_ns();
	tick = t0 + WAIT_SLICE_MS * 1000000ULL;
	for (;;) {
		ret = hmlm_log_collect(m->log, m->dirty, WAIT_SLICE_MS);
		if (ret < 0)
			return ret;
		markers = hmlm_log_markers(m->log);
		if (markers & HMLM_LOG_SEEN_EOF)
			break;
		now = hmlm_now_ns();
		if (now < tick)
			continue;
		tick = now + WAIT_SLICE_MS * 1000000ULL;
		ret = hmlm_mig_progress(m, HMLM_PHASE_SUSPENDED);
		if (ret)
			return ret;
		if (now - t0 > DRAIN_TIMEOUT_MS * 1000000ULL)
			return -ETIMEDOUT;
	}
	m->r->log_records += hmlm_log_records(m->log);
	/* read to its end: closed after the downtime (mig_free) */
	m->log_ended = m->log;
	m->log = NULL;
	m->r->log_drain_ns = hmlm_now_ns() - t0;

	t0 = hmlm_now_ns();
	m->round++;
	m->round_bytes = &m->r->stopcopy_bytes;
	dirty = hmlm_extents_bytes(m->dirty, HMLM_NSID_ALL);
	m->prog.dirty_bytes = dirty;
	m->prog.bytes_total += dirty;
	ret = write_round(m, HMLM_STREAM_ROUND_FINAL, dirty);
	if (!ret)
		ret = hmlm_mig_progress(m, HMLM_PHASE_STOPCOPY);
	if (!ret && ((markers & HMLM_LOG_SEEN_FULL) || m->need_full)) {
		m->r->queue_full_events++;
		ret = dirty_clear(m);
		if (!ret)
			ret = full_pass(m);
	} else if (!ret && fc) {
		ret = final_copy_plan(m, fc);
		if (ret > 0) {
			fc->t0 = t0;
			final_copy_reads(m, fc);
			return fc->ret;
		}
	}
	if (!ret)
		ret = copy_dirty(m);
	m->r->stopcopy_ns = hmlm_now_ns() - t0;
	return ret;
}

/*
 * The last memory report (Track Receive until SUSP). Tracking of a
 * suspended controller cannot be stopped (Controller Suspended): the
 * cancel path stops it after the Resume.
 */
static int mem_final(struct mig *m)
{
	uint64_t t0 = hmlm_now_ns();
	int ret = mem_drain(m, 1);

	m->r->mem_drain_ns = hmlm_now_ns() - t0;
	return ret;
}

/* Everything of the source's stop, one step after the other (the stream). */
int hmlm_mig_run_suspended(struct mig *m, uint64_t *t_suspended)
{
	int ret = stop_source(m, t_suspended);

	if (!ret)
		ret = finish_source(m, NULL);
	return ret ? ret : mem_final(m);
}

/*
 * The target's flush as asynchronous fdatasync: how many were submitted
 * (0: none, sync_wait() flushes synchronously).
 */
static int sync_start(struct mig *m)
{
	struct iocb cbs[BATCH_IOS], *ptrs[BATCH_IOS];
	unsigned int i, nr = 0;
	long n;

	if (m->nr_ns > BATCH_IOS || !batch_ready(m))
		return 0;
	for (i = 0; i < m->nr_ns; i++) {
		memset(&cbs[nr], 0, sizeof(cbs[nr]));
		cbs[nr].aio_lio_opcode = IOCB_CMD_FDSYNC;
		cbs[nr].aio_fildes = (uint32_t)m->ns[i].dst.fd;
		ptrs[nr] = &cbs[nr];
		nr++;
	}
	n = syscall(SYS_io_submit, m->aio, nr, ptrs);
	if (n == (long)nr)
		return (int)nr;
	/* none or part went: wait for those, then flush synchronously */
	if (n > 0) {
		struct io_event ev[BATCH_IOS];
		int err = 0;

		aio_reap(m, n, ev, &err);
	}
	return 0;
}

static int sync_wait(struct mig *m, int nr)
{
	struct io_event ev[BATCH_IOS];
	unsigned int i;
	int ret = 0, err = 0;
	long k;

	if (!nr) {
		for (i = 0; i < m->nr_ns && !ret; i++)
			ret = hmlm_bdev_sync(&m->ns[i].dst);
		return ret;
	}
	k = aio_reap(m, nr, ev, &err);
	if (k < 0)
		return k;
	for (i = 0; i < (unsigned int)k; i++)
		if (!ret && ev[i].res < 0)
			ret = (int)ev[i].res;
	if (ret == -EINVAL)	/* no asynchronous fsync here */
		ret = sync_wait(m, 0);
	return ret ? ret : err;
}

void hmlm_mig_budget_check(struct mig *m)
{
	if (m->p.downtime_budget_us &&
	    m->r->downtime_ns > m->p.downtime_budget_us * 1000ULL)
		m->r->flags |= HMLM_REPORT_BUDGET_EXCEEDED;
}

/*
 * Resume of a controller a Suspend was sent to. A Suspend whose wait was
 * cut short (EINTR, ETIMEDOUT) is still in flight and the Resume fails
 * with EBUSY until it completes (at most the NVMe admin timeout): it is
 * tried again. "Controller Not Suspended" (the Suspend failed) is
 * success: the controller runs.
 */
int hmlm_mig_resume(struct hmlm_session *s)
{
	uint64_t end = hmlm_now_ns() + RESUME_WAIT_MS * 1000000ULL;
	int ret;

	for (;;) {
		ret = hmlm_resume(s);
		if (ret != -EBUSY && ret != -EINTR)
			break;
		if (hmlm_now_ns() > end)
			break;
		usleep(1000);
	}
	if (ret == -EIO &&
	    (hmlm_session_nvme_status(s) & NVME_STATUS_SCT_SC) ==
	    NVME_STATUS_NOT_SUSP)
		ret = 0;
	return ret;
}

/*
 * The source goes on: stop what was started, resume it if a Suspend was
 * sent to it (that also takes back a KEEP: the source runs again).
 */
void hmlm_mig_cancel_source(struct mig *m)
{
	uint16_t keep = hmlm_session_nvme_status(m->src);

	if (m->log) {
		m->r->log_records += hmlm_log_records(m->log);
		hmlm_log_close(m->log);
		m->log = NULL;
	}
	if (m->src_suspend_sent && !hmlm_mig_resume(m->src))
		m->r->flags |= HMLM_REPORT_SOURCE_RESUMED;
	mem_stop(m);
	m->src->nvme_status = keep;
}

/*
 * The hand-over's commit point: the source is told to stay suspended even
 * when its session ends (KEEP), and that is confirmed before anything can
 * make the target run. A daemon that dies before this returns leaves the
 * source to be resumed by the kernel; one that dies after it leaves both
 * controllers suspended (the target never resumes on its own: it was
 * suspended with KEEP too), never both running.
 */
int hmlm_mig_keep_source(struct mig *m)
{
	int ret = hmlm_mig_deadline(m);

	if (!ret)
		ret = hmlm_suspend(m->src, HMLM_SUSPEND_KEEP, 0);
	if (!ret)
		m->committed = 1;
	return ret;
}

/*
 * After the rounds converged: what the VM changed while the target was
 * suspended and the rounds' writes flushed, copied while it still runs
 * (one more round, within max_rounds). The stop-and-copy keeps only what
 * changes from here to the Suspend.
 */
static int settle_round(struct mig *m)
{
	uint64_t dirty;
	int ret = poll_log(m);

	if (!ret && m->need_full && m->round < m->p.max_rounds) {
		/* the queue filled meanwhile: recopy now, not in the downtime */
		ret = full_round(m);
		if (!ret)
			ret = poll_log(m);
	}
	if (ret || m->need_full || m->round >= m->p.max_rounds)
		return ret;	/* a full queue: the stop-and-copy recopies */
	dirty = hmlm_extents_bytes(m->dirty, HMLM_NSID_ALL);
	return dirty ? copy_round(m, dirty) : 0;
}

/* hmlm_migrate(), its arguments checked */
static int migrate_local(struct hmlm_session *src, struct hmlm_session *dst,
			 const struct hmlm_ns_map *ns, unsigned int nr_ns,
			 const struct hmlm_migrate_params *params,
			 struct hmlm_migrate_report *report)
{
	struct hmlm_migrate_report dummy;
	struct hmlm_caps sc, dc;
	struct hmlm_state_fmt fmt;
	struct hmlm_state st = { 0 };
	struct hmlm_session *failed = src;	/* whose status goes out */
	struct final_copy fc;
	struct mig m;
	uint64_t t_start = 0, t_suspended = 0, t0;
	int ret, r2, syncing;
	unsigned int i;

	if (!report)
		report = &dummy;
	memset(report, 0, sizeof(*report));
	if (!src || !dst || src == dst)
		return -EINVAL;
	ret = hmlm_mig_check_map(ns, nr_ns);
	if (ret)
		return ret;
	memset(&m, 0, sizeof(m));
	memset(&fc, 0, sizeof(fc));
	m.src = src;
	m.dst = dst;
	m.r = report;
	hmlm_mig_params_defaults(&m.p, params);

	/* Agree on a state format before anything moves. */
	ret = hmlm_caps_get(src, &sc);
	if (!ret)
		ret = hmlm_caps_get(dst, &dc);
	if (!ret)
		ret = hmlm_state_fmt_common(&sc, &dc, &fmt);
	if (!ret)
		ret = hmlm_mig_setup(&m, ns, nr_ns, 1);
	if (!ret)
		ret = hmlm_mig_run_live(&m);
	if (ret)
		goto cancel;
	/*
	 * Set Controller State needs a suspended (or not yet enabled) target.
	 * The target runs nothing: it is suspended while the VM still runs,
	 * not in the downtime. Suspend is idempotent. KEEP: once it holds the
	 * VM's state it must not run unless this call resumes it, not even
	 * when the session ends.
	 */
	ret = hmlm_suspend(dst, HMLM_SUSPEND_KEEP, 0);
	if (ret) {
		failed = dst;
		goto cancel;
	}
	m.dst_suspended = 1;
	/*
	 * What the rounds wrote reaches the target's media while the source
	 * still runs: the flush after the stop-and-copy has little left (the
	 * settle round's writes and its own).
	 */
	for (i = 0; i < m.nr_ns && !ret; i++)
		ret = hmlm_bdev_sync(&m.ns[i].dst);
	if (!ret && (report->flags & HMLM_REPORT_CONVERGED))
		ret = settle_round(&m);
	if (ret)
		goto cancel;

	t_start = hmlm_now_ns();
	ret = stop_source(&m, &t_suspended);
	if (!ret)
		ret = finish_source(&m, &fc);
	/*
	 * The stop-and-copy's reads run while the last memory report is
	 * read, the flush of its writes while the state is read and set:
	 * the target resumes once all completed.
	 */
	if (!ret)
		ret = mem_final(&m);
	r2 = final_copy_done(&m, &fc, !ret);
	if (!ret)
		ret = r2;
	syncing = ret ? 0 : sync_start(&m);
	if (!ret) {
		t0 = hmlm_now_ns();
		ret = hmlm_state_get_caps(src, &sc, &fmt, STATE_SIZE_HINT, &st);
		report->state_get_ns = hmlm_now_ns() - t0;
		report->state_bytes = st.len;
	}
	if (ret) {
		if (syncing)
			sync_wait(&m, syncing);
		goto cancel;
	}
	m.cancel_ok = 0;
	/* no cancel from here; the deadline still holds until the commit */
	ret = hmlm_mig_progress(&m, HMLM_PHASE_STATE);
	if (ret) {
		if (syncing)
			sync_wait(&m, syncing);
		goto cancel;
	}
	t0 = hmlm_now_ns();
	m.dst_state_sent = 1;
	ret = hmlm_state_set_caps(dst, &dc, &st);
	r2 = sync_wait(&m, syncing);
	if (ret)
		failed = dst;
	else
		ret = r2;
	report->state_set_ns = hmlm_now_ns() - t0;
	/* the commit point: the source stays stopped before the target runs */
	if (!ret)
		ret = hmlm_mig_keep_source(&m);
	if (!ret && !(m.p.flags & HMLM_MIGRATE_NO_RESUME)) {
		t0 = hmlm_now_ns();
		ret = hmlm_resume(dst);
		report->resume_ns = hmlm_now_ns() - t0;
		if (ret)
			failed = dst;
	}
	if (ret)
		goto cancel;
	{
		uint64_t t = hmlm_now_ns();

		report->downtime_ns = t - t_start;
		report->suspend_to_resume_ns = t - t_suspended;
	}
	hmlm_mig_budget_check(&m);
	hmlm_mig_progress(&m, HMLM_PHASE_RESUMED);
	hmlm_mig_progress(&m, HMLM_PHASE_DONE);
	goto out;

cancel:
	if (ret == -EIO)
		report->nvme_status = hmlm_session_nvme_status(failed);
	hmlm_mig_cancel_source(&m);
	/*
	 * A target that was sent no state holds nothing of the VM: it runs
	 * again. One that was (even a failed Set Controller State may have
	 * left part of it) stays suspended for the caller to reset or to
	 * migrate into again.
	 */
	if (m.dst_suspended && !m.dst_state_sent)
		hmlm_mig_resume(dst);
out:
	hmlm_state_free(&st);
	hmlm_mig_free(&m);
	return ret;
}

/* ------------------------------------------------------------------ */
/* The ABI of the orchestrators (include/hmlm.h, "Extensible structures"). */

_Static_assert(offsetof(struct hmlm_migrate_params, stop_deadline_us) ==
	       HMLM_MIGRATE_PARAMS_SIZE_VER0, "the 0.3 params layout");
_Static_assert(offsetof(struct hmlm_migrate_report, resume_ns) + 8 ==
	       HMLM_MIGRATE_REPORT_SIZE_VER0, "the 0.4 report layout");

/*
 * @params read into @p by the rules for structures the library reads,
 * the size of the caller's @report checked.
 */
static int mig_args(const struct hmlm_migrate_params *params,
		    const struct hmlm_migrate_report *report,
		    struct hmlm_migrate_params *p)
{
	int ret;

	memset(p, 0, sizeof(*p));
	if (report && report->size < HMLM_MIGRATE_REPORT_SIZE_VER0)
		return -EINVAL;
	if (params) {
		ret = hmlm_struct_in(p, sizeof(*p), params, params->size,
				     HMLM_MIGRATE_PARAMS_SIZE_VER0);
		if (ret)
			return ret;
		if ((p->flags & ~HMLM_MIGRATE_FLAGS) ||
		    p->max_rounds > HMLM_MIGRATE_MAX_ROUNDS)
			return -EINVAL;
	}
	p->size = sizeof(*p);
	return 0;
}

static void mig_report_out(struct hmlm_migrate_report *report,
			   struct hmlm_migrate_report *r)
{
	r->size = sizeof(*r);
	if (report)
		hmlm_struct_out(report, report->size, r, sizeof(*r));
}

HMLM_EXPORT int hmlm_migrate(struct hmlm_session *src,
			     struct hmlm_session *dst,
			     const struct hmlm_ns_map *ns, unsigned int nr_ns,
			     const struct hmlm_migrate_params *params,
			     struct hmlm_migrate_report *report)
{
	struct hmlm_migrate_params p;
	struct hmlm_migrate_report r;
	int ret = mig_args(params, report, &p);

	if (ret)
		return ret;
	ret = migrate_local(src, dst, ns, nr_ns, &p, &r);
	mig_report_out(report, &r);
	return ret;
}

HMLM_EXPORT int hmlm_migrate_out(struct hmlm_session *src,
				 const struct hmlm_ns_map *ns,
				 unsigned int nr_ns, int out_fd,
				 const struct hmlm_migrate_params *params,
				 struct hmlm_migrate_report *report)
{
	struct hmlm_migrate_params p;
	struct hmlm_migrate_report r;
	int ret = mig_args(params, report, &p);

	if (ret)
		return ret;
	ret = hmlm_mig_out(src, ns, nr_ns, out_fd, &p, &r);
	mig_report_out(report, &r);
	return ret;
}

HMLM_EXPORT int hmlm_migrate_in(struct hmlm_session *dst,
				const struct hmlm_ns_map *ns,
				unsigned int nr_ns, int in_fd,
				const struct hmlm_migrate_params *params,
				struct hmlm_migrate_report *report)
{
	struct hmlm_migrate_params p;
	struct hmlm_migrate_report r;
	int ret = mig_args(params, report, &p);

	if (ret)
		return ret;
	ret = hmlm_mig_in(dst, ns, nr_ns, in_fd, &p, &r);
	mig_report_out(report, &r);
	return ret;
}
