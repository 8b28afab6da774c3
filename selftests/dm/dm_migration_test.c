// SPDX-License-Identifier: GPL-2.0
/*
 * Device model: Migration Send (Suspend, Resume, Set Controller State) and
 * Migration Receive (Get Controller State) on the source MMC, through the
 * kernel's passthrough ioctl. Source VF 1 is the migratable controller; a
 * udrv instance plays its VM (two I/O queue pairs of 16 entries).
 */
#include "kselftest_harness.h"
#include "dm_common.h"

#define NSID		1
#define QSIZE		16
#define NQ		2
#define TMO		120
#define STATE_MAX	DM_STATE_MAX
#define HDR		DM_STATE_HDR

FIXTURE(ms) {
	struct dm_env env;
	struct dm_ctl pf;		/* the MMC, passthrough */
	struct dm_ctl vf;		/* VF 1, udrv */
	uint16_t cntlid;
	uint32_t lbs;
	uint8_t st[STATE_MAX], st2[STATE_MAX];
};

FIXTURE_SETUP(ms)
{
	struct udrv_opts o = { .nr_io_queues = NQ, .io_qsize = QSIZE };
	struct udrv_ns ns;
	int rc;

	self->pf.fd = -1;
	self->pf.u = NULL;
	self->vf.fd = -1;
	self->vf.u = NULL;
	DM_NEED_MODEL(&self->env);
	self->pf.fd = dm_open_pf(self->env.src_pf, self->env.src_id, self->env.nvf,
				 self->env.vq_per_vf);
	ASSERT_LE(0, self->pf.fd) TH_LOG("open %s / VFs online: %d", self->env.src_pf,
					 self->pf.fd);
	self->cntlid = self->env.src_id[0];
	rc = udrv_open(self->env.src_vf[0], &o, &self->vf.u);
	ASSERT_EQ(0, rc) TH_LOG("udrv_open(%s): %d", self->env.src_vf[0], rc);
	ASSERT_EQ(NQ, udrv_info(self->vf.u)->nr_io_queues);
	ASSERT_EQ(0, udrv_identify_ns(self->vf.u, NSID, &ns));
	self->lbs = ns.lba_size;
}

FIXTURE_TEARDOWN(ms)
{
	if (self->pf.fd >= 0) {
		dm_resume(&self->pf, self->cntlid);
		if (self->env.nvf > 1)
			dm_resume(&self->pf, self->env.src_id[1]);
	}
	/* CC.EN = 0: a controller reset discards any open sequence as well */
	udrv_close(self->vf.u);
	if (self->pf.fd >= 0)
		close(self->pf.fd);
}

/* Delete the VF's I/O queues behind udrv's back (it keeps the rings). */
static int delete_io_queues(const struct dm_ctl *vf)
{
	unsigned int q;
	int rc;

	for (q = 1; q <= NQ; q++) {
		rc = dm_run(vf, &(struct dm_cmd){ .opc = OPC_DELETE_SQ, .cdw10 = q }, NULL);
		if (rc)
			return rc;
		rc = dm_run(vf, &(struct dm_cmd){ .opc = OPC_DELETE_CQ, .cdw10 = q }, NULL);
		if (rc)
			return rc;
	}
	return 0;
}

static void fill(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 9));
}

/* Write a pattern through every I/O queue, then read it back through each. */
static int io_roundtrip(struct udrv_ctrl *u, uint32_t lbs, unsigned int seed)
{
	uint8_t *w = udrv_dma_alloc(u, 4096), *r = udrv_dma_alloc(u, 4096);
	unsigned int q;
	int rc = -ENOMEM;

	if (!w || !r)
		goto out;
	for (q = 1; q <= NQ; q++) {
		fill(w, lbs, seed + q);
		rc = udrv_write(u, q, NSID, 64 + q, 1, w);
		if (rc)
			goto out;
		memset(r, 0, lbs);
		rc = udrv_read(u, NQ + 1 - q, NSID, 64 + q, 1, r);
		if (rc)
			goto out;
		if (memcmp(w, r, lbs)) {
			rc = -EILSEQ;
			goto out;
		}
	}
	rc = 0;
out:
	udrv_dma_free(u, w);
	udrv_dma_free(u, r);
	return rc;
}

/* ---- CNTLID checks, Suspend, Resume ----------------------------------- */

/* Every Migration command names an unknown controller: 1Fh. */
TEST_F(ms, unknown_cntlid_1fh)
{
	uint16_t bad = 0x7e;

	EXPECT_ST(ST_INVALID_CTRL_ID, dm_suspend(&self->pf, bad, NVME_LM_STYPE_SUSPEND, false));
	EXPECT_ST(ST_INVALID_CTRL_ID, dm_suspend(&self->pf, bad, NVME_LM_STYPE_NOTIFY, false));
	EXPECT_ST(ST_INVALID_CTRL_ID, dm_resume(&self->pf, bad));
	EXPECT_ST(ST_INVALID_CTRL_ID, dm_get_state(&self->pf, bad, 1, 1, 0, self->st, HDR, NULL));
	EXPECT_ST(ST_INVALID_CTRL_ID, dm_set_state(&self->pf, bad, NVME_LM_SEQIND_ONLY, 1, 1, 0,
						   self->st, HDR));
}

