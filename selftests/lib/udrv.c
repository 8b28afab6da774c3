// SPDX-License-Identifier: GPL-2.0
/*
 * udrv: polled userspace NVMe host driver for the nvme-hmlm guest tests.
 * See udrv.h and README.rst.
 */
#define _GNU_SOURCE
#include "udrv.h"
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef MAP_HUGETLB
#define MAP_HUGETLB 0x40000
#endif

#define PAGE		UDRV_PAGE_SIZE
#define HP		UDRV_HUGEPAGE_SIZE
#define NQ		(UDRV_MAX_IO_QUEUES + 1)
#define MAX_XFER_CAP	(2u << 20)	/* one PRP list page per command */
#define NS_CACHE	8

_Static_assert(sizeof(struct udrv_sqe) == 64, "SQE size");
_Static_assert(sizeof(struct udrv_cqe) == 16, "CQE size");

enum slot_state { SLOT_FREE, SLOT_BUSY, SLOT_SYNC, SLOT_ABANDONED };

struct slot {
	uint8_t state;
	bool done;		/* SLOT_SYNC: completion arrived */
	bool has_last;
	uint16_t cid;
	uint16_t last_cid;	/* CID of the last completion on this slot */
	udrv_cb cb;
	void *arg;
	struct udrv_completion cpl;
	uint64_t *prp_list;
	uint64_t prp_phys;
};

struct queue {
	bool exists;
	uint16_t qid;
	uint16_t qsize;
	struct udrv_sqe *sq;
	volatile struct udrv_cqe *cq;
	uint64_t sq_phys, cq_phys;
	uint16_t sq_tail, sq_head, cq_head;
	uint8_t phase;
	bool sq_db_pending, cq_db_pending;
	unsigned int inflight;
	unsigned int nslots;
	struct slot *slots;
	uint16_t *free_stack;
	unsigned int nfree;
	unsigned int slot_bits;
	uint16_t gen;
	void *prp_mem;
	struct udrv_completion *stash;
	unsigned int stash_head, stash_cnt;
	int pending_err;
};

struct udrv_ctrl {
	char bdf[32];
	int bar_fd;
	volatile uint8_t *bar;
	size_t bar_len;
	bool debug;
	struct udrv_opts opts;
	struct udrv_info info;
	struct udrv_stats stats;
	uint16_t last_status;

	/* DMA pool: one virtually contiguous hugepage mapping. */
	uint8_t *pool;
	size_t pool_len;
	uint64_t *hp_phys;
	unsigned int nunits;
	uint8_t *used;
	uint32_t *alloc_units;
	size_t avail;
	void *bounce;

	struct udrv_ns ns[NS_CACHE];
	struct queue q[NQ];
};

/* ---- helpers --------------------------------------------------------- */

static void dbg(const struct udrv_ctrl *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));	/* no kernel __printf here */

static void dbg(const struct udrv_ctrl *c, const char *fmt, ...)
{
	va_list ap;

	if (!c || !c->debug)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "udrv %s: ", c->bdf);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Ring memory is ordinary cached memory; the BAR is uncached MMIO. */
