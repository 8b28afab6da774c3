/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libhmlm: NVMe Host Managed Live Migration for hypervisor management
 * daemons, on top of the nvme-hmlm kernel module (/dev/nvme-hmlm).
 *
 * Conventions (as liburing): functions return 0 or a positive count on
 * success and a negative errno on failure; they never print. When an NVMe
 * command failed with a status the function returns -EIO and the status is
 * available from the call's output structure or hmlm_session_nvme_status().
 */
#ifndef HMLM_H
#define HMLM_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HMLM_DEV_PATH		"/dev/nvme-hmlm"

/* hmlm_caps.flags */
#define HMLM_CAP_HMLMS		(1U << 0)	/* the controller can be an MMC */
#define HMLM_CAP_RALBAS		(1U << 1)	/* Get LBA Status ATYPE 02h */
#define HMLM_CAP_SEC_LIST	(1U << 2)	/* secondary controller list read */
#define HMLM_CAP_STATE_FMTS	(1U << 3)	/* state formats (CNS 20h) read */
#define HMLM_CAP_TRACK_MEM	(1U << 4)	/* TRATTR.THMCS */
#define HMLM_CAP_TRACK_LBA	(1U << 5)	/* TRATTR.TUDCS */
#define HMLM_CAP_MRTLL		(1U << 6)	/* tracked lengths: powers of 2 */

#define HMLM_MAX_STATE_FORMATS	8

/**
 * struct hmlm_caps - what a controller offers for live migration
 */
struct hmlm_caps {
	uint32_t flags;		/* HMLM_CAP_* */
	uint16_t cntlid;	/* the controller's own CNTLID */
	uint16_t oacs;
	uint32_t max_xfer;	/* bytes per command, as the kernel limits it */
	uint16_t nvme_status;	/* of a failed Identify, when -EIO */
	uint8_t min_mem_gran;	/* MINMRTG: 2^n * 4 KiB */
	uint8_t max_mem_gran;	/* MAXMRTG */
	uint16_t max_mem_ranges;	/* CMMRTD */
	uint16_t max_mem_ranges_subsys;	/* NMMRTD */
	uint16_t max_udmq;	/* MCUDMQ */
	uint16_t max_udmq_subsys;	/* MNSUDMQ */
	uint16_t max_cdq_ranges;	/* MCMR */
	uint16_t max_cdq_ranges_subsys;	/* NMCMR */
	uint16_t max_cdq_prps;	/* MCDQPC */
	uint8_t lba_mq_format;	/* LBAMQF */
	uint8_t num_state_versions;
	uint16_t state_versions[HMLM_MAX_STATE_FORMATS];	/* CSVI n: [n-1] */
	uint8_t num_state_uuids;
	uint8_t state_uuids[HMLM_MAX_STATE_FORMATS][16];	/* CSUUIDI n: [n-1] */
};

/**
 * struct hmlm_secondary - one migratable (secondary) controller of an MMC
 */
struct hmlm_secondary {
	uint16_t cntlid;	/* SCID: what a session binds to */
	uint16_t primary_cntlid;
	uint16_t vf;		/* SR-IOV VF number, 1 for VF1 */
	uint16_t queues;	/* virtual queue resources */
	uint16_t interrupts;	/* virtual interrupt resources */
	bool online;
};

struct hmlm_session;

int hmlm_get_caps(const char *nvme_dev, struct hmlm_caps *caps);
int hmlm_list_secondary(const char *nvme_dev, struct hmlm_secondary **list);
int hmlm_vf_cntlid(const char *nvme_dev, const char *vf, uint16_t *cntlid);

int hmlm_session_open(const char *mmc_dev, uint16_t cntlid,
		      struct hmlm_session **session);
void hmlm_session_close(struct hmlm_session *session);
int hmlm_session_fd(const struct hmlm_session *session);
uint16_t hmlm_session_cntlid(const struct hmlm_session *session);
uint16_t hmlm_session_nvme_status(const struct hmlm_session *session);

#ifdef __cplusplus
}
#endif

#endif /* HMLM_H */
