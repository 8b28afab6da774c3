// SPDX-License-Identifier: GPL-2.0
/*
 * One end-to-end migration (see e2e_migrate.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdarg.h>
#include <sys/wait.h>

#include "e2e_migrate.h"

#ifdef HAVE_HMLM_MIGRATE
#include <hmlm.h>
#endif

#define NSID	1
#define CSVI	1	/* the device model's NVMe Controller State version 0 */
#define CSUUIDI	1	/* its vendor specific state (admin queue, features) */
#define STATE_MAX (64u << 10)

static const char *const engine_names[] = { "lib", "stream", "raw", "cli" };

const char *e2e_engine_name(enum e2e_engine e)
{
	return (unsigned int)e < 4 ? engine_names[e] : "?";
}

int e2e_engine_parse(const char *s)
{
	int i;

	for (i = 0; i < 4; i++)
		if (!strcmp(s, engine_names[i]))
			return i;
	return -EINVAL;
}

bool e2e_have_lib(void)
{
#ifdef HAVE_HMLM_MIGRATE
	return true;
#else
	return false;
#endif
}

struct ctx {
	const struct e2e_cfg *cfg;
	struct e2e_result *r;
	struct wl *w;
	bool paused;
	int pause_rc;
	bool marking;
	bool precopy_seen;
	uint64_t t_start, t_suspend, t_precopy;
	/* when the source's STOPCOPY, STATE and RESUMED callbacks came */
	uint64_t t_stopcopy, t_state, t_resumed;
	/* reported dirty memory */
	struct wl_range *mem;
	size_t nmem, capmem;
};

static void fail(struct e2e_result *r, int rc, const char *fmt, ...)
{
	va_list ap;

	if (r->rc)
		return;
	r->rc = rc ? rc : -EIO;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
}

static void note(const struct e2e_cfg *cfg, const char *fmt, ...)
{
	va_list ap;

	if (!cfg->progress)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "  [e2e] ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* The VMM's part at suspend: stop the doorbells, detach. */
static void on_suspended(struct ctx *c)
{
	struct wl_stats st;

	if (c->paused)
		return;
	c->t_suspend = e2e_now_ns();
	wl_get_stats(c->w, &st);
	c->r->wl_modify_at_suspend = st.modify_cmds;
	c->r->wl_t_suspend_ms = (c->t_suspend - c->t_start) / 1000000;
	c->pause_rc = wl_pause(c->w);
	c->paused = true;
	note(c->cfg, "source suspended: workload detached (%d), %llu in flight", c->pause_rc,
	     (unsigned long long)st.inflight);
}

#ifdef HAVE_HMLM_MIGRATE
static int progress_cb(const struct hmlm_progress *p, void *arg)
{
	struct ctx *c = arg;

	switch (p->phase) {
	case HMLM_PHASE_PRECOPY:
		if (!c->precopy_seen) {
			struct wl_stats st;

			/* logging and tracking are on before the first copy */
			wl_get_stats(c->w, &st);
			c->r->wl_modify_at_precopy = st.modify_cmds;
			c->t_precopy = e2e_now_ns();
			c->precopy_seen = true;
		}
		if (c->cfg->track_mem && !c->marking) {
			/* tracking and logging are on before the first copy */
			wl_mem_mark(c->w, true);
			c->marking = true;
		}
		break;
	case HMLM_PHASE_ROUND:
		/* called at the start of a round and after each copied chunk */
		if (p->round < E2E_MAX_ROUNDS && !c->r->round_dirty[p->round]) {
			c->r->round_dirty[p->round] = p->dirty_bytes;
			note(c->cfg, "round %u: %llu dirty bytes", p->round,
			     (unsigned long long)p->dirty_bytes);
		}
		break;
	case HMLM_PHASE_SUSPENDED:
		on_suspended(c);
		break;
	case HMLM_PHASE_STOPCOPY:
		if (!c->t_stopcopy)
			c->t_stopcopy = e2e_now_ns();
		break;
	case HMLM_PHASE_STATE:
		if (!c->t_state)
			c->t_state = e2e_now_ns();
		break;
	case HMLM_PHASE_RESUMED:
		if (!c->t_resumed)
			c->t_resumed = e2e_now_ns();
		note(c->cfg, "target resumed");
		break;
	default:
		break;
	}
	return 0;
}

/* the target's side of the stream engine: when its phases came */
struct in_times {
	uint64_t t_stopcopy, t_state, t_resumed;
};

static int in_progress_cb(const struct hmlm_progress *p, void *arg)
{
	struct in_times *t = arg;
	uint64_t *at = NULL;

	switch (p->phase) {
	case HMLM_PHASE_STOPCOPY:
		at = &t->t_stopcopy;
		break;
	case HMLM_PHASE_STATE:
		at = &t->t_state;
		break;
	case HMLM_PHASE_RESUMED:
		at = &t->t_resumed;
		break;
	default:
		break;
	}
	if (at && !*at)
		*at = e2e_now_ns();
	return 0;
}

/* @t (a callback's time) from the downtime's start @t0; 0: it never came */
static uint64_t since(uint64_t t0, uint64_t t)
{
	return t && t0 && t > t0 ? t - t0 : 0;
}

static int mem_cb(const struct hmlm_mem_range *ranges, unsigned int nr, void *arg)
{
	struct ctx *c = arg;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		if (c->nmem == c->capmem) {
			size_t n = c->capmem ? c->capmem * 2 : 256;
			struct wl_range *m = realloc(c->mem, n * sizeof(*m));

			if (!m)
				return -ENOMEM;
			c->mem = m;
			c->capmem = n;
		}
		c->mem[c->nmem].addr = ranges[i].addr;
		c->mem[c->nmem].len = ranges[i].len;
		c->nmem++;
	}
	c->r->mem_ranges_reported += nr;
	return 0;
}

