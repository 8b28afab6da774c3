// SPDX-License-Identifier: GPL-2.0
/*
 * workload: the VM's I/O on a migratable controller (see workload.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

#define WL_MAGIC	0x4c574d48u	/* "HMWL" */
#define WL_GEN_UNKNOWN	0xffffffffu	/* a failed write: content undefined */
#define WL_BUSY_WRITE	0xff
#define WL_FILL_BYTES	(128u << 10)
#define WL_FILL_BUFS	8
#define WL_VERIFY_BYTES	(256u << 10)
#define WL_PAGE		4096u

enum wl_op { OP_READ, OP_WRITE, OP_DEALLOC };
enum wl_req { REQ_NONE, REQ_PAUSE, REQ_ATTACH, REQ_STOP };
enum wl_slot_state { S_FREE, S_INFLIGHT };

struct wl_slot {
	enum wl_slot_state state;
	enum wl_op op;
	uint16_t qid;
	uint16_t cid;
	uint64_t slba;
	uint32_t nlb;
	uint32_t gen;
	uint64_t tag;
	bool marked;		/* submitted while memory marking was on */
	bool at_detach;		/* in flight when the workload detached */
	uint8_t *buf;
};

struct wl_extent {
	uint64_t slba;
	uint64_t nlb;
};

struct wl {
	struct wl_params p;
	struct udrv_ctrl *c;
	char bdf[32];
	uint32_t lbs;
	uint64_t nlbas, ns_nlbas;
	unsigned int nq, qsize, max_xfer;
	uint64_t rng;

	uint32_t *gen;		/* expected generation per LBA */
	uint8_t *busy;		/* 0 free, 1..254 readers, 255 a writer */
	uint32_t next_gen;

	struct wl_extent *ext;	/* the pattern's allocated extents */
	size_t next_ext;
	struct wl_extent hot[4];
	unsigned int nhot;

	struct wl_slot *slots;
	unsigned int nslots;
	size_t slot_bytes;
	uint8_t *bufs;		/* nslots * slot_bytes, DMA */
	unsigned int *qinflight;
	unsigned int rr;
	uint64_t next_tag;

	/* memory marking */
	volatile bool mark_on;
	uint8_t *buf_marks;	/* one byte per 4 KiB page of bufs */
	uint8_t *cq_marks;	/* per queue (1..nq): one byte per CQ ring page */
	uint8_t *mod_marks;	/* per LBA: modified by a command submitted while marking */
	unsigned int cq_pages;
	unsigned int cq_idx[UDRV_MAX_IO_QUEUES + 1];	/* CQ slot of the next callback */

	/* thread control */
	pthread_t thread;
	bool thread_on;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum wl_req req;
	bool req_done;
	int req_rc;
	char attach_bdf[32];
	bool detached;
	bool db_batched;	/* submit_one() leaves the doorbells to the caller */
	uint64_t detached_budget;

