// SPDX-License-Identifier: GPL-2.0
/*
 * hmlmctl: the session and migration commands (suspend, resume, state,
 * track, migrate, migrate-out, migrate-in).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <linux/fs.h>

#include "hmlm.h"
#include "hmlmctl.h"

#define MAX_NS	32

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int failed(const char *what, int err, struct hmlm_session *s)
{
	if (err == -EIO && s)
		fprintf(stderr, "hmlmctl: %s: NVMe status 0x%x\n", what,
			hmlm_session_nvme_status(s));
	else
		fprintf(stderr, "hmlmctl: %s: %s\n", what, strerror(-err));
	return 1;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': x <<= 10; end++; break;
	case 'm': case 'M': x <<= 20; end++; break;
	case 'g': case 'G': x <<= 30; end++; break;
	}
	if (*end)
		return -EINVAL;
	*v = x;
	return 0;
}

static int parse_cntlid(const char *s, uint16_t *c)
{
	uint64_t v;

	if (parse_u64(s, &v) || v > 0xfffe)
		return -EINVAL;
	*c = (uint16_t)v;
	return 0;
}

static int open_session(const char *mmc, const char *cntlid_s,
			struct hmlm_session **s)
{
	uint16_t cntlid;
	char what[256];
	int ret;

	if (parse_cntlid(cntlid_s, &cntlid)) {
		fprintf(stderr, "hmlmctl: bad CNTLID: %s\n", cntlid_s);
		return 2;
	}
	ret = hmlm_session_open(mmc, cntlid, s);
	if (ret) {
		snprintf(what, sizeof(what), "bind %s CNTLID %u", mmc, cntlid);
		return failed(what, ret, NULL);
	}
	return 0;
}

/* ---- suspend / resume -------------------------------------------------- */

