// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side unit test of include/nvme_lm.h and the uAPI layout: every
 * field offset against the byte ranges of the digest
 * (/work/shared/spec/tp4159-digest.md, which cites the spec figures), and
 * the CDW encoders against the raw values of the working sequence in
 * digest 11.3 and the libnvme encodings. No guest, no kernel needed.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kselftest_harness.h"
#include <nvme_lm.h>
#include <uapi/linux/nvme_hmlm.h>

#define OFS(type, field)	offsetof(struct type, field)
#define FSZ(type, field)	sizeof(((struct type *)0)->field)

TEST(opcodes)
{
	/* digest 2, Fig 141; bits 1:0 give the data direction. */
	EXPECT_EQ(0x3d, NVME_LM_OPC_TRACK_SEND);
	EXPECT_EQ(0x3e, NVME_LM_OPC_TRACK_RECV);
	EXPECT_EQ(0x41, NVME_LM_OPC_MIGRATION_SEND);
	EXPECT_EQ(0x42, NVME_LM_OPC_MIGRATION_RECV);
	EXPECT_EQ(0x45, NVME_LM_OPC_CDQ);
	EXPECT_EQ(0x86, NVME_LM_OPC_GET_LBA_STATUS);
	EXPECT_EQ(1, NVME_LM_OPC_TRACK_SEND & 3);	/* host to ctrl */
	EXPECT_EQ(2, NVME_LM_OPC_TRACK_RECV & 3);	/* ctrl to host */
	EXPECT_EQ(1, NVME_LM_OPC_MIGRATION_SEND & 3);
	EXPECT_EQ(2, NVME_LM_OPC_MIGRATION_RECV & 3);
	EXPECT_EQ(1, NVME_LM_OPC_CDQ & 3);
}

TEST(cdw10_common)
{
	EXPECT_EQ(0x00010000u, NVME_LM_CDW10(0, 1));
	EXPECT_EQ(0xffff00ffu, NVME_LM_CDW10(0xff, 0xffff));
	/* Out-of-range inputs are masked, never spill into other fields. */
	EXPECT_EQ(0x00000034u, NVME_LM_CDW10(0x1234, 0));
	EXPECT_EQ(0x00050000u, NVME_LM_CDW10(0, 0x50005));
}

TEST(cdq_create_delete)
{
	/* 11.3 step 1: cdw11 = child_cntlid << 16 | 1, cdw12 = 4096 >> 2. */
	EXPECT_EQ((3u << 16) | 1, NVME_LM_CDQ_CREATE_CDW11(3, 1));
	EXPECT_EQ(3u << 16, NVME_LM_CDQ_CREATE_CDW11(3, 0));
	EXPECT_EQ(1024u, NVME_LM_CDQ_BYTES_TO_CDQSIZE(4096));
	EXPECT_EQ(0u, NVME_LM_CDW10(NVME_LM_CDQ_SEL_CREATE,
				    NVME_LM_CDQ_QT_UDMQ));
	EXPECT_EQ(1u, NVME_LM_CDW10(NVME_LM_CDQ_SEL_DELETE, 0));
	EXPECT_EQ(0x1234, NVME_LM_CDQ_DW0_CDQID(0xabcd1234u));
	/* 128 slots of 32 bytes in the 4 KiB queue: CDQSIZE multiple of 8. */
	EXPECT_EQ(0u, NVME_LM_CDQ_BYTES_TO_CDQSIZE(4096) %
		  (sizeof(struct nvme_lm_lbamqe0) / 4));
}

TEST(feature_cdq)
{
	EXPECT_EQ(0x21, NVME_LM_FID_CDQ);
	EXPECT_EQ(0x80000007u, NVME_LM_FEAT_CDQ_CDW11(7, 1));
	EXPECT_EQ(7u, NVME_LM_FEAT_CDQ_CDW11(7, 0));
	EXPECT_EQ(512u, sizeof(struct nvme_lm_feat_cdq));
	EXPECT_EQ(0u, OFS(nvme_lm_feat_cdq, hp));
	EXPECT_EQ(4u, OFS(nvme_lm_feat_cdq, tpt));
	EXPECT_EQ(8u, OFS(nvme_lm_feat_cdq, rsvd8));
}

