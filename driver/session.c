// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-hmlm: the session core.
 *
 * A session is bound to one migratable controller (a CNTLID) of one MMC.
 * It is what an open /dev/nvme-hmlm is, and what the in-kernel API's
 * nvme_hmlm_open() returns. This file binds sessions, ends them, and is
 * the migration host nvme-core tells of its controllers' events
 * (nvme_register_mig_host()):
 *
 * - NVME_MIG_EV_DISABLE: the MMC is about to be disabled (reset, removal,
 *   shutdown, error recovery). Its sessions become dead (-ENODEV) and
 *   their log readers are woken. Nothing is sent.
 * - NVME_MIG_EV_DISABLED: the MMC is disabled, its queues are gone on the
 *   device. The DMA memory of its sessions' migration queues is freed
 *   here, while the device still exists, even if a log fd stays open
 *   (it then reads -ENODEV and owns no DMA memory); so is the memory of
 *   queues whose deletion failed earlier (the orphans, below).
 * - NVME_MIG_EV_SRIOV_CHANGE: the MMC's VFs may go away and their CNTLIDs
 *   go to new VFs: its sessions become dead (-ENODEV), so an old session
 *   never addresses a CNTLID that now belongs to another VF. Their
 *   queues are still the MMC's: closing deletes them.
 * - One-Shot AENs (CDQ Tail Pointer, CDQ Full) wake the reader of the
 *   queue they name (dword 1: CDQID) on that MMC.
 *
 * The memory rule: the migration queue's memory is freed only after a
 * Delete CDQ succeeded, a Suspend with DUDMQ succeeded (the device deleted
 * the queue), or the MMC was disabled. Otherwise it is an orphan, kept on
 * hmlm_orphans until its MMC is disabled; orphans left at module exit are
 * leaked on purpose (counted and logged).
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/unaligned.h>

#include "hmlm.h"

/*
 * The sessions with a controller (being bound or bound), and the orphaned
 * queue memory. Protects hmlm_sessions, hmlm_orphans, every session's
 * @node, @dead, @disabled and (with the session's @lock) @ctrl, @cntlid,
 * @bound and @log. Taken from the completion interrupt (async events), so
 * with interrupts off; the innermost lock but for a log's @mem_lock.
 */
static DEFINE_SPINLOCK(hmlm_sessions_lock);
static LIST_HEAD(hmlm_sessions);

/**
 * struct hmlm_orphan - queue memory whose queue may still exist on a device
 * @node: Entry on hmlm_orphans.
 * @ctrl: The MMC that may write it, with hmlm_ctrl_ref() references.
 * @mem: The memory (&struct hmlm_cdq_mem entries, cdq.c).
 */
struct hmlm_orphan {
	struct list_head	node;
	struct nvme_ctrl	*ctrl;
	struct list_head	mem;
};

static LIST_HEAD(hmlm_orphans);

/**
 * hmlm_mem_orphan() - keep queue memory until its MMC is disabled
 * @ctrl: The MMC; the caller holds a reference.
 * @mem: The memory, moved to the orphan.
 *
 * Context: Process context.
 * Return: 0, or -ENOMEM (the memory is then leaked, and said so).
 */
int hmlm_mem_orphan(struct nvme_ctrl *ctrl, struct list_head *mem)
{
	struct hmlm_orphan *o;
	unsigned long flags;

	o = kzalloc(sizeof(*o), GFP_KERNEL);
	if (!o || hmlm_ctrl_ref(ctrl)) {
		kfree(o);
		INIT_LIST_HEAD(mem);
		dev_warn(ctrl->device,
			 "nvme-hmlm: migration queue memory leaked\n");
		return -ENOMEM;
	}
	o->ctrl = ctrl;
	INIT_LIST_HEAD(&o->mem);
	list_splice_init(mem, &o->mem);
	spin_lock_irqsave(&hmlm_sessions_lock, flags);
	list_add_tail(&o->node, &hmlm_orphans);
	spin_unlock_irqrestore(&hmlm_sessions_lock, flags);
	return 0;
}

