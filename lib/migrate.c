// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The migration orchestrator: hmlm_migrate() step by step, and what its
 * phases share (arguments, the plan from the capabilities, progress,
 * deadline, failure steps, errors in words). The phases live in their
 * own files, in the order they run:
 *
 *   migrate_precopy.c   the allocated LBAs, copied while the VM runs
 *   migrate_rounds.c    logging, memory tracking, the dirty rounds
 *   migrate_stop.c      Suspend, drain, the stop-and-copy   <- downtime
 *   migrate_handover.c  flush, KEEP, Resume, the cancel path
 *   migrate_io.c        the data movers all of them use
 *   migrate_stream.c    hmlm_migrate_out() and hmlm_migrate_in()
 *   migrate_data.c      hmlm_migrate_data(): the data beside QEMU
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
 * @ret, and when it is an error the first one: what failed (@step) goes
 * to the report.
 */
int hmlm_mig_fail(struct mig *m, enum hmlm_step step, int ret)
{
	if (ret && !m->r->err_step)
		m->r->err_step = step;
	return ret;
}

/*
 * -ETIMEDOUT once the stop-phase deadline passed (until the hand-over's
 * commit point: after it the source cannot resume).
 */
int hmlm_mig_deadline(struct mig *m)
{
	if (!m->deadline_ns || m->committed || hmlm_now_ns() <= m->deadline_ns)
		return 0;
	m->r->flags |= HMLM_REPORT_DEADLINE;
	return hmlm_mig_fail(m, HMLM_STEP_DEADLINE, -ETIMEDOUT);
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
			return hmlm_mig_fail(m, HMLM_STEP_CALLBACK, -ECANCELED);
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

struct mig_ns *hmlm_mig_ns_by_src(struct mig *m, uint32_t nsid)
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
	hmlm_mig_ring_free(m);
	free(m->buf);
	free(m->batch_buf);
}

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
			/* hmlm_migrate_data(): no target session */
			ret = hmlm_bdev_check(&n->dst,
					      m->dst ? m->dst->mmc_fd : -1,
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

void hmlm_mig_budget_check(struct mig *m)
{
	if (m->p.downtime_budget_us &&
	    m->r->downtime_ns > m->p.downtime_budget_us * 1000ULL)
		m->r->flags |= HMLM_REPORT_BUDGET_EXCEEDED;
}

static int refuse(struct mig *m, uint32_t missing)
{
	m->r->err_missing = missing;
	return hmlm_mig_fail(m, HMLM_STEP_PLAN, -EOPNOTSUPP);
}

/*
 * The flow, planned from the capabilities of the source (@sc) and of the
 * target (@dc; NULL for a stream) before the source is touched: a reduced
 * flow where the device implements a subset (reported), or -EOPNOTSUPP
 * naming what is missing when no correct flow exists or the caller asked
 * for the full one (HMLM_MIGRATE_NO_REDUCED). @fmt: the state format.
 */
int hmlm_mig_plan(struct mig *m, const struct hmlm_caps *sc,
		  const struct hmlm_caps *dc, struct hmlm_state_fmt *fmt)
{
	int strict = m->p.flags & HMLM_MIGRATE_NO_REDUCED;

	if (!(sc->flags & HMLM_CAP_HMLMS))
		return refuse(m, HMLM_MISSING_HMLMS);
	if (dc && !(dc->flags & HMLM_CAP_HMLMS))
		return refuse(m, HMLM_MISSING_HMLMS | HMLM_MISSING_TARGET);
	if (hmlm_state_fmt_common(sc, dc, fmt))
		return refuse(m, HMLM_MISSING_STATE_FMT |
			      (sc->num_state_versions || sc->num_state_uuids ?
			       HMLM_MISSING_TARGET : 0));
	if (!(fmt->flags & HMLM_STATE_VENDOR)) {
		if (strict)
			return refuse(m, HMLM_MISSING_VENDOR_STATE |
				      (sc->num_state_uuids ?
				       HMLM_MISSING_TARGET : 0));
		m->r->flags |= HMLM_REPORT_NVME_STATE;
	}
	if (!sc->max_udmq || !(sc->flags & HMLM_CAP_TRACK_LBA)) {
		if (strict)
			return refuse(m, HMLM_MISSING_QUEUE);
		m->no_queue = 1;
		m->r->flags |= HMLM_REPORT_NO_QUEUE;
	}
	if (m->p.mem_ranges && m->p.nr_mem_ranges &&
	    !(sc->flags & HMLM_CAP_TRACK_MEM)) {
		if (strict)
			return refuse(m, HMLM_MISSING_MEM_TRACK);
		m->mem_all = 1;
		m->r->flags |= HMLM_REPORT_MEM_ALL;
	}
	return 0;
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
	if (!ret) {
		failed = dst;
		ret = hmlm_caps_get(dst, &dc);
	}
	if (!ret)
		failed = src;
	ret = hmlm_mig_fail(&m, HMLM_STEP_IDENTIFY, ret);
	if (!ret)
		ret = hmlm_mig_plan(&m, &sc, &dc, &fmt);
	if (!ret)
		ret = hmlm_mig_fail(&m, HMLM_STEP_SETUP,
				    hmlm_mig_setup(&m, ns, nr_ns, 1));
	/* == live: pre-copy and rounds (migrate_rounds.c, _precopy.c) == */
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
	ret = hmlm_mig_suspend(dst, HMLM_SUSPEND_KEEP, 0, 0);
	if (ret) {
		failed = dst;
		hmlm_mig_fail(&m, HMLM_STEP_TARGET_SUSPEND, ret);
		goto cancel;
	}
	m.dst_suspended = 1;
	/*
	 * What the rounds wrote reaches the target's media while the source
	 * still runs: the flush after the stop-and-copy has little left (the
	 * settle round's writes and its own).
	 */
	for (i = 0; i < m.nr_ns && !ret; i++)
		ret = hmlm_mig_fail(&m, HMLM_STEP_FLUSH,
				    hmlm_bdev_sync(&m.ns[i].dst));
	if (!ret && (report->flags & HMLM_REPORT_CONVERGED))
		ret = hmlm_mig_settle_round(&m);
	if (ret)
		goto cancel;

	/* ======== stop: the downtime starts here (migrate_stop.c) ======== */
	t_start = hmlm_now_ns();
	ret = hmlm_mig_stop_source(&m, &t_suspended);
	if (!ret)
		ret = hmlm_mig_finish_source(&m, &fc);
	/*
	 * The stop-and-copy's reads run while the last memory report is
	 * read, its writes while the state is read, the flush of them while
	 * the state is set: the target resumes once all completed.
	 */
	if (!ret)
		ret = hmlm_mig_mem_final(&m);
	r2 = hmlm_mig_final_copy_write(&m, &fc, !ret);
	if (!ret)
		ret = hmlm_mig_fail(&m, HMLM_STEP_COPY, r2);
	if (!ret) {
		t0 = hmlm_now_ns();
		ret = hmlm_state_get_caps(src, &sc, &fmt, STATE_SIZE_HINT, &st);
		hmlm_mig_fail(&m, HMLM_STEP_STATE_GET, ret);
		report->state_get_ns = hmlm_now_ns() - t0;
		report->state_bytes = st.len;
	}
	r2 = hmlm_mig_final_copy_done(&m, &fc);
	if (!ret)
		ret = hmlm_mig_fail(&m, HMLM_STEP_COPY, r2);
	if (ret)
		goto cancel;
	syncing = hmlm_mig_sync_start(&m);
	/* ====== hand-over: state, KEEP, Resume (migrate_handover.c) ====== */
	m.cancel_ok = 0;
	/* no cancel from here; the deadline still holds until the commit */
	ret = hmlm_mig_progress(&m, HMLM_PHASE_STATE);
	if (ret) {
		if (syncing)
			hmlm_mig_sync_wait(&m, syncing);
		goto cancel;
	}
	t0 = hmlm_now_ns();
	m.dst_state_sent = 1;
	ret = hmlm_state_set_caps(dst, &dc, &st);
	hmlm_mig_fail(&m, HMLM_STEP_STATE_SET, ret);
	r2 = hmlm_mig_sync_wait(&m, syncing);
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
		hmlm_mig_fail(&m, HMLM_STEP_RESUME, ret);
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

_Static_assert(offsetof(struct hmlm_migrate_params, stop_deadline_us) ==
	       HMLM_MIGRATE_PARAMS_SIZE_VER0, "the 0.3 params layout");
_Static_assert(offsetof(struct hmlm_migrate_params, recv_timeout_us) ==
	       HMLM_MIGRATE_PARAMS_SIZE_VER1, "the first 0.4 params layout");
_Static_assert(offsetof(struct hmlm_migrate_report, err_missing) + 4 ==
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

HMLM_EXPORT int hmlm_migrate_data(struct hmlm_session *src,
				  const struct hmlm_ns_map *ns,
				  unsigned int nr_ns, int stopped_fd,
				  const struct hmlm_migrate_params *params,
				  struct hmlm_migrate_report *report)
{
	struct hmlm_migrate_params p;
	struct hmlm_migrate_report r;
	int ret = mig_args(params, report, &p);

	if (ret)
		return ret;
	ret = hmlm_mig_data(src, ns, nr_ns, stopped_fd, &p, &r);
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

static const struct {
	const char *what, *cmd;	/* the step; its NVMe command, if any */
} steps[] = {
	[HMLM_STEP_NONE] = { "migrating", NULL },
	[HMLM_STEP_IDENTIFY] = { "reading the capabilities",
				 "Identify (NVME_HMLM_GET_CAPS)" },
	[HMLM_STEP_PLAN] = { "planning the migration", NULL },
	[HMLM_STEP_SETUP] = { "opening the namespaces' block devices", NULL },
	[HMLM_STEP_MEM_TRACK_START] = { "starting memory tracking",
					"Track Send (SEL 1h, start)" },
	[HMLM_STEP_LOG_START] = { "starting the migration queue",
				  "Create CDQ / Track Send (SEL 0h)" },
	[HMLM_STEP_ALLOC] = { "reading the allocated LBAs",
			      "Get LBA Status (ATYPE 02h)" },
	[HMLM_STEP_COPY] = { "copying namespace data", NULL },
	[HMLM_STEP_LOG_READ] = { "reading the migration queue", NULL },
	[HMLM_STEP_MEM_TRACK_RECV] = { "reading dirty memory ranges",
				       "Track Receive" },
	[HMLM_STEP_TARGET_SUSPEND] = { "suspending the target",
				       "Migration Send (Suspend)" },
	[HMLM_STEP_FLUSH] = { "flushing the target's namespaces", NULL },
	[HMLM_STEP_SUSPEND] = { "suspending the source",
				"Migration Send (Suspend)" },
	[HMLM_STEP_DRAIN] = { "draining the migration queue after the Suspend",
			      NULL },
	[HMLM_STEP_STATE_GET] = { "reading the controller state",
				  "Migration Receive (Get Controller State)" },
	[HMLM_STEP_STATE_SET] = { "setting the controller state on the target",
				  "Migration Send (Set Controller State)" },
	[HMLM_STEP_KEEP] = { "keeping the source suspended",
			     "Migration Send (Suspend)" },
	[HMLM_STEP_RESUME] = { "resuming the target",
			       "Migration Send (Resume)" },
	[HMLM_STEP_STREAM] = { "writing or reading the migration stream",
			       NULL },
	[HMLM_STEP_CALLBACK] = { "in a callback", NULL },
	[HMLM_STEP_DEADLINE] = { "stopping the source: stop_deadline_us passed",
				 NULL },
};

static const struct {
	uint32_t bit;
	const char *what;
} missing_caps[] = {
	{ HMLM_MISSING_HMLMS, "is not a Migration Management Controller "
			      "(OACS.HMLMS 0)" },
	{ HMLM_MISSING_STATE_FMT, "lists no controller state format the other "
				  "side lists (CNS 20h)" },
	{ HMLM_MISSING_VENDOR_STATE, "lists no vendor specific state format in "
				     "common (CNS 20h NUUID)" },
	{ HMLM_MISSING_QUEUE, "has no user data migration queue "
			      "(MCUDMQ 0 or TRATTR.TUDCS 0)" },
	{ HMLM_MISSING_MEM_TRACK, "cannot track host memory "
				  "(TRATTR.THMCS 0)" },
};

static const char *nvme_status_name(uint16_t status)
{
	switch (status & 0x7ff) {
	case 0x001: return "Invalid Command Opcode";
	case 0x002: return "Invalid Field in Command";
	case 0x006: return "Internal Error";
	case 0x00c: return "Command Sequence Error";
	case 0x11f: return "Invalid Controller Identifier";
	case 0x137: return "Invalid Controller Data Queue";
	case 0x138: return "Not Enough Resources";
	case 0x139: return "Controller Suspended";
	case 0x13a: return "Controller Not Suspended";
	case 0x13b: return "Controller Data Queue Full";
	}
	return "status";
}

HMLM_EXPORT int hmlm_migrate_strerror(const struct hmlm_migrate_report *r,
				      int err, char *buf, size_t len)
{
	uint32_t step = r ? r->err_step : HMLM_STEP_NONE;
	const char *what, *cmd;
	unsigned int i;

	if (!buf || !len)
		return -EINVAL;
	if (step >= sizeof(steps) / sizeof(steps[0]))
		step = HMLM_STEP_NONE;
	what = steps[step].what;
	cmd = steps[step].cmd;
	if (step == HMLM_STEP_PLAN && r->err_missing) {
		for (i = 0; i < sizeof(missing_caps) / sizeof(missing_caps[0]);
		     i++)
			if (r->err_missing & missing_caps[i].bit)
				return snprintf(buf, len, "%s: the %s %s",
						what,
						r->err_missing &
						HMLM_MISSING_TARGET ?
						"target" : "source",
						missing_caps[i].what);
	}
	if (err == -EIO && r && r->nvme_status && cmd)
		return snprintf(buf, len,
				"%s: %s failed with NVMe status %#x (%s%s)",
				what, cmd, r->nvme_status,
				nvme_status_name(r->nvme_status),
				r->nvme_status & 0x4000 ? ", DNR" : "");
	if (cmd)
		return snprintf(buf, len, "%s: %s: %s", what, cmd,
				strerror(err < 0 ? -err : err));
	return snprintf(buf, len, "%s: %s", what,
			strerror(err < 0 ? -err : err));
}