TEST(aer_oneshot)
{
	/* AET 100b in 2:0, AEI in 15:8, DW1 15:0 = CDQID. */
	__u32 dw0 = (NVME_LM_AER_AEI_CDQ_FULL << 8) | NVME_LM_AER_AET_ONESHOT;

	EXPECT_EQ(4u, NVME_LM_AER_DW0_AET(dw0));
	EXPECT_EQ(1u, NVME_LM_AER_DW0_AEI(dw0));
	EXPECT_EQ(0u, NVME_LM_AER_AEI_CDQ_TPT);
	EXPECT_EQ(9, NVME_LM_AER_DW1_CDQID(0xffff0009u));
}

TEST(lba_migration_queue_entry)
{
	struct nvme_lm_lbamqe0 e;
	__u8 a;

	EXPECT_EQ(32u, sizeof(e));
	EXPECT_EQ(0u, OFS(nvme_lm_lbamqe0, nsid));
	EXPECT_EQ(4u, OFS(nvme_lm_lbamqe0, nlb));
	EXPECT_EQ(8u, OFS(nvme_lm_lbamqe0, slba));
	EXPECT_EQ(16u, OFS(nvme_lm_lbamqe0, rsvd16));
	EXPECT_EQ(15u, FSZ(nvme_lm_lbamqe0, rsvd16));
	EXPECT_EQ(31u, OFS(nvme_lm_lbamqe0, lbamqa));
	EXPECT_EQ(31, NVME_LM_LBAMQE0_LBAMQA_OFS);

	/* LBACIR 7:6, DLBA 5, ESA 3:1, CDQP 0 (NVM CS Fig 177). */
	a = (NVME_LM_LBACIR_NONE << 6) | (NVME_LM_ESA_LAST_SUSPENDED << 1) |
	    NVME_LM_LBAMQA_CDQP;
	EXPECT_EQ(0x87, a);
	EXPECT_EQ(3u, NVME_LM_LBAMQA_ESA(a));
	EXPECT_EQ(2u, NVME_LM_LBAMQA_LBACIR(a));
	EXPECT_EQ(0x20u, NVME_LM_LBAMQA_DLBA);
	EXPECT_EQ(7u, NVME_LM_LBAMQA_ESA(0x0e));
	EXPECT_EQ(1u, NVME_LM_ESA_FIRST);
	EXPECT_EQ(2u, NVME_LM_ESA_LAST_STOPPED);
	EXPECT_EQ(7u, NVME_LM_ESA_LAST_FULL);
	EXPECT_EQ(1u, NVME_LM_LBACIR_ALL);
	EXPECT_EQ(0, NVME_LM_LBAMQF_TYPE0);
}

TEST(track_send)
{
	/* 11.3 step 2: start logging, cdw10 = 1 << 16, cdw11 = cdqid. */
	EXPECT_EQ(1u << 16, NVME_LM_CDW10(NVME_LM_TSEND_SEL_LOG_USER_DATA,
					  NVME_LM_TSEND_LACT_START));
	/* 11.3 step 3: stop, cdw10 = 0. */
	EXPECT_EQ(0u, NVME_LM_CDW10(NVME_LM_TSEND_SEL_LOG_USER_DATA,
				    NVME_LM_TSEND_LACT_STOP));
	/* SEL 1, TACT = 1: CDW10 bit 16 plus SEL 1. */
	EXPECT_EQ(0x00010001u, NVME_LM_CDW10(NVME_LM_TSEND_SEL_TRACK_MEMORY,
					     NVME_LM_TSEND_TACT_START));
	EXPECT_EQ(0x40, NVME_LM_TSEND_DW0_MRTG(0xffff0040u));
}

TEST(track_memory_structures)
{
	/* Fig 468/469: 8-byte header, 12-byte descriptors, no padding. */
	EXPECT_EQ(8u, sizeof(struct nvme_lm_track_mem));
	EXPECT_EQ(0u, OFS(nvme_lm_track_mem, ver));
	EXPECT_EQ(3u, OFS(nvme_lm_track_mem, rmrtg));
	EXPECT_EQ(4u, OFS(nvme_lm_track_mem, rnmrtd));
	EXPECT_EQ(8u, OFS(nvme_lm_track_mem, desc));
	EXPECT_EQ(12u, sizeof(struct nvme_lm_mrtd));
	EXPECT_EQ(0u, OFS(nvme_lm_mrtd, saddr));
	EXPECT_EQ(8u, OFS(nvme_lm_mrtd, len));
	/* Descriptor 1 starts at byte 20 of the buffer. */
	EXPECT_EQ(20u, OFS(nvme_lm_track_mem, desc) + sizeof(struct nvme_lm_mrtd));

	/* Fig 460/461 (Track Receive). */
	EXPECT_EQ(16u, sizeof(struct nvme_lm_tmc_hdr));
	EXPECT_EQ(1u, OFS(nvme_lm_tmc_hdr, attrb));
	EXPECT_EQ(2u, OFS(nvme_lm_tmc_hdr, cntlid));
	EXPECT_EQ(4u, OFS(nvme_lm_tmc_hdr, ntmcd));
	EXPECT_EQ(8u, OFS(nvme_lm_tmc_hdr, rpmpg));
	EXPECT_EQ(10u, OFS(nvme_lm_tmc_hdr, rsvd10));
	EXPECT_EQ(16u, sizeof(struct nvme_lm_tmcd));
	EXPECT_EQ(8u, OFS(nvme_lm_tmcd, len));
	EXPECT_EQ(12u, OFS(nvme_lm_tmcd, rsvd12));
	EXPECT_EQ(1u, NVME_LM_TMC_ATTRB_MTR);
	EXPECT_EQ(2u, NVME_LM_TMC_ATTRB_SUSP);
}

