/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * NVMe Host Managed Live Migration (NVMe Base 2.1, TP4159) and Tracked LBA
 * Allocation (NVM Command Set 1.2, TP4165): wire formats.
 *
 * Shared by nvme-hmlm.ko, libhmlm and the tests. Only <linux/types.h> is
 * used, so the header builds in the kernel and in C11 userspace alike.
 * Every structure is little-endian on the wire and its size is checked with
 * _Static_assert. Field encoders produce CPU-order values; the caller
 * converts a whole dword with cpu_to_le32()/htole32().
 *
 * Names carry the NVME_LM_ / nvme_lm_ prefix. The macros are deliberately
 * more specific than libnvme's enum constants (for instance
 * NVME_LM_MSEND_DUDMQ, not NVME_LM_DUDMQ) so that both headers can be
 * included in one translation unit.
 *
 * References in brackets are to the digest, /work/shared/spec/tp4159-digest.md,
 * and through it to the specification figures.
 */
#ifndef _NVME_LM_H
#define _NVME_LM_H

#include <linux/types.h>

/* ------------------------------------------------------------------------
 * Admin opcodes [digest 2]
 */
#define NVME_LM_OPC_TRACK_SEND		0x3d	/* host to controller */
#define NVME_LM_OPC_TRACK_RECV		0x3e	/* controller to host */
#define NVME_LM_OPC_MIGRATION_SEND	0x41	/* host to controller */
#define NVME_LM_OPC_MIGRATION_RECV	0x42	/* controller to host */
#define NVME_LM_OPC_CDQ			0x45	/* Controller Data Queue */
#define NVME_LM_OPC_GET_LBA_STATUS	0x86	/* NVM CS; ATYPE 02h is TP4165 */

/* ------------------------------------------------------------------------
 * Common CDW10: MOS in bits 31:16, SEL in bits 7:0 [digest 2]. Track
 * Receive has only SEL (bits 31:8 reserved).
 */
#define NVME_LM_CDW10_SEL_SHIFT		0
#define NVME_LM_CDW10_SEL_MASK		0xffU
#define NVME_LM_CDW10_MOS_SHIFT		16
#define NVME_LM_CDW10_MOS_MASK		0xffffU
#define NVME_LM_CDW10(sel, mos)						\
	(((((__u32)(mos)) & NVME_LM_CDW10_MOS_MASK) << NVME_LM_CDW10_MOS_SHIFT) | \
	 ((((__u32)(sel)) & NVME_LM_CDW10_SEL_MASK) << NVME_LM_CDW10_SEL_SHIFT))

/* CNTLID / CDQID in bits 15:0 of a dword (CDW11 of most commands). */
#define NVME_LM_ID_MASK			0xffffU

/* ------------------------------------------------------------------------
 * Controller Data Queue, opcode 45h [digest 3]
 */
#define NVME_LM_CDQ_SEL_CREATE		0x0
#define NVME_LM_CDQ_SEL_DELETE		0x1
/* Create: MOS[7:0] = QT (CDW10 bits 23:16). */
#define NVME_LM_CDQ_MOS_QT_MASK		0xffU
#define NVME_LM_CDQ_QT_UDMQ		0x0	/* User Data Migration Queue */
/* Create CDW11: CQS (= CNTLID for QT 0) in 31:16, PC in bit 0. */
#define NVME_LM_CDQ_CDW11_CQS_SHIFT	16
#define NVME_LM_CDQ_CDW11_PC		(1U << 0)
#define NVME_LM_CDQ_CREATE_CDW11(cntlid, pc)				\
	(((((__u32)(cntlid)) & NVME_LM_ID_MASK) << NVME_LM_CDQ_CDW11_CQS_SHIFT) | \
	 ((pc) ? NVME_LM_CDQ_CDW11_PC : 0))
