// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Moving namespace data, for every phase: to the target's block devices
 * (hmlm_migrate()) or into the stream (hmlm_migrate_out()); the dirty
 * extents in batches of asynchronous direct I/O (io_uring), one extent at
 * a time without it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
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

/*
 * The copy engine's I/O: one io_uring per migration, set up at the first
 * batch (hmlm_mig_batch_ready()). Every operation carries the bytes it
 * must move in its user_data (0 for a flush), so a completion checks
 * itself. Submitted operations are always reaped before their buffers go:
 * hmlm_mig_ring_free() waits for any still in flight.
 */

/* Tears the ring down; nothing of it may be in flight. */
static void ring_exit(struct mig *m)
{
	io_uring_queue_exit(&m->ring);
	m->ring_ready = 0;
}

/*
 * Hands the prepared SQEs (@nr) to the kernel, across partial
 * submissions: how many it took. A failure lands in *@ret; the SQEs it
 * did not take cannot be withdrawn, so the ring is marked to go once
 * what was taken has been reaped, and later batches run without it.
 */
static unsigned int ring_flush(struct mig *m, unsigned int nr, int *ret)
{
	unsigned int sub = 0;

	*ret = 0;
	while (sub < nr) {
		int n = io_uring_submit(&m->ring);

		if (n == -EINTR)
			continue;
		if (n <= 0) {
			*ret = n < 0 ? n : -EIO;
			m->ring_unsent = 1;
			break;
		}
		sub += (unsigned int)n;
	}
	m->ring_inflight += sub;
	return sub;
}

/*
 * Submits a read (or, with @write, a write) of each of the @nr pieces
 * (at most BATCH_IOS) at its place in batch_buf: how many went; a
 * failure in *@ret.
 */
unsigned int hmlm_mig_ring_submit(struct mig *m, const struct piece *pc,
				  unsigned int nr, int write, int *ret)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		const struct hmlm_bdev *b = write ? &pc[i].n->dst :
						    &pc[i].n->src;
		struct io_uring_sqe *sqe = io_uring_get_sqe(&m->ring);
		void *buf = (char *)m->batch_buf + pc[i].off;
		unsigned int len = (unsigned int)(pc[i].nlb * b->lba_size);
		uint64_t off = pc[i].slba * b->lba_size;

		if (!sqe)
			break;	/* cannot happen: at most BATCH_IOS queued */
		if (write)
			io_uring_prep_write(sqe, b->fd, buf, len, off);
		else
			io_uring_prep_read(sqe, b->fd, buf, len, off);
		io_uring_sqe_set_data64(sqe, len);
	}
	if (i < nr) {
		*ret = -EBUSY;
		m->ring_unsent = 1;
		return 0;
	}
	return ring_flush(m, nr, ret);
}

/* An fdatasync of every target namespace: how many went (see above). */
unsigned int hmlm_mig_ring_submit_fdsync(struct mig *m, int *ret)
{
	unsigned int i;

	for (i = 0; i < m->nr_ns; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&m->ring);

		if (!sqe) {
			*ret = -EBUSY;
			m->ring_unsent = 1;
			return 0;
		}
		io_uring_prep_fsync(sqe, m->ns[i].dst.fd, IORING_FSYNC_DATASYNC);
		io_uring_sqe_set_data64(sqe, 0);
	}
	return ring_flush(m, m->nr_ns, ret);
}

/*
 * Reaps @nr completions, WAIT_SLICE_MS at a time with the progress
 * callback in between; each wait is for all that is left, so a batch
 * costs one wake-up rather than one a completion. I/O in flight cannot be
 * abandoned: a cancel or the deadline lands in *@err (if still 0) and the
 * wait goes on. The first operation that did not move all its bytes sets
 * *@res (if still 0): its negative errno, or -EIO for a short one. How
 * many were reaped, or a negative errno (what is still in flight is
 * waited for at free).
 */
long hmlm_mig_ring_reap(struct mig *m, long nr, int *res, int *err)
{
	long done = 0;

	while (done < nr) {
		struct __kernel_timespec ts = { 0, WAIT_SLICE_MS * 1000000L };
		struct io_uring_cqe *cqe;
		unsigned int head, k = 0;
		int n = io_uring_wait_cqes(&m->ring, &cqe,
					   (unsigned int)(nr - done), &ts, NULL);

		if (n < 0 && n != -ETIME && n != -EINTR)
			return n;
		io_uring_for_each_cqe(&m->ring, head, cqe) {
			if (done + (long)k == nr)
				break;
			if (cqe->res == -ECANCELED)
				m->ring_not_run = 1;
			if (!*res && cqe->res < 0)
				*res = cqe->res;
			else if (!*res && (uint64_t)cqe->res !=
				 io_uring_cqe_get_data64(cqe))
				*res = -EIO;
			k++;
		}
		io_uring_cq_advance(&m->ring, k);
		m->ring_inflight -= k;
		done += k;
		if (n == -ETIME && done < nr && !*err)
			*err = hmlm_mig_progress(m, m->prog.phase);
	}
	if (m->ring_unsent && !m->ring_inflight) {
		/* SQEs the kernel never took: not to be sent by a later call */
		ring_exit(m);
		m->ring_unsent = 0;
		m->sync_io = 1;
		m->r->flags |= HMLM_REPORT_SYNC_IO;
	}
	return done;
}

