// SPDX-License-Identifier: GPL-2.0
/*
 * Guest tests of the polled userspace NVMe driver (selftests/lib/udrv.c) on
 * the source subsystem's VFs: bring-up, queues, data integrity, queue depth,
 * sharing with the PF's block device, error statuses, detach/continue and
 * two driver instances at once. Needs the bench environment (HMLM_SRC_VFS,
 * HMLM_SRC_CNTLIDS, HMLM_SRC_PF, HMLM_SRC_PCI); skips without it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "bench.h"
#include "udrv.h"

#define NSID		1
#define TMO		180

/* ---- bench environment ------------------------------------------------ */

static const char *src_vf(int idx)
{
	static char b[2][32];

	return bench_env_word("HMLM_SRC_VFS", idx, b[idx], sizeof(b[idx]));
}

static int src_cntlid(int idx)
{
	char b[16];

	return bench_env_word("HMLM_SRC_CNTLIDS", idx, b, sizeof(b)) ? atoi(b) : -1;
}

#define NEED_BENCH() do { \
	if (!src_vf(0) || !src_vf(1) || src_cntlid(1) < 0) \
		SKIP(return, "no bench environment (HMLM_SRC_VFS)"); \
} while (0)

/* ---- data patterns ----------------------------------------------------- */

/* Every 8-byte word names its LBA, its position and a seed. */
static uint64_t pat_word(uint64_t lba, unsigned int w, uint32_t seed)
{
	return (lba << 24) ^ ((uint64_t)w << 8) ^ ((uint64_t)seed * 0x9e3779b97f4a7c15ull) ^ 0x5a;
}

static void fill(void *buf, uint64_t slba, uint32_t nlb, uint32_t lbs, uint32_t seed)
{
	uint64_t *p = buf;
	uint32_t i, w;

	for (i = 0; i < nlb; i++)
		for (w = 0; w < lbs / 8; w++)
			*p++ = pat_word(slba + i, w, seed);
}

/* Index of the first bad LBA, or -1 when @buf holds the pattern. */
static long check(const void *buf, uint64_t slba, uint32_t nlb, uint32_t lbs, uint32_t seed)
{
	const uint64_t *p = buf;
	uint32_t i, w;

	for (i = 0; i < nlb; i++)
		for (w = 0; w < lbs / 8; w++)
			if (*p++ != pat_word(slba + i, w, seed))
				return i;
	return -1;
}

static bool all_zero(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* ---- fixtures ----------------------------------------------------------- */

FIXTURE(vf1) {
	struct udrv_ctrl *c;
	struct udrv_ns ns;
	uint32_t lbs;
};

FIXTURE_SETUP(vf1)
{
	int rc;

	self->c = NULL;
	NEED_BENCH();
	rc = udrv_open(src_vf(0), NULL, &self->c);
	ASSERT_EQ(0, rc) TH_LOG("udrv_open(%s): %d", src_vf(0), rc);
	ASSERT_EQ(0, udrv_identify_ns(self->c, NSID, &self->ns));
	self->lbs = self->ns.lba_size;
	ASSERT_GE(self->lbs, 512);
}

FIXTURE_TEARDOWN(vf1)
{
	udrv_close(self->c);
}

FIXTURE(bench) {
	int unused;
};

FIXTURE_SETUP(bench)
{
	self->unused = 0;
}

FIXTURE_TEARDOWN(bench)
{
}

/* ---- bad inputs --------------------------------------------------------- */

TEST_F(bench, open_nonexistent_bdf_enoent)
{
	struct udrv_ctrl *c = (void *)1;

	ASSERT_EQ(-ENOENT, udrv_open("0000:7e:1f.7", NULL, &c));
	ASSERT_EQ(NULL, c);
	ASSERT_EQ(-EINVAL, udrv_open("not-a-bdf", NULL, &c));
	ASSERT_EQ(-EINVAL, udrv_open("0000:00:00.0/../x", NULL, &c));
}

/* The driver refuses a function the kernel owns: the PF stays live. */
TEST_F(bench, open_bound_pf_ebusy)
{
	const char *pci = getenv("HMLM_SRC_PCI"), *pf = getenv("HMLM_SRC_PF");
	struct udrv_ctrl *c = NULL;
	char path[128], state[32] = "";
	FILE *f;

	NEED_BENCH();
	ASSERT_NE(NULL, pci);
	ASSERT_NE(NULL, pf);
	ASSERT_EQ(-EBUSY, udrv_open(pci, NULL, &c));
	snprintf(path, sizeof(path), "/sys/class/nvme/%s/state", pf + 5);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(state, sizeof(state), f));
	fclose(f);
	ASSERT_EQ(0, strncmp(state, "live", 4));
}