	struct wl_stats st;
	struct wl_bad bad[WL_MAX_BAD];
	unsigned int nbad;
	uint64_t t_start;
	uint64_t win_start, win_mods;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

uint64_t wl_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rnd(struct wl *w, uint64_t n)
{
	return n ? wl_rand(&w->rng) % n : 0;
}

static const char *const pattern_names[WL_NR_PATTERNS] = { "sparse", "full", "hotspot" };

const char *wl_pattern_name(enum wl_pattern p)
{
	return (unsigned int)p < WL_NR_PATTERNS ? pattern_names[p] : "?";
}

int wl_pattern_parse(const char *s)
{
	int i;

	for (i = 0; i < WL_NR_PATTERNS; i++)
		if (!strcmp(s, pattern_names[i]))
			return i;
	return -EINVAL;
}

/* ---- block contents ------------------------------------------------------ */

static void gen_block(const struct wl *w, uint8_t *b, uint64_t lba, uint32_t gen)
{
	uint64_t *q = (uint64_t *)b, s;
	unsigned int i, n = w->lbs / 8;

	if (!gen) {
		memset(b, 0, w->lbs);
		return;
	}
	q[0] = (uint64_t)WL_MAGIC << 32 | gen;
	q[1] = lba;
	q[2] = w->p.seed;
	s = w->p.seed ^ (lba * 0xd6e8feb86659fd93ull) ^ ((uint64_t)gen << 32);
	for (i = 3; i < n; i++)
		q[i] = wl_rand(&s);
}

static void record_bad(struct wl *w, const char *where, uint64_t lba, uint32_t expect,
		       const uint8_t *b)
{
	const uint64_t *q = (const uint64_t *)b;
	struct wl_bad *bd;
	unsigned int i;
	bool zero = true;

	w->st.mismatches++;
	if (w->nbad >= WL_MAX_BAD)
		return;
	bd = &w->bad[w->nbad++];
	memset(bd, 0, sizeof(*bd));
	bd->lba = lba;
	bd->expect_gen = expect;
	for (i = 0; i < w->lbs / 8 && zero; i++)
		zero = !q[i];
	if (zero)
		bd->found_gen = 0;
	else if ((q[0] >> 32) == WL_MAGIC)
		bd->found_gen = (uint32_t)q[0], bd->found_lba = q[1];
	else
		bd->found_gen = WL_GEN_UNKNOWN;
	snprintf(bd->where, sizeof(bd->where), "%s%s", where,
		 !strcmp(where, "read") ? (w->detached ? "@detached" :
					   w->st.attaches ? "@target" : "@source") : "");
	bd->t_ms = w->t_start ? (now_ns() - w->t_start) / 1000000 : 0;
}

/* 0 when @b holds (lba, gen); otherwise records the mismatch and returns 1. */
static int check_block(struct wl *w, const char *where, const uint8_t *b, uint64_t lba,
		       uint32_t gen)
{
	const uint64_t *q = (const uint64_t *)b;
	unsigned int i, n = w->lbs / 8;
	uint64_t s;

	if (gen == WL_GEN_UNKNOWN)
		return 0;	/* counted as an error when the write failed */
	if (!gen) {
		for (i = 0; i < n; i++)
			if (q[i])
				goto bad;
		return 0;
	}
	if (q[0] != ((uint64_t)WL_MAGIC << 32 | gen) || q[1] != lba || q[2] != w->p.seed)
		goto bad;
	s = w->p.seed ^ (lba * 0xd6e8feb86659fd93ull) ^ ((uint64_t)gen << 32);
	for (i = 3; i < n; i++)
		if (q[i] != wl_rand(&s))
			goto bad;
	return 0;
bad:
	record_bad(w, where, lba, gen, b);
	return 1;
}

/* ---- extents of the pattern ------------------------------------------------ */

static int add_ext(struct wl *w, size_t *cap, uint64_t slba, uint64_t nlb)
{
	if (slba >= w->nlbas)
		return 0;
	if (nlb > w->nlbas - slba)
		nlb = w->nlbas - slba;
	if (!nlb)
		return 0;
	if (w->next_ext == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct wl_extent *e = realloc(w->ext, ncap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		w->ext = e;
		*cap = ncap;
	}
	w->ext[w->next_ext].slba = slba;
	w->ext[w->next_ext].nlb = nlb;
	w->next_ext++;
	return 0;
}

/* Builds w->ext (what the fill writes) and the hot spots. */
static int plan_pattern(struct wl *w)
{
	uint64_t n = w->nlbas, target, cover = 0, unit = 8;	/* TLBAAG default */
	size_t cap = 0;
	unsigned int i;
	int rc;

	free(w->ext);
	w->ext = NULL;
	w->next_ext = 0;
	w->nhot = 0;
	switch (w->p.pattern) {
	case WL_FULL:
		return add_ext(w, &cap, 0, n);
	case WL_HOTSPOT:
		w->nhot = 1 + (unsigned int)rnd(w, 4);
		for (i = 0; i < w->nhot; i++) {
			uint64_t len = n / 32 ? n / 32 : 1;

			w->hot[i].slba = rnd(w, n - len + 1) & ~(unit - 1);
			w->hot[i].nlb = len;
			rc = add_ext(w, &cap, w->hot[i].slba, len);
			if (rc)
				return rc;
			cover += len;
		}
		target = n / 4;
		break;
	case WL_SPARSE:
	default:
		target = n / 8;
		break;
	}
	while (cover < target) {
		uint64_t len = unit * (1 + rnd(w, 32));
		uint64_t slba = rnd(w, n) & ~(unit - 1);

		rc = add_ext(w, &cap, slba, len);
		if (rc)
			return rc;
		cover += len;
	}
	return 0;
}

/* ---- open / close ------------------------------------------------------------ */

int wl_open(const struct wl_params *p, struct wl **out)
{
	struct udrv_opts o = { 0 };
	const struct udrv_info *inf;
	struct udrv_ns ns;
	struct wl *w;
	unsigned int i;
	int rc;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->p = *p;
	if (!w->p.nsid)
		w->p.nsid = 1;
	if (!w->p.qdepth)
		w->p.qdepth = 48;
	if (!w->p.max_nlb)
		w->p.max_nlb = 16;
	if (!w->p.read_pct && !w->p.write_pct && !w->p.dealloc_pct)
		w->p.read_pct = 45, w->p.dealloc_pct = 5;
	if (!w->p.detached_max)
		w->p.detached_max = 16;
	if (w->p.read_pct + w->p.dealloc_pct > 100)
		goto inval;
	snprintf(w->bdf, sizeof(w->bdf), "%s", p->bdf);
	w->rng = p->seed * 0x2545f4914f6cdd1dull + 1;
	w->next_gen = 1;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);

	o.nr_io_queues = p->nr_queues;
	o.io_qsize = p->io_qsize ? p->io_qsize : 64;
	o.dma_pool_bytes = p->dma_pool_bytes ? p->dma_pool_bytes : (8u << 20);
	rc = udrv_open(p->bdf, &o, &w->c);
	if (rc) {
		free(w);
		return rc > 0 ? -EIO : rc;
	}
	inf = udrv_info(w->c);
	w->nq = inf->nr_io_queues;
	w->qsize = inf->io_qsize;
	w->max_xfer = inf->max_xfer;
	if (w->nq < 2 || w->nq > UDRV_MAX_IO_QUEUES) {
		rc = -ENODEV;
		goto fail;
	}
	rc = udrv_identify_ns(w->c, w->p.nsid, &ns);
	if (rc) {
		rc = rc > 0 ? -EIO : rc;
		goto fail;
	}
	w->lbs = ns.lba_size;
	w->ns_nlbas = ns.nsze;
	w->nlbas = p->nlbas && p->nlbas < ns.nsze ? p->nlbas : ns.nsze;
	if (w->lbs < 64 || w->lbs % 8 || !w->nlbas) {
		rc = -EINVAL;
		goto fail;
	}
	if ((uint64_t)w->p.max_nlb * w->lbs > w->max_xfer)
		w->p.max_nlb = w->max_xfer / w->lbs;
	w->gen = calloc(w->nlbas, sizeof(*w->gen));
	w->busy = calloc(w->nlbas, 1);
	w->mod_marks = calloc(w->nlbas, 1);
	w->nslots = w->p.qdepth;
	if (w->nslots > w->nq * (w->qsize - 1))
		w->nslots = w->nq * (w->qsize - 1);
	w->slots = calloc(w->nslots, sizeof(*w->slots));
	w->qinflight = calloc(w->nq + 1, sizeof(*w->qinflight));
	w->slot_bytes = ((size_t)w->p.max_nlb * w->lbs + WL_PAGE - 1) & ~(size_t)(WL_PAGE - 1);
	w->bufs = udrv_dma_alloc(w->c, w->nslots * w->slot_bytes);
	w->buf_marks = calloc(w->nslots * w->slot_bytes / WL_PAGE, 1);
	w->cq_pages = (w->qsize * 16 + WL_PAGE - 1) / WL_PAGE;
	w->cq_marks = calloc((size_t)(w->nq + 1) * w->cq_pages, 1);
	if (!w->gen || !w->busy || !w->mod_marks || !w->slots || !w->qinflight || !w->bufs ||
	    !w->buf_marks || !w->cq_marks) {
		rc = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < w->nslots; i++)
		w->slots[i].buf = w->bufs + i * w->slot_bytes;
	rc = plan_pattern(w);
	if (rc)
		goto fail;
	*out = w;
	return 0;
inval:
	free(w);
	return -EINVAL;
fail:
	wl_close(w);
	return rc;
}

void wl_close(struct wl *w)
{
	if (!w)
		return;
	if (w->thread_on)
		wl_stop(w);
	udrv_close(w->c);
	free(w->gen);
	free(w->busy);
	free(w->mod_marks);
	free(w->slots);
	free(w->qinflight);
	free(w->buf_marks);
	free(w->cq_marks);
	free(w->ext);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w);
}

