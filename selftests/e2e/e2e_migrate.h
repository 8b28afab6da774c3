/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One end-to-end migration: the VM's workload (selftests/lib/workload.h) on
 * VF 1 of one subsystem moves to VF 1 of the other while it runs, and is
 * verified there. Shared by the kselftest program, the benchmark and the
 * demo (selftests/e2e/).
 */
#ifndef _E2E_MIGRATE_H
#define _E2E_MIGRATE_H

#include <stdbool.h>
#include <stdint.h>

#include "e2e_common.h"
#include "workload.h"

enum e2e_engine {
	E2E_LIB = 0,	/* libhmlm hmlm_migrate(): pre-copy, dirty rounds, state */
	E2E_STREAM,	/* hmlm_migrate_out() | hmlm_migrate_in() through a pipe */
	E2E_RAW,	/* no module: passthrough Suspend, copy all, state, Resume */
	E2E_CLI,	/* the same with nvme-cli admin-passthru and dd (baseline) */
};

const char *e2e_engine_name(enum e2e_engine e);
int e2e_engine_parse(const char *s);
bool e2e_have_lib(void);	/* libhmlm has the orchestrator */

struct e2e_cfg {
	const struct e2e_env *env;
	enum e2e_engine engine;
	int from;			/* 0: src -> dst, 1: dst -> src */
	uint64_t seed;
	enum wl_pattern pattern;
	uint64_t region_bytes;		/* LBAs the workload uses; 0: whole namespace */
	unsigned int nr_queues;		/* 0: all granted */
	unsigned int qdepth;		/* 0: 48 */
	unsigned int max_nlb;
	unsigned int read_pct, dealloc_pct;
	unsigned int iops_limit;
	unsigned int warm_ms;		/* load before the migration starts (0: 300) */
	unsigned int after_ms;		/* load on the target (0: 300) */
	unsigned int after_cmds;	/* and at least this many completions (0: 200) */
	bool track_mem;			/* hmlm params.mem_ranges */
	bool verify_fd;			/* verify through the target PF's block device too */
	bool no_alloc;			/* HMLM_MIGRATE_NO_ALLOC */
	unsigned int max_rounds;	/* 0: library default */
	uint64_t converge_bytes;	/* 0: library default */
	unsigned int log_entries;	/* 0: library default */
	unsigned int rtt_samples;	/* admin round trips measured during the load (0: 15) */
	bool progress;			/* phases on stderr */
};

#define E2E_MAX_ROUNDS 17

struct e2e_result {
	int rc;				/* 0: everything verified */
	char msg[512];			/* the first failure */
	struct wl_stats wl;		/* at the end */
	uint64_t wl_modify_at_precopy;	/* modify commands done when logging started */
	uint64_t wl_modify_at_suspend;	/* modify commands done when suspended */
	uint64_t wl_t_suspend_ms;
	struct wl_bad bad[WL_MAX_BAD];
	unsigned int nbad;
	long verify_bad, verify_fd_bad;	/* -1: not run */
	uint64_t written_lbas;		/* LBAs holding data at the end */
	uint32_t lba_size;
	uint64_t ns_bytes, region_bytes;

	/* the migration */
	uint64_t downtime_ns;		/* Suspend issued on the source .. Resume done on the target */
	uint64_t total_ns;		/* the whole migrate call */
	uint64_t precopy_ns;		/* start .. Suspend issued */
	uint64_t rtt_median_ns;		/* Identify round trip on the source MMC under load */
	unsigned int rounds;
	uint64_t round_bytes[E2E_MAX_ROUNDS];
	uint64_t round_dirty[E2E_MAX_ROUNDS];
	uint64_t allocated_bytes, bytes_copied, bytes_rewritten, stopcopy_bytes;
	uint64_t dirty_extents, log_records, queue_full_events;
	uint64_t state_bytes, stream_bytes;
	uint64_t ideal_rewritten_bytes;	/* distinct LBAs the workload modified while tracked */
	uint32_t report_flags;
	uint16_t nvme_status;
	/* where the downtime went (libhmlm engines; 0 for the baselines) */
	uint64_t suspend_ns, callback_ns, log_drain_ns, mem_drain_ns;
	uint64_t stopcopy_ns, state_get_ns, state_set_ns, resume_ns;
	/*
	 * The same from outside: when the progress callbacks came, from the
	 * Suspend issued on the source (0: that callback never came). The
	 * source's STOPCOPY, STATE (state read) and RESUMED; for the stream
	 * engine the target's (hmlm_migrate_in()) STOPCOPY (the FINAL round
	 * record read), STATE (END verified, flushed) and RESUMED.
	 */
	uint64_t at_stopcopy_ns, at_state_ns, at_resumed_ns;
	uint64_t at_in_stopcopy_ns, at_in_state_ns, at_in_resumed_ns;
	/* stream: each side's own downtime (downtime_ns spans both) */
	uint64_t out_downtime_ns, in_downtime_ns;

	/* memory tracking */
	bool mem_checked;
	uint64_t mem_ranges_reported, mem_bytes_reported;
	uint64_t mem_pages_expected;	/* pages the workload knows the controller wrote */
	uint64_t mem_pages_missing;	/* ... that were not reported */
	uint64_t mem_pages_outside;	/* reported pages the controller may not write */
};

/* Run one migration; fills @r (r->rc, r->msg). Returns r->rc. */
int e2e_run(const struct e2e_cfg *cfg, struct e2e_result *r);

/* Print @r as "key value" lines with @prefix (for scripts). */
void e2e_print_kv(FILE *f, const char *prefix, const struct e2e_cfg *cfg,
		  const struct e2e_result *r);

#endif /* _E2E_MIGRATE_H */
