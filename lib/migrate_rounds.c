// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * While the source runs: logging and memory tracking start, the pre-copy,
 * then dirty rounds until the convergence rule, and the settle round.
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
 * A new queue after one overflowed. Beside a holder (hmlm_migrate_data())
 * the source may be suspended by now, a VM paused or the switchover's
 * stop: Track Send is then refused with Controller Suspended and nothing
 * changes until a Resume. The log stays NULL, the next poll tries again,
 * and need_full keeps the next copy a full one.
 */
static int log_restart(struct mig *m)
{
	int ret;

	if (m->log)
		m->r->log_records += hmlm_log_records(m->log);
	hmlm_log_close(m->log);
	m->log = NULL;
	ret = hmlm_log_start(m->src, m->p.log_entries, 0, &m->log);
	if (ret == -EIO && m->beside &&
	    (hmlm_session_nvme_status(m->src) & NVME_STATUS_SCT_SC) ==
	    NVME_STATUS_SUSP)
		return 0;
	return ret;
}

/*
 * Reads what the queue holds into the dirty set, without waiting; called
 * between rounds and after every copied chunk. A full queue lost changes:
 * logging restarts at once and the next round boundary copies everything
 * allocated again (need_full).
 */
int hmlm_mig_poll_log(struct mig *m)
{
	int ret;

	if (!m->log)
		return m->beside ?
		       hmlm_mig_fail(m, HMLM_STEP_LOG_START, log_restart(m)) : 0;
	ret = hmlm_log_collect(m->log, m->dirty, 0);
	/* a signal: what was read is in the set, the rest comes next time */
	if (ret < 0 && ret != -EINTR)
		return hmlm_mig_fail(m, HMLM_STEP_LOG_READ, ret);
	if (!(hmlm_log_markers(m->log) & HMLM_LOG_SEEN_FULL))
		return 0;
	m->r->queue_full_events++;
	m->need_full = 1;
	return hmlm_mig_fail(m, HMLM_STEP_LOG_START, log_restart(m));
}

int hmlm_mig_mem_report(struct mig *m, const struct hmlm_mem_range *r,
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
			return hmlm_mig_fail(m, HMLM_STEP_STREAM, ret);
	}
	if (m->p.mem_dirty) {
		uint64_t t0 = m->stopped ? hmlm_now_ns() : 0;

		ret = m->p.mem_dirty(r, n, m->p.mem_arg);
		if (m->stopped)
			m->r->callback_ns += hmlm_now_ns() - t0;
		if (ret)
			return hmlm_mig_fail(m, HMLM_STEP_CALLBACK, -ECANCELED);
	}
	return 0;
}

int hmlm_mig_mem_drain(struct mig *m, int final)
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
			ret = hmlm_mig_fail(m, HMLM_STEP_MEM_TRACK_RECV, n);
			break;
		}
		ret = hmlm_mig_mem_report(m, r, (unsigned int)n);
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

void hmlm_mig_mem_stop(struct mig *m)
{
	if (m->mem_tracking)
		hmlm_mem_track_stop(m->src);
	m->mem_tracking = 0;
}

int hmlm_mig_write_round(struct mig *m, uint32_t flags, uint64_t dirty)
{
	struct hmlm_stream_round rr = {
		.round = m->round, .flags = flags, .dirty_bytes = dirty,
	};

	return m->w ? hmlm_mig_fail(m, HMLM_STEP_STREAM,
				    hmlm_stream_write_round(m->w, &rr)) : 0;
}

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

static int copy_round(struct mig *m, uint64_t dirty)
{
	int ret;

	m->round++;
	m->r->rounds = m->round;
	m->round_bytes = &m->r->round_bytes[m->round];
	m->prog.dirty_bytes = dirty;
	m->prog.bytes_total += dirty;
	ret = hmlm_mig_write_round(m, 0, dirty);
	if (!ret)
		ret = hmlm_mig_progress(m, HMLM_PHASE_ROUND);
	if (!ret)
		ret = hmlm_mig_fail(m, HMLM_STEP_COPY, hmlm_mig_copy_dirty(m));
	return ret;
}

static int full_round(struct mig *m)
{
	int ret;

	m->need_full = 0;
	m->round++;
	m->r->rounds = m->round;
	m->round_bytes = &m->r->round_bytes[m->round];
	ret = hmlm_mig_write_round(m, 0,
				   hmlm_extents_bytes(m->dirty, HMLM_NSID_ALL));
	if (!ret)
		ret = hmlm_mig_progress(m, HMLM_PHASE_ROUND);
	if (!ret)
		ret = hmlm_mig_dirty_clear(m);
	if (!ret)
		ret = hmlm_mig_fail(m, HMLM_STEP_COPY, hmlm_mig_full_pass(m));
	return ret;
}

int hmlm_mig_run_live(struct mig *m)
{
	uint64_t dirty, prev = UINT64_MAX;
	unsigned int stalled = 0;
	int ret;

	m->cancel_ok = 1;
	if (m->p.mem_ranges && m->p.nr_mem_ranges && !m->mem_all) {
		struct hmlm_mem_limits lim;

		ret = hmlm_mem_track_start(m->src, m->p.mem_ranges,
					   m->p.nr_mem_ranges, m->p.mem_gran,
					   &lim);
		if (ret)
			return hmlm_mig_fail(m, HMLM_STEP_MEM_TRACK_START, ret);
		m->mem_tracking = 1;
	}
	m->round = 0;
	m->round_bytes = &m->r->round_bytes[0];
	/* no queue: nothing tells what changes, all is copied when stopped */
	if (m->no_queue)
		return 0;
	ret = hmlm_log_start(m->src, m->p.log_entries, 0, &m->log);
	if (ret)
		return hmlm_mig_fail(m, HMLM_STEP_LOG_START, ret);

	ret = hmlm_mig_progress(m, HMLM_PHASE_PRECOPY);
	if (!ret)
		ret = hmlm_mig_fail(m, HMLM_STEP_COPY, hmlm_mig_full_pass(m));
	if (ret)
		return ret;

	for (;;) {
		ret = hmlm_mig_poll_log(m);
		if (!ret)
			ret = hmlm_mig_mem_drain(m, 0);
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
 * After the rounds converged: what the VM changed while the target was
 * suspended and the rounds' writes flushed, copied while it still runs
 * (one more round, within max_rounds). The stop-and-copy keeps only what
 * changes from here to the Suspend.
 */
int hmlm_mig_settle_round(struct mig *m)
{
	uint64_t dirty;
	int ret = hmlm_mig_poll_log(m);

	if (!ret && m->need_full && m->round < m->p.max_rounds) {
		/* the queue filled meanwhile: recopy now, not in the downtime */
		ret = full_round(m);
		if (!ret)
			ret = hmlm_mig_poll_log(m);
	}
	if (ret || m->need_full || m->round >= m->p.max_rounds)
		return ret;	/* a full queue: the stop-and-copy recopies */
	dirty = hmlm_extents_bytes(m->dirty, HMLM_NSID_ALL);
	return dirty ? copy_round(m, dirty) : 0;
}
