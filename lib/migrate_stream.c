// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Migration over a stream: hmlm_migrate_out() runs the engine of
 * migrate.c with its data written to a migration stream;
 * hmlm_migrate_in() replays a stream on the target.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/nvme_hmlm.h>

#include "internal.h"
#include "migrate_int.h"

/*
 * Set the state on @dst. Set Controller State needs a suspended (or not
 * yet enabled) target; Suspend is idempotent, so the target is suspended
 * first (one admin round trip, as a failed probe would cost). KEEP: a
 * target that may hold the VM's state runs only when this call resumes
 * it, not when the session ends after a failure (the source may run).
 */
static int target_set_state(struct hmlm_session *dst,
			    const struct hmlm_state *st)
{
	int ret = hmlm_mig_suspend(dst, HMLM_SUSPEND_KEEP, 0, 0);

	return ret ? ret : hmlm_state_set(dst, st);
}

/* The stream header's identity of the source: subsystem NQN, serial. */
static void sysfs_attr(int mmc_fd, const char *attr, char *out, size_t len)
{
	char path[128];
	struct stat s;
	ssize_t n;
	int fd;

	out[0] = '\0';
	if (fstat(mmc_fd, &s) || !S_ISCHR(s.st_mode))
		return;
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/%s",
		 major(s.st_rdev), minor(s.st_rdev), attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, out, len - 1);
	close(fd);
	if (n < 0)
		n = 0;
	out[n] = '\0';
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
		out[--n] = '\0';
}

/* hmlm_migrate_out(), its arguments checked (migrate.c) */
int hmlm_mig_out(struct hmlm_session *src, const struct hmlm_ns_map *ns,
		 unsigned int nr_ns, int out_fd,
		 const struct hmlm_migrate_params *params,
		 struct hmlm_migrate_report *report)
{
	struct hmlm_migrate_report dummy;
	struct hmlm_stream_info info;
	struct hmlm_stream_ns *sns = NULL;
	struct hmlm_stream_state ss;
	struct hmlm_state_fmt fmt;
	struct hmlm_state st = { 0 };
	struct hmlm_caps sc;
	struct mig m;
	uint64_t t_start = 0, t_suspended = 0;
	unsigned int i;
	int ret;

	if (!report)
		report = &dummy;
	memset(report, 0, sizeof(*report));
	if (!src || out_fd < 0)
		return -EINVAL;
	ret = hmlm_mig_check_map(ns, nr_ns);
	if (ret)
		return ret;
	memset(&m, 0, sizeof(m));
	m.src = src;
	m.r = report;
	hmlm_mig_params_defaults(&m.p, params);

	ret = hmlm_mig_fail(&m, HMLM_STEP_IDENTIFY, hmlm_caps_get(src, &sc));
	if (!ret)
		ret = hmlm_mig_plan(&m, &sc, NULL, &fmt);
	/*
	 * The state format, agreed with the target's capabilities when the
	 * caller has them (only their state formats count): a target that
	 * cannot take any format the source offers is refused here, before a
	 * byte is written or the source is touched. The HEADER announces the
	 * format, so a target also refuses it before the copy
	 * (hmlm_migrate_in()).
	 */
	if (!ret && m.p.target_caps)
		ret = hmlm_state_fmt_common(&sc, m.p.target_caps, &fmt);
	if (!ret)
		ret = hmlm_mig_fail(&m, HMLM_STEP_SETUP,
				    hmlm_mig_setup(&m, ns, nr_ns, 0));
	if (ret)
		goto cancel;
	sns = calloc(nr_ns, sizeof(*sns));
	if (!sns) {
		ret = -ENOMEM;
		goto cancel;
	}
	memset(&info, 0, sizeof(info));
	info.cntlid = hmlm_session_cntlid(src);
	info.caps = sc.flags;
	sysfs_attr(src->mmc_fd, "subsysnqn", info.subnqn, sizeof(info.subnqn));
	sysfs_attr(src->mmc_fd, "serial", info.serial, sizeof(info.serial));
	for (i = 0; i < nr_ns; i++) {
		sns[i].nsid = ns[i].src_nsid;
		sns[i].lba_size = m.ns[i].src.lba_size;
		sns[i].nlbas = m.ns[i].src.nlbas;
	}
	info.num_ns = nr_ns;
	info.ns = sns;
	info.state_fmt.flags = fmt.flags &
		(HMLM_STREAM_STATE_NVME | HMLM_STREAM_STATE_VENDOR);
	if (fmt.flags & HMLM_STATE_NVME)
		info.state_fmt.nvme_version = fmt.nvme_version;
	if (fmt.flags & HMLM_STATE_VENDOR)
		memcpy(info.state_fmt.uuid, fmt.uuid, 16);
	ret = hmlm_mig_fail(&m, HMLM_STEP_STREAM,
			    hmlm_stream_writer_open(out_fd, &info, 0, &m.w));
	if (!ret)
		ret = hmlm_mig_run_live(&m);
	if (ret)
		goto cancel;

