// SPDX-License-Identifier: GPL-2.0
/*
 * Finding 3 and the pending-Suspend part of finding 11: a process that
 * gave up waiting for a Suspend (its timeout ran out, the command is still
 * in flight) and is then killed. The module must stay loaded until the
 * command has completed (no completion may run in unloaded code), the
 * session's close must settle the Suspend (so the VF is not left
 * suspended with no owner), and afterwards the module unloads cleanly.
 *
 * Needs a Suspend slower than 1 ms: run in the fault injection boot
 * (tests-faults.qemu-args: nvme.hmlm-suspend-delay-ms=300).
 */
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "hmlm_test.h"

TEST(rmmod_with_suspend_abandoned_by_killed_process)
{
	struct nvme_hmlm_suspend a = { .size = sizeof(a), .timeout_ms = 1 };
	struct hmlm_bench b;
	int p[2], st, s, r, busy = 0, i;
	pid_t pid;
	char c;

	hmlm_bench_get(&b);
	if (!b.ok || !b.hmlm || b.n_src < 2)
		SKIP(return, "needs the bench with hmlm=on");
	ASSERT_EQ(0, hmlm_ensure_loaded());
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(p[0]);
		s = hmlm_session(b.src_pf, b.src_ids[1], NULL);
		if (s < 0)
			_exit(2);
		r = hmlm_ioc(s, NVME_HMLM_SUSPEND, &a);
		c = r == -ETIMEDOUT ? 't' : 'f';
		if (write(p[1], &c, 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	close(p[1]);
	ASSERT_EQ(1, read(p[0], &c, 1));
	close(p[0]);
	if (c != 't') {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		SKIP(return, "the suspend completed within 1 ms (not the fault boot?)");
	}
	/* Killed with the Suspend in flight: the module may not go now. */
	ASSERT_EQ(0, kill(pid, SIGKILL));
	r = hmlm_delete_module();
	if (r) {
		EXPECT_TRUE(r == -EWOULDBLOCK || r == -EBUSY) TH_LOG("rmmod: %d", r);
		busy = 1;
	}
	EXPECT_TRUE(busy) TH_LOG("unloaded with a Suspend in flight");
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFSIGNALED(st));
	/* The close waited for the Suspend, so the module goes now... */
	for (i = 0; i < 100; i++) {
		r = hmlm_delete_module();
		if (r != -EWOULDBLOCK && r != -EBUSY)
			break;
		usleep(20000);
	}
	ASSERT_EQ(0, r) TH_LOG("rmmod after the Suspend completed: %d", r);
	ASSERT_TRUE(hmlm_wait_dev(false));
	/* ...and the close resumed what the killed session suspended. */
	ASSERT_EQ(0, hmlm_ensure_loaded());
	ASSERT_TRUE(hmlm_wait_dev(true));
	s = hmlm_session(b.src_pf, b.src_ids[1], NULL);
	ASSERT_LE(0, s);
	EXPECT_EQ(HMLM_SC_NOT_SUSPENDED, HMLM_SC(hmlm_resume(s)));
	close(s);
}

TEST_HARNESS_MAIN