/**
 * hmlm_session_alloc() - a new unbound session
 *
 * Context: Process context.
 * Return: the session with one reference, or NULL.
 */
struct hmlm_session *hmlm_session_alloc(void)
{
	struct hmlm_session *s;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return NULL;
	mutex_init(&s->lock);
	kref_init(&s->ref);
	INIT_LIST_HEAD(&s->node);
	return s;
}

/* The lockdep class of in-kernel sessions' @lock (nvme_hmlm_open()). */
static struct lock_class_key hmlm_kapi_session_key;

/**
 * hmlm_session_unlink() - take a session off hmlm_sessions
 * @s: The session, with a controller.
 *
 * Context: Process context; expects @s->lock held or @s unreachable.
 * Return: the MMC, whose references the caller now owns.
 */
static struct nvme_ctrl *hmlm_session_unlink(struct hmlm_session *s)
{
	struct nvme_ctrl *ctrl = s->ctrl;
	unsigned long flags;

	spin_lock_irqsave(&hmlm_sessions_lock, flags);
	list_del_init(&s->node);
	s->ctrl = NULL;
	s->bound = false;
	s->data = false;
	spin_unlock_irqrestore(&hmlm_sessions_lock, flags);
	return ctrl;
}

/**
 * hmlm_session_free() - the last reference of a session is gone
 * @kref: The session's @ref.
 *
 * Context: Process context.
 */
static void hmlm_session_free(struct kref *kref)
{
	struct hmlm_session *s = container_of(kref, struct hmlm_session, ref);

	if (s->ctrl)
		hmlm_ctrl_unref(hmlm_session_unlink(s));
	/* hmlm_session_end() settled it; a never-ended session has none */
	if (WARN_ON_ONCE(s->pending))
		hmlm_async_put(s->pending);
	mutex_destroy(&s->lock);
	kfree(s);
}

/**
 * hmlm_session_get() - take a reference on a session
 * @s: The session.
 *
 * Context: Any context.
 */
void hmlm_session_get(struct hmlm_session *s)
{
	kref_get(&s->ref);
}

/**
 * hmlm_session_put() - drop a reference on a session
 * @s: The session.
 *
 * Context: Process context; the last put unbinds.
 */
void hmlm_session_put(struct hmlm_session *s)
{
	kref_put(&s->ref, hmlm_session_free);
}

/**
 * hmlm_session_key() - what makes a CNTLID unique
 * @s: A session with a controller.
 *
 * Context: Any context.
 * Return: the NVM subsystem of the MMC, or the MMC if it has none.
 */
static const void *hmlm_session_key(const struct hmlm_session *s)
{
	return s->ctrl->subsys ? (void *)s->ctrl->subsys : (void *)s->ctrl;
}

/**
 * hmlm_session_peer() - the other session bound to the same controller
 * @s: A bound session.
 *
 * A migratable controller has at most two sessions: its own and a data
 * session (NVME_HMLM_BIND_DATA), see hmlm_session_commit().
 *
 * Context: Expects hmlm_sessions_lock held.
 * Return: the session, or NULL.
 */
static struct hmlm_session *hmlm_session_peer(struct hmlm_session *s)
{
	struct hmlm_session *o;

	lockdep_assert_held(&hmlm_sessions_lock);
	list_for_each_entry(o, &hmlm_sessions, node)
		if (o != s && o->bound && !o->dead && o->cntlid == s->cntlid &&
		    hmlm_session_key(o) == hmlm_session_key(s))
			return o;
	return NULL;
}