static inline void wmb(void)
{
	/* SQE stores and CQ consumption before the doorbell store */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static inline void rmb(void)
{
	/* the phase tag before the rest of the CQE */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void backoff(unsigned int iter)
{
	struct timespec ts = { 0, 20000 };

	if (iter < 64) {
		__builtin_ia32_pause();
		return;
	}
	nanosleep(&ts, NULL);
}

/* ---- registers ------------------------------------------------------- */

uint32_t udrv_read32(struct udrv_ctrl *c, uint32_t off)
{
	if (!c->bar || off + 4 > c->bar_len)
		return 0xffffffffu;
	return *(volatile uint32_t *)(c->bar + off);
}

void udrv_write32(struct udrv_ctrl *c, uint32_t off, uint32_t val)
{
	if (!c->bar || off + 4 > c->bar_len)
		return;
	*(volatile uint32_t *)(c->bar + off) = val;
}

uint64_t udrv_read64(struct udrv_ctrl *c, uint32_t off)
{
	uint64_t lo = udrv_read32(c, off);
	uint64_t hi = udrv_read32(c, off + 4);

	return lo | hi << 32;
}

void udrv_write64(struct udrv_ctrl *c, uint32_t off, uint64_t val)
{
	udrv_write32(c, off, (uint32_t)val);
	udrv_write32(c, off + 4, (uint32_t)(val >> 32));
}

static uint32_t sq_db_off(const struct udrv_ctrl *c, unsigned int qid)
{
	return UDRV_REG_DBS + (2 * qid) * (4u << c->info.dstrd);
}

static uint32_t cq_db_off(const struct udrv_ctrl *c, unsigned int qid)
{
	return UDRV_REG_DBS + (2 * qid + 1) * (4u << c->info.dstrd);
}

static void ring_sq(struct udrv_ctrl *c, struct queue *q)
{
	if (!c->bar) {
		q->sq_db_pending = true;
		return;
	}
	wmb();	/* the SQEs are visible before the device sees the tail */
	udrv_write32(c, sq_db_off(c, q->qid), q->sq_tail);
	q->sq_db_pending = false;
}

static void ring_cq(struct udrv_ctrl *c, struct queue *q)
{
	if (!c->bar) {
		q->cq_db_pending = true;
		return;
	}
	wmb();	/* the CQEs were read before the device may reuse them */
	udrv_write32(c, cq_db_off(c, q->qid), q->cq_head);
	q->cq_db_pending = false;
}

/* ---- PCI function ---------------------------------------------------- */

static bool bdf_valid(const char *bdf)
{
	unsigned int d, b, s, f;
	char tail;

	if (!bdf || strlen(bdf) != 12 || strchr(bdf, '/'))
		return false;
	return sscanf(bdf, "%4x:%2x:%2x.%1x%c", &d, &b, &s, &f, &tail) == 4 &&
	       s < 32 && f < 8;
}

/* Enable the function, set Memory Space + Bus Master, map BAR0. */
static int pci_map(struct udrv_ctrl *c, const char *bdf)
{
	char path[128], buf[32];
	struct stat st;
	uint16_t cmd;
	void *p;
	int fd, rc;

	if (!bdf_valid(bdf))
		return -EINVAL;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	if (stat(path, &st) < 0)
		return -errno;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	if (lstat(path, &st) == 0) {
		dbg(c, "%s is bound to a kernel driver", bdf);
		return -EBUSY;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/class", bdf);
	rc = bench_sysfs_read(path, buf, sizeof(buf));
	if (rc)
		return rc;
	if ((strtoul(buf, NULL, 16) >> 8) != 0x0108) {
		dbg(c, "%s: class %s is not NVMe", bdf, buf);
		return -ENODEV;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/enable", bdf);
	rc = bench_sysfs_write(path, "1");
	if (rc) {
		dbg(c, "enable: %s", strerror(-rc));
		return rc;
	}

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread(fd, &cmd, 2, 4) != 2) {
		rc = -EIO;
		close(fd);
		return rc;
	}
	/* Memory Space, Bus Master; INTx off: this driver only polls. */
	cmd |= (1u << 1) | (1u << 2) | (1u << 10);
	if (pwrite(fd, &cmd, 2, 4) != 2) {
		rc = -EIO;
		close(fd);
		return rc;
	}
	close(fd);

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", bdf);
	fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_size < 0x2000) {
		close(fd);
		return -ENODEV;
	}
	p = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		rc = -errno;
		close(fd);
		return rc;
	}
	c->bar = p;
	c->bar_len = st.st_size;
	c->bar_fd = fd;
	snprintf(c->bdf, sizeof(c->bdf), "%s", bdf);
	return 0;
}

static void pci_unmap(struct udrv_ctrl *c)
{
	if (c->bar)
		munmap((void *)c->bar, c->bar_len);
	if (c->bar_fd >= 0)
		close(c->bar_fd);
	c->bar = NULL;
	c->bar_len = 0;
	c->bar_fd = -1;
}

/* ---- DMA pool -------------------------------------------------------- */

static int dma_init(struct udrv_ctrl *c, size_t bytes)
{
	size_t len = (bytes + HP - 1) & ~((size_t)HP - 1);
	unsigned int i, nhp = len / HP;
	void *p;
	int fd, rc;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED) {
		char tmpl[] = "/dev/hugepages/udrv-XXXXXX";

		dbg(c, "MAP_HUGETLB: %s; trying /dev/hugepages", strerror(errno));
		fd = mkstemp(tmpl);
		if (fd < 0)
			return -ENOMEM;
		unlink(tmpl);
		if (ftruncate(fd, len) < 0) {
			close(fd);
			return -ENOMEM;
		}
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
		close(fd);
		if (p == MAP_FAILED)
			return -ENOMEM;
	}
	if (mlock(p, len) < 0) {
		rc = -errno;
		munmap(p, len);
		return rc;
	}
	memset(p, 0, len);
	c->pool = p;
	c->pool_len = len;

	c->hp_phys = calloc(nhp, sizeof(*c->hp_phys));
	c->nunits = len / PAGE;
	c->used = calloc(c->nunits, 1);
	c->alloc_units = calloc(c->nunits, sizeof(*c->alloc_units));
	if (!c->hp_phys || !c->used || !c->alloc_units)
		return -ENOMEM;
	c->avail = len;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (i = 0; i < nhp; i++) {
		uintptr_t va = (uintptr_t)c->pool + (size_t)i * HP;
		uint64_t e, e2;

		if (pread(fd, &e, 8, (va / PAGE) * 8) != 8 ||
		    pread(fd, &e2, 8, ((va + HP - PAGE) / PAGE) * 8) != 8) {
			close(fd);
			return -EIO;
		}
		if (!(e >> 63) || !(e & ((1ull << 55) - 1))) {
			dbg(c, "pagemap gives no PFN (not root?)");
			close(fd);
			return -EPERM;
		}
		c->hp_phys[i] = (e & ((1ull << 55) - 1)) * PAGE;
		if ((e2 & ((1ull << 55) - 1)) * PAGE != c->hp_phys[i] + HP - PAGE ||
		    (c->hp_phys[i] & (HP - 1))) {
			dbg(c, "hugepage %u is not physically contiguous", i);
			close(fd);
			return -EFAULT;
		}
	}
	close(fd);
	return 0;
}

static void dma_fini(struct udrv_ctrl *c)
{
	if (c->pool) {
		munlock(c->pool, c->pool_len);
		munmap(c->pool, c->pool_len);
	}
	free(c->hp_phys);
	free(c->used);
	free(c->alloc_units);
	c->pool = NULL;
}

static bool in_pool(const struct udrv_ctrl *c, const void *p, size_t len)
{
	const uint8_t *b = p;

	return c->pool && b >= c->pool && b < c->pool + c->pool_len &&
	       len <= (size_t)(c->pool + c->pool_len - b);
}

uint64_t udrv_virt_to_phys(const struct udrv_ctrl *c, const void *p)
{
	size_t off;

	if (!in_pool(c, p, 1))
		return 0;
	off = (const uint8_t *)p - c->pool;
	return c->hp_phys[off / HP] + (off & (HP - 1));
}

void *udrv_dma_alloc(struct udrv_ctrl *c, size_t len)
{
	unsigned int n = (len + PAGE - 1) / PAGE, i, run = 0;

	if (!n)
		n = 1;
	for (i = 0; i < c->nunits; i++) {
		if (c->used[i]) {
			run = 0;
			continue;
		}
		if (++run == n) {
			unsigned int start = i + 1 - n;
			uint8_t *p = c->pool + (size_t)start * PAGE;

			memset(c->used + start, 1, n);
			c->alloc_units[start] = n;
			c->avail -= (size_t)n * PAGE;
			memset(p, 0, (size_t)n * PAGE);
			return p;
		}
	}
	dbg(c, "DMA pool exhausted (%zu bytes asked, %zu free)", len, c->avail);
	return NULL;
}

