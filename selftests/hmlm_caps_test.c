// SPDX-License-Identifier: GPL-2.0
/*
 * NVME_HMLM_GET_CAPS against the bench: both PFs report what the bench set
 * up (HMLMS, the VFs' CNTLIDs, VF numbers, online state), and the error and
 * count protocols of the uAPI header hold.
 */
#include <glob.h>
#include <stddef.h>

#include "kselftest_harness.h"
#include "hmlm_test.h"

#define SENTINEL	0xa5

FIXTURE(caps) {
	struct hmlm_bench b;
	int hfd;
	int src;
	int dst;
};

FIXTURE_SETUP(caps)
{
	int ret;

	self->src = -1;
	self->dst = -1;
	hmlm_bench_get(&self->b);
	ret = hmlm_ensure_loaded();
	ASSERT_EQ(0, ret) TH_LOG("loading the module: %s", strerror(-ret));
	self->hfd = hmlm_open();
	ASSERT_LE(0, self->hfd);
	if (!self->b.ok)
		return;
	self->src = open(self->b.src_pf, O_RDWR);
	ASSERT_LE(0, self->src) TH_LOG("%s: %s", self->b.src_pf, strerror(errno));
	self->dst = open(self->b.dst_pf, O_RDWR);
	ASSERT_LE(0, self->dst) TH_LOG("%s: %s", self->b.dst_pf, strerror(errno));
}

FIXTURE_TEARDOWN(caps)
{
	if (self->src >= 0)
		close(self->src);
	if (self->dst >= 0)
		close(self->dst);
	close(self->hfd);
}

#define NEED_BENCH() do {						\
	if (!self->b.ok)						\
		SKIP(return, "bench environment (HMLM_SRC_PF...) not set"); \
} while (0)

/* The whole capability check of one PF against the bench. */
static void check_pf(struct __test_metadata *_metadata, int hfd, int nfd,
		     const char *dev, const struct hmlm_bench *b,
		     const int *ids, int n_ids)
{
	struct nvme_hmlm_sec_ctrl ents[HMLM_MAX_VFS];
	struct nvme_hmlm_get_caps c;
	int i, cntlid;

	memset(ents, SENTINEL, sizeof(ents));
	hmlm_caps_init(&c, nfd, ents, HMLM_MAX_VFS);
	ASSERT_EQ(0, ioctl(hfd, NVME_HMLM_GET_CAPS, &c))
		TH_LOG("%s: %s", dev, strerror(errno));
	EXPECT_EQ(0, c.out_nvme_status);

	cntlid = hmlm_sysfs_cntlid(dev);
	ASSERT_LE(0, cntlid);
	EXPECT_EQ(cntlid, c.out_cntlid);
	EXPECT_LT(0, c.out_max_xfer);

	EXPECT_EQ(!!b->hmlm, !!(c.out_caps & NVME_HMLM_CAPS_HMLMS))
		TH_LOG("%s: HMLMS %d, bench HMLM_HMLM=%d", dev,
		       !!(c.out_caps & NVME_HMLM_CAPS_HMLMS), b->hmlm);
	EXPECT_EQ(!!b->hmlm, !!(c.out_oacs & NVME_LM_OACS_HMLMS));
	if (b->hmlm) {
		/* An MMC must support CNS 20h, with version 0 listed. */
		EXPECT_TRUE(c.out_caps & NVME_HMLM_CAPS_STATE_FMTS);
		EXPECT_LE(1, c.out_state_nv);
		EXPECT_EQ(0, c.out_state_vers[0]);
	} else {
		EXPECT_FALSE(c.out_caps & NVME_HMLM_CAPS_STATE_FMTS);
		EXPECT_EQ(0, c.out_state_nv);
		EXPECT_EQ(0, c.out_state_nuuid);
	}

	ASSERT_TRUE(c.out_caps & NVME_HMLM_CAPS_SEC_LIST);
	ASSERT_EQ(b->num_vfs, c.sec_num);
	ASSERT_EQ(b->num_vfs, n_ids);
	for (i = 0; i < b->num_vfs; i++) {
		EXPECT_EQ(ids[i], ents[i].scid) TH_LOG("%s entry %d", dev, i);
		EXPECT_EQ(i + 1, ents[i].vfn);
		EXPECT_EQ(c.out_cntlid, ents[i].pcid);
		EXPECT_TRUE(ents[i].scs & NVME_HMLM_SCS_ONLINE)
			TH_LOG("%s: VF%d (CNTLID %d) not online", dev, i + 1,
			       ents[i].scid);
		EXPECT_NE(c.out_cntlid, ents[i].scid);
	}
	/* Nothing written past the count. */
	for (i = b->num_vfs; i < HMLM_MAX_VFS; i++)
		EXPECT_EQ(SENTINEL, ((unsigned char *)&ents[i])[0]);
}

