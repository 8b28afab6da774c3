// SPDX-License-Identifier: GPL-2.0
/*
 * hmlmctl: the session and migration commands (suspend, resume, state,
 * track, migrate, migrate-out, migrate-in).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <syslog.h>
#include <nvme/tree.h>

#include "hmlm.h"
#include "hmlmctl.h"

#define MAX_NS	32

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* ---- suspend / resume -------------------------------------------------- */

int cmd_suspend(const struct cmd *cm, int argc, char **argv)
{
	static const struct option o[] = {
		{ "notify", no_argument, NULL, 'n' },
		{ "no-keep", no_argument, NULL, 'K' },
		{ "timeout", required_argument, NULL, 't' },
		CMD_HELP_OPT,
		{ NULL, 0, NULL, 0 },
	};
	struct hmlm_session *s;
	unsigned int flags = HMLM_SUSPEND_KEEP, timeout = 0;
	uint64_t v;
	int c, ret;

	optind = 0;	/* a full re-initialisation of getopt */
	while ((c = getopt_long(argc, argv, "nKt:h", o, NULL)) != -1) {
		switch (c) {
		case 'n':
			flags = HMLM_SUSPEND_NOTIFY;
			break;
		case 'K':
			flags &= ~HMLM_SUSPEND_KEEP;
			break;
		case 't':
			if (parse_num("--timeout", optarg, 0, UINT32_MAX, 0, &v))
				return 2;
			timeout = (unsigned int)v;
			break;
		case 'h':
			return cmd_usage(cm, 0);
		default:
			return cmd_usage(cm, 2);
		}
	}
	if (argc - optind != 2)
		return cmd_usage(cm, 2);
	ret = open_session(argv[optind], argv[optind + 1], &s);
	if (ret)
		return ret;
	ret = hmlm_suspend(s, flags, timeout);
	if (ret) {
		ret = fail_session(flags & HMLM_SUSPEND_NOTIFY ?
				   "Migration Send (Suspend Notification)" :
				   "Migration Send (Suspend)", ret, s);
	} else if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "cntlid",
				       json_object_new_int(hmlm_session_cntlid(s)));
		json_object_object_add(o, "suspended", json_object_new_boolean(
			!(flags & HMLM_SUSPEND_NOTIFY)));
		json_print(stdout, o);
	}
	hmlm_session_close(s);
	return ret;
}

int cmd_resume(const struct cmd *cm, int argc, char **argv)
{
	struct hmlm_session *s;
	int ret;

	ret = cmd_args(cm, argc, argv, 2);
	if (ret >= 0)
		return ret;
	ret = open_session(argv[optind], argv[optind + 1], &s);
	if (ret)
		return ret;
	ret = hmlm_resume(s);
	if (ret) {
		ret = fail_session("Migration Send (Resume)", ret, s);
	} else if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "cntlid",
				       json_object_new_int(hmlm_session_cntlid(s)));
		json_object_object_add(o, "resumed", json_object_new_boolean(1));
		json_print(stdout, o);
	}
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
		return fail_session("Migration Receive (Get Controller State)",
				    ret, s);
	fd = strcmp(file, "-") ? open(file, O_WRONLY | O_CREAT | O_TRUNC |
				      O_CLOEXEC, 0600) : 1;
	if (fd < 0) {
		ret = -errno;
		hmlm_state_free(&st);
		return fail_err(file, ret, 0);
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
	info.state_fmt.flags = ss.flags;
	info.state_fmt.nvme_version = ss.nvme_version;
	memcpy(info.state_fmt.uuid, ss.uuid, 16);
	ret = hmlm_stream_writer_open(fd, &info, 0, &w);
	if (!ret)
		ret = hmlm_stream_write_state(w, &ss);
	if (!ret)
		ret = hmlm_stream_writer_finish(w);
	hmlm_stream_writer_close(w);
	if (fd != 1 && close(fd) && !ret)
		ret = -errno;
	if (ret) {
		char what[300];

		hmlm_state_free(&st);
		snprintf(what, sizeof(what), "write state file %s", file);
		return fail_err(what, ret, 0);
	}
	if (json && fd != 1) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "cntlid",
				       json_object_new_int(hmlm_session_cntlid(s)));
		json_object_object_add(o, "bytes", json_u64(st.len));
		json_object_object_add(o, "nvme_version",
				       json_object_new_int(st.nvme_version));
		json_object_object_add(o, "consistent", json_object_new_boolean(
			st.flags & HMLM_STATE_CONSISTENT));
		json_print(stdout, o);
	} else if (fd != 1)
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
		return fail_err(file, -errno, 0);
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
		char what[300];

		hmlm_state_free(&st);
		snprintf(what, sizeof(what), "read state file %s", file);
		return fail_err(what, ret, 0);
	}
	if (!found) {
		char what[300];

		snprintf(what, sizeof(what), "state file %s", file);
		return fail_err(what, -ENODATA, 0);
	}
	ret = hmlm_state_set(s, &st);
	hmlm_state_free(&st);
	if (ret)
		return fail_session("Migration Send (Set Controller State)",
				    ret, s);
	if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "cntlid",
				       json_object_new_int(hmlm_session_cntlid(s)));
		json_object_object_add(o, "loaded", json_object_new_boolean(1));
		json_print(stdout, o);
	}
	return 0;
}