int cmd_suspend(int argc, char **argv)
{
	static const struct option o[] = {
		{ "notify", no_argument, NULL, 'n' },
		{ "no-keep", no_argument, NULL, 'K' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct hmlm_session *s;
	unsigned int flags = HMLM_SUSPEND_KEEP, timeout = 0;
	uint64_t v;
	int c, ret;

	optind = 0;	/* a full re-initialisation of getopt */
	while ((c = getopt_long(argc, argv, "nKt:", o, NULL)) != -1) {
		switch (c) {
		case 'n':
			flags = HMLM_SUSPEND_NOTIFY;
			break;
		case 'K':
			flags &= ~HMLM_SUSPEND_KEEP;
			break;
		case 't':
			if (parse_u64(optarg, &v) || v > UINT32_MAX)
				return 2;
			timeout = (unsigned int)v;
			break;
		default:
			return 2;
		}
	}
	if (argc - optind != 2)
		return 2;
	ret = open_session(argv[optind], argv[optind + 1], &s);
	if (ret)
		return ret;
	ret = hmlm_suspend(s, flags, timeout);
	if (ret) {
		ret = failed("suspend", ret, s);
	} else if (json) {
		printf("{\"cntlid\":%u,\"suspended\":%s}\n",
		       hmlm_session_cntlid(s),
		       flags & HMLM_SUSPEND_NOTIFY ? "false" : "true");
	}
	hmlm_session_close(s);
	return ret;
}

int cmd_resume(int argc, char **argv)
{
	struct hmlm_session *s;
	int ret;

	if (argc != 2)
		return 2;
	ret = open_session(argv[0], argv[1], &s);
	if (ret)
		return ret;
	ret = hmlm_resume(s);
	if (ret)
		ret = failed("resume", ret, s);
	else if (json)
		printf("{\"cntlid\":%u,\"resumed\":true}\n",
		       hmlm_session_cntlid(s));
	hmlm_session_close(s);
	return ret;
}

/* ---- state save / load ------------------------------------------------- */

/* A state file is a migration stream holding one STATE record. */
static int state_save(struct hmlm_session *s, const char *file)
{
	struct hmlm_stream_info info;
	struct hmlm_stream_writer *w = NULL;
	struct hmlm_stream_state ss;
	struct hmlm_state st;
	int fd, ret;

	ret = hmlm_state_get(s, NULL, &st);
	if (ret)
		return failed("get controller state", ret, s);
	fd = strcmp(file, "-") ? open(file, O_WRONLY | O_CREAT | O_TRUNC |
				      O_CLOEXEC, 0600) : 1;
	if (fd < 0) {
		ret = -errno;
		hmlm_state_free(&st);
		return failed(file, ret, NULL);
	}
	memset(&info, 0, sizeof(info));
	info.cntlid = hmlm_session_cntlid(s);
	memset(&ss, 0, sizeof(ss));
	if (st.flags & HMLM_STATE_NVME)
		ss.flags |= HMLM_STREAM_STATE_NVME;
	if (st.flags & HMLM_STATE_VENDOR)
		ss.flags |= HMLM_STREAM_STATE_VENDOR;
	ss.nvme_version = st.nvme_version;
	memcpy(ss.uuid, st.uuid, 16);
	ss.data = st.data;
	ss.len = st.len;
	ret = hmlm_stream_writer_open(fd, &info, 0, &w);
	if (!ret)
		ret = hmlm_stream_write_state(w, &ss);
	if (!ret)
		ret = hmlm_stream_writer_finish(w);
	hmlm_stream_writer_close(w);
	if (fd != 1 && close(fd) && !ret)
		ret = -errno;
	if (ret) {
		hmlm_state_free(&st);
		return failed("write state file", ret, NULL);
	}
	if (json)
		printf("{\"cntlid\":%u,\"bytes\":%" PRIu64 ",\"nvme_version\":%u,\"consistent\":%s}\n",
		       hmlm_session_cntlid(s), st.len, st.nvme_version,
		       st.flags & HMLM_STATE_CONSISTENT ? "true" : "false");
	else if (fd != 1)
		printf("saved %" PRIu64 " bytes of controller state (NVMe version %u%s)\n",
		       st.len, st.nvme_version,
		       st.flags & HMLM_STATE_CONSISTENT ? ", consistent" : "");
	hmlm_state_free(&st);
	return 0;
}

static int state_load(struct hmlm_session *s, const char *file)
{
	struct hmlm_stream_reader *r = NULL;
	struct hmlm_stream_info info;
	struct hmlm_stream_record rec;
	struct hmlm_state st;
	int fd, ret, found = 0;

	memset(&st, 0, sizeof(st));
	fd = strcmp(file, "-") ? open(file, O_RDONLY | O_CLOEXEC) : 0;
	if (fd < 0)
		return failed(file, -errno, NULL);
	ret = hmlm_stream_reader_open(fd, 0, &info, &r);
	while (!ret && (ret = hmlm_stream_read_record(r, &rec)) > 0) {
		ret = 0;
		if (rec.type != HMLM_STREAM_REC_STATE)
			continue;
		free(st.data);
		st.data = malloc(rec.state.len);
		if (!st.data) {
			ret = -ENOMEM;
			break;
		}
		memcpy(st.data, rec.state.data, rec.state.len);
		st.len = rec.state.len;
		st.nvme_version = rec.state.nvme_version;
		memcpy(st.uuid, rec.state.uuid, 16);
		if (rec.state.flags & HMLM_STREAM_STATE_NVME)
			st.flags |= HMLM_STATE_NVME;
		if (rec.state.flags & HMLM_STREAM_STATE_VENDOR)
			st.flags |= HMLM_STATE_VENDOR;
		found = 1;
	}
	hmlm_stream_reader_close(r);
	if (fd)
		close(fd);
	if (ret) {
		hmlm_state_free(&st);
		return failed("read state file", ret, NULL);
	}
	if (!found) {
		fprintf(stderr, "hmlmctl: %s holds no controller state\n", file);
		return 1;
	}
	ret = hmlm_state_set(s, &st);
	hmlm_state_free(&st);
	if (ret)
		return failed("set controller state", ret, s);
	if (json)
		printf("{\"cntlid\":%u,\"loaded\":true}\n", hmlm_session_cntlid(s));
	return 0;
}

int cmd_state(int argc, char **argv)
{
	struct hmlm_session *s;
	int ret;

	if (argc != 4 || (strcmp(argv[0], "save") && strcmp(argv[0], "load")))
		return 2;
	ret = open_session(argv[1], argv[2], &s);
	if (ret)
		return ret;
	if (!strcmp(argv[0], "save"))
		ret = state_save(s, argv[3]);
	else
		ret = state_load(s, argv[3]);
	hmlm_session_close(s);
	return ret;
}

/*
 * The block device of namespace @nsid of the controller @mmc (/dev/nvmeN).
 * With native multipath the disk is named after the subsystem
 * (nvme<S>n<nsid>, the controller's path nvme<S>c<N>n<nsid>), so the name
 * is looked up in sysfs; without, it is nvme<N>n<nsid>.
 */
static char *ns_bdev(const char *mmc, unsigned int nsid)
{
	const char *base = strrchr(mmc, '/');
	char dir[256], out[300];
	unsigned int s, c, n;
	struct dirent *de;
	DIR *d;

	base = base ? base + 1 : mmc;
	snprintf(out, sizeof(out), "%sn%u", mmc, nsid);
	snprintf(dir, sizeof(dir), "/sys/class/nvme/%s", base);
	d = opendir(dir);
	if (!d)
		return strdup(out);
	while ((de = readdir(d))) {
		char path[600], v[16] = "";
		FILE *f;

		/* nvme<S>c<N>n<I> (multipath) or nvme<N>n<I>: I is no NSID */
		if (strncmp(de->d_name, "nvme", 4) || !strchr(de->d_name + 4, 'n'))
			continue;
		snprintf(path, sizeof(path), "%s/%s/nsid", dir, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(v, sizeof(v), f))
			v[0] = '\0';
		fclose(f);
		if (strtoul(v, NULL, 0) != nsid)
			continue;
		if (sscanf(de->d_name, "nvme%uc%un%u", &s, &c, &n) == 3)
			snprintf(out, sizeof(out), "/dev/nvme%un%u", s, n);
		else
			snprintf(out, sizeof(out), "/dev/%s", de->d_name);
		break;
	}
	closedir(d);
	return strdup(out);
}

/* ---- track ------------------------------------------------------------- */

static const char *marker_name(unsigned int m)
{
	switch (m) {
	case HMLM_LOG_MARK_FIRST: return "first";
	case HMLM_LOG_MARK_STOPPED: return "stopped";
	case HMLM_LOG_MARK_SUSPENDED: return "suspended";
	case HMLM_LOG_MARK_FULL: return "full";
	default: return "";
	}
}

static void print_rec(const struct hmlm_log_rec *r)
{
	if (json) {
		printf("{\"seq\":%" PRIu64 ",\"nsid\":%u,\"kind\":\"%s\",\"slba\":%" PRIu64
		       ",\"nlb\":%" PRIu64 ",\"marker\":\"%s\",\"dealloc\":%s}\n",
		       r->seq, r->nsid,
		       r->kind == HMLM_LOG_REC_RANGE ? "range" :
		       r->kind == HMLM_LOG_REC_NS ? "namespace" : "none",
		       r->slba, r->nlb, marker_name(r->marker),
		       r->flags & HMLM_LOG_REC_DEALLOC ? "true" : "false");
		return;
	}
	printf("%-8" PRIu64 " ", r->seq);
	if (r->kind == HMLM_LOG_REC_RANGE)
		printf("nsid %u lba %" PRIu64 "+%" PRIu64 "%s", r->nsid, r->slba,
		       r->nlb, r->flags & HMLM_LOG_REC_DEALLOC ? " dealloc" : "");
	else if (r->kind == HMLM_LOG_REC_NS)
		printf("nsid %u all LBAs", r->nsid);
	else
		printf("-");
	if (r->marker)
		printf(" [%s]", marker_name(r->marker));
	printf("\n");
	fflush(stdout);
}

/* A dirty-extent set for namespace @nsid of @mmc, sized from its disk. */
static int extents_for(const char *mmc, uint32_t nsid, struct hmlm_extents **set)
{
	char *disk = ns_bdev(mmc, nsid);
	uint64_t bytes = 0;
	int fd, lbs = 0, ret;

	fd = disk ? open(disk, O_RDONLY | O_CLOEXEC) : -1;
	free(disk);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, BLKGETSIZE64, &bytes) || ioctl(fd, BLKSSZGET, &lbs)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	close(fd);
	ret = hmlm_extents_new(65536, set);
	if (!ret)
		ret = hmlm_extents_add_ns(*set, nsid, bytes / (unsigned int)lbs,
					  (uint32_t)lbs, 4096 / (unsigned int)lbs ?
					  4096 / (unsigned int)lbs : 1);
	return ret;
}

static void fold_rec(struct hmlm_extents *set, const struct hmlm_log_rec *r)
{
	if (r->kind == HMLM_LOG_REC_RANGE && r->nlb &&
	    hmlm_extents_add(set, r->nsid, r->slba, r->nlb) != -ERANGE)
		return;
	if (r->kind != HMLM_LOG_REC_NONE)
		hmlm_extents_mark_all(set, r->nsid);
}

static void print_extents(const struct hmlm_extents *set)
{
	struct hmlm_extent e = { 0 };

	while (hmlm_extents_next(set, &e) > 0) {
		if (json)
			printf("{\"nsid\":%u,\"slba\":%" PRIu64 ",\"nlb\":%" PRIu64 "}\n",
			       e.nsid, e.slba, e.nlb);
		else
			printf("nsid %u lba %" PRIu64 "+%" PRIu64 "\n", e.nsid,
			       e.slba, e.nlb);
	}
	if (!json)
		fprintf(stderr, "hmlmctl: %zu dirty extents, %" PRIu64 " bytes\n",
			hmlm_extents_count(set), hmlm_extents_bytes(set, HMLM_NSID_ALL));
}

int cmd_track(int argc, char **argv)
{
	static const struct option o[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "entries", required_argument, NULL, 'e' },
		{ "timeout", required_argument, NULL, 't' },
		{ "extents", required_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 },
	};
	struct hmlm_extents *set = NULL;
	struct hmlm_log_rec recs[64];
	struct hmlm_session *s;
	struct hmlm_log *log;
	uint64_t count = 0, seen = 0, entries = 0, timeout_ms = 0, v;
	uint64_t ext_nsid = 0;
	uint64_t t_end = 0;
	struct timespec ts;
	int c, n, i, ret, stopped = 0;

	optind = 0;	/* a full re-initialisation of getopt */
	while ((c = getopt_long(argc, argv, "c:e:t:x:", o, NULL)) != -1) {
		if (c == '?' || parse_u64(optarg, &v))
			return 2;
		if (c == 'c')
			count = v;
		else if (c == 'e')
			entries = v;
		else if (c == 'x')
			ext_nsid = v;
		else
			timeout_ms = v;
	}
	if (argc - optind != 2 || entries > UINT32_MAX || ext_nsid > 0xfffffffe)
		return 2;
	if (ext_nsid) {
		ret = extents_for(argv[optind], (uint32_t)ext_nsid, &set);
		if (ret)
			return failed("namespace for --extents", ret, NULL);
	}
	ret = open_session(argv[optind], argv[optind + 1], &s);
	if (ret)
		return ret;
	ret = hmlm_log_start(s, (unsigned int)entries, 0, &log);
	if (ret) {
		ret = failed("start logging", ret, s);
		hmlm_session_close(s);
		return ret;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (timeout_ms) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		t_end = (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
			timeout_ms;
	}
	if (!json)
		fprintf(stderr, "hmlmctl: logging changes of CNTLID %u; Ctrl-C stops\n",
			hmlm_session_cntlid(s));
	for (;;) {
		if (!stopped && (interrupted || (count && seen >= count))) {
			hmlm_log_stop(log);	/* the rest stays readable */
			stopped = 1;
		}
		if (!stopped && t_end) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			if ((uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 >= t_end) {
				hmlm_log_stop(log);
				stopped = 1;
			}
		}
		n = hmlm_log_read(log, recs, 64, 100);
		if (n == -EAGAIN || n == -EINTR)
			continue;
		if (n < 0) {
			ret = failed("read log", n, s);
			break;
		}
		if (n == 0)
			break;	/* the log ended */
		for (i = 0; i < n; i++) {
			if (set)
				fold_rec(set, &recs[i]);
			else
				print_rec(&recs[i]);
			if (recs[i].marker != HMLM_LOG_MARK_FIRST)
				seen++;
		}
	}
	if (set) {
		print_extents(set);
		hmlm_extents_free(set);
	}
	if (!json)
		fprintf(stderr, "hmlmctl: %" PRIu64 " records%s\n",
			hmlm_log_records(log),
			hmlm_log_markers(log) & HMLM_LOG_SEEN_FULL ?
			", the queue overflowed (changes lost)" : "");
	hmlm_log_close(log);
	hmlm_session_close(s);
	return ret;
}

/* ---- migrate ----------------------------------------------------------- */

struct prog_state {
	int on;
	uint64_t last_ns;
};

static const char *phase_name(enum hmlm_phase p)
{
	static const char *const n[] = {
		"pre-copy", "round", "suspended", "stop-and-copy", "state",
		"resumed", "done",
	};
	return (unsigned int)p < sizeof(n) / sizeof(n[0]) ? n[p] : "?";
}

static int on_progress(const struct hmlm_progress *p, void *arg)
{
	struct prog_state *ps = arg;
	struct timespec ts;
	uint64_t now;
	unsigned int pct, i;
	char bar[31];

	if (interrupted && p->phase < HMLM_PHASE_STATE)
		return 1;	/* cancel: the source keeps running */
	if (!ps->on)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	if (now - ps->last_ns < 100000000ULL && p->phase != HMLM_PHASE_DONE &&
	    p->phase != HMLM_PHASE_SUSPENDED)
		return 0;
	ps->last_ns = now;
	pct = p->bytes_total ? (unsigned int)(p->bytes_done * 100 / p->bytes_total) : 100;
	if (pct > 100)
		pct = 100;
	for (i = 0; i < 30; i++)
		bar[i] = i < pct * 30 / 100 ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "\r%-13s %2u [%s] %3u%% %8.1f/%.1f MiB dirty %.1f MiB ",
		phase_name(p->phase), p->round, bar, pct,
		p->bytes_done / 1048576.0, p->bytes_total / 1048576.0,
		p->dirty_bytes / 1048576.0);
	if (p->phase == HMLM_PHASE_DONE)
		fputc('\n', stderr);
	return 0;
}