/* Create CDW12: CDQSIZE in dwords. Delete CDW11 bits 15:0: CDQID. */
#define NVME_LM_CDQ_BYTES_TO_CDQSIZE(bytes)	((__u32)((bytes) >> 2))
/* Create completion DW0 bits 15:0: the new CDQID. */
#define NVME_LM_CDQ_DW0_CDQID(dw0)	((__u16)((dw0) & NVME_LM_ID_MASK))

/* ------------------------------------------------------------------------
 * Feature 21h: Controller Data Queue [digest 3.7]
 */
#define NVME_LM_FID_CDQ			0x21
#define NVME_LM_FEAT_CDQ_CDW11_ETPT	(1U << 31)	/* one-shot trigger */
#define NVME_LM_FEAT_CDQ_CDW11(cdqid, etpt)				\
	((((__u32)(cdqid)) & NVME_LM_ID_MASK) |				\
	 ((etpt) ? NVME_LM_FEAT_CDQ_CDW11_ETPT : 0))
/* Set Features CDW12 = HP (head slot), CDW13 = TPT (slot index). */

/**
 * struct nvme_lm_feat_cdq - Get Features FID 21h data (Fig 427)
 * @hp: Head Pointer, a slot index.
 * @tpt: Tail Pointer Trigger slot; 0 when ETPT is clear.
 * @rsvd8: Reserved.
 */
struct nvme_lm_feat_cdq {
	__le32	hp;
	__le32	tpt;
	__u8	rsvd8[504];
};

/* ------------------------------------------------------------------------
 * Asynchronous Event: One-Shot (AET 100b) [digest 3.8]
 */
#define NVME_LM_AER_DW0_AET_MASK	0x7U
#define NVME_LM_AER_DW0_AEI_SHIFT	8
#define NVME_LM_AER_DW0_AEI_MASK	0xffU
#define NVME_LM_AER_DW0_LID_SHIFT	16
#define NVME_LM_AER_AET_ONESHOT		0x4
#define NVME_LM_AER_AEI_CDQ_TPT		0x00	/* CDQ Tail Pointer */
#define NVME_LM_AER_AEI_CDQ_FULL	0x01	/* CDQ Full Error */
#define NVME_LM_AER_DW0_AET(dw0)	((dw0) & NVME_LM_AER_DW0_AET_MASK)
#define NVME_LM_AER_DW0_AEI(dw0)					\
	(((dw0) >> NVME_LM_AER_DW0_AEI_SHIFT) & NVME_LM_AER_DW0_AEI_MASK)
/* Completion DW1 (EVNTSP) bits 15:0: the CDQID. */
#define NVME_LM_AER_DW1_CDQID(dw1)	((__u16)((dw1) & NVME_LM_ID_MASK))

/* ------------------------------------------------------------------------
 * LBA Migration Queue Entry Type 0, 32 bytes [digest 3.9, NVM CS Fig 177]
 */
#define NVME_LM_LBAMQF_TYPE0		0x0

/**
 * struct nvme_lm_lbamqe0 - LBA Migration Queue Entry Type 0
 * @nsid: Namespace ID; 0 when LBACIR is 10b.
 * @nlb: Number of logical blocks, 0's based; 0 when LBACIR is 10b.
 * @slba: Starting LBA; 0 when LBACIR is not 00b.
 * @rsvd16: Reserved.
 * @lbamqa: Attributes: LBACIR, DLBA, ESA, CDQP (see NVME_LM_LBAMQA_*).
 */
struct nvme_lm_lbamqe0 {
	__le32	nsid;
	__le32	nlb;
	__le64	slba;
	__u8	rsvd16[15];
	__u8	lbamqa;
};

#define NVME_LM_LBAMQE0_LBAMQA_OFS	31	/* byte holding the phase tag */
#define NVME_LM_LBAMQA_CDQP		(1U << 0)
#define NVME_LM_LBAMQA_ESA_SHIFT	1
#define NVME_LM_LBAMQA_ESA_MASK		0x7U
#define NVME_LM_LBAMQA_DLBA		(1U << 5)
#define NVME_LM_LBAMQA_LBACIR_SHIFT	6
#define NVME_LM_LBAMQA_LBACIR_MASK	0x3U
#define NVME_LM_LBAMQA_ESA(a)						\
	(((a) >> NVME_LM_LBAMQA_ESA_SHIFT) & NVME_LM_LBAMQA_ESA_MASK)
