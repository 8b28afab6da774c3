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
int hmlm_bdev_in_subsys(const struct hmlm_bdev *b, int mmc_fd);
uint64_t hmlm_now_ns(void);

/* The migration engine (migrate.c), shared with migrate_stream.c. */
#include <liburing.h>

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
	struct io_uring ring;	/* the copy engine's, one per migration */
	int ring_ready;		/* @ring is set up; batches need it */
	int ring_not_run;	/* io_uring cancelled an operation unrun:
				 * hmlm_mig_copy_pieces() redoes its batch */
	int sync_io;		/* no ring (setup failed): one extent at a time */
	int ring_unsent;	/* a submission failed: SQEs the kernel never
				 * took are queued; the ring goes once idle */
	unsigned int ring_inflight;	/* submitted, not yet reaped */
	void *batch_buf;	/* BATCH_BYTES */
	int mem_tracking;
	int need_full;		/* the queue overflowed: copy everything again */
	int cancel_ok;		/* the progress callback may still cancel */
	int stopped;		/* the source is suspended: time the callbacks */
	int src_suspend_sent;	/* a Suspend went to the source: cancel resumes */
	int dst_suspended;	/* hmlm_migrate(): the target suspended (KEEP) */
	int dst_state_sent;	/* hmlm_migrate(): Set Controller State sent */
	int committed;		/* the source is KEEP: no way back */
	int beside;		/* hmlm_migrate_data(): another party suspends */
	uint64_t deadline_ns;	/* the stop phase ends by then (0: none) */
	int no_queue;		/* reduced: no migration queue, stop-and-copy */
	int mem_all;		/* reduced: no memory tracking, all dirty */
	unsigned int round;	/* the round being copied */
	uint64_t *round_bytes;	/* where the current round counts */
	/* the last copy: its bytes, extents (0: unknown) and time */
	uint64_t rate_bytes, rate_extents, rate_ns;
};

int hmlm_mig_progress(struct mig *m, enum hmlm_phase phase);
int hmlm_mig_deadline(struct mig *m);
int hmlm_mig_fail(struct mig *m, enum hmlm_step step, int ret);
int hmlm_mig_plan(struct mig *m, const struct hmlm_caps *sc,
		  const struct hmlm_caps *dc, struct hmlm_state_fmt *fmt);
void hmlm_mig_params_defaults(struct hmlm_migrate_params *out,
			      const struct hmlm_migrate_params *in);
int hmlm_mig_check_map(const struct hmlm_ns_map *ns, unsigned int nr_ns);
int hmlm_mig_setup(struct mig *m, const struct hmlm_ns_map *map,
		   unsigned int nr_ns, int local);
void hmlm_mig_free(struct mig *m);
int hmlm_mig_run_live(struct mig *m);
int hmlm_mig_run_suspended(struct mig *m, uint64_t *t_suspended);
void hmlm_mig_cancel_source(struct mig *m);
int hmlm_mig_suspend(struct hmlm_session *s, unsigned int flags,
		     unsigned int tmo_ms, uint64_t end_ns);
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
int hmlm_mig_data(struct hmlm_session *src, const struct hmlm_ns_map *ns,
		  unsigned int nr_ns, int stopped_fd,
		  const struct hmlm_migrate_params *params,
		  struct hmlm_migrate_report *report);
void hmlm_mig_budget_check(struct mig *m);

