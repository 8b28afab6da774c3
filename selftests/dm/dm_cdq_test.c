// SPDX-License-Identifier: GPL-2.0
/*
 * Device model: Controller Data Queues (User Data Migration Queues), Feature
 * 21h, Track Send SEL 0h (Log User Data Changes) and the LBA Migration Queue
 * entries the model posts for source VF 1's commands.
 *
 * A CDQ ring must stay in place after its Create, so the source PF's kernel
 * driver is unbound and a udrv instance drives the MMC (each fixture resets
 * it, which sets the VFs offline: the fixture brings them online again). A
 * second udrv instance plays VF 1's VM. The last test gives the PF back to
 * the kernel and brings the VFs online, as the bench's set-up left them; a
 * destructor does the same if the program stops early.
 */
#include "kselftest_harness.h"
#include "dm_common.h"

#define NSID	1
#define TMO	120
#define ENT	32u
#define HDR_NVMECS	(48 + 8 + 2 * 24)	/* state header, one SQ, one CQ */

FIXTURE(cdq) {
	struct dm_env env;
	struct dm_ctl pf;		/* the MMC, udrv */
	struct udrv_ctrl *vf;		/* VF 1's VM */
	uint16_t c1, c2, own;
	uint32_t lbs;
	uint8_t *io;			/* VF pool, 64 KiB */
};

static struct dm_env g_env;

/*
 * Does namespace @nsid of /dev/nvmeX have the block device the bench's
 * environment names (HMLM_SRC_NS<nsid>)? True when it does not name one.
 */
static bool ns_name_as_before(const char *dev, uint32_t nsid)
{
	char var[32], blk[128];
	const char *want;

	snprintf(var, sizeof(var), "HMLM_SRC_NS%u", nsid);
	want = getenv(var);
	if (!want || !*want)
		return true;
	return !bench_ns_blkdev(dev, nsid, blk, sizeof(blk)) && !strcmp(blk, want);
}

/* Bind the kernel driver to @pci and wait for a live controller. */
static int bind_live(const char *pci, char *dev, size_t dlen, char *why, size_t len)
{
	char p[128], st[32] = "";
	int i;

	if (!dm_pci_bound(pci)) {
		i = bench_sysfs_write("/sys/bus/pci/drivers/nvme/bind", pci);
		if (i) {
			snprintf(why, len, "bind %s: %s", pci, strerror(-i));
			return i;
		}
	}
	for (i = 0; i < 600; i++) {
		if (!dm_pci_ctrl_dev(pci, dev, dlen)) {
			snprintf(p, sizeof(p), "/sys/class/nvme/%s/state", dev + 5);
			if (!bench_sysfs_read(p, st, sizeof(st)) && !strcmp(st, "live"))
				return 0;
		}
		usleep(50000);
	}
	snprintf(why, len, "%s: controller not live after bind (%s)", pci, st);
	return -ETIMEDOUT;
}

/*
 * Give the source PF back to the kernel, VFs online; 0 or -errno. The
 * kernel scans namespaces in parallel, so their block devices may come back
 * under swapped names: rebind until they match the bench's environment.
 */
static int restore_pf(const struct dm_env *e, char *why, size_t len)
{
	char p[160], dev[64], blk[128];
	int i, fd, rc, attempt;

	for (attempt = 0;; attempt++) {
		rc = bind_live(e->src_pci, dev, sizeof(dev), why, len);
		if (rc)
			return rc;
		if (strcmp(dev, e->src_pf)) {
			snprintf(why, len, "the PF came back as %s, the bench says %s", dev,
				 e->src_pf);
			return -ENODEV;
		}
		for (i = 0; i < 200; i++) {
			if (!bench_ns_blkdev(dev, 1, blk, sizeof(blk)) &&
			    !bench_ns_blkdev(dev, 2, blk, sizeof(blk)))
				break;
			usleep(50000);
		}
		if (i == 200) {
			snprintf(why, len, "no block devices for the namespaces of %s", dev);
			return -ENOENT;
		}
		if (ns_name_as_before(dev, 1) && ns_name_as_before(dev, 2))
			break;
		if (attempt == 20) {
			snprintf(why, len, "the namespaces of %s keep other block device names",
				 dev);
			return -EEXIST;
		}
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver/unbind", e->src_pci);
		rc = bench_sysfs_write(p, e->src_pci);
		if (rc) {
			snprintf(why, len, "unbind %s: %s", e->src_pci, strerror(-rc));
			return rc;
		}
		for (i = 0; i < 100 && dm_pci_bound(e->src_pci); i++)
			usleep(50000);
	}
	fd = dm_open_pf(dev, e->src_id, e->nvf, e->vq_per_vf);
	if (fd < 0) {
		snprintf(why, len, "VFs online on %s: %d", dev, fd);
		return fd;
	}
	close(fd);
	return 0;
}

static pid_t g_main_pid;

__attribute__((constructor)) static void remember_main(void)
{
	g_main_pid = getpid();
}

__attribute__((destructor)) static void restore_on_exit(void)
{
	char why[256];

	if (getpid() != g_main_pid)
		return;
	dm_env_get(&g_env);
	if (g_env.ok && g_env.hmlm && !dm_pci_bound(g_env.src_pci) &&
	    restore_pf(&g_env, why, sizeof(why)))
		fprintf(stderr, "# dm_cdq_test: could not restore the source PF: %s\n", why);
}

FIXTURE_SETUP(cdq)
{
	struct udrv_opts po = { .nr_io_queues = 1, .io_qsize = 16, .dma_pool_bytes = 8u << 20 };
	struct udrv_opts vo = { .nr_io_queues = 1, .io_qsize = 32 };
	struct udrv_ns ns;
	char p[160];
	int rc, i;

	self->pf.fd = -1;
	self->pf.u = NULL;
	self->vf = NULL;
	DM_NEED_MODEL(&self->env);
	ASSERT_LE(2, self->env.nvf) TH_LOG("the CDQ tests need two VFs");
	self->c1 = self->env.src_id[0];
	self->c2 = self->env.src_id[1];
	if (dm_pci_bound(self->env.src_pci)) {
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver/unbind", self->env.src_pci);
		rc = bench_sysfs_write(p, self->env.src_pci);
		ASSERT_EQ(0, rc) TH_LOG("unbind %s: %s", self->env.src_pci, strerror(-rc));
		for (i = 0; i < 100 && dm_pci_bound(self->env.src_pci); i++)
			usleep(50000);
	}
	rc = udrv_open(self->env.src_pci, &po, &self->pf.u);
	ASSERT_EQ(0, rc) TH_LOG("udrv_open(PF %s): %d", self->env.src_pci, rc);
	self->own = udrv_info(self->pf.u)->cntlid;
	/* the reset set the VFs offline */
	for (i = 0; i < 2; i++) {
		rc = dm_vf_online(&self->pf, self->env.src_id[i], self->env.vq_per_vf);
		ASSERT_EQ(0, rc) TH_LOG("VF CNTLID %d online: %#x", self->env.src_id[i], rc);
	}
	rc = udrv_open(self->env.src_vf[0], &vo, &self->vf);
	ASSERT_EQ(0, rc) TH_LOG("udrv_open(VF %s): %d", self->env.src_vf[0], rc);
	ASSERT_EQ(0, udrv_identify_ns(self->vf, NSID, &ns));
	self->lbs = ns.lba_size;
	self->io = udrv_dma_alloc(self->vf, 65536);
	ASSERT_NE(NULL, self->io);
}

