/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvme-hmlm: the in-kernel API, for the VFIO PCI variant driver of NVMe VFs.
 *
 * A session here is the same object an open /dev/nvme-hmlm is, without the
 * file: every ioctl of include/uapi/linux/nvme_hmlm.h is a thin wrapper
 * over the function of the same name below, so both callers get one
 * implementation. The argument structures are the uAPI ones; their
 * ``*_uptr`` fields are ignored here: the data travels in an &struct
 * iov_iter instead (ITER_KVEC or ITER_BVEC for kernel memory), whose count
 * is the buffer's length.
 *
 * Return convention of every int function (the one of nvme-core's
 * __nvme_submit_sync_cmd() and of the ioctls): 0 on success, a positive
 * NVMe status (DNR << 14 | More << 13 | SCT << 8 | SC) when a command
 * completed with an error (also stored in the argument's out_nvme_status),
 * a negative errno otherwise. The errnos are the ones the uAPI header
 * lists. Once the MMC is being reset or removed, or SR-IOV of the MMC is
 * reconfigured, every call returns -ENODEV and only nvme_hmlm_close() is
 * left to do.
 *
 * Symbols are exported in the NVME_HMLM namespace:
 * MODULE_IMPORT_NS(NVME_HMLM) in the user. Context of every function:
 * process context, may sleep. The calls of one session serialise on its
 * lock, but for nvme_hmlm_log_read(), which may run beside them; the
 * caller must not let it run beside nvme_hmlm_log_close() or
 * nvme_hmlm_close() (the VFIO driver's state mutex does that).
 *
 * The module's reference: the session's user holds one by linking against
 * these symbols; nvme-hmlm.ko cannot be unloaded while the VFIO driver is
 * loaded.
 */
#ifndef _HMLM_KAPI_H
#define _HMLM_KAPI_H

#include <linux/types.h>
#include <linux/uio.h>

#include <uapi/linux/nvme_hmlm.h>

struct nvme_ctrl;
struct hmlm_session;

/*
 * Open a session on migratable controller @cntlid (a secondary controller
 * of @mmc, e.g. the VF's: its VFN is pci_iov_vf_id(vf) + 1 in the
 * secondary controller list). @mmc is the PF's controller, as
 * nvme_pci_vf_get_pf_ctrl() returns it; the session takes its own
 * reference. @vfn (optional) receives the VFN of the secondary controller
 * entry. -EOPNOTSUPP for a fabrics controller or one without OACS.HMLMS,
 * -ENOENT if @cntlid is not a secondary controller of @mmc, -EBUSY if
 * another session has it.
 */
int nvme_hmlm_open(struct nvme_ctrl *mmc, u16 cntlid, u16 *vfn,
		   struct hmlm_session **sp);
/*
 * The CNTLID of the secondary controller of @mmc whose VFN is @vfn (a VF's
 * pci_iov_vf_id() + 1), from the secondary controller list: -ENOENT if
 * none has it, a positive NVMe status if the Identify failed.
 */
int nvme_hmlm_vf_cntlid(struct nvme_ctrl *mmc, u16 vfn, u16 *cntlid);
/*
 * End the session as closing /dev/nvme-hmlm does (uapi.rst "Session
 * states"): waits for a Suspend in flight, stops memory tracking and
 * logging, deletes the migration queue, resumes what the session suspended
 * unless it was suspended with NVME_HMLM_SUSPEND_KEEP.
 */
void nvme_hmlm_close(struct hmlm_session *s);
/* true once the MMC was disabled or its SR-IOV reconfigured: -ENODEV. */
bool nvme_hmlm_dead(struct hmlm_session *s);

/*
 * Migration Send Suspend / Resume; arg->flags are NVME_HMLM_SUSPEND_*.
 * DUDMQ: -EBUSY while a data session (NVME_HMLM_BIND_DATA) of the same
 * controller has its migration queue, which the Suspend would delete.
 * Without DUDMQ the device posts its "suspended" record into that queue.
 */
int nvme_hmlm_suspend(struct hmlm_session *s, struct nvme_hmlm_suspend *arg);
int nvme_hmlm_resume(struct hmlm_session *s, struct nvme_hmlm_resume *arg);

/*
 * Migration Receive, Get Controller State, into @to (buf_len =
 * iov_iter_count(@to); NVME_HMLM_STATE_SIZE: @to may be NULL).
 */
int nvme_hmlm_get_state(struct hmlm_session *s,
			struct nvme_hmlm_get_state *arg, struct iov_iter *to);
/* Migration Send, Set Controller State, from @from (buf_len = its count). */
int nvme_hmlm_set_state(struct hmlm_session *s,
			struct nvme_hmlm_set_state *arg, struct iov_iter *from);

/*
 * Track Send (memory) / Track Receive. START reads arg->num &struct
 * nvme_hmlm_mem_range from @ranges, RECV writes at most arg->num of them
 * to it; STOP: @ranges may be NULL.
 */
int nvme_hmlm_track_mem(struct hmlm_session *s,
			struct nvme_hmlm_track_mem *arg,
			struct iov_iter *ranges);

/*
 * Create the User Data Migration Queue and start logging, without a log
 * fd: arg->out_fd is -1. One log per session, and per controller: -EBUSY
 * while a data session of the same controller has one.
 */
int nvme_hmlm_log_start(struct hmlm_session *s,
			struct nvme_hmlm_log_start *arg);
/*
 * Read whole &struct nvme_hmlm_log_rec records into @to, as read() on the
 * log fd: the number of bytes, 0 at the end of the log, -EAGAIN when none
 * is ready and @nonblock, else waits (interruptibly).
 */
ssize_t nvme_hmlm_log_read(struct hmlm_session *s, struct iov_iter *to,
			   bool nonblock);
/* Track Send, Log User Data Changes, stop; records stay readable. */
int nvme_hmlm_log_stop(struct hmlm_session *s, struct nvme_hmlm_log_stop *arg);
/* Stop logging if on, delete the queue and free it (close of the log fd). */
void nvme_hmlm_log_close(struct hmlm_session *s);

/* Get LBA Status ATYPE 02h; arg->num &struct nvme_hmlm_lba_range to @to. */
int nvme_hmlm_get_alloc_lbas(struct hmlm_session *s,
			     struct nvme_hmlm_alloc_lbas *arg,
			     struct iov_iter *to);

#endif /* _HMLM_KAPI_H */