void udrv_dma_free(struct udrv_ctrl *c, void *p)
{
	size_t start;
	unsigned int n;

	if (!p || !in_pool(c, p, 1))
		return;
	start = ((uint8_t *)p - c->pool) / PAGE;
	n = c->alloc_units[start];
	if (!n)
		return;
	memset(c->used + start, 0, n);
	c->alloc_units[start] = 0;
	c->avail += (size_t)n * PAGE;
}

size_t udrv_dma_avail(const struct udrv_ctrl *c)
{
	return c->avail;
}

/* ---- queues ---------------------------------------------------------- */

static void queue_free(struct udrv_ctrl *c, struct queue *q)
{
	udrv_dma_free(c, q->sq);
	udrv_dma_free(c, (void *)q->cq);
	udrv_dma_free(c, q->prp_mem);
	free(q->slots);
	free(q->free_stack);
	free(q->stash);
	memset(q, 0, sizeof(*q));
}

static size_t prp_list_bytes(const struct udrv_ctrl *c)
{
	size_t need = (c->info.max_xfer / PAGE) * 8, b = 8;

	while (b < need)
		b <<= 1;
	return b;
}

static int queue_alloc(struct udrv_ctrl *c, unsigned int qid, unsigned int qsize)
{
	struct queue *q = &c->q[qid];
	size_t lb = prp_list_bytes(c);
	unsigned int i;

	memset(q, 0, sizeof(*q));
	q->qid = qid;
	q->qsize = qsize;
	q->phase = 1;
	q->nslots = qsize - 1;
	while ((1u << q->slot_bits) < q->nslots)
		q->slot_bits++;
	if (!q->slot_bits)
		q->slot_bits = 1;
	q->sq = udrv_dma_alloc(c, (size_t)qsize * sizeof(struct udrv_sqe));
	q->cq = udrv_dma_alloc(c, (size_t)qsize * sizeof(struct udrv_cqe));
	q->prp_mem = udrv_dma_alloc(c, q->nslots * lb);
	q->slots = calloc(q->nslots, sizeof(*q->slots));
	q->free_stack = calloc(q->nslots, sizeof(*q->free_stack));
	q->stash = calloc(qsize, sizeof(*q->stash));
	if (!q->sq || !q->cq || !q->prp_mem || !q->slots || !q->free_stack || !q->stash) {
		queue_free(c, q);
		return -ENOMEM;
	}
	q->sq_phys = udrv_virt_to_phys(c, q->sq);
	q->cq_phys = udrv_virt_to_phys(c, (void *)q->cq);
	for (i = 0; i < q->nslots; i++) {
		q->slots[i].prp_list = (uint64_t *)((uint8_t *)q->prp_mem + i * lb);
		q->slots[i].prp_phys = udrv_virt_to_phys(c, q->slots[i].prp_list);
		q->free_stack[i] = q->nslots - 1 - i;
	}
	q->nfree = q->nslots;
	q->exists = true;
	return 0;
}

static struct queue *get_queue(struct udrv_ctrl *c, unsigned int qid)
{
	if (!c || qid >= NQ || !c->q[qid].exists)
		return NULL;
	return &c->q[qid];
}

/* PRP1/PRP2 (and the slot's PRP list) for @buf, @len bytes. */
static int build_prps(struct udrv_ctrl *c, struct slot *s, void *buf, size_t len,
		      struct udrv_sqe *sqe)
{
	uint8_t *b = buf;
	uint64_t phys;
	size_t first, rest, n, i;

	if (!len)
		return 0;	/* the caller's PRP fields (e.g. a queue base) stay */
	if (!buf || !in_pool(c, buf, len) || len > c->info.max_xfer) {
		dbg(c, "buffer %p+%zu not in the DMA pool or above max_xfer", buf, len);
		return -EINVAL;
	}
	phys = udrv_virt_to_phys(c, b);
	if (phys & 3)
		return -EINVAL;
	sqe->prp1 = phys;
	sqe->prp2 = 0;
	first = PAGE - (phys & (PAGE - 1));
	if (len <= first)
		return 0;
	rest = len - first;
	if (rest <= PAGE) {
		sqe->prp2 = udrv_virt_to_phys(c, b + first);
		return 0;
	}
	n = (rest + PAGE - 1) / PAGE;
	for (i = 0; i < n; i++)
		s->prp_list[i] = udrv_virt_to_phys(c, b + first + i * PAGE);
	sqe->prp2 = s->prp_phys;
	return 0;
}

static int submit(struct udrv_ctrl *c, struct queue *q, const struct udrv_sqe *cmd, void *buf,
		  size_t len, unsigned int flags, udrv_cb cb, void *arg, bool sync)
{
	struct udrv_sqe sqe = *cmd;
	unsigned int idx;
	struct slot *s;
	uint16_t cid;
	int rc;

	if (!q->nfree || (uint16_t)((q->sq_tail + 1) % q->qsize) == q->sq_head)
		return -EAGAIN;
	idx = q->free_stack[q->nfree - 1];
	s = &q->slots[idx];
	rc = build_prps(c, s, buf, len, &sqe);
	if (rc)
		return rc;
	q->nfree--;
	do {
		q->gen = (q->gen + 1) & ((1u << (16 - q->slot_bits)) - 1);
		cid = (uint16_t)(q->gen << q->slot_bits | idx);
	} while (cid == 0xffff);
	s->cid = cid;
	s->state = sync ? SLOT_SYNC : SLOT_BUSY;
	s->done = false;
	s->cb = cb;
	s->arg = arg;
	sqe.cid = cid;
	memcpy(&q->sq[q->sq_tail], &sqe, sizeof(sqe));
	q->sq_tail = (q->sq_tail + 1) % q->qsize;
	q->inflight++;
	c->stats.submitted++;
	if (flags & UDRV_SUBMIT_NO_DOORBELL)
		q->sq_db_pending = true;
	else
		ring_sq(c, q);
	return cid;
}