	t_start = hmlm_now_ns();
	ret = hmlm_mig_run_suspended(&m, &t_suspended);
	if (ret)
		goto cancel;
	ret = hmlm_mig_fail(&m, HMLM_STEP_STATE_GET,
			    hmlm_state_get(src, &fmt, &st));
	if (ret)
		goto cancel;
	report->state_bytes = st.len;
	memset(&ss, 0, sizeof(ss));
	if (st.flags & HMLM_STATE_NVME)
		ss.flags |= HMLM_STREAM_STATE_NVME;
	if (st.flags & HMLM_STATE_VENDOR)
		ss.flags |= HMLM_STREAM_STATE_VENDOR;
	ss.nvme_version = st.nvme_version;
	memcpy(ss.uuid, st.uuid, 16);
	ss.data = st.data;
	ss.len = st.len;
	/*
	 * The commit point: the source stays stopped, even after close,
	 * before the target can have the state and the END record (it resumes
	 * only after a complete END). A failure to write them takes the KEEP
	 * back: the source resumes.
	 */
	ret = hmlm_mig_keep_source(&m);
	if (!ret)
		ret = hmlm_stream_write_state(m.w, &ss);
	if (!ret)
		ret = hmlm_stream_writer_finish(m.w);
	hmlm_mig_fail(&m, HMLM_STEP_STREAM, ret);
	if (ret)
		goto cancel;
	m.cancel_ok = 0;
	report->downtime_ns = hmlm_now_ns() - t_start;
	report->suspend_to_resume_ns = hmlm_now_ns() - t_suspended;
	hmlm_mig_budget_check(&m);
	report->stream_bytes = hmlm_stream_writer_bytes(m.w);
	hmlm_mig_progress(&m, HMLM_PHASE_STATE);
	hmlm_mig_progress(&m, HMLM_PHASE_DONE);
	goto out;

cancel:
	report->nvme_status = hmlm_session_nvme_status(src);
	hmlm_mig_cancel_source(&m);
out:
	if (m.w) {
		report->stream_bytes = hmlm_stream_writer_bytes(m.w);
		hmlm_stream_writer_close(m.w);
	}
	free(sns);
	hmlm_state_free(&st);
	hmlm_mig_free(&m);
	return ret;
}

/* ------------------------------------------------------------------ */

static const struct hmlm_ns_map *map_by_src(const struct hmlm_ns_map *ns,
					    unsigned int nr, uint32_t nsid)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (ns[i].src_nsid == nsid)
			return &ns[i];
	return NULL;
}

/* The receive side: one stream replayed on the target. */
struct rx {
	struct hmlm_session *dst;
	const struct hmlm_ns_map *ns;
	unsigned int nr_ns;
	struct hmlm_bdev *bd;		/* per map entry */
	struct hmlm_migrate_params p;
	struct hmlm_migrate_report *r;
	struct hmlm_progress prog;
	struct hmlm_state st;		/* from the STATE record */
	bool have_state;
	void *buf;			/* aligned, for O_DIRECT writes */
	size_t buf_len;
	uint64_t t_final;		/* the FINAL round began (downtime) */
	int fd;				/* the stream */
	uint64_t t_bytes;		/* the last bytes came in */
	int timed_out;			/* a wait passed its bound */
};

/*
 * The stream's namespaces against the map and the target's block devices:
 * every one mapped, same LBA size, room enough. Nothing is written.
 */
