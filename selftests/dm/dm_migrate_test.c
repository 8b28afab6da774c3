// SPDX-License-Identifier: GPL-2.0
/*
 * Device model: one full migration of a VF between the two subsystems,
 * driven from userspace. The "VM" is a udrv instance on source VF 1 with
 * two I/O queue pairs. The namespace data go src -> dst through the PFs'
 * block devices (the ranges Get LBA Status ATYPE 02h reports on the
 * source); the controller state (NVMe part and the model's vendor part)
 * goes with Migration Receive / Migration Send through the kernel's
 * passthrough ioctl on the two MMCs. Reads the VM queued survive: they
 * complete on the destination VF with the right data, and the VM
 * continues there without a reset.
 */
#include "kselftest_harness.h"
#include "dm_common.h"

#define NSID		1
#define NQ		2
#define QSIZE		32
#define TMO		300
#define STATE_MAX	DM_STATE_MAX
#define HDR		DM_STATE_HDR
#define LBA0		4096	/* the test's blocks: LBA0 .. LBA0 + 24 */
#define CHUNK		(1u << 20)

FIXTURE(mig) {
	struct dm_env env;
	struct dm_ctl src, dst;		/* the two MMCs, passthrough */
	struct udrv_ctrl *vm;		/* the VM, on src VF 1, then dst VF 1 */
	uint16_t sc, dc;		/* VF 1's CNTLID on either side */
	uint32_t lbs;
	uint8_t st[STATE_MAX];
};

/*
 * Reset an unbound VF (CC.EN 1 -> 0 through a short-lived udrv); with
 * @clear, read its Changed Namespace List first, so that its next namespace
 * change raises an event.
 */
static void vf_reset2(const char *bdf, bool clear)
{
	struct udrv_opts o = { .nr_io_queues = 1, .io_qsize = 2 };
	struct dm_ctl ctl = { .fd = -1 };

	int rc = udrv_open(bdf, &o, &ctl.u);

	if (!rc) {
		if (clear)
			rc = dm_clear_changed_ns(&ctl);
		udrv_close(ctl.u);
	}
	if (rc)
		fprintf(stderr, "# vf_reset %s: %d\n", bdf, rc);
}

static void vf_reset(const char *bdf)
{
	vf_reset2(bdf, false);
}

FIXTURE_SETUP(mig)
{
	struct udrv_opts o = { .nr_io_queues = NQ, .io_qsize = QSIZE };
	struct udrv_ns ns;
	int rc;

	self->src.fd = self->dst.fd = -1;
	self->src.u = self->dst.u = NULL;
	self->vm = NULL;
	DM_NEED_MODEL(&self->env);
	self->sc = self->env.src_id[0];
	self->dc = self->env.dst_id[0];
	self->src.fd = dm_open_pf(self->env.src_pf, self->env.src_id, 1, self->env.vq_per_vf);
	ASSERT_LE(0, self->src.fd) TH_LOG("open %s: %d", self->env.src_pf, self->src.fd);
	self->dst.fd = dm_open_pf(self->env.dst_pf, self->env.dst_id, 1, self->env.vq_per_vf);
	ASSERT_LE(0, self->dst.fd) TH_LOG("open %s: %d", self->env.dst_pf, self->dst.fd);
	/* both VFs not suspended; the target disabled (an online, unused VF) */
	dm_resume(&self->src, self->sc);
	dm_resume(&self->dst, self->dc);
	vf_reset2(self->env.dst_vf[0], true);
	rc = udrv_open(self->env.src_vf[0], &o, &self->vm);
	ASSERT_EQ(0, rc) TH_LOG("udrv_open(%s): %d", self->env.src_vf[0], rc);
	ASSERT_EQ(NQ, udrv_info(self->vm)->nr_io_queues);
	ASSERT_EQ(0, udrv_identify_ns(self->vm, NSID, &ns));
	self->lbs = ns.lba_size;
}

