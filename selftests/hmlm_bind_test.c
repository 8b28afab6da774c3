// SPDX-License-Identifier: GPL-2.0
/*
 * NVME_HMLM_BIND: one session binds one migratable controller of one MMC;
 * the errors of the uAPI header; exclusivity and release on close.
 *
 * With HMLM_HMLM=0 (stock device model) every bind must fail with
 * EOPNOTSUPP, which bind_unsupported asserts; the tests that need a
 * successful bind skip. With HMLM_HMLM=1 it is the other way round.
 */
#include "kselftest_harness.h"
#include "hmlm_test.h"

FIXTURE(bind) {
	struct hmlm_bench b;
	int hfd;
	int hfd2;
	int src;
	int dst;
};

FIXTURE_SETUP(bind)
{
	int ret;

	self->src = -1;
	self->dst = -1;
	hmlm_bench_get(&self->b);
	ret = hmlm_ensure_loaded();
	ASSERT_EQ(0, ret) TH_LOG("loading the module: %s", strerror(-ret));
	self->hfd = hmlm_open();
	ASSERT_LE(0, self->hfd);
	self->hfd2 = hmlm_open();
	ASSERT_LE(0, self->hfd2);
	if (!self->b.ok)
		return;
	self->src = open(self->b.src_pf, O_RDWR);
	ASSERT_LE(0, self->src);
	self->dst = open(self->b.dst_pf, O_RDWR);
	ASSERT_LE(0, self->dst);
}

FIXTURE_TEARDOWN(bind)
{
	if (self->src >= 0)
		close(self->src);
	if (self->dst >= 0)
		close(self->dst);
	close(self->hfd2);
	close(self->hfd);
}

#define NEED_BENCH() do {						\
	if (!self->b.ok)						\
		SKIP(return, "bench environment (HMLM_SRC_PF...) not set"); \
} while (0)

/* Tests that need a bind to succeed: the device model with hmlm=on. */
#define NEED_HMLM() do {						\
	NEED_BENCH();							\
	if (!self->b.hmlm)						\
		SKIP(return, "HMLM_HMLM=0: the device model lacks hmlm=on, " \
		     "so no bind can succeed (bind_unsupported checks that)"); \
	ASSERT_LE(1, self->b.n_src);					\
} while (0)

TEST_F(bind, bind_success)
{
	struct nvme_hmlm_bind b;

	NEED_HMLM();
	hmlm_bind_init(&b, self->src, self->b.src_ids[0]);
	ASSERT_EQ(0, ioctl(self->hfd, NVME_HMLM_BIND, &b))
		TH_LOG("bind %s CNTLID %d: %s", self->b.src_pf,
		       self->b.src_ids[0], strerror(errno));
	EXPECT_EQ(0, b.out_nvme_status);
	EXPECT_EQ(hmlm_sysfs_cntlid(self->b.src_pf), b.out_mmc_cntlid);
	EXPECT_EQ(1, b.out_vfn);
}

TEST_F(bind, vf_numbers)
{
	struct nvme_hmlm_bind b;
	int i, fd;

	NEED_HMLM();
	for (i = 0; i < self->b.n_dst; i++) {
		fd = hmlm_open();
		ASSERT_LE(0, fd);
		hmlm_bind_init(&b, self->dst, self->b.dst_ids[i]);
		ASSERT_EQ(0, ioctl(fd, NVME_HMLM_BIND, &b));
		EXPECT_EQ(i + 1, b.out_vfn);
		close(fd);
	}
}

TEST_F(bind, bind_unsupported)
{
	int i;

	NEED_BENCH();
	if (self->b.hmlm)
		SKIP(return, "HMLM_HMLM=1: binding is supported (bind_success checks it)");
	for (i = 0; i < self->b.n_src; i++)
		EXPECT_ERRNO(EOPNOTSUPP, hmlm_bind(self->hfd, self->src,
						   self->b.src_ids[i]));
	for (i = 0; i < self->b.n_dst; i++)
		EXPECT_ERRNO(EOPNOTSUPP, hmlm_bind(self->hfd, self->dst,
						   self->b.dst_ids[i]));
	/* Whatever the CNTLID: the MMC itself is refused first. */
	EXPECT_ERRNO(EOPNOTSUPP, hmlm_bind(self->hfd, self->src, 0xfffe));
}

TEST_F(bind, without_cap_sys_admin_eperm)
{
	int fd = self->b.ok ? self->src : open("/dev/null", O_RDWR);

	ASSERT_LE(0, fd);
	/* The harness runs each test in its own child: drop it here. */
	ASSERT_EQ(0, hmlm_drop_sys_admin());
	EXPECT_ERRNO(EPERM, hmlm_bind(self->hfd, fd,
				      self->b.n_src ? self->b.src_ids[0] : 2));
}

