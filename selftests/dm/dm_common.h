/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the device model tests (selftests/dm/): they check the
 * bench QEMU's TP4159/TP4165 model on its own, without nvme-hmlm.ko.
 *
 * Two ways to send an admin command, behind one struct dm_ctl:
 *  - the kernel's passthrough ioctl (NVME_IOCTL_ADMIN64_CMD) on a bound PF
 *    (/dev/nvmeX), for commands whose buffers need not outlive them;
 *  - the polled userspace driver (selftests/lib/udrv.h) on an unbound
 *    function: a VF playing the VM, or a PF whose kernel driver the test
 *    unbound because a CDQ ring must stay in place after its command.
 *
 * Statuses are compared as (SCT << 8 | SC), the form udrv returns; the
 * passthrough status is masked to that (DNR/More dropped).
 *
 * Include after kselftest_harness.h.
 */
#ifndef _DM_COMMON_H
#define _DM_COMMON_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/nvme_ioctl.h>

#include <nvme_lm.h>
#include "bench.h"
#include "udrv.h"

/* ---- statuses (SCT << 8 | SC) ------------------------------------------ */

#define DM_ST(sct, sc)		((((sct) & 0x7) << 8) | ((sc) & 0xff))
#define ST_OK			0
#define ST_INVALID_OPCODE	DM_ST(0, 0x01)
#define ST_DATA_XFER_ERROR	DM_ST(0, 0x04)
#define ST_ABORT_REQUESTED	DM_ST(0, 0x07)
#define ST_INVALID_FIELD	DM_ST(0, 0x02)
#define ST_INVALID_NS		DM_ST(0, 0x0b)
#define ST_CMD_SEQ_ERROR	DM_ST(0, 0x0c)
#define ST_PRP_OFFSET		DM_ST(0, 0x13)
#define ST_LBA_RANGE		DM_ST(0, 0x80)
#define ST_FEAT_NOT_SAVEABLE	DM_ST(1, 0x0d)
#define ST_INVALID_CTRL_ID	DM_ST(1, 0x1f)
#define ST_INVALID_CDQ		DM_ST(1, 0x37)
#define ST_NOT_ENOUGH_RES	DM_ST(1, 0x38)
#define ST_CTRL_SUSPENDED	DM_ST(1, 0x39)
#define ST_CTRL_NOT_SUSPENDED	DM_ST(1, 0x3a)
#define ST_CDQ_FULL		DM_ST(1, 0x3b)

/* Opcodes not in nvme_lm.h */
#define OPC_GET_LOG_PAGE	0x02
#define OPC_IDENTIFY		0x06
#define OPC_SET_FEATURES	0x09
#define OPC_GET_FEATURES	0x0a
#define OPC_VIRT_MGMT		0x1c
#define OPC_DBBUF		0x7c
#define OPC_DELETE_SQ		0x00
#define OPC_DELETE_CQ		0x04

#define DM_BYTES(x)		((uint32_t)(x))

/*
 * A status as the tests compare it: negative errno unchanged, otherwise
 * SCT/SC without DNR and More.
 */
static inline int dm_sc(int st)
{
	return st < 0 ? st : (st & 0x7ff);
}

/* ASSERT/EXPECT that @expr (a status) is exactly @exp (SCT << 8 | SC). */
#define ASSERT_ST(exp, expr) do {					\
	int __st = dm_sc(expr);						\
	int __ex = (exp);						\
	ASSERT_EQ(__ex, __st) {						\
		TH_LOG("%s: status %#x, expected %#x", #expr,		\
		       (unsigned int)__st, (unsigned int)__ex);		\
	}								\
} while (0)

#define EXPECT_ST(exp, expr) do {					\
	int __st = dm_sc(expr);						\
	int __ex = (exp);						\
	EXPECT_EQ(__ex, __st) {						\
		TH_LOG("%s: status %#x, expected %#x", #expr,		\
		       (unsigned int)__st, (unsigned int)__ex);		\
	}								\
} while (0)

/* The same with a context message. */
#define EXPECT_ST_CTX(exp, expr, fmt, ...) do {				\
	int __st = dm_sc(expr);						\
	int __ex = (exp);						\
	EXPECT_EQ(__ex, __st) {						\
		TH_LOG("%s: status %#x, expected %#x; " fmt, #expr,	\
		       (unsigned int)__st, (unsigned int)__ex, ##__VA_ARGS__); \
	}								\
} while (0)

/* ---- little-endian field access -------------------------------------- */

