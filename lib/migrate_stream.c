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
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/nvme_hmlm.h>

#include "internal.h"
#include "migrate_int.h"

/*
 * Set the state on @dst. Set Controller State needs a suspended (or not
 * yet enabled) target; Suspend is idempotent, so the target is suspended
 * first (one admin round trip, as a failed probe would cost).
 */
static int target_set_state(struct hmlm_session *dst,
			    const struct hmlm_state *st)
{
	int ret = hmlm_suspend(dst, 0, 0);

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

HMLM_EXPORT int hmlm_migrate_out(struct hmlm_session *src,
				 const struct hmlm_ns_map *ns,
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
	int ret, suspended = 0;

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

	ret = hmlm_session_caps(src, &sc);
	if (!ret)
		ret = hmlm_state_fmt_common(&sc, NULL, &fmt);
	if (!ret)
		ret = hmlm_mig_setup(&m, ns, nr_ns, 0);
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
	ret = hmlm_stream_writer_open(out_fd, &info, 0, &m.w);
	if (!ret)
		ret = hmlm_mig_run_live(&m);
	if (ret)
		goto cancel;

	t_start = hmlm_now_ns();
	ret = hmlm_mig_run_suspended(&m, &t_suspended);
	suspended = t_suspended != 0;
	if (ret)
		goto cancel;
	ret = hmlm_state_get(src, &fmt, &st);
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
	ret = hmlm_stream_write_state(m.w, &ss);
	if (!ret)
		ret = hmlm_stream_writer_finish(m.w);
	if (ret)
		goto cancel;
	/* the state is out: the source stays stopped, even after close */
	m.cancel_ok = 0;
	hmlm_suspend(src, HMLM_SUSPEND_KEEP, 0);
	report->downtime_ns = hmlm_now_ns() - t_start;
	report->suspend_to_resume_ns = hmlm_now_ns() - t_suspended;
	hmlm_mig_budget_check(&m);
	report->stream_bytes = hmlm_stream_writer_bytes(m.w);
	hmlm_mig_progress(&m, HMLM_PHASE_STATE);
	hmlm_mig_progress(&m, HMLM_PHASE_DONE);
	goto out;

cancel:
	report->nvme_status = hmlm_session_nvme_status(src);
	hmlm_mig_cancel_source(&m, suspended);
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

HMLM_EXPORT int hmlm_migrate_in(struct hmlm_session *dst,
				const struct hmlm_ns_map *ns,
				unsigned int nr_ns, int in_fd,
				const struct hmlm_migrate_params *params,
				struct hmlm_migrate_report *report)
{
	struct hmlm_migrate_report dummy;
	struct hmlm_migrate_params p;
	struct hmlm_stream_reader *rd = NULL;
	struct hmlm_stream_info info;
	struct hmlm_stream_record rec;
	struct hmlm_progress prog;
	struct hmlm_state st = { 0 };
	struct hmlm_bdev *bd = NULL;
	size_t buf_len = 0;
	void *buf = NULL;
	unsigned int i;
	int ret, have_state = 0, cancel_ok = 1;

	if (!report)
		report = &dummy;
	memset(report, 0, sizeof(*report));
	if (!dst || in_fd < 0)
		return -EINVAL;
	ret = hmlm_mig_check_map(ns, nr_ns);
	if (ret)
		return ret;
	hmlm_mig_params_defaults(&p, params);
	memset(&prog, 0, sizeof(prog));

	bd = calloc(nr_ns, sizeof(*bd));
	if (!bd)
		return -ENOMEM;
	for (i = 0; i < nr_ns; i++)
		bd[i].fd = -1;
	ret = hmlm_stream_reader_open(in_fd, HMLM_STREAM_READER_STRICT_EOF,
				      &info, &rd);
	if (ret)
		goto out;
	/* Every namespace of the stream must be mapped, and fit. */
	if (info.num_ns != nr_ns) {
		ret = -ENOENT;
		goto out;
	}
	for (i = 0; i < info.num_ns; i++) {
		const struct hmlm_ns_map *mp = map_by_src(ns, nr_ns,
							  info.ns[i].nsid);
		struct hmlm_bdev *b;

		if (!mp) {
			ret = -ENOENT;
			goto out;
		}
		b = &bd[mp - ns];
		ret = hmlm_bdev_open(mp->dst_bdev, 1, b);
		if (!ret)
			ret = hmlm_bdev_check(b, dst->mmc_fd, mp->dst_nsid);
		if (ret)
			goto out;
		if (b->lba_size != info.ns[i].lba_size) {
			ret = -EINVAL;
			goto out;
		}
		if (b->nlbas < info.ns[i].nlbas) {
			ret = -ENOSPC;
			goto out;
		}
	}

	prog.phase = HMLM_PHASE_PRECOPY;
	for (;;) {
		const struct hmlm_ns_map *mp;
		struct hmlm_bdev *b;

		ret = hmlm_stream_read_record(rd, &rec);
		if (ret <= 0)
			break;
		ret = 0;
		switch (rec.type) {
		case HMLM_STREAM_REC_DATA:
		case HMLM_STREAM_REC_DIRTY:
		case HMLM_STREAM_REC_DEALLOC:
			mp = map_by_src(ns, nr_ns, rec.extent.nsid);
			if (!mp) {
				ret = -EPROTO;
				break;
			}
			b = &bd[mp - ns];
			if (rec.type == HMLM_STREAM_REC_DEALLOC) {
				ret = hmlm_bdev_zero(b, rec.extent.slba,
						     rec.extent.nlb);
				break;
			}
			if (rec.extent.len != rec.extent.nlb * b->lba_size) {
				ret = -EPROTO;
				break;
			}
			if (rec.extent.len > buf_len) {
				free(buf);
				buf_len = rec.extent.len;
				buf = hmlm_buf_alloc(buf_len);
				if (!buf) {
					ret = -ENOMEM;
					break;
				}
			}
			memcpy(buf, rec.extent.data, rec.extent.len);
			ret = hmlm_bdev_write(b, rec.extent.slba,
					      rec.extent.nlb, buf);
			if (ret)
				break;
			report->bytes_copied += rec.extent.len;
			if (rec.extent.round)
				report->bytes_rewritten += rec.extent.len;
			if (rec.extent.round <= HMLM_MIGRATE_MAX_ROUNDS)
				report->round_bytes[rec.extent.round] +=
					rec.extent.len;
			if (prog.phase == HMLM_PHASE_STOPCOPY)
				report->stopcopy_bytes += rec.extent.len;
			if (!rec.extent.round)
				report->allocated_bytes += rec.extent.len;
			prog.bytes_done += rec.extent.len;
			prog.bytes_total = prog.bytes_done;
			break;
		case HMLM_STREAM_REC_MEM: {
			struct hmlm_mem_range *mr;
			uint32_t k;

			report->mem_ranges_reported += rec.mem.count;
			if (!p.mem_dirty || !rec.mem.count)
				break;
			mr = calloc(rec.mem.count, sizeof(*mr));
			if (!mr) {
				ret = -ENOMEM;
				break;
			}
			for (k = 0; k < rec.mem.count; k++) {
				mr[k].addr = rec.mem.ranges[k].start;
				mr[k].len = rec.mem.ranges[k].len;
			}
			if (p.mem_dirty(mr, rec.mem.count, p.mem_arg))
				ret = -ECANCELED;
			free(mr);
			break;
		}
		case HMLM_STREAM_REC_STATE:
			free(st.data);
			st.data = malloc(rec.state.len ? rec.state.len : 1);
			if (!st.data) {
				ret = -ENOMEM;
				break;
			}
			memcpy(st.data, rec.state.data, rec.state.len);
			st.len = rec.state.len;
			st.flags = 0;
			if (rec.state.flags & HMLM_STREAM_STATE_NVME)
				st.flags |= HMLM_STATE_NVME;
			if (rec.state.flags & HMLM_STREAM_STATE_VENDOR)
				st.flags |= HMLM_STATE_VENDOR;
			st.nvme_version = rec.state.nvme_version;
			memcpy(st.uuid, rec.state.uuid, 16);
			have_state = 1;
			break;
		case HMLM_STREAM_REC_ROUND:
			prog.round = rec.round.round;
			prog.dirty_bytes = rec.round.dirty_bytes;
			if (rec.round.flags & HMLM_STREAM_ROUND_FINAL) {
				prog.phase = HMLM_PHASE_STOPCOPY;
			} else {
				prog.phase = HMLM_PHASE_ROUND;
				report->rounds = rec.round.round;
			}
			break;
		default:
			break;
		}
		if (ret)
			break;
		if (p.progress && p.progress(&prog, p.progress_arg) &&
		    cancel_ok) {
			ret = -ECANCELED;
			break;
		}
	}
	if (ret)
		goto out;
	report->stream_bytes = hmlm_stream_reader_bytes(rd);
	if (!have_state) {
		ret = -EPROTO;
		goto out;
	}
	report->state_bytes = st.len;
	for (i = 0; i < nr_ns && !ret; i++)
		ret = hmlm_bdev_sync(&bd[i]);
	if (ret)
		goto out;
	prog.phase = HMLM_PHASE_STATE;
	cancel_ok = 0;
	if (p.progress)
		p.progress(&prog, p.progress_arg);
	{
		uint64_t t0 = hmlm_now_ns();

		ret = target_set_state(dst, &st);
		if (!ret && !(p.flags & HMLM_MIGRATE_NO_RESUME))
			ret = hmlm_resume(dst);
		report->suspend_to_resume_ns = hmlm_now_ns() - t0;
	}
	if (ret) {
		report->nvme_status = hmlm_session_nvme_status(dst);
		goto out;
	}
	prog.phase = HMLM_PHASE_RESUMED;
	if (p.progress)
		p.progress(&prog, p.progress_arg);
	prog.phase = HMLM_PHASE_DONE;
	if (p.progress)
		p.progress(&prog, p.progress_arg);
out:
	if (rd) {
		report->stream_bytes = hmlm_stream_reader_bytes(rd);
		hmlm_stream_reader_close(rd);
	}
	if (bd)
		for (i = 0; i < nr_ns; i++)
			hmlm_bdev_close(&bd[i]);
	free(bd);
	free(buf);
	hmlm_state_free(&st);
	return ret;
}