static int rx_open_namespaces(struct rx *x, const struct hmlm_stream_info *info)
{
	unsigned int i;
	int ret;

	if (info->num_ns != x->nr_ns)
		return -ENOENT;
	for (i = 0; i < info->num_ns; i++) {
		const struct hmlm_ns_map *mp = map_by_src(x->ns, x->nr_ns,
							  info->ns[i].nsid);
		struct hmlm_bdev *b;

		if (!mp)
			return -ENOENT;
		b = &x->bd[mp - x->ns];
		ret = hmlm_bdev_open(mp->dst_bdev, 1, b);
		if (!ret)
			ret = hmlm_bdev_check(b, x->dst->mmc_fd, mp->dst_nsid);
		if (ret)
			return ret;
		if (b->lba_size != info->ns[i].lba_size)
			return -EINVAL;
		if (b->nlbas < info->ns[i].nlbas)
			return -ENOSPC;
	}
	return 0;
}

/* The announced state format is one the target can set: else EOPNOTSUPP. */
static int rx_check_format(struct rx *x, const struct hmlm_stream_fmt *f)
{
	struct hmlm_caps dc;
	int ret;

	if (!f->flags)
		return 0;	/* not announced: checked at Set State */
	ret = hmlm_caps_get(x->dst, &dc);
	if (ret)
		return ret;
	if ((f->flags & HMLM_STREAM_STATE_NVME) &&
	    !hmlm_csvi_of(&dc, f->nvme_version))
		return -EOPNOTSUPP;
	if ((f->flags & HMLM_STREAM_STATE_VENDOR) &&
	    !hmlm_csuuidi_of(&dc, f->uuid))
		return -EOPNOTSUPP;
	return 0;
}

/* DATA, DIRTY: written to the target namespace; DEALLOC: zeroed there. */
static int rx_extent(struct rx *x, const struct hmlm_stream_record *rec)
{
	const struct hmlm_stream_extent *e = &rec->extent;
	const struct hmlm_ns_map *mp = map_by_src(x->ns, x->nr_ns, e->nsid);
	struct hmlm_bdev *b;
	int ret;

	if (!mp)
		return -EPROTO;
	b = &x->bd[mp - x->ns];
	if (rec->type == HMLM_STREAM_REC_DEALLOC)
		return hmlm_bdev_zero(b, e->slba, e->nlb);
	if (e->len != e->nlb * b->lba_size)
		return -EPROTO;
	if (e->len > x->buf_len) {
		free(x->buf);
		x->buf_len = 0;
		x->buf = hmlm_buf_alloc(e->len);
		if (!x->buf)
			return -ENOMEM;
		x->buf_len = e->len;
	}
	memcpy(x->buf, e->data, e->len);
	ret = hmlm_bdev_write(b, e->slba, e->nlb, x->buf);
	if (ret)
		return ret;
	x->r->bytes_copied += e->len;
	if (e->round)
		x->r->bytes_rewritten += e->len;
	if (e->round <= HMLM_MIGRATE_MAX_ROUNDS)
		x->r->round_bytes[e->round] += e->len;
	if (x->prog.phase == HMLM_PHASE_STOPCOPY)
		x->r->stopcopy_bytes += e->len;
	if (!e->round)
		x->r->allocated_bytes += e->len;
	x->prog.bytes_done += e->len;
	if (x->prog.bytes_total < x->prog.bytes_done)
		x->prog.bytes_total = x->prog.bytes_done;
	return 0;
}

/* MEM: the dirty memory ranges, handed to the caller's callback. */
static int rx_mem(struct rx *x, const struct hmlm_stream_record *rec)
{
	struct hmlm_mem_range *mr;
	uint32_t k;
	int ret = 0;

	x->r->mem_ranges_reported += rec->mem.count;
	if (!x->p.mem_dirty || !rec->mem.count)
		return 0;
	mr = calloc(rec->mem.count, sizeof(*mr));
	if (!mr)
		return -ENOMEM;
	for (k = 0; k < rec->mem.count; k++) {
		mr[k].addr = rec->mem.ranges[k].start;
		mr[k].len = rec->mem.ranges[k].len;
	}
	if (x->p.mem_dirty(mr, rec->mem.count, x->p.mem_arg))
		ret = -ECANCELED;
	free(mr);
	return ret;
}

