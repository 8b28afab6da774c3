// SPDX-License-Identifier: GPL-2.0
/*
 * Session lifetime: a process killed in each phase (bound, logging,
 * suspended, tracking, blocked in read()) leaves the device clean; several
 * sessions on different controllers at once; the module stays while a
 * session exists; and, last and destructive, a controller reset of the
 * source MMC under a session: ENODEV afterwards, no crash, and the bench
 * restored (the VFs brought online again).
 */
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "udrv.h"
#include "hmlm_test.h"

#define TMO_MS	10000

enum phase {
	PH_BOUND,
	PH_LOGGING,
	PH_SUSPENDED,
	PH_SUSPENDED_KEEP,
	PH_TRACKING,
	PH_LOG_SUSPENDED,
	PH_READING,
	PH_SUSPEND_WAIT,
};

FIXTURE(kill) {
	struct hmlm_bench b;
};

FIXTURE_VARIANT(kill) {
	enum phase phase;
};

FIXTURE_VARIANT_ADD(kill, bound) { .phase = PH_BOUND };
FIXTURE_VARIANT_ADD(kill, logging) { .phase = PH_LOGGING };
FIXTURE_VARIANT_ADD(kill, suspended) { .phase = PH_SUSPENDED };
FIXTURE_VARIANT_ADD(kill, suspended_keep) { .phase = PH_SUSPENDED_KEEP };
FIXTURE_VARIANT_ADD(kill, tracking) { .phase = PH_TRACKING };
FIXTURE_VARIANT_ADD(kill, logging_suspended) { .phase = PH_LOG_SUSPENDED };
FIXTURE_VARIANT_ADD(kill, blocked_in_read) { .phase = PH_READING };
FIXTURE_VARIANT_ADD(kill, in_suspend) { .phase = PH_SUSPEND_WAIT };

FIXTURE_SETUP(kill)
{
	hmlm_bench_get(&self->b);
	if (!self->b.ok || !self->b.hmlm || self->b.n_src < 2)
		SKIP(return, "needs the bench with hmlm=on and two VFs");
	ASSERT_EQ(0, hmlm_ensure_loaded());
}

FIXTURE_TEARDOWN(kill)
{
}

/* The child: get into @ph on source VF2, tell the parent, wait for death. */
static void __attribute__((noreturn))
child(const struct hmlm_bench *b, enum phase ph, int wfd)
{
	struct nvme_hmlm_mem_range r = { .addr = 0x400000, .len = 8 };
	struct nvme_hmlm_log_rec rec;
	__u32 n = 1;
	int hfd, lfd = -1, ok = 1;
	char c = 'r';

	hfd = hmlm_session(b->src_pf, b->src_ids[1], NULL);
	if (hfd < 0)
		_exit(2);
	switch (ph) {
	case PH_BOUND:
		break;
	case PH_LOGGING:
	case PH_READING:
		lfd = hmlm_log_start(hfd, 64, 0);
		ok = lfd >= 0 && read(lfd, &rec, sizeof(rec)) == sizeof(rec);
		break;
	case PH_SUSPENDED:
		ok = !hmlm_suspend(hfd, 0);
		break;
	case PH_SUSPENDED_KEEP:
		ok = !hmlm_suspend(hfd, NVME_HMLM_SUSPEND_KEEP);
		break;
	case PH_TRACKING:
		ok = !hmlm_track(hfd, NVME_HMLM_TRACK_START, 0, &r, &n);
		break;
	case PH_LOG_SUSPENDED:
		lfd = hmlm_log_start(hfd, 64, 0);
		ok = lfd >= 0 && !hmlm_suspend(hfd, 0);
		break;
	case PH_SUSPEND_WAIT:
		break;
	}
	if (!ok)
		_exit(3);
	if (write(wfd, &c, 1) != 1)
		_exit(4);
	if (ph == PH_READING)
		read(lfd, &rec, sizeof(rec));	/* blocks: nothing is written */
	if (ph == PH_SUSPEND_WAIT) {
		/* Killed while suspending or just after. */
		hmlm_suspend(hfd, 0);
	}
	for (;;)
		pause();
}