static void copy_report(struct e2e_result *r, const struct hmlm_migrate_report *rep)
{
	unsigned int i;

	r->downtime_ns = rep->downtime_ns;
	r->rounds = rep->rounds;
	for (i = 0; i <= rep->rounds && i < E2E_MAX_ROUNDS && i <= HMLM_MIGRATE_MAX_ROUNDS; i++)
		r->round_bytes[i] = rep->round_bytes[i];
	r->allocated_bytes = rep->allocated_bytes;
	r->bytes_copied = rep->bytes_copied;
	r->bytes_rewritten = rep->bytes_rewritten;
	r->stopcopy_bytes = rep->stopcopy_bytes;
	r->dirty_extents = rep->dirty_extents;
	r->log_records = rep->log_records;
	r->queue_full_events = rep->queue_full_events;
	r->state_bytes = rep->state_bytes;
	r->stream_bytes = rep->stream_bytes;
	r->report_flags = rep->flags;
	r->nvme_status = rep->nvme_status;
	r->suspend_ns = rep->suspend_ns;
	r->callback_ns = rep->callback_ns;
	r->log_drain_ns = rep->log_drain_ns;
	r->mem_drain_ns = rep->mem_drain_ns;
	r->stopcopy_ns = rep->stopcopy_ns;
	r->state_get_ns = rep->state_get_ns;
	r->state_set_ns = rep->state_set_ns;
	r->resume_ns = rep->resume_ns;
}

static void fill_params(struct ctx *c, struct hmlm_migrate_params *p,
			struct hmlm_mem_range *mr, unsigned int nmr)
{
	const struct e2e_cfg *cfg = c->cfg;

	memset(p, 0, sizeof(*p));
	p->size = sizeof(*p);
	p->flags = cfg->no_alloc ? HMLM_MIGRATE_NO_ALLOC : 0;
	p->max_rounds = cfg->max_rounds;
	p->converge_bytes = cfg->converge_bytes;
	p->log_entries = cfg->log_entries;
	p->progress = progress_cb;
	p->progress_arg = c;
	if (cfg->track_mem && nmr) {
		p->mem_ranges = mr;
		p->nr_mem_ranges = nmr;
		p->mem_gran = 0;
		p->mem_dirty = mem_cb;
		p->mem_arg = c;
	}
}

struct in_thread {
	struct in_times times;
	struct hmlm_session *dst;
	const struct hmlm_ns_map *map;
	int fd;
	struct hmlm_migrate_params params;
	struct hmlm_migrate_report rep;
	int rc;
};

static void *migrate_in_thread(void *arg)
{
	struct in_thread *t = arg;

	t->rc = hmlm_migrate_in(t->dst, t->map, 1, t->fd, &t->params, &t->rep);
	close(t->fd);
	return NULL;
}

