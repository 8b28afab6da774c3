// SPDX-License-Identifier: GPL-2.0
/*
 * LOG_START and the log fd under a write workload: the polled userspace
 * driver (selftests/lib/udrv) plays the VM on the source VF1 and writes;
 * every written range must come out of the log fd as a record. Markers,
 * wrap-around, a full queue, PRP-list queues, poll/epoll, non-blocking
 * reads, LOG_STOP, DUDMQ, and what closing the fds does.
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <linux/nvme_ioctl.h>

#include "kselftest_harness.h"
#include "hmlm_test.h"
#include "udrv.h"

#define NSID	1
#define RECSZ	sizeof(struct nvme_hmlm_log_rec)
#define TMO_MS	10000
#define POISON_BYTE	0xa5

FIXTURE(log) {
	struct hmlm_bench b;
	struct udrv_ctrl *c;
	int hfd;
	int lfd;
	void *buf;
};

FIXTURE_SETUP(log)
{
	char bdf[32];
	int r;

	self->hfd = -1;
	self->lfd = -1;
	self->c = NULL;
	hmlm_bench_get(&self->b);
	if (!self->b.ok || !self->b.hmlm || !self->b.n_src ||
	    !bench_env_word("HMLM_SRC_VFS", 0, bdf, sizeof(bdf)))
		SKIP(return, "needs the bench with hmlm=on");
	self->hfd = hmlm_session(self->b.src_pf, self->b.src_ids[0], NULL);
	ASSERT_LE(0, self->hfd) TH_LOG("bind: %d", self->hfd);
	r = udrv_open(bdf, NULL, &self->c);
	ASSERT_EQ(0, r) TH_LOG("udrv_open(%s): %d", bdf, r);
	self->buf = calloc(1, 64 * 512);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(log)
{
	if (self->lfd >= 0)
		close(self->lfd);
	if (self->hfd >= 0)
		close(self->hfd);
	if (self->c)
		udrv_close(self->c);
	free(self->buf);
}

static int vf_write(FIXTURE_DATA(log) *self, __u64 slba, __u32 nlb)
{
	return udrv_write(self->c, 1, NSID, slba, nlb, self->buf);
}

static void expect_marker(struct __test_metadata *_metadata,
			  const struct nvme_hmlm_log_rec *r, int marker)
{
	EXPECT_EQ(marker, r->marker);
	EXPECT_EQ(NVME_HMLM_REC_NONE, r->kind);
	EXPECT_EQ(0, r->nsid);
	EXPECT_EQ(0, r->slba);
	EXPECT_EQ(0, r->nlb);
	EXPECT_EQ(0, r->__reserved);
}

TEST_F(log, first_marker_and_every_write)
{
	struct nvme_hmlm_log_rec r[64];
	bool seen[40] = { false };
	int i, n, fl;

	self->lfd = hmlm_log_start(self->hfd, 256, 0);
	ASSERT_LE(0, self->lfd) TH_LOG("LOG_START: %d", self->lfd);
	fl = fcntl(self->lfd, F_GETFD);
	EXPECT_TRUE(fl & FD_CLOEXEC);
	EXPECT_EQ(0, fcntl(self->lfd, F_GETFL) & O_NONBLOCK);
	memset(r, POISON_BYTE, sizeof(r));
	ASSERT_EQ(1, hmlm_read_recs(self->lfd, r, 1, TMO_MS));
	expect_marker(_metadata, &r[0], NVME_HMLM_MARK_FIRST);
	EXPECT_EQ(0, r[0].seq);
	for (i = 0; i < 40; i++)
		ASSERT_EQ(0, vf_write(self, 1000 + 16 * i, 1 + i % 8));
	n = hmlm_read_recs(self->lfd, r, 40, TMO_MS);
	ASSERT_EQ(40, n);
	for (i = 0; i < n; i++) {
		int k = (r[i].slba - 1000) / 16;

		EXPECT_EQ(NVME_HMLM_REC_RANGE, r[i].kind);
		EXPECT_EQ(NVME_HMLM_MARK_NONE, r[i].marker);
		EXPECT_EQ(NSID, r[i].nsid);
		EXPECT_EQ(0, r[i].flags);
		EXPECT_EQ(0, r[i].__reserved);
		EXPECT_EQ(i + 1, r[i].seq);
		ASSERT_LE(0, k);
		ASSERT_GT(40, k);
		EXPECT_EQ(1000 + 16 * k, r[i].slba);
		EXPECT_EQ(1 + k % 8, r[i].nlb);
		seen[k] = true;
	}
	for (i = 0; i < 40; i++)
		EXPECT_TRUE(seen[i]) TH_LOG("write %d not logged", i);
}

TEST_F(log, deallocate_and_write_zeroes)
{
	struct nvme_hmlm_log_rec r[4];

	self->lfd = hmlm_log_start(self->hfd, 64, 0);
	ASSERT_LE(0, self->lfd);
	ASSERT_EQ(1, hmlm_read_recs(self->lfd, r, 1, TMO_MS));
	ASSERT_EQ(0, udrv_deallocate(self->c, 1, NSID, 4096, 64));
	ASSERT_EQ(1, hmlm_read_recs(self->lfd, r, 1, TMO_MS));
	EXPECT_EQ(4096, r[0].slba);
	EXPECT_EQ(64, r[0].nlb);
	EXPECT_EQ(NVME_HMLM_REC_DEALLOC, r[0].flags);
	ASSERT_EQ(0, udrv_write_zeroes(self->c, 1, NSID, 8192, 16));
	ASSERT_EQ(1, hmlm_read_recs(self->lfd, r, 1, TMO_MS));
	EXPECT_EQ(8192, r[0].slba);
	EXPECT_EQ(16, r[0].nlb);
}

TEST_F(log, nonblock_and_read_sizes)
{
	struct nvme_hmlm_log_rec r[2];
	char small[RECSZ - 1];

	self->lfd = hmlm_log_start(self->hfd, 64, NVME_HMLM_LOG_NONBLOCK);
	ASSERT_LE(0, self->lfd);
	EXPECT_TRUE(fcntl(self->lfd, F_GETFL) & O_NONBLOCK);
	EXPECT_ERRNO(EINVAL, read(self->lfd, small, sizeof(small)));
	ASSERT_EQ(1, hmlm_read_recs(self->lfd, r, 1, TMO_MS));
	EXPECT_ERRNO(EAGAIN, read(self->lfd, r, sizeof(r)));
	ASSERT_EQ(0, vf_write(self, 50, 1));
	ASSERT_EQ(0, vf_write(self, 60, 1));
	/* A buffer of 1.5 records gets one whole record. */
	struct pollfd p = { .fd = self->lfd, .events = POLLIN };

	ASSERT_EQ(1, poll(&p, 1, TMO_MS));
	EXPECT_EQ((ssize_t)RECSZ, read(self->lfd, r, RECSZ + RECSZ / 2));
	EXPECT_EQ(1, hmlm_read_recs(self->lfd, r, 1, TMO_MS));
	{
		void *volatile bad = (void *)8;

		ASSERT_EQ(0, vf_write(self, 70, 1));
		ASSERT_EQ(1, poll(&p, 1, TMO_MS));
		EXPECT_ERRNO(EFAULT, read(self->lfd, bad, RECSZ));
		/* Nothing was lost: the record is still there. */
		EXPECT_EQ(1, hmlm_read_recs(self->lfd, r, 1, TMO_MS));
		EXPECT_EQ(70, r[0].slba);
	}
}