/* STATE: kept until END has verified the whole stream. */
static int rx_state(struct rx *x, const struct hmlm_stream_record *rec)
{
	struct hmlm_state *st = &x->st;

	free(st->data);
	st->data = malloc(rec->state.len ? rec->state.len : 1);
	if (!st->data)
		return -ENOMEM;
	memcpy(st->data, rec->state.data, rec->state.len);
	st->len = rec->state.len;
	st->flags = 0;
	if (rec->state.flags & HMLM_STREAM_STATE_NVME)
		st->flags |= HMLM_STATE_NVME;
	if (rec->state.flags & HMLM_STREAM_STATE_VENDOR)
		st->flags |= HMLM_STATE_VENDOR;
	st->nvme_version = rec->state.nvme_version;
	memcpy(st->uuid, rec->state.uuid, 16);
	x->have_state = true;
	return 0;
}

/*
 * ROUND: a round starts with dirty_bytes to come, so the progress of the
 * round is bytes_done against bytes_total. The FINAL round starts when the
 * source is suspended: the target's view of the downtime begins.
 */
static int rx_round(struct rx *x, const struct hmlm_stream_record *rec)
{
	x->prog.round = rec->round.round;
	x->prog.dirty_bytes = rec->round.dirty_bytes;
	x->prog.bytes_total = x->prog.bytes_done + rec->round.dirty_bytes;
	if (rec->round.flags & HMLM_STREAM_ROUND_FINAL) {
		x->prog.phase = HMLM_PHASE_STOPCOPY;
		x->t_final = hmlm_now_ns();
	} else if (rec->round.round) {
		x->prog.phase = HMLM_PHASE_ROUND;
		x->r->rounds = rec->round.round;
	}
	return 0;
}

static int rx_record(struct rx *x, const struct hmlm_stream_record *rec)
{
	switch (rec->type) {
	case HMLM_STREAM_REC_DATA:
	case HMLM_STREAM_REC_DIRTY:
	case HMLM_STREAM_REC_DEALLOC:
		return rx_extent(x, rec);
	case HMLM_STREAM_REC_MEM:
		return rx_mem(x, rec);
	case HMLM_STREAM_REC_STATE:
		return rx_state(x, rec);
	case HMLM_STREAM_REC_ROUND:
		return rx_round(x, rec);
	default:
		return 0;	/* a skippable record of a newer minor */
	}
}

static void rx_progress(struct rx *x, enum hmlm_phase phase)
{
	x->prog.phase = phase;
	if (x->p.progress)
		x->p.progress(&x->prog, x->p.progress_arg);
}

/*
 * The hand-over on the target, once END verified the stream: the writes
 * flushed, the state set, the target resumed.
 */
static int rx_finish(struct rx *x)
{
	uint64_t t0, t1;
	unsigned int i;
	int ret = 0;

	if (!x->have_state)
		return -EPROTO;
	x->r->state_bytes = x->st.len;
	for (i = 0; i < x->nr_ns && !ret; i++)
		ret = hmlm_bdev_sync(&x->bd[i]);
	if (ret)
		return ret;
	rx_progress(x, HMLM_PHASE_STATE);
	t0 = hmlm_now_ns();
	ret = target_set_state(x->dst, &x->st);
	if (!ret && !(x->p.flags & HMLM_MIGRATE_NO_RESUME))
		ret = hmlm_resume(x->dst);
	t1 = hmlm_now_ns();
	x->r->suspend_to_resume_ns = t1 - t0;
	x->r->state_set_ns = t1 - t0;
	if (ret) {
		x->r->nvme_status = hmlm_session_nvme_status(x->dst);
		return ret;
	}
	/* from the FINAL round's start here to the Resume */
	x->r->downtime_ns = t1 - (x->t_final ? x->t_final : t0);
	rx_progress(x, HMLM_PHASE_RESUMED);
	rx_progress(x, HMLM_PHASE_DONE);
	return 0;
}

/*
 * When the wait for the stream's next bytes ends (0: never): after
 * recv_timeout_us without any, and stop_deadline_us after the FINAL round
 * began (the source is suspended and holds no longer than that either).
 */
static uint64_t rx_wait_end(const struct rx *x)
{
	uint64_t end = 0, e;

	if (x->p.recv_timeout_us)
		end = x->t_bytes + x->p.recv_timeout_us * 1000;
	if (x->p.stop_deadline_us && x->t_final) {
		e = x->t_final + x->p.stop_deadline_us * 1000;
		if (!end || e < end)
			end = e;
	}
	return end;
}