struct udrv_ctrl *wl_ctrl(struct wl *w) { return w->c; }
uint32_t wl_lba_size(const struct wl *w) { return w->lbs; }
uint64_t wl_nlbas(const struct wl *w) { return w->nlbas; }
uint64_t wl_ns_nlbas(const struct wl *w) { return w->ns_nlbas; }
const char *wl_bdf(const struct wl *w) { return w->bdf; }

/* ---- the engine ---------------------------------------------------------------- */

static void dsm_range(uint8_t *buf, uint64_t slba, uint32_t nlb)
{
	uint32_t *r = (uint32_t *)buf;

	memset(buf, 0, 16);
	r[1] = nlb;		/* LENGTH, 1's based */
	r[2] = (uint32_t)slba;
	r[3] = (uint32_t)(slba >> 32);
}

static void build_cmd(struct wl *w, struct udrv_sqe *cmd, enum wl_op op, uint64_t slba,
		      uint32_t nlb)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->nsid = w->p.nsid;
	if (op == OP_DEALLOC) {
		cmd->opcode = UDRV_NVM_DSM;
		cmd->cdw10 = 0;		/* NR: 1 range, 0's based */
		cmd->cdw11 = 1u << 2;	/* AD */
		return;
	}
	cmd->opcode = op == OP_WRITE ? UDRV_NVM_WRITE : UDRV_NVM_READ;
	cmd->cdw10 = (uint32_t)slba;
	cmd->cdw11 = (uint32_t)(slba >> 32);
	cmd->cdw12 = nlb - 1;
}

static void mark_pages(struct wl *w, const struct wl_slot *s)
{
	size_t first = (size_t)(s->buf - w->bufs) / WL_PAGE;
	size_t n = ((size_t)s->nlb * w->lbs + WL_PAGE - 1) / WL_PAGE, i;

	for (i = 0; i < n; i++)
		w->buf_marks[first + i] = 1;
}

/* Per-slot callback argument: the slot and its owner. */
struct wl_cbarg {
	struct wl *w;
	struct wl_slot *s;
};