static inline uint16_t le16_at(const void *p, size_t off)
{
	const uint8_t *b = (const uint8_t *)p + off;

	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t le32_at(const void *p, size_t off)
{
	const uint8_t *b = (const uint8_t *)p + off;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

static inline uint64_t le64_at(const void *p, size_t off)
{
	return le32_at(p, off) | (uint64_t)le32_at(p, off + 4) << 32;
}

static inline void put_le16(void *p, size_t off, uint16_t v)
{
	uint8_t *b = (uint8_t *)p + off;

	b[0] = v;
	b[1] = v >> 8;
}

static inline void put_le32(void *p, size_t off, uint32_t v)
{
	put_le16(p, off, v);
	put_le16(p, off + 2, v >> 16);
}

static inline void put_le64(void *p, size_t off, uint64_t v)
{
	put_le32(p, off, (uint32_t)v);
	put_le32(p, off + 4, (uint32_t)(v >> 32));
}

static inline uint64_t dm_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- bench environment ------------------------------------------------- */

#define DM_MAX_VFS 2

struct dm_env {
	bool ok;
	int hmlm;
	int nvf;
	int vq_per_vf;
	char src_pf[32], dst_pf[32];
	char src_pci[32], dst_pci[32];
	char src_vf[DM_MAX_VFS][32], dst_vf[DM_MAX_VFS][32];
	int src_id[DM_MAX_VFS], dst_id[DM_MAX_VFS];
};

static inline void dm_env_get(struct dm_env *e)
{
	char w[DM_MAX_VFS][32];
	const char *s;
	int n, i;

	memset(e, 0, sizeof(*e));
#define DM_CPY(dst, name) do {						\
	s = getenv(name);						\
	if (!s || strlen(s) >= sizeof(dst))				\
		return;							\
	strcpy(dst, s);							\
} while (0)
	DM_CPY(e->src_pf, "HMLM_SRC_PF");
	DM_CPY(e->dst_pf, "HMLM_DST_PF");
	DM_CPY(e->src_pci, "HMLM_SRC_PCI");
	DM_CPY(e->dst_pci, "HMLM_DST_PCI");
#undef DM_CPY
	s = getenv("HMLM_HMLM");
	e->hmlm = s ? atoi(s) : 0;
	s = getenv("HMLM_VQ_PER_VF");
	e->vq_per_vf = s ? atoi(s) : 4;
	if (e->vq_per_vf < 2)
		e->vq_per_vf = 4;
	e->nvf = bench_words(getenv("HMLM_SRC_VFS"), e->src_vf, DM_MAX_VFS);
	if (bench_words(getenv("HMLM_DST_VFS"), e->dst_vf, DM_MAX_VFS) != e->nvf)
		return;
	n = bench_words(getenv("HMLM_SRC_CNTLIDS"), w, DM_MAX_VFS);
	for (i = 0; i < n; i++)
		e->src_id[i] = atoi(w[i]);
	if (n != e->nvf)
		return;
	n = bench_words(getenv("HMLM_DST_CNTLIDS"), w, DM_MAX_VFS);
	for (i = 0; i < n; i++)
		e->dst_id[i] = atoi(w[i]);
	if (n != e->nvf || e->nvf < 1)
		return;
	e->ok = true;
}

/* SKIP the test unless the bench runs the device model. */
#define DM_NEED_MODEL(env) do {						\
	dm_env_get(env);						\
	if (!(env)->ok)							\
		SKIP(return, "not on the nvme-hmlm bench (HMLM_* unset)"); \
	if (!(env)->hmlm)						\
		SKIP(return, "QEMU without the device model (HMLM_HMLM=0)"); \
} while (0)

/* ---- sysfs ------------------------------------------------------------- */

static inline bool dm_pci_bound(const char *pci)
{
	char p[128];
	struct stat st;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver", pci);
	return lstat(p, &st) == 0;
}

/* "/dev/nvmeX" of the controller the kernel runs on PCI function @pci. */
static inline int dm_pci_ctrl_dev(const char *pci, char *out, size_t len)
{
	char p[128];
	struct dirent *d;
	DIR *dir;
	int rc = -ENOENT;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/nvme", pci);
	dir = opendir(p);
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		if (strncmp(d->d_name, "nvme", 4))
			continue;
		snprintf(out, len, "/dev/%.40s", d->d_name);
		rc = 0;
		break;
	}
	closedir(dir);
	return rc;
}

/* ---- one admin command, through the kernel or udrv --------------------- */