TEST_F(log, poll_and_epoll_wake)
{
	struct nvme_hmlm_log_rec r[2];
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct pollfd p;
	int ep;

	self->lfd = hmlm_log_start(self->hfd, 64, 0);
	ASSERT_LE(0, self->lfd);
	ASSERT_EQ(1, hmlm_read_recs(self->lfd, r, 1, TMO_MS));
	p.fd = self->lfd;
	p.events = POLLIN;
	EXPECT_EQ(0, poll(&p, 1, 50));
	ASSERT_EQ(0, vf_write(self, 300, 2));
	ASSERT_EQ(1, poll(&p, 1, TMO_MS));
	EXPECT_TRUE(p.revents & POLLIN);
	ASSERT_EQ(1, hmlm_read_recs(self->lfd, r, 1, TMO_MS));

	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->lfd, &ev));
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 50));
	ASSERT_EQ(0, vf_write(self, 400, 2));
	ASSERT_EQ(1, epoll_wait(ep, &out, 1, TMO_MS));
	EXPECT_TRUE(out.events & EPOLLIN);
	ASSERT_EQ(1, hmlm_read_recs(self->lfd, r, 1, TMO_MS));
	EXPECT_EQ(400, r[0].slba);
	close(ep);
}

/* Write and read one record at a time through several wraps. */
static void wrap(struct __test_metadata *_metadata, FIXTURE_DATA(log) *self,
		 __u32 slots, __u32 flags, int pc)
{
	struct nvme_hmlm_log_start a = {
		.size = sizeof(a), .entries = slots, .flags = flags,
	};
	struct nvme_hmlm_log_rec r;
	int i, total = 3 * slots + 5;

	ASSERT_EQ(0, hmlm_ioc(self->hfd, NVME_HMLM_LOG_START, &a));
	self->lfd = a.out_fd;
	EXPECT_EQ(pc, a.out_pc);
	ASSERT_EQ(1, hmlm_read_recs(self->lfd, &r, 1, TMO_MS));
	for (i = 0; i < total; i++) {
		ASSERT_EQ(0, vf_write(self, 7 * i, 1));
		ASSERT_EQ(1, hmlm_read_recs(self->lfd, &r, 1, TMO_MS))
			TH_LOG("record %d of %d", i, total);
		EXPECT_EQ(NVME_HMLM_MARK_NONE, r.marker);
		EXPECT_EQ(7 * i, r.slba);
		EXPECT_EQ(i + 1, r.seq);
		/* Let the head update reach the device now and then. */
		if (i % 4 == 3)
			usleep(2000);
	}
}