/* The MMC's own CNTLID is not a migratable controller: 1Fh. */
TEST_F(ms, mmc_own_cntlid_1fh)
{
	uint8_t id[4096];
	uint16_t own;

	ASSERT_ST(ST_OK, dm_identify(&self->pf, NVME_LM_CNS_CTRL, 0, 0, 0, id));
	own = le16_at(id, NVME_LM_ID_CTRL_CNTLID_OFS);
	EXPECT_ST(ST_INVALID_CTRL_ID, dm_suspend(&self->pf, own, NVME_LM_STYPE_SUSPEND, false));
	EXPECT_ST(ST_INVALID_CTRL_ID, dm_resume(&self->pf, own));
	EXPECT_ST(ST_INVALID_CTRL_ID, dm_get_state(&self->pf, own, 1, 0, 0, self->st, HDR, NULL));
	EXPECT_ST(ST_INVALID_CTRL_ID, dm_set_state(&self->pf, own, NVME_LM_SEQIND_ONLY, 1, 0, 0,
						   self->st, HDR));
}

/* STYPE 0 (Suspend Notification) succeeds and changes nothing. */
TEST_F_TIMEOUT(ms, suspend_notification_changes_nothing, TMO)
{
	uint32_t dw0 = 0xdead;

	ASSERT_ST(ST_OK, dm_suspend(&self->pf, self->cntlid, NVME_LM_STYPE_NOTIFY, false));
	/* DUDMQ is ignored with STYPE 0 */
	ASSERT_ST(ST_OK, dm_suspend(&self->pf, self->cntlid, NVME_LM_STYPE_NOTIFY, true));
	ASSERT_EQ(0, io_roundtrip(self->vf.u, self->lbs, 1));
	ASSERT_ST(ST_OK, dm_get_state(&self->pf, self->cntlid, 0, 0, 0, self->st, HDR, &dw0));
	EXPECT_EQ(0u, dw0 & NVME_LM_MRECV_DW0_CSUP);
	EXPECT_EQ(0, self->st[2] & NVME_LM_CSATTR_CP);
	EXPECT_ST(ST_CTRL_NOT_SUSPENDED, dm_resume(&self->pf, self->cntlid));
}

/* STYPE values other than 0h and 1h: Invalid Field, still running. */
TEST_F(ms, suspend_reserved_stype_02h)
{
	EXPECT_ST(ST_INVALID_FIELD, dm_suspend(&self->pf, self->cntlid, 2, false));
	EXPECT_ST(ST_INVALID_FIELD, dm_suspend(&self->pf, self->cntlid, 0xff, false));
	EXPECT_ST(ST_CTRL_NOT_SUSPENDED, dm_resume(&self->pf, self->cntlid));
}

TEST_F(ms, resume_not_suspended_3ah)
{
	ASSERT_ST(ST_CTRL_NOT_SUSPENDED, dm_resume(&self->pf, self->cntlid));
	if (self->env.nvf > 1)
		ASSERT_ST(ST_CTRL_NOT_SUSPENDED, dm_resume(&self->pf, self->env.src_id[1]));
}

/* A suspended VF does not fetch; the doorbell still moves the SQ tail. */
TEST_F_TIMEOUT(ms, suspend_stops_fetching_resume_restarts, TMO)
{
	struct udrv_completion cpl;
	struct udrv_queue_state qs;
	const uint8_t *sq;
	uint8_t *w, *r;
	uint32_t dw0 = 0, len = 0;
	int cid;

	w = udrv_dma_alloc(self->vf.u, 4096);
	r = udrv_dma_alloc(self->vf.u, 4096);
	ASSERT_TRUE(w && r);
	fill(w, self->lbs, 7);
	ASSERT_EQ(0, udrv_write(self->vf.u, 1, NSID, 200, 1, w));
	ASSERT_EQ(0, udrv_queue_state(self->vf.u, 1, &qs));

	ASSERT_ST(ST_OK, dm_suspend(&self->pf, self->cntlid, NVME_LM_STYPE_SUSPEND, false));
	cid = udrv_submit_rw(self->vf.u, 1, false, NSID, 200, 1, r, 0, NULL, NULL);
	ASSERT_LE(0, cid);
	EXPECT_EQ(0, udrv_poll_n(self->vf.u, 1, &cpl, 1, 300));

	ASSERT_ST(ST_OK, dm_state_read(&self->pf, self->cntlid, 1, 0, self->st, &len, &dw0));
	EXPECT_EQ(1u, dw0 & NVME_LM_MRECV_DW0_CSUP);
	EXPECT_EQ(NVME_LM_CSATTR_CP, self->st[2] & NVME_LM_CSATTR_CP);
	sq = self->st + HDR + 8;	/* SQ 1 */
	ASSERT_EQ(1, le16_at(sq, 10));
	EXPECT_EQ(qs.sq_tail, le16_at(sq, 16));			/* head: not fetched */
	EXPECT_EQ((qs.sq_tail + 1) % QSIZE, le16_at(sq, 18));	/* tail: doorbell */

	ASSERT_ST(ST_OK, dm_resume(&self->pf, self->cntlid));
	ASSERT_EQ(1, udrv_poll_n(self->vf.u, 1, &cpl, 1, 10000));
	EXPECT_EQ(cid, cpl.cid);
	EXPECT_EQ(0, udrv_status_code(cpl.status));
	EXPECT_EQ(0, memcmp(w, r, self->lbs));
}