TEST(migration_send)
{
	/* 11.3 step 6: suspend with DUDMQ, cdw11 = 1<<31 | 1<<16 | cntlid. */
	EXPECT_EQ((1u << 31) | (1u << 16) | 2,
		  NVME_LM_MSEND_SUSPEND_CDW11(2, NVME_LM_STYPE_SUSPEND, 1));
	/* 11.3 step 10: suspend without DUDMQ, cdw11 = 1<<16 | cntlid_d. */
	EXPECT_EQ((1u << 16) | 3,
		  NVME_LM_MSEND_SUSPEND_CDW11(3, NVME_LM_STYPE_SUSPEND, 0));
	EXPECT_EQ(3u, NVME_LM_MSEND_SUSPEND_CDW11(3, NVME_LM_STYPE_NOTIFY, 0));
	EXPECT_EQ(0u, NVME_LM_CDW10(NVME_LM_MSEND_SEL_SUSPEND, 0));
	/* Set state: cdw10 = 3 << 16 | 2, cdw11 = 1 << 16 | cntlid_d. */
	EXPECT_EQ(0x00030002u, NVME_LM_CDW10(NVME_LM_MSEND_SEL_SET_STATE,
					     NVME_LM_SEQIND_ONLY));
	EXPECT_EQ((1u << 16) | 3, NVME_LM_MSEND_STATE_CDW11(3, 1, 0));
	EXPECT_EQ(0x05010003u, NVME_LM_MSEND_STATE_CDW11(3, 1, 5));
	/* Resume: cdw10 = 1, cdw11 = cntlid. */
	EXPECT_EQ(1u, NVME_LM_CDW10(NVME_LM_MSEND_SEL_RESUME, 0));
	EXPECT_EQ(1u, NVME_LM_SEQIND_FIRST);
	EXPECT_EQ(2u, NVME_LM_SEQIND_LAST);
	EXPECT_EQ(0u, NVME_LM_SEQIND_MIDDLE);
	EXPECT_EQ(0x7fu, NVME_LM_CDW14_UIDX_MASK);
}

TEST(migration_recv)
{
	/* 11.3 step 9: cdw10 = 1 << 16 (CSVI 1), cdw15 = 4096/4 - 1. */
	EXPECT_EQ(1u << 16, NVME_LM_CDW10(NVME_LM_MRECV_SEL_GET_STATE, 1));
	EXPECT_EQ(1023u, NVME_LM_BYTES_TO_NUMD0(4096));
	EXPECT_EQ(11u, NVME_LM_BYTES_TO_NUMD0(48));	/* header only */
	EXPECT_EQ(2u, NVME_LM_MRECV_CDW11(2, 0, 0));
	/* libnvme: csuidxp << 24 | csuuidi << 16 | cntlid. */
	EXPECT_EQ(0x07050002u, NVME_LM_MRECV_CDW11(2, 5, 7));
	EXPECT_EQ(1u, NVME_LM_MRECV_DW0_CSUP);
}