TEST_F(log, wrap_around_contiguous)
{
	wrap(_metadata, self, 8, 0, 1);
}

TEST_F(log, wrap_around_prp_list)
{
	/* 256 slots: two pages. */
	wrap(_metadata, self, 256, NVME_HMLM_LOG_PRP_LIST, 0);
}

TEST_F(log, full_queue_reported_then_eof)
{
	struct nvme_hmlm_log_rec r[8];
	int i, n;

	self->lfd = hmlm_log_start(self->hfd, 4, 0);
	ASSERT_LE(0, self->lfd);
	for (i = 0; i < 6; i++)
		ASSERT_EQ(0, vf_write(self, 100 * i, 1));
	n = hmlm_read_recs(self->lfd, r, 8, 2000);
	/* 3 usable slots: first, one write, the write that filled it. */
	ASSERT_EQ(3, n);
	expect_marker(_metadata, &r[0], NVME_HMLM_MARK_FIRST);
	EXPECT_EQ(0, r[1].slba);
	EXPECT_EQ(NVME_HMLM_MARK_NONE, r[1].marker);
	EXPECT_EQ(NVME_HMLM_MARK_FULL, r[2].marker);
	EXPECT_EQ(0, read(self->lfd, r, sizeof(r)));
	/* Stopping a log that ended is fine. */
	EXPECT_EQ(0, hmlm_log_stop(self->lfd));
}

