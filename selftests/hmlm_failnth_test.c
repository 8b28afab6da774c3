// SPDX-License-Identifier: GPL-2.0
/*
 * fail-nth for every ioctl of /dev/nvme-hmlm, the iommufd way
 * (tools/testing/selftests/iommu/iommufd_fail_nth.c): for each ioctl in
 * each state it is valid in, the state is set up without fault injection,
 * then /proc/self/task/<tid>/fail-nth makes the Nth allocation of the call
 * fail (slab and page allocator, GFP_KERNEL included), for N = 1, 2, ...
 * until the call passes all its allocations without an injected failure.
 * Every step must
 *  - return 0, -1 with ENOMEM, or the NVMe status the call returns without
 *    fault injection (never another errno, never a crash or a checker
 *    report: the debug kernel's KASAN, lockdep, kmemleak, ...);
 *  - leave the session usable: the same call repeated without injection
 *    returns what it returns on a fresh set-up (the state is checked:
 *    nothing half-made, no EBUSY from a leftover);
 *  - leave nothing on the device once the session is closed: a new session
 *    binds the same controller, which is not suspended (RESUME answers
 *    Controller Not Suspended), takes a new log queue and a new memory
 *    tracking.
 * Leaks are found by the kmemleak scan that closes the debug boot
 * (selftests/guest/kmemleak_check.sh). close() of a session and of a log
 * fd (the release paths) is swept too. Each case prints the number of
 * allocation points it swept ("N reached"); Documentation/testing.rst lists
 * them. Needs CONFIG_FAULT_INJECTION, FAILSLAB, FAIL_PAGE_ALLOC and
 * FAULT_INJECTION_DEBUG_FS (the debug kernel); skipped elsewhere.
 */
#include <dirent.h>
#include <poll.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "hmlm_test.h"

#define MAX_NTH		2000
#define STATE_BUF	(64 << 10)

struct fctx {
	struct hmlm_bench b;
	int nfd;		/* source PF /dev/nvmeX */
	int dnfd;		/* destination PF */
	int hfd;		/* session on source VF1 */
	int dhfd;		/* session on destination VF1 */
	int lfd;		/* log fd of @hfd */
	int opened;		/* fd the op opened (open case) */
	unsigned char *img;	/* controller state of source VF1 */
	__u64 img_len;
	unsigned char *buf;	/* output buffer of the op */
	struct nvme_hmlm_sec_ctrl sec[HMLM_MAX_VFS];
};

/*
 * One case: @setup makes the state (no injection; 0 or a negative errno),
 * @op is the call under fail-nth (0, -errno or +status). @again runs
 * without injection afterwards: after a call that returned 0 it checks the
 * state the call made (0 if right; it may undo it so that the teardown
 * check sees a known state); after a call that failed it retries the call
 * and returns what the retry returned. teardown_check() then closes
 * everything and checks the device was left clean.
 */
struct fcase {
	const char *name;
	int (*setup)(struct fctx *c);
	int (*op)(struct fctx *c);
	int (*again)(struct fctx *c, int op_r);
};

/* ---- fault injection set-up ---------------------------------------------- */

static int writeat(int dfd, const char *fn, const char *val)
{
	int fd = openat(dfd, fn, O_WRONLY);
	ssize_t r;

	if (fd < 0)
		return -1;
	r = write(fd, val, strlen(val));
	close(fd);
	return r == (ssize_t)strlen(val) ? 0 : -1;
}

/* Every allocation may fail (GFP_KERNEL too), quietly. */
static bool fault_injection_setup(void)
{
	DIR *d = opendir("/sys/kernel/debug");
	struct dirent *e;
	char fn[300];

	if (!d)
		return false;
	if (writeat(dirfd(d), "failslab/ignore-gfp-wait", "N") ||
	    writeat(dirfd(d), "fail_page_alloc/ignore-gfp-wait", "N") ||
	    writeat(dirfd(d), "fail_page_alloc/ignore-gfp-highmem", "N") ||
	    writeat(dirfd(d), "fail_page_alloc/min-order", "0")) {
		closedir(d);
		return false;
	}
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "fail", 4))
			continue;
		snprintf(fn, sizeof(fn), "%s/verbose", e->d_name);
		writeat(dirfd(d), fn, "0");
	}
	closedir(d);
	return true;
}

