// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The stop: the source's Suspend (the downtime starts), the drain of the
 * migration queue to its end, the stop-and-copy, the last memory report.
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

	if (!cnt || cnt > BATCH_IOS || !hmlm_mig_batch_ready(m))
		return 0;
	while (hmlm_extents_next(m->dirty, &e) > 0) {
		struct mig_ns *n = hmlm_mig_ns_by_src(m, e.nsid);
		uint64_t len;

		if (!n)
			continue;	/* not migrated: as copy_dirty() */
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
	fc->inflight = hmlm_mig_ring_submit(m, fc->pc, fc->nr, 0, &fc->ret);
}

/*
 * Reaps the reads and, if @ok and they all worked, submits the writes of
 * what they read without waiting for them: Get Controller State runs
 * while they do. hmlm_mig_final_copy_done() reaps them; until then they
 * may be in flight, whatever it returns.
 */
int hmlm_mig_final_copy_write(struct mig *m, struct final_copy *fc, int ok)
{
	if (!fc->nr)
		return 0;
	fc->ret = hmlm_mig_ring_wait_all(m, fc->inflight, fc->ret);
	fc->inflight = 0;
	if (fc->ret == -ECANCELED && m->ring_not_run && ok) {
		/* io_uring could not run them (hmlm_mig_copy_pieces()) */
		m->ring_not_run = 0;
		fc->ret = hmlm_mig_copy_pieces(m, fc->pc, fc->nr);
		return fc->ret;
	}
	if (!fc->ret && ok) {
		fc->inflight = hmlm_mig_ring_submit(m, fc->pc, fc->nr, 1,
						    &fc->ret);
		fc->writing = 1;
	}
	return fc->ret;
}

/*
 * Reaps the writes of hmlm_mig_final_copy_write(): the stop-and-copy is
 * on the target's media (before its flush) once it returns 0. Nothing of
 * @fc is in flight after it, whatever it returns.
 */
int hmlm_mig_final_copy_done(struct mig *m, struct final_copy *fc)
{
	if (!fc->nr)
		return 0;
	if (fc->inflight)
		fc->ret = hmlm_mig_ring_wait_all(m, fc->inflight, fc->ret);
	fc->inflight = 0;
	if (fc->writing && fc->ret == -ECANCELED && m->ring_not_run) {
		/* io_uring could not run them (hmlm_mig_copy_pieces()) */
		m->ring_not_run = 0;
		fc->ret = hmlm_mig_copy_pieces(m, fc->pc, fc->nr);
		fc->writing = 0;
	}
	m->r->stopcopy_ns = hmlm_now_ns() - fc->t0;
	if (fc->writing && !fc->ret)
		hmlm_mig_batch_account(m, fc->pc, fc->nr);
	fc->writing = 0;
	return fc->ret;
}

/*
 * Suspend (DUDMQ) and the SUSPENDED callback: from here the VM is stopped.
 * @t_suspended is set once the source is suspended.
 */
int hmlm_mig_stop_source(struct mig *m, uint64_t *t_suspended)
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
	ret = hmlm_mig_suspend(m->src, m->no_queue ? 0 : HMLM_SUSPEND_DUDMQ,
			       tmo, m->deadline_ns);
	if (ret)
		return hmlm_mig_fail(m, HMLM_STEP_SUSPEND, ret);
	*t_suspended = hmlm_now_ns();
	m->r->suspend_ns = *t_suspended - t0;
	m->stopped = 1;
	return hmlm_mig_progress(m, HMLM_PHASE_SUSPENDED);
}

/*
 * The stop-and-copy without a migration queue: nothing told what changed,
 * so every allocated LBA is copied (and every gap zeroed) while the source
 * is suspended.
 */
static int stop_and_copy_all(struct mig *m)
{
	uint64_t t0 = hmlm_now_ns();
	int ret;

	m->round++;
	m->round_bytes = &m->r->stopcopy_bytes;
	ret = hmlm_mig_write_round(m, HMLM_STREAM_ROUND_FINAL, 0);
	if (!ret)
		ret = hmlm_mig_progress(m, HMLM_PHASE_STOPCOPY);
	if (!ret)
		ret = hmlm_mig_fail(m, HMLM_STEP_COPY, hmlm_mig_full_pass(m));
	m->r->stopcopy_ns = hmlm_now_ns() - t0;
	return ret;
}

/*
 * After hmlm_mig_stop_source(): the drain to the "suspended" marker, the
 * stop-and-copy. With @fc, a set that fits one batch is only planned and
 * its reads submitted: hmlm_mig_final_copy_write() and
 * hmlm_mig_final_copy_done() finish it.
 */
int hmlm_mig_finish_source(struct mig *m, struct final_copy *fc)
{
	uint64_t t0, dirty, tick, now;
	unsigned int markers;
	int ret;

	if (m->no_queue)
		return stop_and_copy_all(m);

	/*
	 * The device posts "suspended" and deletes the queue: read to EOF,
	 * within DRAIN_TIMEOUT_MS and the deadline, the callback asked every
	 * WAIT_SLICE_MS.
	 */
	t0 = hmlm_now_ns();
	tick = t0 + WAIT_SLICE_MS * 1000000ULL;
	for (;;) {
		ret = hmlm_log_collect(m->log, m->dirty, WAIT_SLICE_MS);
		/* a signal cut the wait short: what was read is in the set */
		if (ret < 0 && ret != -EINTR)
			return hmlm_mig_fail(m, HMLM_STEP_DRAIN, ret);
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
			return hmlm_mig_fail(m, HMLM_STEP_DRAIN, -ETIMEDOUT);
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
	ret = hmlm_mig_write_round(m, HMLM_STREAM_ROUND_FINAL, dirty);
	if (!ret)
		ret = hmlm_mig_progress(m, HMLM_PHASE_STOPCOPY);
	if (!ret && ((markers & HMLM_LOG_SEEN_FULL) || m->need_full)) {
		m->r->queue_full_events++;
		ret = hmlm_mig_dirty_clear(m);
		if (!ret)
			ret = hmlm_mig_full_pass(m);
	} else if (!ret && fc) {
		ret = final_copy_plan(m, fc);
		if (ret > 0) {
			fc->t0 = t0;
			final_copy_reads(m, fc);
			return fc->ret;
		}
	}
	if (!ret)
		ret = hmlm_mig_copy_dirty(m);
	m->r->stopcopy_ns = hmlm_now_ns() - t0;
	return hmlm_mig_fail(m, HMLM_STEP_COPY, ret);
}

/*
 * The last memory report (Track Receive until SUSP). Tracking of a
 * suspended controller cannot be stopped (Controller Suspended): the
 * cancel path stops it after the Resume.
 */
int hmlm_mig_mem_final(struct mig *m)
{
	uint64_t t0 = hmlm_now_ns();
	int ret;

	/* no tracking: the caller learns that every page may be dirty */
	if (m->mem_all)
		ret = hmlm_mig_mem_report(m, m->p.mem_ranges,
					  m->p.nr_mem_ranges);
	else
		ret = hmlm_mig_mem_drain(m, 1);

	m->r->mem_drain_ns = hmlm_now_ns() - t0;
	return ret;
}

int hmlm_mig_run_suspended(struct mig *m, uint64_t *t_suspended)
{
	int ret = hmlm_mig_stop_source(m, t_suspended);

	if (!ret)
		ret = hmlm_mig_finish_source(m, NULL);
	return ret ? ret : hmlm_mig_mem_final(m);
}
