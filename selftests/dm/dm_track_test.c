// SPDX-License-Identifier: GPL-2.0
/*
 * Device model: host memory change tracking. Track Send SEL 1h (Track
 * Memory Changes) and Track Receive on the source MMC (kernel passthrough)
 * for source VF 1, whose VM is a udrv instance: the VF's completion queue
 * entries and the data of its Reads and Identifies land in tracked memory.
 */
#include "kselftest_harness.h"
#include "dm_common.h"

#define NSID	1
#define TMO	120
#define PG	4096u

struct mrtd {
	uint64_t saddr;
	uint32_t len;
};

static int track_start(const struct dm_ctl *pf, uint16_t cntlid, uint8_t rmrtg, uint8_t ver,
		       const struct mrtd *d, uint32_t n, uint64_t *res)
{
	static uint8_t b[8 + 12 * 300];
	uint32_t i;

	memset(b, 0, sizeof(b));
	b[0] = ver;
	b[3] = rmrtg;
	put_le32(b, 4, n);
	for (i = 0; i < n && i < 300; i++) {
		put_le64(b, 8 + 12 * i, d[i].saddr);
		put_le32(b, 8 + 12 * i + 8, d[i].len);
	}
	return dm_run(pf, &(struct dm_cmd){ .opc = NVME_LM_OPC_TRACK_SEND,
			.cdw10 = NVME_LM_CDW10(NVME_LM_TSEND_SEL_TRACK_MEMORY,
					       NVME_LM_TSEND_TACT_START),
			.cdw11 = cntlid, .buf = b, .len = 8 + 12 * (n ? n : 1) }, res);
}

static int track_stop(const struct dm_ctl *pf, uint16_t cntlid)
{
	return dm_run(pf, &(struct dm_cmd){ .opc = NVME_LM_OPC_TRACK_SEND,
			.cdw10 = NVME_LM_CDW10(NVME_LM_TSEND_SEL_TRACK_MEMORY,
					       NVME_LM_TSEND_TACT_STOP),
			.cdw11 = cntlid }, NULL);
}

/* Track Receive of @len bytes (NUMDL = len / 4 - 1). */
static int track_recv(const struct dm_ctl *pf, uint16_t cntlid, void *buf, uint32_t len)
{
	memset(buf, 0xcc, len);
	return dm_run(pf, &(struct dm_cmd){ .opc = NVME_LM_OPC_TRACK_RECV,
			.cdw10 = NVME_LM_TRECV_SEL_TRACKED_MEMORY, .cdw11 = cntlid,
			.cdw12 = len / 4 - 1, .buf = buf, .len = len }, NULL);
}

#define TMC_ATTRB(b)	(((const uint8_t *)(b))[1])
#define TMC_NTMCD(b)	le32_at(b, 4)
#define TMC_SADDR(b, i)	le64_at(b, 16 + 16 * (i))
#define TMC_LEN(b, i)	le32_at(b, 24 + 16 * (i))

FIXTURE(mt) {
	struct dm_env env;
	struct dm_ctl pf, vf;
	uint16_t cntlid;
	uint32_t lbs;
	uint64_t cq_phys;
	uint8_t *rbuf, *wbuf;
	uint8_t rx[4096];
};

FIXTURE_SETUP(mt)
{
	struct udrv_opts o = { .nr_io_queues = 1, .io_qsize = 16 };
	struct udrv_queue_state qs;
	struct udrv_ns ns;
	int rc;

	self->pf.fd = -1;
	self->pf.u = NULL;
	self->vf.fd = -1;
	self->vf.u = NULL;
	DM_NEED_MODEL(&self->env);
	self->pf.fd = dm_open_pf(self->env.src_pf, self->env.src_id, 1, self->env.vq_per_vf);
	ASSERT_LE(0, self->pf.fd) TH_LOG("open %s: %d", self->env.src_pf, self->pf.fd);
	self->cntlid = self->env.src_id[0];
	/* nothing tracked from an earlier run of this program */
	track_stop(&self->pf, self->cntlid);
	rc = udrv_open(self->env.src_vf[0], &o, &self->vf.u);
	ASSERT_EQ(0, rc) TH_LOG("udrv_open(%s): %d", self->env.src_vf[0], rc);
	ASSERT_EQ(0, udrv_identify_ns(self->vf.u, NSID, &ns));
	self->lbs = ns.lba_size;
	ASSERT_EQ(0, udrv_queue_state(self->vf.u, 1, &qs));
	self->cq_phys = qs.cq_phys;
	ASSERT_EQ(0u, self->cq_phys & (PG - 1));
	self->rbuf = udrv_dma_alloc(self->vf.u, PG);
	self->wbuf = udrv_dma_alloc(self->vf.u, PG);
	ASSERT_TRUE(self->rbuf && self->wbuf);
	memset(self->wbuf, 0x3c, PG);
}