TEST_F(log, markers_suspend_resume_stop)
{
	struct nvme_hmlm_log_rec r[8];

	self->lfd = hmlm_log_start(self->hfd, 64, 0);
	ASSERT_LE(0, self->lfd);
	ASSERT_EQ(1, hmlm_read_recs(self->lfd, r, 1, TMO_MS));
	expect_marker(_metadata, &r[0], NVME_HMLM_MARK_FIRST);
	ASSERT_EQ(0, hmlm_suspend(self->hfd, 0));
	ASSERT_EQ(1, hmlm_read_recs(self->lfd, r, 1, TMO_MS));
	expect_marker(_metadata, &r[0], NVME_HMLM_MARK_SUSPENDED);
	/* Logging cannot stop while suspended (39h). */
	EXPECT_EQ(HMLM_SC_SUSPENDED, HMLM_SC(hmlm_log_stop(self->lfd)));
	ASSERT_EQ(0, hmlm_resume(self->hfd));
	ASSERT_EQ(1, hmlm_read_recs(self->lfd, r, 1, TMO_MS));
	expect_marker(_metadata, &r[0], NVME_HMLM_MARK_FIRST);
	ASSERT_EQ(0, vf_write(self, 77, 3));
	ASSERT_EQ(0, hmlm_log_stop(self->lfd));
	ASSERT_EQ(2, hmlm_read_recs(self->lfd, r, 8, TMO_MS));
	EXPECT_EQ(77, r[0].slba);
	EXPECT_EQ(3, r[0].nlb);
	expect_marker(_metadata, &r[1], NVME_HMLM_MARK_STOPPED);
	EXPECT_EQ(4, r[1].seq);
	EXPECT_EQ(0, read(self->lfd, r, sizeof(r)));
	EXPECT_EQ(0, hmlm_log_stop(self->lfd));
}

TEST_F(log, suspend_dudmq_ends_log)
{
	struct nvme_hmlm_log_rec r[4];
	int l2;

	self->lfd = hmlm_log_start(self->hfd, 64, 0);
	ASSERT_LE(0, self->lfd);
	ASSERT_EQ(1, hmlm_read_recs(self->lfd, r, 1, TMO_MS));
	ASSERT_EQ(0, vf_write(self, 5, 1));
	ASSERT_EQ(0, hmlm_suspend(self->hfd, NVME_HMLM_SUSPEND_DUDMQ));
	ASSERT_EQ(2, hmlm_read_recs(self->lfd, r, 4, TMO_MS));
	EXPECT_EQ(5, r[0].slba);
	expect_marker(_metadata, &r[1], NVME_HMLM_MARK_SUSPENDED);
	EXPECT_EQ(0, read(self->lfd, r, sizeof(r)));
	EXPECT_EQ(0, hmlm_log_stop(self->lfd));
	ASSERT_EQ(0, hmlm_resume(self->hfd));
	close(self->lfd);
	/* The device's queue is gone, so a new one can be made. */
	l2 = hmlm_log_start(self->hfd, 64, 0);
	ASSERT_LE(0, l2);
	self->lfd = l2;
}

/*
 * Get Features, Controller Data Queue (FID 21h), through the MMC's own
 * admin queue: the head the device holds for @cdqid.
 */
static int cdq_device_head(const char *pf, __u16 cdqid, __u32 *hp)
{
	__u32 data[128] = { 0 };
	struct nvme_admin_cmd c = {
		.opcode = 0x0a,
		.addr = (__u64)(uintptr_t)data,
		.data_len = sizeof(data),
		.cdw10 = 0x21,
		.cdw11 = cdqid,
	};
	int fd = open(pf, O_RDONLY);
	int r;

	if (fd < 0)
		return -errno;
	r = ioctl(fd, NVME_IOCTL_ADMIN_CMD, &c);
	close(fd);
	if (r)
		return r < 0 ? -errno : r;
	*hp = data[0];
	return 0;
}

/*
 * Finding 8: the head of a queue that a SUSPEND with DUDMQ deleted must
 * never be sent again. The device recycles the CDQID for the next queue,
 * here VF2's log on the same MMC; a late head update of VF1's log would
 * move VF2's head past entries VF2's reader never saw (the device then
 * reuses their slots: lost dirty-LBA records).
 */