/* Suspending a suspended controller is no error; Resume once only. */
TEST_F_TIMEOUT(ms, repeated_suspend_succeeds, TMO)
{
	uint32_t dw0 = 0;

	ASSERT_ST(ST_OK, dm_suspend(&self->pf, self->cntlid, NVME_LM_STYPE_SUSPEND, false));
	ASSERT_ST(ST_OK, dm_suspend(&self->pf, self->cntlid, NVME_LM_STYPE_SUSPEND, false));
	ASSERT_ST(ST_OK, dm_suspend(&self->pf, self->cntlid, NVME_LM_STYPE_SUSPEND, true));
	ASSERT_ST(ST_OK, dm_get_state(&self->pf, self->cntlid, 0, 0, 0, self->st, HDR, &dw0));
	EXPECT_EQ(1u, dw0 & NVME_LM_MRECV_DW0_CSUP);
	ASSERT_ST(ST_OK, dm_resume(&self->pf, self->cntlid));
	ASSERT_ST(ST_CTRL_NOT_SUSPENDED, dm_resume(&self->pf, self->cntlid));
	ASSERT_EQ(0, io_roundtrip(self->vf.u, self->lbs, 2));
}

/* ---- Get Controller State -------------------------------------------- */

/* Header, NVMe Controller State and vendor state of a suspended VF. */
TEST_F_TIMEOUT(ms, get_state_layout_matches_the_vm, TMO)
{
	struct udrv_queue_state qs;
	uint32_t dw0 = 0, len = 0, i;
	const uint8_t *cs, *vs;
	size_t k;

	ASSERT_EQ(0, io_roundtrip(self->vf.u, self->lbs, 3));
	ASSERT_ST(ST_OK, dm_suspend(&self->pf, self->cntlid, NVME_LM_STYPE_SUSPEND, false));
	memset(self->st, 0xaa, sizeof(self->st));
	ASSERT_ST(ST_OK, dm_state_read(&self->pf, self->cntlid, 1, 1, self->st, &len, &dw0));
	EXPECT_EQ(1u, dw0);
	EXPECT_EQ(0, le16_at(self->st, 0));
	EXPECT_EQ(NVME_LM_CSATTR_CP, self->st[2]);
	EXPECT_EQ(2u + 6 * (2 * NQ), le64_at(self->st, 16));	/* NVMECSS */
	EXPECT_EQ(0u, le64_at(self->st, 24));
	EXPECT_EQ(256u, le64_at(self->st, 32));			/* VSS */
	EXPECT_EQ(0u, le64_at(self->st, 40));
	ASSERT_EQ(HDR + 4u * (2 + 6 * 2 * NQ) + 1024, len);
	/* nothing written past the end of the state */
	for (k = len; k < sizeof(self->st); k++)
		if (self->st[k] != 0xaa)
			break;
	EXPECT_EQ(sizeof(self->st), k);

	cs = self->st + HDR;
	EXPECT_EQ(0, le16_at(cs, 0));
	EXPECT_EQ(NQ, le16_at(cs, 2));
	EXPECT_EQ(NQ, le16_at(cs, 4));
	for (i = 1; i <= NQ; i++) {
		const uint8_t *sq = cs + 8 + (i - 1) * 24;
		const uint8_t *cq = cs + 8 + (NQ + i - 1) * 24;
		unsigned int s0pt;

		ASSERT_EQ(0, udrv_queue_state(self->vf.u, i, &qs));
		EXPECT_EQ(qs.sq_phys, le64_at(sq, 0));
		EXPECT_EQ(QSIZE - 1, le16_at(sq, 8));
		EXPECT_EQ(i, le16_at(sq, 10));
		EXPECT_EQ(i, le16_at(sq, 12));
		EXPECT_EQ(NVME_LM_IOSQA_PC, le16_at(sq, 14));
		EXPECT_EQ(qs.sq_tail, le16_at(sq, 16));
		EXPECT_EQ(qs.sq_tail, le16_at(sq, 18));

		EXPECT_EQ(qs.cq_phys, le64_at(cq, 0));
		EXPECT_EQ(QSIZE - 1, le16_at(cq, 8));
		EXPECT_EQ(i, le16_at(cq, 10));
		EXPECT_EQ(qs.cq_head, le16_at(cq, 12));
		EXPECT_EQ(qs.cq_head, le16_at(cq, 14));
		/* S0PT: the phase in slot 0 (the current one once slot 0 is rewritten) */
		s0pt = qs.cq_head ? qs.cq_phase : !qs.cq_phase;
		EXPECT_EQ(NVME_LM_IOCQA_PC | (s0pt ? NVME_LM_IOCQA_S0PT : 0),
			  le32_at(cq, 16)) TH_LOG("CQ %u IOCQA %#x", i, le32_at(cq, 16));
	}

	vs = cs + 4 * (2 + 6 * 2 * NQ);
	ASSERT_EQ(0, udrv_queue_state(self->vf.u, 0, &qs));
	EXPECT_EQ(1, le16_at(vs, 0));			/* VER */
	EXPECT_EQ(1024, le16_at(vs, 2));		/* SIZE */
	EXPECT_EQ(1u, le32_at(vs, 4) & 1);		/* enabled */
	EXPECT_EQ(udrv_read32(self->vf.u, UDRV_REG_CC), le32_at(vs, 8));
	EXPECT_EQ(udrv_read32(self->vf.u, UDRV_REG_AQA), le32_at(vs, 12));
	EXPECT_EQ(qs.sq_phys, le64_at(vs, 16));		/* ASQ */
	EXPECT_EQ(qs.cq_phys, le64_at(vs, 24));		/* ACQ */
	EXPECT_EQ(qs.sq_tail, le16_at(vs, 40));		/* ASQ head */
	EXPECT_EQ(qs.sq_tail, le16_at(vs, 42));		/* ASQ tail */
	EXPECT_EQ(qs.cq_head, le16_at(vs, 44));		/* ACQ head */
	EXPECT_EQ(qs.cq_head, le16_at(vs, 46));		/* ACQ tail */
	EXPECT_EQ(qs.cq_phase, vs[48]);			/* raw phase */
	EXPECT_EQ(1, vs[49]);				/* ACQ IEN */
	EXPECT_EQ(0, le16_at(vs, 50));			/* ACQ IV */
	EXPECT_EQ(0, le16_at(vs, 98));			/* NAERS: udrv sends none */
	EXPECT_EQ(0, le16_at(vs, 100));			/* NEVENTS */
}