FIXTURE_TEARDOWN(cdq)
{
	/* a VM left detached: stop its VF before its memory goes */
	if (self->vf && !udrv_attached(self->vf)) {
		struct dm_bar bar;

		if (!dm_bar_map(self->env.src_vf[0], &bar)) {
			dm_bar_w32(&bar, 0x14, 0);
			dm_bar_unmap(&bar);
		}
	}
	udrv_close(self->vf);
	/* CC.EN = 0 on the MMC deletes its CDQs */
	udrv_close(self->pf.u);
}

/* ---- helpers ----------------------------------------------------------- */

static int cdq_create(FIXTURE_DATA(cdq) *self, uint16_t cntlid, bool pc, uint64_t prp1,
		      uint32_t dwords, uint8_t qt, uint16_t *cdqid)
{
	uint64_t res = 0xffff;
	int rc;

	rc = dm_run(&self->pf, &(struct dm_cmd){ .opc = NVME_LM_OPC_CDQ,
			.cdw10 = NVME_LM_CDW10(NVME_LM_CDQ_SEL_CREATE, qt),
			.cdw11 = NVME_LM_CDQ_CREATE_CDW11(cntlid, pc), .cdw12 = dwords,
			.prp1 = prp1 }, &res);
	if (cdqid)
		*cdqid = NVME_LM_CDQ_DW0_CDQID(res);
	return rc;
}

/* A zeroed, physically contiguous ring of @slots entries and its CDQ. */
static uint8_t *ring_create(FIXTURE_DATA(cdq) *self, uint16_t cntlid, uint32_t slots,
			    uint16_t *cdqid, int *st)
{
	uint8_t *r = dm_dma_contig(self->pf.u, slots * ENT);

	*st = -ENOMEM;
	if (!r)
		return NULL;
	*st = cdq_create(self, cntlid, true, udrv_virt_to_phys(self->pf.u, r), slots * 8, 0,
			 cdqid);
	return r;
}

static int set_hp(FIXTURE_DATA(cdq) *self, uint16_t cdqid, uint32_t hp, bool etpt, uint32_t tpt,
		  bool save)
{
	return dm_run(&self->pf, &(struct dm_cmd){ .opc = OPC_SET_FEATURES,
			.cdw10 = NVME_LM_FID_CDQ | (save ? 1u << 31 : 0),
			.cdw11 = NVME_LM_FEAT_CDQ_CDW11(cdqid, etpt), .cdw12 = hp,
			.cdw13 = tpt }, NULL);
}

static int get_feat(FIXTURE_DATA(cdq) *self, uint16_t cdqid, uint8_t sel, void *buf512,
		    uint32_t *dw0)
{
	uint64_t res = 0;
	int rc;

	memset(buf512, 0xee, 512);
	rc = dm_run(&self->pf, &(struct dm_cmd){ .opc = OPC_GET_FEATURES,
			.cdw10 = NVME_LM_FID_CDQ | (uint32_t)sel << 8, .cdw11 = cdqid,
			.buf = buf512, .len = 512 }, &res);
	if (dw0)
		*dw0 = (uint32_t)res;
	return rc;
}

/* One LBA Migration Queue entry, compared field by field. */
#define LBAMQA(lbacir, dlba, esa, ph)					\
	((uint8_t)((lbacir) << 6 | (dlba) << 5 | (esa) << 1 | (ph)))
#define MARK(esa, ph)	LBAMQA(NVME_LM_LBACIR_NONE, 0, esa, ph)

#define EXPECT_ENTRY(ring, slot, e_nsid, e_nlb, e_slba, e_attr) do {	\
	const uint8_t *__e = (const uint8_t *)(ring) + ENT * (slot);	\
	unsigned int __k;						\
	EXPECT_EQ((uint8_t)(e_attr), __e[31])				\
		TH_LOG("slot %u: LBAMQA %#x, expected %#x", (unsigned int)(slot), \
		       __e[31], (unsigned int)(uint8_t)(e_attr));		\
	EXPECT_EQ((uint32_t)(e_nsid), le32_at(__e, 0)) TH_LOG("slot %u NSID", (unsigned int)(slot)); \
	EXPECT_EQ((uint32_t)(e_nlb), le32_at(__e, 4)) TH_LOG("slot %u NLB", (unsigned int)(slot)); \
	EXPECT_EQ((uint64_t)(e_slba), le64_at(__e, 8)) TH_LOG("slot %u SLBA", (unsigned int)(slot)); \
	for (__k = 16; __k < 31 && !__e[__k]; __k++)			\
		;							\
	EXPECT_EQ(31u, __k) TH_LOG("slot %u: reserved byte %u set", (unsigned int)(slot), __k); \
} while (0)

/* Slot still as the host zeroed it. */
#define EXPECT_EMPTY(ring, slot) do {					\
	const uint8_t *__e = (const uint8_t *)(ring) + ENT * (slot);	\
	unsigned int __k;						\
	for (__k = 0; __k < ENT && !__e[__k]; __k++)			\
		;							\
	EXPECT_EQ(ENT, __k) TH_LOG("slot %u was written", (unsigned int)(slot)); \
} while (0)

/* DSM deallocate of @n ranges {slba, nlb (1's based)} on VF 1. */
static int dsm(FIXTURE_DATA(cdq) *self, const uint64_t (*r)[2], unsigned int n, bool ad)
{
	struct udrv_sqe c;
	unsigned int i;

	memset(self->io, 0, 16 * n);
	for (i = 0; i < n; i++) {
		put_le32(self->io, 16 * i + 4, (uint32_t)r[i][1]);
		put_le64(self->io, 16 * i + 8, r[i][0]);
	}
	memset(&c, 0, sizeof(c));
	c.opcode = UDRV_NVM_DSM;
	c.nsid = NSID;
	c.cdw10 = n - 1;
	c.cdw11 = ad ? 1u << 2 : 0;
	return udrv_io_sync(self->vf, 1, &c, self->io, 16 * n, NULL);
}

static int vf_write(FIXTURE_DATA(cdq) *self, uint64_t slba, uint32_t nlb)
{
	memset(self->io, 0x6b, (size_t)nlb * self->lbs);
	return udrv_write(self->vf, 1, NSID, slba, nlb, self->io);
}

/* Submit an AER on the MMC's admin queue; its completion and CQE DW1. */
static int aer(FIXTURE_DATA(cdq) *self, uint32_t *dw0, uint32_t *dw1, unsigned int tmo_ms)
{
	struct udrv_completion cpl;
	struct udrv_queue_state qs;
	const struct udrv_cqe *cqe;
	struct udrv_sqe c;
	int cid, n;
	unsigned int i;

	memset(&c, 0, sizeof(c));
	c.opcode = 0x0c;
	cid = udrv_submit(self->pf.u, 0, &c, NULL, 0, 0, NULL, NULL);
	if (cid < 0)
		return cid;
	n = udrv_poll_n(self->pf.u, 0, &cpl, 1, tmo_ms);
	if (n != 1)
		return -ETIMEDOUT;
	*dw0 = cpl.dw0;
	*dw1 = ~0u;
	if (udrv_queue_state(self->pf.u, 0, &qs))
		return -EIO;
	/* the entry just consumed */
	cqe = qs.cq_virt;
	i = (qs.cq_head + qs.qsize - 1) % qs.qsize;
	if (cqe[i].cid == cpl.cid)
		*dw1 = cqe[i].dw1;
	return udrv_status_code(cpl.status);
}

/* ---- Create / Delete ---------------------------------------------------- */