TEST_F(log, head_never_sent_to_a_recycled_cdqid)
{
	struct nvme_hmlm_log_start a = { .size = sizeof(a), .entries = 64 };
	struct nvme_hmlm_log_rec r[16];
	struct udrv_ctrl *c2 = NULL;
	int h2 = -1, l2 = -1, i, n, rc;
	__u16 cdqid;
	char bdf2[32];
	__u32 hp;

	if (self->b.n_src < 2 ||
	    !bench_env_word("HMLM_SRC_VFS", 1, bdf2, sizeof(bdf2)))
		SKIP(return, "needs two VFs on the source PF");
	ASSERT_EQ(0, hmlm_ioc(self->hfd, NVME_HMLM_LOG_START, &a));
	self->lfd = a.out_fd;
	cdqid = a.out_cdqid;
	ASSERT_EQ(1, hmlm_read_recs(self->lfd, r, 1, TMO_MS));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, vf_write(self, 100 + i, 1));
	ASSERT_EQ(0, hmlm_suspend(self->hfd, NVME_HMLM_SUSPEND_DUDMQ));

	/* VF2's log takes the CDQID the device freed. */
	h2 = hmlm_session(self->b.src_pf, self->b.src_ids[1], NULL);
	ASSERT_LE(0, h2);
	a.out_fd = -1;
	ASSERT_EQ(0, hmlm_ioc(h2, NVME_HMLM_LOG_START, &a));
	l2 = a.out_fd;
	if (a.out_cdqid != cdqid) {
		close(l2);
		close(h2);
		SKIP(return, "the device gave CDQID %u, not the freed %u",
		     a.out_cdqid, cdqid);
	}
	rc = udrv_open(bdf2, NULL, &c2);
	ASSERT_EQ(0, rc) TH_LOG("udrv_open(%s): %d", bdf2, rc);
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, udrv_write(c2, 1, NSID, 200 + i, 1, self->buf));

	/* VF1's reader consumes what its queue held before the deletion. */
	n = hmlm_read_recs(self->lfd, r, 16, TMO_MS);
	ASSERT_EQ(5, n);
	expect_marker(_metadata, &r[4], NVME_HMLM_MARK_SUSPENDED);
	EXPECT_EQ(0, read(self->lfd, r, sizeof(r)));
	/* The head work runs asynchronously: give it time to misbehave. */
	usleep(300 * 1000);
	ASSERT_EQ(0, cdq_device_head(self->b.src_pf, cdqid, &hp));
	EXPECT_EQ(0, hp) TH_LOG("VF2's queue head moved to %u by VF1's log", hp);

	/* And VF2's reader gets every record. */
	n = hmlm_read_recs(l2, r, 11, TMO_MS);
	ASSERT_EQ(11, n);
	for (i = 0; i < 10; i++)
		EXPECT_EQ(200 + i, r[1 + i].slba);
	udrv_close(c2);
	close(l2);
	close(h2);
	EXPECT_EQ(0, hmlm_resume(self->hfd));
}

TEST_F(log, log_start_errors)
{
	struct nvme_hmlm_log_start a;
	int r;

	EXPECT_EQ(-EINVAL, hmlm_log_start(self->hfd, 1, 0));
	EXPECT_EQ(-EINVAL, hmlm_log_start(self->hfd, NVME_HMLM_LOG_MAX_ENTRIES + 1, 0));
	EXPECT_EQ(-EINVAL, hmlm_log_start(self->hfd, 64, 1U << 5));
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.entries = 64;
	a.__reserved = 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->hfd, NVME_HMLM_LOG_START, &a));
	a.__reserved = 0;
	a.__reserved3 = 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->hfd, NVME_HMLM_LOG_START, &a));
	/* Suspended: Track Send fails (39h) and the queue is deleted again. */
	ASSERT_EQ(0, hmlm_suspend(self->hfd, 0));
	r = hmlm_log_start(self->hfd, 64, 0);
	EXPECT_EQ(HMLM_SC_SUSPENDED, HMLM_SC(r));
	ASSERT_EQ(0, hmlm_resume(self->hfd));
	self->lfd = hmlm_log_start(self->hfd, 64, 0);
	ASSERT_LE(0, self->lfd);
	EXPECT_EQ(-EBUSY, hmlm_log_start(self->hfd, 64, 0));
}