TEST_F(kill, device_clean_after_sigkill)
{
	struct nvme_hmlm_mem_range r = { .addr = 0x400000, .len = 8 };
	int p[2], st, hfd, lfd, ret;
	__u32 n = 1;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(p[0]);
		child(&self->b, variant->phase, p[1]);
	}
	close(p[1]);
	ASSERT_EQ(1, read(p[0], &c, 1)) {
		waitpid(pid, &st, 0);
		TH_LOG("child failed: status %#x", st);
	}
	close(p[0]);
	if (variant->phase == PH_READING || variant->phase == PH_SUSPEND_WAIT)
		usleep(20000);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFSIGNALED(st));

	/* The binding is free again... */
	hfd = hmlm_session(self->b.src_pf, self->b.src_ids[1], NULL);
	ASSERT_LE(0, hfd) TH_LOG("bind after kill: %d", hfd);
	/* ...the controller runs, unless the session handed it over... */
	ret = hmlm_resume(hfd);
	if (variant->phase == PH_SUSPENDED_KEEP) {
		EXPECT_EQ(0, ret);
	} else {
		EXPECT_EQ(HMLM_SC_NOT_SUSPENDED, HMLM_SC(ret));
	}
	/* ...no queue is left (one per controller), no tracking either. */
	lfd = hmlm_log_start(hfd, 64, 0);
	EXPECT_LE(0, lfd) TH_LOG("LOG_START after kill: %d", lfd);
	if (lfd >= 0)
		close(lfd);
	EXPECT_EQ(0, hmlm_track(hfd, NVME_HMLM_TRACK_START, 0, &r, &n));
	EXPECT_EQ(0, hmlm_track(hfd, NVME_HMLM_TRACK_STOP, 0, NULL, NULL));
	close(hfd);
}

TEST(sessions_on_two_mmcs_and_two_vfs)
{
	struct nvme_hmlm_log_rec rec;
	struct hmlm_bench b;
	int s[3], l[3], i;

	hmlm_bench_get(&b);
	if (!b.ok || !b.hmlm || b.n_src < 2 || !b.n_dst)
		SKIP(return, "needs the bench with hmlm=on");
	s[0] = hmlm_session(b.src_pf, b.src_ids[0], NULL);
	s[1] = hmlm_session(b.src_pf, b.src_ids[1], NULL);
	s[2] = hmlm_session(b.dst_pf, b.dst_ids[0], NULL);
	for (i = 0; i < 3; i++) {
		ASSERT_LE(0, s[i]);
	}
	for (i = 0; i < 3; i++) {
		l[i] = hmlm_log_start(s[i], 32, 0);
		ASSERT_LE(0, l[i]) TH_LOG("log %d: %d", i, l[i]);
		ASSERT_EQ(sizeof(rec), read(l[i], &rec, sizeof(rec)));
		EXPECT_EQ(NVME_HMLM_MARK_FIRST, rec.marker);
	}
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, hmlm_suspend(s[i], 0));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(sizeof(rec), read(l[i], &rec, sizeof(rec)));
		EXPECT_EQ(NVME_HMLM_MARK_SUSPENDED, rec.marker);
		EXPECT_EQ(0, hmlm_resume(s[i]));
	}
	for (i = 0; i < 3; i++) {
		close(l[i]);
		close(s[i]);
	}
}

TEST(rmmod_refused_while_bound)
{
	struct hmlm_bench b;
	int s;

	hmlm_bench_get(&b);
	if (!b.ok || !b.hmlm || !b.n_src)
		SKIP(return, "needs the bench with hmlm=on");
	s = hmlm_session(b.src_pf, b.src_ids[0], NULL);
	ASSERT_LE(0, s);
	EXPECT_NE(0, hmlm_delete_module());
	EXPECT_TRUE(hmlm_module_loaded());
	close(s);
}

/* Wait until /sys/class/nvme/<pf>/state reads "live". */
static bool wait_live(const char *pf)
{
	char path[128], st[32];
	int i;

	snprintf(path, sizeof(path), "/sys/class/nvme/%s/state",
		 strrchr(pf, '/') + 1);
	for (i = 0; i < 300; i++) {
		if (!bench_sysfs_read(path, st, sizeof(st)) && !strcmp(st, "live"))
			return true;
		usleep(20000);
	}
	return false;
}

/* Bring the source VFs online again, as scripts/guest/setup.sh does. */
static int vfs_online(const struct hmlm_bench *b)
{
	const char *vq = getenv("HMLM_VQ_PER_VF");
	char cmd[256];
	int i, r = 0;

	for (i = 0; i < b->n_src; i++) {
		snprintf(cmd, sizeof(cmd),
			 "nvme virt-mgmt %s -c %d -r 1 -a 8 -n 1 >/dev/null && "
			 "nvme virt-mgmt %s -c %d -r 0 -a 8 -n %s >/dev/null && "
			 "nvme virt-mgmt %s -c %d -r 0 -a 9 -n 0 >/dev/null",
			 b->src_pf, b->src_ids[i], b->src_pf, b->src_ids[i],
			 vq ? vq : "4", b->src_pf, b->src_ids[i]);
		if (system(cmd))
			r = -EIO;
	}
	return r;
}

/*
 * Destructive: keep it the last test of the last program. A fixture of its
 * own, defined last, so that the harness runs it after the others.
 */
FIXTURE(reset) {
	int unused;
};

FIXTURE_SETUP(reset)
{
	self->unused = 0;
}

