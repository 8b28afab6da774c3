// SPDX-License-Identifier: GPL-2.0
/*
 * Device model: Get LBA Status ATYPE 02h (TP4165, tracked allocated LBAs)
 * on the destination MMC's namespace 2, a sparse raw image. Data are
 * written and deallocated through the PF's block device (O_DIRECT,
 * BLKDISCARD); the allocation is read with the kernel passthrough ioctl.
 */
#include <linux/fs.h>

#include "kselftest_harness.h"
#include "dm_common.h"

#define NSID	2
#define TLBAAG	8
#define GLS_MAX	4096

FIXTURE(lba) {
	struct dm_env env;
	struct dm_ctl pf;
	int bfd;
	char blk[128];
	uint32_t lbs;
	uint64_t nsze;
	uint8_t *io;
	uint8_t gls[GLS_MAX];
};

/* Get LBA Status, ATYPE @atype, @bytes of descriptor list. */
static int gls(const struct dm_ctl *pf, uint32_t nsid, uint8_t atype, uint64_t slba, uint16_t rl,
	       void *buf, uint32_t bytes)
{
	memset(buf, 0xcc, bytes);
	return dm_run(pf, &(struct dm_cmd){ .opc = NVME_LM_OPC_GET_LBA_STATUS, .nsid = nsid,
			.cdw10 = (uint32_t)slba, .cdw11 = (uint32_t)(slba >> 32),
			.cdw12 = bytes / 4 - 1, .cdw13 = NVME_LM_GLS_CDW13(atype, rl),
			.buf = buf, .len = bytes }, NULL);
}

#define NLSD(b)		le32_at(b, 0)
#define CMPC(b)		(((const uint8_t *)(b))[4])
#define DSLBA(b, i)	le64_at(b, 8 + 16 * (i))
#define DNLB(b, i)	le32_at(b, 8 + 16 * (i) + 8)
#define DSTAS(b, i)	(((const uint8_t *)(b))[8 + 16 * (i) + 13])

static int wr(struct __test_metadata *_metadata, FIXTURE_DATA(lba) *self, uint64_t slba,
	      uint32_t nlb)
{
	size_t len = (size_t)nlb * self->lbs;

	if (len > 1u << 20)
		return -E2BIG;
	memset(self->io, (int)(slba & 0xff) | 1, len);
	if (pwrite(self->bfd, self->io, len, (off_t)(slba * self->lbs)) != (ssize_t)len) {
		TH_LOG("pwrite %s LBA %llu+%u: %s", self->blk, (unsigned long long)slba, nlb,
		       strerror(errno));
		return -EIO;
	}
	return 0;
}

static int discard(FIXTURE_DATA(lba) *self, uint64_t slba, uint64_t nlb)
{
	uint64_t r[2] = { slba * self->lbs, nlb * self->lbs };

	return ioctl(self->bfd, BLKDISCARD, r) ? -errno : 0;
}

FIXTURE_SETUP(lba)
{
	uint8_t id[4096];
	int ssz = 0;

	self->pf.fd = -1;
	self->pf.u = NULL;
	self->bfd = -1;
	self->io = NULL;
	DM_NEED_MODEL(&self->env);
	self->pf.fd = open(self->env.dst_pf, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->pf.fd) TH_LOG("open %s: %s", self->env.dst_pf, strerror(errno));
	ASSERT_EQ(0, bench_ns_blkdev(self->env.dst_pf, NSID, self->blk, sizeof(self->blk)))
		TH_LOG("no block device for namespace %d of %s", NSID, self->env.dst_pf);
	self->bfd = open(self->blk, O_RDWR | O_DIRECT | O_CLOEXEC);
	ASSERT_LE(0, self->bfd) TH_LOG("open %s: %s", self->blk, strerror(errno));
	ASSERT_EQ(0, ioctl(self->bfd, BLKSSZGET, &ssz));
	self->lbs = ssz;
	ASSERT_ST(ST_OK, dm_identify(&self->pf, 0, 0, NSID, 0, id));
	self->nsze = le64_at(id, 0);
	ASSERT_LT(8192u, self->nsze);
	ASSERT_ST(ST_OK, dm_identify(&self->pf, NVME_LM_CNS_CS_NS, 0, NSID, NVME_LM_CSI_NVM, id));
	ASSERT_EQ(TLBAAG, le32_at(id, NVME_LM_ID_NS_NVM_TLBAAG_OFS));
	self->io = mmap(NULL, 1u << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	ASSERT_NE(MAP_FAILED, self->io);
}

FIXTURE_TEARDOWN(lba)
{
	if (self->io && self->io != MAP_FAILED)
		munmap(self->io, 1u << 20);
	if (self->bfd >= 0)
		close(self->bfd);
	if (self->pf.fd >= 0)
		close(self->pf.fd);
}

/* Deallocate the whole namespace; nothing is reported afterwards. */
#define MAKE_FRESH() do {						\
	ASSERT_EQ(0, discard(self, 0, self->nsze));			\
	ASSERT_ST(ST_OK, gls(&self->pf, NSID, 2, 0, 0, self->gls, 1024)); \
	ASSERT_EQ(0u, NLSD(self->gls)) TH_LOG("%u descriptors after deallocating it all", \
					      NLSD(self->gls));		\
} while (0)