/*
 * Waits for @sub submitted operations; @ret is the submission's result.
 * 0 when each moved its bytes.
 */
int hmlm_mig_ring_wait_all(struct mig *m, unsigned int sub, int ret)
{
	int res = 0, err = 0;
	long n = hmlm_mig_ring_reap(m, sub, &res, &err);

	if (n < 0)
		return (int)n;
	if (!ret)
		ret = res;
	return ret ? ret : err;
}

int hmlm_mig_ring_run(struct mig *m, const struct piece *pc, unsigned int nr,
		      int write)
{
	int ret;
	unsigned int sub = hmlm_mig_ring_submit(m, pc, nr, write, &ret);

	return hmlm_mig_ring_wait_all(m, sub, ret);
}

/* At the end of a migration: what is in flight completes, the ring goes. */
void hmlm_mig_ring_free(struct mig *m)
{
	struct io_uring_cqe *cqe;
	int n;

	if (!m->ring_ready)
		return;
	while (m->ring_inflight) {
		n = io_uring_wait_cqe(&m->ring, &cqe);
		if (n == -EINTR)
			continue;
		if (n < 0)
			break;
		io_uring_cqe_seen(&m->ring, cqe);
		m->ring_inflight--;
	}
	ring_exit(m);
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
/*
 * @pc copied one by one, synchronously: after a batch io_uring cancelled.
 * It does that to an operation it punts to a worker thread when it cannot
 * start one, which a signal pending on this thread at each try causes
 * (copy_process() answers ERESTARTNOINTR); the operation never ran.
 */
int hmlm_mig_copy_pieces(struct mig *m, const struct piece *pc,
			 unsigned int nr)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < nr && !ret; i++)
		ret = hmlm_mig_copy_range(m, pc[i].n, pc[i].slba, pc[i].nlb);
	return ret;
}

static int copy_batch(struct mig *m, struct piece *pc, unsigned int nr)
{
	int ret;

	ret = hmlm_mig_ring_run(m, pc, nr, 0);
	if (!ret)
		ret = hmlm_mig_ring_run(m, pc, nr, 1);
	if (ret == -ECANCELED && m->ring_not_run) {
		m->ring_not_run = 0;
		ret = hmlm_mig_copy_pieces(m, pc, nr);
	} else if (!ret) {
		hmlm_mig_batch_account(m, pc, nr);
	}
	if (ret)
		return ret;
	ret = hmlm_mig_progress(m, m->prog.phase);
	if (!ret)
		ret = hmlm_mig_poll_log(m);
	return ret;
}

/*
 * 1 when batches can run: the buffer and the ring are there (set up at
 * the first call). A ring that cannot be set up (no io_uring in the
 * kernel, kernel.io_uring_disabled, a seccomp filter, no memory) leaves
 * the migration to the synchronous path, one extent at a time, and the
 * report says so (HMLM_REPORT_SYNC_IO).
 */
int hmlm_mig_batch_ready(struct mig *m)
{
	if (m->w || m->sync_io)
		return 0;
	if (!m->batch_buf) {
		m->batch_buf = hmlm_buf_alloc(BATCH_BYTES);
		if (!m->batch_buf)
			goto sync;
	}
	if (!m->ring_ready) {
		/*
		 * Completions wait for this thread's next io_uring_enter():
		 * otherwise their task work makes a signal pending on it and
		 * cuts short whatever it waits in then, a Suspend's wait
		 * included. Kernels before 6.1 have no DEFER_TASKRUN.
		 */
		if (io_uring_queue_init(BATCH_IOS, &m->ring,
					IORING_SETUP_SINGLE_ISSUER |
					IORING_SETUP_DEFER_TASKRUN) &&
		    io_uring_queue_init(BATCH_IOS, &m->ring, 0))
			goto sync;
		m->ring_ready = 1;
	}
	return 1;
sync:
	m->sync_io = 1;
	m->r->flags |= HMLM_REPORT_SYNC_IO;
	return 0;
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