/* ---- bring-up ------------------------------------------------------------ */

static void bringup(struct __test_metadata *_metadata, int vf)
{
	const struct udrv_info *in;
	struct udrv_ctrl *c = NULL;
	uint32_t cc, csts;
	int rc;

	rc = udrv_open(src_vf(vf), NULL, &c);
	ASSERT_EQ(0, rc) TH_LOG("udrv_open(%s): %d", src_vf(vf), rc);
	in = udrv_info(c);
	TH_LOG("%s: cntlid %u sn '%s' mn '%s' vs %#x mqes %u max_xfer %u", src_vf(vf),
	       in->cntlid, in->sn, in->mn, in->vs, in->mqes, in->max_xfer);
	EXPECT_EQ(src_cntlid(vf), in->cntlid);
	EXPECT_EQ(0x1b36, in->vid);		/* QEMU's Red Hat vendor ID */
	EXPECT_EQ(0, strcmp(in->sn, "HMLMSRC"));
	cc = udrv_read32(c, UDRV_REG_CC);
	csts = udrv_read32(c, UDRV_REG_CSTS);
	EXPECT_EQ(1, cc & 1);
	EXPECT_EQ(6, (cc >> 16) & 0xf);
	EXPECT_EQ(4, (cc >> 20) & 0xf);
	EXPECT_EQ(UDRV_CSTS_RDY, csts & (UDRV_CSTS_RDY | UDRV_CSTS_CFS));
	EXPECT_GE(in->vs, 0x10400);
	EXPECT_GE(in->max_xfer, 8192);
	udrv_close(c);
}

TEST_F_TIMEOUT(bench, vf1_bringup_cntlid, TMO)
{
	NEED_BENCH();
	bringup(_metadata, 0);
}

TEST_F_TIMEOUT(bench, vf2_bringup_cntlid, TMO)
{
	NEED_BENCH();
	bringup(_metadata, 1);
}

/* ---- queues --------------------------------------------------------------- */

TEST_F_TIMEOUT(vf1, three_io_queue_pairs, TMO)
{
	const struct udrv_info *in = udrv_info(self->c);
	uint8_t *buf = udrv_dma_alloc(self->c, 8 * self->lbs);
	unsigned int q;

	ASSERT_NE(NULL, buf);
	EXPECT_EQ(3, in->nsqa);
	EXPECT_EQ(3, in->ncqa);
	ASSERT_EQ(3, in->nr_io_queues);
	for (q = 1; q <= 3; q++) {
		uint64_t lba = 4096 + q * 64;

		fill(buf, lba, 8, self->lbs, q);
		ASSERT_EQ(0, udrv_write(self->c, q, NSID, lba, 8, buf));
		memset(buf, 0, 8 * self->lbs);
		ASSERT_EQ(0, udrv_read(self->c, q, NSID, lba, 8, buf));
		ASSERT_EQ(-1, check(buf, lba, 8, self->lbs, q)) TH_LOG("queue %u", q);
	}
	/* The VF has four VQ resources: a fourth I/O queue does not exist. */
	EXPECT_EQ(-EINVAL, udrv_read(self->c, 4, NSID, 0, 1, buf));
	EXPECT_EQ(UDRV_SC_INVALID_QID, udrv_create_qpair(self->c, 4, 16));
}

/* Filling a queue without ringing: qsize - 1 commands fit, then -EAGAIN. */
TEST_F_TIMEOUT(vf1, queue_full_eagain, TMO)
{
	unsigned int qsize = udrv_info(self->c)->io_qsize, i;
	struct udrv_completion cpl[64];
	struct udrv_queue_state st;
	uint8_t *buf;
	int rc;

	ASSERT_LE(qsize, 64);
	buf = udrv_dma_alloc(self->c, (size_t)qsize * self->lbs);
	ASSERT_NE(NULL, buf);
	for (i = 0; i < qsize - 1; i++) {
		rc = udrv_submit_rw(self->c, 1, false, NSID, i, 1, buf + i * self->lbs,
				    UDRV_SUBMIT_NO_DOORBELL, NULL, NULL);
		ASSERT_GE(rc, 0) TH_LOG("submit %u: %d", i, rc);
	}
	ASSERT_EQ(-EAGAIN, udrv_submit_rw(self->c, 1, false, NSID, 0, 1, buf, 0, NULL, NULL));
	ASSERT_EQ(0, udrv_queue_state(self->c, 1, &st));
	EXPECT_EQ(qsize - 1, st.inflight);
	EXPECT_TRUE(st.sq_db_pending);
	/* Nothing completes before the doorbell. */
	usleep(100000);
	ASSERT_EQ(0, udrv_poll(self->c, 1, cpl, 64));
	ASSERT_EQ(0, udrv_ring_sq(self->c, 1));
	ASSERT_EQ(qsize - 1, udrv_poll_n(self->c, 1, cpl, qsize - 1, 60000));
	for (i = 0; i < qsize - 1; i++)
		EXPECT_EQ(0, udrv_status_code(cpl[i].status));
	ASSERT_GE(udrv_submit_rw(self->c, 1, false, NSID, 0, 1, buf, 0, NULL, NULL), 0);
	ASSERT_EQ(1, udrv_poll_n(self->c, 1, cpl, 1, 30000));
}

