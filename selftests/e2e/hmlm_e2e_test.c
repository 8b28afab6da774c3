// SPDX-License-Identifier: GPL-2.0
/*
 * End to end: a VM's I/O (selftests/lib/workload.h on the polled udrv
 * driver) runs on VF 1 of one NVMe subsystem and is live-migrated with
 * libhmlm's hmlm_migrate() to VF 1 of the other subsystem while it runs:
 * pre-copy of the allocated LBAs with dirty tracking, memory tracking of the
 * workload's DMA memory, suspend (the workload's doorbells stop and it
 * detaches in the SUSPENDED callback), stop-and-copy, controller state,
 * resume; then the workload continues on the target VF without a reset,
 * the commands queued at suspend complete there exactly once, and every LBA
 * matches the workload's verification map.
 *
 * Each test is one randomized migration (seed, allocation pattern, region
 * size, queues, depth, mix); directions alternate so one boot runs many.
 * HMLM_E2E_SEED=<n> replays a run, HMLM_E2E_ENGINE=lib|stream|raw|cli picks
 * the migration engine (default lib; raw when libhmlm has no orchestrator).
 */
#include "kselftest_harness.h"

#include "e2e_migrate.h"

#ifndef E2E_ITERS_LONG
#define E2E_ITERS_LONG 0
#endif

static uint64_t base_seed;

__attribute__((constructor)) static void pick_seed(void)
{
	const char *s = getenv("HMLM_E2E_SEED");

	base_seed = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
}

static enum e2e_engine default_engine(void)
{
	const char *s = getenv("HMLM_E2E_ENGINE");
	int e = s ? e2e_engine_parse(s) : -1;

	if (e >= 0)
		return (enum e2e_engine)e;
	return e2e_have_lib() ? E2E_LIB : E2E_RAW;
}

/* The randomized configuration of iteration @n. */
static void make_cfg(struct e2e_cfg *cfg, const struct e2e_env *env, unsigned int n, bool long_run)
{
	uint64_t s = base_seed + 0x1000193ull * (n + 1);
	uint64_t mib;

	memset(cfg, 0, sizeof(*cfg));
	cfg->env = env;
	cfg->engine = default_engine();
	cfg->from = n & 1;
	cfg->seed = wl_rand(&s);
	cfg->pattern = (enum wl_pattern)((n / 2 + wl_rand(&s) % 2) % WL_NR_PATTERNS);
	mib = 8 + wl_rand(&s) % 25;			/* 8 .. 32 MiB */
	if (cfg->pattern == WL_FULL && !long_run)
		mib = 8 + mib % 9;			/* full: 8 .. 16 MiB */
	cfg->region_bytes = mib << 20;
	cfg->nr_queues = 2 + (unsigned int)(wl_rand(&s) % 2);
	cfg->qdepth = 32 + (unsigned int)(wl_rand(&s) % 33);
	cfg->max_nlb = 1u << (3 + wl_rand(&s) % 3);	/* 8, 16, 32 blocks */
	cfg->read_pct = 30 + (unsigned int)(wl_rand(&s) % 31);
	cfg->dealloc_pct = (unsigned int)(wl_rand(&s) % 8);
	cfg->warm_ms = (long_run ? 600 : 200) + (unsigned int)(wl_rand(&s) % 300);
	cfg->after_ms = (long_run ? 600 : 200) + (unsigned int)(wl_rand(&s) % 200);
	cfg->after_cmds = 200;
	cfg->track_mem = true;
	cfg->verify_fd = (n % 4) == 3;
	cfg->rtt_samples = 5;
	cfg->progress = getenv("HMLM_E2E_VERBOSE") != NULL;
}