struct dm_cmd {
	uint8_t opc;
	uint32_t nsid;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
	uint64_t prp1, prp2;	/* udrv only, with buf NULL: raw PRP1/PRP2 */
	void *buf;
	uint32_t len;
};

struct dm_ctl {
	int fd;			/* passthrough on /dev/nvmeX, or -1 */
	struct udrv_ctrl *u;	/* or udrv */
};

/*
 * Run @c; returns the status (SCT << 8 | SC possibly with DNR/More for the
 * kernel path; dm_sc() strips them) or a negative errno. *@res gets CQE
 * DW0 | DW1 << 32 (DW1 only through the kernel path).
 */
static inline int dm_run(const struct dm_ctl *ctl, const struct dm_cmd *c, uint64_t *res)
{
	int rc;

	if (res)
		*res = 0;
	if (ctl->u) {
		struct udrv_sqe sqe;
		uint32_t dw0 = 0;

		memset(&sqe, 0, sizeof(sqe));
		sqe.opcode = c->opc;
		sqe.nsid = c->nsid;
		sqe.cdw10 = c->cdw10;
		sqe.cdw11 = c->cdw11;
		sqe.cdw12 = c->cdw12;
		sqe.cdw13 = c->cdw13;
		sqe.cdw14 = c->cdw14;
		sqe.cdw15 = c->cdw15;
		sqe.prp1 = c->prp1;
		sqe.prp2 = c->prp2;
		rc = udrv_admin(ctl->u, &sqe, c->buf, c->buf ? c->len : 0, &dw0);
		if (res)
			*res = dw0;
		return rc;
	} else {
		struct nvme_passthru_cmd64 pc;

		memset(&pc, 0, sizeof(pc));
		pc.opcode = c->opc;
		pc.nsid = c->nsid;
		pc.cdw10 = c->cdw10;
		pc.cdw11 = c->cdw11;
		pc.cdw12 = c->cdw12;
		pc.cdw13 = c->cdw13;
		pc.cdw14 = c->cdw14;
		pc.cdw15 = c->cdw15;
		pc.addr = (uintptr_t)c->buf;
		pc.data_len = c->buf ? c->len : 0;
		pc.timeout_ms = 60000;
		rc = ioctl(ctl->fd, NVME_IOCTL_ADMIN64_CMD, &pc);
		if (rc < 0)
			return -errno;
		if (res)
			*res = pc.result;
		return rc;
	}
}

static inline int dm_identify(const struct dm_ctl *ctl, uint8_t cns, uint16_t cntid,
			      uint32_t nsid, uint8_t csi, void *buf4k)
{
	memset(buf4k, 0, 4096);
	return dm_run(ctl, &(struct dm_cmd){ .opc = OPC_IDENTIFY, .nsid = nsid,
			.cdw10 = cns | (uint32_t)cntid << 16, .cdw11 = (uint32_t)csi << 24,
			.buf = buf4k, .len = 4096 }, NULL);
}

/* ---- Migration Send / Receive, Track Send / Receive, CDQ -------------- */

static inline int dm_suspend(const struct dm_ctl *ctl, uint16_t cntlid, uint8_t stype, bool dudmq)
{
	return dm_run(ctl, &(struct dm_cmd){ .opc = NVME_LM_OPC_MIGRATION_SEND,
			.cdw10 = NVME_LM_CDW10(NVME_LM_MSEND_SEL_SUSPEND, 0),
			.cdw11 = NVME_LM_MSEND_SUSPEND_CDW11(cntlid, stype, dudmq) }, NULL);
}

static inline int dm_resume(const struct dm_ctl *ctl, uint16_t cntlid)
{
	return dm_run(ctl, &(struct dm_cmd){ .opc = NVME_LM_OPC_MIGRATION_SEND,
			.cdw10 = NVME_LM_CDW10(NVME_LM_MSEND_SEL_RESUME, 0),
			.cdw11 = cntlid }, NULL);
}

/* Get Controller State: @len bytes (multiple of 4) from byte @off. */
static inline int dm_get_state(const struct dm_ctl *ctl, uint16_t cntlid, uint8_t csvi,
			       uint8_t csuuidi, uint64_t off, void *buf, uint32_t len,
			       uint32_t *dw0)
{
	uint64_t res = 0;
	int rc;

	rc = dm_run(ctl, &(struct dm_cmd){ .opc = NVME_LM_OPC_MIGRATION_RECV,
			.cdw10 = NVME_LM_CDW10(NVME_LM_MRECV_SEL_GET_STATE, csvi),
			.cdw11 = NVME_LM_MRECV_CDW11(cntlid, csuuidi, 0),
			.cdw12 = (uint32_t)off, .cdw13 = (uint32_t)(off >> 32),
			.cdw15 = len / 4 - 1, .buf = buf, .len = len }, &res);
	if (dw0)
		*dw0 = (uint32_t)res;
	return rc;
}

