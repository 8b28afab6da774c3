/* SPDX-License-Identifier: GPL-2.0 */
/*
 * udrv: a small polled userspace NVMe host driver for the nvme-hmlm tests.
 *
 * It plays the VM on an SR-IOV VF inside the QEMU test guest: the function
 * is opened through sysfs (enable, command register, resource0), DMA memory
 * comes from 2 MiB hugepages translated with /proc/self/pagemap (the guest
 * has no IOMMU, so a physical address is a bus address), and every queue is
 * polled; no interrupt is ever used.
 *
 * Conventions: functions return 0 (or a count / command id) on success, a
 * negative errno on a driver or system error, and a positive NVMe status
 * ((SCT << 8) | SC, without the DNR/More/CRD bits) when the controller
 * completed a command with an error. The library prints nothing unless
 * udrv_opts.debug is set or UDRV_DEBUG=1 is in the environment.
 *
 * Not thread safe: one thread per controller.
 */
#ifndef _UDRV_H
#define _UDRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UDRV_MAX_IO_QUEUES	16
#define UDRV_PAGE_SIZE		4096u
#define UDRV_HUGEPAGE_SIZE	(2u << 20)

/* Controller registers (NVMe Base 2.1, 3.1.4). */
#define UDRV_REG_CAP		0x00
#define UDRV_REG_VS		0x08
#define UDRV_REG_INTMS		0x0c
#define UDRV_REG_INTMC		0x10
#define UDRV_REG_CC		0x14
#define UDRV_REG_CSTS		0x1c
#define UDRV_REG_AQA		0x24
#define UDRV_REG_ASQ		0x28
#define UDRV_REG_ACQ		0x30
#define UDRV_REG_DBS		0x1000

#define UDRV_CSTS_RDY		(1u << 0)
#define UDRV_CSTS_CFS		(1u << 1)

/* Opcodes used by the helpers. */
#define UDRV_ADM_DELETE_SQ	0x00
#define UDRV_ADM_CREATE_SQ	0x01
#define UDRV_ADM_DELETE_CQ	0x04
#define UDRV_ADM_CREATE_CQ	0x05
#define UDRV_ADM_IDENTIFY	0x06
#define UDRV_ADM_SET_FEATURES	0x09
#define UDRV_ADM_GET_FEATURES	0x0a
#define UDRV_NVM_FLUSH		0x00
#define UDRV_NVM_WRITE		0x01
#define UDRV_NVM_READ		0x02
#define UDRV_NVM_WRITE_ZEROES	0x08
#define UDRV_NVM_DSM		0x09

/* NVMe status values ((SCT << 8) | SC) the tests look at. */
#define UDRV_SC_SUCCESS		0x000
#define UDRV_SC_INVALID_OPCODE	0x001
#define UDRV_SC_INVALID_FIELD	0x002
#define UDRV_SC_INVALID_NS	0x00b
#define UDRV_SC_LBA_RANGE	0x080
#define UDRV_SC_INVALID_QID	0x101
#define UDRV_SC_MASK		0x7ff	/* SCT | SC */
#define UDRV_STATUS_DNR		0x4000	/* in udrv_completion.status */

/* A 64-byte submission queue entry, little-endian on the wire (x86). */
struct udrv_sqe {
	uint8_t opcode;
	uint8_t flags;
	uint16_t cid;		/* set by the driver */
	uint32_t nsid;
	uint32_t cdw2;
	uint32_t cdw3;
	uint64_t mptr;
	uint64_t prp1;		/* set by the driver when a buffer is given */
	uint64_t prp2;
	uint32_t cdw10;
	uint32_t cdw11;
	uint32_t cdw12;
	uint32_t cdw13;
	uint32_t cdw14;
	uint32_t cdw15;
};

/* A 16-byte completion queue entry. */
struct udrv_cqe {
	uint32_t dw0;
	uint32_t dw1;
	uint16_t sqhd;
	uint16_t sqid;
	uint16_t cid;
	uint16_t status;	/* bit 0: phase tag */
};

/* One completion as the driver hands it to the caller. */
struct udrv_completion {
	uint16_t qid;
	uint16_t cid;
	uint16_t status;	/* CQE status field >> 1: SC, SCT, CRD, M, DNR */
	uint32_t dw0;
	void *arg;		/* the submitter's arg */
};

static inline int udrv_status_code(uint16_t status)
{
	return status & UDRV_SC_MASK;
}

typedef void (*udrv_cb)(void *arg, const struct udrv_completion *cpl);

struct udrv_opts {
	unsigned int nr_io_queues;	/* 0: as many as granted, max UDRV_MAX_IO_QUEUES */
	unsigned int io_qsize;		/* entries per I/O queue; 0: 64; capped at CAP.MQES + 1 */
	unsigned int admin_qsize;	/* 0: 32 */
	size_t dma_pool_bytes;		/* 0: 8 MiB; rounded up to 2 MiB */
	unsigned int cmd_timeout_ms;	/* synchronous commands; 0: 30000 */
	bool debug;			/* messages on stderr */
};