/* The fresh sparse image has nothing allocated. */
TEST_F(lba, fresh_namespace_nothing_allocated)
{
	uint32_t n;

	ASSERT_ST(ST_OK, gls(&self->pf, NSID, 2, 0, 0, self->gls, 1024));
	n = NLSD(self->gls);
	if (n) {
		/* someone wrote to it before us: start over from a deallocated one */
		TH_LOG("namespace %d had %u allocated ranges; deallocating it", NSID, n);
		MAKE_FRESH();
	}
	EXPECT_EQ(0u, NLSD(self->gls));
	EXPECT_EQ(NVME_LM_CMPC_COMPLETE, CMPC(self->gls));
	/* nothing is written after the header */
	EXPECT_EQ(0xcc, self->gls[8]);
}

/* Exactly the TLBAAG groups that hold written LBAs, merged, 0's based. */
TEST_F(lba, written_groups_at_tlbaag_granularity)
{
	static const uint64_t want[][2] = {	/* DSLBA, NLB (1's based) */
		{ 0, 16 }, { 96, 8 }, { 1000, 32 }, { 5000, 8 },
	};
	unsigned int i;

	MAKE_FRESH();
	ASSERT_EQ(0, wr(_metadata, self, 0, 8));
	ASSERT_EQ(0, wr(_metadata, self, 12, 1));
	ASSERT_EQ(0, wr(_metadata, self, 101, 3));
	ASSERT_EQ(0, wr(_metadata, self, 1000, 32));
	ASSERT_EQ(0, wr(_metadata, self, 5003, 1));
	ASSERT_ST(ST_OK, gls(&self->pf, NSID, 2, 0, 0, self->gls, 1024));
	ASSERT_EQ(4u, NLSD(self->gls));
	EXPECT_EQ(NVME_LM_CMPC_COMPLETE, CMPC(self->gls));
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(want[i][0], DSLBA(self->gls, i)) TH_LOG("descriptor %u", i);
		EXPECT_EQ(want[i][1] - 1, DNLB(self->gls, i)) TH_LOG("descriptor %u", i);
		EXPECT_EQ(NVME_LM_LBARS_ALLOCATED, DSTAS(self->gls, i) & NVME_LM_STAS_LBARS_MASK);
		EXPECT_EQ(0, self->gls[8 + 16 * i + 12]);
	}
	/* the transfer stops after the last descriptor */
	EXPECT_EQ(0xcc, self->gls[8 + 16 * 4]);
}

/* SLBA and RL clip the reported groups; RL 0 runs to the end. */
TEST_F(lba, slba_and_range_length_clip)
{
	MAKE_FRESH();
	ASSERT_EQ(0, wr(_metadata, self, 101, 3));
	ASSERT_EQ(0, wr(_metadata, self, 1000, 32));
	ASSERT_EQ(0, wr(_metadata, self, self->nsze - 1, 1));

	ASSERT_ST(ST_OK, gls(&self->pf, NSID, 2, 100, 2, self->gls, 1024));
	ASSERT_EQ(1u, NLSD(self->gls));
	EXPECT_EQ(100u, DSLBA(self->gls, 0));
	EXPECT_EQ(1u, DNLB(self->gls, 0));

	ASSERT_ST(ST_OK, gls(&self->pf, NSID, 2, 50, 100, self->gls, 1024));
	ASSERT_EQ(1u, NLSD(self->gls));
	EXPECT_EQ(96u, DSLBA(self->gls, 0));
	EXPECT_EQ(7u, DNLB(self->gls, 0));

	/* nothing allocated in the range */
	ASSERT_ST(ST_OK, gls(&self->pf, NSID, 2, 200, 500, self->gls, 1024));
	EXPECT_EQ(0u, NLSD(self->gls));
	EXPECT_EQ(NVME_LM_CMPC_COMPLETE, CMPC(self->gls));

	/* RL 0: from SLBA (inside a group) to the end of the namespace */
	ASSERT_ST(ST_OK, gls(&self->pf, NSID, 2, 1010, 0, self->gls, 1024));
	ASSERT_EQ(2u, NLSD(self->gls));
	EXPECT_EQ(1010u, DSLBA(self->gls, 0));
	EXPECT_EQ(21u, DNLB(self->gls, 0));
	EXPECT_EQ(self->nsze - TLBAAG, DSLBA(self->gls, 1));
	EXPECT_EQ(TLBAAG - 1u, DNLB(self->gls, 1));
}