/* CDQID in DW0: the lowest free one, reused after Delete; 37h after. */
TEST_F_TIMEOUT(cdq, create_delete_cdqids, TMO)
{
	uint16_t a = 0xffff, b = 0xffff, c = 0xffff;
	int st;

	ASSERT_NE(NULL, ring_create(self, self->c1, 8, &a, &st));
	ASSERT_ST(ST_OK, st);
	ASSERT_NE(NULL, ring_create(self, self->c2, 8, &b, &st));
	ASSERT_ST(ST_OK, st);
	EXPECT_EQ(0, a);
	EXPECT_EQ(1, b);
	ASSERT_ST(ST_OK, dm_cdq_delete(&self->pf, a));
	EXPECT_ST(ST_INVALID_CDQ, dm_cdq_delete(&self->pf, a));
	ASSERT_NE(NULL, ring_create(self, self->c1, 8, &c, &st));
	ASSERT_ST(ST_OK, st);
	EXPECT_EQ(a, c);
	ASSERT_ST(ST_OK, dm_cdq_delete(&self->pf, b));
	ASSERT_ST(ST_OK, dm_cdq_delete(&self->pf, c));
	EXPECT_ST(ST_INVALID_CDQ, dm_cdq_delete(&self->pf, 7));
	EXPECT_ST(ST_INVALID_CDQ, dm_cdq_delete(&self->pf, 0xffff));
}

/* Create checks: QT, CNTLID, CDQSIZE, PRP offset, one UDMQ per CNTLID. */
TEST_F_TIMEOUT(cdq, create_checks, TMO)
{
	uint8_t *r = dm_dma_contig(self->pf.u, 8192), *pl;
	uint64_t p;
	uint16_t id;

	ASSERT_NE(NULL, r);
	p = udrv_virt_to_phys(self->pf.u, r);
	EXPECT_ST(ST_INVALID_FIELD, cdq_create(self, self->c1, true, p, 64, 1, NULL));
	EXPECT_ST(ST_INVALID_FIELD, cdq_create(self, self->c1, true, p, 64, 0xc0, NULL));
	EXPECT_ST(ST_INVALID_CTRL_ID, cdq_create(self, 0x7e, true, p, 64, 0, NULL));
	EXPECT_ST(ST_INVALID_CTRL_ID, cdq_create(self, self->own, true, p, 64, 0, NULL));
	/* CDQSIZE: whole 8-dword entries, at least two */
	EXPECT_ST(ST_INVALID_FIELD, cdq_create(self, self->c1, true, p, 12, 0, NULL));
	EXPECT_ST(ST_INVALID_FIELD, cdq_create(self, self->c1, true, p, 63, 0, NULL));
	EXPECT_ST(ST_INVALID_FIELD, cdq_create(self, self->c1, true, p, 8, 0, NULL));
	EXPECT_ST(ST_INVALID_FIELD, cdq_create(self, self->c1, true, p, 0, 0, NULL));
	/* PRP1 not page aligned */
	EXPECT_ST(ST_PRP_OFFSET, cdq_create(self, self->c1, true, p + 0x200, 64, 0, NULL));
	/* PC = 0: more pages than MCDQPC (512) */
	EXPECT_ST(ST_INVALID_FIELD, cdq_create(self, self->c1, false, p, 513 * 1024, 0, NULL));
	/* PC = 0: a PRP list entry with an offset */
	pl = r + 4096;
	put_le64(pl, 0, p + 0x100);
	EXPECT_ST(ST_PRP_OFFSET, cdq_create(self, self->c1, false,
					     udrv_virt_to_phys(self->pf.u, pl), 1024, 0, NULL));
	/* one UDMQ per migratable controller, whatever its shape */
	ASSERT_ST(ST_OK, cdq_create(self, self->c1, true, p, 64, 0, &id));
	EXPECT_ST(ST_INVALID_FIELD, cdq_create(self, self->c1, true, p + 4096, 64, 0, NULL));
	put_le64(pl, 0, p);
	EXPECT_ST(ST_INVALID_FIELD, cdq_create(self, self->c1, false,
					       udrv_virt_to_phys(self->pf.u, pl), 64, 0, NULL));
	ASSERT_ST(ST_OK, dm_cdq_delete(&self->pf, id));
}

/* PC = 0: three pages in a scattered order; entries follow the list. */
TEST_F_TIMEOUT(cdq, create_pc0_prp_list, TMO)
{
	uint8_t *pg = dm_dma_contig(self->pf.u, 3 * 4096), *pl = udrv_dma_alloc(self->pf.u, 4096);
	uint8_t *slot[3];	/* the ring's pages, in ring order */
	static uint64_t r[130][2];
	uint16_t id;
	unsigned int i;

	ASSERT_TRUE(pg && pl);
	slot[0] = pg + 8192;
	slot[1] = pg;
	slot[2] = pg + 4096;
	for (i = 0; i < 3; i++)
		put_le64(pl, 8 * i, udrv_virt_to_phys(self->pf.u, slot[i]));
	ASSERT_ST(ST_OK, cdq_create(self, self->c1, false, udrv_virt_to_phys(self->pf.u, pl),
				    3 * 1024, 0, &id));
	ASSERT_ST(ST_OK, dm_log_user_data(&self->pf, id, NVME_LM_TSEND_LACT_START));
	EXPECT_ENTRY(slot[0], 0, 0, 0, 0, MARK(NVME_LM_ESA_FIRST, 1));
	/* 130 separate ranges: slots 1..130, across the first page boundary */
	for (i = 0; i < 130; i++) {
		r[i][0] = 20000 + 16 * i;
		r[i][1] = 8;
	}
	ASSERT_EQ(0, dsm(self, r, 130, true));
	EXPECT_ENTRY(slot[0], 1, NSID, 7, 20000, LBAMQA(0, 1, 0, 1));
	EXPECT_ENTRY(slot[0], 127, NSID, 7, 20000 + 16 * 126, LBAMQA(0, 1, 0, 1));
	EXPECT_ENTRY(slot[1], 0, NSID, 7, 20000 + 16 * 127, LBAMQA(0, 1, 0, 1));
	EXPECT_ENTRY(slot[1], 2, NSID, 7, 20000 + 16 * 129, LBAMQA(0, 1, 0, 1));
	EXPECT_EMPTY(slot[1], 3);
	EXPECT_EMPTY(slot[2], 0);
	ASSERT_ST(ST_OK, dm_cdq_delete(&self->pf, id));
}

/*
 * Data pointers the MMC cannot use: nothing behind the address (Data
 * Transfer Error) or a PRP2 with an offset (PRP Offset Invalid); a Track
 * Memory Changes structure split across PRP1 and PRP2 is read correctly.
 */