/* CSVI = 0 and CSUUIDI = 0: the 48-byte header alone, sizes 0. */
TEST_F(ms, get_state_csvi0_header_only)
{
	uint32_t dw0 = 0;
	size_t k;

	memset(self->st, 0xaa, 512);
	ASSERT_ST(ST_OK, dm_get_state(&self->pf, self->cntlid, 0, 0, 0, self->st, 512, &dw0));
	EXPECT_EQ(0u, dw0);
	EXPECT_EQ(0, self->st[2]);
	EXPECT_EQ(0u, le64_at(self->st, 16));
	EXPECT_EQ(0u, le64_at(self->st, 32));
	for (k = HDR; k < 512; k++)
		if (self->st[k] != 0xaa)
			break;
	EXPECT_EQ(512u, k) TH_LOG("byte %zu written past the header", k);
}

/* The vendor part alone (CSVI 0, CSUUIDI 1), and CSVI 1 alone. */
TEST_F(ms, get_state_parts_selected_by_index)
{
	uint32_t len = 0;

	ASSERT_ST(ST_OK, dm_state_read(&self->pf, self->cntlid, 0, 1, self->st, &len, NULL));
	EXPECT_EQ(0u, le64_at(self->st, 16));
	EXPECT_EQ(256u, le64_at(self->st, 32));
	EXPECT_EQ(HDR + 1024u, len);
	EXPECT_EQ(1, le16_at(self->st, HDR));
	EXPECT_EQ(1024, le16_at(self->st, HDR + 2));
	ASSERT_ST(ST_OK, dm_state_read(&self->pf, self->cntlid, 1, 0, self->st, &len, NULL));
	EXPECT_EQ(2u + 6 * 2 * NQ, le64_at(self->st, 16));
	EXPECT_EQ(0u, le64_at(self->st, 32));
}

/* A VF that was never enabled: no queues, vendor FLAGS.enabled clear. */
TEST_F(ms, get_state_disabled_vf)
{
	uint32_t len = 0;

	if (self->env.nvf < 2)
		SKIP(return, "needs a second VF");
	ASSERT_ST(ST_OK, dm_state_read(&self->pf, self->env.src_id[1], 1, 1, self->st, &len, NULL));
	EXPECT_EQ(2u, le64_at(self->st, 16));
	EXPECT_EQ(0, le16_at(self->st, HDR + 2));
	EXPECT_EQ(0, le16_at(self->st, HDR + 4));
	EXPECT_EQ(0u, le32_at(self->st, HDR + 8 + 4) & 1);
}

TEST_F(ms, get_state_invalid_index_02h)
{
	EXPECT_ST(ST_INVALID_FIELD, dm_get_state(&self->pf, self->cntlid, 2, 0, 0, self->st,
						 HDR, NULL));
	EXPECT_ST(ST_INVALID_FIELD, dm_get_state(&self->pf, self->cntlid, 0, 2, 0, self->st,
						 HDR, NULL));
	EXPECT_ST(ST_INVALID_FIELD, dm_get_state(&self->pf, self->cntlid, 0xff, 1, 0, self->st,
						 HDR, NULL));
}

/* Offsets: dword aligned and within the state, else Invalid Field. */
TEST_F(ms, get_state_offsets)
{
	uint32_t len = 0, dw = 0;

	ASSERT_ST(ST_OK, dm_suspend(&self->pf, self->cntlid, NVME_LM_STYPE_SUSPEND, false));
	ASSERT_ST(ST_OK, dm_state_read(&self->pf, self->cntlid, 1, 1, self->st, &len, NULL));
	ASSERT_ST(ST_OK, dm_get_state(&self->pf, self->cntlid, 1, 1, 16, &dw, 4, NULL));
	EXPECT_EQ(le32_at(self->st, 16), dw);
	ASSERT_ST(ST_OK, dm_get_state(&self->pf, self->cntlid, 1, 1, HDR + 8, self->st2, 48,
				      NULL));
	EXPECT_EQ(0, memcmp(self->st + HDR + 8, self->st2, 48));
	dw = 0x5a5a5a5a;
	EXPECT_ST(ST_OK, dm_get_state(&self->pf, self->cntlid, 1, 1, len, &dw, 4, NULL));
	EXPECT_EQ(0x5a5a5a5au, dw) TH_LOG("data returned from the end of the state");
	EXPECT_ST(ST_INVALID_FIELD, dm_get_state(&self->pf, self->cntlid, 1, 1, 2, &dw, 4, NULL));
	EXPECT_ST(ST_INVALID_FIELD, dm_get_state(&self->pf, self->cntlid, 1, 1, 17, &dw, 4, NULL));
	EXPECT_ST(ST_INVALID_FIELD, dm_get_state(&self->pf, self->cntlid, 1, 1, len + 4, &dw, 4,
						 NULL));
	EXPECT_ST(ST_INVALID_FIELD, dm_get_state(&self->pf, self->cntlid, 1, 1, 1ull << 32,
						 &dw, 4, NULL));
}

/* ---- Set Controller State --------------------------------------------- */