static int run_lib(struct ctx *c, const struct e2e_side *from, const struct e2e_side *to)
{
	const struct e2e_cfg *cfg = c->cfg;
	struct e2e_result *r = c->r;
	struct hmlm_session *src = NULL, *dst = NULL;
	struct hmlm_migrate_params params;
	struct hmlm_migrate_report rep;
	struct hmlm_mem_range mr[64];
	struct wl_range wr[64];
	struct hmlm_ns_map map = {
		.src_nsid = NSID, .dst_nsid = NSID,
		.src_bdev = from->bdev, .dst_bdev = to->bdev,
	};
	int rc, n, i;
	uint64_t t0;

	rc = bench_load_module(cfg->env->module);
	if (rc) {
		fail(r, rc, "loading %s: %s", cfg->env->module ? cfg->env->module : "(unset)",
		     strerror(-rc));
		return rc;
	}
	rc = hmlm_session_open(from->pf, from->cntlid[0], &src);
	if (rc) {
		fail(r, rc, "hmlm_session_open(%s, %d): %s", from->pf, from->cntlid[0],
		     strerror(-rc));
		return rc;
	}
	rc = hmlm_session_open(to->pf, to->cntlid[0], &dst);
	if (rc) {
		fail(r, rc, "hmlm_session_open(%s, %d): %s", to->pf, to->cntlid[0],
		     strerror(-rc));
		hmlm_session_close(src);
		return rc;
	}
	n = wl_dma_ranges(c->w, wr, 64);
	if (n > 64)
		n = 64;
	for (i = 0; i < n; i++) {
		mr[i].addr = wr[i].addr;
		mr[i].len = wr[i].len;
	}
	fill_params(c, &params, mr, (unsigned int)n);
	memset(&rep, 0, sizeof(rep));
	rep.size = sizeof(rep);
	c->t_start = t0 = e2e_now_ns();
	if (cfg->engine == E2E_STREAM) {
		struct in_thread t = { .dst = dst, .map = &map,
				       .rep = { .size = sizeof(t.rep) } };
		struct hmlm_migrate_params inp = params;
		pthread_t th;
		int fds[2];

		if (pipe2(fds, O_CLOEXEC)) {
			rc = -errno;
			fail(r, rc, "pipe: %s", strerror(errno));
			goto out;
		}
		inp.progress = in_progress_cb;
		inp.progress_arg = &t.times;
		inp.mem_ranges = NULL;
		inp.nr_mem_ranges = 0;
		inp.mem_dirty = NULL;
		t.params = inp;
		t.fd = fds[0];
		if (pthread_create(&th, NULL, migrate_in_thread, &t)) {
			close(fds[0]);
			close(fds[1]);
			rc = -EAGAIN;
			fail(r, rc, "pthread_create");
			goto out;
		}
		rc = hmlm_migrate_out(src, &map, 1, fds[1], &params, &rep);
		close(fds[1]);
		pthread_join(th, NULL);
		r->total_ns = e2e_now_ns() - t0;
		copy_report(r, &rep);
		if (!rc && t.rc)
			rc = t.rc;
		if (rc)
			fail(r, rc, "hmlm_migrate_out: %d, hmlm_migrate_in: %d (status %#x/%#x)",
			     rc, t.rc, rep.nvme_status, t.rep.nvme_status);
		r->out_downtime_ns = rep.downtime_ns;
		r->in_downtime_ns = t.rep.downtime_ns;
		/*
		 * Each side measures its own share: the source from its Suspend
		 * to the END written, the target from the FINAL round read to
		 * its Resume. The VM is stopped from the one to the other: the
		 * source's Suspend (its SUSPENDED callback less the Suspend's
		 * own time) to the target's RESUMED callback.
		 */
		if (c->t_suspend && t.times.t_resumed > c->t_suspend)
			r->downtime_ns = t.times.t_resumed - c->t_suspend + rep.suspend_ns;
		else
			r->downtime_ns = rep.downtime_ns > t.rep.downtime_ns ?
					 rep.downtime_ns : t.rep.downtime_ns;
		r->stream_bytes = rep.stream_bytes;
		/* the target's Suspend, Set Controller State and Resume */
		r->state_set_ns = t.rep.state_set_ns;
		if (c->t_suspend) {
			uint64_t t_down = c->t_suspend - rep.suspend_ns;

			r->at_in_stopcopy_ns = since(t_down, t.times.t_stopcopy);
			r->at_in_state_ns = since(t_down, t.times.t_state);
			r->at_in_resumed_ns = since(t_down, t.times.t_resumed);
		}
	} else {
		rc = hmlm_migrate(src, dst, &map, 1, &params, &rep);
		r->total_ns = e2e_now_ns() - t0;
		copy_report(r, &rep);
		if (rc)
			fail(r, rc, "hmlm_migrate: %s (NVMe status %#x)", strerror(-rc),
			     rep.nvme_status);
	}
	if (c->t_suspend) {
		uint64_t t_down = c->t_suspend - rep.suspend_ns;

		r->precopy_ns = c->t_suspend - (c->t_precopy ? c->t_precopy : t0);
		r->at_stopcopy_ns = since(t_down, c->t_stopcopy);
		r->at_state_ns = since(t_down, c->t_state);
		r->at_resumed_ns = since(t_down, c->t_resumed);
	}
out:
	hmlm_session_close(src);
	hmlm_session_close(dst);
	return rc;
}
#endif /* HAVE_HMLM_MIGRATE */

/* ---- the baseline: no module, passthrough or nvme-cli + dd ---------------- */

static int copy_all(const char *src, const char *dst, uint64_t *bytes)
{
	size_t blen = 1u << 20;
	int in = open(src, O_RDONLY | O_DIRECT | O_CLOEXEC);
	int out = open(dst, O_WRONLY | O_DIRECT | O_CLOEXEC);
	void *buf = NULL;
	uint64_t size = 0, off;
	int rc = 0;

	if (in < 0 || out < 0 || posix_memalign(&buf, 4096, blen) ||
	    ioctl(in, BLKGETSIZE64, &size)) {
		rc = -errno ? -errno : -ENOMEM;
		goto out;
	}
	for (off = 0; off < size; off += blen) {
		size_t n = size - off < blen ? size - off : blen;

		if (pread(in, buf, n, off) != (ssize_t)n || pwrite(out, buf, n, off) != (ssize_t)n) {
			rc = -EIO;
			goto out;
		}
	}
	if (fsync(out))
		rc = -errno;
	*bytes = size;
out:
	free(buf);
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return rc;
}

static int run_sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc == -1)
		return -errno;
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -EINTR;
}

/* nvme-cli 2.3 admin-passthru; @extra holds the data options. */
static int cli_admin(const char *pf, uint8_t opc, uint32_t cdw10, uint32_t cdw11, uint32_t cdw15,
		     const char *extra)
{
	return run_sh("nvme admin-passthru %s --opcode=%#x --cdw10=%#x --cdw11=%#x --cdw15=%#x "
		      "--timeout=60000 %s > /dev/null", pf, opc, cdw10, cdw11, cdw15, extra);
}

