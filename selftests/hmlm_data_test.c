// SPDX-License-Identifier: GPL-2.0
/*
 * Data sessions (NVME_HMLM_BIND_DATA): a second session on a migratable
 * controller that another session holds, the way a daemon moves the
 * namespace data while the VFIO variant driver holds the VF for QEMU.
 * It binds beside the controller's session, may read the allocated LBAs
 * and the migration queue and nothing else, never loses its queue to the
 * other session's Suspend, and sees that Suspend in its log.
 *
 * The polled userspace driver (selftests/lib/udrv) plays the VM on the
 * source VF1 and writes.
 */
#include <fcntl.h>
#include <poll.h>

#include "kselftest_harness.h"
#include "hmlm_test.h"
#include "udrv.h"

#define NSID	1
#define RECSZ	sizeof(struct nvme_hmlm_log_rec)
#define TMO_MS	10000

FIXTURE(data) {
	struct hmlm_bench b;
	struct udrv_ctrl *c;
	int ctl;		/* the controller's session */
	int nfd;		/* the MMC */
	void *buf;
};

FIXTURE_SETUP(data)
{
	char bdf[32];
	int r;

	self->ctl = -1;
	self->nfd = -1;
	self->c = NULL;
	self->buf = NULL;
	hmlm_bench_get(&self->b);
	if (!self->b.ok || !self->b.hmlm || !self->b.n_src ||
	    !bench_env_word("HMLM_SRC_VFS", 0, bdf, sizeof(bdf)))
		SKIP(return, "needs the bench with hmlm=on");
	self->ctl = hmlm_session(self->b.src_pf, self->b.src_ids[0],
				 &self->nfd);
	ASSERT_LE(0, self->ctl) TH_LOG("bind: %d", self->ctl);
	r = udrv_open(bdf, NULL, &self->c);
	ASSERT_EQ(0, r) TH_LOG("udrv_open(%s): %d", bdf, r);
	self->buf = calloc(1, 8 * 512);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(data)
{
	if (self->ctl >= 0)
		close(self->ctl);
	if (self->nfd >= 0)
		close(self->nfd);
	if (self->c)
		udrv_close(self->c);
	free(self->buf);
}

/* A data session on the fixture's controller: its fd, or -errno. */
static int data_session(FIXTURE_DATA(data) *self, __u32 flags)
{
	struct nvme_hmlm_bind b;
	int hfd = hmlm_open(), e;

	if (hfd < 0)
		return -errno;
	hmlm_bind_init(&b, self->nfd, self->b.src_ids[0]);
	b.flags = flags;
	if (ioctl(hfd, NVME_HMLM_BIND, &b)) {
		e = -errno;
		close(hfd);
		return e;
	}
	return hfd;
}

static int vf_write(FIXTURE_DATA(data) *self, __u64 slba, __u32 nlb)
{
	return udrv_write(self->c, 1, NSID, slba, nlb, self->buf);
}

TEST_F(data, binds_beside_the_controller_session)
{
	struct nvme_hmlm_bind b;
	int d, d2, o2;

	hmlm_bind_init(&b, self->nfd, self->b.src_ids[0]);
	b.flags = NVME_HMLM_BIND_DATA;
	d = hmlm_open();
	ASSERT_LE(0, d);
	ASSERT_EQ(0, ioctl(d, NVME_HMLM_BIND, &b)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(1, b.out_vfn);
	EXPECT_EQ(hmlm_sysfs_cntlid(self->b.src_pf), b.out_mmc_cntlid);
	/* one session of each role */
	EXPECT_EQ(-EBUSY, data_session(self, NVME_HMLM_BIND_DATA));
	EXPECT_EQ(-EBUSY, data_session(self, 0));
	/* a flag the kernel does not know */
	EXPECT_EQ(-EINVAL, data_session(self, 1U << 1));
	close(d);
	d2 = data_session(self, NVME_HMLM_BIND_DATA);
	ASSERT_LE(0, d2) TH_LOG("a data session after the first closed: %d", d2);
	/* the controller's session is free again once its holder closes */
	close(self->ctl);
	self->ctl = -1;
	o2 = data_session(self, 0);
	EXPECT_LE(0, o2);
	if (o2 >= 0)
		close(o2);
	close(d2);
}

TEST_F(data, cannot_act_on_the_controller)
{
	struct nvme_hmlm_suspend su = { .size = sizeof(su) };
	struct nvme_hmlm_resume re = { .size = sizeof(re) };
	struct nvme_hmlm_get_state gs = { .size = sizeof(gs) };
	struct nvme_hmlm_set_state ss = { .size = sizeof(ss) };
	struct nvme_hmlm_track_mem tm = { .size = sizeof(tm) };
	struct nvme_hmlm_lba_range r[4];
	struct nvme_hmlm_alloc_lbas al = {
		.size = sizeof(al), .nsid = NSID, .num = 4,
		.ranges_uptr = (uintptr_t)r,
	};
	int d;

	d = data_session(self, NVME_HMLM_BIND_DATA);
	ASSERT_LE(0, d);
	EXPECT_ERRNO(EACCES, ioctl(d, NVME_HMLM_SUSPEND, &su));
	EXPECT_ERRNO(EACCES, ioctl(d, NVME_HMLM_RESUME, &re));
	EXPECT_ERRNO(EACCES, ioctl(d, NVME_HMLM_GET_STATE, &gs));
	EXPECT_ERRNO(EACCES, ioctl(d, NVME_HMLM_SET_STATE, &ss));
	EXPECT_ERRNO(EACCES, ioctl(d, NVME_HMLM_TRACK_MEM, &tm));
	/* nothing was sent: the controller was never suspended */
	EXPECT_EQ(HMLM_SC_NOT_SUSPENDED, HMLM_SC(hmlm_resume(self->ctl)));
	ASSERT_EQ(0, vf_write(self, 4096, 8));
	EXPECT_EQ(0, hmlm_ioc(d, NVME_HMLM_GET_ALLOC_LBAS, &al));
	EXPECT_LE(1, al.num);
	close(d);
}

/*
 * The controller has one migration queue, and a Suspend with DUDMQ
 * deletes it: whichever session has it, the other may neither make one
 * nor send that Suspend.
 */
TEST_F(data, one_queue_per_controller)
{
	int d, dl, cl;

	d = data_session(self, NVME_HMLM_BIND_DATA);
	ASSERT_LE(0, d);
	dl = hmlm_log_start(d, 64, 0);
	ASSERT_LE(0, dl) TH_LOG("LOG_START of the data session: %d", dl);
	EXPECT_EQ(-EBUSY, hmlm_log_start(self->ctl, 64, 0));
	EXPECT_EQ(-EBUSY, hmlm_suspend(self->ctl, NVME_HMLM_SUSPEND_DUDMQ));
	EXPECT_EQ(HMLM_SC_NOT_SUSPENDED, HMLM_SC(hmlm_resume(self->ctl)));
	close(dl);
	/* closing the log deleted the queue: the device takes a new one */
	cl = hmlm_log_start(self->ctl, 64, 0);
	ASSERT_LE(0, cl) TH_LOG("LOG_START after the data log closed: %d", cl);
	EXPECT_EQ(-EBUSY, hmlm_log_start(d, 64, 0));
	close(cl);
	close(d);
}

/*
 * The hand-off: the controller's session suspends (as the VFIO driver
 * does when QEMU stops the VM), the data session's log gets the
 * "suspended" record after every change before it, and goes on across a
 * Resume. Closing it while the controller is suspended still deletes the
 * queue.
 */
TEST_F(data, log_sees_the_suspend_of_the_controller_session)
{
	struct nvme_hmlm_log_rec r[8];
	long dma0;
	int d, dl, cl, fl;

	dma0 = hmlm_dma_bytes();
	d = data_session(self, NVME_HMLM_BIND_DATA);
	ASSERT_LE(0, d);
	dl = hmlm_log_start(d, 64, 0);
	ASSERT_LE(0, dl);
	ASSERT_EQ(1, hmlm_read_recs(dl, r, 1, TMO_MS));
	EXPECT_EQ(NVME_HMLM_MARK_FIRST, r[0].marker);
	ASSERT_EQ(0, vf_write(self, 300, 2));
	ASSERT_EQ(0, hmlm_suspend(self->ctl, NVME_HMLM_SUSPEND_KEEP));
	ASSERT_EQ(2, hmlm_read_recs(dl, r, 8, TMO_MS));
	EXPECT_EQ(NVME_HMLM_REC_RANGE, r[0].kind);
	EXPECT_EQ(300, r[0].slba);
	EXPECT_EQ(2, r[0].nlb);
	EXPECT_EQ(NVME_HMLM_MARK_SUSPENDED, r[1].marker);
	/* the log did not end: nothing more now, but not end of file */
	fl = fcntl(dl, F_GETFL);
	ASSERT_EQ(0, fcntl(dl, F_SETFL, fl | O_NONBLOCK));
	EXPECT_ERRNO(EAGAIN, read(dl, r, sizeof(r)));
	ASSERT_EQ(0, fcntl(dl, F_SETFL, fl));
	ASSERT_EQ(0, hmlm_resume(self->ctl));
	ASSERT_EQ(1, hmlm_read_recs(dl, r, 1, TMO_MS));
	EXPECT_EQ(NVME_HMLM_MARK_FIRST, r[0].marker);
	ASSERT_EQ(0, vf_write(self, 900, 1));
	ASSERT_EQ(1, hmlm_read_recs(dl, r, 1, TMO_MS));
	EXPECT_EQ(900, r[0].slba);

	ASSERT_EQ(0, hmlm_suspend(self->ctl, NVME_HMLM_SUSPEND_KEEP));
	close(dl);
	close(d);
	ASSERT_EQ(0, hmlm_resume(self->ctl));
	/* the queue is gone from the device and its memory from the host */
	cl = hmlm_log_start(self->ctl, 64, 0);
	ASSERT_LE(0, cl) TH_LOG("LOG_START after the data log closed: %d", cl);
	close(cl);
	if (dma0 >= 0)
		EXPECT_EQ(dma0, hmlm_dma_bytes());
}

TEST_HARNESS_MAIN
