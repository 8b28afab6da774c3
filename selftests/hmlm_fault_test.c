// SPDX-License-Identifier: GPL-2.0
/*
 * The paths that need the device model's fault injection
 * (Documentation/qemu-device-model.rst, "Properties"): a slow Suspend and
 * failing Migration Send commands. Run as
 *
 *	hmlm_fault_test --faults
 *
 * in a guest booted with the QEMU arguments of
 * selftests/tests-faults.qemu-args:
 *
 *	-global nvme.hmlm-suspend-delay-ms=300	every Suspend takes 300 ms
 *	-set device.src.hmlm-fail-opcode=0x41	on the source MMC the 2nd
 *	-set device.src.hmlm-fail-nth=2		Migration Send fails with
 *	-set device.src.hmlm-fail-status=0x4006	Internal Error, DNR
 *	-set device.dst.hmlm-fail-opcode=0x41	on the target MMC the 2nd
 *	-set device.dst.hmlm-fail-nth=2		Migration Send fails with
 *	-set device.dst.hmlm-fail-status=0x0006	Internal Error (retryable)
 *
 * The device counts Migration Sends from boot, so this program must be the
 * first one of its boot that sends Migration Send (Suspend, Resume, Set
 * Controller State) to either MMC, and the two "faults" tests run first
 * (in the order of this file; do not filter them). Each of them sends
 * Suspend (1st) and Set Controller State (2nd, fails) to its MMC.
 * Without --faults every test is skipped.
 */
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "hmlm_test.h"

#define SUSPEND_DELAY_MS	300	/* hmlm-suspend-delay-ms */
#define SRC_FAIL_STATUS		0x4006	/* hmlm-fail-status of "src" */
#define DST_FAIL_STATUS		0x0006	/* hmlm-fail-status of "dst" */
#define DNR			0x4000
#define ST_NOT_SUSPENDED	(DNR | HMLM_SC_NOT_SUSPENDED)
#define ST_SUSPENDED		(DNR | HMLM_SC_SUSPENDED)
#define STATE_MAX		8192
#define KILL_TRIES		3

/* --faults: QEMU runs with selftests/tests-faults.qemu-args. */
static bool faults_boot;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int get_state(int hfd, __u8 csvi, __u8 csuuidi, void *buf, __u64 len,
		     struct nvme_hmlm_get_state *out)
{
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->csvi = csvi;
	out->csuuidi = csuuidi;
	out->buf_uptr = (uintptr_t)buf;
	out->buf_len = len;
	if (!buf)
		out->flags = NVME_HMLM_STATE_SIZE;
	return hmlm_ioc(hfd, NVME_HMLM_GET_STATE, out);
}

static int set_state(int hfd, __u8 csvi, __u8 csuuidi, void *buf, __u64 len,
		     struct nvme_hmlm_set_state *out)
{
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->csvi = csvi;
	out->csuuidi = csuuidi;
	out->buf_uptr = (uintptr_t)buf;
	out->buf_len = len;
	return hmlm_ioc(hfd, NVME_HMLM_SET_STATE, out);
}

static int suspend_tmo(int hfd, __u32 flags, __u32 timeout_ms)
{
	struct nvme_hmlm_suspend a = {
		.size = sizeof(a), .flags = flags, .timeout_ms = timeout_ms,
	};

	return hmlm_ioc(hfd, NVME_HMLM_SUSPEND, &a);
}

/* ---- Set Controller State with a failing command ---------------------- */

FIXTURE(faults) {
	struct hmlm_bench b;
	int hfd;
};

FIXTURE_SETUP(faults)
{
	self->hfd = -1;
	hmlm_bench_get(&self->b);
	if (!faults_boot)
		SKIP(return, "needs --faults and tests-faults.qemu-args");
	ASSERT_TRUE(self->b.ok && self->b.hmlm && self->b.n_src && self->b.n_dst);
}

FIXTURE_TEARDOWN(faults)
{
	if (self->hfd >= 0)
		close(self->hfd);
}