/**
 * hmlm_session_set_log() - attach or detach the session's log
 * @s: The session, locked.
 * @log: The log, or NULL.
 *
 * The controller has one migration queue, and a Suspend with DUDMQ
 * deletes it: a log is attached only while the other session of the
 * controller has none and no such Suspend in flight, so that neither
 * session's queue is deleted by the other's command.
 *
 * Context: Expects @s->lock held; takes and releases hmlm_sessions_lock.
 * Return: 0; -EBUSY if the other session has a log or a Suspend with
 *	DUDMQ in flight (only when attaching).
 */
int hmlm_session_set_log(struct hmlm_session *s, struct hmlm_log *log)
{
	struct hmlm_session *peer;
	unsigned long flags;
	int ret = 0;

	lockdep_assert_held(&s->lock);
	spin_lock_irqsave(&hmlm_sessions_lock, flags);
	peer = log ? hmlm_session_peer(s) : NULL;
	if (peer && (peer->log || peer->dudmq_sent))
		ret = -EBUSY;
	else
		s->log = log;
	spin_unlock_irqrestore(&hmlm_sessions_lock, flags);
	return ret;
}

/**
 * hmlm_session_dudmq_begin() - a Suspend with DUDMQ is about to be sent
 * @s: The session, locked, bound.
 *
 * Ended by hmlm_session_dudmq_end() once its outcome is known.
 *
 * Context: Expects @s->lock held; takes and releases hmlm_sessions_lock.
 * Return: 0; -EBUSY if the other session of the controller has a log,
 *	which the command would delete under it.
 */
int hmlm_session_dudmq_begin(struct hmlm_session *s)
{
	struct hmlm_session *peer;
	unsigned long flags;
	int ret = 0;

	lockdep_assert_held(&s->lock);
	spin_lock_irqsave(&hmlm_sessions_lock, flags);
	peer = hmlm_session_peer(s);
	if (peer && peer->log)
		ret = -EBUSY;
	else
		s->dudmq_sent = true;
	spin_unlock_irqrestore(&hmlm_sessions_lock, flags);
	return ret;
}

/**
 * hmlm_session_dudmq_end() - the outcome of a Suspend with DUDMQ is known
 * @s: The session, locked.
 *
 * Context: Expects @s->lock held; takes and releases hmlm_sessions_lock.
 */
void hmlm_session_dudmq_end(struct hmlm_session *s)
{
	unsigned long flags;

	lockdep_assert_held(&s->lock);
	spin_lock_irqsave(&hmlm_sessions_lock, flags);
	s->dudmq_sent = false;
	spin_unlock_irqrestore(&hmlm_sessions_lock, flags);
}

/**
 * hmlm_session_usable() - check that a session can send commands
 * @s: The session, locked.
 *
 * Context: Expects @s->lock held.
 * Return: 0 if bound to a live controller that was not disabled or
 *	reconfigured since; -EINVAL if unbound; -ENODEV otherwise.
 */
int hmlm_session_usable(struct hmlm_session *s)
{
	lockdep_assert_held(&s->lock);
	if (!s->bound)
		return -EINVAL;
	if (READ_ONCE(s->dead))
		return -ENODEV;
	return hmlm_ctrl_check_live(s->ctrl);
}

/**
 * hmlm_settle_pending() - learn the outcome of an abandoned Suspend
 * @s: The session, locked.
 * @wait: Wait for it, uninterruptibly: nvme-core completes or cancels
 *	every admin command (its timeout handler resets the controller).
 *
 * Context: Expects @s->lock held; sleeps if @wait.
 * Return: 0 if nothing is pending any more, -EBUSY if the Suspend is
 *	still in flight.
 */
int hmlm_settle_pending(struct hmlm_session *s, bool wait)
{
	struct hmlm_async *p = s->pending;

	lockdep_assert_held(&s->lock);
	if (!p)
		return 0;
	if (wait)
		wait_for_completion(&p->done);
	/* @done stays done once completed (complete_all()), even if waited for. */
	if (!completion_done(&p->done))
		return -EBUSY;
	if (p->ret == 0) {
		s->suspended = true;
		s->keep = p->keep;
		if (p->dudmq && s->log)
			hmlm_log_queue_gone(s->log);
	}
	if (p->dudmq)
		hmlm_session_dudmq_end(s);
	s->pending = NULL;
	hmlm_async_put(p);
	return 0;
}

