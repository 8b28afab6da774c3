/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvme-hmlm private definitions, shared by the files of the module.
 *
 * main.c     /dev/nvme-hmlm: file operations and the ioctl table
 * session.c  the session core: binding, lifetime, nvme-core's events
 * caps.c     GET_CAPS
 * cmd.c      building and submitting the NVMe admin commands
 * state.c    suspend, resume, controller state
 * cdq.c      the migration queue (User Data Migration Queue) and log fd
 * track.c    memory tracking, allocated LBAs
 */
#ifndef _HMLM_H
#define _HMLM_H

#include <linux/completion.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/uio.h>
#include <linux/workqueue.h>

#include "nvme.h"		/* nvme-core private, from NVME_SRC */
#include <nvme_lm.h>

#include "hmlm_kapi.h"

struct hmlm_log;

/**
 * struct hmlm_async - a Migration Send Suspend the caller may stop waiting for
 * @ref: Two references while the command is in flight: the waiter's and
 *	the worker's.
 * @work: Sends the command synchronously on hmlm_wq. The work holds a
 *	module reference, and module exit destroys hmlm_wq (which waits for
 *	it), so no module code runs after the module is gone.
 * @ctrl: The MMC, with a reference of its own (see hmlm_ctrl_ref()).
 * @cmd: The command.
 * @done: Completed with complete_all() by the worker, so it stays done for
 *	completion_done() after any number of waits.
 * @ret: As hmlm_submit_admin() returns, valid once @done completed.
 * @dudmq: The command had DUDMQ set.
 * @keep: The session asked not to resume on release.
 */
struct hmlm_async {
	refcount_t		ref;
	struct work_struct	work;
	struct nvme_ctrl	*ctrl;
	struct nvme_command	cmd;
	struct completion	done;
	int			ret;
	bool			dudmq;
	bool			keep;
};

/**
 * struct hmlm_session - a session: an open /dev/nvme-hmlm or an
 *	nvme_hmlm_open() of the in-kernel API
 * @lock: Serialises the operations of this session and the teardown of its
 *	log; protects @suspended, @keep, @pending, @tracking, @state_*, and
 *	(with hmlm_sessions_lock) @ctrl, @cntlid, @bound, @log,
 *	@dudmq_sent.
 * @ref: The session's owner (file or kernel caller) holds one reference,
 *	the log fd another; the binding is released with the last one.
 * @ctrl: The MMC, or NULL while unbound. While set, the session holds a
 *	device reference and a reference on the transport module.
 * @cntlid: The bound migratable controller.
 * @vfn: Its VF number (secondary controller list).
 * @node: Entry on hmlm_sessions while @ctrl is set (from the start of the
 *	bind, so events during the bind are seen).
 * @bound: The bind committed: the binding is exclusive from here.
 * @data: A data session (NVME_HMLM_BIND_DATA): only the operations whose
 *	dispatch entry has HMLM_OP_DATA; set before the bind, never changed
 *	once bound.
 * @dudmq_sent: A Suspend with DUDMQ was sent and its outcome is not known
 *	yet (it may delete the controller's migration queue); under
 *	hmlm_sessions_lock.
 * @dead: Set under hmlm_sessions_lock when the MMC is disabled or its
 *	SR-IOV reconfigured; never cleared. Read locklessly.
 * @disabled: The MMC was disabled since the bind (NVME_MIG_EV_DISABLE): no
 *	command of the session may be sent, its queues are gone on the device.
 * @log: The log of LOG_START, or NULL.
 * @suspended: This session suspended the controller and did not resume it.
 * @keep: Do not resume on release (NVME_HMLM_SUSPEND_KEEP).
 * @pending: A Suspend still in flight whose waiter gave up, or NULL.
 * @tracking: This session started memory tracking.
 * @state_fmts_known: @state_nv and @state_nuuid hold the MMC's Identify
 *	CNS 20h counts (read at bind, or by the first SET_STATE).
 * @state_nv: Number of NVMe Controller State versions of the MMC.
 * @state_nuuid: Number of vendor-specific state format UUIDs.
 */
struct hmlm_session {
	/* serialises the session's operations, see above */
	struct mutex		lock;
	struct kref		ref;
	struct nvme_ctrl	*ctrl;
	u16			cntlid;
	u16			vfn;
	struct list_head	node;
	bool			bound;
	bool			data;
	bool			dudmq_sent;
	bool			dead;
	bool			disabled;
	struct hmlm_log		*log;
	bool			suspended;
	bool			keep;
	struct hmlm_async	*pending;
	bool			tracking;
	bool			state_fmts_known;
	u8			state_nv;
	u8			state_nuuid;
};

/*
 * What an operation needs before it runs (hmlm_enter()), the flags of the
 * dispatch table in main.c and of the in-kernel API's entry points.
 */
#define HMLM_OP_BOUND		BIT(0)	/* a bound, usable session; locks it */
#define HMLM_OP_SETTLE		BIT(1)	/* no Suspend in flight (EBUSY) */
#define HMLM_OP_LOCK		BIT(2)	/* lock only (BIND) */
#define HMLM_OP_DATA		BIT(3)	/* a data session may run it */

