// SPDX-License-Identifier: GPL-2.0
/*
 * Device model: what Identify, the Commands Supported and Effects log and
 * the opcode dispatch of the bench QEMU show about Host Managed Live
 * Migration, on the MMC (the source PF, through the kernel's passthrough
 * ioctl) and on a migratable controller (source VF 1, through udrv).
 */
#include "kselftest_harness.h"
#include "dm_common.h"

static const uint8_t vs_uuid[16] = {
	0x4e, 0x56, 0x4d, 0x45, 0x48, 0x4d, 0x4c, 0x4d,
	0x80, 0x00, 0x56, 0x4e, 0x44, 0x4f, 0x52, 0x31,
};

static const uint8_t hmlm_opcodes[] = {
	NVME_LM_OPC_TRACK_SEND, NVME_LM_OPC_TRACK_RECV, NVME_LM_OPC_MIGRATION_SEND,
	NVME_LM_OPC_MIGRATION_RECV, NVME_LM_OPC_CDQ, NVME_LM_OPC_GET_LBA_STATUS,
};

static int effects_log(const struct dm_ctl *ctl, uint32_t *log)
{
	memset(log, 0, 4096);
	return dm_run(ctl, &(struct dm_cmd){ .opc = OPC_GET_LOG_PAGE,
			.nsid = 0xffffffff, .cdw10 = 0x05 | (1023u << 16),
			.buf = log, .len = 4096 }, NULL);
}

/* ---- the MMC --------------------------------------------------------- */

FIXTURE(mmc) {
	struct dm_env env;
	struct dm_ctl ctl;
	uint8_t buf[4096];
};

FIXTURE_SETUP(mmc)
{
	self->ctl.fd = -1;
	self->ctl.u = NULL;
	DM_NEED_MODEL(&self->env);
	self->ctl.fd = open(self->env.src_pf, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->ctl.fd) TH_LOG("open %s: %s", self->env.src_pf, strerror(errno));
}

FIXTURE_TEARDOWN(mmc)
{
	if (self->ctl.fd >= 0)
		close(self->ctl.fd);
}

/* OACS: HMLMS (bit 11) set, Doorbell Buffer Config (bit 8) gone; no HMB. */
TEST_F(mmc, oacs_hmlms_set_dbbuf_clear_hmpre_zero)
{
	uint16_t oacs;

	ASSERT_ST(ST_OK, dm_identify(&self->ctl, NVME_LM_CNS_CTRL, 0, 0, 0, self->buf));
	oacs = le16_at(self->buf, NVME_LM_ID_CTRL_OACS_OFS);
	EXPECT_EQ(NVME_LM_OACS_HMLMS, oacs & NVME_LM_OACS_HMLMS) TH_LOG("OACS %#x", oacs);
	EXPECT_EQ(0, oacs & (1u << 8)) TH_LOG("OACS %#x has DBBUF", oacs);
	EXPECT_EQ(0u, le32_at(self->buf, NVME_LM_ID_CTRL_HMPRE_OFS));
}

/* Identify Controller bytes 570..587 as documented for the bench PF. */
TEST_F(mmc, hmlm_limits_in_identify_controller)
{
	const uint8_t *b = self->buf + NVME_LM_ID_CTRL_HMLM_OFS;
	unsigned int max_udmq = self->env.nvf > 1 ? self->env.nvf : 1;

	ASSERT_ST(ST_OK, dm_identify(&self->ctl, NVME_LM_CNS_CTRL, 0, 0, 0, self->buf));
	EXPECT_EQ(64, le16_at(b, 0));		/* CMMRTD */
	EXPECT_EQ(256, le16_at(b, 2));		/* NMMRTD */
	EXPECT_EQ(0, b[4]);			/* MINMRTG: 4 KiB */
	EXPECT_EQ(18, b[5]);			/* MAXMRTG: 1 GiB */
	EXPECT_EQ(NVME_LM_TRATTR_THMCS | NVME_LM_TRATTR_TUDCS, b[6]);	/* no MRTLL */
	EXPECT_EQ(0, b[7]);
	EXPECT_EQ(max_udmq, le16_at(b, 8));	/* MCUDMQ = sriov_max_vfs */
	EXPECT_EQ(max_udmq, le16_at(b, 10));	/* MNSUDMQ */
	EXPECT_EQ(512, le16_at(b, 12));		/* MCMR */
	EXPECT_EQ(512 * max_udmq, le16_at(b, 14));	/* NMCMR */
	EXPECT_EQ(512, le16_at(b, 16));		/* MCDQPC */
}

/* NVM Identify Controller: RALBAS and LBA Migration Queue Entry Type 0. */
TEST_F(mmc, nvm_identify_controller_ralbas_lbamqf)
{
	ASSERT_ST(ST_OK, dm_identify(&self->ctl, NVME_LM_CNS_CS_CTRL, 0, 0, NVME_LM_CSI_NVM,
				     self->buf));
	EXPECT_EQ(NVME_LM_AOCS_RALBAS, le16_at(self->buf, NVME_LM_ID_CTRL_NVM_AOCS_OFS));
	EXPECT_EQ(NVME_LM_LBAMQF_TYPE0, self->buf[NVME_LM_ID_CTRL_NVM_LBAMQF_OFS]);
}

