/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvme-hmlm private definitions, shared by main.c and cmd.c.
 */
#ifndef _HMLM_H
#define _HMLM_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/completion.h>
#include <linux/kref.h>
#include <linux/refcount.h>
#include <linux/types.h>

#include "nvme.h"		/* nvme-core private, from NVME_SRC */
#include <nvme_lm.h>

struct hmlm_log;

/**
 * struct hmlm_async - a Migration Send Suspend the caller may stop waiting for
 * @ref: Two references while the command is in flight: the waiter's and
 *	the completion handler's.
 * @done: Completed with complete_all() by the request's end_io, so it
 *	stays done for completion_done() after any number of waits.
 * @ret: As hmlm_submit_admin() returns, valid once @done completed.
 * @dudmq: The command had DUDMQ set.
 * @keep: The session asked not to resume on release.
 */
struct hmlm_async {
	refcount_t		ref;
	struct completion	done;
	int			ret;
	bool			dudmq;
	bool			keep;
};

/**
 * struct hmlm_session - one open file of /dev/nvme-hmlm
 * @lock: Serialises the ioctls of this session and the teardown of its
 *	log; protects @ctrl, @cntlid, whether @node is on the binding list,
 *	@suspended, @keep, @pending, @tracking.
 * @ref: The session file holds one reference, the log file another; the
 *	binding is released with the last one (hmlm_session_put()).
 * @ctrl: The bound MMC, or NULL while unbound. While set, the session
 *	holds a device reference (nvme_get_ctrl()) and a reference on
 *	@ctrl->ops->module, exactly as an open /dev/nvmeN does.
 * @cntlid: The bound migratable controller, valid while @ctrl is set.
 * @node: Entry on the global binding list while bound; the list and this
 *	field are protected by the binding list's own mutex in main.c.
 * @watch: Entry on the reset watch list (hmlm_watch_lock) while bound.
 * @dead: Set (under hmlm_watch_lock, read locklessly) when the MMC left
 *	the live state after the bind; never cleared.
 * @log: The log of LOG_START, or NULL; written under @lock and
 *	hmlm_watch_lock, so either is enough to read it.
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
	/* serialises the session's ioctls; protects the fields above @ref and the state_* fields */
	struct mutex		lock;
	struct kref		ref;
	struct nvme_ctrl	*ctrl;
	u16			cntlid;
	struct list_head	node;
	struct list_head	watch;
	bool			dead;
	struct hmlm_log		*log;
	bool			suspended;
	bool			keep;
	struct hmlm_async	*pending;
	bool			tracking;
	bool			state_fmts_known;
	u8			state_nv;
	u8			state_nuuid;
};

/**
 * struct hmlm_ucmd - one ioctl call being processed
 * @ubuffer: The user's argument.
 * @user_size: The size the user gave in the argument's first field.
 * @cmd: Kernel copy of the argument, zero-extended to the kernel's size.
 */
struct hmlm_ucmd {
	void __user	*ubuffer;
	u32		user_size;
	void		*cmd;
};

/**
 * struct hmlm_sec_list - a controller's whole secondary controller list
 * @nr: Number of entries in @ent.
 * @ent: The entries, in the controller's wire format, ascending SCID.
 */
struct hmlm_sec_list {
	u32			nr;
	struct nvme_lm_sec_ctrl	ent[] __counted_by(nr);
};

/* Wait for commands that may be abandoned, at most this long. */
#define HMLM_ADMIN_WAIT		(NVME_ADMIN_TIMEOUT + 10 * HZ)

int hmlm_ctrl_check_live(struct nvme_ctrl *ctrl);
int hmlm_submit_admin64(struct nvme_ctrl *ctrl, struct nvme_command *cmd,
			void *buf, unsigned int len, u64 *result);
int hmlm_submit_async(struct nvme_ctrl *ctrl, struct nvme_command *cmd,
		      struct hmlm_async **ctxp);
void hmlm_async_put(struct hmlm_async *ctx);
u32 hmlm_max_xfer(struct nvme_ctrl *ctrl);
int hmlm_submit_admin(struct nvme_ctrl *ctrl, struct nvme_command *cmd,
		      void *buf, unsigned int len, u32 *result);
int hmlm_identify(struct nvme_ctrl *ctrl, u8 cns, u8 csi, u16 cntid,
		  void *buf);
int hmlm_read_sec_list(struct nvme_ctrl *ctrl, struct hmlm_sec_list **listp);
const struct nvme_lm_sec_ctrl *hmlm_sec_list_find(const struct hmlm_sec_list *l,
						  u16 scid);

/* main.c */
int hmlm_ucmd_respond(struct hmlm_ucmd *ucmd, size_t cmd_len);
int hmlm_session_usable(struct hmlm_session *s);
int hmlm_settle_pending(struct hmlm_session *s, bool wait);
void hmlm_session_get(struct hmlm_session *s);
void hmlm_session_put(struct hmlm_session *s);
void hmlm_session_set_log(struct hmlm_session *s, struct hmlm_log *log);

/* state.c */
int hmlm_suspend(struct hmlm_session *s, struct hmlm_ucmd *ucmd);
int hmlm_resume(struct hmlm_session *s, struct hmlm_ucmd *ucmd);
int hmlm_get_state(struct hmlm_session *s, struct hmlm_ucmd *ucmd);
int hmlm_set_state(struct hmlm_session *s, struct hmlm_ucmd *ucmd);
void hmlm_state_fmts_note(struct hmlm_session *s, const u8 *fmts);
int hmlm_send_resume(struct hmlm_session *s);

/* cdq.c */
int hmlm_cdq_init(void);
void hmlm_cdq_exit(void);
int hmlm_log_start(struct hmlm_session *s, struct hmlm_ucmd *ucmd);
void hmlm_log_wake(struct hmlm_log *log);
void hmlm_log_queue_gone(struct hmlm_log *log);

/* track.c */
int hmlm_track_mem(struct hmlm_session *s, struct hmlm_ucmd *ucmd);
int hmlm_track_stop(struct hmlm_session *s);
int hmlm_get_alloc_lbas(struct hmlm_session *s, struct hmlm_ucmd *ucmd);

#endif /* _HMLM_H */