TEST(controller_state_structures)
{
	/* Fig 358: 48-byte header, 16-byte NVMECSS at 16, VSS at 32. */
	EXPECT_EQ(48u, sizeof(struct nvme_lm_ctrl_state_hdr));
	EXPECT_EQ(0u, OFS(nvme_lm_ctrl_state_hdr, ver));
	EXPECT_EQ(2u, OFS(nvme_lm_ctrl_state_hdr, csattr));
	EXPECT_EQ(3u, OFS(nvme_lm_ctrl_state_hdr, rsvd3));
	EXPECT_EQ(16u, OFS(nvme_lm_ctrl_state_hdr, nvmecss));
	EXPECT_EQ(16u, FSZ(nvme_lm_ctrl_state_hdr, nvmecss));
	EXPECT_EQ(32u, OFS(nvme_lm_ctrl_state_hdr, vss));
	EXPECT_EQ(16u, FSZ(nvme_lm_ctrl_state_hdr, vss));

	/* Fig 359. */
	EXPECT_EQ(8u, sizeof(struct nvme_lm_nvmecs_hdr));
	EXPECT_EQ(2u, OFS(nvme_lm_nvmecs_hdr, niosq));
	EXPECT_EQ(4u, OFS(nvme_lm_nvmecs_hdr, niocq));

	/* Fig 360: I/O SQ state. */
	EXPECT_EQ(24u, sizeof(struct nvme_lm_iosq_state));
	EXPECT_EQ(0u, OFS(nvme_lm_iosq_state, prp1));
	EXPECT_EQ(8u, OFS(nvme_lm_iosq_state, qsize));
	EXPECT_EQ(10u, OFS(nvme_lm_iosq_state, qid));
	EXPECT_EQ(12u, OFS(nvme_lm_iosq_state, cqid));
	EXPECT_EQ(14u, OFS(nvme_lm_iosq_state, attr));
	EXPECT_EQ(2u, FSZ(nvme_lm_iosq_state, attr));
	EXPECT_EQ(16u, OFS(nvme_lm_iosq_state, hp));
	EXPECT_EQ(18u, OFS(nvme_lm_iosq_state, tp));
	EXPECT_EQ(20u, OFS(nvme_lm_iosq_state, rsvd20));

	/* Fig 361: I/O CQ state; IOCQA is 32 bits. */
	EXPECT_EQ(24u, sizeof(struct nvme_lm_iocq_state));
	EXPECT_EQ(8u, OFS(nvme_lm_iocq_state, qsize));
	EXPECT_EQ(10u, OFS(nvme_lm_iocq_state, qid));
	EXPECT_EQ(12u, OFS(nvme_lm_iocq_state, hp));
	EXPECT_EQ(14u, OFS(nvme_lm_iocq_state, tp));
	EXPECT_EQ(16u, OFS(nvme_lm_iocq_state, attr));
	EXPECT_EQ(4u, FSZ(nvme_lm_iocq_state, attr));
	EXPECT_EQ(20u, OFS(nvme_lm_iocq_state, rsvd20));

	/* QEMU's attrs = PC | IEN << 1 | phase << 2 | IV << 16. */
	EXPECT_EQ(0x00050007u, NVME_LM_IOCQA_PC | NVME_LM_IOCQA_IEN |
		  NVME_LM_IOCQA_S0PT | (5u << NVME_LM_IOCQA_IV_SHIFT));
	EXPECT_EQ(0x5u, NVME_LM_IOSQA_PC | (2u << NVME_LM_IOSQA_QPRIO_SHIFT));
	/* libvfn: the container is 56 bytes with the NVMECS header. */
	EXPECT_EQ(56u, sizeof(struct nvme_lm_ctrl_state_hdr) +
		  sizeof(struct nvme_lm_nvmecs_hdr));
}