/*
 * One Set Controller State of the state of a suspended, never enabled VF
 * back onto itself, in one chunk: only the vendor specific part (CSVI 0,
 * CSUUIDI 1), as a disabled controller cannot take an NVMe part. The MMC
 * fails it with Internal Error, DNR: the driver does not resend it. The
 * same state then goes through.
 */
TEST_F(faults, set_state_dnr_not_resent)
{
	static unsigned char img[STATE_MAX];
	struct nvme_hmlm_get_state g;
	struct nvme_hmlm_set_state s;
	int r;

	self->hfd = hmlm_session(self->b.src_pf, self->b.src_ids[0], NULL);
	ASSERT_LE(0, self->hfd) TH_LOG("bind src VF1: %d", self->hfd);
	/* Migration Send 1: the Suspend. */
	ASSERT_EQ(0, hmlm_suspend(self->hfd, 0));
	ASSERT_EQ(0, get_state(self->hfd, 0, 1, img, sizeof(img), &g));
	ASSERT_TRUE(g.out_flags & NVME_HMLM_STATE_OUT_CSUP);
	ASSERT_GE(sizeof(img), g.out_len);
	/* Migration Send 2 fails; no 3rd for this ioctl. */
	r = set_state(self->hfd, 0, 1, img, g.out_len, &s);
	EXPECT_EQ(SRC_FAIL_STATUS, r);
	EXPECT_EQ(SRC_FAIL_STATUS, s.out_nvme_status);
	EXPECT_EQ(1, s.out_attempts);
	/* Migration Send 3: the device had nothing against the state. */
	r = set_state(self->hfd, 0, 1, img, g.out_len, &s);
	EXPECT_EQ(0, r);
	EXPECT_EQ(0, s.out_nvme_status);
	EXPECT_EQ(1, s.out_attempts);
	EXPECT_EQ(0, hmlm_resume(self->hfd));
	EXPECT_EQ(ST_NOT_SUSPENDED, hmlm_resume(self->hfd));
}

/*
 * The same on the target MMC, whose 2nd Migration Send fails with a
 * retryable Internal Error: the whole sequence is sent once more and
 * succeeds (out_attempts 2, no status).
 */
TEST_F(faults, set_state_retry_once)
{
	static unsigned char img[STATE_MAX];
	struct nvme_hmlm_get_state g;
	struct nvme_hmlm_set_state s;
	int r;

	self->hfd = hmlm_session(self->b.dst_pf, self->b.dst_ids[0], NULL);
	ASSERT_LE(0, self->hfd) TH_LOG("bind dst VF1: %d", self->hfd);
	ASSERT_EQ(0, hmlm_suspend(self->hfd, 0));
	ASSERT_EQ(0, get_state(self->hfd, 0, 1, img, sizeof(img), &g));
	ASSERT_TRUE(g.out_flags & NVME_HMLM_STATE_OUT_CSUP);
	/* Migration Send 2 fails, 3 (the resend) succeeds. */
	r = set_state(self->hfd, 0, 1, img, g.out_len, &s);
	EXPECT_EQ(0, r);
	EXPECT_EQ(0, s.out_nvme_status);
	EXPECT_EQ(2, s.out_attempts);
	/* The fault was one-shot: the next one goes through at once. */
	r = set_state(self->hfd, 0, 1, img, g.out_len, &s);
	EXPECT_EQ(0, r);
	EXPECT_EQ(1, s.out_attempts);
	EXPECT_EQ(0, hmlm_resume(self->hfd));
	EXPECT_EQ(ST_NOT_SUSPENDED, hmlm_resume(self->hfd));
}

/* ---- A process killed while its SUSPEND waits ------------------------- */

FIXTURE(kill) {
	struct hmlm_bench b;
};

FIXTURE_VARIANT(kill) {
	__u32 flags;
	bool log;
};