/* The engine's constants (migrate*.c) */
#define DEFAULT_ROUNDS		8
/* stop-and-copy time the rounds aim at when no budget is given */
#define DEFAULT_STOPCOPY_US	250
/* rounds in a row whose dirty bytes did not shrink before giving up */
#define NO_PROGRESS_ROUNDS	3
#define DIRTY_MAX_EXTENTS	65536
#define ALLOC_MAX_EXTENTS	(1U << 18)
#define DRAIN_TIMEOUT_MS	30000
/* a wait is cut in slices this long: the callback may cancel in between */
#define WAIT_SLICE_MS		100
/* how long a cancel waits for a Suspend in flight to end (admin timeout) */
#define RESUME_WAIT_MS		60000
/* SCT 1h SC 3Ah: Controller Not Suspended; the status without DNR, More */
#define NVME_STATUS_NOT_SUSP	0x13a
/* SCT 1h SC 39h: Controller Suspended (Track Send on a suspended one) */
#define NVME_STATUS_SUSP	0x139
#define NVME_STATUS_SCT_SC	0x7ff
#define MEM_BATCH		1024
#define MEM_MAX_RECVS		100000
/* Get Controller State straight into a buffer this large (bytes) */
#define STATE_SIZE_HINT		4096
/* the dirty extents go in batches of asynchronous direct I/O */
#define BATCH_IOS		128
#define BATCH_BYTES		(4U << 20)

struct piece {
	struct mig_ns *n;
	uint64_t slba, nlb;
	size_t off;		/* in batch_buf */
};

/*
 * The stop-and-copy of hmlm_migrate() as one batch whose reads overlap
 * the last memory report and whose writes overlap Get Controller State
 * (admin commands of the downtime). Only a set that fits one batch; a
 * larger one is copied by copy_dirty() at once.
 */
struct final_copy {
	struct piece pc[BATCH_IOS];
	unsigned int nr;	/* pieces; 0: none planned */
	unsigned int inflight;	/* reads, then writes, submitted */
	int writing;		/* the writes are the ones in flight */
	int ret;		/* the first error */
	uint64_t t0;		/* the stop-and-copy started */
};

/* Shared between the phases (migrate*.c) */
struct mig_ns *hmlm_mig_ns_by_src(struct mig *m, uint32_t nsid);
int hmlm_mig_put_zero(struct mig *m, struct mig_ns *n, uint64_t slba,
		      uint64_t nlb);
int hmlm_mig_copy_pieces(struct mig *m, const struct piece *pc,
			 unsigned int nr);
int hmlm_mig_copy_range(struct mig *m, struct mig_ns *n, uint64_t slba,
			uint64_t nlb);
void hmlm_mig_rate_note(struct mig *m, uint64_t bytes, uint64_t extents,
			uint64_t ns);
unsigned int hmlm_mig_ring_submit(struct mig *m, const struct piece *pc,
				  unsigned int nr, int write, int *ret);
unsigned int hmlm_mig_ring_submit_fdsync(struct mig *m, int *ret);
long hmlm_mig_ring_reap(struct mig *m, long nr, int *res, int *err);
int hmlm_mig_ring_wait_all(struct mig *m, unsigned int sub, int ret);
int hmlm_mig_ring_run(struct mig *m, const struct piece *pc, unsigned int nr,
		      int write);
void hmlm_mig_ring_free(struct mig *m);
void hmlm_mig_batch_account(struct mig *m, const struct piece *pc,
			    unsigned int nr);
int hmlm_mig_batch_ready(struct mig *m);
int hmlm_mig_copy_dirty(struct mig *m);
int hmlm_mig_dirty_clear(struct mig *m);
int hmlm_mig_full_pass(struct mig *m);
int hmlm_mig_poll_log(struct mig *m);
int hmlm_mig_mem_report(struct mig *m, const struct hmlm_mem_range *r,
			unsigned int n);
int hmlm_mig_mem_drain(struct mig *m, int final);
void hmlm_mig_mem_stop(struct mig *m);
int hmlm_mig_write_round(struct mig *m, uint32_t flags, uint64_t dirty);
int hmlm_mig_settle_round(struct mig *m);
int hmlm_mig_final_copy_write(struct mig *m, struct final_copy *fc, int ok);
int hmlm_mig_final_copy_done(struct mig *m, struct final_copy *fc);
int hmlm_mig_stop_source(struct mig *m, uint64_t *t_suspended);
int hmlm_mig_finish_source(struct mig *m, struct final_copy *fc);
int hmlm_mig_mem_final(struct mig *m);
int hmlm_mig_sync_start(struct mig *m);
int hmlm_mig_sync_wait(struct mig *m, int nr);

#endif