/* ---- data ----------------------------------------------------------------- */

TEST_F_TIMEOUT(vf1, pattern_across_namespace, TMO)
{
	uint64_t nsze = self->ns.nsze;
	uint64_t lbas[] = { 0, 1, 77, nsze / 3, nsze / 2 - 5, nsze - 200, nsze - 8 };
	uint32_t nlb = 8, lbs = self->lbs;
	uint8_t *w = udrv_dma_alloc(self->c, nlb * lbs), *r = udrv_dma_alloc(self->c, nlb * lbs);
	unsigned int i;

	ASSERT_NE(NULL, w);
	ASSERT_NE(NULL, r);
	TH_LOG("nsze %llu lba size %u", (unsigned long long)nsze, lbs);
	ASSERT_EQ(64ull << 20, nsze * lbs);	/* vm.sh --ns-size default */
	for (i = 0; i < sizeof(lbas) / sizeof(lbas[0]); i++) {
		fill(w, lbas[i], nlb, lbs, 7);
		ASSERT_EQ(0, udrv_write(self->c, 1 + i % 3, NSID, lbas[i], nlb, w));
	}
	ASSERT_EQ(0, udrv_flush(self->c, 1, NSID));
	for (i = 0; i < sizeof(lbas) / sizeof(lbas[0]); i++) {
		memset(r, 0xee, nlb * lbs);
		ASSERT_EQ(0, udrv_read(self->c, 1 + (i + 1) % 3, NSID, lbas[i], nlb, r));
		ASSERT_EQ(-1, check(r, lbas[i], nlb, lbs, 7)) TH_LOG("LBA %llu",
								   (unsigned long long)lbas[i]);
	}
}

/* Largest transfer with a PRP list from an unaligned buffer; splitting. */
TEST_F_TIMEOUT(vf1, max_transfer_prp_list, TMO)
{
	uint32_t lbs = self->lbs, mx = udrv_info(self->c)->max_xfer, nlb = mx / lbs;
	uint32_t big = 3 * nlb + 5;
	uint8_t *raw = udrv_dma_alloc(self->c, mx + 4096), *buf = raw + 512;
	uint8_t *heap = malloc((size_t)big * lbs);
	int cid;

	ASSERT_NE(NULL, raw);
	ASSERT_NE(NULL, heap);
	TH_LOG("max_xfer %u bytes (%u blocks)", mx, nlb);
	fill(buf, 20000, nlb, lbs, 3);
	cid = udrv_submit_rw(self->c, 2, true, NSID, 20000, nlb, buf, 0, NULL, NULL);
	ASSERT_GE(cid, 0);
	{
		struct udrv_completion cpl;

		ASSERT_EQ(1, udrv_poll_n(self->c, 2, &cpl, 1, 60000));
		ASSERT_EQ(cid, cpl.cid);
		ASSERT_EQ(0, cpl.status);
	}
	memset(buf, 0, mx);
	ASSERT_EQ(0, udrv_read(self->c, 2, NSID, 20000, nlb, buf));
	ASSERT_EQ(-1, check(buf, 20000, nlb, lbs, 3));
	/* One block more than MDTS is refused before it reaches the device. */
	EXPECT_EQ(-EINVAL, udrv_submit_rw(self->c, 2, false, NSID, 0, nlb + 1, raw, 0, NULL,
					  NULL));
	/* The synchronous helpers split and bounce non-DMA memory. */
	fill(heap, 30000, big, lbs, 4);
	ASSERT_EQ(0, udrv_write(self->c, 3, NSID, 30000, big, heap));
	memset(heap, 0, (size_t)big * lbs);
	ASSERT_EQ(0, udrv_read(self->c, 1, NSID, 30000, big, heap));
	ASSERT_EQ(-1, check(heap, 30000, big, lbs, 4));
	free(heap);
}