TEST_F_TIMEOUT(cdq, data_pointer_errors, TMO)
{
	const uint64_t nowhere = 1ull << 44;
	uint8_t *pg = dm_dma_contig(self->pf.u, 8192);
	uint64_t a, b;

	ASSERT_NE(NULL, pg);
	a = udrv_virt_to_phys(self->pf.u, pg);
	b = udrv_virt_to_phys(self->pf.u, pg + 4096);
	/* a PC = 0 PRP list that is not memory */
	EXPECT_ST(ST_DATA_XFER_ERROR, cdq_create(self, self->c1, false, nowhere, 1024, 0, NULL));
	/* Track Memory Changes data that is not memory */
	EXPECT_ST(ST_DATA_XFER_ERROR, dm_run(&self->pf, &(struct dm_cmd){
			.opc = NVME_LM_OPC_TRACK_SEND, .cdw10 = 1 | 1u << 16, .cdw11 = self->c1,
			.prp1 = nowhere }, NULL));
	/* the structure crosses into PRP2, which has an offset */
	EXPECT_ST(ST_PRP_OFFSET, dm_run(&self->pf, &(struct dm_cmd){
			.opc = NVME_LM_OPC_TRACK_SEND, .cdw10 = 1 | 1u << 16, .cdw11 = self->c1,
			.prp1 = a + 4092, .prp2 = b + 16 }, NULL));
	/* header bytes 0..3 at the end of one page, the rest on the next */
	memset(pg, 0, 8192);
	pg[4092 + 3] = 0;			/* RMRTG 0 */
	put_le32(pg + 4096, 0, 1);		/* RNMRTD 1 */
	put_le64(pg + 4096, 4, 0x100000000ull);	/* SADDR */
	put_le32(pg + 4096, 12, 1);		/* LEN */
	EXPECT_ST(ST_OK, dm_run(&self->pf, &(struct dm_cmd){
			.opc = NVME_LM_OPC_TRACK_SEND, .cdw10 = 1 | 1u << 16, .cdw11 = self->c1,
			.prp1 = a + 4092, .prp2 = b }, NULL));
	/* now tracked: a second start is 1Fh */
	EXPECT_ST(ST_INVALID_CTRL_ID, dm_run(&self->pf, &(struct dm_cmd){
			.opc = NVME_LM_OPC_TRACK_SEND, .cdw10 = 1 | 1u << 16, .cdw11 = self->c1,
			.prp1 = a + 4092, .prp2 = b }, NULL));
	EXPECT_ST(ST_OK, dm_run(&self->pf, &(struct dm_cmd){
			.opc = NVME_LM_OPC_TRACK_SEND, .cdw10 = 1, .cdw11 = self->c1 }, NULL));
}

/* ---- Feature 21h ---------------------------------------------------------- */

TEST_F_TIMEOUT(cdq, feature21_get_set_head, TMO)
{
	uint8_t fd[512], *ring;
	uint32_t dw0 = 0;
	uint16_t id;
	int st, i;

	ring = ring_create(self, self->c1, 8, &id, &st);
	ASSERT_NE(NULL, ring);
	ASSERT_ST(ST_OK, st);
	ASSERT_ST(ST_OK, get_feat(self, id, 0, fd, &dw0));
	EXPECT_EQ((uint32_t)id, dw0);
	EXPECT_EQ(0u, le32_at(fd, 0));
	EXPECT_EQ(0u, le32_at(fd, 4));
	for (i = 8; i < 512 && !fd[i]; i++)
		;
	EXPECT_EQ(512, i) TH_LOG("Get Features data byte %d = %#x", i, fd[i]);
	/* capabilities: changeable, not saveable */
	ASSERT_ST(ST_OK, get_feat(self, id, 3, fd, &dw0));
	EXPECT_EQ(1u << 2, dw0);

	/* empty queue: only the current head */
	EXPECT_ST(ST_INVALID_FIELD, set_hp(self, id, 1, false, 0, false));
	EXPECT_ST(ST_OK, set_hp(self, id, 0, false, 0, false));

	ASSERT_ST(ST_OK, dm_log_user_data(&self->pf, id, NVME_LM_TSEND_LACT_START));
	ASSERT_EQ(0, vf_write(self, 40, 1));
	/* head 0, tail 2: HP 0..2 legal */
	EXPECT_ST(ST_INVALID_FIELD, set_hp(self, id, 3, false, 0, false));
	EXPECT_ST(ST_INVALID_FIELD, set_hp(self, id, 8, false, 0, false));
	EXPECT_ST(ST_INVALID_FIELD, set_hp(self, id, 0xffffffff, false, 0, false));
	EXPECT_ST(ST_FEAT_NOT_SAVEABLE, set_hp(self, id, 1, false, 0, true));
	EXPECT_ST(ST_INVALID_FIELD, set_hp(self, id, 1, true, 8, false));
	ASSERT_ST(ST_OK, set_hp(self, id, 1, false, 0, false));
	ASSERT_ST(ST_OK, get_feat(self, id, 0, fd, &dw0));
	EXPECT_EQ(1u, le32_at(fd, 0));
	EXPECT_EQ((uint32_t)id, dw0);
	/* no going back, HP == head is a no-op, HP == tail consumes all */
	EXPECT_ST(ST_INVALID_FIELD, set_hp(self, id, 0, false, 0, false));
	EXPECT_ST(ST_OK, set_hp(self, id, 1, false, 0, false));
	ASSERT_ST(ST_OK, set_hp(self, id, 2, true, 5, false));
	ASSERT_ST(ST_OK, get_feat(self, id, 0, fd, &dw0));
	EXPECT_EQ(2u, le32_at(fd, 0));
	EXPECT_EQ(5u, le32_at(fd, 4));
	EXPECT_EQ(1u << 31 | id, dw0);
	/* ETPT 0 clears the trigger */
	ASSERT_ST(ST_OK, set_hp(self, id, 2, false, 6, false));
	ASSERT_ST(ST_OK, get_feat(self, id, 0, fd, &dw0));
	EXPECT_EQ(0u, le32_at(fd, 4));
	EXPECT_EQ((uint32_t)id, dw0);
	/* an unknown CDQ */
	EXPECT_ST(ST_INVALID_CDQ, set_hp(self, 9, 0, false, 0, false));
	EXPECT_ST(ST_INVALID_CDQ, get_feat(self, 9, 0, fd, NULL));
}

/* ETPT with TPT = head + 1: one One-Shot AEN (AEI 00h) after one entry. */
TEST_F_TIMEOUT(cdq, tail_pointer_event, TMO)
{
	uint8_t fd[512], *ring;
	uint32_t dw0 = 0, dw1 = 0;
	uint16_t id;
	int st;

	ring = ring_create(self, self->c1, 8, &id, &st);
	ASSERT_NE(NULL, ring);
	ASSERT_ST(ST_OK, st);
	ASSERT_ST(ST_OK, set_hp(self, id, 0, true, 1, false));
	ASSERT_ST(ST_OK, dm_log_user_data(&self->pf, id, NVME_LM_TSEND_LACT_START));
	ASSERT_ST(ST_OK, aer(self, &dw0, &dw1, 5000));
	EXPECT_EQ(NVME_LM_AER_AET_ONESHOT | NVME_LM_AER_AEI_CDQ_TPT << 8, dw0);
	EXPECT_EQ((uint32_t)id, dw1 & 0xffff);
	/* one-shot: ETPT is clear now */
	ASSERT_ST(ST_OK, get_feat(self, id, 0, fd, &dw0));
	EXPECT_EQ((uint32_t)id, dw0);
	EXPECT_EQ(0u, le32_at(fd, 4));
}