int cmd_state(const struct cmd *cm, int argc, char **argv)
{
	struct hmlm_session *s;
	char **a;
	int ret;

	ret = cmd_args(cm, argc, argv, 4);
	if (ret >= 0)
		return ret;
	a = argv + optind;
	if (strcmp(a[0], "save") && strcmp(a[0], "load")) {
		fprintf(stderr, "hmlmctl: state '%s': save or load\n", a[0]);
		return cmd_usage(cm, 2);
	}
	ret = open_session(a[1], a[2], &s);
	if (ret)
		return ret;
	if (!strcmp(a[0], "save"))
		ret = state_save(s, a[3]);
	else
		ret = state_load(s, a[3]);
	hmlm_session_close(s);
	return ret;
}

/*
 * The block device of namespace @nsid of the controller @mmc (/dev/nvmeN),
 * from libnvme's view of the sysfs topology: a namespace of the
 * controller itself (nvme<N>n<I>), or with native multipath the
 * subsystem's disk that one of the controller's paths leads to
 * (nvme<S>n<I>, named after the subsystem, not the controller or the
 * NSID). Falls back to <mmc>n<nsid>.
 */
static char *ns_bdev(const char *mmc, unsigned int nsid)
{
	const char *base = strrchr(mmc, '/'), *name = NULL;
	nvme_subsystem_t sub;
	nvme_root_t root;
	nvme_host_t host;
	nvme_ctrl_t ctrl;
	nvme_path_t path;
	nvme_ns_t ns;
	char out[300];

	base = base ? base + 1 : mmc;
	snprintf(out, sizeof(out), "%sn%u", mmc, nsid);
	root = nvme_create_root(stderr, LOG_CRIT);
	if (!root)
		return strdup(out);
	if (nvme_scan_topology(root, NULL, NULL))
		goto done;
	nvme_for_each_host(root, host)
	nvme_for_each_subsystem(host, sub)
	nvme_subsystem_for_each_ctrl(sub, ctrl) {
		if (strcmp(nvme_ctrl_get_name(ctrl), base))
			continue;
		nvme_ctrl_for_each_ns(ctrl, ns)
			if ((unsigned int)nvme_ns_get_nsid(ns) == nsid)
				name = nvme_ns_get_name(ns);
		nvme_ctrl_for_each_path(ctrl, path) {
			ns = nvme_path_get_ns(path);
			if (!name && ns && (unsigned int)nvme_ns_get_nsid(ns) == nsid)
				name = nvme_ns_get_name(ns);
		}
		if (name) {
			snprintf(out, sizeof(out), "/dev/%s", name);
			goto done;
		}
	}
done:
	nvme_free_tree(root);
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

/* With --json the records go into @arr, printed as one document. */
static void print_rec(const struct hmlm_log_rec *r, struct json_object *arr)
{
	if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "seq", json_u64(r->seq));
		json_object_object_add(o, "nsid", json_u64(r->nsid));
		json_object_object_add(o, "kind", json_object_new_string(
			r->kind == HMLM_LOG_REC_RANGE ? "range" :
			r->kind == HMLM_LOG_REC_NS ? "namespace" : "none"));
		json_object_object_add(o, "slba", json_u64(r->slba));
		json_object_object_add(o, "nlb", json_u64(r->nlb));
		json_object_object_add(o, "marker",
				       json_object_new_string(marker_name(r->marker)));
		json_object_object_add(o, "dealloc", json_object_new_boolean(
			r->flags & HMLM_LOG_REC_DEALLOC));
		json_object_array_add(arr, o);
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

static void print_extents(const struct hmlm_extents *set,
			  struct json_object *arr)
{
	struct hmlm_extent e = { 0 };

	while (hmlm_extents_next(set, &e) > 0) {
		if (json) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "nsid", json_u64(e.nsid));
			json_object_object_add(o, "slba", json_u64(e.slba));
			json_object_object_add(o, "nlb", json_u64(e.nlb));
			json_object_array_add(arr, o);
		} else
			printf("nsid %u lba %" PRIu64 "+%" PRIu64 "\n", e.nsid,
			       e.slba, e.nlb);
	}
	if (!json)
		fprintf(stderr, "hmlmctl: %zu dirty extents, %" PRIu64 " bytes\n",
			hmlm_extents_count(set), hmlm_extents_bytes(set, HMLM_NSID_ALL));
}