static void print_report(FILE *out, const char *what, int ret,
			 const struct hmlm_migrate_report *r)
{
	unsigned int i;

	if (json) {
		fprintf(out, "{\"operation\":\"%s\",\"result\":%d,\"error\":\"%s\","
		       "\"nvme_status\":%u,\"rounds\":%u,\"round_bytes\":[",
		       what, ret, ret ? strerror(-ret) : "", r->nvme_status,
		       r->rounds);
		for (i = 0; i <= r->rounds && i <= HMLM_MIGRATE_MAX_ROUNDS; i++)
			fprintf(out, "%s%" PRIu64, i ? "," : "", r->round_bytes[i]);
		fprintf(out, "],\"allocated_bytes\":%" PRIu64 ",\"bytes_copied\":%" PRIu64
		       ",\"bytes_rewritten\":%" PRIu64 ",\"stopcopy_bytes\":%" PRIu64
		       ",\"dirty_extents\":%" PRIu64 ",\"log_records\":%" PRIu64
		       ",\"queue_full_events\":%" PRIu64 ",\"downtime_ns\":%" PRIu64
		       ",\"suspend_to_resume_ns\":%" PRIu64 ",\"stopcopy_ns\":%" PRIu64
		       ",\"mem_ranges_reported\":%" PRIu64 ",\"state_bytes\":%" PRIu64
		       ",\"stream_bytes\":%" PRIu64 ",\"converged\":%s"
		       ",\"budget_exceeded\":%s,\"source_resumed\":%s}\n",
		       r->allocated_bytes, r->bytes_copied, r->bytes_rewritten,
		       r->stopcopy_bytes, r->dirty_extents, r->log_records,
		       r->queue_full_events, r->downtime_ns,
		       r->suspend_to_resume_ns, r->stopcopy_ns,
		       r->mem_ranges_reported, r->state_bytes, r->stream_bytes,
		       r->flags & HMLM_REPORT_CONVERGED ? "true" : "false",
		       r->flags & HMLM_REPORT_BUDGET_EXCEEDED ? "true" : "false",
		       r->flags & HMLM_REPORT_SOURCE_RESUMED ? "true" : "false");
		fflush(out);
		return;
	}
	if (ret)
		return;
	fprintf(stderr,
		"%s: %u rounds, %.1f MiB allocated, %.1f MiB copied (%.1f MiB again), "
		"%" PRIu64 " log records, %" PRIu64 " queue overflows, state %" PRIu64
		" bytes, downtime %.3f ms%s\n",
		what, r->rounds, r->allocated_bytes / 1048576.0,
		r->bytes_copied / 1048576.0, r->bytes_rewritten / 1048576.0,
		r->log_records, r->queue_full_events, r->state_bytes,
		r->downtime_ns / 1e6,
		r->flags & HMLM_REPORT_BUDGET_EXCEEDED ? " (over budget)" : "");
}