/* Set Controller State: @len bytes (NUMD = len / 4) at byte offset @off. */
static inline int dm_set_state(const struct dm_ctl *ctl, uint16_t cntlid, uint8_t seqind,
			       uint8_t csvi, uint8_t csuuidi, uint64_t off, const void *buf,
			       uint32_t len)
{
	return dm_run(ctl, &(struct dm_cmd){ .opc = NVME_LM_OPC_MIGRATION_SEND,
			.cdw10 = NVME_LM_CDW10(NVME_LM_MSEND_SEL_SET_STATE, seqind),
			.cdw11 = NVME_LM_MSEND_STATE_CDW11(cntlid, csvi, csuuidi),
			.cdw12 = (uint32_t)off, .cdw13 = (uint32_t)(off >> 32),
			.cdw15 = len / 4, .buf = (void *)buf, .len = len }, NULL);
}

/* Size of the controller state header, and the most the tests read. */
#define DM_STATE_HDR		48
#define DM_STATE_MAX		8192

/*
 * Read the whole state (header first for the sizes) into @buf, which holds
 * DM_STATE_MAX bytes; its size in *@len.
 */
static inline int dm_state_read(const struct dm_ctl *pf, uint16_t cntlid, uint8_t csvi,
				uint8_t csuuidi, uint8_t *buf, uint32_t *len, uint32_t *dw0)
{
	uint64_t n, v;
	int rc;

	rc = dm_get_state(pf, cntlid, csvi, csuuidi, 0, buf, DM_STATE_HDR, dw0);
	if (rc)
		return rc;
	n = le64_at(buf, 16);
	v = le64_at(buf, 32);
	if (DM_STATE_HDR + 4 * (n + v) > DM_STATE_MAX)
		return -E2BIG;
	*len = DM_STATE_HDR + 4 * (uint32_t)(n + v);
	return dm_get_state(pf, cntlid, csvi, csuuidi, 0, buf, *len, dw0);
}

static inline int dm_log_user_data(const struct dm_ctl *ctl, uint16_t cdqid, uint8_t lact)
{
	return dm_run(ctl, &(struct dm_cmd){ .opc = NVME_LM_OPC_TRACK_SEND,
			.cdw10 = NVME_LM_CDW10(NVME_LM_TSEND_SEL_LOG_USER_DATA, lact),
			.cdw11 = cdqid }, NULL);
}

static inline int dm_cdq_delete(const struct dm_ctl *ctl, uint16_t cdqid)
{
	return dm_run(ctl, &(struct dm_cmd){ .opc = NVME_LM_OPC_CDQ,
			.cdw10 = NVME_LM_CDW10(NVME_LM_CDQ_SEL_DELETE, 0),
			.cdw11 = cdqid }, NULL);
}

/* Namespace Attachment (15h) of @nsid to/from controller @cntlid. */
static inline int dm_ns_attach(const struct dm_ctl *ctl, uint32_t nsid, uint16_t cntlid,
			       bool attach)
{
	static uint8_t list[4096];

	memset(list, 0, sizeof(list));
	put_le16(list, 0, 1);
	put_le16(list, 2, cntlid);
	return dm_run(ctl, &(struct dm_cmd){ .opc = 0x15, .nsid = nsid, .cdw10 = attach ? 0 : 1,
			.buf = list, .len = sizeof(list) }, NULL);
}

/* Read (and so clear) the Changed Namespace List log page. */
static inline int dm_clear_changed_ns(const struct dm_ctl *ctl)
{
	static uint8_t log[4096];

	return dm_run(ctl, &(struct dm_cmd){ .opc = OPC_GET_LOG_PAGE, .nsid = 0xffffffff,
			.cdw10 = 0x04 | (1023u << 16), .buf = log, .len = sizeof(log) }, NULL);
}

/* AER completion DW0 of a Namespace Attribute Changed notice (log 04h). */
#define DM_AEN_NS_CHANGED	0x00040002u

/* ---- secondary controllers --------------------------------------------- */