int cmd_track(const struct cmd *cm, int argc, char **argv)
{
	static const struct option o[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "entries", required_argument, NULL, 'e' },
		{ "timeout", required_argument, NULL, 't' },
		{ "extents", required_argument, NULL, 'x' },
		CMD_HELP_OPT,
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *jrecs = json ? json_object_new_array() : NULL;
	struct hmlm_extents *set = NULL;
	struct hmlm_log_rec recs[64];
	struct hmlm_session *s;
	struct hmlm_log *log;
	uint64_t count = 0, seen = 0, entries = 0, timeout_ms = 0;
	uint64_t ext_nsid = 0;
	uint64_t t_end = 0;
	struct timespec ts;
	int c, n, i, ret, stopped = 0;

	optind = 0;	/* a full re-initialisation of getopt */
	while ((c = getopt_long(argc, argv, "c:e:t:x:h", o, NULL)) != -1) {
		switch (c) {
		case 'c':
			ret = parse_num("--count", optarg, 1, UINT64_MAX, 0, &count);
			break;
		case 'e':
			ret = parse_num("--entries", optarg, 0, 1U << 20, 0, &entries);
			break;
		case 'x':
			ret = parse_num("--extents", optarg, 1, 0xfffffffe, 0, &ext_nsid);
			break;
		case 't':
			ret = parse_num("--timeout", optarg, 1, UINT32_MAX, 0, &timeout_ms);
			break;
		case 'h':
			json_object_put(jrecs);
			return cmd_usage(cm, 0);
		default:
			ret = -EINVAL;
		}
		if (ret) {
			json_object_put(jrecs);
			return c == '?' ? cmd_usage(cm, 2) : 2;
		}
	}
	if (argc - optind != 2) {
		json_object_put(jrecs);
		return cmd_usage(cm, 2);
	}
	if (ext_nsid) {
		ret = extents_for(argv[optind], (uint32_t)ext_nsid, &set);
		if (ret) {
			char what[300];

			json_object_put(jrecs);
			snprintf(what, sizeof(what), "namespace %" PRIu64
				 " of %s (--extents)", ext_nsid, argv[optind]);
			return fail_err(what, ret, 0);
		}
	}
	ret = open_session(argv[optind], argv[optind + 1], &s);
	if (ret) {
		json_object_put(jrecs);
		hmlm_extents_free(set);
		return ret;
	}
	ret = hmlm_log_start(s, (unsigned int)entries, 0, &log);
	if (ret) {
		ret = fail_session("start logging (Create CDQ, Track Send)",
				   ret, s);
		json_object_put(jrecs);
		hmlm_extents_free(set);
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
			ret = fail_session("read the migration queue", n, s);
			break;
		}
		if (n == 0)
			break;	/* the log ended */
		for (i = 0; i < n; i++) {
			if (set)
				fold_rec(set, &recs[i]);
			else
				print_rec(&recs[i], jrecs);
			if (recs[i].marker != HMLM_LOG_MARK_FIRST)
				seen++;
		}
	}
	if (set) {
		print_extents(set, jrecs);
		hmlm_extents_free(set);
	}
	if (json && !ret) {
		struct json_object *jo = json_object_new_object();

		json_object_object_add(jo, "cntlid",
				       json_object_new_int(hmlm_session_cntlid(s)));
		json_object_object_add(jo, ext_nsid ? "extents" : "records", jrecs);
		json_object_object_add(jo, "log_records",
				       json_u64(hmlm_log_records(log)));
		json_object_object_add(jo, "overflowed", json_object_new_boolean(
			hmlm_log_markers(log) & HMLM_LOG_SEEN_FULL));
		json_print(stdout, jo);
		jrecs = NULL;
	}
	json_object_put(jrecs);
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
	int drawn;
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
	ps->drawn = 1;
	/* of what is known so far: the current round's end moves on */
	pct = p->bytes_total ? (unsigned int)(p->bytes_done * 100 / p->bytes_total) :
		p->phase >= HMLM_PHASE_STATE ? 100 : 0;
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
		struct json_object *o = json_object_new_object();
		struct json_object *rb = json_object_new_array();

		json_object_object_add(o, "operation", json_object_new_string(what));
		json_object_object_add(o, "result", json_object_new_int(ret));
		json_object_object_add(o, "error",
				       json_object_new_string(ret ? err_text(ret) : ""));
		json_object_object_add(o, "nvme_status",
				       json_object_new_int(r->nvme_status));
		if (r->nvme_status)
			json_object_object_add(o, "nvme_status_text",
				json_object_new_string(nvme_status_text(r->nvme_status)));
		json_object_object_add(o, "rounds", json_u64(r->rounds));
		for (i = 0; i <= r->rounds && i <= HMLM_MIGRATE_MAX_ROUNDS; i++)
			json_object_array_add(rb, json_u64(r->round_bytes[i]));
		json_object_object_add(o, "round_bytes", rb);