struct mig_args {
	struct hmlm_migrate_params p;
	struct hmlm_ns_map map[MAX_NS];
	char *spec[MAX_NS];
	unsigned int nr_ns;
	int show_progress;
};

/* NSID[:BDEV][=DST_NSID[:DST_BDEV]], BDEV defaulting to the MMC's disk. */
static int parse_ns(struct mig_args *a, const char *src_mmc,
		    const char *dst_mmc)
{
	unsigned int i;

	for (i = 0; i < a->nr_ns; i++) {
		struct hmlm_ns_map *m = &a->map[i];
		char *spec = a->spec[i], *dst, *bdev, *end;
		unsigned long v;

		dst = strchr(spec, '=');
		if (dst)
			*dst++ = '\0';
		bdev = strchr(spec, ':');
		if (bdev)
			*bdev++ = '\0';
		v = strtoul(spec, &end, 0);
		if (*end || !v || v >= 0xffffffffUL)
			return -EINVAL;
		m->src_nsid = (uint32_t)v;
		if (bdev) {
			m->src_bdev = bdev;
		} else if (src_mmc) {
			m->src_bdev = ns_bdev(src_mmc, (unsigned int)v);
		}
		m->dst_nsid = m->src_nsid;
		bdev = NULL;
		if (dst) {
			bdev = strchr(dst, ':');
			if (bdev)
				*bdev++ = '\0';
			v = strtoul(dst, &end, 0);
			if (*end || !v || v >= 0xffffffffUL)
				return -EINVAL;
			m->dst_nsid = (uint32_t)v;
		}
		if (bdev) {
			m->dst_bdev = bdev;
		} else if (dst_mmc) {
			m->dst_bdev = ns_bdev(dst_mmc, m->dst_nsid);
		}
	}
	return 0;
}