static void release_slot(struct queue *q, unsigned int idx)
{
	struct slot *s = &q->slots[idx];

	s->last_cid = s->cid;
	s->has_last = true;
	s->state = SLOT_FREE;
	s->cb = NULL;
	q->free_stack[q->nfree++] = idx;
	q->inflight--;
}

static void stash_push(struct queue *q, const struct udrv_completion *cpl)
{
	if (q->stash_cnt == q->qsize)
		return;		/* cannot happen: at most qsize - 1 in flight */
	q->stash[(q->stash_head + q->stash_cnt) % q->qsize] = *cpl;
	q->stash_cnt++;
}

/*
 * Consume CQEs. Completions of sync slots are stored in the slot; callbacks
 * run; the others go to @out while there is room (when @out is given; then
 * consumption stops at @max) or else to the stash (@to_stash) or nowhere.
 */
static unsigned int reap(struct udrv_ctrl *c, struct queue *q, struct udrv_completion *out,
			 unsigned int max, bool to_stash)
{
	unsigned int n = 0, consumed = 0;

	for (;;) {
		volatile struct udrv_cqe *e = &q->cq[q->cq_head];
		struct udrv_completion cpl;
		struct udrv_cqe cqe;
		unsigned int idx;
		struct slot *s;

		if (out && !to_stash && n >= max)
			break;
		if ((e->status & 1) != q->phase)
			break;
		rmb();	/* phase tag seen: now the payload is valid */
		cqe.dw0 = e->dw0;
		cqe.dw1 = e->dw1;
		cqe.sqhd = e->sqhd;
		cqe.sqid = e->sqid;
		cqe.cid = e->cid;
		cqe.status = e->status;
		q->cq_head++;
		if (q->cq_head == q->qsize) {
			q->cq_head = 0;
			q->phase ^= 1;
		}
		consumed++;
		if (cqe.sqhd < q->qsize)
			q->sq_head = cqe.sqhd;
		if (cqe.sqid != q->qid) {
			c->stats.bad_sqid++;
			q->pending_err = -EPROTO;
			dbg(c, "q%u: CQE names SQ %u", q->qid, cqe.sqid);
			continue;
		}
		idx = cqe.cid & ((1u << q->slot_bits) - 1);
		s = idx < q->nslots ? &q->slots[idx] : NULL;
		if (!s || s->state == SLOT_FREE || s->cid != cqe.cid ||
		    (s->state == SLOT_SYNC && s->done)) {
			if (s && s->has_last && s->last_cid == cqe.cid) {
				c->stats.dup_cid++;
				dbg(c, "q%u: duplicate completion of CID %#x", q->qid, cqe.cid);
			} else if (s && s->state == SLOT_SYNC && s->done && s->cid == cqe.cid) {
				c->stats.dup_cid++;
				dbg(c, "q%u: duplicate completion of CID %#x", q->qid, cqe.cid);
			} else {
				c->stats.unknown_cid++;
				dbg(c, "q%u: completion of unknown CID %#x", q->qid, cqe.cid);
			}
			q->pending_err = -EPROTO;
			continue;
		}
		cpl.qid = q->qid;
		cpl.cid = cqe.cid;
		cpl.status = cqe.status >> 1;
		cpl.dw0 = cqe.dw0;
		cpl.arg = s->arg;
		c->stats.completed++;
		if (s->state == SLOT_SYNC) {
			s->cpl = cpl;
			s->done = true;
			continue;
		}
		if (s->state == SLOT_ABANDONED) {
			release_slot(q, idx);
			continue;
		}
		if (s->cb) {
			udrv_cb cb = s->cb;

			release_slot(q, idx);
			cb(cpl.arg, &cpl);
			n++;
			continue;
		}
		release_slot(q, idx);
		if (out && n < max)
			out[n++] = cpl;
		else if (to_stash)
			stash_push(q, &cpl);
		else
			n++;
	}
	if (consumed)
		ring_cq(c, q);
	return n;
}

static int wait_sync(struct udrv_ctrl *c, struct queue *q, int cid, struct udrv_completion *cpl)
{
	unsigned int idx = cid & ((1u << q->slot_bits) - 1), iter = 0;
	struct slot *s = &q->slots[idx];
	uint64_t deadline = now_ms() + c->opts.cmd_timeout_ms;

	for (;;) {
		reap(c, q, NULL, 0, true);
		if (s->done) {
			*cpl = s->cpl;
			release_slot(q, idx);
			return 0;
		}
		if (!c->bar && q->sq_db_pending)
			break;
		if (now_ms() > deadline)
			break;
		backoff(iter++);
	}
	s->state = SLOT_ABANDONED;
	c->stats.timeouts++;
	dbg(c, "q%u: CID %#x timed out (CSTS %#x)", q->qid, cid, udrv_read32(c, UDRV_REG_CSTS));
	return c->bar ? -ETIMEDOUT : -ENODEV;
}

static int run_sync(struct udrv_ctrl *c, struct queue *q, const struct udrv_sqe *cmd, void *buf,
		    size_t len, uint32_t *dw0)
{
	struct udrv_completion cpl;
	int cid, rc;

	if (!c->bar)
		return -ENODEV;
	cid = submit(c, q, cmd, buf, len, 0, NULL, NULL, true);
	if (cid < 0) {
		if (cid == -EAGAIN) {
			/* make room: reap what is there, once */
			reap(c, q, NULL, 0, true);
			cid = submit(c, q, cmd, buf, len, 0, NULL, NULL, true);
		}
		if (cid < 0)
			return cid;
	}
	rc = wait_sync(c, q, cid, &cpl);
	if (rc)
		return rc;
	if (dw0)
		*dw0 = cpl.dw0;
	if (udrv_status_code(cpl.status)) {
		c->last_status = cpl.status;
		dbg(c, "q%u: opcode %#x status %#x", q->qid, cmd->opcode, cpl.status);
		return udrv_status_code(cpl.status);
	}
	c->last_status = 0;
	return 0;
}