/**
 * hmlm_enter() - the common prologue of an operation
 * @s: The session.
 * @flags: HMLM_OP_*: what the operation needs.
 *
 * HMLM_OP_BOUND and HMLM_OP_LOCK take @s->lock, which hmlm_leave()
 * releases whatever this returns.
 *
 * Context: Process context.
 * Return: 0, or -EINVAL (unbound), -EACCES (a data session, and the
 *	operation is not one of its own), -ENODEV (dead), -EBUSY (a Suspend
 *	is still in flight).
 */
int hmlm_enter(struct hmlm_session *s, unsigned int flags)
{
	int ret;

	if (!(flags & (HMLM_OP_BOUND | HMLM_OP_LOCK)))
		return 0;
	mutex_lock(&s->lock);
	if (!(flags & HMLM_OP_BOUND))
		return 0;
	if (s->data && !(flags & HMLM_OP_DATA))
		return -EACCES;
	ret = hmlm_session_usable(s);
	if (ret || !(flags & HMLM_OP_SETTLE))
		return ret;
	return hmlm_settle_pending(s, false);
}

/**
 * hmlm_leave() - the common epilogue of an operation
 * @s: The session.
 * @flags: As given to hmlm_enter().
 *
 * Context: Process context.
 */
void hmlm_leave(struct hmlm_session *s, unsigned int flags)
{
	if (flags & (HMLM_OP_BOUND | HMLM_OP_LOCK))
		mutex_unlock(&s->lock);
}

/**
 * hmlm_session_link() - enter a session being bound on hmlm_sessions
 * @s: The session, locked and without a controller.
 * @ctrl: The MMC, with the references the session takes over.
 *
 * From here the controller's events reach the session, so a reset during
 * the bind's Identify commands is not missed.
 *
 * Context: Process context; expects @s->lock held.
 */
static void hmlm_session_link(struct hmlm_session *s, struct nvme_ctrl *ctrl)
{
	unsigned long flags;

	spin_lock_irqsave(&hmlm_sessions_lock, flags);
	s->ctrl = ctrl;
	s->dead = false;
	s->disabled = false;
	list_add_tail(&s->node, &hmlm_sessions);
	spin_unlock_irqrestore(&hmlm_sessions_lock, flags);
}

/**
 * hmlm_session_commit() - make the binding exclusive
 * @s: The session, locked, linked; @s->data says its role.
 * @cntlid: The migratable controller.
 *
 * A migratable controller has at most one session of each role: its own
 * and a data session.
 *
 * Context: Process context; expects @s->lock held.
 * Return: 0; -EBUSY if another session has bound the same migratable
 *	controller of the same NVM subsystem in the same role; -ENODEV if
 *	the MMC was disabled or reconfigured since the bind began.
 */
static int hmlm_session_commit(struct hmlm_session *s, u16 cntlid)
{
	struct hmlm_session *o;
	unsigned long flags;
	int ret = 0;

	spin_lock_irqsave(&hmlm_sessions_lock, flags);
	if (s->dead) {
		ret = -ENODEV;
		goto out_unlock;
	}
	/* A CNTLID is unique in its NVM subsystem, whichever MMC is used. */
	list_for_each_entry(o, &hmlm_sessions, node) {
		if (o->bound && !o->dead && o->cntlid == cntlid &&
		    o->data == s->data &&
		    hmlm_session_key(o) == hmlm_session_key(s)) {
			ret = -EBUSY;
			goto out_unlock;
		}
	}
	s->cntlid = cntlid;
	s->bound = true;
out_unlock:
	spin_unlock_irqrestore(&hmlm_sessions_lock, flags);
	return ret;
}