FIXTURE_TEARDOWN(mt)
{
	if (self->pf.fd >= 0) {
		track_stop(&self->pf, self->cntlid);
		dm_resume(&self->pf, self->cntlid);
	}
	udrv_close(self->vf.u);
	if (self->pf.fd >= 0)
		close(self->pf.fd);
}

static uint64_t phys(const struct dm_ctl *vf, const void *p)
{
	return udrv_virt_to_phys(vf->u, p);
}

/* Nothing dirty yet; then a Write dirties the CQ only, a Read its buffer. */
TEST_F_TIMEOUT(mt, cq_entries_and_read_data_reported_once, TMO)
{
	struct mrtd d[3] = {
		{ self->cq_phys, 1 }, { phys(&self->vf, self->rbuf), 1 },
		{ phys(&self->vf, self->wbuf), 1 },
	};

	ASSERT_ST(ST_OK, track_start(&self->pf, self->cntlid, 0, 0, d, 3, NULL));
	ASSERT_ST(ST_OK, track_recv(&self->pf, self->cntlid, self->rx, 1024));
	EXPECT_EQ(0, self->rx[0]);
	EXPECT_EQ(0, TMC_ATTRB(self->rx));
	EXPECT_EQ(self->cntlid, le16_at(self->rx, 2));
	EXPECT_EQ(0u, TMC_NTMCD(self->rx));
	EXPECT_EQ(0, le16_at(self->rx, 8));	/* RPMPG = RMRTG 0 */

	/* a Write: its CQE is tracked, the data it sent is not a change */
	ASSERT_EQ(0, udrv_write(self->vf.u, 1, NSID, 300, 1, self->wbuf));
	ASSERT_ST(ST_OK, track_recv(&self->pf, self->cntlid, self->rx, 1024));
	ASSERT_EQ(1u, TMC_NTMCD(self->rx));
	EXPECT_EQ(self->cq_phys, TMC_SADDR(self->rx, 0));
	EXPECT_EQ(1u, TMC_LEN(self->rx, 0));
	EXPECT_EQ(0, TMC_ATTRB(self->rx));

	/* a Read: the CQ page and the read buffer, in range order */
	ASSERT_EQ(0, udrv_read(self->vf.u, 1, NSID, 300, 1, self->rbuf));
	ASSERT_ST(ST_OK, track_recv(&self->pf, self->cntlid, self->rx, 1024));
	ASSERT_EQ(2u, TMC_NTMCD(self->rx));
	EXPECT_EQ(self->cq_phys, TMC_SADDR(self->rx, 0));
	EXPECT_EQ(1u, TMC_LEN(self->rx, 0));
	EXPECT_EQ(phys(&self->vf, self->rbuf), TMC_SADDR(self->rx, 1));
	EXPECT_EQ(1u, TMC_LEN(self->rx, 1));
	EXPECT_EQ(0, TMC_ATTRB(self->rx));

	/* reported changes are gone */
	ASSERT_ST(ST_OK, track_recv(&self->pf, self->cntlid, self->rx, 1024));
	EXPECT_EQ(0u, TMC_NTMCD(self->rx));
}