FIXTURE_VARIANT_ADD(kill, plain) { .flags = 0 };
FIXTURE_VARIANT_ADD(kill, keep) { .flags = NVME_HMLM_SUSPEND_KEEP };
FIXTURE_VARIANT_ADD(kill, dudmq_logging) {
	.flags = NVME_HMLM_SUSPEND_DUDMQ, .log = true,
};

FIXTURE_SETUP(kill)
{
	hmlm_bench_get(&self->b);
	if (!faults_boot)
		SKIP(return, "needs --faults and tests-faults.qemu-args");
	ASSERT_TRUE(self->b.ok && self->b.hmlm && self->b.n_src >= 2);
}

FIXTURE_TEARDOWN(kill)
{
}

/*
 * The child binds source VF2 (its session is its own), writes 'r', sends
 * SUSPEND (no timeout of its own) and writes 'd' if that ever returns.
 */
static void __attribute__((noreturn))
kill_child(const struct hmlm_bench *b, __u32 flags, bool log, int wfd)
{
	int hfd, lfd;

	hfd = hmlm_session(b->src_pf, b->src_ids[1], NULL);
	if (hfd < 0)
		_exit(2);
	if (log) {
		lfd = hmlm_log_start(hfd, 64, 0);
		if (lfd < 0)
			_exit(3);
	}
	if (write(wfd, "r", 1) != 1)
		_exit(4);
	suspend_tmo(hfd, flags, 0);
	if (write(wfd, "d", 1) != 1)
		_exit(5);
	for (;;)
		pause();
}

/* Whether @pid sleeps interruptibly in ioctl() (/proc/PID/syscall). */
static bool in_ioctl(pid_t pid)
{
	char path[64], buf[64], st = 0;
	FILE *f;
	int nr = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fscanf(f, "%*d (%*[^)]) %c", &st) != 1)
		st = 0;
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f))
		nr = atoi(buf);
	fclose(f);
	return st == 'S' && nr == SYS_ioctl;
}

/*
 * One try: 1 if the child was killed while its SUSPEND waited, 0 if the
 * SUSPEND returned first (try again), -1 on a failure. *@reap_ms: from
 * the child's 'r' to its reaping.
 */
static int kill_once(struct __test_metadata *_metadata,
		     const struct hmlm_bench *b,
		     const FIXTURE_VARIANT(kill) *v, long long *reap_ms)
{
	long long t0;
	int p[2], st, i;
	pid_t pid;
	char c;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		close(p[0]);
		kill_child(b, v->flags, v->log, p[1]);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1 || c != 'r') {
		waitpid(pid, &st, 0);
		TH_LOG("child failed: status %#x", st);
		close(p[0]);
		return -1;
	}
	t0 = now_ms();
	for (i = 0; i < 200 && !in_ioctl(pid); i++)
		usleep(1000);
	if (kill(pid, SIGKILL) || waitpid(pid, &st, 0) != pid) {
		close(p[0]);
		return -1;
	}
	*reap_ms = now_ms() - t0;
	/* The write end is closed: 'd' or end of file. */
	i = read(p[0], &c, 1);
	close(p[0]);
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
		return -1;
	return i == 0;
}

TEST_F(kill, killed_mid_suspend)
{
	long long reap_ms = 0;
	int hfd, lfd, r, i;

	for (i = 0; i < KILL_TRIES; i++) {
		r = kill_once(_metadata, &self->b, variant, &reap_ms);
		ASSERT_LE(0, r);
		if (r)
			break;
		TH_LOG("the SUSPEND returned before the kill; again");
	}
	ASSERT_GT(KILL_TRIES, i) TH_LOG("never killed within the SUSPEND");
	/* The release waited for the Suspend to end (300 ms from its fetch). */
	EXPECT_LE(SUSPEND_DELAY_MS / 2, reap_ms);

	hfd = hmlm_session(self->b.src_pf, self->b.src_ids[1], NULL);
	ASSERT_LE(0, hfd) TH_LOG("bind after the kill: %d", hfd);
	r = hmlm_resume(hfd);
	if (variant->flags & NVME_HMLM_SUSPEND_KEEP) {
		/* Handed over: still suspended. */
		EXPECT_EQ(0, r);
		r = hmlm_resume(hfd);
	}
	/* Resumed by the release of the killed session. */
	EXPECT_EQ(ST_NOT_SUSPENDED, r);
	/* No queue left behind (a second UDMQ of a controller would fail). */
	lfd = hmlm_log_start(hfd, 64, 0);
	EXPECT_LE(0, lfd) TH_LOG("LOG_START after the kill: %d", lfd);
	if (lfd >= 0)
		close(lfd);
	/* And the controller suspends and resumes as usual. */
	EXPECT_EQ(0, hmlm_suspend(hfd, 0));
	EXPECT_EQ(0, hmlm_resume(hfd));
	close(hfd);
}