FIXTURE_TEARDOWN(mig)
{
	/*
	 * Neither VF may touch the VM's memory once it is freed: reset the
	 * source VF (suspended with the VM's queues) and, unless the VM runs
	 * there, the target VF before closing the VM.
	 */
	if (self->vm) {
		vf_reset(self->env.src_vf[0]);
		if (!udrv_attached(self->vm) || strcmp(udrv_bdf(self->vm), self->env.dst_vf[0]))
			vf_reset(self->env.dst_vf[0]);
		udrv_close(self->vm);
	}
	if (self->src.fd >= 0) {
		dm_resume(&self->src, self->sc);
		close(self->src.fd);
	}
	if (self->dst.fd >= 0) {
		dm_resume(&self->dst, self->dc);
		close(self->dst.fd);
	}
}

static void pattern(uint8_t *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i += 4)
		put_le32(p, i, seed ^ (uint32_t)(i * 2654435761u));
}

/*
 * Copy what Get LBA Status ATYPE 02h reports allocated on the source
 * namespace to the target one, through the PFs' block devices (O_DIRECT).
 * Returns the number of blocks copied or -errno / an NVMe status.
 */
static long long copy_namespace(struct __test_metadata *_metadata, FIXTURE_DATA(mig) *self)
{
	static uint8_t gls[4096];
	char sb[128], db[128];
	long long copied = 0;
	uint64_t slba = 0, nsze, lba, end;
	uint8_t id[4096], *buf;
	int sfd, dfd, rc;
	uint32_t i, n;

	if (bench_ns_blkdev(self->env.src_pf, NSID, sb, sizeof(sb)) ||
	    bench_ns_blkdev(self->env.dst_pf, NSID, db, sizeof(db)))
		return -ENOENT;
	rc = dm_identify(&self->src, 0, 0, NSID, 0, id);
	if (rc)
		return rc;
	nsze = le64_at(id, 0);
	sfd = open(sb, O_RDONLY | O_DIRECT | O_CLOEXEC);
	dfd = open(db, O_WRONLY | O_DIRECT | O_CLOEXEC);
	buf = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sfd < 0 || dfd < 0 || buf == MAP_FAILED) {
		copied = -errno;
		goto out;
	}
	while (slba < nsze) {
		rc = dm_run(&self->src, &(struct dm_cmd){ .opc = NVME_LM_OPC_GET_LBA_STATUS,
				.nsid = NSID, .cdw10 = (uint32_t)slba,
				.cdw11 = (uint32_t)(slba >> 32), .cdw12 = sizeof(gls) / 4 - 1,
				.cdw13 = NVME_LM_GLS_CDW13(NVME_LM_GLS_ATYPE_ALLOCATED, 0),
				.buf = gls, .len = sizeof(gls) }, NULL);
		if (rc) {
			copied = rc;
			goto out;
		}
		n = le32_at(gls, 0);
		for (i = 0; i < n; i++) {
			lba = le64_at(gls, 8 + 16 * i);
			end = lba + le32_at(gls, 16 + 16 * i) + 1;
			while (lba < end) {
				size_t len = (end - lba) * self->lbs;

				if (len > CHUNK)
					len = CHUNK;
				if (pread(sfd, buf, len, lba * self->lbs) != (ssize_t)len ||
				    pwrite(dfd, buf, len, lba * self->lbs) != (ssize_t)len) {
					TH_LOG("copy LBA %llu: %s", (unsigned long long)lba,
					       strerror(errno));
					copied = -EIO;
					goto out;
				}
				lba += len / self->lbs;
				copied += len / self->lbs;
			}
			slba = end;
		}
		if (gls[4] != NVME_LM_CMPC_INCOMPLETE || !n)
			break;
	}
out:
	if (buf != MAP_FAILED)
		munmap(buf, CHUNK);
	if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
	return copied;
}