#define NVME_LM_LBAMQA_LBACIR(a)					\
	(((a) >> NVME_LM_LBAMQA_LBACIR_SHIFT) & NVME_LM_LBAMQA_LBACIR_MASK)
/* ESA values */
#define NVME_LM_ESA_MIDDLE		0x0
#define NVME_LM_ESA_FIRST		0x1	/* logging started or resumed */
#define NVME_LM_ESA_LAST_STOPPED	0x2	/* host stopped logging */
#define NVME_LM_ESA_LAST_SUSPENDED	0x3	/* controller suspended */
#define NVME_LM_ESA_LAST_FULL		0x7	/* queue full; logging stopped */
/* LBACIR values */
#define NVME_LM_LBACIR_RANGE		0x0	/* SLBA and NLB valid */
#define NVME_LM_LBACIR_ALL		0x1	/* every LBA of NSID changed */
#define NVME_LM_LBACIR_NONE		0x2	/* no range reported */

/* ------------------------------------------------------------------------
 * Track Send, opcode 3Dh [digest 4.1]
 */
#define NVME_LM_TSEND_SEL_LOG_USER_DATA	0x0
#define NVME_LM_TSEND_SEL_TRACK_MEMORY	0x1
/* SEL 0: MOS[3:0] = LACT (CDW10 bits 19:16); CDW11 bits 15:0 = CDQID. */
#define NVME_LM_TSEND_LACT_MASK		0xfU
#define NVME_LM_TSEND_LACT_STOP		0x0
#define NVME_LM_TSEND_LACT_START	0x1
/* SEL 1: MOS[0] = TACT (CDW10 bit 16); CDW11 bits 15:0 = CNTLID. */
#define NVME_LM_TSEND_TACT_STOP		0x0
#define NVME_LM_TSEND_TACT_START	0x1
/* Not Enough Resources (38h) completion: DW0 15:0 MRTG, DW1 NMRTD. */
#define NVME_LM_TSEND_DW0_MRTG(dw0)	((__u16)((dw0) & 0xffffU))

/**
 * struct nvme_lm_mrtd - Memory Range Tracking Descriptor (Fig 469)
 * @saddr: Start address (the migratable controller's DMA address),
 *	aligned to the requested granularity.
 * @len: Length in granularity units.
 *
 * 12 bytes, so packed: descriptors follow each other without padding and
 * the second one's @saddr is only 4-byte aligned.
 */
struct nvme_lm_mrtd {
	__le64	saddr;
	__le32	len;
} __attribute__((packed));

/**
 * struct nvme_lm_track_mem - Track Memory Changes data (Fig 468)
 * @ver: Version, 0.
 * @rsvd1: Reserved.
 * @rmrtg: Requested granularity, 2^n * 4 KiB.
 * @rnmrtd: Number of descriptors, 1's based.
 * @desc: @rnmrtd descriptors.
 *
 * Transfer length is 8 + 12 * @rnmrtd bytes.
 */
struct nvme_lm_track_mem {
	__u8			ver;
	__u8			rsvd1[2];
	__u8			rmrtg;
	__le32			rnmrtd;
	struct nvme_lm_mrtd	desc[];
};

/* ------------------------------------------------------------------------
 * Track Receive, opcode 3Eh [digest 4.2]
 */
#define NVME_LM_TRECV_SEL_TRACKED_MEMORY	0x0
/* CDW11 bits 15:0 = CNTLID; CDW12 = NUMDL, 0's based. */
#define NVME_LM_TMC_ATTRB_MTR		(1U << 0)	/* more to report */
#define NVME_LM_TMC_ATTRB_SUSP		(1U << 1)	/* was suspended */