/* ---- admin ----------------------------------------------------------- */

int udrv_admin(struct udrv_ctrl *c, struct udrv_sqe *cmd, void *buf, size_t len, uint32_t *dw0)
{
	bool bounce = buf && !in_pool(c, buf, len);
	int rc;

	if (!c || !cmd || len > c->info.max_xfer)
		return -EINVAL;
	if (bounce)
		memcpy(c->bounce, buf, len);
	rc = run_sync(c, &c->q[0], cmd, bounce ? c->bounce : buf, len, dw0);
	if (bounce && rc >= 0)
		memcpy(buf, c->bounce, len);
	return rc;
}

int udrv_identify_ctrl(struct udrv_ctrl *c, void *buf4k)
{
	struct udrv_sqe cmd = { .opcode = UDRV_ADM_IDENTIFY, .cdw10 = 1 };

	return udrv_admin(c, &cmd, buf4k, 4096, NULL);
}

int udrv_identify_ns(struct udrv_ctrl *c, uint32_t nsid, struct udrv_ns *ns)
{
	struct udrv_sqe cmd = { .opcode = UDRV_ADM_IDENTIFY, .nsid = nsid, .cdw10 = 0 };
	uint8_t id[4096];
	unsigned int fmt;
	int rc;

	rc = udrv_admin(c, &cmd, id, sizeof(id), NULL);
	if (rc)
		return rc;
	memset(ns, 0, sizeof(*ns));
	ns->nsid = nsid;
	memcpy(&ns->nsze, id + 0, 8);
	memcpy(&ns->ncap, id + 8, 8);
	ns->flbas = id[26];
	ns->nmic = id[30];
	ns->dlfeat = id[33];
	fmt = (ns->flbas & 0xf) | ((ns->flbas >> 5 & 3) << 4);
	if (fmt >= 64 || !ns->nsze)
		return -ENODEV;	/* inactive namespace */
	ns->lba_size = 1u << id[128 + fmt * 4 + 2];
	return 0;
}

int udrv_set_num_queues(struct udrv_ctrl *c, unsigned int nsq, unsigned int ncq,
			unsigned int *nsqa, unsigned int *ncqa)
{
	struct udrv_sqe cmd = {
		.opcode = UDRV_ADM_SET_FEATURES,
		.cdw10 = 0x07,
		.cdw11 = ((ncq - 1) << 16) | (nsq - 1),
	};
	uint32_t dw0 = 0;
	int rc;

	if (!nsq || !ncq || nsq > 65535 || ncq > 65535)
		return -EINVAL;
	rc = udrv_admin(c, &cmd, NULL, 0, &dw0);
	if (rc)
		return rc;
	if (nsqa)
		*nsqa = (dw0 & 0xffff) + 1;
	if (ncqa)
		*ncqa = (dw0 >> 16) + 1;
	return 0;
}

int udrv_create_qpair(struct udrv_ctrl *c, unsigned int qid, unsigned int qsize)
{
	struct udrv_sqe cmd;
	struct queue *q;
	int rc;

	if (!c || !qid || qid >= NQ || c->q[qid].exists || qsize < 2 || qsize > c->info.mqes)
		return -EINVAL;
	rc = queue_alloc(c, qid, qsize);
	if (rc)
		return rc;
	q = &c->q[qid];
	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = UDRV_ADM_CREATE_CQ;
	cmd.prp1 = q->cq_phys;
	cmd.cdw10 = ((qsize - 1) << 16) | qid;
	cmd.cdw11 = 1;			/* PC; IEN = 0, IV = 0 */
	rc = run_sync(c, &c->q[0], &cmd, NULL, 0, NULL);
	if (rc)
		goto fail;
	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = UDRV_ADM_CREATE_SQ;
	cmd.prp1 = q->sq_phys;
	cmd.cdw10 = ((qsize - 1) << 16) | qid;
	cmd.cdw11 = (qid << 16) | 1;	/* CQID, PC */
	rc = run_sync(c, &c->q[0], &cmd, NULL, 0, NULL);
	if (rc) {
		memset(&cmd, 0, sizeof(cmd));
		cmd.opcode = UDRV_ADM_DELETE_CQ;
		cmd.cdw10 = qid;
		run_sync(c, &c->q[0], &cmd, NULL, 0, NULL);
		goto fail;
	}
	return 0;
fail:
	queue_free(c, q);
	return rc;
}

int udrv_delete_qpair(struct udrv_ctrl *c, unsigned int qid)
{
	struct udrv_sqe cmd = { .opcode = UDRV_ADM_DELETE_SQ, .cdw10 = qid };
	struct queue *q = get_queue(c, qid);
	int rc;

	if (!q || !qid)
		return -EINVAL;
	if (q->inflight)
		return -EBUSY;
	rc = run_sync(c, &c->q[0], &cmd, NULL, 0, NULL);
	if (rc)
		return rc;
	cmd.opcode = UDRV_ADM_DELETE_CQ;
	rc = run_sync(c, &c->q[0], &cmd, NULL, 0, NULL);
	queue_free(c, q);
	return rc;
}

/* ---- controller bring-up --------------------------------------------- */

static int wait_rdy(struct udrv_ctrl *c, bool want)
{
	uint64_t deadline = now_ms() + 500ull * ((c->info.cap >> 24) & 0xff) + 500;
	unsigned int iter = 0;

	for (;;) {
		uint32_t csts = udrv_read32(c, UDRV_REG_CSTS);

		if (csts == 0xffffffffu) {
			dbg(c, "CSTS reads all ones: function gone");
			return -ENODEV;
		}
		if (want && (csts & UDRV_CSTS_CFS)) {
			dbg(c, "controller fatal status (CSTS %#x)", csts);
			return -EIO;
		}
		if (!!(csts & UDRV_CSTS_RDY) == want)
			return 0;
		if (now_ms() > deadline) {
			dbg(c, "CSTS.RDY did not become %d within CAP.TO (CSTS %#x)", want, csts);
			return -ETIMEDOUT;
		}
		backoff(iter++);
	}
}