TEST_F_TIMEOUT(vf1, write_zeroes_reads_zero, TMO)
{
	uint32_t lbs = self->lbs, nlb = 64;
	uint8_t *buf = udrv_dma_alloc(self->c, (nlb + 2) * lbs);

	ASSERT_NE(NULL, buf);
	ASSERT_TRUE(udrv_info(self->c)->oncs & (1u << 3));
	fill(buf, 40000 - 1, nlb + 2, lbs, 9);
	ASSERT_EQ(0, udrv_write(self->c, 1, NSID, 40000 - 1, nlb + 2, buf));
	ASSERT_EQ(0, udrv_write_zeroes(self->c, 1, NSID, 40000, nlb));
	memset(buf, 0xff, (nlb + 2) * lbs);
	ASSERT_EQ(0, udrv_read(self->c, 1, NSID, 40000 - 1, nlb + 2, buf));
	EXPECT_EQ(-1, check(buf, 40000 - 1, 1, lbs, 9));
	EXPECT_TRUE(all_zero(buf + lbs, (size_t)nlb * lbs));
	EXPECT_EQ(-1, check(buf + (nlb + 1) * lbs, 40000 + nlb, 1, lbs, 9));
}

/*
 * QEMU reports DLFEAT 001b (deallocated blocks read as zeros) and punches a
 * hole in the sparse raw file (discard=unmap): the blocks read back zeros.
 */
TEST_F_TIMEOUT(vf1, deallocate_reads_zero, TMO)
{
	uint32_t lbs = self->lbs, nlb = 256;
	uint64_t slba = 65536;
	uint8_t *buf = udrv_dma_alloc(self->c, (nlb + 16) * lbs);

	ASSERT_NE(NULL, buf);
	ASSERT_TRUE(udrv_info(self->c)->oncs & (1u << 2));
	EXPECT_EQ(1, self->ns.dlfeat & 7);
	fill(buf, slba - 8, nlb + 16, lbs, 11);
	ASSERT_EQ(0, udrv_write(self->c, 2, NSID, slba - 8, nlb + 16, buf));
	ASSERT_EQ(0, udrv_deallocate(self->c, 2, NSID, slba, nlb));
	memset(buf, 0xff, (nlb + 16) * lbs);
	ASSERT_EQ(0, udrv_read(self->c, 2, NSID, slba - 8, nlb + 16, buf));
	EXPECT_EQ(-1, check(buf, slba - 8, 8, lbs, 11));
	EXPECT_TRUE(all_zero(buf + 8 * lbs, (size_t)nlb * lbs));
	EXPECT_EQ(-1, check(buf + (8 + nlb) * lbs, slba + nlb, 8, lbs, 11));
}

TEST_F_TIMEOUT(vf1, lba_out_of_range_status, TMO)
{
	uint64_t nsze = self->ns.nsze;
	uint8_t *buf = udrv_dma_alloc(self->c, 2 * self->lbs);

	ASSERT_NE(NULL, buf);
	EXPECT_EQ(UDRV_SC_LBA_RANGE, udrv_read(self->c, 1, NSID, nsze, 1, buf));
	EXPECT_TRUE(udrv_last_status(self->c) & UDRV_STATUS_DNR);
	EXPECT_EQ(UDRV_SC_LBA_RANGE, udrv_write(self->c, 1, NSID, nsze - 1, 2, buf));
	EXPECT_EQ(UDRV_SC_LBA_RANGE, udrv_write_zeroes(self->c, 1, NSID, nsze + 100, 1));
	/* A namespace ID beyond any the controller can have. */
	EXPECT_EQ(UDRV_SC_INVALID_NS, udrv_flush(self->c, 1, 0x10000));
	/* The queue is fine afterwards: the last block reads. */
	fill(buf, nsze - 1, 1, self->lbs, 1);
	ASSERT_EQ(0, udrv_write(self->c, 1, NSID, nsze - 1, 1, buf));
	memset(buf, 0, self->lbs);
	ASSERT_EQ(0, udrv_read(self->c, 1, NSID, nsze - 1, 1, buf));
	ASSERT_EQ(-1, check(buf, nsze - 1, 1, self->lbs, 1));
}

/* ---- queue depth ----------------------------------------------------------- */

#define QD	32
#define UNITS	96	/* per queue, 8 blocks each */
#define OPS	400	/* per queue */

