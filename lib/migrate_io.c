// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Moving namespace data, for every phase: to the target's block devices
 * (hmlm_migrate()) or into the stream (hmlm_migrate_out()); the dirty
 * extents in batches of asynchronous direct I/O, one extent at a time
 * without it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/aio_abi.h>
#include <linux/nvme_hmlm.h>

#include "internal.h"
#include "migrate_int.h"

static int put_data(struct mig *m, struct mig_ns *n, uint64_t slba,
		    uint64_t nlb)
{
	if (m->w) {
		struct hmlm_stream_extent e = {
			.nsid = n->map->src_nsid, .round = m->round,
			.slba = slba, .nlb = nlb, .data = m->buf,
		};

		return hmlm_mig_fail(m, HMLM_STEP_STREAM,
				     hmlm_stream_write_extent(m->w, &e));
	}
	return hmlm_mig_fail(m, HMLM_STEP_COPY,
			     hmlm_bdev_write(&n->dst, slba, nlb, m->buf));
}

int hmlm_mig_put_zero(struct mig *m, struct mig_ns *n, uint64_t slba,
		      uint64_t nlb)
{
	if (m->w) {
		struct hmlm_stream_extent e = {
			.nsid = n->map->src_nsid, .round = m->round,
			.slba = slba, .nlb = nlb,
			.flags = HMLM_STREAM_DEALLOC_ZEROES,
		};

		return hmlm_mig_fail(m, HMLM_STEP_STREAM,
				     hmlm_stream_write_dealloc(m->w, &e));
	}
	return hmlm_mig_fail(m, HMLM_STEP_COPY,
			     hmlm_bdev_zero(&n->dst, slba, nlb));
}

int hmlm_mig_copy_range(struct mig *m, struct mig_ns *n, uint64_t slba,
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
			/* keep the queue from filling */
			ret = hmlm_mig_poll_log(m);
		if (ret)
			return ret;
		slba += c;
		nlb -= c;
	}
	return 0;
}

void hmlm_mig_rate_note(struct mig *m, uint64_t bytes, uint64_t extents,
			uint64_t ns)
{
	if (!bytes || !ns)
		return;
	m->rate_bytes = bytes;
	m->rate_extents = extents;
	m->rate_ns = ns;
}

unsigned int hmlm_mig_aio_submit_all(struct mig *m, struct iocb *cbs,
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
long hmlm_mig_aio_reap(struct mig *m, long nr, struct io_event *ev, int *err)
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
int hmlm_mig_aio_wait_all(struct mig *m, unsigned int sub, int ret)
{
	struct io_event ev[BATCH_IOS];
	unsigned int i;
	int err = 0;
	long n;

	n = hmlm_mig_aio_reap(m, sub, ev, &err);
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

int hmlm_mig_aio_run(struct mig *m, struct iocb *cbs, unsigned int nr)
{
	int ret;
	unsigned int sub = hmlm_mig_aio_submit_all(m, cbs, nr, &ret);

	return hmlm_mig_aio_wait_all(m, sub, ret);
}

void hmlm_mig_batch_iocbs(struct mig *m, const struct piece *pc,
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

void hmlm_mig_batch_account(struct mig *m, const struct piece *pc,
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

	hmlm_mig_batch_iocbs(m, pc, nr, cbs, 0);
	ret = hmlm_mig_aio_run(m, cbs, nr);
	if (ret)
		return ret;
	hmlm_mig_batch_iocbs(m, pc, nr, cbs, 1);
	ret = hmlm_mig_aio_run(m, cbs, nr);
	if (ret)
		return ret;
	hmlm_mig_batch_account(m, pc, nr);
	ret = hmlm_mig_progress(m, m->prog.phase);
	if (!ret)
		ret = hmlm_mig_poll_log(m);
	return ret;
}

int hmlm_mig_batch_ready(struct mig *m)
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

static int copy_dirty_batched(struct mig *m, const struct hmlm_extent *snap,
			      size_t k)
{
	struct piece pc[BATCH_IOS];
	unsigned int nr = 0;
	size_t used = 0, i;
	int ret = 0;

	for (i = 0; i < k && !ret; i++) {
		struct mig_ns *n = hmlm_mig_ns_by_src(m, snap[i].nsid);
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

int hmlm_mig_copy_dirty(struct mig *m)
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
	if (hmlm_mig_batch_ready(m)) {
		ret = copy_dirty_batched(m, snap, k);
		k = 0;
	}
	for (i = 0; i < k && !ret; i++) {
		struct mig_ns *n = hmlm_mig_ns_by_src(m, snap[i].nsid);

		if (!n)
			continue;
		/*
		 * Out of the set first: a change logged while the copy runs
		 * (the log is read between chunks) puts it back.
		 */
		ret = hmlm_extents_remove(m->dirty, snap[i].nsid, snap[i].slba,
					  snap[i].nlb);
		if (!ret)
			ret = hmlm_mig_copy_range(m, n, snap[i].slba,
						  snap[i].nlb);
		m->r->dirty_extents++;
	}
	if (!ret)
		hmlm_mig_rate_note(m, m->r->bytes_copied - b0, copied,
				   hmlm_now_ns() - t0);
	free(snap);
	return ret;
}

int hmlm_mig_dirty_clear(struct mig *m)
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