static int ctrl_disable(struct udrv_ctrl *c)
{
	uint32_t cc = udrv_read32(c, UDRV_REG_CC);

	if (cc & 1)
		udrv_write32(c, UDRV_REG_CC, cc & ~1u);
	return wait_rdy(c, false);
}

static int ctrl_enable(struct udrv_ctrl *c)
{
	struct queue *aq = &c->q[0];
	uint32_t cc;

	udrv_write32(c, UDRV_REG_AQA, (uint32_t)(aq->qsize - 1) << 16 | (aq->qsize - 1));
	udrv_write64(c, UDRV_REG_ASQ, aq->sq_phys);
	udrv_write64(c, UDRV_REG_ACQ, aq->cq_phys);
	/* Polled only: mask the pin interrupt (MSI-X is never enabled). */
	udrv_write32(c, UDRV_REG_INTMS, 0xffffffffu);
	cc = (6u << 16) | (4u << 20);	/* IOSQES 6, IOCQES 4, MPS 0, CSS 0, AMS 0 */
	udrv_write32(c, UDRV_REG_CC, cc);
	udrv_write32(c, UDRV_REG_CC, cc | 1);
	return wait_rdy(c, true);
}

static void copy_str(char *dst, const uint8_t *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = 0;
	while (n && (dst[n - 1] == ' ' || dst[n - 1] == 0))
		dst[--n] = 0;
}

static int ctrl_identify(struct udrv_ctrl *c)
{
	uint8_t id[4096];
	uint16_t v16;
	uint32_t mdts;
	int rc;

	rc = udrv_identify_ctrl(c, id);
	if (rc)
		return rc;
	memcpy(&c->info.vid, id + 0, 2);
	copy_str(c->info.sn, id + 4, 20);
	copy_str(c->info.mn, id + 24, 40);
	copy_str(c->info.fr, id + 64, 8);
	memcpy(&v16, id + 78, 2);
	c->info.cntlid = v16;
	memcpy(&c->info.nn, id + 516, 4);
	memcpy(&c->info.oncs, id + 520, 2);
	c->info.vwc = id[525];
	mdts = id[77];
	if (mdts && mdts < 20 && (PAGE << mdts) < MAX_XFER_CAP)
		c->info.max_xfer = PAGE << mdts;
	else
		c->info.max_xfer = MAX_XFER_CAP;
	return 0;
}

static void udrv_free(struct udrv_ctrl *c)
{
	unsigned int i;

	for (i = 0; i < NQ; i++)
		if (c->q[i].exists)
			queue_free(c, &c->q[i]);
	pci_unmap(c);
	dma_fini(c);
	free(c);
}

int udrv_open(const char *bdf, const struct udrv_opts *opts, struct udrv_ctrl **out)
{
	struct udrv_opts o = { 0 };
	unsigned int i, want, nsqa = 0, ncqa = 0;
	struct udrv_ctrl *c;
	const char *env;
	int rc;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (opts)
		o = *opts;
	if (!o.io_qsize)
		o.io_qsize = 64;
	if (!o.admin_qsize)
		o.admin_qsize = 32;
	if (!o.dma_pool_bytes)
		o.dma_pool_bytes = 8u << 20;
	if (!o.cmd_timeout_ms)
		o.cmd_timeout_ms = 30000;
	if (o.nr_io_queues > UDRV_MAX_IO_QUEUES || o.io_qsize < 2 || o.admin_qsize < 2 ||
	    o.admin_qsize > 4096)
		return -EINVAL;
	env = getenv("UDRV_DEBUG");
	if (env && *env == '1')
		o.debug = true;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->bar_fd = -1;
	c->opts = o;
	c->debug = o.debug;
	snprintf(c->bdf, sizeof(c->bdf), "%s", bdf ? bdf : "?");

	rc = pci_map(c, bdf);
	if (rc)
		goto fail;
	c->info.cap = udrv_read64(c, UDRV_REG_CAP);
	c->info.vs = udrv_read32(c, UDRV_REG_VS);
	c->info.dstrd = (c->info.cap >> 32) & 0xf;
	c->info.mqes = (c->info.cap & 0xffff) + 1;
	if (c->info.cap == ~0ull || !((c->info.cap >> 37) & 1) || ((c->info.cap >> 48) & 0xf)) {
		dbg(c, "CAP %#llx: no NVM command set or MPSMIN > 4 KiB",
		    (unsigned long long)c->info.cap);
		rc = -ENODEV;
		goto fail;
	}
	/* Until Identify says otherwise, one page per admin command. */
	c->info.max_xfer = PAGE;
	rc = dma_init(c, o.dma_pool_bytes);
	if (rc)
		goto fail;

	rc = ctrl_disable(c);
	if (rc)
		goto fail;
	c->info.admin_qsize = o.admin_qsize < c->info.mqes ? o.admin_qsize : c->info.mqes;
	/* Admin PRP lists are sized for the largest transfer (set below). */
	c->info.max_xfer = MAX_XFER_CAP;
	rc = queue_alloc(c, 0, c->info.admin_qsize);
	if (rc)
		goto fail;
	rc = ctrl_enable(c);
	if (rc)
		goto fail;
	c->bounce = udrv_dma_alloc(c, MAX_XFER_CAP);
	if (!c->bounce) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = ctrl_identify(c);
	if (rc)
		goto fail;
	dbg(c, "cntlid %u, %s %s, max_xfer %u, mqes %u, dstrd %u", c->info.cntlid, c->info.mn,
	    c->info.sn, c->info.max_xfer, c->info.mqes, c->info.dstrd);

	want = o.nr_io_queues ? o.nr_io_queues : UDRV_MAX_IO_QUEUES;
	rc = udrv_set_num_queues(c, want, want, &nsqa, &ncqa);
	if (rc)
		goto fail;
	c->info.nsqa = nsqa;
	c->info.ncqa = ncqa;
	if (want > nsqa)
		want = nsqa;
	if (want > ncqa)
		want = ncqa;
	c->info.io_qsize = o.io_qsize < c->info.mqes ? o.io_qsize : c->info.mqes;
	for (i = 1; i <= want; i++) {
		rc = udrv_create_qpair(c, i, c->info.io_qsize);
		if (rc)
			goto fail;
	}
	c->info.nr_io_queues = want;
	*out = c;
	return 0;
fail:
	dbg(c, "open failed: %d", rc);
	if (c->bar)
		ctrl_disable(c);
	udrv_free(c);
	return rc;
}