/**
 * hmlm_session_bind() - bind a session to a migratable controller
 * @s: The session, locked and unbound.
 * @ctrl: The MMC; the caller holds a reference for the call, the session
 *	takes its own.
 * @cntlid: The migratable controller.
 * @data: Bind a data session (NVME_HMLM_BIND_DATA).
 * @mmc_cntlid: If not NULL, receives the MMC's own CNTLID.
 * @vfn: If not NULL, receives the VF number of @cntlid.
 *
 * Context: Process context; expects @s->lock held; sleeps.
 * Return: 0, a positive NVMe status if an Identify failed, -EOPNOTSUPP
 *	(fabrics controller, or no OACS.HMLMS), -ENOENT, -EBUSY, -ENODEV,
 *	-EINTR, -ENOMEM.
 */
int hmlm_session_bind(struct hmlm_session *s, struct nvme_ctrl *ctrl,
		      u16 cntlid, bool data, u16 *mmc_cntlid, u16 *vfn)
{
	const struct nvme_lm_sec_ctrl *sc;
	struct hmlm_sec_list *list;
	u16 own;
	u8 *id;
	int ret;

	lockdep_assert_held(&s->lock);
	if (s->ctrl)
		return -EINVAL;
	/*
	 * Only nvme-pci tells a migration host of disables; a fabrics
	 * controller's queue memory would not be DMA memory of a device.
	 */
	if (ctrl->ops->flags & NVME_F_FABRICS)
		return -EOPNOTSUPP;
	ret = hmlm_ctrl_ref(ctrl);
	if (ret)
		return ret;
	s->data = data;
	hmlm_session_link(s, ctrl);

	id = kzalloc(NVME_LM_IDENTIFY_LEN, GFP_KERNEL);
	if (!id) {
		ret = -ENOMEM;
		goto out_unlink;
	}
	ret = hmlm_identify(ctrl, NVME_LM_CNS_CTRL, 0, 0, id);
	if (ret)
		goto out_free_id;
	if (!(get_unaligned_le16(id + NVME_LM_ID_CTRL_OACS_OFS) &
	      NVME_LM_OACS_HMLMS)) {
		ret = -EOPNOTSUPP;
		goto out_free_id;
	}
	own = get_unaligned_le16(id + NVME_LM_ID_CTRL_CNTLID_OFS);
	if (mmc_cntlid)
		*mmc_cntlid = own;
	if (cntlid == own) {
		ret = -ENOENT;
		goto out_free_id;
	}

	ret = hmlm_read_sec_list(ctrl, &list);
	if (ret)
		goto out_free_id;
	sc = hmlm_sec_list_find(list, cntlid);
	if (sc)
		s->vfn = le16_to_cpu(sc->vfn);
	kfree(list);
	if (!sc) {
		ret = -ENOENT;
		goto out_free_id;
	}
	if (vfn)
		*vfn = s->vfn;

	/* SET_STATE checks its indexes against these without an Identify */
	s->state_fmts_known = false;
	if (!hmlm_identify(ctrl, NVME_LM_CNS_STATE_FMTS, 0, 0, id))
		hmlm_state_fmts_note(s, id);

	ret = hmlm_session_commit(s, cntlid);
	if (ret)
		goto out_free_id;
	kfree(id);
	return 0;

out_free_id:
	kfree(id);
out_unlink:
	hmlm_ctrl_unref(hmlm_session_unlink(s));
	return ret;
}

/**
 * hmlm_session_end() - end a session: its owner is gone
 * @s: The session; the caller's reference is dropped.
 *
 * Leaves the controller as "Session states" in Documentation/uapi.rst
 * says: a Suspend in flight is waited for, a controller the session
 * suspended is resumed unless it was handed over, then memory tracking
 * is stopped.
 * A dead session sends nothing that addresses its CNTLID (after an SR-IOV
 * change the CNTLID may be another VF's). A log fd keeps the binding
 * until it is closed too.
 *
 * Context: Process context; takes and releases @s->lock; sleeps.
 */