TEST_F(caps, src_pf)
{
	NEED_BENCH();
	check_pf(_metadata, self->hfd, self->src, self->b.src_pf, &self->b,
		 self->b.src_ids, self->b.n_src);
}

TEST_F(caps, dst_pf)
{
	NEED_BENCH();
	check_pf(_metadata, self->hfd, self->dst, self->b.dst_pf, &self->b,
		 self->b.dst_ids, self->b.n_dst);
}

TEST_F(caps, closed_fd_ebadf)
{
	struct nvme_hmlm_get_caps c;
	int nfd, ret;

	NEED_BENCH();
	/* A second, independent fd of the same controller works... */
	nfd = open(self->b.src_pf, O_RDONLY);
	ASSERT_LE(0, nfd);
	hmlm_caps_init(&c, nfd, NULL, 0);
	ret = ioctl(self->hfd, NVME_HMLM_GET_CAPS, &c);
	EXPECT_TRUE(ret == 0 || (ret == -1 && errno == EMSGSIZE));
	EXPECT_EQ(hmlm_sysfs_cntlid(self->b.src_pf), c.out_cntlid);
	close(nfd);
	/* ...and once closed, its number is refused. */
	hmlm_caps_init(&c, nfd, NULL, 0);
	EXPECT_ERRNO(EBADF, ioctl(self->hfd, NVME_HMLM_GET_CAPS, &c));
}

TEST_F(caps, non_nvme_fd_einval)
{
	struct nvme_hmlm_get_caps c;
	int fd = open("/dev/null", O_RDWR);

	ASSERT_LE(0, fd);
	hmlm_caps_init(&c, fd, NULL, 0);
	EXPECT_ERRNO(EINVAL, ioctl(self->hfd, NVME_HMLM_GET_CAPS, &c));
	close(fd);

	/* Our own device is not an NVMe controller either. */
	hmlm_caps_init(&c, self->hfd, NULL, 0);
	EXPECT_ERRNO(EINVAL, ioctl(self->hfd, NVME_HMLM_GET_CAPS, &c));
}

TEST_F(caps, namespace_fd_einval)
{
	struct nvme_hmlm_get_caps c;
	glob_t g;
	int fd;

	if (glob("/dev/nvme*n1", 0, NULL, &g) || !g.gl_pathc)
		SKIP(return, "no NVMe namespace block device");
	fd = open(g.gl_pathv[0], O_RDONLY);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", g.gl_pathv[0], strerror(errno));
	/* A namespace is not a controller: the MMC is /dev/nvmeN. */
	hmlm_caps_init(&c, fd, NULL, 0);
	EXPECT_ERRNO(EINVAL, ioctl(self->hfd, NVME_HMLM_GET_CAPS, &c));
	close(fd);
	globfree(&g);
}

TEST_F(caps, bad_fd_ebadf)
{
	struct nvme_hmlm_get_caps c;

	hmlm_caps_init(&c, -1, NULL, 0);
	EXPECT_ERRNO(EBADF, ioctl(self->hfd, NVME_HMLM_GET_CAPS, &c));
	hmlm_caps_init(&c, 1000000, NULL, 0);
	EXPECT_ERRNO(EBADF, ioctl(self->hfd, NVME_HMLM_GET_CAPS, &c));
}

TEST_F(caps, count_query)
{
	struct nvme_hmlm_get_caps c;
	int ret;

	NEED_BENCH();
	if (!self->b.num_vfs)
		SKIP(return, "bench has no VFs");
	/* sec_num 0, no buffer: EMSGSIZE, the count, and the rest filled. */
	hmlm_caps_init(&c, self->src, NULL, 0);
	ret = ioctl(self->hfd, NVME_HMLM_GET_CAPS, &c);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(self->b.num_vfs, c.sec_num);
	EXPECT_EQ(hmlm_sysfs_cntlid(self->b.src_pf), c.out_cntlid);
	EXPECT_EQ(!!self->b.hmlm, !!(c.out_caps & NVME_HMLM_CAPS_HMLMS));
}