void udrv_close(struct udrv_ctrl *c)
{
	char path[128];

	if (!c)
		return;
	if (c->bar) {
		ctrl_disable(c);
		pci_unmap(c);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/enable", c->bdf);
		bench_sysfs_write(path, "0");
	}
	udrv_free(c);
}

const struct udrv_info *udrv_info(const struct udrv_ctrl *c)
{
	return &c->info;
}

const char *udrv_bdf(const struct udrv_ctrl *c)
{
	return c->bdf;
}

void udrv_get_stats(const struct udrv_ctrl *c, struct udrv_stats *st)
{
	*st = c->stats;
}

uint16_t udrv_last_status(const struct udrv_ctrl *c)
{
	return c->last_status;
}

/* ---- I/O ------------------------------------------------------------- */

int udrv_submit(struct udrv_ctrl *c, unsigned int qid, struct udrv_sqe *cmd, void *buf,
		size_t len, unsigned int flags, udrv_cb cb, void *arg)
{
	struct queue *q = get_queue(c, qid);

	if (!q || !cmd)
		return -EINVAL;
	return submit(c, q, cmd, buf, len, flags, cb, arg, false);
}

static void rw_cmd(struct udrv_sqe *cmd, bool write, uint32_t nsid, uint64_t slba, uint32_t nlb)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = write ? UDRV_NVM_WRITE : UDRV_NVM_READ;
	cmd->nsid = nsid;
	cmd->cdw10 = (uint32_t)slba;
	cmd->cdw11 = (uint32_t)(slba >> 32);
	cmd->cdw12 = (nlb - 1) & 0xffff;
}

static int lba_size(struct udrv_ctrl *c, uint32_t nsid, uint32_t *lbs)
{
	struct udrv_ns *ns;
	int rc;

	if (nsid && nsid <= NS_CACHE) {
		ns = &c->ns[nsid - 1];
		if (!ns->lba_size) {
			rc = udrv_identify_ns(c, nsid, ns);
			if (rc) {
				ns->lba_size = 0;
				return rc;
			}
		}
		*lbs = ns->lba_size;
		return 0;
	}
	{
		struct udrv_ns tmp;

		rc = udrv_identify_ns(c, nsid, &tmp);
		if (rc)
			return rc;
		*lbs = tmp.lba_size;
		return 0;
	}
}

int udrv_submit_rw(struct udrv_ctrl *c, unsigned int qid, bool write, uint32_t nsid,
		   uint64_t slba, uint32_t nlb, void *buf, unsigned int flags, udrv_cb cb,
		   void *arg)
{
	struct udrv_sqe cmd;
	uint32_t lbs;
	int rc;

	if (!c || !nlb || nlb > 65536)
		return -EINVAL;
	rc = lba_size(c, nsid, &lbs);
	if (rc)
		return rc < 0 ? rc : -EINVAL;
	rw_cmd(&cmd, write, nsid, slba, nlb);
	return udrv_submit(c, qid, &cmd, buf, (size_t)nlb * lbs, flags, cb, arg);
}

int udrv_ring_sq(struct udrv_ctrl *c, unsigned int qid)
{
	struct queue *q = get_queue(c, qid);

	if (!q)
		return -EINVAL;
	if (!c->bar)
		return -ENODEV;
	ring_sq(c, q);
	return 0;
}

int udrv_poll(struct udrv_ctrl *c, unsigned int qid, struct udrv_completion *out,
	      unsigned int max)
{
	struct queue *q = get_queue(c, qid);
	unsigned int n = 0;
	int err;

	if (!q)
		return -EINVAL;
	while (q->stash_cnt && out && n < max) {
		out[n++] = q->stash[q->stash_head];
		q->stash_head = (q->stash_head + 1) % q->qsize;
		q->stash_cnt--;
	}
	if (!out)
		q->stash_cnt = 0;
	n += reap(c, q, out ? out + n : NULL, out ? max - n : 0, false);
	err = q->pending_err;
	if (err && !n) {
		q->pending_err = 0;
		return err;
	}
	return n;
}

int udrv_poll_n(struct udrv_ctrl *c, unsigned int qid, struct udrv_completion *out,
		unsigned int n, unsigned int timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	unsigned int got = 0, iter = 0;

	while (got < n) {
		int rc = udrv_poll(c, qid, out ? out + got : NULL, out ? n - got : 0);

		if (rc < 0)
			return rc;
		if (rc) {
			got += rc;
			iter = 0;
			continue;
		}
		if (now_ms() > deadline)
			break;
		backoff(iter++);
	}
	return got;
}

int udrv_io_sync(struct udrv_ctrl *c, unsigned int qid, struct udrv_sqe *cmd, void *buf,
		 size_t len, uint32_t *dw0)
{
	struct queue *q = get_queue(c, qid);

	if (!q || !cmd)
		return -EINVAL;
	return run_sync(c, q, cmd, buf, len, dw0);
}

