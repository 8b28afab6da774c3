/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libhmlm internals: not installed. */
#ifndef HMLM_INTERNAL_H
#define HMLM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "hmlm.h"

#define HMLM_EXPORT __attribute__((visibility("default")))

struct hmlm_session {
	int fd;			/* the /dev/nvme-hmlm file: the session */
	uint16_t cntlid;
	uint16_t mmc_cntlid;
	uint16_t vf;
	uint16_t nvme_status;	/* of the last failed NVMe command */
	int mmc_fd;		/* the MMC's /dev/nvmeN, for GET_CAPS */
};

int hmlm_dev_open(void);
#define HMLM_STRUCT_MAX	4096	/* the largest size a caller may pass */
int hmlm_struct_in(void *dst, size_t ksize, const void *src, size_t usize,
		   size_t minsize);
void hmlm_struct_out(void *dst, uint32_t usize, const void *src,
		     size_t ksize);
int hmlm_caps_get(struct hmlm_session *session, struct hmlm_caps *caps);
int hmlm_ioctl(int fd, unsigned long cmd, void *arg, uint16_t *nvme_status);
int hmlm_open_nvme(const char *nvme_dev);
unsigned int hmlm_log_last_marker(const struct hmlm_log *log);
struct nvme_hmlm_get_caps;
/* lib/crc32c.c: the reference implementation, and which one runs */
uint32_t hmlm_crc32c_portable(uint32_t crc, const void *buf, size_t len);
const char *hmlm_crc32c_impl(void);
void hmlm_caps_from_kernel(struct hmlm_caps *caps,
			   const struct nvme_hmlm_get_caps *k);

#endif