/**
 * struct nvme_lm_tmc_hdr - Tracked Memory Change data structure (Fig 460)
 * @ver: Version, 0.
 * @attrb: Attributes (NVME_LM_TMC_ATTRB_*).
 * @cntlid: Controller the changes belong to.
 * @ntmcd: Number of descriptors that follow.
 * @rpmpg: Reported granularity, 2^n * 4 KiB.
 * @rsvd10: Reserved.
 */
struct nvme_lm_tmc_hdr {
	__u8	ver;
	__u8	attrb;
	__le16	cntlid;
	__le32	ntmcd;
	__le16	rpmpg;
	__u8	rsvd10[6];
};

/**
 * struct nvme_lm_tmcd - Tracked Memory Changed Descriptor (Fig 461)
 * @saddr: Start address, aligned to the reported granularity.
 * @len: Length in granularity units.
 * @rsvd12: Reserved.
 */
struct nvme_lm_tmcd {
	__le64	saddr;
	__le32	len;
	__le32	rsvd12;
};

/* ------------------------------------------------------------------------
 * Migration Send, opcode 41h [digest 5]
 */
#define NVME_LM_MSEND_SEL_SUSPEND	0x0
#define NVME_LM_MSEND_SEL_RESUME	0x1
#define NVME_LM_MSEND_SEL_SET_STATE	0x2
/* Suspend CDW11: DUDMQ bit 31, STYPE 23:16, CNTLID 15:0. */
#define NVME_LM_MSEND_DUDMQ		(1U << 31)
#define NVME_LM_MSEND_STYPE_SHIFT	16
#define NVME_LM_MSEND_STYPE_MASK	0xffU
#define NVME_LM_STYPE_NOTIFY		0x0	/* Suspend Notification */
#define NVME_LM_STYPE_SUSPEND		0x1
#define NVME_LM_MSEND_SUSPEND_CDW11(cntlid, stype, dudmq)		\
	((((__u32)(cntlid)) & NVME_LM_ID_MASK) |			\
	 ((((__u32)(stype)) & NVME_LM_MSEND_STYPE_MASK) << NVME_LM_MSEND_STYPE_SHIFT) | \
	 ((dudmq) ? NVME_LM_MSEND_DUDMQ : 0))
/* Set Controller State: MOS[1:0] = SEQIND (CDW10 bits 17:16). */
#define NVME_LM_SEQIND_MASK		0x3U
#define NVME_LM_SEQIND_MIDDLE		0x0
#define NVME_LM_SEQIND_FIRST		0x1
#define NVME_LM_SEQIND_LAST		0x2	/* verify and commit */
#define NVME_LM_SEQIND_ONLY		0x3
/* Set Controller State CDW11: CSUUIDI 31:24, CSVI 23:16, CNTLID 15:0. */
#define NVME_LM_CSUUIDI_SHIFT		24
#define NVME_LM_CSVI_SHIFT		16
#define NVME_LM_IDX_MASK		0xffU
#define NVME_LM_MSEND_STATE_CDW11(cntlid, csvi, csuuidi)		\
	((((__u32)(cntlid)) & NVME_LM_ID_MASK) |			\
	 ((((__u32)(csvi)) & NVME_LM_IDX_MASK) << NVME_LM_CSVI_SHIFT) |	\
	 ((((__u32)(csuuidi)) & NVME_LM_IDX_MASK) << NVME_LM_CSUUIDI_SHIFT))
/* CDW12/13: byte offset (dword aligned); CDW15: NUMD, NOT 0's based. */
#define NVME_LM_CDW14_UIDX_MASK		0x7fU

/* ------------------------------------------------------------------------
 * Migration Receive, opcode 42h [digest 6]
 */
#define NVME_LM_MRECV_SEL_GET_STATE	0x0
/* MOS[7:0] = CSVI (CDW10 bits 23:16). */
/* CDW11: CSUIDXP 31:24, CSUUIDI 23:16, CNTLID 15:0. */
#define NVME_LM_CSUIDXP_SHIFT		24
#define NVME_LM_MRECV_CSUUIDI_SHIFT	16
#define NVME_LM_MRECV_CDW11(cntlid, csuuidi, csuidxp)			\
	((((__u32)(cntlid)) & NVME_LM_ID_MASK) |			\
	 ((((__u32)(csuuidi)) & NVME_LM_IDX_MASK) << NVME_LM_MRECV_CSUUIDI_SHIFT) | \
	 ((((__u32)(csuidxp)) & NVME_LM_IDX_MASK) << NVME_LM_CSUIDXP_SHIFT))