static int run_base(struct ctx *c, const struct e2e_side *from, const struct e2e_side *to)
{
	const struct e2e_cfg *cfg = c->cfg;
	struct e2e_result *r = c->r;
	bool cli = cfg->engine == E2E_CLI;
	uint32_t susp_src = NVME_LM_MSEND_SUSPEND_CDW11(from->cntlid[0], NVME_LM_STYPE_SUSPEND, 0);
	uint32_t susp_dst = NVME_LM_MSEND_SUSPEND_CDW11(to->cntlid[0], NVME_LM_STYPE_SUSPEND, 0);
	uint32_t getst10 = NVME_LM_CDW10(NVME_LM_MRECV_SEL_GET_STATE, CSVI);
	uint32_t getst11 = NVME_LM_MRECV_CDW11(from->cntlid[0], CSUUIDI, 0);
	uint32_t setst10 = NVME_LM_CDW10(NVME_LM_MSEND_SEL_SET_STATE, NVME_LM_SEQIND_ONLY);
	uint32_t setst11 = NVME_LM_MSEND_STATE_CDW11(to->cntlid[0], CSVI, CSUUIDI);
	uint32_t resume10 = NVME_LM_CDW10(NVME_LM_MSEND_SEL_RESUME, 0);
	static uint8_t st[STATE_MAX];
	const char *sf = "/tmp/e2e-state.bin";
	char opt[256];
	uint64_t t0, len = 0;
	int sfd = open(from->pf, O_RDWR | O_CLOEXEC);
	int dfd = open(to->pf, O_RDWR | O_CLOEXEC);
	int rc;
	FILE *f;

	if (sfd < 0 || dfd < 0) {
		rc = -errno;
		fail(r, rc, "open PFs: %s", strerror(errno));
		goto out;
	}
	/* the target must be suspended, enabled or offline to take a state */
	rc = cli ? cli_admin(to->pf, NVME_LM_OPC_MIGRATION_SEND, 0, susp_dst, 0, "") :
		   e2e_admin(dfd, NVME_LM_OPC_MIGRATION_SEND, 0, 0, susp_dst, 0, 0, 0, NULL, 0,
			     NULL);
	if (rc) {
		fail(r, rc, "suspend target: %#x", rc);
		goto out;
	}
	c->t_start = t0 = e2e_now_ns();
	rc = cli ? cli_admin(from->pf, NVME_LM_OPC_MIGRATION_SEND, 0, susp_src, 0, "") :
		   e2e_admin(sfd, NVME_LM_OPC_MIGRATION_SEND, 0, 0, susp_src, 0, 0, 0, NULL, 0,
			     NULL);
	if (rc) {
		fail(r, rc, "suspend source: %#x", rc);
		goto out;
	}
	on_suspended(c);
	/* stop-and-copy of the whole capacity */
	if (cli)
		rc = run_sh("dd if=%s of=%s bs=1M iflag=direct oflag=direct 2>/dev/null", from->bdev,
			    to->bdev);
	else
		rc = copy_all(from->bdev, to->bdev, &r->bytes_copied);
	if (rc) {
		fail(r, rc, "copy %s -> %s: %d", from->bdev, to->bdev, rc);
		goto out;
	}
	if (cli) {
		int bfd = open(from->bdev, O_RDONLY | O_CLOEXEC);

		if (bfd >= 0) {
			if (ioctl(bfd, BLKGETSIZE64, &r->bytes_copied))
				r->bytes_copied = 0;
			close(bfd);
		}
	}
	r->stopcopy_bytes = r->bytes_copied;
	/* the header says how long the state is */
	if (cli) {
		rc = run_sh("nvme admin-passthru %s --opcode=%#x --cdw10=%#x --cdw11=%#x "
			    "--cdw15=%#x --data-len=48 --read --raw-binary > %s", from->pf,
			    NVME_LM_OPC_MIGRATION_RECV, getst10, getst11, 48 / 4 - 1, sf);
		f = fopen(sf, "rb");
		if (rc || !f || fread(st, 1, 48, f) != 48) {
			if (f)
				fclose(f);
			fail(r, -EIO, "nvme-cli get state header: %d", rc);
			rc = -EIO;
			goto out;
		}
		fclose(f);
	} else {
		rc = e2e_admin(sfd, NVME_LM_OPC_MIGRATION_RECV, 0, getst10, getst11, 0, 0,
			       48 / 4 - 1, st, 48, NULL);
		if (rc) {
			fail(r, rc, "get state header: %#x", rc);
			goto out;
		}
	}
	{
		uint64_t nvmecss, vss;

		memcpy(&nvmecss, st + 16, 8);
		memcpy(&vss, st + 32, 8);
		len = 48 + 4 * (nvmecss + vss);
	}
	if (len > STATE_MAX) {
		rc = -E2BIG;
		fail(r, rc, "state of %llu bytes", (unsigned long long)len);
		goto out;
	}
	if (cli) {
		rc = run_sh("nvme admin-passthru %s --opcode=%#x --cdw10=%#x --cdw11=%#x "
			    "--cdw15=%#x --data-len=%llu --read --raw-binary > %s", from->pf,
			    NVME_LM_OPC_MIGRATION_RECV, getst10, getst11,
			    (uint32_t)(len / 4 - 1), (unsigned long long)len, sf);
		if (!rc) {
			snprintf(opt, sizeof(opt), "--data-len=%llu --write --input-file=%s",
				 (unsigned long long)len, sf);
			rc = cli_admin(to->pf, NVME_LM_OPC_MIGRATION_SEND, setst10, setst11,
				       (uint32_t)(len / 4), opt);
		}
		if (!rc)
			rc = cli_admin(to->pf, NVME_LM_OPC_MIGRATION_SEND, resume10, to->cntlid[0],
				       0, "");
		if (rc) {
			fail(r, -EIO, "nvme-cli get/set state/resume: %d", rc);
			rc = -EIO;
			goto out;
		}
	} else {
		rc = e2e_admin(sfd, NVME_LM_OPC_MIGRATION_RECV, 0, getst10, getst11, 0, 0,
			       (uint32_t)(len / 4 - 1), st, (uint32_t)len, NULL);
		if (!rc)
			rc = e2e_admin(dfd, NVME_LM_OPC_MIGRATION_SEND, 0, setst10, setst11, 0, 0,
				       (uint32_t)(len / 4), st, (uint32_t)len, NULL);
		if (!rc)
			rc = e2e_admin(dfd, NVME_LM_OPC_MIGRATION_SEND, 0, resume10,
				       to->cntlid[0], 0, 0, 0, NULL, 0, NULL);
		if (rc) {
			fail(r, rc, "get/set state/resume: %#x", rc);
			goto out;
		}
	}
	r->downtime_ns = e2e_now_ns() - t0;
	r->total_ns = r->downtime_ns;
	r->state_bytes = len;
	r->allocated_bytes = 0;
out:
	if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
	return rc;
}