/* One-Shot events are not masked once reported: a second one comes too. */
TEST_F_TIMEOUT(cdq, tail_pointer_event_again, TMO)
{
	uint32_t dw0 = 0, dw1 = 0;
	uint8_t *ring;
	uint16_t id;
	int st;

	ring = ring_create(self, self->c1, 8, &id, &st);
	ASSERT_NE(NULL, ring);
	ASSERT_ST(ST_OK, st);
	ASSERT_ST(ST_OK, set_hp(self, id, 0, true, 1, false));
	ASSERT_ST(ST_OK, dm_log_user_data(&self->pf, id, NVME_LM_TSEND_LACT_START));
	ASSERT_ST(ST_OK, aer(self, &dw0, &dw1, 5000));
	ASSERT_EQ(NVME_LM_AER_AET_ONESHOT | NVME_LM_AER_AEI_CDQ_TPT << 8, dw0);
	/* consume the start entry, arm for the next one */
	ASSERT_ST(ST_OK, set_hp(self, id, 1, true, 2, false));
	ASSERT_EQ(0, vf_write(self, 64, 1));
	EXPECT_ENTRY(ring, 1, NSID, 0, 64, LBAMQA(0, 0, 0, 1));
	dw0 = dw1 = 0;
	ASSERT_ST(ST_OK, aer(self, &dw0, &dw1, 5000));
	EXPECT_EQ(NVME_LM_AER_AET_ONESHOT | NVME_LM_AER_AEI_CDQ_TPT << 8, dw0);
	EXPECT_EQ((uint32_t)id, dw1 & 0xffff);
}

/* A successful Set Features 21h drops a queued Tail Pointer event. */
TEST_F_TIMEOUT(cdq, set_features_clears_queued_tail_event, TMO)
{
	uint32_t dw0 = 0, dw1 = 0;
	uint8_t *ring;
	uint16_t id;
	int st;

	ring = ring_create(self, self->c1, 8, &id, &st);
	ASSERT_NE(NULL, ring);
	ASSERT_ST(ST_OK, st);
	ASSERT_ST(ST_OK, set_hp(self, id, 0, true, 1, false));
	/* the event is queued: no AER outstanding */
	ASSERT_ST(ST_OK, dm_log_user_data(&self->pf, id, NVME_LM_TSEND_LACT_START));
	ASSERT_ST(ST_OK, set_hp(self, id, 1, false, 0, false));
	EXPECT_EQ(-ETIMEDOUT, aer(self, &dw0, &dw1, 500)) TH_LOG("AER dw0 %#x", dw0);
}

/* A successful Track Send drops a queued Queue Full event. */
TEST_F_TIMEOUT(cdq, track_send_clears_queued_full_event, TMO)
{
	uint32_t dw0 = 0, dw1 = 0;
	uint8_t *ring;
	uint16_t id;
	int st;

	ring = ring_create(self, self->c1, 2, &id, &st);
	ASSERT_NE(NULL, ring);
	ASSERT_ST(ST_OK, st);
	/* two slots: the start entry fills the queue */
	ASSERT_ST(ST_OK, dm_log_user_data(&self->pf, id, NVME_LM_TSEND_LACT_START));
	EXPECT_ENTRY(ring, 0, 0, 0, 0, MARK(NVME_LM_ESA_LAST_FULL, 1));
	ASSERT_ST(ST_OK, dm_log_user_data(&self->pf, id, NVME_LM_TSEND_LACT_STOP));
	EXPECT_EQ(-ETIMEDOUT, aer(self, &dw0, &dw1, 500)) TH_LOG("AER dw0 %#x", dw0);
}

/* ---- logging ------------------------------------------------------------- */

/* The exact entries for Write, Write Zeroes and DSM deallocate. */
TEST_F_TIMEOUT(cdq, entries_write_write_zeroes_dsm, TMO)
{
	static const uint64_t merge[][2] = { { 2000, 8 }, { 2008, 8 }, { 3000, 0 }, { 4000, 4 } };
	static const uint64_t overlap[][2] = { { 5000, 8 }, { 5004, 8 } };
	static const uint64_t one[][2] = { { 1000, 16 } };
	uint8_t *ring;
	uint16_t id;
	int st;

	ring = ring_create(self, self->c1, 16, &id, &st);
	ASSERT_NE(NULL, ring);
	ASSERT_ST(ST_OK, st);
	ASSERT_ST(ST_OK, dm_log_user_data(&self->pf, id, NVME_LM_TSEND_LACT_START));
	EXPECT_ENTRY(ring, 0, 0, 0, 0, MARK(NVME_LM_ESA_FIRST, 1));
	EXPECT_EMPTY(ring, 1);

	ASSERT_EQ(0, vf_write(self, 8, 8));
	EXPECT_ENTRY(ring, 1, NSID, 7, 8, LBAMQA(0, 0, 0, 1));
	ASSERT_EQ(0, udrv_write_zeroes(self->vf, 1, NSID, 100, 16));
	EXPECT_ENTRY(ring, 2, NSID, 15, 100, LBAMQA(0, 0, 0, 1));
	ASSERT_EQ(0, dsm(self, one, 1, true));
	EXPECT_ENTRY(ring, 3, NSID, 15, 1000, LBAMQA(0, 1, 0, 1));
	/* reads and DSM without Deallocate change nothing */
	ASSERT_EQ(0, udrv_read(self->vf, 1, NSID, 8, 8, self->io));
	ASSERT_EQ(0, dsm(self, one, 1, false));
	EXPECT_EMPTY(ring, 4);
	/* adjacent ranges of one command merge; zero-length ranges are skipped */
	ASSERT_EQ(0, dsm(self, merge, 4, true));
	EXPECT_ENTRY(ring, 4, NSID, 15, 2000, LBAMQA(0, 1, 0, 1));
	EXPECT_ENTRY(ring, 5, NSID, 3, 4000, LBAMQA(0, 1, 0, 1));
	/* overlapping ranges merge too */
	ASSERT_EQ(0, dsm(self, overlap, 2, true));
	EXPECT_ENTRY(ring, 6, NSID, 11, 5000, LBAMQA(0, 1, 0, 1));
	EXPECT_EMPTY(ring, 7);
	/* a failed write (LBA out of range) changed nothing */
	EXPECT_EQ(UDRV_SC_LBA_RANGE, udrv_write(self->vf, 1, NSID, ~0ull - 8, 1, self->io));
	EXPECT_EMPTY(ring, 7);

	ASSERT_ST(ST_OK, dm_log_user_data(&self->pf, id, NVME_LM_TSEND_LACT_STOP));
	EXPECT_ENTRY(ring, 7, 0, 0, 0, MARK(NVME_LM_ESA_LAST_STOPPED, 1));
	ASSERT_EQ(0, vf_write(self, 8, 1));
	EXPECT_EMPTY(ring, 8);
}

/* Start/stop rules: 37h when logging, LACT > 1 02h, stop twice is fine. */
TEST_F_TIMEOUT(cdq, track_send_log_user_data_checks, TMO)
{
	uint8_t *ring;
	uint16_t id;
	int st;

	ring = ring_create(self, self->c1, 8, &id, &st);
	ASSERT_NE(NULL, ring);
	ASSERT_ST(ST_OK, st);
	EXPECT_ST(ST_INVALID_CDQ, dm_log_user_data(&self->pf, 9, NVME_LM_TSEND_LACT_START));
	EXPECT_ST(ST_INVALID_CDQ, dm_log_user_data(&self->pf, 9, NVME_LM_TSEND_LACT_STOP));
	/* stop while not logging: no entry */
	ASSERT_ST(ST_OK, dm_log_user_data(&self->pf, id, NVME_LM_TSEND_LACT_STOP));
	EXPECT_EMPTY(ring, 0);
	ASSERT_ST(ST_OK, dm_log_user_data(&self->pf, id, NVME_LM_TSEND_LACT_START));
	EXPECT_ST(ST_INVALID_CDQ, dm_log_user_data(&self->pf, id, NVME_LM_TSEND_LACT_START));
	EXPECT_ST(ST_INVALID_FIELD, dm_log_user_data(&self->pf, id, 2));
	EXPECT_ST(ST_INVALID_FIELD, dm_log_user_data(&self->pf, id, 0xf));
	EXPECT_ENTRY(ring, 0, 0, 0, 0, MARK(NVME_LM_ESA_FIRST, 1));
	EXPECT_EMPTY(ring, 1);
	ASSERT_ST(ST_OK, dm_log_user_data(&self->pf, id, NVME_LM_TSEND_LACT_STOP));
	ASSERT_ST(ST_OK, dm_log_user_data(&self->pf, id, NVME_LM_TSEND_LACT_STOP));
	EXPECT_ENTRY(ring, 1, 0, 0, 0, MARK(NVME_LM_ESA_LAST_STOPPED, 1));
	EXPECT_EMPTY(ring, 2);
	/* started again after a stop: a new first entry */
	ASSERT_ST(ST_OK, dm_log_user_data(&self->pf, id, NVME_LM_TSEND_LACT_START));
	EXPECT_ENTRY(ring, 2, 0, 0, 0, MARK(NVME_LM_ESA_FIRST, 1));
}