/* CDW12/13: byte offset; CDW15: NUMDL, 0's based. */
#define NVME_LM_BYTES_TO_NUMD0(bytes)	((__u32)((bytes) >> 2) - 1)
#define NVME_LM_MRECV_DW0_CSUP		(1U << 0)	/* suspended throughout */

/* ------------------------------------------------------------------------
 * Controller State data structures [digest 7]
 */

/**
 * struct nvme_lm_ctrl_state_hdr - Controller State header (Fig 358)
 * @ver: Version, 0.
 * @csattr: Attributes; bit 0 CP (controller suspended).
 * @rsvd3: Reserved.
 * @nvmecss: Size of the NVMe Controller State in dwords, a 128-bit
 *	little-endian value (low quadword first).
 * @vss: Size of the vendor-specific data in dwords, 128-bit.
 *
 * The NVMe Controller State follows at byte 48, then the vendor data.
 */
struct nvme_lm_ctrl_state_hdr {
	__le16	ver;
	__u8	csattr;
	__u8	rsvd3[13];
	__le64	nvmecss[2];
	__le64	vss[2];
};

#define NVME_LM_CSATTR_CP		(1U << 0)

/**
 * struct nvme_lm_nvmecs_hdr - NVMe Controller State, version 0 (Fig 359)
 * @ver: Version; the value listed in the CNS 20h version list.
 * @niosq: Number of I/O Submission Queue State entries.
 * @niocq: Number of I/O Completion Queue State entries.
 * @rsvd6: Reserved.
 *
 * Followed by @niosq &struct nvme_lm_iosq_state in ascending SQID, then
 * @niocq &struct nvme_lm_iocq_state in ascending CQID. Its size in dwords
 * is 2 + 6 * (@niosq + @niocq).
 */
struct nvme_lm_nvmecs_hdr {
	__le16	ver;
	__le16	niosq;
	__le16	niocq;
	__le16	rsvd6;
};

/**
 * struct nvme_lm_iosq_state - I/O Submission Queue State (Fig 360)
 * @prp1: PRP1 of the Create I/O SQ command.
 * @qsize: Queue size, 0's based.
 * @qid: Submission queue ID.
 * @cqid: Completion queue ID it posts to.
 * @attr: Attributes: QPRIO 2:1, PC 0.
 * @hp: Head pointer.
 * @tp: Tail pointer.
 * @rsvd20: Reserved.
 */
struct nvme_lm_iosq_state {
	__le64	prp1;
	__le16	qsize;
	__le16	qid;
	__le16	cqid;
	__le16	attr;
	__le16	hp;
	__le16	tp;
	__u8	rsvd20[4];
};

#define NVME_LM_IOSQA_PC		(1U << 0)
#define NVME_LM_IOSQA_QPRIO_SHIFT	1
#define NVME_LM_IOSQA_QPRIO_MASK	0x3U

/**
 * struct nvme_lm_iocq_state - I/O Completion Queue State (Fig 361)
 * @prp1: PRP1 of the Create I/O CQ command.
 * @qsize: Queue size, 0's based.
 * @qid: Completion queue ID.
 * @hp: Head pointer.
 * @tp: Tail pointer.
 * @attr: Attributes (32 bits): IV 31:16, S0PT 2, IEN 1, PC 0.
 * @rsvd20: Reserved.
 */
struct nvme_lm_iocq_state {
	__le64	prp1;
	__le16	qsize;
	__le16	qid;
	__le16	hp;
	__le16	tp;
	__le32	attr;
	__u8	rsvd20[4];
};

