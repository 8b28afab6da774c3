// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The hand-over and the way back: the target's flush, the source's KEEP
 * (the commit point), the cancel path that resumes the source.
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
 * The target's flush as asynchronous fdatasync: how many were submitted
 * (0: none, hmlm_mig_sync_wait() flushes synchronously).
 */
int hmlm_mig_sync_start(struct mig *m)
{
	unsigned int n;
	int ret;

	if (m->nr_ns > BATCH_IOS || !hmlm_mig_batch_ready(m))
		return 0;
	n = hmlm_mig_ring_submit_fdsync(m, &ret);
	if (n == m->nr_ns)
		return (int)n;
	/* none or part went: wait for those, then flush synchronously */
	if (n)
		hmlm_mig_ring_wait_all(m, n, 0);
	return 0;
}

int hmlm_mig_sync_wait(struct mig *m, int nr)
{
	unsigned int i;
	int ret = 0, err = 0;
	long k;

	if (!nr) {
		for (i = 0; i < m->nr_ns && !ret; i++)
			ret = hmlm_bdev_sync(&m->ns[i].dst);
		return hmlm_mig_fail(m, HMLM_STEP_FLUSH, ret);
	}
	k = hmlm_mig_ring_reap(m, nr, &ret, &err);
	if (k < 0)
		return (int)k;
	/* no asynchronous fsync here, or io_uring could not run it */
	if (ret == -EINVAL || ret == -ECANCELED) {
		m->ring_not_run = 0;
		ret = hmlm_mig_sync_wait(m, 0);
	}
	return ret ? hmlm_mig_fail(m, HMLM_STEP_FLUSH, ret) : err;
}

/*
 * A Suspend that a signal does not fail. A wait cut short by a signal (a
 * daemon's timer, io_uring's task work on this thread) leaves the command
 * in flight and the kernel answers EBUSY until it completes; then it is
 * sent again, and a repeated Suspend succeeds (TP4159: "repeating a
 * suspend with the same STYPE is not an error"). @end_ns bounds the
 * retries (0: the admin timeout from now); @tmo_ms each Suspend's wait.
 */
int hmlm_mig_suspend(struct hmlm_session *s, unsigned int flags,
		     unsigned int tmo_ms, uint64_t end_ns)
{
	int ret;

	if (!end_ns)
		end_ns = hmlm_now_ns() + RESUME_WAIT_MS * 1000000ULL;
	for (;;) {
		ret = hmlm_suspend(s, flags, tmo_ms);
		if ((ret != -EINTR && ret != -EBUSY) || hmlm_now_ns() > end_ns)
			return ret;
		if (ret == -EBUSY)
			usleep(1000);
	}
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
	hmlm_mig_mem_stop(m);
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
		ret = hmlm_mig_fail(m, HMLM_STEP_KEEP,
				    hmlm_mig_suspend(m->src, HMLM_SUSPEND_KEEP,
						     0, m->deadline_ns));
	if (!ret)
		m->committed = 1;
	return ret;
}