static int parse_mig_opts(int argc, char **argv, struct mig_args *a)
{
	static const struct option o[] = {
		{ "ns", required_argument, NULL, 'n' },
		{ "max-rounds", required_argument, NULL, 'r' },
		{ "converge", required_argument, NULL, 'c' },
		{ "budget-us", required_argument, NULL, 'b' },
		{ "log-entries", required_argument, NULL, 'e' },
		{ "no-alloc", no_argument, NULL, 'A' },
		{ "no-resume", no_argument, NULL, 'R' },
		{ "progress", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	memset(a, 0, sizeof(*a));
	a->p.size = sizeof(a->p);
	a->show_progress = isatty(2);
	optind = 0;	/* a full re-initialisation of getopt */
	while ((c = getopt_long(argc, argv, "n:r:c:b:e:ARp", o, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (a->nr_ns == MAX_NS)
				return -E2BIG;
			a->spec[a->nr_ns++] = optarg;
			continue;
		case 'A':
			a->p.flags |= HMLM_MIGRATE_NO_ALLOC;
			continue;
		case 'R':
			a->p.flags |= HMLM_MIGRATE_NO_RESUME;
			continue;
		case 'p':
			a->show_progress = 1;
			continue;
		case '?':
			return -EINVAL;
		}
		if (parse_u64(optarg, &v))
			return -EINVAL;
		switch (c) {
		case 'r':
			a->p.max_rounds = (unsigned int)v;
			break;
		case 'c':
			a->p.converge_bytes = v;
			break;
		case 'b':
			a->p.downtime_budget_us = v;
			break;
		case 'e':
			a->p.log_entries = (unsigned int)v;
			break;
		}
	}
	return 0;
}

int cmd_migrate(int argc, char **argv, int dir)
{
	struct hmlm_session *src = NULL, *dst = NULL;
	struct hmlm_migrate_report r = { .size = sizeof(r) };
	struct prog_state ps = { 0 };
	struct mig_args a;
	const char *what;
	int ret, npos;

	if (parse_mig_opts(argc, argv, &a))
		return 2;
	argc -= optind;
	argv += optind;
	npos = dir == 0 ? 4 : 2;
	if (argc != npos)
		return 2;
	if (!a.nr_ns)
		a.spec[a.nr_ns++] = "1";
	if (parse_ns(&a, dir <= 0 ? argv[0] : NULL,
		     dir == 0 ? argv[2] : dir > 0 ? argv[0] : NULL)) {
		fprintf(stderr, "hmlmctl: bad --ns (NSID[:BDEV][=NSID[:BDEV]])\n");
		return 2;
	}
	ps.on = a.show_progress;
	a.p.progress = on_progress;
	a.p.progress_arg = &ps;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (dir < 0 && isatty(1)) {
		fprintf(stderr, "hmlmctl: migrate-out writes a binary stream: redirect stdout\n");
		return 2;
	}
	ret = open_session(argv[0], argv[1], dir > 0 ? &dst : &src);
	if (ret)
		return ret;
	if (dir == 0) {
		ret = open_session(argv[2], argv[3], &dst);
		if (ret) {
			hmlm_session_close(src);
			return ret;
		}
		what = "migrate";
		ret = hmlm_migrate(src, dst, a.map, a.nr_ns, &a.p, &r);
	} else if (dir < 0) {
		what = "migrate-out";
		ret = hmlm_migrate_out(src, a.map, a.nr_ns, 1, &a.p, &r);
	} else {
		what = "migrate-in";
		ret = hmlm_migrate_in(dst, a.map, a.nr_ns, 0, &a.p, &r);
	}
	if (ps.on)
		fputc('\n', stderr);
	if (ret) {
		if (ret == -EIO)
			fprintf(stderr, "hmlmctl: %s: NVMe status 0x%x\n", what,
				r.nvme_status);
		else
			fprintf(stderr, "hmlmctl: %s: %s\n", what, strerror(-ret));
		if (r.flags & HMLM_REPORT_SOURCE_RESUMED)
			fprintf(stderr, "hmlmctl: the source was resumed and keeps running\n");
	}
	/* migrate-out: stdout is the stream, the JSON report goes to stderr */
	print_report(dir < 0 ? stderr : stdout, what, ret, &r);
	hmlm_session_close(src);
	hmlm_session_close(dst);
	return ret ? 1 : 0;
}