/* Granularity 8 KiB: a 16 KiB read at 8 KiB into a 64 KiB range is one run. */
TEST_F_TIMEOUT(mt, granularity_and_runs, TMO)
{
	uint8_t *big = dm_dma_contig(self->vf.u, 80 * 1024), *base;
	uint64_t pbase;
	struct mrtd d;

	ASSERT_NE(NULL, big) TH_LOG("no physically contiguous 80 KiB in the pool");
	pbase = (phys(&self->vf, big) + 8191) & ~8191ull;
	base = big + (pbase - phys(&self->vf, big));
	d.saddr = pbase;
	d.len = 8;
	ASSERT_ST(ST_OK, track_start(&self->pf, self->cntlid, 1, 0, &d, 1, NULL));
	ASSERT_EQ(0, udrv_read(self->vf.u, 1, NSID, 0, 16384 / self->lbs, base + 8192));
	ASSERT_ST(ST_OK, track_recv(&self->pf, self->cntlid, self->rx, 1024));
	EXPECT_EQ(1, le16_at(self->rx, 8));	/* RPMPG */
	ASSERT_EQ(1u, TMC_NTMCD(self->rx));
	EXPECT_EQ(pbase + 8192, TMC_SADDR(self->rx, 0));
	EXPECT_EQ(2u, TMC_LEN(self->rx, 0));

	/* 512 bytes at 40 KiB + 512: one granule */
	ASSERT_EQ(0, udrv_read(self->vf.u, 1, NSID, 0, 1, base + 40960 + 512));
	ASSERT_ST(ST_OK, track_recv(&self->pf, self->cntlid, self->rx, 1024));
	ASSERT_EQ(1u, TMC_NTMCD(self->rx));
	EXPECT_EQ(pbase + 40960, TMC_SADDR(self->rx, 0));
	EXPECT_EQ(1u, TMC_LEN(self->rx, 0));
	udrv_dma_free(self->vf.u, big);
}

/* A buffer for one descriptor: MTR until the last one is returned. */
TEST_F_TIMEOUT(mt, mtr_when_the_buffer_is_short, TMO)
{
	struct mrtd d[2] = { { self->cq_phys, 1 }, { phys(&self->vf, self->rbuf), 1 } };

	ASSERT_ST(ST_OK, track_start(&self->pf, self->cntlid, 0, 0, d, 2, NULL));
	ASSERT_EQ(0, udrv_read(self->vf.u, 1, NSID, 0, 1, self->rbuf));
	ASSERT_ST(ST_OK, track_recv(&self->pf, self->cntlid, self->rx, 32));
	ASSERT_EQ(1u, TMC_NTMCD(self->rx));
	EXPECT_EQ(NVME_LM_TMC_ATTRB_MTR, TMC_ATTRB(self->rx));
	EXPECT_EQ(self->cq_phys, TMC_SADDR(self->rx, 0));
	ASSERT_ST(ST_OK, track_recv(&self->pf, self->cntlid, self->rx, 32));
	ASSERT_EQ(1u, TMC_NTMCD(self->rx));
	EXPECT_EQ(0, TMC_ATTRB(self->rx));
	EXPECT_EQ(phys(&self->vf, self->rbuf), TMC_SADDR(self->rx, 0));
	ASSERT_ST(ST_OK, track_recv(&self->pf, self->cntlid, self->rx, 32));
	EXPECT_EQ(0u, TMC_NTMCD(self->rx));
	EXPECT_EQ(0, TMC_ATTRB(self->rx));
	/* the header alone (NUMDL 3) is accepted, NUMDL 2 is not */
	ASSERT_ST(ST_OK, track_recv(&self->pf, self->cntlid, self->rx, 16));
	EXPECT_ST(ST_INVALID_FIELD, track_recv(&self->pf, self->cntlid, self->rx, 12));
}