#define J(f) json_object_object_add(o, #f, json_u64(r->f))
		J(allocated_bytes); J(bytes_copied); J(bytes_rewritten);
		J(stopcopy_bytes); J(dirty_extents); J(log_records);
		J(queue_full_events); J(downtime_ns); J(suspend_to_resume_ns);
		J(stopcopy_ns); J(mem_ranges_reported); J(state_bytes);
		J(stream_bytes);
#undef J
		json_object_object_add(o, "converged", json_object_new_boolean(
			r->flags & HMLM_REPORT_CONVERGED));
		json_object_object_add(o, "budget_exceeded", json_object_new_boolean(
			r->flags & HMLM_REPORT_BUDGET_EXCEEDED));
		json_object_object_add(o, "source_resumed", json_object_new_boolean(
			r->flags & HMLM_REPORT_SOURCE_RESUMED));
		json_object_object_add(o, "deadline", json_object_new_boolean(
			r->flags & HMLM_REPORT_DEADLINE));
		json_object_object_add(o, "sync_io", json_object_new_boolean(
			r->flags & HMLM_REPORT_SYNC_IO));
		json_print(out, o);
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
	const char *target_formats;
	struct hmlm_caps target;
	int stopped_fd;		/* migrate-data: readable once suspended */
};

/* A namespace ID of an --ns spec: strict, 1..FFFFFFFEh. */
static int parse_nsid(const char *s, uint32_t *nsid)
{
	uint64_t v;

	if (parse_num("--ns NSID", s, 1, 0xfffffffe, 0, &v))
		return -EINVAL;
	*nsid = (uint32_t)v;
	return 0;
}