/* A target that is neither suspended nor enabled nor offline: 1Fh. */
TEST_F(ms, set_state_running_disabled_target_1fh)
{
	uint32_t len = 0;

	if (self->env.nvf < 2)
		SKIP(return, "needs a second VF");
	ASSERT_ST(ST_OK, dm_state_read(&self->pf, self->cntlid, 0, 1, self->st, &len, NULL));
	EXPECT_ST(ST_INVALID_CTRL_ID, dm_set_state(&self->pf, self->env.src_id[1],
						   NVME_LM_SEQIND_ONLY, 0, 1, 0, self->st, len));
	EXPECT_ST(ST_INVALID_CTRL_ID, dm_set_state(&self->pf, self->env.src_id[1],
						   NVME_LM_SEQIND_FIRST, 1, 0, 0, self->st, HDR));
}

/* SEQIND 00b / 10b without an open sequence: Command Sequence Error. */
TEST_F(ms, set_state_no_open_sequence_0ch)
{
	ASSERT_ST(ST_OK, dm_suspend(&self->pf, self->cntlid, NVME_LM_STYPE_SUSPEND, false));
	memset(self->st, 0, HDR);
	EXPECT_ST(ST_CMD_SEQ_ERROR, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_MIDDLE,
						 0, 1, 0, self->st, HDR));
	EXPECT_ST(ST_CMD_SEQ_ERROR, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_LAST,
						 0, 1, 0, self->st, 0));
	EXPECT_ST(ST_CMD_SEQ_ERROR, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_LAST,
						 0, 1, HDR, self->st, HDR));
	/* nothing open: Resume works */
	EXPECT_ST(ST_OK, dm_resume(&self->pf, self->cntlid));
}

/* Field checks before any data is taken: all Invalid Field. */
TEST_F(ms, set_state_field_checks_02h)
{
	ASSERT_ST(ST_OK, dm_suspend(&self->pf, self->cntlid, NVME_LM_STYPE_SUSPEND, false));
	memset(self->st, 0, 4096);
	/* no part selected */
	EXPECT_ST(ST_INVALID_FIELD, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_ONLY,
						 0, 0, 0, self->st, HDR));
	/* indexes CNS 20h does not list */
	EXPECT_ST(ST_INVALID_FIELD, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_ONLY,
						 2, 0, 0, self->st, HDR));
	EXPECT_ST(ST_INVALID_FIELD, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_ONLY,
						 0, 2, 0, self->st, HDR));
	/* NUMD 0 is for SEQIND 10b only */
	EXPECT_ST(ST_INVALID_FIELD, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_ONLY,
						 0, 1, 0, self->st, 0));
	EXPECT_ST(ST_INVALID_FIELD, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_FIRST,
						 0, 1, 0, self->st, 0));
	/* offset not dword aligned, or beyond the largest state */
	EXPECT_ST(ST_INVALID_FIELD, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_FIRST,
						 0, 1, 2, self->st, HDR));
	EXPECT_ST(ST_INVALID_FIELD, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_FIRST,
						 0, 1, 1u << 20, self->st, HDR));
	EXPECT_ST(ST_INVALID_FIELD, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_ONLY,
						 1, 1, 0, self->st, 4096));
	/* an NVMe state for a target that has I/O queues */
	EXPECT_ST(ST_INVALID_FIELD, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_ONLY,
						 1, 0, 0, self->st, HDR));
	EXPECT_ST(ST_INVALID_FIELD, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_FIRST,
						 1, 1, 0, self->st, HDR));
}

/*
 * 01b then 10b: the state of the VF's two I/O queue pairs (taken while
 * suspended, queues then deleted) is committed; the VM continues on them.
 */
TEST_F_TIMEOUT(ms, set_state_01b_10b_commits_queues, TMO)
{
	uint32_t len = 0, len2 = 0, half;

	ASSERT_EQ(0, io_roundtrip(self->vf.u, self->lbs, 4));
	ASSERT_ST(ST_OK, dm_suspend(&self->pf, self->cntlid, NVME_LM_STYPE_SUSPEND, false));
	ASSERT_ST(ST_OK, dm_state_read(&self->pf, self->cntlid, 1, 0, self->st, &len, NULL));
	ASSERT_ST(ST_OK, dm_resume(&self->pf, self->cntlid));
	ASSERT_EQ(0, delete_io_queues(&self->vf));
	ASSERT_ST(ST_OK, dm_suspend(&self->pf, self->cntlid, NVME_LM_STYPE_SUSPEND, false));
	ASSERT_ST(ST_OK, dm_state_read(&self->pf, self->cntlid, 1, 0, self->st2, &len2, NULL));
	ASSERT_EQ(0, le16_at(self->st2, HDR + 2));	/* no queues now */

	half = (len / 2) & ~3u;
	ASSERT_ST(ST_OK, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_FIRST, 1, 0, 0,
				      self->st, half));
	/* the sequence is open: no Resume */
	EXPECT_ST(ST_CMD_SEQ_ERROR, dm_resume(&self->pf, self->cntlid));
	ASSERT_ST(ST_OK, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_LAST, 1, 0, half,
				      self->st + half, len - half));
	ASSERT_ST(ST_OK, dm_state_read(&self->pf, self->cntlid, 1, 0, self->st2, &len2, NULL));
	ASSERT_EQ(len, len2);
	EXPECT_EQ(0, memcmp(self->st + 16, self->st2 + 16, len - 16));
	ASSERT_ST(ST_OK, dm_resume(&self->pf, self->cntlid));
	EXPECT_EQ(0, io_roundtrip(self->vf.u, self->lbs, 5));
}