/*
 * Put the target VF in a known state: enable and disable it (a controller
 * reset deletes its I/O queues and clears a suspended state left by an
 * earlier migration that used it as the source).
 */
static int reset_vf(const char *bdf)
{
	struct udrv_opts o = { .nr_io_queues = 1, .io_qsize = 2, .dma_pool_bytes = 4u << 20 };
	struct udrv_ctrl *u;
	int rc = udrv_open(bdf, &o, &u);

	if (rc)
		return rc > 0 ? -EIO : rc;
	udrv_close(u);
	/* the VMM restores the VF's config space on the target before resume */
	return bench_pci_enable_bm(bdf);
}

/*
 * Stop host memory tracking of @cntlid (Track Send SEL 1h, TACT 0) through
 * the MMC's passthrough. A migrated source stays suspended, and a suspended
 * controller refuses TACT 0 (39h), so the tracking an earlier migration
 * started on it outlives the session; the next migration of the same
 * controller would fail its Track Send start with 1Fh. Called once the
 * controller was reset (not suspended any more). Not tracking: success.
 */
static int untrack(const char *pf, uint16_t cntlid)
{
	int fd = open(pf, O_RDWR | O_CLOEXEC), rc;

	if (fd < 0)
		return -errno;
	rc = e2e_admin(fd, NVME_LM_OPC_TRACK_SEND, 0,
		       NVME_LM_CDW10(NVME_LM_TSEND_SEL_TRACK_MEMORY, NVME_LM_TSEND_TACT_STOP),
		       cntlid, 0, 0, 0, NULL, 0, NULL);
	close(fd);
	return rc;
}

/* ---- checks ---------------------------------------------------------------- */

static bool covered(const struct wl_range *r, size_t n, uint64_t addr)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (addr >= r[i].addr && addr < r[i].addr + r[i].len)
			return true;
	return false;
}

static void check_mem(struct ctx *c)
{
	struct e2e_result *r = c->r;
	struct wl_range exp[512], wr[128];
	int ne, nw, i;
	size_t k;

	ne = wl_mem_written(c->w, exp, 512);
	nw = wl_dma_write_ranges(c->w, wr, 128);
	if (ne > 512 || nw > 128) {
		fail(r, -E2BIG, "too many memory ranges (%d written, %d writable)", ne, nw);
		return;
	}
	r->mem_checked = true;
	for (i = 0; i < ne; i++) {
		uint64_t a;

		for (a = exp[i].addr; a < exp[i].addr + exp[i].len; a += 4096) {
			r->mem_pages_expected++;
			if (!covered(c->mem, c->nmem, a))
				r->mem_pages_missing++;
		}
	}
	for (k = 0; k < c->nmem; k++) {
		uint64_t a;

		r->mem_bytes_reported += c->mem[k].len;
		for (a = c->mem[k].addr & ~4095ull; a < c->mem[k].addr + c->mem[k].len; a += 4096)
			if (!covered(wr, (size_t)nw, a))
				r->mem_pages_outside++;
	}
}

static void wait_detached_done(struct wl *w, unsigned int timeout_ms)
{
	uint64_t end = e2e_now_ns() + (uint64_t)timeout_ms * 1000000;
	struct wl_stats st;

	for (;;) {
		wl_get_stats(w, &st);
		if (st.detach_completed >= st.inflight_at_detach || e2e_now_ns() > end)
			return;
		sleep_ms(5);
	}
}