/* SCS of secondary controller @cntlid (bit 0: online), or negative. */
static inline int dm_sec_state(const struct dm_ctl *ctl, uint16_t cntlid)
{
	static struct nvme_lm_sec_list l;
	int rc, i;

	rc = dm_identify(ctl, NVME_LM_CNS_SEC_LIST, 0, 0, 0, &l);
	if (rc)
		return rc > 0 ? -EIO : rc;
	for (i = 0; i < l.numid && i < NVME_LM_SEC_LIST_MAX; i++)
		if (l.sc[i].scid == cntlid)
			return l.sc[i].scs;
	return -ENOENT;
}

static inline int dm_virt_mgmt(const struct dm_ctl *ctl, uint16_t cntlid, uint8_t act,
			       uint8_t rt, uint16_t nr)
{
	return dm_run(ctl, &(struct dm_cmd){ .opc = OPC_VIRT_MGMT,
			.cdw10 = act | (uint32_t)rt << 8 | (uint32_t)cntlid << 16,
			.cdw11 = nr }, NULL);
}

/*
 * Bring secondary controller @cntlid online with one interrupt and @nvq
 * queues, as the bench's set-up does; nothing if it is online already.
 */
static inline int dm_vf_online(const struct dm_ctl *ctl, uint16_t cntlid, uint16_t nvq)
{
	int rc = dm_sec_state(ctl, cntlid);

	if (rc < 0)
		return rc;
	if (rc & 1)
		return 0;
	rc = dm_virt_mgmt(ctl, cntlid, 8, 1, 1);
	if (!rc)
		rc = dm_virt_mgmt(ctl, cntlid, 8, 0, nvq);
	if (!rc)
		rc = dm_virt_mgmt(ctl, cntlid, 9, 0, 0);
	return rc;
}

/* Open /dev/nvmeX of a PF and make sure its VFs are online. */
static inline int dm_open_pf(const char *dev, const int *ids, int nvf, int nvq)
{
	struct dm_ctl ctl = { .fd = open(dev, O_RDWR | O_CLOEXEC) };
	int i, rc;

	if (ctl.fd < 0)
		return -errno;
	for (i = 0; i < nvf; i++) {
		rc = dm_vf_online(&ctl, ids[i], nvq);
		if (rc) {
			close(ctl.fd);
			return rc < 0 ? rc : -EIO;
		}
	}
	return ctl.fd;
}

/* ---- a second, raw mapping of a function's BAR 0 ----------------------- */

struct dm_bar {
	volatile uint8_t *p;
	size_t len;
	unsigned int dstrd;
};

static inline int dm_bar_map(const char *bdf, struct dm_bar *b)
{
	char path[128];
	struct stat st;
	void *p;
	int fd;

	memset(b, 0, sizeof(*b));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", bdf);
	fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size < 0x2000) {
		close(fd);
		return -ENODEV;
	}
	p = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	b->p = p;
	b->len = st.st_size;
	b->dstrd = (*(volatile uint32_t *)(b->p + 4)) & 0xf;
	return 0;
}

static inline void dm_bar_unmap(struct dm_bar *b)
{
	if (b->p)
		munmap((void *)b->p, b->len);
	b->p = NULL;
}

static inline uint32_t dm_bar_r32(const struct dm_bar *b, uint32_t off)
{
	return *(volatile uint32_t *)(b->p + off);
}

static inline void dm_bar_w32(const struct dm_bar *b, uint32_t off, uint32_t v)
{
	__sync_synchronize();
	*(volatile uint32_t *)(b->p + off) = v;
}

static inline uint32_t dm_bar_sq_db(const struct dm_bar *b, unsigned int qid)
{
	return 0x1000 + (2 * qid) * (4u << b->dstrd);
}

static inline uint32_t dm_bar_cq_db(const struct dm_bar *b, unsigned int qid)
{
	return 0x1000 + (2 * qid + 1) * (4u << b->dstrd);
}

/* ---- udrv helpers ------------------------------------------------------ */

/* Physically contiguous @len bytes from @u's pool, or NULL. */
static inline void *dm_dma_contig(struct udrv_ctrl *u, size_t len)
{
	uint8_t *p = udrv_dma_alloc(u, len);
	size_t off;

	if (!p)
		return NULL;
	for (off = 4096; off < len; off += 4096)
		if (udrv_virt_to_phys(u, p + off) != udrv_virt_to_phys(u, p) + off) {
			udrv_dma_free(u, p);
			return NULL;
		}
	return p;
}

#endif /* _DM_COMMON_H */