void hmlm_session_end(struct hmlm_session *s)
{
	mutex_lock(&s->lock);
	if (s->ctrl) {
		hmlm_settle_pending(s, true);
		if (!hmlm_session_usable(s)) {
			/*
			 * Resume first: a suspended controller refuses Track
			 * Send (39h). A handed-over one stays suspended, and
			 * tracking with it, until it is reset.
			 */
			if (s->suspended && !s->keep)
				hmlm_send_resume(s);
			if (s->tracking)
				hmlm_track_stop(s);
		}
	}
	mutex_unlock(&s->lock);
	hmlm_session_put(s);
}

/**
 * hmlm_ctrl_kill() - end the sessions of an MMC with -ENODEV
 * @ctrl: The MMC.
 * @disabled: It is being disabled, not only reconfigured (SR-IOV): no
 *	command of its sessions may be sent any more.
 * @freeq: NULL, or once the MMC is disabled: where the queue memory of
 *	its sessions moves to, to be freed.
 * @orphans: With @freeq: where the MMC's orphans move to.
 *
 * Context: Any context; takes and releases hmlm_sessions_lock.
 */
static void hmlm_ctrl_kill(struct nvme_ctrl *ctrl, bool disabled,
			   struct list_head *freeq, struct list_head *orphans)
{
	struct hmlm_orphan *o, *tmp;
	struct hmlm_session *s;
	unsigned long flags;

	spin_lock_irqsave(&hmlm_sessions_lock, flags);
	list_for_each_entry(s, &hmlm_sessions, node) {
		if (s->ctrl != ctrl)
			continue;
		WRITE_ONCE(s->dead, true);
		if (disabled)
			WRITE_ONCE(s->disabled, true);
		if (s->log && freeq)
			hmlm_log_detach_mem(s->log, freeq);
		if (s->log)
			hmlm_log_wake(s->log);
	}
	if (freeq)
		list_for_each_entry_safe(o, tmp, &hmlm_orphans, node)
			if (o->ctrl == ctrl)
				list_move_tail(&o->node, orphans);
	spin_unlock_irqrestore(&hmlm_sessions_lock, flags);
}

/**
 * hmlm_ctrl_disabled() - free every DMA buffer given to a disabled MMC
 * @ctrl: The MMC; its queues are gone on the device.
 *
 * Context: Process context; sleeps.
 */
static void hmlm_ctrl_disabled(struct nvme_ctrl *ctrl)
{
	struct hmlm_orphan *o, *tmp;
	LIST_HEAD(orphans);
	LIST_HEAD(freeq);

	hmlm_ctrl_kill(ctrl, true, &freeq, &orphans);
	hmlm_cdq_mem_free_list(&freeq);
	list_for_each_entry_safe(o, tmp, &orphans, node) {
		hmlm_cdq_mem_free_list(&o->mem);
		list_del(&o->node);
		hmlm_ctrl_unref(o->ctrl);
		kfree(o);
	}
}

/**
 * hmlm_ctrl_event() - nvme-core's controller event callback
 * @ctrl: The controller.
 * @event: What happens to it.
 *
 * Context: Process context, may sleep; sends no command (see &enum
 *	nvme_mig_event).
 */
static void hmlm_ctrl_event(struct nvme_ctrl *ctrl, enum nvme_mig_event event)
{
	switch (event) {
	case NVME_MIG_EV_DISABLE:
		/* the memory stays until the device is disabled */
		hmlm_ctrl_kill(ctrl, true, NULL, NULL);
		break;
	case NVME_MIG_EV_DISABLED:
		hmlm_ctrl_disabled(ctrl);
		break;
	case NVME_MIG_EV_SRIOV_CHANGE:
		hmlm_ctrl_kill(ctrl, false, NULL, NULL);
		break;
	}
}