TEST(identify_controller_offsets)
{
	/* Fig 312 byte ranges. */
	EXPECT_EQ(77, NVME_LM_ID_CTRL_MDTS_OFS);
	EXPECT_EQ(78, NVME_LM_ID_CTRL_CNTLID_OFS);
	EXPECT_EQ(256, NVME_LM_ID_CTRL_OACS_OFS);
	EXPECT_EQ(0x800u, NVME_LM_OACS_HMLMS);
	EXPECT_EQ(272, NVME_LM_ID_CTRL_HMPRE_OFS);
	EXPECT_EQ(570, NVME_LM_ID_CTRL_HMLM_OFS);

#define HMLM_AT(f) (NVME_LM_ID_CTRL_HMLM_OFS + OFS(nvme_lm_id_ctrl_hmlm, f))
	EXPECT_EQ(570u, HMLM_AT(cmmrtd));
	EXPECT_EQ(572u, HMLM_AT(nmmrtd));
	EXPECT_EQ(574u, HMLM_AT(minmrtg));
	EXPECT_EQ(575u, HMLM_AT(maxmrtg));
	EXPECT_EQ(576u, HMLM_AT(trattr));
	EXPECT_EQ(577u, HMLM_AT(rsvd7));
	EXPECT_EQ(578u, HMLM_AT(mcudmq));
	EXPECT_EQ(580u, HMLM_AT(mnsudmq));
	EXPECT_EQ(582u, HMLM_AT(mcmr));
	EXPECT_EQ(584u, HMLM_AT(nmcmr));
	EXPECT_EQ(586u, HMLM_AT(mcdqpc));
	EXPECT_EQ(588u, NVME_LM_ID_CTRL_HMLM_OFS +
		  sizeof(struct nvme_lm_id_ctrl_hmlm));
#undef HMLM_AT
	EXPECT_EQ(1u, NVME_LM_TRATTR_THMCS);
	EXPECT_EQ(2u, NVME_LM_TRATTR_TUDCS);
	EXPECT_EQ(4u, NVME_LM_TRATTR_MRTLL);

	/* NVM CS Fig 120 / 118. */
	EXPECT_EQ(18, NVME_LM_ID_CTRL_NVM_AOCS_OFS);
	EXPECT_EQ(1u, NVME_LM_AOCS_RALBAS);
	EXPECT_EQ(24, NVME_LM_ID_CTRL_NVM_LBAMQF_OFS);
	EXPECT_EQ(292, NVME_LM_ID_NS_NVM_TLBAAG_OFS);
	EXPECT_EQ(0x14, NVME_LM_CNS_PRIMARY_CAPS);
	EXPECT_EQ(0x15, NVME_LM_CNS_SEC_LIST);
	EXPECT_EQ(0x20, NVME_LM_CNS_STATE_FMTS);
	EXPECT_EQ(0x06, NVME_LM_CNS_CS_CTRL);
	EXPECT_EQ(0x05, NVME_LM_CNS_CS_NS);
}

TEST(secondary_controller_list)
{
	/* Fig 331/332. */
	EXPECT_EQ(32u, sizeof(struct nvme_lm_sec_ctrl));
	EXPECT_EQ(0u, OFS(nvme_lm_sec_ctrl, scid));
	EXPECT_EQ(2u, OFS(nvme_lm_sec_ctrl, pcid));
	EXPECT_EQ(4u, OFS(nvme_lm_sec_ctrl, scs));
	EXPECT_EQ(8u, OFS(nvme_lm_sec_ctrl, vfn));
	EXPECT_EQ(10u, OFS(nvme_lm_sec_ctrl, nvq));
	EXPECT_EQ(12u, OFS(nvme_lm_sec_ctrl, nvi));
	EXPECT_EQ(14u, OFS(nvme_lm_sec_ctrl, rsvd14));
	EXPECT_EQ(4096u, sizeof(struct nvme_lm_sec_list));
	EXPECT_EQ(32u, OFS(nvme_lm_sec_list, sc));
	EXPECT_EQ(127, NVME_LM_SEC_LIST_MAX);
}

TEST(state_formats_cns20)
{
	/* NV 1, NUUID 2: versions at 2..3, UUIDs at 4 and 20 (Fig 329). */
	__u8 buf[64] = { 1, 2, 0, 0 };
	const struct nvme_lm_state_fmts *f = (const void *)buf;

	EXPECT_EQ(2u, sizeof(struct nvme_lm_state_fmts));
	EXPECT_EQ(2u, OFS(nvme_lm_state_fmts, vers));
	EXPECT_EQ(2u, NVME_LM_STATE_FMTS_VER_OFS(1));
	EXPECT_EQ(4u, NVME_LM_STATE_FMTS_UUID_OFS(1, 1));
	EXPECT_EQ(20u, NVME_LM_STATE_FMTS_UUID_OFS(1, 2));
	/* NV 3: versions 2..7, first UUID at (3 + 1) * 2 = 8. */
	EXPECT_EQ(8u, NVME_LM_STATE_FMTS_UUID_OFS(3, 1));
	EXPECT_EQ(1, f->nv);
	EXPECT_EQ(2, f->nuuid);
	EXPECT_EQ(0, f->vers[0]);
}