/* NVM Identify Namespace: TLBAAG is the namespace's tlbaag (default 8). */
TEST_F(mmc, nvm_identify_namespace_tlbaag)
{
	uint32_t nsid;

	for (nsid = 1; nsid <= 2; nsid++) {
		ASSERT_ST(ST_OK, dm_identify(&self->ctl, NVME_LM_CNS_CS_NS, 0, nsid,
					     NVME_LM_CSI_NVM, self->buf));
		EXPECT_EQ(8u, le32_at(self->buf, NVME_LM_ID_NS_NVM_TLBAAG_OFS))
			TH_LOG("nsid %u", nsid);
	}
}

/* CNS 20h: one NVMe state version (0000h) and the model's vendor UUID. */
TEST_F(mmc, cns20_supported_state_formats)
{
	size_t i;

	memset(self->buf, 0xee, sizeof(self->buf));
	ASSERT_ST(ST_OK, dm_run(&self->ctl, &(struct dm_cmd){ .opc = OPC_IDENTIFY,
			.cdw10 = NVME_LM_CNS_STATE_FMTS, .buf = self->buf, .len = 4096 }, NULL));
	EXPECT_EQ(1, self->buf[0]);	/* NV */
	EXPECT_EQ(1, self->buf[1]);	/* NUUID */
	EXPECT_EQ(0x0000, le16_at(self->buf, NVME_LM_STATE_FMTS_VER_OFS(1)));
	EXPECT_EQ(0, memcmp(self->buf + NVME_LM_STATE_FMTS_UUID_OFS(1, 1), vs_uuid, 16));
	for (i = NVME_LM_STATE_FMTS_UUID_OFS(1, 2); i < 4096; i++)
		if (self->buf[i])
			break;
	EXPECT_EQ(4096u, i) TH_LOG("byte %zu after the UUID list is %#x", i, self->buf[i]);
}

/* An unassigned CNS next to 20h stays Invalid Field. */
TEST_F(mmc, cns21_invalid_field)
{
	ASSERT_ST(ST_INVALID_FIELD, dm_identify(&self->ctl, 0x21, 0, 0, 0, self->buf));
}

/* Commands Supported and Effects: CSUPP only for the six opcodes, no DBBUF. */
TEST_F(mmc, effects_log_csupp_only)
{
	uint32_t *log = (uint32_t *)self->buf;
	size_t i;

	ASSERT_ST(ST_OK, effects_log(&self->ctl, log));
	for (i = 0; i < sizeof(hmlm_opcodes); i++) {
		uint8_t op = hmlm_opcodes[i];

		EXPECT_EQ(1u, log[op]) TH_LOG("ACS[%#x] = %#x", op, log[op]);
	}
	EXPECT_EQ(0u, log[OPC_DBBUF]) TH_LOG("ACS[7Ch] = %#x", log[OPC_DBBUF]);
}

/* Doorbell Buffer Config is not offered while hmlm is on. */
TEST_F(mmc, dbbuf_invalid_opcode)
{
	ASSERT_ST(ST_INVALID_OPCODE, dm_run(&self->ctl, &(struct dm_cmd){ .opc = OPC_DBBUF },
					    NULL));
}

/* A select value a command does not define is Invalid Field, per command. */
TEST_F(mmc, reserved_select_values_invalid_field)
{
	static const struct { uint8_t opc, sel; } c[] = {
		{ NVME_LM_OPC_MIGRATION_SEND, 3 }, { NVME_LM_OPC_MIGRATION_RECV, 1 },
		{ NVME_LM_OPC_CDQ, 2 }, { NVME_LM_OPC_TRACK_SEND, 2 },
		{ NVME_LM_OPC_TRACK_RECV, 1 },
	};
	uint8_t b[64] = { 0 };
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		EXPECT_ST_CTX(ST_INVALID_FIELD, dm_run(&self->ctl, &(struct dm_cmd){
				.opc = c[i].opc, .cdw10 = c[i].sel, .cdw11 = self->env.src_id[0],
				.cdw12 = 15, .cdw15 = 15, .buf = b, .len = sizeof(b) }, NULL),
			"opcode %#x SEL %u", c[i].opc, c[i].sel);
}

/* ---- a migratable controller (VF 1, unbound, through udrv) ------------- */

FIXTURE(vf) {
	struct dm_env env;
	struct dm_ctl ctl;
	uint8_t buf[4096];
};

FIXTURE_SETUP(vf)
{
	struct udrv_opts o = { .nr_io_queues = 1, .io_qsize = 16 };
	int fd, rc;

	self->ctl.fd = -1;
	self->ctl.u = NULL;
	DM_NEED_MODEL(&self->env);
	fd = dm_open_pf(self->env.src_pf, self->env.src_id, 1, self->env.vq_per_vf);
	ASSERT_LE(0, fd) TH_LOG("open %s / VF online: %d", self->env.src_pf, fd);
	close(fd);
	rc = udrv_open(self->env.src_vf[0], &o, &self->ctl.u);
	ASSERT_EQ(0, rc) TH_LOG("udrv_open(%s): %d", self->env.src_vf[0], rc);
}

