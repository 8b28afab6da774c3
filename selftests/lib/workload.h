/* SPDX-License-Identifier: GPL-2.0 */
/*
 * workload: the VM's I/O on a migratable controller, for the end-to-end
 * migration tests and the benchmarks (selftests/e2e/, scripts/bench.sh).
 *
 * A workload owns one udrv controller (a VF, see udrv.h) and runs in its own
 * thread (udrv is one thread per controller). It keeps a mixed read / write
 * / deallocate load on two or more I/O queues at a total queue depth of 32
 * or more, and a verification map of what every LBA of its range must hold:
 *
 *   - every written block carries a header (magic, LBA, seed, generation)
 *     and a body derived from (seed, LBA, generation), so a stale block (an
 *     older generation), a torn multi-block write (blocks of two
 *     generations) or a misplaced block (another LBA) is detected;
 *   - generation 0 means "reads as zeroes" (never written, deallocated);
 *   - two commands in flight never overlap where one of them modifies, so
 *     the expected content of every LBA is exact at any time;
 *   - every read that completes is checked against the map at once.
 *
 * Commands are counted; each command carries a tag and must complete exactly
 * once (on whichever controller the workload is attached to).
 *
 * Migration hooks, called from another thread (the orchestrator's):
 *   wl_pause()   stop ringing doorbells, reap what completed, udrv_detach();
 *                the thread keeps queueing commands into the rings (no
 *                doorbell) while detached, up to wl_params.detached_max;
 *   wl_attach()  udrv_attach_continue() on another function (the migration
 *                target): the tails and heads it writes make the target
 *                fetch what was queued; the load goes on there.
 *
 * Host memory tracking: wl_dma_ranges() lists the DMA memory the controller
 * uses; between wl_mem_mark(w, true) and wl_mem_mark(w, false) the workload
 * records every 4 KiB page the controller wrote for commands submitted in
 * that window (completion queue slots, read data), for comparison with what
 * Track Receive reported.
 *
 * Conventions as udrv: 0 or a count on success, a negative errno on error.
 */
#ifndef _WORKLOAD_H
#define _WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "udrv.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Allocation patterns: what the fill writes and where the load goes. */
enum wl_pattern {
	WL_SPARSE = 0,	/* a few extents (~1/8 of the range); load mostly there */
	WL_FULL,	/* every LBA written; load uniform */
	WL_HOTSPOT,	/* ~1/4 written; 90% of the load in 1 to 4 hot spots */
	WL_NR_PATTERNS,
};

const char *wl_pattern_name(enum wl_pattern p);
/* "sparse", "full", "hotspot" -> pattern, or -EINVAL. */
int wl_pattern_parse(const char *s);

struct wl_params {
	const char *bdf;		/* the function to open (a VF), e.g. "0000:01:00.1" */
	uint32_t nsid;			/* 0: 1 */
	uint64_t seed;			/* data and choice of operations */
	enum wl_pattern pattern;
	uint64_t nlbas;			/* LBAs used from LBA 0; 0: the whole namespace */
	unsigned int nr_queues;		/* I/O queues used; 0: all granted (>= 2 required) */
	unsigned int io_qsize;		/* 0: 64 */
	unsigned int qdepth;		/* total commands in flight; 0: 48 (>= 32 asked) */
	unsigned int max_nlb;		/* blocks per command, 1..max; 0: 16 */
	unsigned int read_pct;		/* 0..100; default (with write_pct 0 too): 45 */
	unsigned int dealloc_pct;	/* Dataset Management deallocate; 0..100 */
	unsigned int write_pct;		/* the rest when 0 */
	unsigned int detached_max;	/* commands queued while detached; 0: 16 */
	unsigned int iops_limit;	/* 0: as fast as possible */
	bool no_load;			/* open + fill only (the thread idles) */
	size_t dma_pool_bytes;		/* 0: 8 MiB */
};