/* 11b alone verifies and commits too (digest 13 item 13). */
TEST_F_TIMEOUT(ms, set_state_11b_commits, TMO)
{
	uint32_t len = 0, len2 = 0;

	ASSERT_ST(ST_OK, dm_suspend(&self->pf, self->cntlid, NVME_LM_STYPE_SUSPEND, false));
	ASSERT_ST(ST_OK, dm_state_read(&self->pf, self->cntlid, 1, 0, self->st, &len, NULL));
	ASSERT_ST(ST_OK, dm_resume(&self->pf, self->cntlid));
	ASSERT_EQ(0, delete_io_queues(&self->vf));
	ASSERT_ST(ST_OK, dm_suspend(&self->pf, self->cntlid, NVME_LM_STYPE_SUSPEND, false));
	ASSERT_ST(ST_OK, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_ONLY, 1, 0, 0,
				      self->st, len));
	ASSERT_ST(ST_OK, dm_state_read(&self->pf, self->cntlid, 1, 0, self->st2, &len2, NULL));
	EXPECT_EQ(NQ, le16_at(self->st2, HDR + 2));
	EXPECT_EQ(0, memcmp(self->st + 16, self->st2 + 16, len - 16));
	/* committed state and I/O queues present: another NVMe state is refused */
	EXPECT_ST(ST_INVALID_FIELD, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_ONLY,
						 1, 0, 0, self->st, len));
	ASSERT_ST(ST_OK, dm_resume(&self->pf, self->cntlid));
	EXPECT_EQ(0, io_roundtrip(self->vf.u, self->lbs, 6));
}

/*
 * A new 01b discards the unfinished sequence: after 01b(all), 01b(header
 * only), a 10b lacks data and fails (02h), which discards the sequence in
 * turn (the next 10b is 0Ch).
 */
TEST_F_TIMEOUT(ms, set_state_01b_restarts_sequence, TMO)
{
	uint32_t len = 0, len2 = 0;

	ASSERT_ST(ST_OK, dm_suspend(&self->pf, self->cntlid, NVME_LM_STYPE_SUSPEND, false));
	ASSERT_ST(ST_OK, dm_state_read(&self->pf, self->cntlid, 1, 0, self->st, &len, NULL));
	ASSERT_ST(ST_OK, dm_resume(&self->pf, self->cntlid));
	ASSERT_EQ(0, delete_io_queues(&self->vf));
	ASSERT_ST(ST_OK, dm_suspend(&self->pf, self->cntlid, NVME_LM_STYPE_SUSPEND, false));

	ASSERT_ST(ST_OK, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_FIRST, 1, 0, 0,
				      self->st, len));
	ASSERT_ST(ST_OK, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_FIRST, 1, 0, 0,
				      self->st, HDR));
	EXPECT_ST(ST_INVALID_FIELD, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_LAST,
						 1, 0, HDR, self->st, 0));
	EXPECT_ST(ST_CMD_SEQ_ERROR, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_LAST,
						 1, 0, HDR, self->st + HDR, len - HDR));
	ASSERT_ST(ST_OK, dm_state_read(&self->pf, self->cntlid, 1, 0, self->st2, &len2, NULL));
	EXPECT_EQ(0, le16_at(self->st2, HDR + 2)) TH_LOG("queues created by a failed sequence");

	/* 11b discards nothing it needs: commit the whole state, continue */
	ASSERT_ST(ST_OK, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_ONLY, 1, 0, 0,
				      self->st, len));
	ASSERT_ST(ST_OK, dm_resume(&self->pf, self->cntlid));
	EXPECT_EQ(0, io_roundtrip(self->vf.u, self->lbs, 8));
}

/* CSVI/CSUUIDI must stay those of the opening 01b; a mismatch discards. */
TEST_F(ms, set_state_index_change_in_sequence_02h)
{
	uint32_t len = 0;

	/* no I/O queues, so that CSVI 1 passes the first checks */
	ASSERT_EQ(0, delete_io_queues(&self->vf));
	ASSERT_ST(ST_OK, dm_suspend(&self->pf, self->cntlid, NVME_LM_STYPE_SUSPEND, false));
	ASSERT_ST(ST_OK, dm_state_read(&self->pf, self->cntlid, 0, 1, self->st, &len, NULL));
	ASSERT_ST(ST_OK, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_FIRST, 0, 1, 0,
				      self->st, HDR));
	EXPECT_ST(ST_CMD_SEQ_ERROR, dm_resume(&self->pf, self->cntlid));
	EXPECT_ST(ST_INVALID_FIELD, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_MIDDLE,
						 1, 1, HDR, self->st + HDR, 64));
	/* the failure closed the sequence */
	EXPECT_ST(ST_CMD_SEQ_ERROR, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_LAST,
						 0, 1, HDR, self->st + HDR, len - HDR));
	EXPECT_ST(ST_OK, dm_resume(&self->pf, self->cntlid));
}