static void on_complete(struct wl *w, struct wl_slot *s, const struct udrv_completion *cpl)
{
	unsigned int q = cpl->qid, cqslot;
	uint64_t i;
	int sc;

	if (q >= 1 && q <= w->nq) {
		cqslot = w->cq_idx[q];
		w->cq_idx[q] = (w->cq_idx[q] + 1) % w->qsize;
	} else {
		cqslot = 0;
	}
	if (s->state != S_INFLIGHT) {
		w->st.dup_completions++;
		return;
	}
	if (cpl->cid != s->cid || cpl->qid != s->qid) {
		w->st.unknown_completions++;
		return;
	}
	s->state = S_FREE;
	w->st.completed++;
	w->st.inflight--;
	w->qinflight[s->qid]--;
	if (s->at_detach)
		w->st.detach_completed++;
	sc = udrv_status_code(cpl->status);
	/*
	 * Only what the tracked controller wrote: a marked command that
	 * completes after the pause completed on the migration target.
	 */
	if (s->marked && w->mark_on && q >= 1 && q <= w->nq) {
		w->cq_marks[(size_t)q * w->cq_pages + cqslot * 16 / WL_PAGE] = 1;
		if (s->op == OP_READ && !sc)
			mark_pages(w, s);
	}
	if (sc)
		w->st.errors++;
	switch (s->op) {
	case OP_READ:
		for (i = 0; i < s->nlb; i++) {
			if (!sc) {
				check_block(w, "read", s->buf + i * w->lbs, s->slba + i,
					    w->gen[s->slba + i]);
				w->st.read_checked++;
			}
			w->busy[s->slba + i]--;
		}
		w->st.reads++;
		w->st.bytes_read += (uint64_t)s->nlb * w->lbs;
		break;
	case OP_WRITE:
	case OP_DEALLOC:
		for (i = 0; i < s->nlb; i++) {
			w->gen[s->slba + i] = sc ? WL_GEN_UNKNOWN : s->gen;
			w->busy[s->slba + i] = 0;
			if (s->marked)
				w->mod_marks[s->slba + i] = 1;
		}
		if (s->op == OP_WRITE) {
			w->st.writes++;
			w->st.bytes_written += (uint64_t)s->nlb * w->lbs;
		} else {
			w->st.deallocs++;
		}
		w->st.modify_cmds++;
		w->win_mods++;
		break;
	}
}

static void udrv_cb_fn(void *arg, const struct udrv_completion *cpl)
{
	struct wl_cbarg *a = arg;

	on_complete(a->w, a->s, cpl);
}

/* Range for a new command, following the pattern; nlb >= 1. */
static void pick_range(struct wl *w, enum wl_op op, uint64_t *slba, uint32_t *nlb)
{
	uint64_t n = w->nlbas, base = 0, len = n;
	unsigned int r = (unsigned int)rnd(w, 100);

	if (w->nhot && r < 90) {
		const struct wl_extent *h = &w->hot[rnd(w, w->nhot)];

		base = h->slba;
		len = h->nlb;
	} else if (w->p.pattern == WL_SPARSE && w->next_ext &&
		   r < (op == OP_READ ? 70u : 90u)) {
		const struct wl_extent *e = &w->ext[rnd(w, w->next_ext)];

		base = e->slba;
		len = e->nlb;
	}
	*nlb = 1 + (uint32_t)rnd(w, w->p.max_nlb);
	if (*nlb > len)
		*nlb = (uint32_t)len;
	*slba = base + rnd(w, len - *nlb + 1);
}

static bool range_free(struct wl *w, enum wl_op op, uint64_t slba, uint32_t nlb)
{
	uint64_t i;

	for (i = 0; i < nlb; i++) {
		uint8_t b = w->busy[slba + i];

		if (op == OP_READ ? b >= WL_BUSY_WRITE - 1 : b != 0)
			return false;
	}
	return true;
}

static unsigned int pick_queue(struct wl *w)
{
	unsigned int i, per = (w->nslots + w->nq - 1) / w->nq;

	for (i = 0; i < w->nq; i++) {
		unsigned int q = 1 + (w->rr + i) % w->nq;

		if (w->qinflight[q] < per && w->qinflight[q] < w->qsize - 1) {
			w->rr = (w->rr + i + 1) % w->nq;
			return q;
		}
	}
	return 0;
}

/* Submit one command; 1 when submitted, 0 when nothing could be, <0 error. */
static int submit_one(struct wl *w, struct wl_cbarg *args)
{
	unsigned int r, i, q, si;
	struct udrv_sqe cmd;
	struct wl_slot *s = NULL;
	enum wl_op op;
	uint64_t slba = 0;
	uint32_t nlb = 0;
	unsigned int db = w->db_batched ? UDRV_SUBMIT_NO_DOORBELL : 0;
	int rc, tries;

	for (si = 0; si < w->nslots; si++)
		if (w->slots[si].state == S_FREE) {
			s = &w->slots[si];
			break;
		}
	if (!s)
		return 0;
	q = pick_queue(w);
	if (!q)
		return 0;
	r = (unsigned int)rnd(w, 100);
	op = r < w->p.read_pct ? OP_READ :
	     r < w->p.read_pct + w->p.dealloc_pct ? OP_DEALLOC : OP_WRITE;
	for (tries = 0; tries < 4; tries++) {
		pick_range(w, op, &slba, &nlb);
		if (range_free(w, op, slba, nlb))
			break;
	}
	if (tries == 4)
		return 0;
	build_cmd(w, &cmd, op, slba, nlb);
	s->op = op;
	s->slba = slba;
	s->nlb = nlb;
	s->qid = q;
	s->gen = 0;
	if (op == OP_WRITE) {
		s->gen = w->next_gen++;
		if (w->next_gen >= WL_GEN_UNKNOWN)
			w->next_gen = 1;
		for (i = 0; i < nlb; i++)
			gen_block(w, s->buf + (size_t)i * w->lbs, slba + i, s->gen);
		rc = udrv_submit(w->c, q, &cmd, s->buf, (size_t)nlb * w->lbs, db,
				 udrv_cb_fn, &args[si]);
	} else if (op == OP_READ) {
		memset(s->buf, 0xa5, (size_t)nlb * w->lbs);
		rc = udrv_submit(w->c, q, &cmd, s->buf, (size_t)nlb * w->lbs, db,
				 udrv_cb_fn, &args[si]);
	} else {
		dsm_range(s->buf, slba, nlb);
		rc = udrv_submit(w->c, q, &cmd, s->buf, 16, db, udrv_cb_fn, &args[si]);
	}
	if (rc == -EAGAIN)
		return 0;
	if (rc < 0)
		return rc;
	for (i = 0; i < nlb; i++) {
		if (op == OP_READ)
			w->busy[slba + i]++;
		else
			w->busy[slba + i] = WL_BUSY_WRITE;
	}
	s->cid = (uint16_t)rc;
	s->state = S_INFLIGHT;
	s->tag = w->next_tag++;
	s->marked = w->mark_on;
	s->at_detach = false;
	w->qinflight[q]++;
	w->st.submitted++;
	if (w->detached)
		w->st.submitted_detached++;
	w->st.inflight++;
	if (w->st.inflight > w->st.max_inflight)
		w->st.max_inflight = w->st.inflight;
	return 1;
}