#define NVME_LM_IOCQA_PC		(1U << 0)
#define NVME_LM_IOCQA_IEN		(1U << 1)
#define NVME_LM_IOCQA_S0PT		(1U << 2)
#define NVME_LM_IOCQA_IV_SHIFT		16
#define NVME_LM_IOCQA_IV_MASK		0xffffU

/* ------------------------------------------------------------------------
 * Identify [digest 1, 7.5, 8]
 */
#define NVME_LM_CNS_CTRL		0x01
#define NVME_LM_CNS_CS_NS		0x05	/* I/O CS specific namespace */
#define NVME_LM_CNS_CS_CTRL		0x06	/* I/O CS specific controller */
#define NVME_LM_CNS_PRIMARY_CAPS	0x14	/* Primary Controller Capabilities */
#define NVME_LM_CNS_SEC_LIST		0x15	/* Secondary Controller List */
#define NVME_LM_CNS_STATE_FMTS		0x20	/* Supported Ctrl State Formats */
#define NVME_LM_CSI_NVM			0x00
#define NVME_LM_IDENTIFY_LEN		4096

/* Identify Controller (CNS 01h) byte offsets. */
#define NVME_LM_ID_CTRL_MDTS_OFS	77	/* u8, 2^n * CAP.MPSMIN */
#define NVME_LM_ID_CTRL_CNTLID_OFS	78	/* le16 */
#define NVME_LM_ID_CTRL_OACS_OFS	256	/* le16 */
#define NVME_LM_OACS_HMLMS		(1U << 11)
#define NVME_LM_ID_CTRL_HMPRE_OFS	272	/* le32; 0 when HMLMS anywhere */
#define NVME_LM_ID_CTRL_HMLM_OFS	570	/* struct nvme_lm_id_ctrl_hmlm */

/**
 * struct nvme_lm_id_ctrl_hmlm - HMLM fields of Identify Controller,
 *	bytes 570..587 (Fig 312)
 * @cmmrtd: Controller max Memory Range Tracking Descriptors.
 * @nmmrtd: Subsystem max Memory Range Tracking Descriptors.
 * @minmrtg: Minimum Memory Range Tracking Granularity (RMRTG units).
 * @maxmrtg: Maximum Memory Range Tracking Granularity.
 * @trattr: Tracking attributes (NVME_LM_TRATTR_*).
 * @rsvd7: Reserved (byte 577).
 * @mcudmq: Max User Data Migration Queues in this controller.
 * @mnsudmq: Max User Data Migration Queues in the subsystem.
 * @mcmr: Max memory ranges one CDQ's PRP1 may describe; 0 = not reported.
 * @nmcmr: Max CDQ memory ranges in the subsystem; 0 = not reported.
 * @mcdqpc: Max PRPs in a CDQ PRP list; 0 = not reported.
 */
struct nvme_lm_id_ctrl_hmlm {
	__le16	cmmrtd;
	__le16	nmmrtd;
	__u8	minmrtg;
	__u8	maxmrtg;
	__u8	trattr;
	__u8	rsvd7;
	__le16	mcudmq;
	__le16	mnsudmq;
	__le16	mcmr;
	__le16	nmcmr;
	__le16	mcdqpc;
};

#define NVME_LM_TRATTR_THMCS		(1U << 0)	/* host memory */
#define NVME_LM_TRATTR_TUDCS		(1U << 1)	/* user data */
#define NVME_LM_TRATTR_MRTLL		(1U << 2)	/* power-of-2 lengths */

/* NVM Command Set Identify Controller (CNS 06h, CSI 00h). */
#define NVME_LM_ID_CTRL_NVM_AOCS_OFS	18	/* le16 */
#define NVME_LM_AOCS_RALBAS		(1U << 0)
#define NVME_LM_ID_CTRL_NVM_LBAMQF_OFS	24	/* u8 */
/* NVM Command Set Identify Namespace (CNS 05h, CSI 00h). */
#define NVME_LM_ID_NS_NVM_TLBAAG_OFS	292	/* le32, logical blocks */