struct qd_op {
	struct qd_state *st;
	unsigned int q;		/* 0 or 1 */
	unsigned int unit;
	bool write;
	uint32_t seed;
	uint8_t *buf;
	int cid;
};

struct qd_state {
	uint32_t lbs;
	uint64_t base[2];
	uint32_t version[2][UNITS];	/* 0: never written */
	bool busy[2][UNITS];
	uint8_t cid_inflight[2][65536];
	unsigned int submitted[2], completed[2], bad[2], dup[2], maxdepth[2];
	unsigned int writes, reads;
	struct qd_op ops[2][QD];
	unsigned int nfree[2];
	struct qd_op *freeops[2][QD];
};

static void qd_done(void *arg, const struct udrv_completion *cpl)
{
	struct qd_op *op = arg;
	struct qd_state *st = op->st;
	unsigned int q = op->q;

	if (!st->cid_inflight[q][cpl->cid] || cpl->cid != op->cid)
		st->dup[q]++;
	st->cid_inflight[q][cpl->cid] = 0;
	st->completed[q]++;
	if (cpl->status)
		st->bad[q]++;
	else if (op->write)
		st->version[q][op->unit] = op->seed;
	else if (check(op->buf, st->base[q] + op->unit * 8, 8, st->lbs,
		       st->version[q][op->unit]) != -1)
		st->bad[q]++;
	st->busy[q][op->unit] = false;
	st->freeops[q][st->nfree[q]++] = op;
}

static int qd_submit(struct udrv_ctrl *c, struct qd_state *st, unsigned int q, unsigned int *rnd)
{
	struct qd_op *op = st->freeops[q][--st->nfree[q]];
	unsigned int u;
	int cid;

	do {
		*rnd = *rnd * 1103515245 + 12345;
		u = (*rnd >> 8) % UNITS;
	} while (st->busy[q][u]);
	op->unit = u;
	op->write = !st->version[q][u] || ((*rnd >> 20) & 1);
	op->seed = st->version[q][u] + 1000 + q;
	if (op->write) {
		fill(op->buf, st->base[q] + u * 8, 8, st->lbs, op->seed);
		st->writes++;
	} else {
		memset(op->buf, 0, 8 * st->lbs);
		st->reads++;
	}
	cid = udrv_submit_rw(c, q + 1, op->write, NSID, st->base[q] + u * 8, 8, op->buf, 0,
			     qd_done, op);
	if (cid < 0) {
		st->freeops[q][st->nfree[q]++] = op;
		return cid;
	}
	if (st->cid_inflight[q][cid])
		st->dup[q]++;
	st->cid_inflight[q][cid] = 1;
	op->cid = cid;
	st->busy[q][u] = true;
	st->submitted[q]++;
	return cid;
}

TEST_F_TIMEOUT(vf1, qd32_two_queues_mixed, 300)
{
	struct qd_state *st = calloc(1, sizeof(*st));
	unsigned int q, i, rnd = 12345, iter = 0;
	struct udrv_queue_state qs;
	struct udrv_stats stats;

	ASSERT_NE(NULL, st);
	ASSERT_GE(udrv_info(self->c)->io_qsize, QD + 1);
	st->lbs = self->lbs;
	st->base[0] = 50000;
	st->base[1] = 50000 + UNITS * 8;
	for (q = 0; q < 2; q++) {
		for (i = 0; i < QD; i++) {
			st->ops[q][i].st = st;
			st->ops[q][i].q = q;
			st->ops[q][i].buf = udrv_dma_alloc(self->c, 8 * self->lbs);
			ASSERT_NE(NULL, st->ops[q][i].buf);
			st->freeops[q][i] = &st->ops[q][i];
		}
		st->nfree[q] = QD;
	}
	/* Both queues at depth 32, then keep them there until OPS each. */
	for (q = 0; q < 2; q++)
		for (i = 0; i < QD; i++)
			ASSERT_GE(qd_submit(self->c, st, q, &rnd), 0);
	for (q = 0; q < 2; q++) {
		ASSERT_EQ(0, udrv_queue_state(self->c, q + 1, &qs));
		ASSERT_EQ(QD, qs.inflight);
	}
	while (st->completed[0] < OPS || st->completed[1] < OPS) {
		bool progress = false;

		for (q = 0; q < 2; q++) {
			int n = udrv_poll(self->c, q + 1, NULL, 0);

			ASSERT_GE(n, 0);
			progress |= n > 0;
			while (st->nfree[q] && st->submitted[q] < OPS)
				ASSERT_GE(qd_submit(self->c, st, q, &rnd), 0);
			ASSERT_EQ(0, udrv_queue_state(self->c, q + 1, &qs));
			if (qs.inflight > st->maxdepth[q])
				st->maxdepth[q] = qs.inflight;
		}
		if (!progress) {
			ASSERT_LT(iter++, 2000000) TH_LOG("stalled: %u/%u completed",
							  st->completed[0], st->completed[1]);
			usleep(50);
		}
	}
	TH_LOG("%u writes, %u reads", st->writes, st->reads);
	udrv_get_stats(self->c, &stats);
	for (q = 0; q < 2; q++) {
		EXPECT_EQ(OPS, st->submitted[q]);
		EXPECT_EQ(OPS, st->completed[q]);
		EXPECT_EQ(0, st->bad[q]);
		EXPECT_EQ(0, st->dup[q]);
		EXPECT_EQ(QD, st->maxdepth[q]);
		for (i = 0; i < 65536; i++)
			ASSERT_EQ(0, st->cid_inflight[q][i]);
	}
	EXPECT_EQ(0, stats.dup_cid);
	EXPECT_EQ(0, stats.unknown_cid);
	EXPECT_EQ(0, stats.bad_sqid);
	EXPECT_GT(st->reads, OPS / 4);
	/* Final state of every unit, read back synchronously. */
	for (q = 0; q < 2; q++)
		for (i = 0; i < UNITS; i++) {
			if (!st->version[q][i])
				continue;
			ASSERT_EQ(0, udrv_read(self->c, 3, NSID, st->base[q] + i * 8, 8,
					       st->ops[0][0].buf));
			ASSERT_EQ(-1, check(st->ops[0][0].buf, st->base[q] + i * 8, 8, self->lbs,
					    st->version[q][i]));
		}
	free(st);
}