/*
 * The stream reader's read (struct hmlm_stream_io): the fd polled in
 * WAIT_SLICE_MS slices, the progress callback asked in between (it may
 * cancel), every wait bounded by rx_wait_end(). Bytes, 0 at end of file,
 * or a negative errno (-ETIMEDOUT, -ECANCELED).
 */
static long rx_read(void *arg, void *buf, size_t len)
{
	struct rx *x = arg;

	for (;;) {
		struct pollfd pfd = { .fd = x->fd, .events = POLLIN };
		uint64_t end = rx_wait_end(x), now = hmlm_now_ns();
		int slice = WAIT_SLICE_MS, n;
		ssize_t k;

		if (end && now >= end) {
			x->timed_out = 1;
			return -ETIMEDOUT;
		}
		if (end && end - now < WAIT_SLICE_MS * 1000000ULL)
			slice = (int)((end - now + 999999) / 1000000);
		n = poll(&pfd, 1, slice);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0) {
			/* ready (data, end of file or an error read reports) */
			k = read(x->fd, buf, len);
			if (k >= 0) {
				x->t_bytes = hmlm_now_ns();
				return (long)k;
			}
			if (errno != EINTR && errno != EAGAIN)
				return -errno;
			continue;
		}
		if (!n && x->p.progress &&
		    x->p.progress(&x->prog, x->p.progress_arg))
			return -ECANCELED;
	}
}

/* hmlm_migrate_in(), its arguments checked (migrate.c) */
int hmlm_mig_in(struct hmlm_session *dst, const struct hmlm_ns_map *ns,
		unsigned int nr_ns, int in_fd,
		const struct hmlm_migrate_params *params,
		struct hmlm_migrate_report *report)
{
	struct hmlm_migrate_report dummy;
	struct hmlm_stream_reader *rd = NULL;
	struct hmlm_stream_info info;
	struct hmlm_stream_record rec;
	struct hmlm_stream_io io;
	struct rx x;
	unsigned int i;
	int ret;

	if (!report)
		report = &dummy;
	memset(report, 0, sizeof(*report));
	if (!dst || in_fd < 0)
		return -EINVAL;
	ret = hmlm_mig_check_map(ns, nr_ns);
	if (ret)
		return ret;
	memset(&x, 0, sizeof(x));
	x.dst = dst;
	x.ns = ns;
	x.nr_ns = nr_ns;
	x.r = report;
	hmlm_mig_params_defaults(&x.p, params);
	x.prog.size = sizeof(x.prog);
	x.prog.phase = HMLM_PHASE_PRECOPY;

	x.bd = calloc(nr_ns, sizeof(*x.bd));
	if (!x.bd)
		return -ENOMEM;
	for (i = 0; i < nr_ns; i++)
		x.bd[i].fd = -1;
	/*
	 * The stream ends at its END record: no end of file is awaited, so
	 * the stream may ride a channel that carries more afterwards. Every
	 * wait for it is sliced and bounded (rx_read()).
	 */
	x.fd = in_fd;
	x.t_bytes = hmlm_now_ns();
	memset(&io, 0, sizeof(io));
	io.size = sizeof(io);
	io.read = rx_read;
	io.arg = &x;
	ret = hmlm_stream_reader_open_io(&io, 0, &info, &rd);
	if (!ret)
		ret = rx_check_format(&x, &info.state_fmt);
	if (!ret)
		ret = rx_open_namespaces(&x, &info);
	while (!ret) {
		ret = hmlm_stream_read_record(rd, &rec);
		if (ret <= 0)
			break;
		ret = rx_record(&x, &rec);
		if (!ret && x.p.progress &&
		    x.p.progress(&x.prog, x.p.progress_arg))
			ret = -ECANCELED;
	}
	if (rd)
		report->stream_bytes = hmlm_stream_reader_bytes(rd);
	if (x.timed_out) {
		/* nothing more comes: the target is left as it is */
		report->flags |= HMLM_REPORT_DEADLINE;
		report->err_step = HMLM_STEP_STREAM;
	}
	if (!ret)
		ret = rx_finish(&x);

	hmlm_stream_reader_close(rd);
	for (i = 0; i < nr_ns; i++)
		hmlm_bdev_close(&x.bd[i]);
	free(x.bd);
	free(x.buf);
	hmlm_state_free(&x.st);
	return ret;
}
