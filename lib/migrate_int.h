/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libhmlm internals of the migration files: not installed. */
#ifndef HMLM_MIGRATE_INT_H
#define HMLM_MIGRATE_INT_H

#include <stddef.h>
#include <stdint.h>
#include "hmlm.h"

int hmlm_csvi_of(const struct hmlm_caps *caps, uint16_t version);
int hmlm_csuuidi_of(const struct hmlm_caps *caps, const uint8_t *uuid);
int hmlm_state_get_caps(struct hmlm_session *session,
			const struct hmlm_caps *caps,
			const struct hmlm_state_fmt *fmt, uint32_t size_hint,
			struct hmlm_state *state);
int hmlm_state_set_caps(struct hmlm_session *session,
			const struct hmlm_caps *caps,
			const struct hmlm_state *state);

/* A namespace's block device (copy.c). */
struct hmlm_bdev {
	int fd;
	uint32_t lba_size;
	uint64_t nlbas;
	int direct;		/* opened with O_DIRECT */
};

#define HMLM_COPY_BUF	(1U << 20)	/* bytes per read/write */

int hmlm_bdev_open(const char *path, int write, struct hmlm_bdev *b);
void hmlm_bdev_close(struct hmlm_bdev *b);
void *hmlm_buf_alloc(size_t len);
int hmlm_bdev_read(const struct hmlm_bdev *b, uint64_t slba, uint64_t nlb,
		   void *buf);
int hmlm_bdev_write(const struct hmlm_bdev *b, uint64_t slba, uint64_t nlb,
		    const void *buf);
int hmlm_bdev_zero(const struct hmlm_bdev *b, uint64_t slba, uint64_t nlb);
int hmlm_bdev_sync(const struct hmlm_bdev *b);
int hmlm_bdev_check(const struct hmlm_bdev *b, int mmc_fd, uint32_t nsid);
uint64_t hmlm_now_ns(void);

#endif