static int poll_all(struct wl *w)
{
	unsigned int q;
	int n = 0, rc;

	for (q = 1; q <= w->nq; q++) {
		struct udrv_queue_state qs;

		if (!udrv_queue_state(w->c, q, &qs))
			w->cq_idx[q] = qs.cq_head;
		rc = udrv_poll(w->c, q, NULL, 0);
		if (rc == -EPROTO) {
			w->st.udrv_protocol++;
			continue;
		}
		if (rc < 0)
			return rc;
		n += rc;
	}
	return n;
}

static void window_tick(struct wl *w, uint64_t t)
{
	uint64_t dt = t - w->win_start;

	if (dt < 100000000ull)
		return;
	if (w->win_mods * 1000000000ull / dt > w->st.peak_write_cmds_per_s)
		w->st.peak_write_cmds_per_s = w->win_mods * 1000000000ull / dt;
	w->win_start = t;
	w->win_mods = 0;
}

static void do_pause(struct wl *w, struct wl_cbarg *args)
{
	unsigned int q, i;
	uint64_t unf = 0;
	int rc;

	/*
	 * The source is suspended: it does not fetch, but its doorbells still
	 * take SQ tails. Fill the queues up (these are queued, not fetched),
	 * reap what the drain completed, then forget the BAR.
	 */
	{
		unsigned int keep = w->p.detached_max < w->nslots / 2 ? w->p.detached_max :
				    w->nslots / 2;

		/* one doorbell per queue, as a guest driver batching its submissions */
		w->db_batched = true;
		while (w->st.inflight + keep < w->nslots && (rc = submit_one(w, args)) > 0)
			;
		w->db_batched = false;
		for (q = 1; q <= w->nq; q++)
			udrv_ring_sq(w->c, q);
	}
	poll_all(w);
	for (q = 1; q <= w->nq; q++) {
		struct udrv_queue_state qs;

		if (!udrv_queue_state(w->c, q, &qs))
			unf += (uint16_t)(qs.sq_tail - qs.sq_head + qs.qsize) % qs.qsize;
	}
	w->st.unfetched_at_detach = unf;
	w->st.inflight_at_detach = w->st.inflight;
	for (i = 0; i < w->nslots; i++)
		w->slots[i].at_detach = w->slots[i].state == S_INFLIGHT;
	w->mark_on = false;
	rc = udrv_detach(w->c);
	w->req_rc = rc < 0 ? rc : 0;
	if (!rc) {
		w->detached = true;
		w->detached_budget = w->p.detached_max;
	}
}