static int rw_sync(struct udrv_ctrl *c, unsigned int qid, bool write, uint32_t nsid,
		   uint64_t slba, uint32_t nlb, void *buf)
{
	struct queue *q = get_queue(c, qid);
	uint32_t lbs, chunk;
	uint8_t *b = buf;
	bool bounce;
	int rc;

	if (!q || !buf || !nlb)
		return -EINVAL;
	rc = lba_size(c, nsid, &lbs);
	if (rc)
		return rc < 0 ? rc : -EINVAL;
	bounce = !in_pool(c, buf, (size_t)nlb * lbs);
	chunk = c->info.max_xfer / lbs;
	if (chunk > 65536)
		chunk = 65536;
	while (nlb) {
		uint32_t n = nlb < chunk ? nlb : chunk;
		size_t len = (size_t)n * lbs;
		struct udrv_sqe cmd;

		rw_cmd(&cmd, write, nsid, slba, n);
		if (bounce && write)
			memcpy(c->bounce, b, len);
		rc = run_sync(c, q, &cmd, bounce ? c->bounce : b, len, NULL);
		if (rc)
			return rc;
		if (bounce && !write)
			memcpy(b, c->bounce, len);
		b += len;
		slba += n;
		nlb -= n;
	}
	return 0;
}

int udrv_read(struct udrv_ctrl *c, unsigned int qid, uint32_t nsid, uint64_t slba,
	      uint32_t nlb, void *buf)
{
	return rw_sync(c, qid, false, nsid, slba, nlb, buf);
}

int udrv_write(struct udrv_ctrl *c, unsigned int qid, uint32_t nsid, uint64_t slba,
	       uint32_t nlb, const void *buf)
{
	return rw_sync(c, qid, true, nsid, slba, nlb, (void *)buf);
}

int udrv_write_zeroes(struct udrv_ctrl *c, unsigned int qid, uint32_t nsid, uint64_t slba,
		      uint32_t nlb)
{
	struct queue *q = get_queue(c, qid);
	int rc;

	if (!q || !nlb)
		return -EINVAL;
	while (nlb) {
		uint32_t n = nlb < 65536 ? nlb : 65536;
		struct udrv_sqe cmd = {
			.opcode = UDRV_NVM_WRITE_ZEROES,
			.nsid = nsid,
			.cdw10 = (uint32_t)slba,
			.cdw11 = (uint32_t)(slba >> 32),
			.cdw12 = n - 1,
		};

		rc = run_sync(c, q, &cmd, NULL, 0, NULL);
		if (rc)
			return rc;
		slba += n;
		nlb -= n;
	}
	return 0;
}

int udrv_deallocate(struct udrv_ctrl *c, unsigned int qid, uint32_t nsid, uint64_t slba,
		    uint32_t nlb)
{
	struct queue *q = get_queue(c, qid);
	struct udrv_sqe cmd = {
		.opcode = UDRV_NVM_DSM,
		.nsid = nsid,
		.cdw10 = 0,		/* one range */
		.cdw11 = 1u << 2,	/* AD */
	};
	uint8_t *r = c ? c->bounce : NULL;

	if (!q || !nlb)
		return -EINVAL;
	memset(r, 0, 16);
	memcpy(r + 4, &nlb, 4);
	memcpy(r + 8, &slba, 8);
	return run_sync(c, q, &cmd, r, 16, NULL);
}

int udrv_flush(struct udrv_ctrl *c, unsigned int qid, uint32_t nsid)
{
	struct queue *q = get_queue(c, qid);
	struct udrv_sqe cmd = { .opcode = UDRV_NVM_FLUSH, .nsid = nsid };

	if (!q)
		return -EINVAL;
	return run_sync(c, q, &cmd, NULL, 0, NULL);
}

/* ---- queue state, detach, continue ----------------------------------- */

int udrv_queue_state(const struct udrv_ctrl *c, unsigned int qid, struct udrv_queue_state *st)
{
	const struct queue *q;

	if (!c || qid >= NQ || !c->q[qid].exists || !st)
		return -EINVAL;
	q = &c->q[qid];
	st->qid = q->qid;
	st->qsize = q->qsize;
	st->sq_phys = q->sq_phys;
	st->cq_phys = q->cq_phys;
	st->sq_virt = q->sq;
	st->cq_virt = (void *)q->cq;
	st->sq_tail = q->sq_tail;
	st->sq_head = q->sq_head;
	st->cq_head = q->cq_head;
	st->cq_phase = q->phase;
	st->sq_db_pending = q->sq_db_pending;
	st->cq_db_pending = q->cq_db_pending;
	st->inflight = q->inflight;
	return 0;
}

int udrv_detach(struct udrv_ctrl *c)
{
	if (!c)
		return -EINVAL;
	if (!c->bar)
		return -EALREADY;
	pci_unmap(c);
	dbg(c, "detached");
	return 0;
}

bool udrv_attached(const struct udrv_ctrl *c)
{
	return c && c->bar;
}

int udrv_attach_continue(struct udrv_ctrl *c, const char *bdf)
{
	char old[32];
	uint32_t csts;
	unsigned int i;
	uint64_t cap;
	int rc;

	if (!c)
		return -EINVAL;
	if (c->bar)
		return -EALREADY;
	snprintf(old, sizeof(old), "%s", c->bdf);
	rc = pci_map(c, bdf);
	if (rc)
		return rc;
	cap = udrv_read64(c, UDRV_REG_CAP);
	csts = udrv_read32(c, UDRV_REG_CSTS);
	if (cap == ~0ull || !(csts & UDRV_CSTS_RDY) || (csts & UDRV_CSTS_CFS) ||
	    !(udrv_read32(c, UDRV_REG_CC) & 1)) {
		dbg(c, "attach: controller not enabled and ready (CSTS %#x)", csts);
		pci_unmap(c);
		snprintf(c->bdf, sizeof(c->bdf), "%s", old);
		return -EIO;
	}
	c->info.cap = cap;
	c->info.dstrd = (cap >> 32) & 0xf;
	udrv_write32(c, UDRV_REG_INTMS, 0xffffffffu);
	for (i = 0; i < NQ; i++) {
		struct queue *q = &c->q[i];

		if (!q->exists)
			continue;
		ring_cq(c, q);
		ring_sq(c, q);
	}
	dbg(c, "attached, continuing (was %s)", old);
	return 0;
}