TEST_F(caps, too_small_buffer_untouched)
{
	struct nvme_hmlm_sec_ctrl ents[HMLM_MAX_VFS];
	struct nvme_hmlm_get_caps c;
	unsigned int i;

	NEED_BENCH();
	if (!self->b.num_vfs)
		SKIP(return, "bench has no VFs");
	memset(ents, SENTINEL, sizeof(ents));
	hmlm_caps_init(&c, self->src, ents, self->b.num_vfs - 1);
	EXPECT_ERRNO(EMSGSIZE, ioctl(self->hfd, NVME_HMLM_GET_CAPS, &c));
	EXPECT_EQ(self->b.num_vfs, c.sec_num);
	for (i = 0; i < sizeof(ents); i++)
		ASSERT_EQ(SENTINEL, ((unsigned char *)ents)[i]);

	/* Retrying with the count the kernel gave succeeds. */
	ASSERT_EQ(0, ioctl(self->hfd, NVME_HMLM_GET_CAPS, &c));
	EXPECT_EQ(self->b.num_vfs, c.sec_num);
	EXPECT_EQ(self->b.src_ids[0], ents[0].scid);
}

TEST_F(caps, bad_buffer_efault)
{
	struct nvme_hmlm_get_caps c;

	NEED_BENCH();
	if (!self->b.num_vfs)
		SKIP(return, "bench has no VFs");
	hmlm_caps_init(&c, self->src, NULL, HMLM_MAX_VFS);
	c.sec_uptr = 8;	/* not mapped */
	EXPECT_ERRNO(EFAULT, ioctl(self->hfd, NVME_HMLM_GET_CAPS, &c));
}

TEST_F(caps, without_cap_sys_admin_eperm)
{
	struct nvme_hmlm_get_caps c;
	int fd;

	fd = self->b.ok ? self->src : open("/dev/null", O_RDWR);
	ASSERT_LE(0, fd);
	/* The harness runs each test in its own child: drop it here. */
	ASSERT_EQ(0, hmlm_drop_sys_admin());
	hmlm_caps_init(&c, fd, NULL, 0);
	EXPECT_ERRNO(EPERM, ioctl(self->hfd, NVME_HMLM_GET_CAPS, &c));
}

/*
 * Finding 11: output fields start as zero, not as the caller's input. A
 * struct reused with stale output bits gets exactly what a fresh one gets,
 * and out_max_xfer is the largest chunk_len GET_STATE accepts.
 */
TEST_F(caps, reused_struct_stale_outputs_cleared)
{
	struct nvme_hmlm_sec_ctrl ents[HMLM_MAX_VFS];
	struct nvme_hmlm_get_caps fresh, reused;

	NEED_BENCH();
	hmlm_caps_init(&fresh, self->src, ents, HMLM_MAX_VFS);
	ASSERT_EQ(0, ioctl(self->hfd, NVME_HMLM_GET_CAPS, &fresh));
	hmlm_caps_init(&reused, self->src, ents, HMLM_MAX_VFS);
	memset(&reused.out_caps, 0xff,
	       sizeof(reused) - offsetof(struct nvme_hmlm_get_caps, out_caps));
	reused.__reserved = 0;
	ASSERT_EQ(0, ioctl(self->hfd, NVME_HMLM_GET_CAPS, &reused));
	EXPECT_EQ(fresh.out_caps, reused.out_caps);
	EXPECT_EQ(0, reused.out_nvme_status);
	EXPECT_EQ(0, memcmp(&fresh, &reused, sizeof(fresh)));
	/* A whole number of 4 KiB, at most 256 KiB: what chunking takes. */
	EXPECT_EQ(0, fresh.out_max_xfer % 4096);
	EXPECT_GE(256U * 1024, fresh.out_max_xfer);
	EXPECT_LE(4096U, fresh.out_max_xfer);
}

TEST_HARNESS_MAIN