static void *wl_thread(void *arg)
{
	struct wl *w = arg;
	struct wl_cbarg *args;
	uint64_t t, t_next = 0, interval = 0, stop_deadline = 0;
	unsigned int idle = 0, i;
	bool stopping = false;
	int rc, err = 0;

	args = calloc(w->nslots, sizeof(*args));
	if (!args) {
		err = -ENOMEM;
		stopping = true;
	} else {
		for (i = 0; i < w->nslots; i++) {
			args[i].w = w;
			args[i].s = &w->slots[i];
		}
	}
	if (w->p.iops_limit)
		interval = 1000000000ull / w->p.iops_limit;
	w->t_start = w->win_start = now_ns();
	for (;;) {
		bool busy = false;

		pthread_mutex_lock(&w->lock);
		if (w->req != REQ_NONE && !w->req_done) {
			switch (w->req) {
			case REQ_PAUSE:
				if (w->detached) {
					w->req_rc = -EALREADY;
				} else if (args) {
					do_pause(w, args);
				}
				w->req_done = true;
				break;
			case REQ_ATTACH:
				rc = udrv_attach_continue(w->c, w->attach_bdf);
				w->req_rc = rc;
				if (!rc) {
					w->detached = false;
					w->st.attaches++;
					snprintf(w->bdf, sizeof(w->bdf), "%s", w->attach_bdf);
				}
				w->req_done = true;
				break;
			case REQ_STOP:
				stopping = true;
				break;
			default:
				break;
			}
			pthread_cond_broadcast(&w->cond);
		}
		pthread_mutex_unlock(&w->lock);

		rc = poll_all(w);
		if (rc < 0 && !err)
			err = rc;
		if (rc > 0)
			busy = true;
		if (stopping) {
			if (!stop_deadline)
				stop_deadline = now_ns() + 30000000000ull;
			if (!w->st.inflight || err || now_ns() > stop_deadline)
				break;
		} else if (!w->p.no_load && args && !err) {
			t = now_ns();
			window_tick(w, t);
			while (!interval || t >= t_next) {
				if (w->detached && !w->detached_budget)
					break;
				rc = submit_one(w, args);
				if (rc < 0) {
					err = rc;
					break;
				}
				if (!rc)
					break;
				busy = true;
				if (w->detached)
					w->detached_budget--;
				if (interval) {
					t_next = (t_next > t ? t_next : t) + interval;
					break;
				}
			}
		}
		if (busy) {
			idle = 0;
		} else if (w->detached && !stopping &&
			   (w->p.no_load || !w->detached_budget || err)) {
			/*
			 * A paused VM uses no CPU: nothing to reap or submit
			 * until the runner attaches or stops the workload.
			 */
			pthread_mutex_lock(&w->lock);
			while (w->req == REQ_NONE || w->req_done)
				pthread_cond_wait(&w->cond, &w->lock);
			pthread_mutex_unlock(&w->lock);
		} else if (++idle > 64) {
			struct timespec ts = { 0, 20000 };

			nanosleep(&ts, NULL);
		}
	}
	w->st.elapsed_ms = (now_ns() - w->t_start) / 1000000;
	pthread_mutex_lock(&w->lock);
	w->req_rc = err ? err : (w->st.inflight ? -ETIMEDOUT : 0);
	w->req_done = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	free(args);
	return NULL;
}

static int request(struct wl *w, enum wl_req req, unsigned int timeout_ms)
{
	struct timespec ts;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	pthread_mutex_lock(&w->lock);
	w->req = req;
	w->req_done = false;
	w->req_rc = 0;
	pthread_cond_broadcast(&w->cond);	/* a paused workload sleeps on it */
	while (!w->req_done && !rc)
		rc = pthread_cond_timedwait(&w->cond, &w->lock, &ts);
	if (rc)
		rc = -ETIMEDOUT;
	else
		rc = w->req_rc;
	w->req = REQ_NONE;
	pthread_mutex_unlock(&w->lock);
	return rc;
}

int wl_start(struct wl *w)
{
	int rc;

	if (w->thread_on)
		return -EALREADY;
	w->req = REQ_NONE;
	rc = pthread_create(&w->thread, NULL, wl_thread, w);
	if (rc)
		return -rc;
	w->thread_on = true;
	return 0;
}

int wl_stop(struct wl *w)
{
	int rc;

	if (!w->thread_on)
		return -EINVAL;
	rc = request(w, REQ_STOP, 120000);
	pthread_join(w->thread, NULL);
	w->thread_on = false;
	return rc;
}

int wl_pause(struct wl *w)
{
	if (!w->thread_on)
		return -EINVAL;
	return request(w, REQ_PAUSE, 60000);
}

int wl_attach(struct wl *w, const char *bdf)
{
	if (!w->thread_on) {
		int rc = udrv_attach_continue(w->c, bdf);

		if (!rc) {
			w->detached = false;
			snprintf(w->bdf, sizeof(w->bdf), "%s", bdf);
		}
		return rc;
	}
	snprintf(w->attach_bdf, sizeof(w->attach_bdf), "%s", bdf);
	return request(w, REQ_ATTACH, 60000);
}

int wl_wait_completions(struct wl *w, uint64_t n, unsigned int timeout_ms)
{
	uint64_t start, deadline = now_ns() + (uint64_t)timeout_ms * 1000000;

	pthread_mutex_lock(&w->lock);
	start = w->st.completed;
	pthread_mutex_unlock(&w->lock);
	for (;;) {
		uint64_t done;

		pthread_mutex_lock(&w->lock);
		done = w->st.completed - start;
		pthread_mutex_unlock(&w->lock);
		if (done >= n)
			return 0;
		if (now_ns() > deadline)
			return -ETIMEDOUT;
		usleep(2000);
	}
}

void wl_get_stats(struct wl *w, struct wl_stats *st)
{
	/* counters are written by one thread; a torn read is harmless here */
	pthread_mutex_lock(&w->lock);
	*st = w->st;
	pthread_mutex_unlock(&w->lock);
	st->inflight = w->st.inflight;
	{
		struct udrv_stats us;

		udrv_get_stats(w->c, &us);
		st->udrv_protocol += us.unknown_cid + us.dup_cid + us.bad_sqid;
	}
}

unsigned int wl_get_bad(struct wl *w, struct wl_bad *bad)
{
	memcpy(bad, w->bad, w->nbad * sizeof(*bad));
	return w->nbad;
}