struct udrv_info {
	uint64_t cap;
	uint32_t vs;
	uint16_t cntlid;
	uint16_t vid;
	uint16_t oncs;
	uint8_t vwc;
	uint32_t nn;
	uint32_t max_xfer;		/* bytes per command: min(MDTS, 2 MiB) */
	unsigned int dstrd;		/* CAP.DSTRD */
	unsigned int mqes;		/* CAP.MQES + 1 */
	unsigned int nsqa, ncqa;	/* I/O queues granted by Set Features (1-based) */
	unsigned int nr_io_queues;	/* I/O queue pairs created: qid 1..nr_io_queues */
	unsigned int io_qsize;
	unsigned int admin_qsize;
	char sn[21], mn[41], fr[9];
};

struct udrv_ns {
	uint32_t nsid;
	uint64_t nsze;
	uint64_t ncap;
	uint32_t lba_size;
	uint8_t flbas;
	uint8_t dlfeat;
	uint8_t nmic;
};

/* State of one queue pair, for inspection and for migration tests. */
struct udrv_queue_state {
	uint16_t qid;
	uint16_t qsize;
	uint64_t sq_phys, cq_phys;
	void *sq_virt, *cq_virt;	/* rings in host memory (kept across detach) */
	uint16_t sq_tail;		/* next free SQ slot */
	uint16_t sq_head;		/* SQ head last reported by the controller */
	uint16_t cq_head;		/* next CQ slot to consume */
	uint8_t cq_phase;		/* phase tag expected at cq_head */
	bool sq_db_pending;		/* tail not yet written to the doorbell */
	bool cq_db_pending;		/* head not yet written to the doorbell */
	unsigned int inflight;		/* commands submitted, not yet completed */
};

struct udrv_stats {
	uint64_t submitted;
	uint64_t completed;
	uint64_t unknown_cid;		/* CQE with a CID that was never issued */
	uint64_t dup_cid;		/* CQE for a command that already completed */
	uint64_t bad_sqid;		/* CQE naming another SQ */
	uint64_t timeouts;
};

struct udrv_ctrl;

/* ---- Life cycle ------------------------------------------------------ */

/*
 * Open the PCI function @bdf ("0000:01:00.1"), reset and enable the
 * controller, identify it, ask for the I/O queues and create them.
 * -ENOENT: no such function; -EBUSY: a kernel driver is bound to it;
 * -ENODEV: not an NVMe controller; -ETIMEDOUT: CSTS.RDY did not follow
 * CC.EN within CAP.TO; -EIO: CSTS.CFS. Positive: an admin command failed.
 */
int udrv_open(const char *bdf, const struct udrv_opts *opts, struct udrv_ctrl **out);

/* Disable the controller (CC.EN=0) if attached, unmap, free everything. */
void udrv_close(struct udrv_ctrl *c);

const struct udrv_info *udrv_info(const struct udrv_ctrl *c);
const char *udrv_bdf(const struct udrv_ctrl *c);
void udrv_get_stats(const struct udrv_ctrl *c, struct udrv_stats *st);
/* Full 15-bit status of the last synchronous command (0 if none failed). */
uint16_t udrv_last_status(const struct udrv_ctrl *c);

/* ---- Registers ------------------------------------------------------- */

uint32_t udrv_read32(struct udrv_ctrl *c, uint32_t off);
uint64_t udrv_read64(struct udrv_ctrl *c, uint32_t off);
void udrv_write32(struct udrv_ctrl *c, uint32_t off, uint32_t val);
void udrv_write64(struct udrv_ctrl *c, uint32_t off, uint64_t val);

/* ---- DMA memory ------------------------------------------------------ */

/* Zeroed, 4 KiB aligned, physically addressable memory from the pool. */
void *udrv_dma_alloc(struct udrv_ctrl *c, size_t len);
void udrv_dma_free(struct udrv_ctrl *c, void *p);
/* Bus address of @p, or 0 when @p is not in the pool. */
uint64_t udrv_virt_to_phys(const struct udrv_ctrl *c, const void *p);
/* Free bytes left in the pool. */
size_t udrv_dma_avail(const struct udrv_ctrl *c);

/* ---- Admin ----------------------------------------------------------- */

/*
 * Run one admin command synchronously. @buf (may be NULL) is any memory; it
 * is bounced through the pool (copied out before, back after: both ways).
 * @dw0 receives CQE DW0 when not NULL.
 */
int udrv_admin(struct udrv_ctrl *c, struct udrv_sqe *cmd, void *buf, size_t len,
	       uint32_t *dw0);
int udrv_identify_ctrl(struct udrv_ctrl *c, void *buf4k);
int udrv_identify_ns(struct udrv_ctrl *c, uint32_t nsid, struct udrv_ns *ns);
/* Set Features Number of Queues; granted counts (1-based) through the pointers. */
int udrv_set_num_queues(struct udrv_ctrl *c, unsigned int nsq, unsigned int ncq,
			unsigned int *nsqa, unsigned int *ncqa);