static void iteration(struct __test_metadata *_metadata, unsigned int n, bool long_run)
{
	struct e2e_result r;
	struct e2e_cfg cfg;
	struct e2e_env env;

	e2e_env_get(&env);
	if (!env.ok)
		SKIP(return, "not on the nvme-hmlm bench (HMLM_* unset)");
	if (!env.hmlm)
		SKIP(return, "QEMU without the device model (HMLM_HMLM=0)");
	make_cfg(&cfg, &env, n, long_run);
	if ((cfg.engine == E2E_LIB || cfg.engine == E2E_STREAM) && !e2e_have_lib())
		SKIP(return, "libhmlm has no hmlm_migrate()");
	TH_LOG("HMLM_E2E_SEED=%#llx: seed %#llx, %s, %llu MiB, %u queues, qd %u, %s, %s -> %s",
	       (unsigned long long)base_seed, (unsigned long long)cfg.seed,
	       wl_pattern_name(cfg.pattern), (unsigned long long)(cfg.region_bytes >> 20),
	       cfg.nr_queues, cfg.qdepth, e2e_engine_name(cfg.engine),
	       cfg.from ? "dst" : "src", cfg.from ? "src" : "dst");
	e2e_run(&cfg, &r);
	if (r.rc)
		e2e_print_kv(stderr, "#   ", &cfg, &r);
	ASSERT_EQ(0, r.rc) TH_LOG("%s", r.msg);
	/* what a user would notice */
	EXPECT_EQ(r.wl.submitted, r.wl.completed);
	EXPECT_EQ(0, r.wl.mismatches);
	EXPECT_EQ(0, r.verify_bad);
	EXPECT_EQ(r.wl.inflight_at_detach, r.wl.detach_completed);
	EXPECT_LE(32, r.wl.max_inflight);
	/* something was queued and not fetched when the source stopped */
	EXPECT_LT(0, r.wl.unfetched_at_detach + r.wl.submitted_detached);
	if (cfg.verify_fd) {
		EXPECT_EQ(0, r.verify_fd_bad);
	}
	if (cfg.engine == E2E_LIB || cfg.engine == E2E_STREAM) {
		EXPECT_TRUE(r.mem_checked);
		EXPECT_EQ(0, r.mem_pages_missing);
		/* a full migration queue is recovered by a recopy: reported, not failed */
		EXPECT_LE(r.allocated_bytes, r.bytes_copied);
	}
	ksft_print_msg("iter %u: %s %s %lluMiB, downtime %.1f ms (%.0fx admin RTT), rounds %u, "
		       "copied %llu KiB (allocated %llu KiB), %llu cmds, %llu unfetched at suspend, "
		       "%llu mem pages checked, %llu queue full\n",
		       n, e2e_engine_name(cfg.engine), wl_pattern_name(cfg.pattern),
		       (unsigned long long)(cfg.region_bytes >> 20), r.downtime_ns / 1e6,
		       r.rtt_median_ns ? (double)r.downtime_ns / r.rtt_median_ns : 0.0, r.rounds,
		       (unsigned long long)(r.bytes_copied >> 10),
		       (unsigned long long)(r.allocated_bytes >> 10),
		       (unsigned long long)r.wl.completed,
		       (unsigned long long)r.wl.unfetched_at_detach,
		       (unsigned long long)r.mem_pages_expected,
		       (unsigned long long)r.queue_full_events);
}

FIXTURE(e2e) {
	int unused;
};

FIXTURE_SETUP(e2e)
{
	self->unused = 0;
}

FIXTURE_TEARDOWN(e2e)
{
}

#define E2E_TMO 600
#define ITER(n) \
	TEST_F_TIMEOUT(e2e, migrate_##n, E2E_TMO) { iteration(_metadata, n, false); }
#define ITER_LONG(n) \
	TEST_F_TIMEOUT(e2e, long_##n, E2E_TMO) { iteration(_metadata, 100 + n, true); }

ITER(0) ITER(1) ITER(2) ITER(3) ITER(4) ITER(5) ITER(6) ITER(7) ITER(8) ITER(9)
ITER(10) ITER(11) ITER(12) ITER(13) ITER(14) ITER(15) ITER(16) ITER(17) ITER(18) ITER(19)

#if E2E_ITERS_LONG
ITER_LONG(0) ITER_LONG(1) ITER_LONG(2) ITER_LONG(3) ITER_LONG(4) ITER_LONG(5)
ITER_LONG(6) ITER_LONG(7) ITER_LONG(8) ITER_LONG(9) ITER_LONG(10) ITER_LONG(11)
ITER_LONG(12) ITER_LONG(13) ITER_LONG(14) ITER_LONG(15) ITER_LONG(16) ITER_LONG(17)
ITER_LONG(18) ITER_LONG(19) ITER_LONG(20) ITER_LONG(21) ITER_LONG(22) ITER_LONG(23)
ITER_LONG(24) ITER_LONG(25) ITER_LONG(26) ITER_LONG(27) ITER_LONG(28) ITER_LONG(29)
ITER_LONG(30) ITER_LONG(31) ITER_LONG(32) ITER_LONG(33) ITER_LONG(34) ITER_LONG(35)
ITER_LONG(36) ITER_LONG(37) ITER_LONG(38) ITER_LONG(39)
#endif

TEST_HARNESS_MAIN
