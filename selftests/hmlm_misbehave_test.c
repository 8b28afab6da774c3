// SPDX-License-Identifier: GPL-2.0
/*
 * A device that misbehaves within the letter of the specification, with
 * the device model's fault knobs of the fault injection boot
 * (tests-faults.qemu-args):
 *
 * - hmlm-short-xfer=16 (finding 10): a Get Controller State command at a
 *   nonzero offset transfers only 16 bytes. What it did not transfer
 *   reaches the caller as zeroes, never as old kernel heap contents.
 * - hmlm-endless-cmpc=on (finding 9): Get LBA Status always answers "more
 *   to come" with one LBA, so GET_ALLOC_LBAS would walk the namespace one
 *   command per LBA. The caller can still be killed at once.
 */
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "hmlm_test.h"

#define SHORT_XFER	16	/* hmlm-short-xfer of tests-faults.qemu-args */
#define CHUNK		64
#define STATE_MAX	(64 * 1024)

/* Is this the fault injection boot (hmlm-endless-cmpc on the source)? */
static bool endless_cmpc(int hfd)
{
	struct nvme_hmlm_lba_range r[4];
	struct nvme_hmlm_alloc_lbas a = {
		.size = sizeof(a), .nsid = 1, .num = 4,
		.ranges_uptr = (uintptr_t)r,
		/* 3 LBAs before the end: an endless device needs 3 commands */
		.slba = (64ULL << 20) / 512 - 3,
	};

	return hmlm_ioc(hfd, NVME_HMLM_GET_ALLOC_LBAS, &a) > 0 && a.num == 1 &&
	       r[0].nlb == 3;
}

TEST(short_transfer_reads_as_zeroes)
{
	static unsigned char whole[STATE_MAX], chunked[STATE_MAX];
	struct nvme_hmlm_get_state g;
	struct hmlm_bench b;
	__u64 ofs, i;
	int s;

	hmlm_bench_get(&b);
	if (!b.ok || !b.hmlm || b.n_src < 2)
		SKIP(return, "needs the bench with hmlm=on");
	s = hmlm_session(b.src_pf, b.src_ids[1], NULL);
	ASSERT_LE(0, s);
	if (!endless_cmpc(s)) {
		close(s);
		SKIP(return, "needs the fault injection boot (tests-faults.qemu-args)");
	}
	ASSERT_EQ(0, hmlm_suspend(s, 0));
	/* One command at offset 0: whole. */
	memset(&g, 0, sizeof(g));
	g.size = sizeof(g);
	g.csvi = 1;
	g.csuuidi = 1;
	g.buf_uptr = (uintptr_t)whole;
	g.buf_len = sizeof(whole);
	ASSERT_EQ(0, hmlm_ioc(s, NVME_HMLM_GET_STATE, &g));
	ASSERT_LT(2 * CHUNK, g.out_len) TH_LOG("state of %llu bytes",
					       (unsigned long long)g.out_len);
	/* In 64-byte commands: each at an offset transfers 16 bytes. */
	memset(chunked, 0xa5, sizeof(chunked));
	g.chunk_len = CHUNK;
	g.buf_uptr = (uintptr_t)chunked;
	ASSERT_EQ(0, hmlm_ioc(s, NVME_HMLM_GET_STATE, &g));
	EXPECT_EQ(0, memcmp(whole, chunked, CHUNK));
	for (ofs = CHUNK; ofs < g.out_len; ofs += CHUNK) {
		EXPECT_EQ(0, memcmp(whole + ofs, chunked + ofs, SHORT_XFER));
		for (i = ofs + SHORT_XFER; i < ofs + CHUNK && i < g.out_len; i++)
			ASSERT_EQ(0, chunked[i]) TH_LOG("byte %llu", (unsigned long long)i);
	}
	/* Nothing past the state is written. */
	EXPECT_EQ(0xa5, chunked[g.out_len]);
	EXPECT_EQ(0, hmlm_resume(s));
	close(s);
}

TEST(endless_cmpc_killable)
{
	struct nvme_hmlm_lba_range r;
	struct hmlm_bench b;
	int s, st, i, p[2];
	pid_t pid, w = 0;
	char c;

	hmlm_bench_get(&b);
	if (!b.ok || !b.hmlm || b.n_src < 2)
		SKIP(return, "needs the bench with hmlm=on");
	s = hmlm_session(b.src_pf, b.src_ids[1], NULL);
	ASSERT_LE(0, s);
	if (!endless_cmpc(s)) {
		close(s);
		SKIP(return, "needs the fault injection boot (tests-faults.qemu-args)");
	}
	close(s);
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct nvme_hmlm_alloc_lbas a = {
			.size = sizeof(a), .nsid = 1, .num = 1,
			.ranges_uptr = (uintptr_t)&r,
		};

		close(p[0]);
		s = hmlm_session(b.src_pf, b.src_ids[1], NULL);
		c = s >= 0 ? 'y' : 'n';
		if (write(p[1], &c, 1) != 1)
			_exit(2);
		/* 131072 commands of one LBA each: minutes under TCG */
		hmlm_ioc(s, NVME_HMLM_GET_ALLOC_LBAS, &a);
		_exit(0);
	}
	close(p[1]);
	ASSERT_EQ(1, read(p[0], &c, 1));
	ASSERT_EQ('y', c);
	usleep(500 * 1000);
	ASSERT_EQ(0, waitpid(pid, &st, WNOHANG)) TH_LOG("the walk ended by itself");
	ASSERT_EQ(0, kill(pid, SIGKILL));
	for (i = 0; i < 300 && !w; i++) {
		w = waitpid(pid, &st, WNOHANG);
		if (!w)
			usleep(10000);
	}
	EXPECT_EQ(pid, w) TH_LOG("still in the kernel 3 s after SIGKILL");
	if (w != pid) {
		waitpid(pid, &st, 0);
		return;
	}
	EXPECT_TRUE(WIFSIGNALED(st));
	/* The binding is free again at once. */
	s = hmlm_session(b.src_pf, b.src_ids[1], NULL);
	EXPECT_LE(0, s);
	if (s >= 0)
		close(s);
}

TEST_HARNESS_MAIN
