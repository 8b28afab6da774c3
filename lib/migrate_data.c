// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * hmlm_migrate_data(): the namespace data of a controller that another
 * party migrates (QEMU, through nvme-hmlm-vfio-pci), moved beside it on a
 * data session. While the VM runs: the pre-copy, then a round whenever the
 * migration queue reports changed LBAs. Once the caller says the source is
 * suspended (its @stopped_fd turns readable: QEMU is held at
 * pre-switchover): the drain of the queue to the "suspended" record the
 * holder's Suspend posted, the last copy and the flush of the targets.
 * Nothing is sent to either controller but Get LBA Status and the queue's
 * commands; the targets are written through their block devices.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <linux/nvme_hmlm.h>

#include "internal.h"
#include "migrate_int.h"

/*
 * Between two rounds while the VM writes: the changes of this long
 * coalesce into one round (a busy VM rewrote its hot LBAs in hundreds of
 * tiny rounds a second), and at most this much is left for the stop.
 */
#define ROUND_GAP_MS	20

/*
 * Waits up to @ms for @stopped_fd or, with @log, for the log (if there is
 * one: poll() skips a negative fd): 1 when the caller said the source is
 * suspended, 0 otherwise (a signal included), or -errno.
 */
static int wait_stop_or_log(struct mig *m, int stopped_fd, int log, int ms)
{
	struct pollfd p[2] = {
		{ .fd = stopped_fd, .events = POLLIN },
		{ .fd = log ? hmlm_log_fd(m->log) : -1, .events = POLLIN },
	};
	int n = poll(p, 2, ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (p[0].revents & POLLNVAL)
		return -EBADF;
	return (p[0].revents & (POLLIN | POLLHUP | POLLERR)) ? 1 : 0;
}

/*
 * One round over what the queue reported: a full pass after the queue
 * overflowed, else the dirty extents. Rounds past HMLM_MIGRATE_MAX_ROUNDS
 * count in the report's last round_bytes.
 */
static int data_round(struct mig *m)
{
	uint64_t dirty = hmlm_extents_bytes(m->dirty, HMLM_NSID_ALL);
	int ret;

	if (m->round < HMLM_MIGRATE_MAX_ROUNDS)
		m->round++;
	m->r->rounds++;
	m->round_bytes = &m->r->round_bytes[m->round];
	m->prog.dirty_bytes = dirty;
	m->prog.bytes_total += dirty;
	ret = hmlm_mig_progress(m, HMLM_PHASE_ROUND);
	if (ret)
		return ret;
	if (m->need_full) {
		m->need_full = 0;
		ret = hmlm_mig_dirty_clear(m);
		if (!ret)
			ret = hmlm_mig_full_pass(m);
	} else {
		ret = hmlm_mig_copy_dirty(m);
	}
	return hmlm_mig_fail(m, HMLM_STEP_COPY, ret);
}

/* While the source runs: until the caller says it is suspended. */
static int data_live(struct mig *m, int stopped_fd)
{
	int ret;

	ret = hmlm_log_start(m->src, m->p.log_entries, 0, &m->log);
	if (ret)
		return hmlm_mig_fail(m, HMLM_STEP_LOG_START, ret);
	m->round_bytes = &m->r->round_bytes[0];
	ret = hmlm_mig_progress(m, HMLM_PHASE_PRECOPY);
	if (!ret)
		ret = hmlm_mig_fail(m, HMLM_STEP_COPY, hmlm_mig_full_pass(m));
	while (!ret) {
		ret = hmlm_mig_poll_log(m);
		if (ret)
			break;
		/* without a queue a copy would miss what changes after it */
		if (m->log && (m->need_full || hmlm_extents_count(m->dirty))) {
			ret = data_round(m);
			if (!ret)
				ret = wait_stop_or_log(m, stopped_fd, 0,
						       ROUND_GAP_MS);
		} else {
			ret = wait_stop_or_log(m, stopped_fd, 1, WAIT_SLICE_MS);
			if (!ret)
				ret = hmlm_mig_progress(m, HMLM_PHASE_ROUND);
		}
		if (ret == 1)
			return 0;
	}
	return ret;
}

/*
 * The source is suspended: the queue read until its last record is the
 * "suspended" one and nothing follows, within DRAIN_TIMEOUT_MS. A queue
 * that overflowed lost changes: everything is copied again. Without a
 * queue (it overflowed and the source was suspended since) need_full is
 * set already.
 */
static int data_drain(struct mig *m)
{
	uint64_t t0 = hmlm_now_ns();
	unsigned int markers;
	int n, wait = 0, ret;

	if (!m->log)
		return 0;
	for (;;) {
		n = hmlm_log_collect(m->log, m->dirty, wait);
		if (n < 0 && n != -EINTR)
			return hmlm_mig_fail(m, HMLM_STEP_DRAIN, n);
		markers = hmlm_log_markers(m->log);
		if (markers & HMLM_LOG_SEEN_FULL) {
			m->r->queue_full_events++;
			m->need_full = 1;
			break;
		}
		/* the queue ended without a Suspend of the source: not ours */
		if (markers & HMLM_LOG_SEEN_EOF)
			return hmlm_mig_fail(m, HMLM_STEP_DRAIN, -EPROTO);
		if (n == 0 && hmlm_log_last_marker(m->log) ==
			      HMLM_LOG_MARK_SUSPENDED)
			break;
		wait = n > 0 ? 0 : WAIT_SLICE_MS;
		if (n > 0)
			continue;
		ret = hmlm_mig_progress(m, HMLM_PHASE_SUSPENDED);
		if (ret)
			return ret;
		if (hmlm_now_ns() - t0 > DRAIN_TIMEOUT_MS * 1000000ULL)
			return hmlm_mig_fail(m, HMLM_STEP_DRAIN, -ETIMEDOUT);
	}
	m->r->log_drain_ns = hmlm_now_ns() - t0;
	return 0;
}

/* The last copy and the flush: from here the target holds everything. */
static int data_finish(struct mig *m)
{
	uint64_t t0 = hmlm_now_ns(), dirty;
	unsigned int i;
	int ret;

	m->round_bytes = &m->r->stopcopy_bytes;
	dirty = hmlm_extents_bytes(m->dirty, HMLM_NSID_ALL);
	m->prog.dirty_bytes = dirty;
	m->prog.bytes_total += dirty;
	ret = hmlm_mig_progress(m, HMLM_PHASE_STOPCOPY);
	if (!ret && m->need_full) {
		ret = hmlm_mig_dirty_clear(m);
		if (!ret)
			ret = hmlm_mig_full_pass(m);
	} else if (!ret) {
		ret = hmlm_mig_copy_dirty(m);
	}
	hmlm_mig_fail(m, HMLM_STEP_COPY, ret);
	m->r->stopcopy_ns = hmlm_now_ns() - t0;
	for (i = 0; i < m->nr_ns && !ret; i++)
		ret = hmlm_mig_fail(m, HMLM_STEP_FLUSH,
				    hmlm_bdev_sync(&m->ns[i].dst));
	return ret;
}

/*
 * A target that is its own source would be read while it is written: the
 * same file or disk, or the same NSID of the source's subsystem through
 * another disk (another controller, a multipath node).
 */
static int check_distinct(const struct mig *m)
{
	struct stat a, b;
	unsigned int i;

	for (i = 0; i < m->nr_ns; i++) {
		const struct mig_ns *n = &m->ns[i];

		if (fstat(n->src.fd, &a) || fstat(n->dst.fd, &b))
			return -errno;
		if ((S_ISBLK(a.st_mode) && S_ISBLK(b.st_mode) &&
		     a.st_rdev == b.st_rdev) ||
		    (a.st_dev == b.st_dev && a.st_ino == b.st_ino))
			return -EINVAL;
		if (n->map->src_nsid == n->map->dst_nsid &&
		    hmlm_bdev_in_subsys(&n->dst, m->src->mmc_fd))
			return -EINVAL;
	}
	return 0;
}

static int data_plan(struct mig *m)
{
	struct hmlm_caps sc;
	int ret = hmlm_mig_fail(m, HMLM_STEP_IDENTIFY, hmlm_caps_get(m->src, &sc));

	if (ret)
		return ret;
	if (!(sc.flags & HMLM_CAP_HMLMS))
		m->r->err_missing = HMLM_MISSING_HMLMS;
	else if (!sc.max_udmq || !(sc.flags & HMLM_CAP_TRACK_LBA))
		m->r->err_missing = HMLM_MISSING_QUEUE;
	return m->r->err_missing ?
	       hmlm_mig_fail(m, HMLM_STEP_PLAN, -EOPNOTSUPP) : 0;
}

int hmlm_mig_data(struct hmlm_session *src, const struct hmlm_ns_map *ns,
		  unsigned int nr_ns, int stopped_fd,
		  const struct hmlm_migrate_params *params,
		  struct hmlm_migrate_report *report)
{
	struct mig m;
	uint64_t t0;
	int ret;

	memset(report, 0, sizeof(*report));
	if (!src || stopped_fd < 0 ||
	    (params->flags & ~(HMLM_MIGRATE_NO_ALLOC | HMLM_MIGRATE_NO_REDUCED)) ||
	    (params->mem_ranges && params->nr_mem_ranges) ||
	    params->target_caps || params->recv_timeout_us)
		return -EINVAL;
	ret = hmlm_mig_check_map(ns, nr_ns);
	if (ret)
		return ret;
	memset(&m, 0, sizeof(m));
	m.src = src;
	m.r = report;
	m.beside = 1;
	hmlm_mig_params_defaults(&m.p, params);
	m.cancel_ok = 1;

	ret = data_plan(&m);
	if (!ret)
		ret = hmlm_mig_fail(&m, HMLM_STEP_SETUP,
				    hmlm_mig_setup(&m, ns, nr_ns, 1));
	if (!ret)
		ret = hmlm_mig_fail(&m, HMLM_STEP_SETUP, check_distinct(&m));
	if (!ret)
		ret = data_live(&m, stopped_fd);
	if (ret)
		goto out;

	/* == the source is suspended: the caller holds the switchover == */
	t0 = hmlm_now_ns();
	m.stopped = 1;
	if (m.p.stop_deadline_us)
		m.deadline_ns = t0 + m.p.stop_deadline_us * 1000;
	ret = hmlm_mig_progress(&m, HMLM_PHASE_SUSPENDED);
	if (!ret)
		ret = data_drain(&m);
	if (!ret)
		ret = data_finish(&m);
	if (!ret)
		ret = hmlm_mig_deadline(&m);
	report->downtime_ns = hmlm_now_ns() - t0;
	if (!ret) {
		hmlm_mig_budget_check(&m);
		hmlm_mig_progress(&m, HMLM_PHASE_DONE);
	}
out:
	if (m.log)
		report->log_records += hmlm_log_records(m.log);
	if (ret == -EIO)
		report->nvme_status = hmlm_session_nvme_status(src);
	hmlm_mig_free(&m);
	return ret;
}