/* Commit-time checks of the header and the queue states: Invalid Field. */
TEST_F_TIMEOUT(ms, set_state_commit_rejects_bad_state, TMO)
{
	uint8_t *b = self->st2, *cs, *sq1, *cq1;
	uint32_t len = 0, len2 = 0, mqes1 = udrv_info(self->vf.u)->mqes;
	unsigned int i;
	struct {
		const char *what;
		size_t off;
		unsigned int width;
		uint64_t val;
	} bad[] = {
		{ "header VER 1", 0, 2, 1 },
		{ "NVMECSS upper quadword", 24, 8, 1 },
		{ "VSS without CSUUIDI", 32, 8, 256 },
		{ "NVMECSS larger than sent", 16, 8, 2 + 6 * 2 * NQ + 6 },
		{ "NVMECS VER 1", HDR, 2, 1 },
		{ "NIOSQ does not match NVMECSS", HDR + 2, 2, NQ - 1 },
		{ "SQ QID 0", HDR + 8 + 10, 2, 0 },
		{ "SQ QID beyond the VF's queues", HDR + 8 + 10, 2, 9 },
		{ "duplicate SQ QID", HDR + 8 + 10, 2, 2 },
		{ "SQ on a CQ the state lacks", HDR + 8 + 12, 2, NQ + 1 },
		{ "SQ CQID beyond the VF's queues", HDR + 8 + 12, 2, 9 },
		{ "SQ QSIZE 0", HDR + 8 + 8, 2, 0 },
		{ "SQ QSIZE above MQES", HDR + 8 + 8, 2, mqes1 },
		{ "SQ not physically contiguous", HDR + 8 + 14, 2, 0 },
		{ "SQ PRP1 not page aligned", HDR + 8, 8, 0x200 },
		{ "SQ head beyond QSIZE", HDR + 8 + 16, 2, QSIZE },
		{ "SQ tail beyond QSIZE", HDR + 8 + 18, 2, QSIZE },
		{ "CQ QID beyond the VF's queues", HDR + 8 + NQ * 24 + 10, 2, 9 },
		{ "CQ not physically contiguous", HDR + 8 + NQ * 24 + 16, 4, 0 },
		{ "CQ IV beyond the VF's vectors", HDR + 8 + NQ * 24 + 16, 4, 1 | 5u << 16 },
		{ "CQ head beyond QSIZE", HDR + 8 + NQ * 24 + 12, 2, QSIZE },
		{ "CQ tail beyond QSIZE", HDR + 8 + NQ * 24 + 14, 2, QSIZE },
	};

	ASSERT_ST(ST_OK, dm_suspend(&self->pf, self->cntlid, NVME_LM_STYPE_SUSPEND, false));
	ASSERT_ST(ST_OK, dm_state_read(&self->pf, self->cntlid, 1, 0, self->st, &len, NULL));
	ASSERT_ST(ST_OK, dm_resume(&self->pf, self->cntlid));
	ASSERT_EQ(0, delete_io_queues(&self->vf));
	ASSERT_ST(ST_OK, dm_suspend(&self->pf, self->cntlid, NVME_LM_STYPE_SUSPEND, false));
	cs = self->st + HDR;
	sq1 = cs + 8;
	cq1 = cs + 8 + NQ * 24;
	ASSERT_EQ(1, le16_at(sq1, 10));
	ASSERT_EQ(1, le16_at(cq1, 10));

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(b, self->st, len);
		switch (bad[i].width) {
		case 2:
			put_le16(b, bad[i].off, (uint16_t)bad[i].val);
			break;
		case 4:
			put_le32(b, bad[i].off, (uint32_t)bad[i].val);
			break;
		default:
			put_le64(b, bad[i].off, bad[i].val);
		}
		EXPECT_ST_CTX(ST_INVALID_FIELD, dm_set_state(&self->pf, self->cntlid,
							     NVME_LM_SEQIND_ONLY, 1, 0, 0, b, len),
			      "%s", bad[i].what);
	}
	/* more queue states than the VF has queues (NVMECSS consistent) */
	memset(b, 0, HDR + 8 + 8 * 24);
	put_le64(b, 16, 2 + 6 * 8);
	put_le16(b, HDR + 2, 4);
	put_le16(b, HDR + 4, 4);
	EXPECT_ST(ST_INVALID_FIELD, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_ONLY,
						 1, 0, 0, b, HDR + 8 + 8 * 24));
	/* a state shorter than its NVMECSS */
	EXPECT_ST(ST_INVALID_FIELD, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_ONLY,
						 1, 0, 0, self->st, len - 24));
	ASSERT_ST(ST_OK, dm_state_read(&self->pf, self->cntlid, 1, 0, b, &len2, NULL));
	EXPECT_EQ(0, le16_at(b, HDR + 2)) TH_LOG("a rejected state created queues");
	/* the untouched state still commits */
	ASSERT_ST(ST_OK, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_ONLY, 1, 0, 0,
				      self->st, len));
	ASSERT_ST(ST_OK, dm_resume(&self->pf, self->cntlid));
	EXPECT_EQ(0, io_roundtrip(self->vf.u, self->lbs, 9));
}