/**
 * hmlm_async_event() - nvme-core's One-Shot asynchronous event callback
 * @ctrl: The controller the event completed on.
 * @dw0: Completion dword 0: AET 100b, AEI in bits 15:8.
 * @dw1: Completion dword 1: the CDQID in bits 15:0.
 *
 * Context: Atomic context (the completion interrupt).
 */
static void hmlm_async_event(struct nvme_ctrl *ctrl, u32 dw0, u32 dw1)
{
	u16 cdqid = NVME_LM_AER_DW1_CDQID(dw1);
	struct hmlm_session *s;
	unsigned long flags;

	if (NVME_LM_AER_DW0_AET(dw0) != NVME_LM_AER_AET_ONESHOT)
		return;
	spin_lock_irqsave(&hmlm_sessions_lock, flags);
	list_for_each_entry(s, &hmlm_sessions, node)
		if (s->ctrl == ctrl && s->log &&
		    hmlm_log_cdqid(s->log) == cdqid)
			hmlm_log_event(s->log, NVME_LM_AER_DW0_AEI(dw0));
	spin_unlock_irqrestore(&hmlm_sessions_lock, flags);
}

/*
 * nvme_unregister_mig_host(), held from hmlm_session_init() to
 * hmlm_session_exit() (symbol_get(): see hmlm_session_init()).
 */
static void (*hmlm_unregister)(const struct nvme_mig_host_ops *ops);

static const struct nvme_mig_host_ops hmlm_mig_ops = {
	.owner		= THIS_MODULE,
	.ctrl_event	= hmlm_ctrl_event,
	.async_event	= hmlm_async_event,
};

/**
 * hmlm_session_init() - register as nvme-core's migration host
 *
 * nvme_register_mig_host() and nvme_unregister_mig_host() exist only in
 * nvme-core built with the project's series (driver/nvme-core/); they are
 * looked up with symbol_get() so that against a stock nvme-core the module
 * refuses to load with a message that says why, instead of the loader's
 * "Unknown symbol". Without the hooks the module would free DMA memory a
 * device may still write, so there is no reduced mode.
 *
 * Context: Process context (module load).
 * Return: 0; -ENOPKG without the patched nvme-core; -EBUSY if another
 *	migration host is registered.
 */
int hmlm_session_init(void)
{
	int (*reg)(const struct nvme_mig_host_ops *ops);
	int ret;

	reg = symbol_get(nvme_register_mig_host);
	hmlm_unregister = symbol_get(nvme_unregister_mig_host);
	if (!reg || !hmlm_unregister) {
		pr_err("nvme-hmlm: nvme-core lacks nvme_register_mig_host(): load the nvme-core.ko built with the nvme-hmlm series (driver/nvme-core, Documentation/driver.rst)\n");
		ret = -ENOPKG;
		goto out_put;
	}
	ret = reg(&hmlm_mig_ops);
	if (ret)
		pr_err("nvme-hmlm: cannot register as nvme-core's migration host: %d\n",
		       ret);
out_put:
	if (reg)
		symbol_put(nvme_register_mig_host);
	if (ret && hmlm_unregister) {
		symbol_put(nvme_unregister_mig_host);
		hmlm_unregister = NULL;
	}
	return ret;
}

/**
 * hmlm_session_exit() - unregister from nvme-core, settle the orphans
 *
 * Runs when no session is open (each holds a module reference). Orphaned
 * queue memory whose MMC was never disabled may still be written by the
 * device: it is leaked, and the count logged.
 *
 * Context: Process context (module unload).
 */
void hmlm_session_exit(void)
{
	struct hmlm_orphan *o, *tmp;
	unsigned int n = 0;

	hmlm_unregister(&hmlm_mig_ops);
	symbol_put(nvme_unregister_mig_host);
	list_for_each_entry_safe(o, tmp, &hmlm_orphans, node) {
		list_del(&o->node);
		hmlm_ctrl_unref(o->ctrl);
		kfree(o);
		n++;
	}
	if (n)
		pr_warn("nvme-hmlm: %u migration queues never deleted by their device: memory leaked\n",
			n);
}