/* Read @nlb blocks at @slba through a PF's block device. */
static int blk_read(const char *pf, uint64_t slba, uint32_t nlb, uint32_t lbs, void *out)
{
	char b[128];
	void *buf;
	int fd, rc = 0;

	if (bench_ns_blkdev(pf, NSID, b, sizeof(b)))
		return -ENOENT;
	fd = open(b, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (posix_memalign(&buf, 4096, (size_t)nlb * lbs)) {
		close(fd);
		return -ENOMEM;
	}
	if (pread(fd, buf, (size_t)nlb * lbs, slba * lbs) != (ssize_t)nlb * lbs)
		rc = -EIO;
	else
		memcpy(out, buf, (size_t)nlb * lbs);
	free(buf);
	close(fd);
	return rc;
}

/* Without its vendor part the state needs an enabled target: 02h. */
TEST_F_TIMEOUT(mig, nvme_state_alone_needs_an_enabled_target, TMO)
{
	uint32_t len = 0, dw0 = 0;

	ASSERT_ST(ST_OK, dm_suspend(&self->src, self->sc, NVME_LM_STYPE_SUSPEND, false));
	ASSERT_ST(ST_OK, dm_state_read(&self->src, self->sc, 1, 0, self->st, &len, &dw0));
	EXPECT_EQ(1u, dw0);
	ASSERT_ST(ST_OK, dm_suspend(&self->dst, self->dc, NVME_LM_STYPE_SUSPEND, false));
	EXPECT_ST(ST_INVALID_FIELD, dm_set_state(&self->dst, self->dc, NVME_LM_SEQIND_ONLY, 1, 0,
						 0, self->st, len));
	ASSERT_ST(ST_OK, dm_resume(&self->dst, self->dc));
	ASSERT_ST(ST_OK, dm_resume(&self->src, self->sc));
	/* the VM never noticed */
	ASSERT_EQ(0, udrv_read(self->vm, 1, NSID, LBA0, 1, self->st));
}

TEST_F_TIMEOUT(mig, vf_migrates_with_queued_reads, TMO)
{
	const uint32_t seed = (uint32_t)dm_now_ms() | 1;
	const size_t blk8 = 8 * (size_t)self->lbs;
	struct udrv_completion cpl[8];
	struct udrv_queue_state qs[NQ + 1];
	struct udrv_stats stats;
	uint8_t *a, *b, *c, *r1, *r2, *r3, *r4, *chk;
	uint32_t len = 0, dw0 = 0, i;
	int cid0, cid1, cid2, cid3, cid4, n, q, rc;
	struct udrv_sqe aer;
	const uint8_t *vs;
	bool attach = false;
	bool done1 = false, done2 = false, done3 = false, done4 = false;
	long long copied;
	uint64_t t0;

	a = udrv_dma_alloc(self->vm, blk8);
	b = udrv_dma_alloc(self->vm, blk8);
	c = udrv_dma_alloc(self->vm, blk8);
	r1 = udrv_dma_alloc(self->vm, blk8);
	r2 = udrv_dma_alloc(self->vm, blk8);
	r3 = udrv_dma_alloc(self->vm, blk8);
	r4 = udrv_dma_alloc(self->vm, blk8);
	chk = malloc(blk8);
	ASSERT_TRUE(a && b && c && r1 && r2 && r3 && r4 && chk);
	pattern(a, blk8, seed);
	pattern(b, blk8, seed * 3);
	pattern(c, blk8, seed * 5);

	/* the VM has an Asynchronous Event Request outstanding */
	ASSERT_ST(ST_OK, dm_clear_changed_ns(&(struct dm_ctl){ .fd = -1, .u = self->vm }));
	memset(&aer, 0, sizeof(aer));
	aer.opcode = 0x0c;
	cid0 = udrv_submit(self->vm, 0, &aer, NULL, 0, 0, NULL, NULL);
	ASSERT_LE(0, cid0);

	/* the VM writes its data on the source */
	ASSERT_EQ(0, udrv_write(self->vm, 1, NSID, LBA0, 8, a));
	ASSERT_EQ(0, udrv_write(self->vm, 2, NSID, LBA0 + 8, 8, b));

	/* bulk copy of the namespace, then a check of the test's blocks */
	copied = copy_namespace(_metadata, self);
	ASSERT_LE(16, copied) TH_LOG("copy_namespace: %lld", copied);
	ASSERT_EQ(0, blk_read(self->env.dst_pf, LBA0, 8, self->lbs, chk));
	ASSERT_EQ(0, memcmp(a, chk, blk8)) TH_LOG("target namespace lacks the data");

	/*
	 * R1: rung before the Suspend. The model fetches from a bottom half
	 * the doorbell schedules: if that ran before the Suspend, R1 was
	 * fetched and completed on the source (Suspend waits for it),
	 * otherwise it stays queued and completes on the target. Either way
	 * exactly once, with the right data.
	 * R4: written before the Suspend, doorbell not rung yet.
	 */
	cid1 = udrv_submit_rw(self->vm, 1, false, NSID, LBA0, 8, r1, 0, NULL, NULL);
	ASSERT_LE(0, cid1);
	cid4 = udrv_submit_rw(self->vm, 1, false, NSID, LBA0 + 8, 8, r4,
			      UDRV_SUBMIT_NO_DOORBELL, NULL, NULL);
	ASSERT_LE(0, cid4);
	ASSERT_ST(ST_OK, dm_suspend(&self->src, self->sc, NVME_LM_STYPE_SUSPEND, false));
	/* R2: rung while suspended (not fetched); R3: written, not rung */
	cid2 = udrv_submit_rw(self->vm, 2, false, NSID, LBA0 + 8, 8, r2, 0, NULL, NULL);
	cid3 = udrv_submit_rw(self->vm, 1, false, NSID, LBA0, 8, r3, UDRV_SUBMIT_NO_DOORBELL,
			      NULL, NULL);
	ASSERT_LE(0, cid2);
	ASSERT_LE(0, cid3);
	t0 = dm_now_ms();
	while (dm_now_ms() - t0 < 300) {
		for (q = 1; q <= NQ; q++) {
			n = udrv_poll(self->vm, q, cpl, 8);
			ASSERT_LE(0, n);
			for (i = 0; i < (uint32_t)n; i++) {
				ASSERT_EQ(q == 1 ? cid1 : -1, cpl[i].cid)
					TH_LOG("queue %d: command %u completed while suspended",
					       q, cpl[i].cid);
				EXPECT_EQ(0, udrv_status_code(cpl[i].status));
				done1 = true;
			}
		}
		usleep(10000);
	}
	TH_LOG("the read rung before the Suspend %s", done1 ? "completed on the source" :
	       "was still queued at the Suspend");

	/* the source's state: R2 (and R1 if not fetched) between head and tail */
	ASSERT_ST(ST_OK, dm_state_read(&self->src, self->sc, 1, 1, self->st, &len, &dw0));
	EXPECT_EQ(1u, dw0 & NVME_LM_MRECV_DW0_CSUP);
	ASSERT_EQ(NQ, le16_at(self->st, HDR + 2));
	vs = self->st + HDR + 4 * le64_at(self->st, 16);
	EXPECT_EQ(1u, le32_at(vs, 4) & 1);		/* enabled */
	EXPECT_EQ(1, le16_at(vs, 98));			/* NAERS */
	EXPECT_EQ((uint16_t)cid0, le16_at(vs, 168));	/* the AER's CID */
	for (q = 1; q <= NQ; q++) {
		const uint8_t *sq = self->st + HDR + 8 + 24 * (q - 1);

		ASSERT_EQ(q, le16_at(sq, 10));
		EXPECT_EQ(q == 2 || !done1 ? 1 : 0,
			  (le16_at(sq, 18) + QSIZE - le16_at(sq, 16)) % QSIZE)
			TH_LOG("SQ %d head %u tail %u", q, le16_at(sq, 16), le16_at(sq, 18));
	}
	ASSERT_EQ(0, udrv_detach(self->vm));

	/* the target VF: suspended (it is not enabled), then the state */
	ASSERT_ST(ST_OK, dm_suspend(&self->dst, self->dc, NVME_LM_STYPE_SUSPEND, false));
	ASSERT_ST(ST_OK, dm_set_state(&self->dst, self->dc, NVME_LM_SEQIND_ONLY, 1, 1, 0,
				      self->st, len));
	ASSERT_EQ(0, bench_pci_enable_bm(self->env.dst_vf[0]));
	ASSERT_ST(ST_OK, dm_resume(&self->dst, self->dc));

	/* the VM continues on the target's BAR, no reset: R3/R4's doorbell */
	ASSERT_EQ(0, udrv_attach_continue(self->vm, self->env.dst_vf[0]));
	t0 = dm_now_ms();
	while ((!done1 || !done2 || !done3 || !done4) && dm_now_ms() - t0 < 20000) {
		for (q = 1; q <= NQ; q++) {
			n = udrv_poll(self->vm, q, cpl, 8);
			ASSERT_LE(0, n);
			for (i = 0; i < (uint32_t)n; i++) {
				EXPECT_EQ(0, udrv_status_code(cpl[i].status));
				if (q == 1 && cpl[i].cid == cid1)
					done1 = true;
				else if (q == 2 && cpl[i].cid == cid2)
					done2 = true;
				else if (q == 1 && cpl[i].cid == cid3)
					done3 = true;
				else if (q == 1 && cpl[i].cid == cid4)
					done4 = true;
				else
					ASSERT_TRUE(false) TH_LOG("unexpected completion q%d cid %u",
								  q, cpl[i].cid);
			}
		}
		usleep(1000);
	}
	ASSERT_TRUE(done1);
	ASSERT_TRUE(done2) TH_LOG("the read rung on the suspended source never completed");
	ASSERT_TRUE(done3) TH_LOG("the read written while suspended never completed");
	ASSERT_TRUE(done4) TH_LOG("the read written before the Suspend never completed");
	EXPECT_EQ(0, memcmp(a, r1, blk8));
	EXPECT_EQ(0, memcmp(b, r2, blk8));
	EXPECT_EQ(0, memcmp(a, r3, blk8));
	EXPECT_EQ(0, memcmp(b, r4, blk8));
	udrv_get_stats(self->vm, &stats);
	EXPECT_EQ(0u, stats.unknown_cid);
	EXPECT_EQ(0u, stats.dup_cid);
	EXPECT_EQ(0u, stats.bad_sqid);

	/* the target runs the VM: I/O and admin, the data land on dst */
	ASSERT_EQ(0, udrv_write(self->vm, 2, NSID, LBA0 + 16, 8, c));
	memset(r1, 0, blk8);
	ASSERT_EQ(0, udrv_read(self->vm, 1, NSID, LBA0 + 16, 8, r1));
	EXPECT_EQ(0, memcmp(c, r1, blk8));
	ASSERT_EQ(0, blk_read(self->env.dst_pf, LBA0 + 16, 8, self->lbs, chk));
	EXPECT_EQ(0, memcmp(c, chk, blk8));
	ASSERT_EQ(0, blk_read(self->env.src_pf, LBA0 + 16, 8, self->lbs, chk));
	EXPECT_NE(0, memcmp(c, chk, blk8)) TH_LOG("the write reached the source");
	EXPECT_EQ(0, udrv_identify_ctrl(self->vm, r2));
	EXPECT_EQ(self->dc, le16_at(r2, NVME_LM_ID_CTRL_CNTLID_OFS));
	ASSERT_ST(ST_OK, dm_get_state(&self->dst, self->dc, 1, 0, 0, self->st, HDR, &dw0));
	EXPECT_EQ(0u, dw0 & NVME_LM_MRECV_DW0_CSUP);

	/* the AER moved too: a namespace change on the target completes it */
	rc = dm_ns_attach(&self->dst, 2, self->dc, false);
	if (rc) {
		attach = true;
		rc = dm_ns_attach(&self->dst, 2, self->dc, true);
	}
	ASSERT_ST(ST_OK, rc);
	n = udrv_poll_n(self->vm, 0, cpl, 1, 10000);
	if (n != 1 && !dm_state_read(&self->dst, self->dc, 0, 1, self->st, &len, NULL))
		TH_LOG("target: NAERS %u CID %#x NEVENTS %u event %#x AER mask %#x (%s ns 2)",
		       le16_at(self->st, HDR + 98), le16_at(self->st, HDR + 168),
		       le16_at(self->st, HDR + 100), le32_at(self->st, HDR + 104),
		       self->st[HDR + 96], attach ? "attached" : "detached");
	EXPECT_ST(ST_OK, dm_ns_attach(&self->dst, 2, self->dc, attach ? false : true));
	ASSERT_EQ(1, n) TH_LOG("the migrated AER did not complete on the target");
	EXPECT_EQ(cid0, cpl[0].cid);
	EXPECT_EQ(0, udrv_status_code(cpl[0].status));
	EXPECT_EQ(DM_AEN_NS_CHANGED, cpl[0].dw0);
	for (q = 0; q <= NQ; q++)
		ASSERT_EQ(0, udrv_queue_state(self->vm, q, &qs[q]));
	free(chk);
}

TEST_HARNESS_MAIN