/* After Suspend: the last changes, then SUSP = 1 with MTR = 0; 39h. */
TEST_F_TIMEOUT(mt, suspended_susp_set_mtr_clear_send_39h, TMO)
{
	struct mrtd d[2] = { { self->cq_phys, 1 }, { phys(&self->vf, self->rbuf), 1 } };

	ASSERT_ST(ST_OK, track_start(&self->pf, self->cntlid, 0, 0, d, 2, NULL));
	ASSERT_EQ(0, udrv_read(self->vf.u, 1, NSID, 0, 1, self->rbuf));
	ASSERT_ST(ST_OK, dm_suspend(&self->pf, self->cntlid, NVME_LM_STYPE_SUSPEND, false));
	ASSERT_ST(ST_OK, track_recv(&self->pf, self->cntlid, self->rx, 1024));
	EXPECT_EQ(2u, TMC_NTMCD(self->rx));
	EXPECT_EQ(NVME_LM_TMC_ATTRB_SUSP, TMC_ATTRB(self->rx));
	ASSERT_ST(ST_OK, track_recv(&self->pf, self->cntlid, self->rx, 1024));
	EXPECT_EQ(0u, TMC_NTMCD(self->rx));
	EXPECT_EQ(NVME_LM_TMC_ATTRB_SUSP, TMC_ATTRB(self->rx));
	/* neither start nor stop while suspended */
	EXPECT_ST(ST_CTRL_SUSPENDED, track_stop(&self->pf, self->cntlid));
	EXPECT_ST(ST_CTRL_SUSPENDED, track_start(&self->pf, self->cntlid, 0, 0, d, 2, NULL));
	ASSERT_ST(ST_OK, dm_resume(&self->pf, self->cntlid));
	ASSERT_ST(ST_OK, track_recv(&self->pf, self->cntlid, self->rx, 1024));
	EXPECT_EQ(0, TMC_ATTRB(self->rx));
	/* still tracking after Resume */
	ASSERT_EQ(0, udrv_read(self->vf.u, 1, NSID, 0, 1, self->rbuf));
	ASSERT_ST(ST_OK, track_recv(&self->pf, self->cntlid, self->rx, 1024));
	EXPECT_EQ(2u, TMC_NTMCD(self->rx));
}

/* One tracker per controller (1Fh); TACT 0 stops, twice is fine. */
TEST_F_TIMEOUT(mt, already_tracked_1fh_and_stop, TMO)
{
	struct mrtd d = { phys(&self->vf, self->rbuf), 1 };

	ASSERT_ST(ST_OK, track_start(&self->pf, self->cntlid, 0, 0, &d, 1, NULL));
	EXPECT_ST(ST_INVALID_CTRL_ID, track_start(&self->pf, self->cntlid, 0, 0, &d, 1, NULL));
	ASSERT_ST(ST_OK, track_stop(&self->pf, self->cntlid));
	ASSERT_ST(ST_OK, track_stop(&self->pf, self->cntlid));
	ASSERT_EQ(0, udrv_read(self->vf.u, 1, NSID, 0, 1, self->rbuf));
	/* not tracked: an empty structure */
	ASSERT_ST(ST_OK, track_recv(&self->pf, self->cntlid, self->rx, 1024));
	EXPECT_EQ(0u, TMC_NTMCD(self->rx));
	EXPECT_EQ(0, TMC_ATTRB(self->rx));
	EXPECT_EQ(self->cntlid, le16_at(self->rx, 2));
	EXPECT_EQ(0, le16_at(self->rx, 8));
	/* and tracking can start again */
	EXPECT_ST(ST_OK, track_start(&self->pf, self->cntlid, 0, 0, &d, 1, NULL));
}

TEST_F(mt, unknown_or_own_cntlid_1fh)
{
	struct mrtd d = { phys(&self->vf, self->rbuf), 1 };
	uint8_t id[4096];
	uint16_t own;

	ASSERT_ST(ST_OK, dm_identify(&self->pf, NVME_LM_CNS_CTRL, 0, 0, 0, id));
	own = le16_at(id, NVME_LM_ID_CTRL_CNTLID_OFS);
	EXPECT_ST(ST_INVALID_CTRL_ID, track_start(&self->pf, 0x7e, 0, 0, &d, 1, NULL));
	EXPECT_ST(ST_INVALID_CTRL_ID, track_start(&self->pf, own, 0, 0, &d, 1, NULL));
	EXPECT_ST(ST_INVALID_CTRL_ID, track_stop(&self->pf, 0x7e));
	EXPECT_ST(ST_INVALID_CTRL_ID, track_recv(&self->pf, 0x7e, self->rx, 64));
	EXPECT_ST(ST_INVALID_CTRL_ID, track_recv(&self->pf, own, self->rx, 64));
}