uint64_t wl_written_lbas(struct wl *w)
{
	uint64_t i, n = 0;

	for (i = 0; i < w->nlbas; i++)
		n += w->gen[i] != 0;
	return n;
}

/* ---- fill and verify (synchronous, thread stopped) ---------------------------- */

/* Synchronous helper: run @cmd on queue 1 and wait. */
static int sync_cmd(struct wl *w, struct udrv_sqe *cmd, void *buf, size_t len)
{
	int rc = udrv_io_sync(w->c, 1, cmd, buf, len, NULL);

	return rc > 0 ? -EIO : rc;
}

struct fill_ctx {
	struct wl *w;
	int err;
	unsigned int inflight;
	bool busy[WL_FILL_BUFS];	/* a write from this buffer is in flight */
};

struct fill_arg {
	struct fill_ctx *f;
	unsigned int b;
};

static void fill_cb(void *arg, const struct udrv_completion *cpl)
{
	struct fill_arg *a = arg;
	struct fill_ctx *f = a->f;

	f->inflight--;
	f->busy[a->b] = false;
	if (udrv_status_code(cpl->status) && !f->err)
		f->err = -EIO;
}

int wl_fill(struct wl *w)
{
	uint32_t per = WL_FILL_BYTES / w->lbs, nlb;
	struct fill_ctx f = { .w = w };
	struct fill_arg fa[WL_FILL_BUFS];
	struct udrv_sqe cmd;
	uint8_t *bufs, *dsm;
	unsigned int b = 0, q = 1;
	uint64_t left, lba, i;
	size_t e;
	int rc;

	if (w->thread_on)
		return -EBUSY;
	if (per * w->lbs > w->max_xfer)
		per = w->max_xfer / w->lbs;
	bufs = udrv_dma_alloc(w->c, (size_t)WL_FILL_BUFS * per * w->lbs);
	dsm = udrv_dma_alloc(w->c, WL_PAGE);
	if (!bufs || !dsm) {
		rc = -ENOMEM;
		goto out;
	}
	/* the whole namespace reads as zeroes first (nothing allocated) */
	for (lba = 0; lba < w->ns_nlbas; lba += nlb) {
		nlb = w->ns_nlbas - lba > 0x40000000u ? 0x40000000u :
		      (uint32_t)(w->ns_nlbas - lba);
		build_cmd(w, &cmd, OP_DEALLOC, lba, nlb);
		dsm_range(dsm, lba, nlb);
		rc = sync_cmd(w, &cmd, dsm, 16);
		if (rc)
			goto out;
	}
	memset(w->gen, 0, w->nlbas * sizeof(*w->gen));
	memset(w->busy, 0, w->nlbas);
	for (e = 0; e < w->next_ext; e++) {
		lba = w->ext[e].slba;
		left = w->ext[e].nlb;
		while (left) {
			uint8_t *buf;

			nlb = left > per ? per : (uint32_t)left;
			/* completions come in any order: wait for a free buffer */
			for (;;) {
				unsigned int k;

				for (k = 0; k < WL_FILL_BUFS && f.busy[b]; k++)
					b = (b + 1) % WL_FILL_BUFS;
				if (!f.busy[b] && f.inflight < w->qsize - 2)
					break;
				rc = udrv_poll(w->c, q, NULL, 0);
				if (rc < 0) {
					rc = -EIO;
					goto out;
				}
				if (!rc)
					sched_yield();
			}
			buf = bufs + (size_t)b * per * w->lbs;
			for (i = 0; i < nlb; i++) {
				if (w->gen[lba + i] && w->gen[lba + i] != 1)
					continue;
				w->gen[lba + i] = 1;
				gen_block(w, buf + i * w->lbs, lba + i, 1);
			}
			build_cmd(w, &cmd, OP_WRITE, lba, nlb);
			fa[b].f = &f;
			fa[b].b = b;
			rc = udrv_submit(w->c, q, &cmd, buf, (size_t)nlb * w->lbs, 0, fill_cb, &fa[b]);
			if (rc < 0)
				goto out;
			f.busy[b] = true;
			f.inflight++;
			b = (b + 1) % WL_FILL_BUFS;
			lba += nlb;
			left -= nlb;
		}
	}
	while (f.inflight) {
		rc = udrv_poll(w->c, q, NULL, 0);
		if (rc < 0) {
			rc = -EIO;
			goto out;
		}
		if (!rc)
			sched_yield();
	}
	rc = f.err;
	w->next_gen = 2;
out:
	/* let pending fill writes finish before the buffers go away */
	while (f.inflight && udrv_poll(w->c, q, NULL, 0) >= 0)
		sched_yield();
	udrv_dma_free(w->c, bufs);
	udrv_dma_free(w->c, dsm);
	return rc;
}