TEST_F(bind, non_nvme_fd_einval)
{
	int fd = open("/dev/null", O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_ERRNO(EINVAL, hmlm_bind(self->hfd, fd, 2));
	close(fd);
	/* A session fd is not an NVMe controller either. */
	EXPECT_ERRNO(EINVAL, hmlm_bind(self->hfd, self->hfd2, 2));
}

TEST_F(bind, bad_fd_ebadf)
{
	EXPECT_ERRNO(EBADF, hmlm_bind(self->hfd, -1, 2));
	EXPECT_ERRNO(EBADF, hmlm_bind(self->hfd, 1000000, 2));
}

TEST_F(bind, unknown_cntlid_enoent)
{
	NEED_HMLM();
	EXPECT_ERRNO(ENOENT, hmlm_bind(self->hfd, self->src, 0xfffe));
	EXPECT_ERRNO(ENOENT, hmlm_bind(self->hfd, self->src,
				       self->b.src_ids[self->b.n_src - 1] + 1));
	/* The failed attempts left the session unbound. */
	EXPECT_EQ(0, hmlm_bind(self->hfd, self->src, self->b.src_ids[0]));
}

TEST_F(bind, own_cntlid_enoent)
{
	int own;

	NEED_HMLM();
	own = hmlm_sysfs_cntlid(self->b.src_pf);
	ASSERT_LE(0, own);
	EXPECT_ERRNO(ENOENT, hmlm_bind(self->hfd, self->src, own));
}

TEST_F(bind, second_session_ebusy)
{
	int other;

	NEED_HMLM();
	ASSERT_EQ(0, hmlm_bind(self->hfd, self->src, self->b.src_ids[0]));
	EXPECT_ERRNO(EBUSY, hmlm_bind(self->hfd2, self->src,
				      self->b.src_ids[0]));
	/* Also through another open file of the same controller. */
	other = open(self->b.src_pf, O_RDWR);
	ASSERT_LE(0, other);
	EXPECT_ERRNO(EBUSY, hmlm_bind(self->hfd2, other, self->b.src_ids[0]));
	close(other);
}

TEST_F(bind, session_already_bound_einval)
{
	NEED_HMLM();
	ASSERT_LE(2, self->b.n_src);
	ASSERT_EQ(0, hmlm_bind(self->hfd, self->src, self->b.src_ids[0]));
	EXPECT_ERRNO(EINVAL, hmlm_bind(self->hfd, self->src,
				       self->b.src_ids[0]));
	EXPECT_ERRNO(EINVAL, hmlm_bind(self->hfd, self->src,
				       self->b.src_ids[1]));
	/* The refused rebind did not take the other controller. */
	EXPECT_EQ(0, hmlm_bind(self->hfd2, self->src, self->b.src_ids[1]));
}

TEST_F(bind, pair_free_after_close)
{
	int fd;

	NEED_HMLM();
	fd = hmlm_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, hmlm_bind(fd, self->src, self->b.src_ids[0]));
	EXPECT_ERRNO(EBUSY, hmlm_bind(self->hfd, self->src,
				      self->b.src_ids[0]));
	close(fd);
	EXPECT_EQ(0, hmlm_bind(self->hfd, self->src, self->b.src_ids[0]));
}

TEST_F(bind, nvme_fd_may_close_after_bind)
{
	int nfd;

	NEED_HMLM();
	nfd = open(self->b.src_pf, O_RDWR);
	ASSERT_LE(0, nfd);
	ASSERT_EQ(0, hmlm_bind(self->hfd, nfd, self->b.src_ids[0]));
	close(nfd);
	/* The session keeps its own reference: still bound. */
	EXPECT_ERRNO(EBUSY, hmlm_bind(self->hfd2, self->src,
				      self->b.src_ids[0]));
}

TEST_F(bind, two_cntlids_at_once)
{
	NEED_HMLM();
	ASSERT_LE(2, self->b.n_src);
	EXPECT_EQ(0, hmlm_bind(self->hfd, self->src, self->b.src_ids[0]));
	EXPECT_EQ(0, hmlm_bind(self->hfd2, self->src, self->b.src_ids[1]));
}

TEST_F(bind, same_cntlid_other_subsystem)
{
	NEED_HMLM();
	ASSERT_LE(1, self->b.n_dst);
	/* The bench gives both subsystems the same CNTLIDs (2 3). */
	EXPECT_EQ(0, hmlm_bind(self->hfd, self->src, self->b.src_ids[0]));
	EXPECT_EQ(0, hmlm_bind(self->hfd2, self->dst, self->b.dst_ids[0]));
}

TEST_HARNESS_MAIN