/* Four slots: the tail wraps, the phase flips, HP frees slots. */
TEST_F_TIMEOUT(cdq, wrap_around_phase_and_head, TMO)
{
	uint8_t fd[512], *ring;
	uint16_t id;
	int st;

	ring = ring_create(self, self->c1, 4, &id, &st);
	ASSERT_NE(NULL, ring);
	ASSERT_ST(ST_OK, st);
	ASSERT_ST(ST_OK, dm_log_user_data(&self->pf, id, NVME_LM_TSEND_LACT_START));
	ASSERT_EQ(0, vf_write(self, 10, 1));
	EXPECT_ENTRY(ring, 1, NSID, 0, 10, LBAMQA(0, 0, 0, 1));
	ASSERT_ST(ST_OK, set_hp(self, id, 2, false, 0, false));
	ASSERT_EQ(0, vf_write(self, 20, 2));
	ASSERT_EQ(0, vf_write(self, 30, 3));
	EXPECT_ENTRY(ring, 2, NSID, 1, 20, LBAMQA(0, 0, 0, 1));
	EXPECT_ENTRY(ring, 3, NSID, 2, 30, LBAMQA(0, 0, 0, 1));
	/* slots 2 and 3 consumed: HP wraps to 0 */
	ASSERT_ST(ST_OK, set_hp(self, id, 0, false, 0, false));
	ASSERT_EQ(0, vf_write(self, 40, 4));
	ASSERT_EQ(0, vf_write(self, 50, 5));
	/* second pass: phase 0 */
	EXPECT_ENTRY(ring, 0, NSID, 3, 40, LBAMQA(0, 0, 0, 0));
	EXPECT_ENTRY(ring, 1, NSID, 4, 50, LBAMQA(0, 0, 0, 0));
	/* the old entries keep their phase 1 */
	EXPECT_ENTRY(ring, 2, NSID, 1, 20, LBAMQA(0, 0, 0, 1));
	ASSERT_ST(ST_OK, get_feat(self, id, 0, fd, NULL));
	EXPECT_EQ(0u, le32_at(fd, 0));
	ASSERT_ST(ST_OK, set_hp(self, id, 2, false, 0, false));
	ASSERT_ST(ST_OK, dm_log_user_data(&self->pf, id, NVME_LM_TSEND_LACT_STOP));
	EXPECT_ENTRY(ring, 2, 0, 0, 0, MARK(NVME_LM_ESA_LAST_STOPPED, 0));
}

/* Full: ESA 111b on the entry that fills it, logging stops, AEN, 3Bh. */
TEST_F_TIMEOUT(cdq, queue_full_stops_logging, TMO)
{
	uint32_t dw0 = 0, dw1 = 0;
	uint8_t *ring;
	uint16_t id;
	int st;

	ring = ring_create(self, self->c1, 4, &id, &st);
	ASSERT_NE(NULL, ring);
	ASSERT_ST(ST_OK, st);
	ASSERT_ST(ST_OK, dm_log_user_data(&self->pf, id, NVME_LM_TSEND_LACT_START));
	ASSERT_EQ(0, vf_write(self, 10, 1));
	ASSERT_EQ(0, vf_write(self, 20, 2));
	EXPECT_ENTRY(ring, 0, 0, 0, 0, MARK(NVME_LM_ESA_FIRST, 1));
	EXPECT_ENTRY(ring, 1, NSID, 0, 10, LBAMQA(0, 0, 0, 1));
	EXPECT_ENTRY(ring, 2, NSID, 1, 20, LBAMQA(0, 0, NVME_LM_ESA_LAST_FULL, 1));
	ASSERT_EQ(0, vf_write(self, 30, 1));
	EXPECT_EMPTY(ring, 3);
	/* the Queue Full One-Shot event went to the MMC */
	ASSERT_ST(ST_OK, aer(self, &dw0, &dw1, 5000));
	EXPECT_EQ(NVME_LM_AER_AET_ONESHOT | NVME_LM_AER_AEI_CDQ_FULL << 8, dw0);
	EXPECT_EQ((uint32_t)id, dw1 & 0xffff);
	/* restarting on a full queue */
	EXPECT_ST(ST_CDQ_FULL, dm_log_user_data(&self->pf, id, NVME_LM_TSEND_LACT_START));
	/* logging already stopped: no stop entry */
	ASSERT_ST(ST_OK, dm_log_user_data(&self->pf, id, NVME_LM_TSEND_LACT_STOP));
	EXPECT_EMPTY(ring, 3);
	/* consume everything, start again: slot 3, then phase 0 */
	ASSERT_ST(ST_OK, set_hp(self, id, 3, false, 0, false));
	ASSERT_ST(ST_OK, dm_log_user_data(&self->pf, id, NVME_LM_TSEND_LACT_START));
	EXPECT_ENTRY(ring, 3, 0, 0, 0, MARK(NVME_LM_ESA_FIRST, 1));
	ASSERT_EQ(0, vf_write(self, 40, 1));
	EXPECT_ENTRY(ring, 0, NSID, 0, 40, LBAMQA(0, 0, 0, 0));
}

/* Suspend posts ESA 011b, Resume 001b; Track Send 39h in between. */
TEST_F_TIMEOUT(cdq, suspend_resume_markers, TMO)
{
	uint8_t fd[512], *ring;
	uint16_t id;
	int st;

	ring = ring_create(self, self->c1, 16, &id, &st);
	ASSERT_NE(NULL, ring);
	ASSERT_ST(ST_OK, st);
	ASSERT_ST(ST_OK, dm_log_user_data(&self->pf, id, NVME_LM_TSEND_LACT_START));
	ASSERT_EQ(0, vf_write(self, 60, 2));
	ASSERT_ST(ST_OK, dm_suspend(&self->pf, self->c1, NVME_LM_STYPE_SUSPEND, false));
	EXPECT_ENTRY(ring, 1, NSID, 1, 60, LBAMQA(0, 0, 0, 1));
	EXPECT_ENTRY(ring, 2, 0, 0, 0, MARK(NVME_LM_ESA_LAST_SUSPENDED, 1));
	EXPECT_ST(ST_CTRL_SUSPENDED, dm_log_user_data(&self->pf, id, NVME_LM_TSEND_LACT_STOP));
	EXPECT_ST(ST_CTRL_SUSPENDED, dm_log_user_data(&self->pf, id, NVME_LM_TSEND_LACT_START));
	/* STYPE 0 posts nothing */
	ASSERT_ST(ST_OK, dm_suspend(&self->pf, self->c1, NVME_LM_STYPE_NOTIFY, false));
	EXPECT_EMPTY(ring, 3);
	ASSERT_ST(ST_OK, dm_resume(&self->pf, self->c1));
	EXPECT_ENTRY(ring, 3, 0, 0, 0, MARK(NVME_LM_ESA_FIRST, 1));
	ASSERT_EQ(0, vf_write(self, 70, 1));
	EXPECT_ENTRY(ring, 4, NSID, 0, 70, LBAMQA(0, 0, 0, 1));
	/* DUDMQ: the entry is posted, then the queue is deleted */
	ASSERT_ST(ST_OK, dm_suspend(&self->pf, self->c1, NVME_LM_STYPE_SUSPEND, true));
	EXPECT_ENTRY(ring, 5, 0, 0, 0, MARK(NVME_LM_ESA_LAST_SUSPENDED, 1));
	EXPECT_ST(ST_INVALID_CDQ, dm_log_user_data(&self->pf, id, NVME_LM_TSEND_LACT_STOP));
	EXPECT_ST(ST_INVALID_CDQ, get_feat(self, id, 0, fd, NULL));
	EXPECT_ST(ST_INVALID_CDQ, dm_cdq_delete(&self->pf, id));
	ASSERT_ST(ST_OK, dm_resume(&self->pf, self->c1));
	ASSERT_EQ(0, vf_write(self, 80, 1));
	EXPECT_EMPTY(ring, 6);
}