int e2e_run(const struct e2e_cfg *cfg, struct e2e_result *r)
{
	const struct e2e_env *env = cfg->env;
	const struct e2e_side *from = &env->side[cfg->from ? 1 : 0];
	const struct e2e_side *to = &env->side[cfg->from ? 0 : 1];
	struct wl_params wp = { 0 };
	struct ctx c = { .cfg = cfg, .r = r };
	uint64_t rtt[64];
	unsigned int nrtt = 0, i, samples;
	struct wl_stats st;
	int rc, pfd;

	memset(r, 0, sizeof(*r));
	r->verify_bad = r->verify_fd_bad = -1;
	if (!from->bdev[0] || !to->bdev[0]) {
		fail(r, -ENOENT, "no block device for namespace %d of %s or %s", NSID, from->pf,
		     to->pf);
		return r->rc;
	}
	wp.bdf = from->vf[0];
	wp.nsid = NSID;
	wp.seed = cfg->seed;
	wp.pattern = cfg->pattern;
	wp.nr_queues = cfg->nr_queues;
	wp.qdepth = cfg->qdepth;
	wp.max_nlb = cfg->max_nlb;
	wp.read_pct = cfg->read_pct;
	wp.dealloc_pct = cfg->dealloc_pct;
	wp.iops_limit = cfg->iops_limit;
	/* nlbas is set once the LBA size is known: open, then reopen if needed */
	rc = wl_open(&wp, &c.w);
	if (rc) {
		fail(r, rc, "wl_open(%s): %s", wp.bdf, strerror(-rc));
		return r->rc;
	}
	r->lba_size = wl_lba_size(c.w);
	r->ns_bytes = wl_ns_nlbas(c.w) * r->lba_size;
	if (cfg->region_bytes && cfg->region_bytes / r->lba_size < wl_ns_nlbas(c.w)) {
		wl_close(c.w);
		wp.nlbas = cfg->region_bytes / r->lba_size;
		rc = wl_open(&wp, &c.w);
		if (rc) {
			fail(r, rc, "wl_open(%s): %s", wp.bdf, strerror(-rc));
			return r->rc;
		}
	}
	r->region_bytes = wl_nlbas(c.w) * r->lba_size;
	/* wl_open() reset the source VF: a tracking left from before can stop now */
	rc = untrack(from->pf, (uint16_t)from->cntlid[0]);
	if (rc)
		note(cfg, "Track Send stop on %s/%d: %#x", from->pf, from->cntlid[0], rc);
	note(cfg, "seed %#llx pattern %s region %llu KiB of %llu KiB, %s -> %s (%s)",
	     (unsigned long long)cfg->seed, wl_pattern_name(cfg->pattern),
	     (unsigned long long)(r->region_bytes >> 10), (unsigned long long)(r->ns_bytes >> 10),
	     from->vf[0], to->vf[0], e2e_engine_name(cfg->engine));
	rc = reset_vf(to->vf[0]);
	if (rc) {
		fail(r, rc, "reset of the target %s: %s", to->vf[0], strerror(-rc));
		goto out;
	}
	/* the target namespace starts empty (reads as zeroes) */
	rc = e2e_discard_all(to->bdev);
	if (rc) {
		fail(r, rc, "discard %s: %s", to->bdev, strerror(-rc));
		goto out;
	}
	rc = wl_fill(c.w);
	if (rc) {
		fail(r, rc, "fill (%s): %s", wl_pattern_name(cfg->pattern), strerror(-rc));
		goto out;
	}
	rc = wl_start(c.w);
	if (rc) {
		fail(r, rc, "wl_start: %s", strerror(-rc));
		goto out;
	}
	/* warm up, and one admin command's round trip on the source MMC meanwhile */
	samples = cfg->rtt_samples ? cfg->rtt_samples : 15;
	if (samples > 64)
		samples = 64;
	pfd = open(from->pf, O_RDWR | O_CLOEXEC);
	for (i = 0; i < samples && pfd >= 0; i++) {
		int64_t ns = e2e_admin_rtt_ns(pfd);

		if (ns > 0)
			rtt[nrtt++] = (uint64_t)ns;
		sleep_ms((cfg->warm_ms ? cfg->warm_ms : 300) / samples + 1);
	}
	if (pfd >= 0)
		close(pfd);
	r->rtt_median_ns = e2e_median(rtt, nrtt);

	switch (cfg->engine) {
	case E2E_LIB:
	case E2E_STREAM:
#ifdef HAVE_HMLM_MIGRATE
		rc = run_lib(&c, from, to);
#else
		rc = -EOPNOTSUPP;
		fail(r, rc, "libhmlm has no hmlm_migrate() yet (built without HAVE_HMLM_MIGRATE)");
#endif
		break;
	case E2E_RAW:
	case E2E_CLI:
		rc = run_base(&c, from, to);
		break;
	}
	if (!c.paused) {
		/* never suspended: the workload still runs on the source */
		fail(r, rc ? rc : -EPROTO, "%s%sthe SUSPENDED callback never came", r->msg,
		     r->msg[0] ? "; " : "");
		wl_stop(c.w);
		goto out;
	}
	if (c.pause_rc) {
		fail(r, c.pause_rc, "wl_pause: %s", strerror(-c.pause_rc));
		goto stop;
	}
	if (rc)
		goto stop;
	rc = wl_attach(c.w, to->vf[0]);
	if (rc) {
		fail(r, rc, "attach_continue(%s): %s", to->vf[0], strerror(-rc));
		goto stop;
	}
	note(cfg, "workload continues on %s", to->vf[0]);
	wait_detached_done(c.w, 30000);
	sleep_ms(cfg->after_ms ? cfg->after_ms : 300);
	rc = wl_wait_completions(c.w, cfg->after_cmds ? cfg->after_cmds : 200, 60000);
	if (rc)
		fail(r, rc, "no progress on the target: %s", strerror(-rc));
stop:
	rc = wl_stop(c.w);
	if (rc)
		fail(r, rc, "wl_stop: %s (commands did not complete)", strerror(-rc));
	wl_get_stats(c.w, &st);
	r->wl = st;
	if (st.detach_completed != st.inflight_at_detach)
		fail(r, -EPROTO, "%llu of %llu commands in flight at suspend completed on the target",
		     (unsigned long long)st.detach_completed,
		     (unsigned long long)st.inflight_at_detach);
	if (st.submitted != st.completed || st.inflight)
		fail(r, -EPROTO, "submitted %llu, completed %llu, in flight %u",
		     (unsigned long long)st.submitted, (unsigned long long)st.completed,
		     st.inflight);
	if (st.dup_completions || st.unknown_completions || st.udrv_protocol)
		fail(r, -EPROTO, "completions: %llu duplicate, %llu unknown, %llu bad CQEs",
		     (unsigned long long)st.dup_completions,
		     (unsigned long long)st.unknown_completions,
		     (unsigned long long)st.udrv_protocol);
	if (st.errors)
		fail(r, -EIO, "%llu commands failed", (unsigned long long)st.errors);
	if (st.mismatches)
		fail(r, -EILSEQ, "%llu LBAs read wrong while the workload ran",
		     (unsigned long long)st.mismatches);
	if (udrv_attached(wl_ctrl(c.w)) && c.paused && !c.pause_rc) {
		r->verify_bad = wl_verify(c.w);
		if (r->verify_bad)
			fail(r, -EILSEQ, "verify through %s: %ld", to->vf[0], r->verify_bad);
		if (cfg->verify_fd) {
			int fd = open(to->bdev, O_RDONLY | O_DIRECT | O_CLOEXEC);

			r->verify_fd_bad = fd < 0 ? -errno : wl_verify_fd(c.w, fd);
			if (fd >= 0)
				close(fd);
			if (r->verify_fd_bad)
				fail(r, -EILSEQ, "verify through %s: %ld", to->bdev,
				     r->verify_fd_bad);
		}
	}
	r->written_lbas = wl_written_lbas(c.w);
	r->nbad = wl_get_bad(c.w, r->bad);
	if (cfg->track_mem && (cfg->engine == E2E_LIB || cfg->engine == E2E_STREAM) && c.marking) {
		check_mem(&c);
		if (r->mem_pages_missing)
			fail(r, -EILSEQ, "%llu of %llu pages the controller wrote were not reported",
			     (unsigned long long)r->mem_pages_missing,
			     (unsigned long long)r->mem_pages_expected);
		if (r->mem_pages_outside)
			fail(r, -EILSEQ, "%llu reported pages are outside what the controller writes",
			     (unsigned long long)r->mem_pages_outside);
	}
	r->ideal_rewritten_bytes = wl_modified_lbas(c.w) * r->lba_size;
out:
	wl_close(c.w);
	free(c.mem);
	return r->rc;
}

