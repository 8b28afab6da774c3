// SPDX-License-Identifier: GPL-2.0
/*
 * hmlm_e2e_bench: run end-to-end migrations (e2e_migrate.h) from a script
 * and print every measured figure as "key value" lines, one block per run.
 * Used by scripts/bench.sh and scripts/demo.sh inside the bench guest.
 *
 *   hmlm_e2e_bench [--engine lib|stream|raw|cli] [--pattern sparse|full|hotspot]
 *                  [--seed N] [--region MiB] [--from 0|1] [--repeat N]
 *                  [--random] [--no-track] [--no-alloc] [--log-entries N]
 *                  [--iops N] [--warm MS] [--after MS] [--qdepth N]
 *                  [--queues N] [--verify-fd] [--progress] [--tag NAME]
 *                  [--rtt N] [--max-rounds N] [--alternate]
 *
 * Exit status: 0 when every run verified, 1 otherwise, 2 on usage errors.
 */
#include <getopt.h>

#include "e2e_migrate.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: hmlm_e2e_bench [--engine E] [--pattern P] [--seed N] [--region MiB]\n"
		"  [--from 0|1] [--repeat N] [--alternate] [--random] [--no-track] [--no-alloc]\n"
		"  [--log-entries N] [--iops N] [--warm MS] [--after MS] [--qdepth N] [--queues N]\n"
		"  [--verify-fd] [--progress] [--tag NAME] [--rtt N] [--max-rounds N]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "engine", 1, NULL, 'e' }, { "pattern", 1, NULL, 'p' },
		{ "seed", 1, NULL, 's' }, { "region", 1, NULL, 'r' },
		{ "from", 1, NULL, 'f' }, { "repeat", 1, NULL, 'n' },
		{ "random", 0, NULL, 'R' }, { "no-track", 0, NULL, 'T' },
		{ "no-alloc", 0, NULL, 'A' }, { "log-entries", 1, NULL, 'l' },
		{ "iops", 1, NULL, 'i' }, { "warm", 1, NULL, 'w' },
		{ "after", 1, NULL, 'a' }, { "qdepth", 1, NULL, 'q' },
		{ "queues", 1, NULL, 'Q' }, { "verify-fd", 0, NULL, 'V' },
		{ "progress", 0, NULL, 'P' }, { "tag", 1, NULL, 't' },
		{ "rtt", 1, NULL, 'x' }, { "max-rounds", 1, NULL, 'm' },
		{ "alternate", 0, NULL, 'L' }, { "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct e2e_cfg cfg = { 0 };
	struct e2e_env env;
	const char *tag = "run";
	unsigned int repeat = 1, i, failed = 0;
	bool random = false, alternate = false;
	uint64_t seed = (uint64_t)time(NULL);
	int c, v;

	cfg.engine = e2e_have_lib() ? E2E_LIB : E2E_RAW;
	cfg.pattern = WL_SPARSE;
	cfg.track_mem = true;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			v = e2e_engine_parse(optarg);
			if (v < 0)
				goto bad;
			cfg.engine = (enum e2e_engine)v;
			break;
		case 'p':
			v = wl_pattern_parse(optarg);
			if (v < 0)
				goto bad;
			cfg.pattern = (enum wl_pattern)v;
			break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'r': cfg.region_bytes = strtoull(optarg, NULL, 0) << 20; break;
		case 'f': cfg.from = atoi(optarg) ? 1 : 0; break;
		case 'n': repeat = (unsigned int)atoi(optarg); break;
		case 'R': random = true; break;
		case 'T': cfg.track_mem = false; break;
		case 'A': cfg.no_alloc = true; break;
		case 'l': cfg.log_entries = (unsigned int)atoi(optarg); break;
		case 'i': cfg.iops_limit = (unsigned int)atoi(optarg); break;
		case 'w': cfg.warm_ms = (unsigned int)atoi(optarg); break;
		case 'a': cfg.after_ms = (unsigned int)atoi(optarg); break;
		case 'q': cfg.qdepth = (unsigned int)atoi(optarg); break;
		case 'Q': cfg.nr_queues = (unsigned int)atoi(optarg); break;
		case 'V': cfg.verify_fd = true; break;
		case 'P': cfg.progress = true; break;
		case 't': tag = optarg; break;
		case 'x': cfg.rtt_samples = (unsigned int)atoi(optarg); break;
		case 'm': cfg.max_rounds = (unsigned int)atoi(optarg); break;
		case 'L': alternate = true; break;
		case 'h': usage(stdout); return 0;
		default: goto bad;
		}
	}
	e2e_env_get(&env);
	if (!env.ok) {
		fprintf(stderr, "hmlm_e2e_bench: not on the nvme-hmlm bench (HMLM_* unset)\n");
		return 2;
	}
	cfg.env = &env;
	for (i = 0; i < repeat; i++) {
		struct e2e_cfg rc = cfg;
		struct e2e_result *r = calloc(1, sizeof(*r));
		char prefix[64];
		uint64_t s = seed + i;

		if (!r)
			return 1;
		rc.seed = wl_rand(&s);
		if (alternate || random)
			rc.from = (cfg.from + i) & 1;
		if (random) {
			uint64_t mib = 8 + wl_rand(&s) % 57;	/* 8 .. 64 MiB */

			rc.pattern = (enum wl_pattern)(wl_rand(&s) % WL_NR_PATTERNS);
			if (!cfg.region_bytes)
				rc.region_bytes = mib << 20;
			rc.nr_queues = 2 + (unsigned int)(wl_rand(&s) % 2);
			rc.qdepth = 32 + (unsigned int)(wl_rand(&s) % 33);
			rc.read_pct = 30 + (unsigned int)(wl_rand(&s) % 31);
			rc.dealloc_pct = (unsigned int)(wl_rand(&s) % 8);
			rc.verify_fd = (i % 3) == 2;
		}
		e2e_run(&rc, r);
		snprintf(prefix, sizeof(prefix), "%s.%u.", tag, i);
		e2e_print_kv(stdout, prefix, &rc, r);
		fflush(stdout);
		if (r->rc)
			failed++;
		free(r);
	}
	printf("%s.runs %u\n%s.failed %u\n", tag, repeat, tag, failed);
	return failed ? 1 : 0;
bad:
	usage(stderr);
	return 2;
}