FIXTURE_TEARDOWN(reset)
{
}

/*
 * Findings 1, 2: a reset of the MMC while its VF does I/O with logging on
 * and a reader is in read(): the reader wakes with ENODEV, and the
 * queue's DMA memory is freed when the controller is disabled, before the
 * log fd is closed (dma_bytes 0; with vm.sh --iommu a DMA into it after
 * the free would fault). Destructive: restores the VFs as setup.sh does.
 */
TEST_F_TIMEOUT(reset, reset_under_io_and_blocked_reader, 300)
{
	struct nvme_hmlm_log_rec rec;
	struct hmlm_bench b;
	char path[128], bdf[32];
	int s, l, rfd, st;
	pid_t io, reader;

	hmlm_bench_get(&b);
	if (!b.ok || !b.hmlm || b.n_src < 2 ||
	    !bench_env_word("HMLM_SRC_VFS", 0, bdf, sizeof(bdf)))
		SKIP(return, "needs the bench with hmlm=on");
	s = hmlm_session(b.src_pf, b.src_ids[0], NULL);
	ASSERT_LE(0, s);
	l = hmlm_log_start(s, 4096, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(sizeof(rec), read(l, &rec, sizeof(rec)));
	EXPECT_LT(0, hmlm_dma_bytes());
	io = hmlm_io_child(bdf);
	ASSERT_LT(0, io);
	reader = hmlm_reader_child(l, &rfd);
	ASSERT_LT(0, reader);
	usleep(200 * 1000);
	EXPECT_EQ(-ETIMEDOUT, hmlm_reader_result(rfd, 0));

	snprintf(path, sizeof(path), "/sys/class/nvme/%s/reset_controller",
		 strrchr(b.src_pf, '/') + 1);
	ASSERT_EQ(0, bench_sysfs_write(path, "1"));
	EXPECT_EQ(ENODEV, hmlm_reader_result(rfd, 10000));
	close(rfd);
	EXPECT_EQ(reader, waitpid(reader, &st, 0));
	kill(io, SIGKILL);
	EXPECT_EQ(io, waitpid(io, &st, 0));
	ASSERT_TRUE(wait_live(b.src_pf));
	/* Freed when the controller was disabled, the log fd still open. */
	EXPECT_EQ(0, hmlm_dma_bytes());
	EXPECT_ERRNO(ENODEV, read(l, &rec, sizeof(rec)));
	close(l);
	close(s);
	EXPECT_EQ(0, hmlm_dma_bytes());
	ASSERT_EQ(0, vfs_online(&b));
}

/*
 * Finding 5: disabling and re-enabling SR-IOV of the MMC under a live
 * session ends it with ENODEV, even though the MMC stays live: the CNTLID
 * may belong to another VF (another VM) afterwards. Closing the dead
 * session's log still deletes its queue (the MMC was not disabled), so no
 * DMA memory stays behind. Destructive for the source VFs: they are
 * brought online again as setup.sh does.
 */
TEST_F_TIMEOUT(reset, sriov_disable_enable_gives_enodev, 300)
{
	struct nvme_hmlm_get_state g = { .size = sizeof(g),
					 .flags = NVME_HMLM_STATE_SIZE, .csvi = 1 };
	const char *pci = getenv("HMLM_SRC_PCI");
	struct nvme_hmlm_log_rec rec;
	char path[160], num[16], bdf[32];
	struct udrv_ctrl *c;
	struct hmlm_bench b;
	int s, l, s2, i;

	hmlm_bench_get(&b);
	if (!b.ok || !b.hmlm || b.n_src < 2 || !pci)
		SKIP(return, "needs the bench with hmlm=on");
	s = hmlm_session(b.src_pf, b.src_ids[1], NULL);
	ASSERT_LE(0, s);
	l = hmlm_log_start(s, 64, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(sizeof(rec), read(l, &rec, sizeof(rec)));
	EXPECT_LT(0, hmlm_dma_bytes());

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/sriov_numvfs", pci);
	ASSERT_EQ(0, bench_sysfs_write(path, "0"));
	EXPECT_EQ(-ENODEV, hmlm_ioc(s, NVME_HMLM_GET_STATE, &g));
	EXPECT_EQ(-ENODEV, hmlm_suspend(s, 0));
	EXPECT_ERRNO(ENODEV, read(l, &rec, sizeof(rec)));
	snprintf(num, sizeof(num), "%d", b.num_vfs);
	ASSERT_EQ(0, bench_sysfs_write(path, num));
	ASSERT_EQ(0, vfs_online(&b));
	/* The VFs are back: the old session stays dead. */
	EXPECT_EQ(-ENODEV, hmlm_ioc(s, NVME_HMLM_GET_STATE, &g));
	EXPECT_EQ(-ENODEV, hmlm_resume(s));
	EXPECT_EQ(-ENODEV, hmlm_log_stop(l));
	close(l);
	close(s);
	EXPECT_EQ(0, hmlm_dma_bytes());

	/* A new session on the new VF works, logging included. */
	s2 = hmlm_session(b.src_pf, b.src_ids[1], NULL);
	ASSERT_LE(0, s2);
	EXPECT_EQ(0, hmlm_suspend(s2, 0));
	EXPECT_EQ(0, hmlm_resume(s2));
	l = hmlm_log_start(s2, 64, 0);
	EXPECT_LE(0, l);
	if (l >= 0)
		close(l);
	close(s2);
	/* The new VFs are the userspace driver's again (identity domains). */
	for (i = 0; i < b.n_src; i++) {
		ASSERT_NE(NULL, bench_env_word("HMLM_SRC_VFS", i, bdf, sizeof(bdf)));
		snprintf(path, sizeof(path),
			 "/sys/bus/pci/devices/%s/iommu_group/type", bdf);
		if (!access(path, F_OK) && !access("/sys/class/iommu", F_OK))
			bench_sysfs_write(path, "identity");
	}
	ASSERT_NE(NULL, bench_env_word("HMLM_SRC_VFS", 1, bdf, sizeof(bdf)));
	ASSERT_EQ(0, udrv_open(bdf, NULL, &c));
	udrv_close(c);
}

TEST_F_TIMEOUT(reset, reset_of_the_mmc_gives_enodev, 300)
{
	struct nvme_hmlm_get_state g = { .size = sizeof(g),
					 .flags = NVME_HMLM_STATE_SIZE, .csvi = 1 };
	struct nvme_hmlm_sec_ctrl sec[HMLM_MAX_VFS];
	struct nvme_hmlm_get_caps caps;
	struct nvme_hmlm_log_rec rec;
	struct udrv_ctrl *c;
	struct hmlm_bench b;
	char path[128], bdf[32];
	struct pollfd p;
	int s, l, s2, nfd = -1, i;

	hmlm_bench_get(&b);
	if (!b.ok || !b.hmlm || b.n_src < 2)
		SKIP(return, "needs the bench with hmlm=on");
	s = hmlm_session(b.src_pf, b.src_ids[0], NULL);
	ASSERT_LE(0, s);
	l = hmlm_log_start(s, 64, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(sizeof(rec), read(l, &rec, sizeof(rec)));
	ASSERT_EQ(0, hmlm_suspend(s, 0));

	snprintf(path, sizeof(path), "/sys/class/nvme/%s/reset_controller",
		 strrchr(b.src_pf, '/') + 1);
	ASSERT_EQ(0, bench_sysfs_write(path, "1"));
	ASSERT_TRUE(wait_live(b.src_pf));

	/* Live again, but the session's controller was reset under it. */
	EXPECT_EQ(-ENODEV, hmlm_resume(s));
	EXPECT_EQ(-ENODEV, hmlm_ioc(s, NVME_HMLM_GET_STATE, &g));
	EXPECT_EQ(-ENODEV, hmlm_suspend(s, 0));
	EXPECT_ERRNO(ENODEV, read(l, &rec, sizeof(rec)));
	EXPECT_EQ(-ENODEV, hmlm_log_stop(l));
	p.fd = l;
	p.events = POLLIN;
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_TRUE(p.revents & (POLLERR | POLLHUP));
	close(l);
	close(s);

	/* A new session works; the reset resumed the controller. */
	s2 = hmlm_session(b.src_pf, b.src_ids[0], &nfd);
	ASSERT_LE(0, s2);
	EXPECT_EQ(HMLM_SC_NOT_SUSPENDED, HMLM_SC(hmlm_resume(s2)));
	l = hmlm_log_start(s2, 64, 0);
	EXPECT_LE(0, l);
	if (l >= 0)
		close(l);

	/* QEMU sets the VFs offline on a reset of their PF: restore them. */
	ASSERT_EQ(0, vfs_online(&b));
	hmlm_caps_init(&caps, nfd, sec, HMLM_MAX_VFS);
	ASSERT_EQ(0, ioctl(s2, NVME_HMLM_GET_CAPS, &caps));
	for (i = 0; i < (int)caps.sec_num; i++)
		EXPECT_EQ(NVME_HMLM_SCS_ONLINE, sec[i].scs & NVME_HMLM_SCS_ONLINE)
			TH_LOG("SCID %u offline", sec[i].scid);
	close(s2);
	close(nfd);
	/* And the VF works for a guest driver again. */
	ASSERT_NE(NULL, bench_env_word("HMLM_SRC_VFS", 0, bdf, sizeof(bdf)));
	ASSERT_EQ(0, udrv_open(bdf, NULL, &c));
	udrv_close(c);
}

TEST_HARNESS_MAIN