void e2e_print_kv(FILE *f, const char *p, const struct e2e_cfg *cfg, const struct e2e_result *r)
{
	unsigned int i;

#define KV(k, fmt, v) fprintf(f, "%s%s " fmt "\n", p, k, v)
	KV("engine", "%s", e2e_engine_name(cfg->engine));
	KV("pattern", "%s", wl_pattern_name(cfg->pattern));
	KV("seed", "%#llx", (unsigned long long)cfg->seed);
	KV("rc", "%d", r->rc);
	KV("msg", "%s", r->msg[0] ? r->msg : "-");
	KV("ns_bytes", "%llu", (unsigned long long)r->ns_bytes);
	KV("region_bytes", "%llu", (unsigned long long)r->region_bytes);
	KV("lba_size", "%u", r->lba_size);
	KV("downtime_ns", "%llu", (unsigned long long)r->downtime_ns);
	KV("total_ns", "%llu", (unsigned long long)r->total_ns);
	KV("precopy_ns", "%llu", (unsigned long long)r->precopy_ns);
	KV("rtt_median_ns", "%llu", (unsigned long long)r->rtt_median_ns);
	KV("rounds", "%u", r->rounds);
	for (i = 0; i <= r->rounds && i < E2E_MAX_ROUNDS; i++) {
		fprintf(f, "%sround%u_bytes %llu\n", p, i, (unsigned long long)r->round_bytes[i]);
		fprintf(f, "%sround%u_dirty %llu\n", p, i, (unsigned long long)r->round_dirty[i]);
	}
	KV("allocated_bytes", "%llu", (unsigned long long)r->allocated_bytes);
	KV("bytes_copied", "%llu", (unsigned long long)r->bytes_copied);
	KV("bytes_rewritten", "%llu", (unsigned long long)r->bytes_rewritten);
	KV("stopcopy_bytes", "%llu", (unsigned long long)r->stopcopy_bytes);
	KV("suspend_ns", "%llu", (unsigned long long)r->suspend_ns);
	KV("callback_ns", "%llu", (unsigned long long)r->callback_ns);
	KV("log_drain_ns", "%llu", (unsigned long long)r->log_drain_ns);
	KV("mem_drain_ns", "%llu", (unsigned long long)r->mem_drain_ns);
	KV("stopcopy_ns", "%llu", (unsigned long long)r->stopcopy_ns);
	KV("state_get_ns", "%llu", (unsigned long long)r->state_get_ns);
	KV("state_set_ns", "%llu", (unsigned long long)r->state_set_ns);
	KV("resume_ns", "%llu", (unsigned long long)r->resume_ns);
	KV("at_stopcopy_ns", "%llu", (unsigned long long)r->at_stopcopy_ns);
	KV("at_state_ns", "%llu", (unsigned long long)r->at_state_ns);
	KV("at_resumed_ns", "%llu", (unsigned long long)r->at_resumed_ns);
	KV("at_in_stopcopy_ns", "%llu", (unsigned long long)r->at_in_stopcopy_ns);
	KV("at_in_state_ns", "%llu", (unsigned long long)r->at_in_state_ns);
	KV("at_in_resumed_ns", "%llu", (unsigned long long)r->at_in_resumed_ns);
	KV("out_downtime_ns", "%llu", (unsigned long long)r->out_downtime_ns);
	KV("in_downtime_ns", "%llu", (unsigned long long)r->in_downtime_ns);
	KV("workload_rewritten_bytes", "%llu", (unsigned long long)r->ideal_rewritten_bytes);
	KV("dirty_extents", "%llu", (unsigned long long)r->dirty_extents);
	KV("log_records", "%llu", (unsigned long long)r->log_records);
	KV("queue_full_events", "%llu", (unsigned long long)r->queue_full_events);
	KV("state_bytes", "%llu", (unsigned long long)r->state_bytes);
	KV("stream_bytes", "%llu", (unsigned long long)r->stream_bytes);
	KV("report_flags", "%#x", r->report_flags);
	KV("wl_submitted", "%llu", (unsigned long long)r->wl.submitted);
	KV("wl_completed", "%llu", (unsigned long long)r->wl.completed);
	KV("wl_reads", "%llu", (unsigned long long)r->wl.reads);
	KV("wl_writes", "%llu", (unsigned long long)r->wl.writes);
	KV("wl_deallocs", "%llu", (unsigned long long)r->wl.deallocs);
	KV("wl_modify_at_precopy", "%llu", (unsigned long long)r->wl_modify_at_precopy);
	KV("wl_modify_at_suspend", "%llu", (unsigned long long)r->wl_modify_at_suspend);
	KV("wl_ms_at_suspend", "%llu", (unsigned long long)r->wl_t_suspend_ms);
	KV("wl_peak_modify_per_s", "%llu", (unsigned long long)r->wl.peak_write_cmds_per_s);
	KV("wl_max_inflight", "%llu", (unsigned long long)r->wl.max_inflight);
	KV("wl_unfetched_at_suspend", "%llu", (unsigned long long)r->wl.unfetched_at_detach);
	KV("wl_inflight_at_suspend", "%llu", (unsigned long long)r->wl.inflight_at_detach);
	KV("wl_queued_detached", "%llu", (unsigned long long)r->wl.submitted_detached);
	KV("wl_completed_on_target_of_those", "%llu", (unsigned long long)r->wl.detach_completed);
	KV("wl_read_checked_lbas", "%llu", (unsigned long long)r->wl.read_checked);
	KV("wl_mismatches", "%llu", (unsigned long long)r->wl.mismatches);
	KV("verify_bad", "%ld", r->verify_bad);
	KV("verify_fd_bad", "%ld", r->verify_fd_bad);
	KV("written_lbas", "%llu", (unsigned long long)r->written_lbas);
	KV("mem_checked", "%d", r->mem_checked);
	KV("mem_ranges_reported", "%llu", (unsigned long long)r->mem_ranges_reported);
	KV("mem_pages_expected", "%llu", (unsigned long long)r->mem_pages_expected);
	KV("mem_pages_missing", "%llu", (unsigned long long)r->mem_pages_missing);
	KV("mem_pages_outside", "%llu", (unsigned long long)r->mem_pages_outside);
	for (i = 0; i < r->nbad; i++)
		fprintf(f, "%sbad%u lba %llu expect gen %u found gen %#x (lba %llu) in %s at %llu ms\n",
			p, i, (unsigned long long)r->bad[i].lba, r->bad[i].expect_gen,
			r->bad[i].found_gen, (unsigned long long)r->bad[i].found_lba,
			r->bad[i].where, (unsigned long long)r->bad[i].t_ms);
#undef KV
}