/* ---- SUSPEND whose wait ends first: the session settles later --------- */

FIXTURE(pending) {
	struct hmlm_bench b;
	int hfd;
	int lfd;
};

FIXTURE_SETUP(pending)
{
	self->hfd = -1;
	self->lfd = -1;
	hmlm_bench_get(&self->b);
	if (!faults_boot)
		SKIP(return, "needs --faults and tests-faults.qemu-args");
	ASSERT_TRUE(self->b.ok && self->b.hmlm && self->b.n_src >= 2);
	self->hfd = hmlm_session(self->b.src_pf, self->b.src_ids[1], NULL);
	ASSERT_LE(0, self->hfd) TH_LOG("bind src VF2: %d", self->hfd);
}

FIXTURE_TEARDOWN(pending)
{
	if (self->lfd >= 0)
		close(self->lfd);
	if (self->hfd >= 0)
		close(self->hfd);
}

/* Every ioctl that sends a command refuses with EBUSY. */
static void expect_busy(struct __test_metadata *_metadata, int hfd, int lfd)
{
	static unsigned char img[64];
	struct nvme_hmlm_get_state g;
	struct nvme_hmlm_set_state s;

	EXPECT_EQ(-EBUSY, suspend_tmo(hfd, 0, 0));
	EXPECT_EQ(-EBUSY, hmlm_resume(hfd));
	EXPECT_EQ(-EBUSY, get_state(hfd, 1, 1, NULL, 0, &g));
	EXPECT_EQ(-EBUSY, set_state(hfd, 1, 1, img, 48, &s));
	EXPECT_EQ(-EBUSY, hmlm_log_start(hfd, 64, 0));
	if (lfd >= 0)
		EXPECT_EQ(-EBUSY, hmlm_log_stop(lfd));
}

/* Poll with a size query until it is not EBUSY; ms from @t0 or -1. */
static long long wait_settled(struct __test_metadata *_metadata, int hfd,
			      long long t0)
{
	struct nvme_hmlm_get_state g;
	int r = -EBUSY, i;

	for (i = 0; i < 2000 && r == -EBUSY; i++) {
		r = get_state(hfd, 1, 1, NULL, 0, &g);
		if (r == -EBUSY)
			usleep(5000);
	}
	EXPECT_EQ(0, r);
	/* The Suspend succeeded: the controller is suspended now. */
	EXPECT_TRUE(g.out_flags & NVME_HMLM_STATE_OUT_CSUP);
	return r ? -1 : now_ms() - t0;
}