/**
 * struct hmlm_sec_list - a controller's whole secondary controller list
 * @nr: Number of entries in @ent.
 * @ent: The entries, in the controller's wire format, ascending SCID.
 */
struct hmlm_sec_list {
	u32			nr;
	struct nvme_lm_sec_ctrl	ent[] __counted_by(nr);
};

extern struct workqueue_struct *hmlm_wq;

/* cmd.c */
int hmlm_ctrl_check_live(struct nvme_ctrl *ctrl);
int hmlm_ctrl_ref(struct nvme_ctrl *ctrl);
void hmlm_ctrl_unref(struct nvme_ctrl *ctrl);
int hmlm_submit_admin64(struct nvme_ctrl *ctrl, struct nvme_command *cmd,
			void *buf, unsigned int len, u64 *result);
int hmlm_submit_admin(struct nvme_ctrl *ctrl, struct nvme_command *cmd,
		      void *buf, unsigned int len, u32 *result);
int hmlm_submit_async(struct nvme_ctrl *ctrl, struct nvme_command *cmd,
		      struct hmlm_async **ctxp);
void hmlm_async_put(struct hmlm_async *ctx);
u32 hmlm_max_xfer(struct nvme_ctrl *ctrl);
int hmlm_identify(struct nvme_ctrl *ctrl, u8 cns, u8 csi, u16 cntid,
		  void *buf);
int hmlm_identify_ns(struct nvme_ctrl *ctrl, u8 cns, u32 nsid, u16 cntid,
		     void *buf);
int hmlm_read_sec_list(struct nvme_ctrl *ctrl, struct hmlm_sec_list **listp);
const struct nvme_lm_sec_ctrl *hmlm_sec_list_find(const struct hmlm_sec_list *l,
						  u16 scid);

/* session.c */
int hmlm_session_init(void);
void hmlm_session_exit(void);
struct hmlm_session *hmlm_session_alloc(void);
void hmlm_session_get(struct hmlm_session *s);
void hmlm_session_put(struct hmlm_session *s);
void hmlm_session_end(struct hmlm_session *s);
int hmlm_session_bind(struct hmlm_session *s, struct nvme_ctrl *ctrl,
		      u16 cntlid, bool data, u16 *mmc_cntlid, u16 *vfn);
int hmlm_enter(struct hmlm_session *s, unsigned int flags);
void hmlm_leave(struct hmlm_session *s, unsigned int flags);
int hmlm_session_usable(struct hmlm_session *s);
int hmlm_settle_pending(struct hmlm_session *s, bool wait);
int hmlm_session_set_log(struct hmlm_session *s, struct hmlm_log *log);
int hmlm_session_dudmq_begin(struct hmlm_session *s);
void hmlm_session_dudmq_end(struct hmlm_session *s);
int hmlm_mem_orphan(struct nvme_ctrl *ctrl, struct list_head *mem);

/* caps.c */
int hmlm_get_caps(struct nvme_ctrl *ctrl, struct nvme_hmlm_get_caps *cmd);

/* state.c: expect hmlm_enter() done */
int hmlm_do_suspend(struct hmlm_session *s, struct nvme_hmlm_suspend *cmd);
int hmlm_do_resume(struct hmlm_session *s, struct nvme_hmlm_resume *cmd);
int hmlm_do_get_state(struct hmlm_session *s, struct nvme_hmlm_get_state *cmd,
		      struct iov_iter *to);
int hmlm_do_set_state(struct hmlm_session *s, struct nvme_hmlm_set_state *cmd,
		      struct iov_iter *from);
void hmlm_state_fmts_note(struct hmlm_session *s, const u8 *fmts);
int hmlm_send_resume(struct hmlm_session *s);

/* cdq.c */
int hmlm_do_log_start(struct hmlm_session *s, struct nvme_hmlm_log_start *cmd);
int hmlm_log_start_fd(struct hmlm_session *s, struct nvme_hmlm_log_start *cmd,
		      void __user *uarg, size_t ulen);
void hmlm_log_queue_gone(struct hmlm_log *log);
void hmlm_log_wake(struct hmlm_log *log);
void hmlm_log_event(struct hmlm_log *log, u8 aei);
u16 hmlm_log_cdqid(const struct hmlm_log *log);
void hmlm_log_detach_mem(struct hmlm_log *log, struct list_head *freeq);
void hmlm_cdq_mem_free_list(struct list_head *freeq);

/* track.c: expect hmlm_enter() done */
int hmlm_do_track_mem(struct hmlm_session *s, struct nvme_hmlm_track_mem *cmd,
		      struct iov_iter *ranges);
int hmlm_track_stop(struct hmlm_session *s);
int hmlm_do_get_alloc_lbas(struct hmlm_session *s,
			   struct nvme_hmlm_alloc_lbas *cmd,
			   struct iov_iter *to);

/**
 * hmlm_check_stop() - one round of a loop driven by the device or the caller
 *
 * A killed caller stops the loop, and the loop yields the CPU.
 *
 * Context: Process context; may sleep (cond_resched()).
 * Return: 0 to go on, -EINTR if the caller has a fatal signal pending.
 */
static inline int hmlm_check_stop(void)
{
	if (fatal_signal_pending(current))
		return -EINTR;
	cond_resched();
	return 0;
}

#endif /* _HMLM_H */