/* Commit-time checks of the vendor state (CSUUIDI 1): Invalid Field. */
TEST_F(ms, set_state_commit_rejects_bad_vendor_state)
{
	uint8_t *b = self->st2;
	uint32_t len = 0, vs = HDR;
	unsigned int i;
	struct {
		const char *what;
		size_t off;
		unsigned int width;
		uint32_t val;
	} bad[] = {
		{ "VSS not 256", 32, 4, 255 },
		{ "NVMECSS without CSVI", 16, 4, 2 },
		{ "vendor VER 2", vs + 0, 2, 2 },
		{ "vendor SIZE 512", vs + 2, 2, 512 },
		{ "NAERS above AERL + 1", vs + 98, 2, 200 },
		{ "NEVENTS 17", vs + 100, 2, 17 },
		{ "enabled without CC.EN", vs + 8, 4, 0 },
		{ "ASQ head beyond ASQS", vs + 40, 2, 0x1000 },
		{ "ACQ tail beyond ACQS", vs + 46, 2, 0x1000 },
	};

	ASSERT_ST(ST_OK, dm_suspend(&self->pf, self->cntlid, NVME_LM_STYPE_SUSPEND, false));
	ASSERT_ST(ST_OK, dm_state_read(&self->pf, self->cntlid, 0, 1, self->st, &len, NULL));
	ASSERT_EQ(HDR + 1024u, len);
	ASSERT_EQ(1u, le32_at(self->st, vs + 4) & 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(b, self->st, len);
		if (bad[i].width == 2)
			put_le16(b, bad[i].off, (uint16_t)bad[i].val);
		else
			put_le32(b, bad[i].off, bad[i].val);
		EXPECT_ST_CTX(ST_INVALID_FIELD, dm_set_state(&self->pf, self->cntlid,
							     NVME_LM_SEQIND_ONLY, 0, 1, 0, b, len),
			      "%s", bad[i].what);
	}
	ASSERT_ST(ST_OK, dm_resume(&self->pf, self->cntlid));
	/* nothing was applied: the VM's admin queue still works */
	EXPECT_EQ(0, io_roundtrip(self->vf.u, self->lbs, 10));
	EXPECT_ST(ST_OK, dm_identify(&self->vf, NVME_LM_CNS_CTRL, 0, 0, 0, self->st2));
}

/*
 * A suspended VF holds its AEN: a Namespace Attribute Changed event stays
 * queued (in the vendor state: NEVENTS, the event, NAERS and the AER's
 * CID) and completes the VM's AER after Resume.
 */
TEST_F_TIMEOUT(ms, aen_held_while_suspended, TMO)
{
	struct udrv_completion cpl;
	struct udrv_sqe aer;
	uint32_t len = 0;
	bool attach = false;
	const uint8_t *vs;
	int cid, st;

	ASSERT_ST(ST_OK, dm_clear_changed_ns(&self->vf));
	memset(&aer, 0, sizeof(aer));
	aer.opcode = 0x0c;
	cid = udrv_submit(self->vf.u, 0, &aer, NULL, 0, 0, NULL, NULL);
	ASSERT_LE(0, cid);
	/* wait until the VF fetched it (an unfetched one would wait in the SQ) */
	for (st = 0; st < 500; st++) {
		ASSERT_ST(ST_OK, dm_state_read(&self->pf, self->cntlid, 0, 1, self->st, &len, NULL));
		if (le16_at(self->st, HDR + 98) == 1)
			break;
		usleep(10000);
	}
	ASSERT_ST(ST_OK, dm_suspend(&self->pf, self->cntlid, NVME_LM_STYPE_SUSPEND, false));
	/* detach namespace 2 from the VF (attach it if it was not attached) */
	st = dm_ns_attach(&self->pf, 2, self->cntlid, false);
	if (st) {
		attach = true;
		st = dm_ns_attach(&self->pf, 2, self->cntlid, true);
	}
	ASSERT_ST(ST_OK, st);
	EXPECT_EQ(0, udrv_poll_n(self->vf.u, 0, &cpl, 1, 300)) TH_LOG("AEN while suspended");
	ASSERT_ST(ST_OK, dm_state_read(&self->pf, self->cntlid, 0, 1, self->st, &len, NULL));
	vs = self->st + HDR;
	EXPECT_EQ(1, le16_at(vs, 98));			/* NAERS */
	EXPECT_EQ((uint16_t)cid, le16_at(vs, 168));	/* its CID */
	EXPECT_EQ(1, le16_at(vs, 100));			/* NEVENTS */
	EXPECT_EQ(DM_AEN_NS_CHANGED, le32_at(vs, 104));
	ASSERT_ST(ST_OK, dm_resume(&self->pf, self->cntlid));
	ASSERT_EQ(1, udrv_poll_n(self->vf.u, 0, &cpl, 1, 10000));
	EXPECT_EQ(cid, cpl.cid);
	EXPECT_EQ(0, udrv_status_code(cpl.status));
	EXPECT_EQ(DM_AEN_NS_CHANGED, cpl.dw0);
	/* put the namespace back */
	EXPECT_ST(ST_OK, dm_ns_attach(&self->pf, 2, self->cntlid, attach ? false : true));
	EXPECT_ST(ST_OK, dm_clear_changed_ns(&self->vf));
}

/*
 * A vendor state the target cannot be enabled with (ASQ not page aligned):
 * Invalid Field, and the target, reset to replace its admin queue, stays
 * disabled.
 */
TEST_F(ms, set_state_vendor_restore_fails_to_enable_02h)
{
	uint32_t len = 0;

	ASSERT_ST(ST_OK, dm_suspend(&self->pf, self->cntlid, NVME_LM_STYPE_SUSPEND, false));
	ASSERT_ST(ST_OK, dm_state_read(&self->pf, self->cntlid, 0, 1, self->st, &len, NULL));
	put_le64(self->st, HDR + 16, le64_at(self->st, HDR + 16) | 0x100);
	EXPECT_ST(ST_INVALID_FIELD, dm_set_state(&self->pf, self->cntlid, NVME_LM_SEQIND_ONLY,
						 0, 1, 0, self->st, len));
	EXPECT_EQ(0u, udrv_read32(self->vf.u, UDRV_REG_CC) & 1);
	EXPECT_EQ(0u, udrv_read32(self->vf.u, UDRV_REG_CSTS) & UDRV_CSTS_RDY);
	/* the suspended state survived the reset */
	EXPECT_ST(ST_OK, dm_resume(&self->pf, self->cntlid));
}

TEST_HARNESS_MAIN