/* A CQE the driver never issued, or a second completion, is reported. */
TEST_F_TIMEOUT(vf1, bogus_completion_detected, TMO)
{
	struct udrv_queue_state qs;
	struct udrv_completion cpl;
	struct udrv_stats stats;
	struct udrv_cqe *cq, fake;
	uint8_t *buf = udrv_dma_alloc(self->c, self->lbs);
	int cid;

	ASSERT_NE(NULL, buf);
	/* Queue 3 is sacrificed: its CQ head ends up ahead of the device. */
	cid = udrv_submit_rw(self->c, 3, false, NSID, 0, 1, buf, 0, NULL, NULL);
	ASSERT_GE(cid, 0);
	ASSERT_EQ(1, udrv_poll_n(self->c, 3, &cpl, 1, 30000));
	ASSERT_EQ(0, udrv_queue_state(self->c, 3, &qs));
	cq = qs.cq_virt;
	/* Replay the completion just consumed at the next slot. */
	fake = cq[(qs.cq_head + qs.qsize - 1) % qs.qsize];
	ASSERT_EQ(cid, fake.cid);
	fake.status = (fake.status & ~1) | qs.cq_phase;
	cq[qs.cq_head] = fake;
	EXPECT_EQ(-EPROTO, udrv_poll(self->c, 3, &cpl, 1));
	udrv_get_stats(self->c, &stats);
	EXPECT_EQ(1, stats.dup_cid);
	/* A CID that was never issued. */
	ASSERT_EQ(0, udrv_queue_state(self->c, 3, &qs));
	fake.cid ^= 0x4000;
	fake.status = (fake.status & ~1) | qs.cq_phase;
	cq[qs.cq_head] = fake;
	EXPECT_EQ(-EPROTO, udrv_poll(self->c, 3, &cpl, 1));
	udrv_get_stats(self->c, &stats);
	EXPECT_EQ(1, stats.unknown_cid);
	EXPECT_EQ(0, udrv_poll(self->c, 3, &cpl, 1));
	/* The other queues do not care. */
	ASSERT_EQ(0, udrv_read(self->c, 1, NSID, 0, 1, buf));
}

/* ---- sharing with the PF's block device ------------------------------------ */