/**
 * nvme_hmlm_open() - open a session on a migratable controller
 * @mmc: The MMC (PF controller); the caller holds a reference.
 * @cntlid: The migratable controller.
 * @vfn: If not NULL, receives its VF number.
 * @sp: On success, the session.
 *
 * Context: Process context; sleeps.
 * Return: 0, a positive NVMe status, or a negative errno (see
 *	hmlm_session_bind()).
 */
int nvme_hmlm_open(struct nvme_ctrl *mmc, u16 cntlid, u16 *vfn,
		   struct hmlm_session **sp)
{
	struct hmlm_session *s;
	int ret;

	s = hmlm_session_alloc();
	if (!s)
		return -ENOMEM;
	/*
	 * The caller takes this lock under its own (the VFIO driver under
	 * its migration file's, which its reset path takes under vfio-pci's
	 * memory_lock) and moves only kernel memory under it; a file's
	 * session copies to and from user memory (mmap_lock) under it. As
	 * one lockdep class the two made a cycle of different sessions.
	 */
	lockdep_set_class(&s->lock, &hmlm_kapi_session_key);
	mutex_lock(&s->lock);
	ret = hmlm_session_bind(s, mmc, cntlid, false, NULL, vfn);
	mutex_unlock(&s->lock);
	if (ret) {
		hmlm_session_put(s);
		return ret;
	}
	*sp = s;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(nvme_hmlm_open, NVME_HMLM);

/**
 * nvme_hmlm_vf_cntlid() - the CNTLID of a VF's secondary controller
 * @mmc: The MMC (PF controller); the caller holds a reference.
 * @vfn: The VF's number in the secondary controller list (its SR-IOV VF
 *	index + 1).
 * @cntlid: On success, the SCID of the entry with that VFN.
 *
 * Reads the MMC's secondary controller list (Identify CNS 15h), so a VFIO
 * driver finds its VF's controller without opening sessions on others.
 *
 * Context: Process context; sleeps.
 * Return: 0, -ENOENT if no entry has @vfn, a positive NVMe status if an
 *	Identify failed, or a negative errno.
 */
int nvme_hmlm_vf_cntlid(struct nvme_ctrl *mmc, u16 vfn, u16 *cntlid)
{
	struct hmlm_sec_list *list;
	int ret;
	u32 i;

	if (!vfn)
		return -EINVAL;
	ret = hmlm_read_sec_list(mmc, &list);
	if (ret)
		return ret;
	ret = -ENOENT;
	for (i = 0; i < list->nr; i++) {
		if (le16_to_cpu(list->ent[i].vfn) == vfn) {
			*cntlid = le16_to_cpu(list->ent[i].scid);
			ret = 0;
			break;
		}
	}
	kfree(list);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(nvme_hmlm_vf_cntlid, NVME_HMLM);

/**
 * nvme_hmlm_close() - end a session of nvme_hmlm_open()
 * @s: The session.
 *
 * Closes the log first (as if its fd were closed), then ends the session
 * as closing /dev/nvme-hmlm does.
 *
 * Context: Process context; sleeps.
 */
void nvme_hmlm_close(struct hmlm_session *s)
{
	nvme_hmlm_log_close(s);
	hmlm_session_end(s);
}
EXPORT_SYMBOL_NS_GPL(nvme_hmlm_close, NVME_HMLM);

/**
 * nvme_hmlm_dead() - has the session ended under its owner
 * @s: The session.
 *
 * Context: Any context.
 * Return: true once the MMC was disabled or its SR-IOV reconfigured.
 */
bool nvme_hmlm_dead(struct hmlm_session *s)
{
	return READ_ONCE(s->dead);
}
EXPORT_SYMBOL_NS_GPL(nvme_hmlm_dead, NVME_HMLM);