/*
 * --ns specs: migrate SRC[:BDEV][=DST[:BDEV]]; migrate-out NSID[:BDEV];
 * migrate-in SRC[=DST[:BDEV]] (the stream's NSID, then the target's).
 * A disk the command has no use for is refused, not taken as another.
 * BDEV defaults to the MMC's disk of that namespace.
 */
static int parse_ns(struct mig_args *a, int dir, const char *src_mmc,
		    const char *dst_mmc)
{
	unsigned int i;

	for (i = 0; i < a->nr_ns; i++) {
		struct hmlm_ns_map *m = &a->map[i];
		char *spec = a->spec[i], *dst, *bdev;
		const char *orig = spec;
		char *copy = strdup(spec);

		if (!copy)
			return -ENOMEM;
		spec = copy;
		dst = strchr(spec, '=');
		if (dst)
			*dst++ = '\0';
		bdev = strchr(spec, ':');
		if (bdev)
			*bdev++ = '\0';
		if (dir > 0 && bdev) {
			fprintf(stderr, "hmlmctl: --ns %s: migrate-in reads the "
				"source from the stream; its disk goes after '=' "
				"(SRC=DST:BDEV)\n", orig);
			return -EINVAL;
		}
		if (dir < 0 && dst) {
			fprintf(stderr, "hmlmctl: --ns %s: migrate-out has no "
				"target side (NSID[:BDEV])\n", orig);
			return -EINVAL;
		}
		if ((bdev && !*bdev) || parse_nsid(spec, &m->src_nsid))
			return -EINVAL;
		if (bdev)
			m->src_bdev = bdev;
		else if (src_mmc)
			m->src_bdev = ns_bdev(src_mmc, m->src_nsid);
		m->dst_nsid = m->src_nsid;
		bdev = NULL;
		if (dst) {
			bdev = strchr(dst, ':');
			if (bdev)
				*bdev++ = '\0';
			if ((bdev && !*bdev) || parse_nsid(dst, &m->dst_nsid))
				return -EINVAL;
		}
		if (bdev)
			m->dst_bdev = bdev;
		else if (dst_mmc)
			m->dst_bdev = ns_bdev(dst_mmc, m->dst_nsid);
	}
	return 0;
}

/* "nvme:V,vendor:UUID,..." (hmlmctl formats) into @c's state formats. */
static int parse_formats(const char *tok, struct hmlm_caps *c)
{
	char *copy = strdup(tok), *item, *save = NULL;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	memset(c, 0, sizeof(*c));
	c->size = sizeof(*c);
	if (!strcmp(tok, "none"))
		goto out;
	for (item = strtok_r(copy, ",", &save); item && !ret;
	     item = strtok_r(NULL, ",", &save)) {
		uint64_t v;

		if (!strncmp(item, "nvme:", 5)) {
			if (c->num_state_versions == HMLM_MAX_STATE_FORMATS ||
			    parse_num("--target-formats nvme", item + 5, 0,
				      0xffff, 0, &v))
				ret = -EINVAL;
			else
				c->state_versions[c->num_state_versions++] =
					(uint16_t)v;
		} else if (!strncmp(item, "vendor:", 7)) {
			uint8_t *u = c->state_uuids[c->num_state_uuids];
			const char *p = item + 7;
			int n = 0;

			if (c->num_state_uuids == HMLM_MAX_STATE_FORMATS) {
				ret = -EINVAL;
				break;
			}
			while (*p && n < 16) {
				unsigned int b;

				if (*p == '-') {
					p++;
					continue;
				}
				if (sscanf(p, "%2x", &b) != 1 || !p[1])
					break;
				u[n++] = (uint8_t)b;
				p += 2;
			}
			if (n != 16 || *p) {
				fprintf(stderr, "hmlmctl: --target-formats '%s': "
					"not a UUID\n", item);
				ret = -EINVAL;
			} else {
				c->num_state_uuids++;
			}
		} else {
			fprintf(stderr, "hmlmctl: --target-formats '%s': "
				"nvme:VERSION or vendor:UUID\n", item);
			ret = -EINVAL;
		}
	}
out:
	free(copy);
	return ret;
}