TEST_F_TIMEOUT(vf1, data_visible_on_pf, TMO)
{
	const char *pf = getenv("HMLM_SRC_PF");
	uint32_t lbs = self->lbs, nlb = 64;
	size_t len = (size_t)nlb * lbs;
	uint8_t *dma = udrv_dma_alloc(self->c, len);
	char dev[64];
	void *host;
	int fd;

	ASSERT_NE(NULL, pf);
	ASSERT_NE(NULL, dma);
	ASSERT_EQ(0, posix_memalign(&host, 4096, len));
	ASSERT_EQ(0, bench_ns_blkdev(pf, NSID, dev, sizeof(dev)))
		TH_LOG("no block device for NSID %d of %s", NSID, pf);
	TH_LOG("NSID %d of %s is %s", NSID, pf, dev);
	fd = open(dev, O_RDWR | O_DIRECT);
	ASSERT_GE(fd, 0) TH_LOG("%s: %s", dev, strerror(errno));

	/* VF writes, the PF's block device reads. */
	fill(dma, 90000, nlb, lbs, 21);
	ASSERT_EQ(0, udrv_write(self->c, 1, NSID, 90000, nlb, dma));
	memset(host, 0, len);
	ASSERT_EQ((ssize_t)len, pread(fd, host, len, 90000ull * lbs));
	EXPECT_EQ(-1, check(host, 90000, nlb, lbs, 21));

	/* The PF's block device writes, the VF reads. */
	fill(host, 91000, nlb, lbs, 22);
	ASSERT_EQ((ssize_t)len, pwrite(fd, host, len, 91000ull * lbs));
	ASSERT_EQ(0, fdatasync(fd));
	memset(dma, 0, len);
	ASSERT_EQ(0, udrv_read(self->c, 2, NSID, 91000, nlb, dma));
	EXPECT_EQ(-1, check(dma, 91000, nlb, lbs, 22));
	close(fd);
	free(host);
}

/* ---- detach and continue ---------------------------------------------------- */

TEST_F_TIMEOUT(vf1, detach_attach_continue_same_vf, TMO)
{
	struct udrv_queue_state before, during, after;
	uint32_t lbs = self->lbs, nlb = 16;
	uint8_t *a = udrv_dma_alloc(self->c, nlb * lbs), *b = udrv_dma_alloc(self->c, nlb * lbs);
	struct udrv_completion cpl[2];
	uint8_t id[4096];
	int ca, cb;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	/* Some history so the tails and heads are not at zero. */
	fill(a, 100000, nlb, lbs, 31);
	ASSERT_EQ(0, udrv_write(self->c, 1, NSID, 100000, nlb, a));
	ASSERT_EQ(0, udrv_queue_state(self->c, 1, &before));

	/* One command rung before the detach ... */
	fill(a, 100100, nlb, lbs, 32);
	ca = udrv_submit_rw(self->c, 1, true, NSID, 100100, nlb, a, 0, NULL, NULL);
	ASSERT_GE(ca, 0);
	ASSERT_EQ(0, udrv_detach(self->c));
	EXPECT_FALSE(udrv_attached(self->c));
	EXPECT_EQ(-EALREADY, udrv_detach(self->c));
	/* ... and one queued while detached: no doorbell to ring. */
	fill(b, 100200, nlb, lbs, 33);
	cb = udrv_submit_rw(self->c, 1, true, NSID, 100200, nlb, b, 0, NULL, NULL);
	ASSERT_GE(cb, 0);
	ASSERT_EQ(0, udrv_queue_state(self->c, 1, &during));
	EXPECT_TRUE(during.sq_db_pending);
	EXPECT_EQ(before.sq_phys, during.sq_phys);
	EXPECT_EQ(before.cq_phys, during.cq_phys);
	EXPECT_EQ((before.sq_tail + 2) % before.qsize, during.sq_tail);
	EXPECT_EQ(-ENODEV, udrv_read(self->c, 2, NSID, 0, 1, a));

	/* A wrong function leaves the driver detached ... */
	EXPECT_EQ(-ENOENT, udrv_attach_continue(self->c, "0000:7e:1f.7"));
	EXPECT_FALSE(udrv_attached(self->c));
	/* ... and so does a controller that is not running (VF2, closed = CC.EN 0). */
	{
		struct udrv_ctrl *c2 = NULL;

		ASSERT_EQ(0, udrv_open(src_vf(1), NULL, &c2));
		udrv_close(c2);
		EXPECT_EQ(-EIO, udrv_attach_continue(self->c, src_vf(1)));
		EXPECT_FALSE(udrv_attached(self->c));
	}
	ASSERT_EQ(0, udrv_attach_continue(self->c, src_vf(0)));
	EXPECT_EQ(-EALREADY, udrv_attach_continue(self->c, src_vf(0)));
	ASSERT_EQ(2, udrv_poll_n(self->c, 1, cpl, 2, 30000));
	EXPECT_EQ(0, cpl[0].status);
	EXPECT_EQ(0, cpl[1].status);
	EXPECT_TRUE((cpl[0].cid == ca && cpl[1].cid == cb) ||
		    (cpl[0].cid == cb && cpl[1].cid == ca));
	ASSERT_EQ(0, udrv_queue_state(self->c, 1, &after));
	EXPECT_FALSE(after.sq_db_pending);
	EXPECT_FALSE(after.cq_db_pending);
	EXPECT_EQ(during.sq_tail, after.sq_tail);
	EXPECT_EQ(0, after.inflight);

	/* No reset happened: the data of both commands is there, all queues work. */
	memset(a, 0, nlb * lbs);
	ASSERT_EQ(0, udrv_read(self->c, 2, NSID, 100100, nlb, a));
	EXPECT_EQ(-1, check(a, 100100, nlb, lbs, 32));
	memset(b, 0, nlb * lbs);
	ASSERT_EQ(0, udrv_read(self->c, 3, NSID, 100200, nlb, b));
	EXPECT_EQ(-1, check(b, 100200, nlb, lbs, 33));
	ASSERT_EQ(0, udrv_read(self->c, 1, NSID, 100000, nlb, a));
	EXPECT_EQ(-1, check(a, 100000, nlb, lbs, 31));
	ASSERT_EQ(0, udrv_identify_ctrl(self->c, id));
	EXPECT_EQ(src_cntlid(0), id[78] | id[79] << 8);
}