TEST(get_lba_status)
{
	EXPECT_EQ(0x02000010u, NVME_LM_GLS_CDW13(NVME_LM_GLS_ATYPE_ALLOCATED,
						 0x10));
	EXPECT_EQ(0x02000000u, NVME_LM_GLS_CDW13(2, 0));	/* to the end */
	EXPECT_EQ(8u, sizeof(struct nvme_lm_lba_status_hdr));
	EXPECT_EQ(4u, OFS(nvme_lm_lba_status_hdr, cmpc));
	EXPECT_EQ(16u, sizeof(struct nvme_lm_lba_status_desc));
	EXPECT_EQ(0u, OFS(nvme_lm_lba_status_desc, dslba));
	EXPECT_EQ(8u, OFS(nvme_lm_lba_status_desc, nlb));
	EXPECT_EQ(12u, OFS(nvme_lm_lba_status_desc, rsvd12));
	EXPECT_EQ(13u, OFS(nvme_lm_lba_status_desc, stas));
	EXPECT_EQ(2u, NVME_LM_LBARS_ALLOCATED);
	EXPECT_EQ(1u, NVME_LM_CMPC_INCOMPLETE);
	EXPECT_EQ(2u, NVME_LM_CMPC_COMPLETE);
}

TEST(status_codes)
{
	EXPECT_EQ(0x11f, NVME_LM_STATUS(NVME_LM_SCT_CMD_SPECIFIC,
					 NVME_LM_SC_INVALID_CTRL_ID));
	EXPECT_EQ(0x137, NVME_LM_STATUS(1, NVME_LM_SC_INVALID_CDQ));
	EXPECT_EQ(0x138, NVME_LM_STATUS(1, NVME_LM_SC_NOT_ENOUGH_RES));
	EXPECT_EQ(0x139, NVME_LM_STATUS(1, NVME_LM_SC_CTRL_SUSPENDED));
	EXPECT_EQ(0x13a, NVME_LM_STATUS(1, NVME_LM_SC_CTRL_NOT_SUSPENDED));
	EXPECT_EQ(0x13b, NVME_LM_STATUS(1, NVME_LM_SC_CDQ_FULL));
	EXPECT_EQ(0x002, NVME_LM_STATUS(0, NVME_LM_SC_INVALID_FIELD));
	EXPECT_EQ(0x00c, NVME_LM_STATUS(0, NVME_LM_SC_CMD_SEQ_ERROR));
	EXPECT_EQ(0x013, NVME_LM_STATUS(0, NVME_LM_SC_PRP_OFFSET_INVALID));
	/* Stock QEMU's answer to the migration opcodes: 0x4001 (DESIGN 5). */
	EXPECT_EQ(0x4001u, NVME_LM_STATUS_DNR |
		  NVME_LM_STATUS(0, NVME_LM_SC_INVALID_OPCODE));
	EXPECT_EQ(1u, NVME_LM_STATUS_SC(0x4001));
	EXPECT_EQ(1u, NVME_LM_STATUS_SCT(0x613b));
}

TEST(uapi_layout)
{
	/* Every argument starts with size, flags; no implicit padding. */
	EXPECT_EQ(0u, OFS(nvme_hmlm_get_caps, size));
	EXPECT_EQ(4u, OFS(nvme_hmlm_get_caps, flags));
	EXPECT_EQ(16u, OFS(nvme_hmlm_get_caps, sec_uptr));
	EXPECT_EQ(63u, OFS(nvme_hmlm_get_caps, __reserved));
	EXPECT_EQ(64u, OFS(nvme_hmlm_get_caps, out_state_vers));
	EXPECT_EQ(80u, OFS(nvme_hmlm_get_caps, out_state_uuids));
	EXPECT_EQ(208u, sizeof(struct nvme_hmlm_get_caps));
	EXPECT_EQ(0u, OFS(nvme_hmlm_bind, size));
	EXPECT_EQ(4u, OFS(nvme_hmlm_bind, flags));
	EXPECT_EQ(12u, OFS(nvme_hmlm_bind, cntlid));
	EXPECT_EQ(14u, OFS(nvme_hmlm_bind, __reserved));
	EXPECT_EQ(24u, sizeof(struct nvme_hmlm_bind));
	EXPECT_EQ(16u, sizeof(struct nvme_hmlm_sec_ctrl));
	/* Numbers: _IO(type, base + n), no size bits. */
	EXPECT_EQ(0u, _IOC_SIZE(NVME_HMLM_GET_CAPS));
	EXPECT_EQ((unsigned int)NVME_HMLM_CMD_BASE, _IOC_NR(NVME_HMLM_GET_CAPS));
	EXPECT_EQ((unsigned int)NVME_HMLM_CMD_BASE + 1, _IOC_NR(NVME_HMLM_BIND));
	EXPECT_EQ((unsigned int)NVME_HMLM_CMD_BASE + 8,
		  _IOC_NR(NVME_HMLM_GET_ALLOC_LBAS));
}

TEST_HARNESS_MAIN