/**
 * struct nvme_lm_sec_ctrl - Secondary Controller Entry (Fig 332)
 * @scid: Secondary Controller Identifier (the migratable CNTLID).
 * @pcid: Primary Controller Identifier.
 * @scs: Secondary Controller State; bit 0 = online.
 * @rsvd5: Reserved.
 * @vfn: Virtual Function Number (SR-IOV VF number, >= 1).
 * @nvq: Number of VQ Flexible Resources assigned.
 * @nvi: Number of VI Flexible Resources assigned.
 * @rsvd14: Reserved.
 */
struct nvme_lm_sec_ctrl {
	__le16	scid;
	__le16	pcid;
	__u8	scs;
	__u8	rsvd5[3];
	__le16	vfn;
	__le16	nvq;
	__le16	nvi;
	__u8	rsvd14[18];
};

#define NVME_LM_SCS_ONLINE		(1U << 0)
#define NVME_LM_SEC_LIST_MAX		127

/**
 * struct nvme_lm_sec_list - Secondary Controller List, CNS 15h (Fig 331)
 * @numid: Number of entries (at most 127).
 * @rsvd1: Reserved.
 * @sc: Entries with SCID >= the CNTID given in the command.
 */
struct nvme_lm_sec_list {
	__u8			numid;
	__u8			rsvd1[31];
	struct nvme_lm_sec_ctrl	sc[NVME_LM_SEC_LIST_MAX];
};

/**
 * struct nvme_lm_state_fmts - Supported Controller State Formats,
 *	CNS 20h (Fig 329)
 * @nv: Number of NVMe Controller State versions.
 * @nuuid: Number of vendor-specific state UUIDs.
 * @vers: @nv version values; CSVI i (1-based) selects @vers[i - 1].
 *
 * The @nuuid 16-byte UUIDs follow the versions, packed: UUID j (1-based,
 * the CSUUIDI) starts at NVME_LM_STATE_FMTS_UUID_OFS(@nv, j).
 */
struct nvme_lm_state_fmts {
	__u8	nv;
	__u8	nuuid;
	__le16	vers[];
};

#define NVME_LM_UUID_LEN		16
#define NVME_LM_STATE_FMTS_VER_OFS(i)	(2U * (i))
#define NVME_LM_STATE_FMTS_UUID_OFS(nv, j)				\
	((((__u32)(nv)) + 1) * 2 + NVME_LM_UUID_LEN * (((__u32)(j)) - 1))

/* ------------------------------------------------------------------------
 * Get LBA Status, opcode 86h, ATYPE 02h (TP4165) [digest 10]
 */
/* CDW10/11 = SLBA; CDW12 = MNDW (0's based); CDW13: ATYPE 31:24, RL 15:0. */
#define NVME_LM_GLS_ATYPE_SHIFT		24
#define NVME_LM_GLS_ATYPE_ALLOCATED	0x02
#define NVME_LM_GLS_RL_MASK		0xffffU
#define NVME_LM_GLS_CDW13(atype, rl)					\
	(((((__u32)(atype)) & 0xffU) << NVME_LM_GLS_ATYPE_SHIFT) |	\
	 (((__u32)(rl)) & NVME_LM_GLS_RL_MASK))

/**
 * struct nvme_lm_lba_status_hdr - LBA Status Descriptor List header
 *	(NVM CS Fig 131)
 * @nlsd: Number of descriptors that follow.
 * @cmpc: Completion condition (NVME_LM_CMPC_*).
 * @rsvd5: Reserved.
 */
struct nvme_lm_lba_status_hdr {
	__le32	nlsd;
	__u8	cmpc;
	__u8	rsvd5[3];
};

#define NVME_LM_CMPC_NONE		0x0
#define NVME_LM_CMPC_INCOMPLETE		0x1	/* MNDW exhausted, more left */
#define NVME_LM_CMPC_COMPLETE		0x2