static int nth_fd(void)
{
	char p[64];

	snprintf(p, sizeof(p), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	return open(p, O_RDWR | O_CLOEXEC);
}

static int nth_set(int fd, unsigned int n)
{
	char s[16];
	int len = snprintf(s, sizeof(s), "%u", n);

	return pwrite(fd, s, len, 0) == len ? 0 : -1;
}

/*
 * Disable fail-nth; true if the injected failure happened (the counter
 * reached 0). Reading may itself fault (EFAULT): then it counts as
 * reached, as in iommufd_fail_nth.c.
 */
static bool nth_clear(int fd)
{
	char s[16] = "";
	ssize_t r = pread(fd, s, sizeof(s) - 1, 0);
	bool hit = r == -1 ? errno == EFAULT : (r >= 1 && s[0] == '0');

	while (pwrite(fd, "0", 1, 0) != 1 && errno == EFAULT)
		;
	return hit;
}

/* ---- helpers ------------------------------------------------------------- */

static void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int session(const char *pf, int cntlid)
{
	return hmlm_session(pf, cntlid, NULL);
}

static int get_state(int hfd, void *buf, __u64 len, __u64 *out)
{
	struct nvme_hmlm_get_state g = {
		.size = sizeof(g), .csvi = 1, .csuuidi = 1,
		.buf_uptr = (uintptr_t)buf, .buf_len = len,
	};
	int r = hmlm_ioc(hfd, NVME_HMLM_GET_STATE, &g);

	if (out)
		*out = g.out_len;
	return r;
}

static int caps(int hfd, int nfd, struct nvme_hmlm_sec_ctrl *sec)
{
	struct nvme_hmlm_get_caps g;

	hmlm_caps_init(&g, nfd, sec, HMLM_MAX_VFS);
	return hmlm_ioc(hfd, NVME_HMLM_GET_CAPS, &g);
}

static int track_start(int hfd)
{
	struct nvme_hmlm_mem_range r = { .addr = 0x100000, .len = 256 };
	__u32 n = 1;

	return hmlm_track(hfd, NVME_HMLM_TRACK_START, 0, &r, &n);
}

static int track_recv(int hfd)
{
	static struct nvme_hmlm_mem_range out[16];
	__u32 n = 16;

	memset(out, 0, sizeof(out));
	return hmlm_track(hfd, NVME_HMLM_TRACK_RECV, 0, out, &n);
}

static int alloc_lbas(int hfd)
{
	static struct nvme_hmlm_lba_range out[64];
	struct nvme_hmlm_alloc_lbas a = {
		.size = sizeof(a), .nsid = 1, .num = 64,
		.ranges_uptr = (uintptr_t)out,
	};

	memset(out, 0, sizeof(out));
	return hmlm_ioc(hfd, NVME_HMLM_GET_ALLOC_LBAS, &a);
}

/* ---- set-ups --------------------------------------------------------------- */

static int su_none(struct fctx *c)
{
	(void)c;
	return 0;
}

static int su_unbound(struct fctx *c)
{
	c->hfd = hmlm_open();
	return c->hfd < 0 ? -errno : 0;
}

static int su_bound(struct fctx *c)
{
	c->hfd = session(c->b.src_pf, c->b.src_ids[0]);
	return c->hfd < 0 ? c->hfd : 0;
}

/* The holder on @opened; @hfd unbound, for a data session. */
static int su_holder(struct fctx *c)
{
	c->opened = session(c->b.src_pf, c->b.src_ids[0]);
	if (c->opened < 0)
		return c->opened;
	c->hfd = hmlm_open();
	return c->hfd < 0 ? -errno : 0;
}

static int bind_data(int hfd, int nfd, int cntlid)
{
	struct nvme_hmlm_bind b;

	hmlm_bind_init(&b, nfd, cntlid);
	b.flags = NVME_HMLM_BIND_DATA;
	return ioctl(hfd, NVME_HMLM_BIND, &b) ? -errno : 0;
}

/* The holder on @opened, a data session on @hfd. */
static int su_holder_data(struct fctx *c)
{
	int r = su_holder(c);

	return r ? r : bind_data(c->hfd, c->nfd, c->b.src_ids[0]);
}

static int su_suspended(struct fctx *c)
{
	int r = su_bound(c);

	return r ? r : hmlm_suspend(c->hfd, 0);
}

static int su_logging(struct fctx *c)
{
	int r = su_bound(c);

	if (r)
		return r;
	c->lfd = hmlm_log_start(c->hfd, 64, NVME_HMLM_LOG_NONBLOCK);
	return c->lfd < 0 ? c->lfd : 0;
}

static int su_tracking(struct fctx *c)
{
	int r = su_bound(c);

	return r ? r : track_start(c->hfd);
}

/* Everything a session can hold at once: log, tracking, suspended. */
static int su_busy(struct fctx *c)
{
	int r = su_logging(c);

	if (!r)
		r = track_start(c->hfd);
	if (!r)
		r = hmlm_suspend(c->hfd, 0);
	return r;
}

/* The source VF1 state (suspended), a suspended destination VF1 session. */
static int su_set_state(struct fctx *c)
{
	int r = su_suspended(c);

	if (r)
		return r;
	r = get_state(c->hfd, c->img, STATE_BUF, &c->img_len);
	if (r)
		return r;
	c->dhfd = session(c->b.dst_pf, c->b.dst_ids[0]);
	if (c->dhfd < 0)
		return c->dhfd;
	return hmlm_suspend(c->dhfd, 0);
}

/* ---- the calls ------------------------------------------------------------- */

static int op_open(struct fctx *c)
{
	c->opened = hmlm_open();
	return c->opened < 0 ? -errno : 0;
}

static int op_caps(struct fctx *c)
{
	return caps(c->hfd, c->nfd, c->sec);
}

static int op_bind(struct fctx *c)
{
	return hmlm_bind(c->hfd, c->nfd, c->b.src_ids[0]) ? -errno : 0;
}

static int op_bind_data(struct fctx *c)
{
	return bind_data(c->hfd, c->nfd, c->b.src_ids[0]);
}

static int op_suspend(struct fctx *c)
{
	return hmlm_suspend(c->hfd, 0);
}

static int op_suspend_notify(struct fctx *c)
{
	return hmlm_suspend(c->hfd, NVME_HMLM_SUSPEND_NOTIFY);
}

static int op_resume(struct fctx *c)
{
	return hmlm_resume(c->hfd);
}

static int op_get_state(struct fctx *c)
{
	return get_state(c->hfd, c->buf, STATE_BUF, NULL);
}

static int op_set_state(struct fctx *c)
{
	struct nvme_hmlm_set_state s = {
		.size = sizeof(s), .csvi = 1, .csuuidi = 1,
		.buf_uptr = (uintptr_t)c->img, .buf_len = c->img_len,
	};

	return hmlm_ioc(c->dhfd, NVME_HMLM_SET_STATE, &s);
}

/*
 * The ioctl itself, not hmlm_log_start(): that returns the fd or the
 * ioctl's result, and a positive NVMe status (a suspended controller
 * refuses Track Send) would pass for an fd.
 */
static int op_log_start(struct fctx *c)
{
	struct nvme_hmlm_log_start a = {
		.size = sizeof(a), .flags = NVME_HMLM_LOG_NONBLOCK, .entries = 64,
	};
	int r = hmlm_ioc(c->hfd, NVME_HMLM_LOG_START, &a);

	if (!r)
		c->lfd = a.out_fd;
	return r;
}

static int op_log_stop(struct fctx *c)
{
	return hmlm_log_stop(c->lfd);
}

/* read() and poll() of the log fd: the first record ("first" marker). */
static int op_log_read(struct fctx *c)
{
	struct nvme_hmlm_log_rec rec;
	struct pollfd p = { .fd = c->lfd, .events = POLLIN };

	if (poll(&p, 1, 5000) < 0)
		return -errno;
	if (read(c->lfd, &rec, sizeof(rec)) != sizeof(rec))
		return -errno;
	return rec.marker == NVME_HMLM_MARK_FIRST ? 0 : -EPROTO;
}

static int op_track_start(struct fctx *c)
{
	return track_start(c->hfd);
}

static int op_track_recv(struct fctx *c)
{
	return track_recv(c->hfd);
}

static int op_track_stop(struct fctx *c)
{
	return hmlm_track(c->hfd, NVME_HMLM_TRACK_STOP, 0, NULL, NULL);
}

static int op_alloc_lbas(struct fctx *c)
{
	return alloc_lbas(c->hfd);
}

/* The release paths: close() cannot fail, the device check judges it. */
static int op_close_session(struct fctx *c)
{
	closep(&c->lfd);
	closep(&c->hfd);
	return 0;
}

static int op_close_log(struct fctx *c)
{
	closep(&c->lfd);
	return 0;
}

/* ---- after the call: the same call works (or the state is as expected) ---- */

static int ag_open(struct fctx *c, int op_r)
{
	(void)op_r;
	closep(&c->opened);
	c->opened = hmlm_open();
	return c->opened < 0 ? -errno : 0;
}

static int ag_caps(struct fctx *c, int op_r)
{
	(void)op_r;
	return caps(c->hfd, c->nfd, c->sec);
}

static int ag_bind(struct fctx *c, int op_r)
{
	/* A failed BIND leaves the session unbound: binding again works. */
	if (op_r)
		return op_bind(c);
	return hmlm_bind(c->hfd, c->nfd, c->b.src_ids[0]) == -1 &&
	       errno == EINVAL ? 0 : -EPROTO;
}

/* A data session binds beside the holder, and only one. */
static int ag_bind_data(struct fctx *c, int op_r)
{
	int fd, r;

	if (op_r)
		return op_bind_data(c);
	fd = hmlm_open();
	if (fd < 0)
		return -errno;
	r = bind_data(fd, c->nfd, c->b.src_ids[0]);
	close(fd);
	return r == -EBUSY ? 0 : -EPROTO;
}

/* Suspended now (whether the injected call did it or not). */
static int ag_suspend(struct fctx *c, int op_r)
{
	int r = op_r ? hmlm_suspend(c->hfd, 0) : 0;

	return r ? r : hmlm_resume(c->hfd);
}

static int ag_suspend_notify(struct fctx *c, int op_r)
{
	(void)op_r;
	return hmlm_suspend(c->hfd, NVME_HMLM_SUSPEND_NOTIFY);
}

static int ag_resume(struct fctx *c, int op_r)
{
	if (!op_r)	/* resumed: resuming again is Not Suspended */
		return HMLM_SC(hmlm_resume(c->hfd)) == HMLM_SC_NOT_SUSPENDED ?
		       0 : -EPROTO;
	return hmlm_resume(c->hfd);
}

static int ag_get_state(struct fctx *c, int op_r)
{
	(void)op_r;
	return get_state(c->hfd, c->buf, STATE_BUF, NULL);
}

static int ag_set_state(struct fctx *c, int op_r)
{
	(void)op_r;
	return op_set_state(c);
}

static int ag_log_start(struct fctx *c, int op_r)
{
	if (!op_r)	/* one log per session */
		return hmlm_log_start(c->hfd, 64, 0) == -EBUSY ? 0 : -EPROTO;
	return op_log_start(c);
}

static int ag_log_stop(struct fctx *c, int op_r)
{
	(void)op_r;
	return hmlm_log_stop(c->lfd);
}

static int ag_log_read(struct fctx *c, int op_r)
{
	struct nvme_hmlm_log_rec rec;

	if (op_r)
		return op_log_read(c);
	/* The first record was consumed: nothing else yet (EAGAIN). */
	return read(c->lfd, &rec, sizeof(rec)) == -1 && errno == EAGAIN ?
	       0 : -EPROTO;
}

static int ag_track_start(struct fctx *c, int op_r)
{
	if (!op_r)
		return track_start(c->hfd) == -EBUSY ? 0 : -EPROTO;
	return track_start(c->hfd);
}

static int ag_track_recv(struct fctx *c, int op_r)
{
	(void)op_r;
	return track_recv(c->hfd);
}

static int ag_track_stop(struct fctx *c, int op_r)
{
	int r;

	(void)op_r;
	/* Stopped either way now; starting again works. */
	r = op_track_stop(c);
	return r ? r : track_start(c->hfd);
}

static int ag_alloc_lbas(struct fctx *c, int op_r)
{
	(void)op_r;
	return alloc_lbas(c->hfd);
}

static int ag_none(struct fctx *c, int op_r)
{
	(void)c;
	(void)op_r;
	return 0;
}

static const struct fcase cases[] = {
	{ "open", su_none, op_open, ag_open },
	{ "get_caps_unbound", su_unbound, op_caps, ag_caps },
	{ "get_caps_bound", su_bound, op_caps, ag_caps },
	{ "bind", su_unbound, op_bind, ag_bind },
	{ "suspend", su_bound, op_suspend, ag_suspend },
	{ "suspend_notify", su_bound, op_suspend_notify, ag_suspend_notify },
	{ "resume", su_suspended, op_resume, ag_resume },
	{ "get_state_running", su_bound, op_get_state, ag_get_state },
	{ "get_state_suspended", su_suspended, op_get_state, ag_get_state },
	{ "set_state", su_set_state, op_set_state, ag_set_state },
	{ "log_start", su_bound, op_log_start, ag_log_start },
	{ "log_start_suspended", su_suspended, op_log_start, ag_log_start },
	{ "log_read_poll", su_logging, op_log_read, ag_log_read },
	{ "log_stop", su_logging, op_log_stop, ag_log_stop },
	{ "track_start", su_bound, op_track_start, ag_track_start },
	{ "track_recv", su_tracking, op_track_recv, ag_track_recv },
	{ "track_stop", su_tracking, op_track_stop, ag_track_stop },
	{ "get_alloc_lbas", su_bound, op_alloc_lbas, ag_alloc_lbas },
	{ "close_log_fd", su_logging, op_close_log, ag_none },
	{ "close_busy_session", su_busy, op_close_session, ag_none },
	{ "bind_data", su_holder, op_bind_data, ag_bind_data },
	{ "log_start_data", su_holder_data, op_log_start, ag_log_start },
};

/*
 * Close everything of @c, then check that the device was left clean: a new
 * session binds source VF1, it is not suspended, and a log queue can be
 * made (the old one was deleted). 0 or the failing step (negative).
 */
static int teardown_check(struct fctx *c)
{
	int hfd, lfd, r;

	closep(&c->opened);
	closep(&c->lfd);
	closep(&c->hfd);
	closep(&c->dhfd);
	hfd = session(c->b.src_pf, c->b.src_ids[0]);
	if (hfd < 0)
		return -100;
	r = hmlm_resume(hfd);
	if (HMLM_SC(r) != HMLM_SC_NOT_SUSPENDED) {
		close(hfd);
		return -101;
	}
	lfd = hmlm_log_start(hfd, 64, 0);
	if (lfd < 0) {
		close(hfd);
		return -102;
	}
	close(lfd);
	/* Not tracked any more: a new tracking starts (1Fh if still on). */
	r = track_start(hfd);
	close(hfd);
	if (r)
		return -105;
	/* The destination VF1 too (set_state suspends it). */
	hfd = session(c->b.dst_pf, c->b.dst_ids[0]);
	if (hfd < 0)
		return -103;
	r = hmlm_resume(hfd);
	close(hfd);
	return HMLM_SC(r) == HMLM_SC_NOT_SUSPENDED ? 0 : -104;
}

FIXTURE(nth) {
	struct fctx c;
	int fd;
};

FIXTURE_VARIANT(nth) {
	int idx;
};

#define CASE(i, n) FIXTURE_VARIANT_ADD(nth, n) { .idx = i }
CASE(0, open);
CASE(1, get_caps_unbound);
CASE(2, get_caps_bound);
CASE(3, bind);
CASE(4, suspend);
CASE(5, suspend_notify);
CASE(6, resume);
CASE(7, get_state_running);
CASE(8, get_state_suspended);
CASE(9, set_state);
CASE(10, log_start);
CASE(11, log_start_suspended);
CASE(12, log_read_poll);
CASE(13, log_stop);
CASE(14, track_start);
CASE(15, track_recv);
CASE(16, track_stop);
CASE(17, get_alloc_lbas);
CASE(18, close_log_fd);
CASE(19, close_busy_session);
CASE(20, bind_data);
CASE(21, log_start_data);

FIXTURE_SETUP(nth)
{
	struct fctx *c = &self->c;

	memset(c, 0, sizeof(*c));
	c->nfd = c->dnfd = c->hfd = c->dhfd = c->lfd = c->opened = -1;
	self->fd = -1;
	hmlm_bench_get(&c->b);
	if (!c->b.ok || !c->b.hmlm || !c->b.n_src || !c->b.n_dst)
		SKIP(return, "needs the bench with hmlm=on");
	if (!fault_injection_setup())
		SKIP(return, "no fault injection (CONFIG_FAULT_INJECTION_DEBUG_FS, FAILSLAB, FAIL_PAGE_ALLOC): not the debug kernel");
	self->fd = nth_fd();
	if (self->fd < 0)
		SKIP(return, "no /proc/self/task/<tid>/fail-nth");
	ASSERT_EQ(0, hmlm_ensure_loaded());
	c->nfd = open(c->b.src_pf, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, c->nfd);
	c->img = mmap(NULL, STATE_BUF, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	c->buf = mmap(NULL, STATE_BUF, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, c->img);
	ASSERT_NE(MAP_FAILED, c->buf);
	/* Pre-fault and lock: a page fault in copy_to_user must not be swept. */
	ASSERT_EQ(0, mlockall(MCL_CURRENT | MCL_FUTURE));
}

FIXTURE_TEARDOWN(nth)
{
	closep(&self->c.nfd);
	closep(&self->fd);
}

/*
 * The session after the call returned @r: with the no-injection result
 * @base, the state the call made is right (a call that returns a status
 * returns it again); after an injected failure, the call works when
 * repeated. 0 or what went wrong.
 */
static int after(const struct fcase *fc, struct fctx *c, int r, int base)
{
	int a;

	if (r == base && base)
		return (a = fc->op(c)) == base ? 0 : (a ? a : -EPROTO);
	if (r == base)
		return fc->again(c, 0);
	a = fc->again(c, r);
	return a == base ? 0 : (a ? a : -EPROTO);
}

TEST_F_TIMEOUT(nth, sweep, 1800)
{
	const struct fcase *fc = &cases[variant->idx];
	struct fctx *c = &self->c;
	unsigned int n, injected_fail = 0;
	int base, r, a, t;
	bool hit;

	/* N = 0: no injection; what the call returns on a fresh set-up. */
	ASSERT_EQ(0, fc->setup(c)) TH_LOG("%s: set-up failed", fc->name);
	base = fc->op(c);
	ASSERT_EQ(0, base < 0 ? base : 0)
		TH_LOG("%s: fails without fault injection: %d", fc->name, base);
	a = after(fc, c, base, base);
	EXPECT_EQ(0, a) TH_LOG("%s: after the call: %d", fc->name, a);
	t = teardown_check(c);
	ASSERT_EQ(0, t) TH_LOG("%s: the device was not left clean: %d", fc->name, t);
	if (base)
		TH_LOG("%s: NVMe status 0x%x without injection (the baseline)",
		       fc->name, base);

	for (n = 1; n <= MAX_NTH; n++) {
		r = fc->setup(c);
		ASSERT_EQ(0, r) TH_LOG("%s N=%u: set-up failed: %d", fc->name, n, r);
		ASSERT_EQ(0, nth_set(self->fd, n));
		r = fc->op(c);
		hit = nth_clear(self->fd);
		EXPECT_TRUE(r == base || r == -ENOMEM)
			TH_LOG("%s N=%u: returned %d (%s), not %d or -ENOMEM",
			       fc->name, n, r, r < 0 ? strerror(-r) : "status", base);
		if (r != base)
			injected_fail++;
		a = after(fc, c, r, base);
		EXPECT_EQ(0, a)
			TH_LOG("%s N=%u: returned %d, then the session is not usable: %d",
			       fc->name, n, r, a);
		t = teardown_check(c);
		ASSERT_EQ(0, t)
			TH_LOG("%s N=%u: returned %d, the device was not left clean: %d",
			       fc->name, n, r, t);
		if (!hit) {
			EXPECT_EQ(base, r);
			break;
		}
	}
	ASSERT_GE(MAX_NTH, n) TH_LOG("%s: more than %u allocations", fc->name, MAX_NTH);
	ksft_print_msg("failnth: %s: N reached %u (%u allocation points swept, %u of them failed the call)\n",
		       fc->name, n, n - 1, injected_fail);
}

TEST_HARNESS_MAIN
