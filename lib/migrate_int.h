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

/* The migration engine (migrate.c), shared with migrate_stream.c. */
#include <linux/aio_abi.h>

struct mig_ns {
	const struct hmlm_ns_map *map;
	struct hmlm_bdev src;
	struct hmlm_bdev dst;	/* hmlm_migrate() only */
};

struct mig {
	struct hmlm_session *src, *dst;
	struct hmlm_stream_writer *w;	/* hmlm_migrate_out() only */
	struct mig_ns *ns;
	unsigned int nr_ns;
	struct hmlm_migrate_params p;
	struct hmlm_migrate_report *r;
	struct hmlm_extents *dirty;
	struct hmlm_log *log;
	struct hmlm_log *log_ended;	/* read to EOF, not yet closed */
	struct hmlm_progress prog;
	void *buf;
	aio_context_t aio;	/* 0: not set up; batches need it */
	int aio_failed;		/* io_setup() failed: one extent at a time */
	void *batch_buf;	/* BATCH_BYTES */
	int mem_tracking;
	int need_full;		/* the queue overflowed: copy everything again */
	int cancel_ok;		/* the progress callback may still cancel */
	int stopped;		/* the source is suspended: time the callbacks */
	int src_suspend_sent;	/* a Suspend went to the source: cancel resumes */
	int dst_suspended;	/* hmlm_migrate(): the target suspended (KEEP) */
	int dst_state_sent;	/* hmlm_migrate(): Set Controller State sent */
	int committed;		/* the source is KEEP: no way back */
	uint64_t deadline_ns;	/* the stop phase ends by then (0: none) */
	unsigned int round;	/* the round being copied */
	uint64_t *round_bytes;	/* where the current round counts */
	/* the last copy: its bytes, extents (0: unknown) and time */
	uint64_t rate_bytes, rate_extents, rate_ns;
};

int hmlm_mig_progress(struct mig *m, enum hmlm_phase phase);
int hmlm_mig_deadline(struct mig *m);
void hmlm_mig_params_defaults(struct hmlm_migrate_params *out,
			      const struct hmlm_migrate_params *in);
int hmlm_mig_check_map(const struct hmlm_ns_map *ns, unsigned int nr_ns);
int hmlm_mig_setup(struct mig *m, const struct hmlm_ns_map *map,
		   unsigned int nr_ns, int local);
void hmlm_mig_free(struct mig *m);
int hmlm_mig_run_live(struct mig *m);
int hmlm_mig_run_suspended(struct mig *m, uint64_t *t_suspended);
void hmlm_mig_cancel_source(struct mig *m);
int hmlm_mig_resume(struct hmlm_session *s);
int hmlm_mig_keep_source(struct mig *m);
int hmlm_mig_out(struct hmlm_session *src, const struct hmlm_ns_map *ns,
		 unsigned int nr_ns, int out_fd,
		 const struct hmlm_migrate_params *params,
		 struct hmlm_migrate_report *report);
int hmlm_mig_in(struct hmlm_session *dst, const struct hmlm_ns_map *ns,
		unsigned int nr_ns, int in_fd,
		const struct hmlm_migrate_params *params,
		struct hmlm_migrate_report *report);
void hmlm_mig_budget_check(struct mig *m);

#endif