static long verify_chunks(struct wl *w, int fd)
{
	uint32_t per = WL_VERIFY_BYTES / w->lbs, nlb;
	uint8_t *buf;
	uint64_t lba, i;
	long bad = 0;
	int rc = 0;

	if (w->thread_on)
		return -EBUSY;
	if (fd < 0 && per * w->lbs > w->max_xfer)
		per = w->max_xfer / w->lbs;
	if (fd < 0) {
		buf = udrv_dma_alloc(w->c, (size_t)per * w->lbs);
	} else {
		void *p = NULL;

		buf = posix_memalign(&p, WL_PAGE, (size_t)per * w->lbs) ? NULL : p;
	}
	if (!buf)
		return -ENOMEM;
	for (lba = 0; lba < w->nlbas; lba += nlb) {
		nlb = w->nlbas - lba > per ? per : (uint32_t)(w->nlbas - lba);
		if (fd < 0) {
			rc = udrv_read(w->c, 1, w->p.nsid, lba, nlb, buf);
			if (rc) {
				rc = rc > 0 ? -EIO : rc;
				break;
			}
		} else {
			ssize_t n = pread(fd, buf, (size_t)nlb * w->lbs, (off_t)(lba * w->lbs));

			if (n != (ssize_t)((size_t)nlb * w->lbs)) {
				rc = n < 0 ? -errno : -EIO;
				break;
			}
		}
		for (i = 0; i < nlb; i++)
			bad += check_block(w, fd < 0 ? "verify" : "verify-fd", buf + i * w->lbs,
					   lba + i, w->gen[lba + i]);
	}
	if (fd < 0)
		udrv_dma_free(w->c, buf);
	else
		free(buf);
	return rc ? rc : bad;
}

long wl_verify(struct wl *w)
{
	return verify_chunks(w, -1);
}

long wl_verify_fd(struct wl *w, int fd)
{
	if (fd < 0)
		return -EBADF;
	return verify_chunks(w, fd);
}

/* ---- memory ranges ------------------------------------------------------------- */

struct rangeset {
	struct wl_range *r;
	int max, n;
};

static void rs_add(struct rangeset *rs, uint64_t addr, uint64_t len)
{
	int i;

	if (!addr || !len)
		return;
	/* merge with an adjacent range (pages come in increasing order per area) */
	for (i = 0; i < rs->n && i < rs->max; i++) {
		if (rs->r[i].addr + rs->r[i].len == addr) {
			rs->r[i].len += len;
			return;
		}
		if (addr + len == rs->r[i].addr) {
			rs->r[i].addr = addr;
			rs->r[i].len += len;
			return;
		}
		if (addr >= rs->r[i].addr && addr + len <= rs->r[i].addr + rs->r[i].len)
			return;
	}
	if (rs->n < rs->max) {
		rs->r[rs->n].addr = addr;
		rs->r[rs->n].len = len;
	}
	rs->n++;
}

static void rs_add_virt(struct wl *w, struct rangeset *rs, const void *p, size_t len)
{
	const uint8_t *b = (const uint8_t *)((uintptr_t)p & ~(uintptr_t)(WL_PAGE - 1));
	const uint8_t *end = (const uint8_t *)p + len;

	for (; b < end; b += WL_PAGE)
		rs_add(rs, udrv_virt_to_phys(w->c, b), WL_PAGE);
}

static int ranges(struct wl *w, struct wl_range *r, int max, bool with_sq, bool marks)
{
	struct rangeset rs = { .r = r, .max = max };
	unsigned int q, pg;
	size_t i;

	for (q = 0; q <= w->nq; q++) {
		struct udrv_queue_state qs;

		if (udrv_queue_state(w->c, q, &qs))
			continue;
		if (with_sq)
			rs_add_virt(w, &rs, qs.sq_virt, (size_t)qs.qsize * 64);
		if (!marks) {
			rs_add_virt(w, &rs, qs.cq_virt, (size_t)qs.qsize * 16);
		} else if (q) {
			for (pg = 0; pg < w->cq_pages; pg++)
				if (w->cq_marks[(size_t)q * w->cq_pages + pg])
					rs_add_virt(w, &rs, (uint8_t *)qs.cq_virt + pg * WL_PAGE, 1);
		}
	}
	if (!marks) {
		rs_add_virt(w, &rs, w->bufs, w->nslots * w->slot_bytes);
	} else {
		for (i = 0; i < w->nslots * w->slot_bytes / WL_PAGE; i++)
			if (w->buf_marks[i])
				rs_add_virt(w, &rs, w->bufs + i * WL_PAGE, 1);
	}
	return rs.n;
}

int wl_dma_ranges(struct wl *w, struct wl_range *r, int max)
{
	return ranges(w, r, max, true, false);
}

int wl_dma_write_ranges(struct wl *w, struct wl_range *r, int max)
{
	return ranges(w, r, max, false, false);
}

void wl_mem_mark(struct wl *w, bool on)
{
	if (on) {
		memset(w->buf_marks, 0, w->nslots * w->slot_bytes / WL_PAGE);
		memset(w->cq_marks, 0, (size_t)(w->nq + 1) * w->cq_pages);
		memset(w->mod_marks, 0, w->nlbas);
	}
	__atomic_store_n(&w->mark_on, on, __ATOMIC_SEQ_CST);
}

int wl_mem_written(struct wl *w, struct wl_range *r, int max)
{
	return ranges(w, r, max, false, true);
}

uint64_t wl_modified_lbas(struct wl *w)
{
	uint64_t i, n = 0;

	for (i = 0; i < w->nlbas; i++)
		n += w->mod_marks[i];
	return n;
}