TEST_F(log, log_fd_ioctl_errors)
{
	struct nvme_hmlm_log_stop st;
	struct nvme_hmlm_suspend su = { .size = sizeof(su) };

	self->lfd = hmlm_log_start(self->hfd, 64, 0);
	ASSERT_LE(0, self->lfd);
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	st.flags = 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->lfd, NVME_HMLM_LOG_STOP, &st));
	st.flags = 0;
	st.__reserved = 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->lfd, NVME_HMLM_LOG_STOP, &st));
	st.__reserved = 0;
	st.size = 8;
	EXPECT_ERRNO(EINVAL, ioctl(self->lfd, NVME_HMLM_LOG_STOP, &st));
	EXPECT_ERRNO(EFAULT, ioctl(self->lfd, NVME_HMLM_LOG_STOP, NULL));
	/* Session ioctls are not log fd ioctls. */
	EXPECT_ERRNO(ENOTTY, ioctl(self->lfd, NVME_HMLM_SUSPEND, &su));
}

TEST_F(log, close_deletes_queue)
{
	int i;

	for (i = 0; i < 3; i++) {
		self->lfd = hmlm_log_start(self->hfd, 64, i == 1 ?
					   NVME_HMLM_LOG_PRP_LIST : 0);
		ASSERT_LE(0, self->lfd) TH_LOG("round %d: %d", i, self->lfd);
		close(self->lfd);
		self->lfd = -1;
	}
}

TEST_F(log, log_fd_outlives_session)
{
	struct nvme_hmlm_log_rec r[2];
	int s2;

	self->lfd = hmlm_log_start(self->hfd, 64, 0);
	ASSERT_LE(0, self->lfd);
	close(self->hfd);
	self->hfd = -1;
	/* The binding stays with the log fd. */
	EXPECT_EQ(-EBUSY, hmlm_session(self->b.src_pf, self->b.src_ids[0], NULL));
	ASSERT_EQ(0, vf_write(self, 900, 1));
	ASSERT_EQ(2, hmlm_read_recs(self->lfd, r, 2, TMO_MS));
	EXPECT_EQ(900, r[1].slba);
	/* The module cannot go while the log fd exists. */
	EXPECT_NE(0, hmlm_delete_module());
	EXPECT_TRUE(hmlm_module_loaded());
	close(self->lfd);
	self->lfd = -1;
	s2 = hmlm_session(self->b.src_pf, self->b.src_ids[0], NULL);
	ASSERT_LE(0, s2);
	self->hfd = s2;
}

/*
 * A Suspend that drains many reads, waited for 1 ms: ETIMEDOUT, the
 * command stays in flight (EBUSY meanwhile), and its outcome is taken over
 * once it completes. Skips when the device was faster than the wait.
 */
TEST_F(log, suspend_timeout_then_settled)
{
	struct nvme_hmlm_suspend a = { .size = sizeof(a), .timeout_ms = 1 };
	void *dma;
	int i, r, q = 0;

	dma = udrv_dma_alloc(self->c, 32 * 65536);
	ASSERT_NE(NULL, dma);
	for (i = 0; i < 32; i++) {
		r = udrv_submit_rw(self->c, 1, false, NSID, 128 * i, 128,
				   (char *)dma + 65536 * i,
				   UDRV_SUBMIT_NO_DOORBELL, NULL, NULL);
		if (r < 0)
			break;
		q++;
	}
	ASSERT_LT(0, q);
	ASSERT_EQ(0, udrv_ring_sq(self->c, 1));
	r = hmlm_ioc(self->hfd, NVME_HMLM_SUSPEND, &a);
	if (r == 0) {
		EXPECT_EQ(0, hmlm_resume(self->hfd));
		udrv_poll_n(self->c, 1, NULL, q, TMO_MS);
		SKIP(return, "the suspend completed within 1 ms");
	}
	ASSERT_EQ(-ETIMEDOUT, r);
	for (i = 0; i < 1000; i++) {
		r = hmlm_resume(self->hfd);
		if (r != -EBUSY)
			break;
		usleep(10000);
	}
	/* The suspend completed meanwhile; the resume found it suspended. */
	EXPECT_EQ(0, r);
	EXPECT_EQ(q, udrv_poll_n(self->c, 1, NULL, q, TMO_MS));
}

TEST_HARNESS_MAIN