struct wl_stats {
	uint64_t submitted;		/* I/O commands put on a ring */
	uint64_t completed;		/* ... whose completion was reaped */
	uint64_t reads, writes, deallocs;
	uint64_t bytes_written, bytes_read;
	uint64_t read_checked;		/* LBAs checked by completed reads */
	uint64_t errors;		/* commands completed with an NVMe error */
	uint64_t mismatches;		/* LBAs a read or verify found wrong */
	uint64_t dup_completions;	/* a tag completed twice */
	uint64_t unknown_completions;	/* a completion without a live tag */
	uint64_t udrv_protocol;		/* udrv: unknown/dup CID, bad SQ id */
	uint64_t submitted_detached;	/* queued while detached (no doorbell) */
	uint64_t unfetched_at_detach;	/* on the rings, not fetched, at wl_pause() */
	uint64_t inflight_at_detach;	/* in flight (fetched or not) at wl_pause() */
	uint64_t detach_completed;	/* ... of those, completed since (target) */
	uint64_t attaches;
	unsigned int inflight;
	uint64_t max_inflight;
	uint64_t peak_write_cmds_per_s;	/* modifying commands/s, best 100 ms window */
	uint64_t modify_cmds;		/* writes + deallocs completed */
	uint64_t elapsed_ms;		/* load running time */
};

/* First mismatches kept for a report. */
#define WL_MAX_BAD 8
struct wl_bad {
	uint64_t lba;
	uint32_t expect_gen;
	uint32_t found_gen;		/* from the header; 0 if zeroes, ~0 if garbage */
	uint64_t found_lba;		/* from the header */
	char where[24];			/* "read@source|target|detached", "verify" */
	uint64_t t_ms;			/* since the load started */
};

struct wl;

/*
 * Open @p->bdf with udrv (reset + enable; @p->nr_queues I/O queues),
 * identify the namespace, allocate the map and buffers. No thread yet.
 */
int wl_open(const struct wl_params *p, struct wl **out);

/*
 * Deallocate the whole namespace (reads as zeroes), then write the pattern's
 * extents (generation 1), synchronously at the queue depth. Resets the map.
 */
int wl_fill(struct wl *w);

/* Start / stop the load thread. wl_stop() waits for every command. */
int wl_start(struct wl *w);
int wl_stop(struct wl *w);

/* Migration hooks (from another thread while the load runs). */
int wl_pause(struct wl *w);			/* stop doorbells, reap, detach */
int wl_attach(struct wl *w, const char *bdf);	/* attach_continue on @bdf */
/* Wait until @n more commands completed (after an attach), or @timeout_ms. */
int wl_wait_completions(struct wl *w, uint64_t n, unsigned int timeout_ms);

/*
 * Read every LBA of the range through the attached controller and compare
 * with the map (the thread must be stopped). Returns the number of wrong
 * LBAs (0 = verified) or a negative errno.
 */
long wl_verify(struct wl *w);
/*
 * The same through a file (a block device opened O_DIRECT, e.g. the
 * target PF's namespace): @fd's offset 0 is LBA 0.
 */
long wl_verify_fd(struct wl *w, int fd);

void wl_get_stats(struct wl *w, struct wl_stats *st);
/* First mismatches (up to WL_MAX_BAD); returns how many. */
unsigned int wl_get_bad(struct wl *w, struct wl_bad *bad);
/* Sum of the map: LBAs currently expected to hold data (generation != 0). */
uint64_t wl_written_lbas(struct wl *w);

struct udrv_ctrl *wl_ctrl(struct wl *w);	/* not while the thread runs */
uint32_t wl_lba_size(const struct wl *w);
uint64_t wl_nlbas(const struct wl *w);
uint64_t wl_ns_nlbas(const struct wl *w);	/* NSZE of the namespace */
const char *wl_bdf(const struct wl *w);

/* Memory tracking: a DMA range (bus address, bytes). */
struct wl_range {
	uint64_t addr;
	uint64_t len;
};
/*
 * The DMA memory the controller may touch: rings (admin and I/O) and data
 * buffers, as 4 KiB-aligned merged ranges. Returns the count (may exceed
 * @max: then only @max were written).
 */
int wl_dma_ranges(struct wl *w, struct wl_range *r, int max);
/* Pages the controller may write (CQ rings, data buffers): same format. */
int wl_dma_write_ranges(struct wl *w, struct wl_range *r, int max);
/* Start (true) / stop (false) recording the pages the controller writes. */
void wl_mem_mark(struct wl *w, bool on);
/* Recorded pages as merged ranges; returns the count as wl_dma_ranges(). */
int wl_mem_written(struct wl *w, struct wl_range *r, int max);
/* Distinct LBAs written or deallocated by commands submitted while marking. */
uint64_t wl_modified_lbas(struct wl *w);

/* Disable the controller (if attached) and free everything. */
void wl_close(struct wl *w);

/* One 64-bit PRNG step (splitmix64), exported for the tests. */
uint64_t wl_rand(uint64_t *state);

#ifdef __cplusplus
}
#endif

#endif /* _WORKLOAD_H */