/* ---- two instances ------------------------------------------------------------- */

TEST_F_TIMEOUT(bench, two_vfs_two_instances, TMO)
{
	struct udrv_ctrl *c[2] = { NULL, NULL };
	uint8_t *w[2], *r[2];
	struct udrv_completion cpl[8];
	uint32_t lbs, nlb = 32;
	struct udrv_ns ns;
	int i, k, got[2] = { 0, 0 };

	NEED_BENCH();
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, udrv_open(src_vf(i), NULL, &c[i]));
		EXPECT_EQ(src_cntlid(i), udrv_info(c[i])->cntlid);
	}
	ASSERT_EQ(0, udrv_identify_ns(c[0], NSID, &ns));
	lbs = ns.lba_size;
	for (i = 0; i < 2; i++) {
		w[i] = udrv_dma_alloc(c[i], 4 * nlb * lbs);
		r[i] = udrv_dma_alloc(c[i], nlb * lbs);
		ASSERT_NE(NULL, w[i]);
		ASSERT_NE(NULL, r[i]);
		ASSERT_NE(udrv_virt_to_phys(c[0], w[0]), udrv_virt_to_phys(c[1], w[1]));
	}
	/* Both instances with four writes in flight at the same time. */
	for (k = 0; k < 4; k++)
		for (i = 0; i < 2; i++) {
			uint64_t lba = 110000 + i * 1000 + k * nlb;

			fill(w[i] + k * nlb * lbs, lba, nlb, lbs, 40 + i);
			ASSERT_GE(udrv_submit_rw(c[i], 1 + k % 2, true, NSID, lba, nlb,
						 w[i] + k * nlb * lbs, 0, NULL, NULL), 0);
		}
	for (k = 0; k < 20000 && (got[0] < 4 || got[1] < 4); k++) {
		for (i = 0; i < 2; i++) {
			int n, j;

			for (j = 1; j <= 2; j++) {
				n = udrv_poll(c[i], j, cpl, 8);
				ASSERT_GE(n, 0);
				got[i] += n;
				while (n--)
					EXPECT_EQ(0, cpl[n].status);
			}
		}
		usleep(1000);
	}
	ASSERT_EQ(4, got[0]);
	ASSERT_EQ(4, got[1]);
	/* Shared namespace: each VF reads what the other one wrote. */
	for (k = 0; k < 4; k++)
		for (i = 0; i < 2; i++) {
			uint64_t lba = 110000 + i * 1000 + k * nlb;

			memset(r[!i], 0, nlb * lbs);
			ASSERT_EQ(0, udrv_read(c[!i], 3, NSID, lba, nlb, r[!i]));
			ASSERT_EQ(-1, check(r[!i], lba, nlb, lbs, 40 + i))
				TH_LOG("VF%d reading VF%d's LBA %llu", !i + 1, i + 1,
				       (unsigned long long)lba);
		}
	/* Closing one leaves the other working. */
	udrv_close(c[0]);
	c[0] = NULL;
	ASSERT_EQ(0, udrv_read(c[1], 1, NSID, 110000, nlb, r[1]));
	ASSERT_EQ(-1, check(r[1], 110000, nlb, lbs, 40));
	udrv_close(c[1]);
}

TEST_HARNESS_MAIN