TEST_F(pending, timeout_then_busy_then_settled)
{
	struct nvme_hmlm_log_rec rec[8];
	static const int marks[] = {
		NVME_HMLM_MARK_FIRST, NVME_HMLM_MARK_SUSPENDED,
		NVME_HMLM_MARK_FIRST, NVME_HMLM_MARK_STOPPED,
	};
	long long t0, t;
	ssize_t n;
	int r, i;

	self->lfd = hmlm_log_start(self->hfd, 64, 0);
	ASSERT_LE(0, self->lfd) TH_LOG("LOG_START: %d", self->lfd);
	t0 = now_ms();
	r = suspend_tmo(self->hfd, 0, 50);
	t = now_ms() - t0;
	ASSERT_EQ(-ETIMEDOUT, r);
	EXPECT_LE(40, t);
	expect_busy(_metadata, self->hfd, self->lfd);
	t = wait_settled(_metadata, self->hfd, t0);
	EXPECT_LE(SUSPEND_DELAY_MS / 2, t);
	/* Suspended: the device refuses LOG_STOP. */
	EXPECT_EQ(ST_SUSPENDED, hmlm_log_stop(self->lfd));
	EXPECT_EQ(0, hmlm_resume(self->hfd));
	EXPECT_EQ(ST_NOT_SUSPENDED, hmlm_resume(self->hfd));
	EXPECT_EQ(0, hmlm_log_stop(self->lfd));
	/* Started, suspended, resumed, stopped; then the end. */
	n = 0;
	for (i = 0; i < 100 && n < (ssize_t)ARRAY_SIZE(marks); i++) {
		struct pollfd p = { .fd = self->lfd, .events = POLLIN };
		ssize_t got;

		if (poll(&p, 1, 1000) <= 0)
			break;
		got = read(self->lfd, rec + n, sizeof(rec) - n * sizeof(rec[0]));
		ASSERT_LT(0, got);
		n += got / sizeof(rec[0]);
	}
	ASSERT_EQ((ssize_t)ARRAY_SIZE(marks), n);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(marks[i], rec[i].marker) TH_LOG("record %d", i);
		EXPECT_EQ(NVME_HMLM_REC_NONE, rec[i].kind);
		EXPECT_EQ((__u64)i, rec[i].seq);
	}
	EXPECT_EQ(0, read(self->lfd, rec, sizeof(rec)));
}

static void on_alarm(int sig)
{
	(void)sig;
}

TEST_F(pending, signal_then_busy_then_settled)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value = { .tv_usec = 50000 } };
	long long t0, t;
	int r;

	/* No SA_RESTART: the handler ends the wait with EINTR. */
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	t0 = now_ms();
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	r = suspend_tmo(self->hfd, 0, 0);
	signal(SIGALRM, SIG_DFL);
	ASSERT_EQ(-EINTR, r);
	expect_busy(_metadata, self->hfd, -1);
	t = wait_settled(_metadata, self->hfd, t0);
	EXPECT_LE(SUSPEND_DELAY_MS / 2, t);
	EXPECT_EQ(0, hmlm_resume(self->hfd));
	EXPECT_EQ(ST_NOT_SUSPENDED, hmlm_resume(self->hfd));
}

/*
 * close() while the Suspend is in flight waits for it, then resumes the
 * controller, unless it was handed over (KEEP).
 */
static void close_pending(struct __test_metadata *_metadata,
			  FIXTURE_DATA(pending) *self, __u32 flags)
{
	long long t0, t;
	int hfd;

	t0 = now_ms();
	ASSERT_EQ(-ETIMEDOUT, suspend_tmo(self->hfd, flags, 20));
	ASSERT_EQ(0, close(self->hfd));
	t = now_ms() - t0;
	self->hfd = -1;
	EXPECT_LE(SUSPEND_DELAY_MS / 2, t);
	hfd = hmlm_session(self->b.src_pf, self->b.src_ids[1], NULL);
	ASSERT_LE(0, hfd) TH_LOG("bind after close: %d", hfd);
	if (flags & NVME_HMLM_SUSPEND_KEEP)
		EXPECT_EQ(0, hmlm_resume(hfd));
	EXPECT_EQ(ST_NOT_SUSPENDED, hmlm_resume(hfd));
	close(hfd);
}

TEST_F(pending, close_waits_and_resumes)
{
	close_pending(_metadata, self, 0);
}

TEST_F(pending, close_waits_keeps_handed_over)
{
	close_pending(_metadata, self, NVME_HMLM_SUSPEND_KEEP);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--faults")) {
		faults_boot = true;
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	return test_harness_run(argc, argv);
}