static int parse_mig_opts(const struct cmd *cm, int argc, char **argv,
			  struct mig_args *a)
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
		{ "target-formats", required_argument, NULL, 'T' },
		{ "stop-deadline-us", required_argument, NULL, 'D' },
		{ "recv-timeout-us", required_argument, NULL, 'W' },
		{ "stopped-fd", required_argument, NULL, 'S' },
		CMD_HELP_OPT,
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	memset(a, 0, sizeof(*a));
	a->p.size = sizeof(a->p);
	a->show_progress = isatty(2) && !json;
	optind = 0;	/* a full re-initialisation of getopt */
	while ((c = getopt_long(argc, argv, "n:r:c:b:e:ARpT:D:W:S:h", o, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (a->nr_ns == MAX_NS) {
				fprintf(stderr, "hmlmctl: --ns: %d at most\n", MAX_NS);
				return 2;
			}
			a->spec[a->nr_ns++] = optarg;
			break;
		case 'A':
			a->p.flags |= HMLM_MIGRATE_NO_ALLOC;
			break;
		case 'R':
			a->p.flags |= HMLM_MIGRATE_NO_RESUME;
			break;
		case 'p':
			a->show_progress = 1;
			break;
		case 'T':
			if (strcmp(cm->name, "migrate-out")) {
				fprintf(stderr, "hmlmctl: --target-formats: "
					"migrate-out only\n");
				return 2;
			}
			if (parse_formats(optarg, &a->target))
				return 2;
			a->target_formats = optarg;
			a->p.target_caps = &a->target;
			break;
		case 'r':
			if (parse_num("--max-rounds", optarg, 1,
				      HMLM_MIGRATE_MAX_ROUNDS, 0, &v))
				return 2;
			a->p.max_rounds = (unsigned int)v;
			break;
		case 'c':
			if (parse_num("--converge", optarg, 1, UINT64_MAX,
				      NUM_SUFFIX, &v))
				return 2;
			a->p.converge_bytes = v;
			break;
		case 'b':
			if (parse_num("--budget-us", optarg, 1, UINT64_MAX, 0, &v))
				return 2;
			a->p.downtime_budget_us = v;
			break;
		case 'e':
			if (parse_num("--log-entries", optarg, 16, 1U << 20, 0, &v))
				return 2;
			a->p.log_entries = (unsigned int)v;
			break;
		case 'D':
			if (parse_num("--stop-deadline-us", optarg, 1,
				      UINT64_MAX / 1000, 0, &v))
				return 2;
			a->p.stop_deadline_us = v;
			break;
		case 'W':
			if (strcmp(cm->name, "migrate-in")) {
				fprintf(stderr, "hmlmctl: --recv-timeout-us: "
					"migrate-in only\n");
				return 2;
			}
			if (parse_num("--recv-timeout-us", optarg, 1,
				      UINT64_MAX / 1000, 0, &v))
				return 2;
			a->p.recv_timeout_us = v;
			break;
		case 'S':
			if (strcmp(cm->name, "migrate-data")) {
				fprintf(stderr, "hmlmctl: --stopped-fd: "
					"migrate-data only\n");
				return 2;
			}
			if (parse_num("--stopped-fd", optarg, 0, 1023, 0, &v))
				return 2;
			a->stopped_fd = (int)v;
			break;
		case 'h':
			return cmd_usage(cm, 0);
		default:
			return cmd_usage(cm, 2);
		}
	}
	return -1;
}