/* MNDW too small for all descriptors: CMPC 1h with what fits. */
TEST_F(lba, mndw_exhausted_cmpc_incomplete)
{
	MAKE_FRESH();
	ASSERT_EQ(0, wr(_metadata, self, 16, 1));
	ASSERT_EQ(0, wr(_metadata, self, 64, 1));
	ASSERT_EQ(0, wr(_metadata, self, 128, 1));
	/* header + one descriptor (MNDW 5) */
	ASSERT_ST(ST_OK, gls(&self->pf, NSID, 2, 0, 0, self->gls, 24));
	EXPECT_EQ(1u, NLSD(self->gls));
	EXPECT_EQ(NVME_LM_CMPC_INCOMPLETE, CMPC(self->gls));
	EXPECT_EQ(16u, DSLBA(self->gls, 0));
	/* header + two: still incomplete; three: complete */
	ASSERT_ST(ST_OK, gls(&self->pf, NSID, 2, 0, 0, self->gls, 40));
	EXPECT_EQ(2u, NLSD(self->gls));
	EXPECT_EQ(NVME_LM_CMPC_INCOMPLETE, CMPC(self->gls));
	ASSERT_ST(ST_OK, gls(&self->pf, NSID, 2, 0, 0, self->gls, 56));
	EXPECT_EQ(3u, NLSD(self->gls));
	EXPECT_EQ(NVME_LM_CMPC_COMPLETE, CMPC(self->gls));
	/* the header alone (MNDW 1) */
	ASSERT_ST(ST_OK, gls(&self->pf, NSID, 2, 0, 0, self->gls, 8));
	EXPECT_EQ(0u, NLSD(self->gls));
	EXPECT_EQ(NVME_LM_CMPC_INCOMPLETE, CMPC(self->gls));
	/* continue from after the first one */
	ASSERT_ST(ST_OK, gls(&self->pf, NSID, 2, 24, 0, self->gls, 1024));
	EXPECT_EQ(2u, NLSD(self->gls));
	EXPECT_EQ(64u, DSLBA(self->gls, 0));
}

/* Deallocating a whole group removes it; part of a group does not. */
TEST_F(lba, deallocate_whole_group_unreports_it)
{
	MAKE_FRESH();
	ASSERT_EQ(0, wr(_metadata, self, 96, 8));
	ASSERT_EQ(0, wr(_metadata, self, 1000, 16));
	ASSERT_EQ(0, discard(self, 96, 8));
	ASSERT_EQ(0, discard(self, 1000, 4));
	ASSERT_ST(ST_OK, gls(&self->pf, NSID, 2, 0, 0, self->gls, 1024));
	ASSERT_EQ(1u, NLSD(self->gls));
	EXPECT_EQ(1000u, DSLBA(self->gls, 0));
	EXPECT_EQ(15u, DNLB(self->gls, 0));
}

TEST_F(lba, status_codes)
{
	EXPECT_ST(ST_INVALID_FIELD, gls(&self->pf, NSID, 0x10, 0, 0, self->gls, 64));
	EXPECT_ST(ST_INVALID_FIELD, gls(&self->pf, NSID, 0x11, 0, 0, self->gls, 64));
	EXPECT_ST(ST_INVALID_FIELD, gls(&self->pf, NSID, 0x00, 0, 0, self->gls, 64));
	/* MNDW 0: less than the 8-byte header */
	EXPECT_ST(ST_INVALID_FIELD, gls(&self->pf, NSID, 2, 0, 0, self->gls, 4));
	EXPECT_ST(ST_LBA_RANGE, gls(&self->pf, NSID, 2, self->nsze, 0, self->gls, 64));
	EXPECT_ST(ST_LBA_RANGE, gls(&self->pf, NSID, 2, 1ull << 40, 1, self->gls, 64));
	EXPECT_ST(ST_OK, gls(&self->pf, NSID, 2, self->nsze - 1, 0, self->gls, 64));
	EXPECT_ST(ST_INVALID_NS, gls(&self->pf, 0, 2, 0, 0, self->gls, 64));
	EXPECT_ST(ST_INVALID_NS, gls(&self->pf, 7, 2, 0, 0, self->gls, 64));
	EXPECT_ST(ST_INVALID_NS, gls(&self->pf, 0xffffffff, 2, 0, 0, self->gls, 64));
}

TEST_HARNESS_MAIN