/* Each queue logs its own controller; VF 2's writes stay out of VF 1's. */
TEST_F_TIMEOUT(cdq, queues_are_per_controller, TMO)
{
	struct udrv_opts vo = { .nr_io_queues = 1, .io_qsize = 16 };
	struct udrv_ctrl *vf2 = NULL;
	uint8_t *r1, *r2, *buf;
	uint16_t id1, id2;
	int st, rc;

	r1 = ring_create(self, self->c1, 8, &id1, &st);
	ASSERT_NE(NULL, r1);
	ASSERT_ST(ST_OK, st);
	r2 = ring_create(self, self->c2, 8, &id2, &st);
	ASSERT_NE(NULL, r2);
	ASSERT_ST(ST_OK, st);
	ASSERT_ST(ST_OK, dm_log_user_data(&self->pf, id1, NVME_LM_TSEND_LACT_START));
	ASSERT_ST(ST_OK, dm_log_user_data(&self->pf, id2, NVME_LM_TSEND_LACT_START));
	rc = udrv_open(self->env.src_vf[1], &vo, &vf2);
	ASSERT_EQ(0, rc) TH_LOG("udrv_open(VF 2): %d", rc);
	buf = udrv_dma_alloc(vf2, 4096);
	ASSERT_NE(NULL, buf);
	rc = udrv_write(vf2, 1, NSID, 90, 1, buf);
	udrv_close(vf2);
	ASSERT_EQ(0, rc);
	ASSERT_EQ(0, vf_write(self, 91, 1));
	EXPECT_ENTRY(r1, 1, NSID, 0, 91, LBAMQA(0, 0, 0, 1));
	EXPECT_EMPTY(r1, 2);
	EXPECT_ENTRY(r2, 1, NSID, 0, 90, LBAMQA(0, 0, 0, 1));
	EXPECT_EMPTY(r2, 2);
}

/* ---- Suspend while the VF cannot drain ------------------------------------ */

/*
 * Make VF 1 hold a fetched command it cannot complete: an I/O queue of four
 * entries, three completions the host consumed without telling the
 * controller (no CQ head doorbell, the VM being detached), then a fourth
 * read rung through a raw BAR mapping. Returns the fourth read's CID.
 */
static int stuck_read(FIXTURE_DATA(cdq) *self, struct dm_bar *bar)
{
	struct udrv_opts vo = { .nr_io_queues = 1, .io_qsize = 4 };
	struct udrv_completion cpl[4];
	struct udrv_queue_state qs;
	int i, cid, rc;

	udrv_close(self->vf);
	self->vf = NULL;
	rc = udrv_open(self->env.src_vf[0], &vo, &self->vf);
	if (rc)
		return rc < 0 ? rc : -EIO;
	self->io = udrv_dma_alloc(self->vf, 65536);
	if (!self->io)
		return -ENOMEM;
	for (i = 0; i < 3; i++)
		if (udrv_submit_rw(self->vf, 1, false, NSID, i, 1, self->io + 4096 * i, 0, NULL,
				   NULL) < 0)
			return -EIO;
	/* detached: completions are consumed from memory, no CQ head doorbell */
	rc = udrv_detach(self->vf);
	if (rc)
		return rc;
	/* the three completions fill the CQ, as far as the controller knows */
	if (udrv_poll_n(self->vf, 1, cpl, 3, 10000) != 3)
		return -EPROTO;
	cid = udrv_submit_rw(self->vf, 1, false, NSID, 3, 1, self->io + 4096 * 3, 0, NULL, NULL);
	if (cid < 0)
		return cid;
	rc = dm_bar_map(self->env.src_vf[0], bar);
	if (rc)
		return rc;
	if (udrv_queue_state(self->vf, 1, &qs))
		return -EIO;
	dm_bar_w32(bar, dm_bar_sq_db(bar, 1), qs.sq_tail);
	/* wait until the controller fetched it (IOSQHP reaches the tail) */
	for (i = 0; i < 1000; i++) {
		uint8_t st[HDR_NVMECS];

		rc = dm_get_state(&self->pf, self->c1, 1, 0, 0, st, sizeof(st), NULL);
		if (rc)
			return rc < 0 ? rc : -EIO;
		if (le16_at(st, 48 + 2) == 1 && le16_at(st, 48 + 8 + 10) == 1 &&
		    le16_at(st, 48 + 8 + 16) == qs.sq_tail)
			break;
		usleep(10000);
	}
	if (i == 1000)
		return -ETIMEDOUT;
	return cid;
}

/* Submit Suspend on the MMC's admin queue without waiting. */
static int suspend_async(FIXTURE_DATA(cdq) *self)
{
	struct udrv_sqe c;

	memset(&c, 0, sizeof(c));
	c.opcode = NVME_LM_OPC_MIGRATION_SEND;
	c.cdw10 = NVME_LM_MSEND_SEL_SUSPEND;
	c.cdw11 = NVME_LM_MSEND_SUSPEND_CDW11(self->c1, NVME_LM_STYPE_SUSPEND, false);
	return udrv_submit(self->pf.u, 0, &c, NULL, 0, 0, NULL, NULL);
}

/*
 * Suspend completes only once every fetched command has completed; while
 * it drains: no CSUP, Resume 3Ah, a second Suspend 0Ch, Track Send 39h.
 */