FIXTURE_TEARDOWN(vf)
{
	udrv_close(self->ctl.u);
}

/* No HMLMS, no DBBUF and none of the MMC's limits on a VF. */
TEST_F(vf, identify_has_no_hmlm_fields)
{
	const uint8_t *b = self->buf + NVME_LM_ID_CTRL_HMLM_OFS;
	uint16_t oacs;
	int i;

	ASSERT_ST(ST_OK, dm_identify(&self->ctl, NVME_LM_CNS_CTRL, 0, 0, 0, self->buf));
	EXPECT_EQ(self->env.src_id[0], le16_at(self->buf, NVME_LM_ID_CTRL_CNTLID_OFS));
	oacs = le16_at(self->buf, NVME_LM_ID_CTRL_OACS_OFS);
	EXPECT_EQ(0, oacs & NVME_LM_OACS_HMLMS) TH_LOG("VF OACS %#x", oacs);
	EXPECT_EQ(0, oacs & (1u << 8)) TH_LOG("VF OACS %#x", oacs);
	EXPECT_EQ(0u, le32_at(self->buf, NVME_LM_ID_CTRL_HMPRE_OFS));
	for (i = 0; i < 18; i++)
		EXPECT_EQ(0, b[i]) TH_LOG("Identify byte %d = %#x on a VF", 570 + i, b[i]);
}

/* The VF's NVM Identify data carry neither RALBAS nor a TLBAAG. */
TEST_F(vf, nvm_identify_has_no_ralbas_tlbaag)
{
	ASSERT_ST(ST_OK, dm_identify(&self->ctl, NVME_LM_CNS_CS_CTRL, 0, 0, NVME_LM_CSI_NVM,
				     self->buf));
	EXPECT_EQ(0, le16_at(self->buf, NVME_LM_ID_CTRL_NVM_AOCS_OFS));
	ASSERT_ST(ST_OK, dm_identify(&self->ctl, NVME_LM_CNS_CS_NS, 0, 1, NVME_LM_CSI_NVM,
				     self->buf));
	EXPECT_EQ(0u, le32_at(self->buf, NVME_LM_ID_NS_NVM_TLBAAG_OFS));
}

/* CNS 20h is for the MMC only. */
TEST_F(vf, cns20_invalid_field)
{
	ASSERT_ST(ST_INVALID_FIELD, dm_identify(&self->ctl, NVME_LM_CNS_STATE_FMTS, 0, 0, 0,
						self->buf));
}

/* The six commands (a CDQ Create among them) are Invalid Opcode on a VF. */
TEST_F(vf, hmlm_opcodes_invalid_opcode)
{
	size_t i;

	for (i = 0; i < sizeof(hmlm_opcodes); i++) {
		memset(self->buf, 0, 64);
		EXPECT_ST_CTX(ST_INVALID_OPCODE, dm_run(&self->ctl, &(struct dm_cmd){
				.opc = hmlm_opcodes[i], .nsid = hmlm_opcodes[i] == 0x86 ? 1 : 0,
				.cdw11 = (uint32_t)self->env.src_id[0] << 16 | 1,
				.cdw12 = 16, .cdw13 = 0x02000000, .cdw15 = 15,
				.buf = self->buf, .len = 64 }, NULL), "opcode %#x", hmlm_opcodes[i]);
	}
	EXPECT_ST(ST_INVALID_OPCODE, dm_run(&self->ctl, &(struct dm_cmd){ .opc = OPC_DBBUF },
					    NULL));
}

/* Feature 21h does not exist on a VF; its effects log has no HMLM entries. */
TEST_F(vf, no_feature21_no_effects_entries)
{
	uint32_t *log = (uint32_t *)self->buf;
	size_t i;

	EXPECT_ST(ST_INVALID_FIELD, dm_run(&self->ctl, &(struct dm_cmd){
			.opc = OPC_GET_FEATURES, .cdw10 = NVME_LM_FID_CDQ, .cdw11 = 0,
			.buf = self->buf, .len = 512 }, NULL));
	EXPECT_ST(ST_INVALID_FIELD, dm_run(&self->ctl, &(struct dm_cmd){
			.opc = OPC_SET_FEATURES, .cdw10 = NVME_LM_FID_CDQ, .cdw11 = 0 }, NULL));
	ASSERT_ST(ST_OK, effects_log(&self->ctl, log));
	for (i = 0; i < sizeof(hmlm_opcodes); i++) {
		uint8_t op = hmlm_opcodes[i];

		EXPECT_EQ(0u, log[op]) TH_LOG("VF ACS[%#x] = %#x", op, log[op]);
	}
	EXPECT_EQ(0u, log[OPC_DBBUF]);
}

TEST_HARNESS_MAIN