int cmd_migrate(const struct cmd *cm, int argc, char **argv)
{
	struct hmlm_session *src = NULL, *dst = NULL;
	struct hmlm_migrate_report r = { .size = sizeof(r) };
	struct prog_state ps = { 0 };
	struct mig_args a;
	const char *what = cm->name;
	int dir, ret, npos, data;
	FILE *out;

	/* migrate-data: both sides local, the source session a data one */
	data = !strcmp(what, "migrate-data");
	dir = !strcmp(what, "migrate") || data ? 0 :
	      !strcmp(what, "migrate-out") ? -1 : 1;
	ret = parse_mig_opts(cm, argc, argv, &a);
	if (ret >= 0)
		return ret;
	argc -= optind;
	argv += optind;
	/* migrate-data runs rounds until told to stop, and resumes nothing */
	if (data && (a.p.max_rounds || a.p.converge_bytes ||
		     (a.p.flags & HMLM_MIGRATE_NO_RESUME))) {
		fprintf(stderr, "hmlmctl: migrate-data: --max-rounds, --converge "
			"and --no-resume do not apply\n");
		return 2;
	}
	npos = data ? 3 : dir == 0 ? 4 : 2;
	if (argc != npos)
		return cmd_usage(cm, 2);
	if (!a.nr_ns)
		a.spec[a.nr_ns++] = "1";
	if (parse_ns(&a, dir, dir <= 0 ? argv[0] : NULL,
		     dir == 0 ? argv[2] : dir > 0 ? argv[0] : NULL))
		return 2;
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
	/* migrate-out: stdout is the stream, the JSON goes to stderr */
	out = dir < 0 ? stderr : stdout;
	ret = open_session_flags(argv[0], argv[1],
				 data ? HMLM_SESSION_DATA : 0,
				 dir > 0 ? &dst : &src);
	if (ret)
		return ret;
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	if (data) {
		ret = hmlm_migrate_data(src, a.map, a.nr_ns, a.stopped_fd,
					&a.p, &r);
	} else if (dir == 0) {
		ret = open_session(argv[2], argv[3], &dst);
		if (ret) {
			hmlm_session_close(src);
			return ret;
		}
		ret = hmlm_migrate(src, dst, a.map, a.nr_ns, &a.p, &r);
	} else if (dir < 0) {
		ret = hmlm_migrate_out(src, a.map, a.nr_ns, 1, &a.p, &r);
	} else {
		ret = hmlm_migrate_in(dst, a.map, a.nr_ns, 0, &a.p, &r);
	}
	if (ps.on && ps.drawn)
		fputc('\n', stderr);
	if (ret) {
		const char *why = NULL;

		if (data && ret == -ETIMEDOUT && r.err_step == HMLM_STEP_DRAIN)
			why = "no \"suspended\" record came from the migration "
			      "queue: the source was not suspended when "
			      "--stopped-fd said so; do not let QEMU switch over";
		else if (data && ret)
			why = NULL;
		else if (ret == -EOPNOTSUPP && dir < 0 && a.target_formats)
			why = "the target takes none of the source's controller "
			      "state formats (--target-formats)";
		else if (ret == -EOPNOTSUPP && dir > 0)
			why = "the stream's controller state format is not one "
			      "this controller lists (hmlmctl formats)";
		else if (ret == -ENOENT && dir > 0)
			why = "the stream's namespaces do not match --ns (every "
			      "source NSID of the stream must be mapped)";
		else if (ret == -ETIMEDOUT && dir > 0)
			why = "the source stalled (--recv-timeout-us, or "
			      "--stop-deadline-us after its final round): the "
			      "target was given no state and not resumed";
		if (why)
			fprintf(stderr, "hmlmctl: %s: %s\n", what, why);
		else if (ret == -EIO && r.nvme_status)
			fprintf(stderr, "hmlmctl: %s: NVMe status 0x%x: %s\n",
				what, r.nvme_status,
				nvme_status_text(r.nvme_status));
		else
			fprintf(stderr, "hmlmctl: %s: %s\n", what, err_text(ret));
		if (r.flags & HMLM_REPORT_SOURCE_RESUMED)
			fprintf(stderr, "hmlmctl: the source was resumed and keeps running\n");
	}
	print_report(out, what, ret, &r);
	hmlm_session_close(src);
	hmlm_session_close(dst);
	return ret ? 1 : 0;
}