TEST_F_TIMEOUT(cdq, suspend_waits_for_fetched_commands, TMO)
{
	struct udrv_completion cpl;
	struct udrv_queue_state qs;
	struct dm_bar bar = { 0 };
	uint8_t tm[20] = { 0 };
	uint32_t dw0 = 0xff;
	int cid, scid;

	cid = stuck_read(self, &bar);
	ASSERT_LE(0, cid) TH_LOG("setting up a stuck read: %d", cid);
	scid = suspend_async(self);
	ASSERT_LE(0, scid);
	EXPECT_EQ(0, udrv_poll_n(self->pf.u, 0, &cpl, 1, 500)) TH_LOG("Suspend did not wait");

	EXPECT_ST(ST_CTRL_NOT_SUSPENDED, dm_resume(&self->pf, self->c1));
	EXPECT_ST(ST_CMD_SEQ_ERROR, dm_suspend(&self->pf, self->c1, NVME_LM_STYPE_SUSPEND, false));
	EXPECT_ST(ST_OK, dm_get_state(&self->pf, self->c1, 0, 0, 0, tm, 16, &dw0));
	EXPECT_EQ(0u, dw0) TH_LOG("CSUP while draining");
	tm[4] = 1;
	put_le64(tm, 8, 0x100000000ull);
	put_le32(tm, 16, 1);
	EXPECT_ST(ST_CTRL_SUSPENDED, dm_run(&self->pf, &(struct dm_cmd){
			.opc = NVME_LM_OPC_TRACK_SEND, .cdw10 = 1 | 1u << 16, .cdw11 = self->c1,
			.buf = tm, .len = 20 }, NULL));

	/* the host frees the CQ: the read completes, then the Suspend */
	ASSERT_EQ(0, udrv_queue_state(self->vf, 1, &qs));
	dm_bar_w32(&bar, dm_bar_cq_db(&bar, 1), qs.cq_head);
	ASSERT_EQ(1, udrv_poll_n(self->pf.u, 0, &cpl, 1, 10000));
	EXPECT_EQ(scid, cpl.cid);
	EXPECT_EQ(0, udrv_status_code(cpl.status));
	ASSERT_EQ(1, udrv_poll(self->vf, 1, &cpl, 1));
	EXPECT_EQ(cid, cpl.cid);
	EXPECT_EQ(0, udrv_status_code(cpl.status));
	ASSERT_ST(ST_OK, dm_get_state(&self->pf, self->c1, 0, 0, 0, tm, 16, &dw0));
	EXPECT_EQ(1u, dw0);
	ASSERT_ST(ST_OK, dm_resume(&self->pf, self->c1));
	dm_bar_unmap(&bar);
	/* the VM goes on */
	ASSERT_EQ(0, udrv_attach_continue(self->vf, self->env.src_vf[0]));
	EXPECT_EQ(0, udrv_read(self->vf, 1, NSID, 0, 1, self->io));
}

/* A reset of the draining VF ends the Suspend with Abort Requested. */
TEST_F_TIMEOUT(cdq, suspend_aborted_by_vf_reset, TMO)
{
	struct udrv_completion cpl;
	struct dm_bar bar = { 0 };
	int cid, scid;

	cid = stuck_read(self, &bar);
	ASSERT_LE(0, cid) TH_LOG("setting up a stuck read: %d", cid);
	scid = suspend_async(self);
	ASSERT_LE(0, scid);
	EXPECT_EQ(0, udrv_poll_n(self->pf.u, 0, &cpl, 1, 300));
	/* CC.EN = 0 on the VF */
	dm_bar_w32(&bar, 0x14, dm_bar_r32(&bar, 0x14) & ~1u);
	ASSERT_EQ(1, udrv_poll_n(self->pf.u, 0, &cpl, 1, 10000));
	EXPECT_EQ(scid, cpl.cid);
	EXPECT_EQ(ST_ABORT_REQUESTED, udrv_status_code(cpl.status));
	EXPECT_ST(ST_CTRL_NOT_SUSPENDED, dm_resume(&self->pf, self->c1));
	dm_bar_unmap(&bar);
}

/*
 * Format NVM on VF 1's namespace while logging: NVM Command Set Figure 177
 * allows an entry with ESA 000b only with LBACIR 00b, so the change is
 * logged as an LBA range that covers the whole namespace (nothing like
 * "all LBAs changed", LBACIR 01b, in the middle of the log).
 */
TEST_F_TIMEOUT(cdq, format_nvm_logged_as_lba_ranges, TMO)
{
	struct udrv_ns ns;
	struct udrv_sqe c;
	uint8_t *ring;
	uint16_t id;
	int st;

	ASSERT_EQ(0, udrv_identify_ns(self->vf, NSID, &ns));
	ASSERT_GT(ns.nsze, 0);
	ASSERT_GE(0xffffffffull, ns.nsze - 1) TH_LOG("one entry covers at most 2^32 LBAs");
	ring = ring_create(self, self->c1, 16, &id, &st);
	ASSERT_NE(NULL, ring);
	ASSERT_ST(ST_OK, st);
	ASSERT_ST(ST_OK, dm_log_user_data(&self->pf, id, NVME_LM_TSEND_LACT_START));
	EXPECT_ENTRY(ring, 0, 0, 0, 0, MARK(NVME_LM_ESA_FIRST, 1));

	memset(&c, 0, sizeof(c));
	c.opcode = 0x80;			/* Format NVM, same LBA format, SES 0 */
	c.nsid = NSID;
	c.cdw10 = ns.flbas & 0xf;
	ASSERT_EQ(0, udrv_admin(self->vf, &c, NULL, 0, NULL));
	ASSERT_EQ(0, vf_write(self, 8, 1));	/* a completion after it: the entry is out */
	EXPECT_ENTRY(ring, 1, NSID, ns.nsze - 1, 0, LBAMQA(NVME_LM_LBACIR_RANGE, 0, NVME_LM_ESA_MIDDLE, 1));
	EXPECT_ENTRY(ring, 2, NSID, 0, 8, LBAMQA(NVME_LM_LBACIR_RANGE, 0, NVME_LM_ESA_MIDDLE, 1));
	EXPECT_EMPTY(ring, 3);
	ASSERT_ST(ST_OK, dm_log_user_data(&self->pf, id, NVME_LM_TSEND_LACT_STOP));
}

/*
 * Set Controller State with an NVMe part that has no I/O queue (NIOSQ =
 * NIOCQ = 0) on a suspended secondary controller that is not enabled (VF 2,
 * which no VM drives): there is no queue to create, so it succeeds (the
 * model used to refuse it: "I/O queues need an enabled controller").
 */
TEST_F_TIMEOUT(cdq, set_state_without_queues_on_disabled_target, TMO)
{
	static uint8_t img[DM_STATE_MAX];
	uint32_t len = 0;

	ASSERT_ST(ST_OK, dm_suspend(&self->pf, self->c2, 1, false));
	ASSERT_ST(ST_OK, dm_state_read(&self->pf, self->c2, 1, 0, img, &len, NULL));
	ASSERT_EQ(DM_STATE_HDR + 8u, len) TH_LOG("VF 2's state: no I/O queue, no vendor part");
	EXPECT_EQ(0, le16_at(img, DM_STATE_HDR + 2));	/* NIOSQ */
	EXPECT_EQ(0, le16_at(img, DM_STATE_HDR + 4));	/* NIOCQ */
	/* SEQIND 11b: the whole state in one command */
	EXPECT_ST(ST_OK, dm_set_state(&self->pf, self->c2, 3, 1, 0, 0, img, len));
	EXPECT_ST(ST_OK, dm_resume(&self->pf, self->c2));
}

/*
 * Last (fixtures run in declaration order): the source PF goes back to the
 * kernel, its VFs online, under the same /dev/nvmeX.
 */
FIXTURE(zz) {
	int unused;
};

FIXTURE_SETUP(zz)
{
	self->unused = 0;
}

FIXTURE_TEARDOWN(zz)
{
}

TEST_F_TIMEOUT(zz, restore_source_pf, TMO)
{
	struct dm_env e;
	char why[256] = "";

	dm_env_get(&e);
	if (!e.ok || !e.hmlm)
		SKIP(return, "not on the bench with the device model");
	ASSERT_EQ(0, restore_pf(&e, why, sizeof(why))) TH_LOG("%s", why);
	ASSERT_TRUE(dm_pci_bound(e.src_pci));
}

TEST_HARNESS_MAIN