/**
 * struct nvme_lm_lba_status_desc - LBA Status Descriptor Entry
 *	(NVM CS Fig 132)
 * @dslba: Descriptor starting LBA.
 * @nlb: Number of logical blocks, 0's based (NVM CS 1.2).
 * @rsvd12: Reserved.
 * @stas: Status; bits 2:0 LBARS.
 * @rsvd14: Reserved.
 */
struct nvme_lm_lba_status_desc {
	__le64	dslba;
	__le32	nlb;
	__u8	rsvd12;
	__u8	stas;
	__u8	rsvd14[2];
};

#define NVME_LM_STAS_LBARS_MASK		0x7U
#define NVME_LM_LBARS_ALLOCATED		0x2

/* ------------------------------------------------------------------------
 * Status codes [digest 9]. Linux reports an NVMe status as
 * (DNR << 14 | M << 13 | SCT << 8 | SC), the CQE status field shifted
 * right by one; the passthrough ioctls return that value.
 */
#define NVME_LM_SCT_GENERIC		0x0
#define NVME_LM_SCT_CMD_SPECIFIC	0x1
#define NVME_LM_STATUS(sct, sc)		((((sct) & 0x7U) << 8) | ((sc) & 0xffU))
#define NVME_LM_STATUS_SC(st)		((st) & 0xffU)
#define NVME_LM_STATUS_SCT(st)		(((st) >> 8) & 0x7U)
#define NVME_LM_STATUS_MORE		0x2000U
#define NVME_LM_STATUS_DNR		0x4000U
/* Generic (SCT 0) */
#define NVME_LM_SC_INVALID_OPCODE	0x01
#define NVME_LM_SC_INVALID_FIELD	0x02
#define NVME_LM_SC_CMD_SEQ_ERROR	0x0c
#define NVME_LM_SC_PRP_OFFSET_INVALID	0x13
/* Command specific (SCT 1) */
#define NVME_LM_SC_INVALID_CTRL_ID	0x1f
#define NVME_LM_SC_INVALID_CDQ		0x37
#define NVME_LM_SC_NOT_ENOUGH_RES	0x38
#define NVME_LM_SC_CTRL_SUSPENDED	0x39
#define NVME_LM_SC_CTRL_NOT_SUSPENDED	0x3a
#define NVME_LM_SC_CDQ_FULL		0x3b

/* ------------------------------------------------------------------------
 * Size checks
 */
_Static_assert(sizeof(struct nvme_lm_feat_cdq) == 512, "FID 21h data");
_Static_assert(sizeof(struct nvme_lm_lbamqe0) == 32, "LBAMQE type 0");
_Static_assert(sizeof(struct nvme_lm_mrtd) == 12, "MRT descriptor");
_Static_assert(sizeof(struct nvme_lm_track_mem) == 8, "Track Memory hdr");
_Static_assert(sizeof(struct nvme_lm_tmc_hdr) == 16, "Tracked Mem hdr");
_Static_assert(sizeof(struct nvme_lm_tmcd) == 16, "Tracked Mem desc");
_Static_assert(sizeof(struct nvme_lm_ctrl_state_hdr) == 48, "CS header");
_Static_assert(sizeof(struct nvme_lm_nvmecs_hdr) == 8, "NVMECS header");
_Static_assert(sizeof(struct nvme_lm_iosq_state) == 24, "I/O SQ state");
_Static_assert(sizeof(struct nvme_lm_iocq_state) == 24, "I/O CQ state");
_Static_assert(sizeof(struct nvme_lm_id_ctrl_hmlm) == 18, "HMLM id block");
_Static_assert(sizeof(struct nvme_lm_sec_ctrl) == 32, "sec ctrl entry");
_Static_assert(sizeof(struct nvme_lm_sec_list) == 4096, "sec ctrl list");
_Static_assert(sizeof(struct nvme_lm_state_fmts) == 2, "CNS 20h header");
_Static_assert(sizeof(struct nvme_lm_lba_status_hdr) == 8, "LBA status hdr");
_Static_assert(sizeof(struct nvme_lm_lba_status_desc) == 16, "LBA status");

#endif /* _NVME_LM_H */
