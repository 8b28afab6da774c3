// SPDX-License-Identifier: GPL-2.0
/*
 * The copy engine's throughput (a measurement, not a test): one
 * hmlm_migrate() against the scripted device of fakedev.h, regular files
 * as the namespaces (O_DIRECT where the file system has it). The guest
 * "writes" a scattered set of extents at the start of the pre-copy; the
 * first round copies them in batches (lib/migrate_io.c). Prints the bytes
 * and the time of that round.
 *
 *   copy_bench [DIR [DIRTY_MIB [EXTENT_KIB]]]     (defaults: /var/tmp 128 16)
 *   copy_bench --devs SRC DST [DIRTY_MIB [EXTENT_KIB]]
 *
 * --devs takes two existing block devices (e.g. loop devices) instead of
 * files, and overwrites them: 2 * DIRTY_MIB each.
 *
 * Built by `make -f selftests/host/lib.mk copy-bench` (no sanitizers).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include <hmlm.h>
#include "fakedev.h"

#define LBA 512

struct bench {
	struct fake *f;
	uint64_t nr, ext_lbas;
	int logged;
	uint64_t t_round, t_end;
	uint64_t cpu_round, cpu_end;	/* the process's CPU time (all threads) */
};

static uint64_t cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ULL +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int on_progress(const struct hmlm_progress *p, void *arg)
{
	struct bench *b = arg;
	uint64_t i;

	if (p->phase == HMLM_PHASE_PRECOPY && !b->logged) {
		b->logged = 1;
		/* room for every record: the callback must not block */
		if (fcntl(b->f->log_w, F_SETPIPE_SZ, 1 << 20) < 0)
			perror("F_SETPIPE_SZ");
		for (i = 0; i < b->nr; i++)
			fake_log(b->f, 1, NVME_HMLM_REC_RANGE, 0,
				 2 * i * b->ext_lbas, b->ext_lbas);
	}
	if (p->phase == HMLM_PHASE_ROUND && p->round == 1 && !b->t_round) {
		b->t_round = now_ns();
		b->cpu_round = cpu_ns();
	}
	if (b->t_round && !b->t_end &&
	    (p->phase != HMLM_PHASE_ROUND || p->round != 1)) {
		b->t_end = now_ns();
		b->cpu_end = cpu_ns();
	}
	return 0;
}

static int mkfile(char *path, size_t len, const char *dir, const char *name)
{
	snprintf(path, len, "%s/hmlm-bench-%s-%d", dir, name, (int)getpid());
	return open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
}

int main(int argc, char **argv)
{
	int devs = argc > 3 && !strcmp(argv[1], "--devs");
	int a = devs ? 3 : 1;
	const char *dir = argc > a ? argv[a] : "/var/tmp";
	uint64_t dirty_mib = argc > a + 1 ? strtoull(argv[a + 1], NULL, 0) : 128;
	uint64_t ext_kib = argc > a + 2 ? strtoull(argv[a + 2], NULL, 0) : 16;
	struct hmlm_migrate_params p = { .size = sizeof(p) };
	struct hmlm_migrate_report r = { .size = sizeof(r) };
	struct hmlm_session *src, *dst;
	struct hmlm_ns_map map;
	char sp[256], dp[256];
	struct bench b = { 0 };
	struct fake f;
	uint64_t ns_bytes, off;
	char *buf;
	int sfd, dfd, ret;

	b.f = &f;
	b.ext_lbas = ext_kib * 1024 / LBA;
	b.nr = dirty_mib * 1024 / ext_kib;
	ns_bytes = 2 * b.nr * b.ext_lbas * LBA;
	if (devs) {
		snprintf(sp, sizeof(sp), "%s", argv[2]);
		snprintf(dp, sizeof(dp), "%s", argv[3]);
		sfd = open(sp, O_RDWR);
		dfd = open(dp, O_RDWR);
	} else {
		sfd = mkfile(sp, sizeof(sp), dir, "src");
		dfd = mkfile(dp, sizeof(dp), dir, "dst");
	}
	if (sfd < 0 || dfd < 0)
		return perror("files"), 1;
	buf = malloc(1 << 20);
	if (!buf)
		return 1;
	/*
	 * Both written in full: a namespace is a block device, every LBA
	 * there; a sparse target file would time block allocation.
	 */
	for (off = 0; off < ns_bytes; off += 1 << 20) {
		memset(buf, (int)(off >> 20) | 1, 1 << 20);
		if (pwrite(sfd, buf, 1 << 20, (off_t)off) != 1 << 20)
			return perror("pwrite"), 1;
		memset(buf, 0xee, 1 << 20);
		if (pwrite(dfd, buf, 1 << 20, (off_t)off) != 1 << 20)
			return perror("pwrite"), 1;
	}
	fsync(sfd);
	fsync(dfd);

	mock_reset();
	fake_init(&f);
	f.nalloc = 0;		/* nothing allocated: the pre-copy only zeroes */
	mock_set_handler(fake_handler, &f);
	if (hmlm_session_open("/dev/null", SRC_CNTLID, &src) ||
	    hmlm_session_open("/dev/null", DST_CNTLID, &dst))
		return fprintf(stderr, "session\n"), 1;
	map = (struct hmlm_ns_map){ 1, 1, sp, dp };
	p.progress = on_progress;
	p.progress_arg = &b;
	p.max_rounds = 1;
	ret = hmlm_migrate(src, dst, &map, 1, &p, &r);
	if (ret) {
		fprintf(stderr, "hmlm_migrate: %s\n", strerror(-ret));
		return 1;
	}
	/* the dirty extents arrived */
	for (off = 0; off < b.nr; off += b.nr / 64 + 1) {
		char a[512], c[512];
		off_t at = (off_t)(2 * off * b.ext_lbas * LBA);

		if (pread(sfd, a, 512, at) != 512 ||
		    pread(dfd, c, 512, at) != 512 || memcmp(a, c, 512))
			return fprintf(stderr, "extent %llu differs\n",
				       (unsigned long long)off), 1;
	}
	printf("round1_bytes %llu round1_ns %llu cpu_ms %.1f extents %llu MBps %.1f%s\n",
	       (unsigned long long)r.round_bytes[1],
	       (unsigned long long)(b.t_end - b.t_round),
	       (b.cpu_end - b.cpu_round) / 1e6,
	       (unsigned long long)r.dirty_extents,
	       r.round_bytes[1] * 1e3 / (double)(b.t_end - b.t_round),
	       r.flags & (1U << 10) ? " sync_io" : "");
	hmlm_session_close(src);
	hmlm_session_close(dst);
	if (!devs) {
		unlink(sp);
		unlink(dp);
	}
	return 0;
}