/* Track Memory Changes data checks: Invalid Field. */
TEST_F(mt, track_send_data_checks_02h)
{
	static struct mrtd many[65];
	uint64_t p = phys(&self->vf, self->rbuf);
	struct mrtd d = { p, 1 };
	unsigned int i;

	EXPECT_ST(ST_INVALID_FIELD, track_start(&self->pf, self->cntlid, 0, 1, &d, 1, NULL));
	EXPECT_ST(ST_INVALID_FIELD, track_start(&self->pf, self->cntlid, 0, 0, &d, 0, NULL));
	EXPECT_ST(ST_INVALID_FIELD, track_start(&self->pf, self->cntlid, 19, 0,
						&(struct mrtd){ 0, 1 }, 1, NULL));
	EXPECT_ST(ST_INVALID_FIELD, track_start(&self->pf, self->cntlid, 0, 0,
						&(struct mrtd){ p, 0 }, 1, NULL));
	/* SADDR aligned to 4 KiB, not to the requested 8 KiB */
	EXPECT_ST(ST_INVALID_FIELD, track_start(&self->pf, self->cntlid, 1, 0,
						&(struct mrtd){ 0x100001000ull, 1 }, 1, NULL));
	EXPECT_ST(ST_INVALID_FIELD, track_start(&self->pf, self->cntlid, 0, 0,
						&(struct mrtd){ 0x100000100ull, 1 }, 1, NULL));
	/* the range wraps around the address space */
	EXPECT_ST(ST_INVALID_FIELD, track_start(&self->pf, self->cntlid, 0, 0,
						&(struct mrtd){ ~0xfffull, 2 }, 1, NULL));
	/* more descriptors than CMMRTD (64) */
	for (i = 0; i < 65; i++) {
		many[i].saddr = 0x100000000ull + i * 0x10000ull;
		many[i].len = 1;
	}
	EXPECT_ST(ST_INVALID_FIELD, track_start(&self->pf, self->cntlid, 0, 0, many, 65, NULL));
	/* 64 are fine */
	EXPECT_ST(ST_OK, track_start(&self->pf, self->cntlid, 0, 0, many, 64, NULL));
}

/* More than the model's 4 Mi granules: 38h with DW0 = MRTG, DW1 = NMRTD. */
TEST_F(mt, too_many_granules_38h)
{
	struct mrtd d2[2] = { { 0x100000000ull, 1 }, { 0x200000000ull, 5u << 20 } };
	struct mrtd d1 = { 0x100000000ull, 48u << 20 };
	uint64_t res = ~0ull;

	EXPECT_ST(ST_NOT_ENOUGH_RES, track_start(&self->pf, self->cntlid, 0, 0, d2, 2, &res));
	EXPECT_EQ(1u, (uint32_t)res & 0xffff) TH_LOG("MRTG %#llx", (unsigned long long)res);
	EXPECT_EQ(1u, (uint32_t)(res >> 32)) TH_LOG("NMRTD %#llx", (unsigned long long)res);
	res = ~0ull;
	EXPECT_ST(ST_NOT_ENOUGH_RES, track_start(&self->pf, self->cntlid, 0, 0, &d1, 1, &res));
	EXPECT_EQ(4u, (uint32_t)res & 0xffff);
	EXPECT_EQ(0u, (uint32_t)(res >> 32));
	/* at the granularity it named, the same ranges are tracked */
	d1.len = 3u << 20;
	EXPECT_ST(ST_OK, track_start(&self->pf, self->cntlid, 4, 0, &d1, 1, NULL));
}

/* Admin data to host memory (Identify) is tracked like Read data. */
TEST_F_TIMEOUT(mt, identify_data_tracked, TMO)
{
	struct udrv_completion cpl;
	struct udrv_sqe sqe;
	struct mrtd d = { phys(&self->vf, self->rbuf), 1 };

	ASSERT_ST(ST_OK, track_start(&self->pf, self->cntlid, 0, 0, &d, 1, NULL));
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = OPC_IDENTIFY;
	sqe.cdw10 = NVME_LM_CNS_CTRL;
	ASSERT_LE(0, udrv_submit(self->vf.u, 0, &sqe, self->rbuf, PG, 0, NULL, NULL));
	ASSERT_EQ(1, udrv_poll_n(self->vf.u, 0, &cpl, 1, 10000));
	ASSERT_EQ(0, udrv_status_code(cpl.status));
	ASSERT_ST(ST_OK, track_recv(&self->pf, self->cntlid, self->rx, 1024));
	ASSERT_EQ(1u, TMC_NTMCD(self->rx));
	EXPECT_EQ(d.saddr, TMC_SADDR(self->rx, 0));
	EXPECT_EQ(1u, TMC_LEN(self->rx, 0));
}

TEST_HARNESS_MAIN