/* Create / delete I/O queue pair @qid (CQ without interrupts, then SQ). */
int udrv_create_qpair(struct udrv_ctrl *c, unsigned int qid, unsigned int qsize);
int udrv_delete_qpair(struct udrv_ctrl *c, unsigned int qid);

/* ---- I/O, asynchronous ----------------------------------------------- */

#define UDRV_SUBMIT_NO_DOORBELL	(1u << 0)	/* write the SQE, ring later */

/*
 * Put @cmd on SQ @qid (0 is the admin queue). @buf must be pool memory
 * (udrv_dma_alloc) and stays owned by the caller until the completion;
 * the PRPs are built from it (len <= max_xfer; with len 0 the PRP fields
 * of @cmd are sent as they are, e.g. a queue's base address). @cb (may be NULL) is called
 * from udrv_poll() or a synchronous helper; a completion without a
 * callback is returned by udrv_poll(). Returns the command id (>= 0),
 * -EAGAIN when the queue is full, -EINVAL on bad arguments.
 */
int udrv_submit(struct udrv_ctrl *c, unsigned int qid, struct udrv_sqe *cmd, void *buf,
		size_t len, unsigned int flags, udrv_cb cb, void *arg);
/* Read/write @nlb blocks at @slba: builds the command and calls udrv_submit(). */
int udrv_submit_rw(struct udrv_ctrl *c, unsigned int qid, bool write, uint32_t nsid,
		   uint64_t slba, uint32_t nlb, void *buf, unsigned int flags, udrv_cb cb,
		   void *arg);
/* Write SQ @qid's tail to its doorbell (after UDRV_SUBMIT_NO_DOORBELL). */
int udrv_ring_sq(struct udrv_ctrl *c, unsigned int qid);

/*
 * Reap completions of queue @qid: callbacks run, completions without a
 * callback go to @out (up to @max; with @out NULL they are counted and
 * dropped). Returns the number of completions reaped, or -EPROTO (once) when
 * a CQE carried an unknown or already completed CID or a wrong SQ id; such
 * entries are consumed and counted in udrv_stats. A callback may submit but
 * must not call the synchronous helpers. A detached controller is polled
 * from memory; the head doorbell is written by udrv_attach_continue().
 */
int udrv_poll(struct udrv_ctrl *c, unsigned int qid, struct udrv_completion *out,
	      unsigned int max);
/*
 * Poll until @n completions were reaped into @out (or by callbacks) or
 * @timeout_ms passed. Returns the count reaped (< n on timeout) or -EPROTO.
 */
int udrv_poll_n(struct udrv_ctrl *c, unsigned int qid, struct udrv_completion *out,
		unsigned int n, unsigned int timeout_ms);

/* ---- I/O, synchronous ------------------------------------------------ */

/*
 * @buf may be any memory (bounced through the pool when it is not pool
 * memory); transfers larger than max_xfer are split. Other completions
 * that arrive meanwhile on @qid are kept for the next udrv_poll().
 */
int udrv_read(struct udrv_ctrl *c, unsigned int qid, uint32_t nsid, uint64_t slba,
	      uint32_t nlb, void *buf);
int udrv_write(struct udrv_ctrl *c, unsigned int qid, uint32_t nsid, uint64_t slba,
	       uint32_t nlb, const void *buf);
int udrv_write_zeroes(struct udrv_ctrl *c, unsigned int qid, uint32_t nsid, uint64_t slba,
		      uint32_t nlb);
/* Dataset Management, Attribute Deallocate, one range. */
int udrv_deallocate(struct udrv_ctrl *c, unsigned int qid, uint32_t nsid, uint64_t slba,
		    uint32_t nlb);
int udrv_flush(struct udrv_ctrl *c, unsigned int qid, uint32_t nsid);
/* Run @cmd on @qid and wait; @buf must be pool memory or NULL. */
int udrv_io_sync(struct udrv_ctrl *c, unsigned int qid, struct udrv_sqe *cmd, void *buf,
		 size_t len, uint32_t *dw0);

/* ---- Queue state, detach and continue -------------------------------- */

/* @qid 0 is the admin queue. -EINVAL when @qid does not exist. */
int udrv_queue_state(const struct udrv_ctrl *c, unsigned int qid, struct udrv_queue_state *st);

/*
 * Forget the BAR (unmap it, close the sysfs files) and keep everything else:
 * rings, tails, heads, phases, commands in flight, the DMA pool. While
 * detached, submissions are written to the rings only and polls consume
 * the CQ from memory; doorbells are written by udrv_attach_continue().
 */
int udrv_detach(struct udrv_ctrl *c);
bool udrv_attached(const struct udrv_ctrl *c);

/*
 * Map the BAR of @bdf (enable, Bus Master) and continue on it without a
 * reset: the controller there must be enabled and ready (CSTS.RDY=1,
 * e.g. a migrated controller); every SQ tail and CQ head doorbell is then
 * written with the driver's current values. -EALREADY when attached,
 * -EIO when the controller there is not ready.
 */
int udrv_attach_continue(struct udrv_ctrl *c, const char *bdf);

#ifdef __cplusplus
}
#endif

#endif /* _UDRV_H */
