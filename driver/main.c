// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-hmlm: NVMe Host Managed Live Migration (TP4159), host side.
 *
 * /dev/nvme-hmlm, its file operations, the ioctl dispatch table and the
 * session lifetime. The ioctl ABI is include/uapi/linux/nvme_hmlm.h.
 *
 * Lifetime. Each open file is a &struct hmlm_session. The misc device's
 * file operations are owned by this module, so the VFS holds a module
 * reference for every open session and the module cannot be unloaded while
 * one exists. A bound session holds the MMC the way an open /dev/nvmeN does:
 * a device reference on the &struct nvme_ctrl (so it is never freed under
 * us) and a reference on the transport driver module that frees it. When
 * the controller resets or goes away, its state leaves NVME_CTRL_LIVE and
 * later commands fail with -ENODEV; the references are dropped when the
 * session's file is released.
 */
#include <linux/capability.h>
#include <linux/cleanup.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kprobes.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/unaligned.h>

#include <uapi/linux/nvme_hmlm.h>

#include "hmlm.h"

/*
 * The bound sessions. Protects the list and every session's @node; lock
 * order: a session's @lock, then this.
 */
static DEFINE_MUTEX(hmlm_bindings_lock);
static LIST_HEAD(hmlm_bindings);

/*
 * The bound sessions again, for the controller state probe, which runs in
 * atomic context. Protects the list, every session's @watch, @dead and
 * (with the session's @lock) @log. Innermost lock.
 */
static DEFINE_SPINLOCK(hmlm_watch_lock);
static LIST_HEAD(hmlm_watch_list);
static bool hmlm_kprobe_on;

/**
 * hmlm_ucmd_respond() - copy the argument back to the user
 * @ucmd: The call.
 * @cmd_len: The kernel's size of the argument.
 *
 * Copies as much as both the user and the kernel know of.
 *
 * Context: Process context; may fault.
 * Return: 0 on success, -EFAULT if the user buffer is not writable.
 */
int hmlm_ucmd_respond(struct hmlm_ucmd *ucmd, size_t cmd_len)
{
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min_t(size_t, ucmd->user_size, cmd_len)))
		return -EFAULT;
	return 0;
}

/**
 * hmlm_ctrl_get() - take the NVMe controller behind an fd
 * @fd: A file descriptor of the caller, expected to be /dev/nvmeN.
 * @ctrlp: On success, the controller with a device reference and a
 *	reference on its transport module; release with hmlm_ctrl_put().
 *
 * Context: Process context.
 * Return: 0 on success; -EBADF if @fd is not open; -EINVAL if it is not an
 *	NVMe controller character device; -ENODEV if the controller's driver
 *	is being unloaded.
 */
static int hmlm_ctrl_get(int fd, struct nvme_ctrl **ctrlp)
{
	struct nvme_ctrl *ctrl;
	struct fd f;
	int ret = 0;

	f = fdget(fd);
	if (fd_empty(f))
		return -EBADF;
	ctrl = nvme_ctrl_from_file(fd_file(f));
	if (!ctrl) {
		ret = -EINVAL;
		goto out_fdput;
	}

	/* Valid while the file is open; make it ours before fdput(). */
	nvme_get_ctrl(ctrl);
	if (!try_module_get(ctrl->ops->module)) {
		nvme_put_ctrl(ctrl);
		ret = -ENODEV;
		goto out_fdput;
	}
	*ctrlp = ctrl;
out_fdput:
	fdput(f);
	return ret;
}

/**
 * hmlm_ctrl_put() - release a controller taken with hmlm_ctrl_get()
 * @ctrl: The controller.
 *
 * Context: Process context.
 */
static void hmlm_ctrl_put(struct nvme_ctrl *ctrl)
{
	module_put(ctrl->ops->module);
	nvme_put_ctrl(ctrl);
}

/**
 * hmlm_bind_key() - what makes a migratable controller unique
 * @ctrl: Its MMC.
 *
 * A CNTLID is unique in its NVM subsystem, so the subsystem and the CNTLID
 * name a migratable controller whichever MMC of the subsystem is used.
 *
 * Context: Any context.
 * Return: an opaque pointer to compare.
 */
static const void *hmlm_bind_key(struct nvme_ctrl *ctrl)
{
	return ctrl->subsys ? (const void *)ctrl->subsys : (const void *)ctrl;
}

/**
 * hmlm_caps_state_fmts() - fill the controller state formats of GET_CAPS
 * @cmd: The ioctl argument.
 * @buf: The Identify CNS 20h data, NVME_LM_IDENTIFY_LEN bytes.
 *
 * Context: Any context.
 */
static void hmlm_caps_state_fmts(struct nvme_hmlm_get_caps *cmd, const u8 *buf)
{
	const struct nvme_lm_state_fmts *f = (const void *)buf;
	u32 i, ofs;

	cmd->out_caps |= NVME_HMLM_CAPS_STATE_FMTS;
	cmd->out_state_nv = f->nv;
	cmd->out_state_nuuid = f->nuuid;
	if (f->nv > NVME_HMLM_MAX_STATE_VERS ||
	    f->nuuid > NVME_HMLM_MAX_STATE_UUIDS)
		cmd->out_caps |= NVME_HMLM_CAPS_STATE_FMTS_TRUNC;

	for (i = 1; i <= min_t(u32, f->nv, NVME_HMLM_MAX_STATE_VERS); i++)
		cmd->out_state_vers[i - 1] =
			get_unaligned_le16(buf + NVME_LM_STATE_FMTS_VER_OFS(i));

	for (i = 1; i <= min_t(u32, f->nuuid, NVME_HMLM_MAX_STATE_UUIDS); i++) {
		ofs = NVME_LM_STATE_FMTS_UUID_OFS(f->nv, i);
		if (ofs + NVME_LM_UUID_LEN > NVME_LM_IDENTIFY_LEN) {
			cmd->out_caps |= NVME_HMLM_CAPS_STATE_FMTS_TRUNC;
			break;
		}
		memcpy(cmd->out_state_uuids[i - 1], buf + ofs, NVME_LM_UUID_LEN);
	}
}

/**
 * hmlm_caps_id_ctrl() - fill GET_CAPS from Identify Controller
 * @cmd: The ioctl argument.
 * @ctrl: The controller.
 * @id: The Identify Controller data, NVME_LM_IDENTIFY_LEN bytes.
 *
 * Context: Any context.
 */
static void hmlm_caps_id_ctrl(struct nvme_hmlm_get_caps *cmd,
			      struct nvme_ctrl *ctrl, const u8 *id)
{
	struct nvme_lm_id_ctrl_hmlm h;

	memcpy(&h, id + NVME_LM_ID_CTRL_HMLM_OFS, sizeof(h));
	cmd->out_oacs = get_unaligned_le16(id + NVME_LM_ID_CTRL_OACS_OFS);
	cmd->out_cntlid = get_unaligned_le16(id + NVME_LM_ID_CTRL_CNTLID_OFS);
	cmd->out_mdts = id[NVME_LM_ID_CTRL_MDTS_OFS];
	cmd->out_max_xfer = min_t(u64, (u64)ctrl->max_hw_sectors << SECTOR_SHIFT,
				  U32_MAX);
	if (cmd->out_oacs & NVME_LM_OACS_HMLMS)
		cmd->out_caps |= NVME_HMLM_CAPS_HMLMS;
	cmd->out_cmmrtd = le16_to_cpu(h.cmmrtd);
	cmd->out_nmmrtd = le16_to_cpu(h.nmmrtd);
	cmd->out_minmrtg = h.minmrtg;
	cmd->out_maxmrtg = h.maxmrtg;
	cmd->out_trattr = h.trattr;
	cmd->out_mcudmq = le16_to_cpu(h.mcudmq);
	cmd->out_mnsudmq = le16_to_cpu(h.mnsudmq);
	cmd->out_mcmr = le16_to_cpu(h.mcmr);
	cmd->out_nmcmr = le16_to_cpu(h.nmcmr);
	cmd->out_mcdqpc = le16_to_cpu(h.mcdqpc);
}

/**
 * hmlm_caps_sec_list() - write the secondary list of GET_CAPS to the user
 * @cmd: The ioctl argument; @cmd->sec_num is updated.
 * @list: The list.
 *
 * Context: Process context; may fault and allocate.
 * Return: 0 on success, -EMSGSIZE if the user's array is too small,
 *	-ENOMEM or -EFAULT.
 */
static int hmlm_caps_sec_list(struct nvme_hmlm_get_caps *cmd,
			      const struct hmlm_sec_list *list)
{
	struct nvme_hmlm_sec_ctrl *out;
	u32 cap = cmd->sec_num, i;
	int ret = 0;

	cmd->sec_num = list->nr;
	if (list->nr > cap)
		return -EMSGSIZE;
	if (!list->nr)
		return 0;

	out = kcalloc(list->nr, sizeof(*out), GFP_KERNEL);
	if (!out)
		return -ENOMEM;
	for (i = 0; i < list->nr; i++) {
		out[i].scid = le16_to_cpu(list->ent[i].scid);
		out[i].pcid = le16_to_cpu(list->ent[i].pcid);
		out[i].vfn = le16_to_cpu(list->ent[i].vfn);
		out[i].nvq = le16_to_cpu(list->ent[i].nvq);
		out[i].nvi = le16_to_cpu(list->ent[i].nvi);
		out[i].scs = list->ent[i].scs;
	}
	if (copy_to_user(u64_to_user_ptr(cmd->sec_uptr), out,
			 array_size(list->nr, sizeof(*out))))
		ret = -EFAULT;
	kfree(out);
	return ret;
}

/**
 * hmlm_get_caps() - ioctl(NVME_HMLM_GET_CAPS)
 * @s: The session (need not be bound).
 * @ucmd: The call; its argument is &struct nvme_hmlm_get_caps.
 *
 * Context: Process context; sleeps on the admin commands.
 * Return: 0 on success, a positive NVMe status if Identify Controller
 *	failed, a negative errno as the uAPI header describes otherwise.
 */
static int hmlm_get_caps(struct hmlm_session *s, struct hmlm_ucmd *ucmd)
{
	struct nvme_hmlm_get_caps *cmd = ucmd->cmd;
	struct hmlm_sec_list *list = NULL;
	struct nvme_ctrl *ctrl;
	u8 *buf;
	int ret, rsp;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;

	ret = hmlm_ctrl_get(cmd->nvme_fd, &ctrl);
	if (ret)
		return ret;
	buf = kmalloc(NVME_LM_IDENTIFY_LEN, GFP_KERNEL);
	if (!buf) {
		ret = -ENOMEM;
		goto out_put_ctrl;
	}

	ret = hmlm_identify(ctrl, NVME_LM_CNS_CTRL, 0, 0, buf);
	if (ret > 0) {
		cmd->out_nvme_status = ret;
		goto out_respond;
	}
	if (ret < 0)
		goto out_free_buf;
	hmlm_caps_id_ctrl(cmd, ctrl, buf);

	/* Optional structures: an NVMe status only means "not there". */
	ret = hmlm_identify(ctrl, NVME_LM_CNS_CS_CTRL, NVME_LM_CSI_NVM, 0, buf);
	if (ret < 0)
		goto out_free_buf;
	if (ret == 0) {
		cmd->out_caps |= NVME_HMLM_CAPS_NVM_ID;
		cmd->out_aocs = get_unaligned_le16(buf +
						   NVME_LM_ID_CTRL_NVM_AOCS_OFS);
		cmd->out_lbamqf = buf[NVME_LM_ID_CTRL_NVM_LBAMQF_OFS];
		if (cmd->out_aocs & NVME_LM_AOCS_RALBAS)
			cmd->out_caps |= NVME_HMLM_CAPS_RALBAS;
	}

	if (cmd->out_caps & NVME_HMLM_CAPS_HMLMS) {
		ret = hmlm_identify(ctrl, NVME_LM_CNS_STATE_FMTS, 0, 0, buf);
		if (ret < 0)
			goto out_free_buf;
		if (ret == 0)
			hmlm_caps_state_fmts(cmd, buf);
	}

	ret = hmlm_read_sec_list(ctrl, &list);
	if (ret < 0)
		goto out_free_buf;
	if (ret == 0) {
		cmd->out_caps |= NVME_HMLM_CAPS_SEC_LIST;
		ret = hmlm_caps_sec_list(cmd, list);
		kfree(list);
		/* EMSGSIZE still reports the count: respond below. */
		if (ret && ret != -EMSGSIZE)
			goto out_free_buf;
	} else {
		cmd->sec_num = 0;
		ret = 0;
	}

out_respond:
	rsp = hmlm_ucmd_respond(ucmd, sizeof(*cmd));
	if (rsp)
		ret = rsp;
out_free_buf:
	kfree(buf);
out_put_ctrl:
	hmlm_ctrl_put(ctrl);
	return ret;
}

/**
 * hmlm_bind_commit() - enter a session on the binding list
 * @s: The session, locked and unbound.
 * @ctrl: The MMC, with the references the session takes over.
 * @cntlid: The migratable controller.
 *
 * Context: Process context. Expects @s->lock held; takes and releases
 *	hmlm_bindings_lock.
 * Return: 0 on success, -EBUSY if another session has bound the same
 *	migratable controller.
 */
static int hmlm_bind_commit(struct hmlm_session *s, struct nvme_ctrl *ctrl,
			    u16 cntlid)
{
	struct hmlm_session *o;

	lockdep_assert_held(&s->lock);
	guard(mutex)(&hmlm_bindings_lock);
	list_for_each_entry(o, &hmlm_bindings, node)
		if (hmlm_bind_key(o->ctrl) == hmlm_bind_key(ctrl) &&
		    o->cntlid == cntlid)
			return -EBUSY;
	s->ctrl = ctrl;
	s->cntlid = cntlid;
	list_add_tail(&s->node, &hmlm_bindings);
	scoped_guard(spinlock_irqsave, &hmlm_watch_lock)
		list_add_tail(&s->watch, &hmlm_watch_list);
	return 0;
}

/**
 * hmlm_unbind() - take a session off the binding list
 * @s: The session, bound.
 *
 * Context: Process context. Expects @s->lock held, or the session to be
 *	unreachable (release); takes and releases hmlm_bindings_lock.
 * Return: the MMC, whose references the caller now owns.
 */
static struct nvme_ctrl *hmlm_unbind(struct hmlm_session *s)
{
	struct nvme_ctrl *ctrl = s->ctrl;

	scoped_guard(spinlock_irqsave, &hmlm_watch_lock)
		list_del_init(&s->watch);
	scoped_guard(mutex, &hmlm_bindings_lock)
		list_del_init(&s->node);
	s->ctrl = NULL;
	return ctrl;
}

/**
 * hmlm_bind() - ioctl(NVME_HMLM_BIND)
 * @s: The session.
 * @ucmd: The call; its argument is &struct nvme_hmlm_bind.
 *
 * Context: Process context; takes and releases @s->lock, sleeps on the
 *	admin commands.
 * Return: 0 on success, a positive NVMe status if an Identify failed, a
 *	negative errno as the uAPI header describes otherwise.
 */
static int hmlm_bind(struct hmlm_session *s, struct hmlm_ucmd *ucmd)
{
	struct nvme_hmlm_bind *cmd = ucmd->cmd;
	const struct nvme_lm_sec_ctrl *sc;
	struct hmlm_sec_list *list;
	struct nvme_ctrl *ctrl;
	u8 *id;
	int ret;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;

	mutex_lock(&s->lock);
	if (s->ctrl) {
		ret = -EINVAL;
		goto out_unlock;
	}
	ret = hmlm_ctrl_get(cmd->nvme_fd, &ctrl);
	if (ret)
		goto out_unlock;
	id = kmalloc(NVME_LM_IDENTIFY_LEN, GFP_KERNEL);
	if (!id) {
		ret = -ENOMEM;
		goto out_put_ctrl;
	}

	ret = hmlm_identify(ctrl, NVME_LM_CNS_CTRL, 0, 0, id);
	if (ret)
		goto out_status;
	if (!(get_unaligned_le16(id + NVME_LM_ID_CTRL_OACS_OFS) &
	      NVME_LM_OACS_HMLMS)) {
		ret = -EOPNOTSUPP;
		goto out_free_id;
	}
	cmd->out_mmc_cntlid = get_unaligned_le16(id + NVME_LM_ID_CTRL_CNTLID_OFS);
	if (cmd->cntlid == cmd->out_mmc_cntlid) {
		ret = -ENOENT;
		goto out_free_id;
	}

	ret = hmlm_read_sec_list(ctrl, &list);
	if (ret)
		goto out_status;
	sc = hmlm_sec_list_find(list, cmd->cntlid);
	if (sc)
		cmd->out_vfn = le16_to_cpu(sc->vfn);
	kfree(list);
	if (!sc) {
		ret = -ENOENT;
		goto out_free_id;
	}

	/* SET_STATE checks its indexes against these without an Identify */
	s->state_fmts_known = false;
	if (!hmlm_identify(ctrl, NVME_LM_CNS_STATE_FMTS, 0, 0, id))
		hmlm_state_fmts_note(s, id);

	ret = hmlm_bind_commit(s, ctrl, cmd->cntlid);
	if (ret)
		goto out_free_id;
	ret = hmlm_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret)
		goto out_unbind;
	kfree(id);
	mutex_unlock(&s->lock);
	return 0;

out_status:
	if (ret > 0) {
		cmd->out_nvme_status = ret;
		if (hmlm_ucmd_respond(ucmd, sizeof(*cmd)))
			ret = -EFAULT;
	}
	goto out_free_id;
out_unbind:
	hmlm_unbind(s);
out_free_id:
	kfree(id);
out_put_ctrl:
	hmlm_ctrl_put(ctrl);
out_unlock:
	mutex_unlock(&s->lock);
	return ret;
}

/* Big enough for every ioctl argument. */
union hmlm_ucmd_buffer {
	struct nvme_hmlm_get_caps	caps;
	struct nvme_hmlm_bind		bind;
	struct nvme_hmlm_suspend	suspend;
	struct nvme_hmlm_resume		resume;
	struct nvme_hmlm_get_state	get_state;
	struct nvme_hmlm_set_state	set_state;
	struct nvme_hmlm_log_start	log_start;
	struct nvme_hmlm_track_mem	track_mem;
	struct nvme_hmlm_alloc_lbas	alloc_lbas;
};

/**
 * struct hmlm_ioctl_op - one entry of the ioctl dispatch table
 * @size: The kernel's size of the argument.
 * @min_size: The size of the argument's first published version.
 * @ioctl_num: The full ioctl number.
 * @execute: The handler.
 */
struct hmlm_ioctl_op {
	unsigned int	size;
	unsigned int	min_size;
	unsigned int	ioctl_num;
	int		(*execute)(struct hmlm_session *s, struct hmlm_ucmd *ucmd);
};

#define HMLM_IOCTL_OP(_ioctl, _fn, _struct, _last)			\
	{								\
		.size = sizeof(_struct) +				\
			BUILD_BUG_ON_ZERO(sizeof(union hmlm_ucmd_buffer) < \
					  sizeof(_struct)),		\
		.min_size = offsetofend(_struct, _last),		\
		.ioctl_num = _ioctl,					\
		.execute = _fn,						\
	}

static const struct hmlm_ioctl_op hmlm_ioctl_ops[] = {
	HMLM_IOCTL_OP(NVME_HMLM_GET_CAPS, hmlm_get_caps,
		      struct nvme_hmlm_get_caps, out_state_uuids),
	HMLM_IOCTL_OP(NVME_HMLM_BIND, hmlm_bind, struct nvme_hmlm_bind, out_vfn),
	HMLM_IOCTL_OP(NVME_HMLM_SUSPEND, hmlm_suspend,
		      struct nvme_hmlm_suspend, out_nvme_status),
	HMLM_IOCTL_OP(NVME_HMLM_RESUME, hmlm_resume,
		      struct nvme_hmlm_resume, __reserved),
	HMLM_IOCTL_OP(NVME_HMLM_GET_STATE, hmlm_get_state,
		      struct nvme_hmlm_get_state, out_flags),
	HMLM_IOCTL_OP(NVME_HMLM_SET_STATE, hmlm_set_state,
		      struct nvme_hmlm_set_state, out_attempts),
	HMLM_IOCTL_OP(NVME_HMLM_LOG_START, hmlm_log_start,
		      struct nvme_hmlm_log_start, __reserved3),
	HMLM_IOCTL_OP(NVME_HMLM_TRACK_MEM, hmlm_track_mem,
		      struct nvme_hmlm_track_mem, __reserved3),
	HMLM_IOCTL_OP(NVME_HMLM_GET_ALLOC_LBAS, hmlm_get_alloc_lbas,
		      struct nvme_hmlm_alloc_lbas, out_flags),
};

/**
 * hmlm_fops_ioctl() - the one ioctl entry point
 * @filp: The session's file.
 * @cmd: The ioctl number.
 * @arg: User pointer to the argument.
 *
 * Looks the full number up in hmlm_ioctl_ops[] (a handful of entries, so
 * a scan), checks the caller's privilege,
 * copies the size-prefixed argument in with copy_struct_from_user() and
 * runs the handler.
 *
 * Context: Process context.
 * Return: as the handler, or -ENOTTY, -EPERM, -EFAULT, -EINVAL, -E2BIG.
 */
static long hmlm_fops_ioctl(struct file *filp, unsigned int cmd,
			    unsigned long arg)
{
	struct hmlm_session *s = filp->private_data;
	const struct hmlm_ioctl_op *op = NULL;
	union hmlm_ucmd_buffer buf;
	struct hmlm_ucmd ucmd = { };
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(hmlm_ioctl_ops); i++)
		if (hmlm_ioctl_ops[i].ioctl_num == cmd)
			op = &hmlm_ioctl_ops[i];
	if (!op)
		return -ENOTTY;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	ucmd.ubuffer = (void __user *)arg;
	ret = get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer);
	if (ret)
		return ret;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;
	ucmd.cmd = &buf;
	ret = copy_struct_from_user(ucmd.cmd, op->size, ucmd.ubuffer,
				    ucmd.user_size);
	if (ret)
		return ret;
	return op->execute(s, &ucmd);
}

/**
 * hmlm_fops_open() - open a session
 * @inode: The misc device inode.
 * @filp: The new file.
 *
 * Context: Process context.
 * Return: 0 on success, -ENOMEM.
 */
static int hmlm_fops_open(struct inode *inode, struct file *filp)
{
	struct hmlm_session *s;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	mutex_init(&s->lock);
	kref_init(&s->ref);
	INIT_LIST_HEAD(&s->node);
	INIT_LIST_HEAD(&s->watch);
	filp->private_data = s;
	return 0;
}

/**
 * hmlm_session_free() - the last reference of a session is gone
 * @kref: The session's @ref.
 *
 * Releases the binding, so the migratable controller can be bound again,
 * the controller references and a Suspend context still pending.
 *
 * Context: Process context; takes and releases hmlm_bindings_lock.
 */
static void hmlm_session_free(struct kref *kref)
{
	struct hmlm_session *s = container_of(kref, struct hmlm_session, ref);

	if (s->ctrl)
		hmlm_ctrl_put(hmlm_unbind(s));
	/* A Suspend that did not end within the release's wait. */
	if (s->pending)
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
 * hmlm_session_set_log() - attach or detach the session's log
 * @s: The session, locked.
 * @log: The log, or NULL.
 *
 * Context: Expects @s->lock held; takes and releases hmlm_watch_lock.
 */
void hmlm_session_set_log(struct hmlm_session *s, struct hmlm_log *log)
{
	unsigned long flags;

	lockdep_assert_held(&s->lock);
	spin_lock_irqsave(&hmlm_watch_lock, flags);
	s->log = log;
	spin_unlock_irqrestore(&hmlm_watch_lock, flags);
}

/**
 * hmlm_session_usable() - check that a session can send commands
 * @s: The session, locked.
 *
 * Context: Expects @s->lock held.
 * Return: 0 if bound to a live controller that was not reset since;
 *	-EINVAL if unbound; -ENODEV if the controller was reset, removed or
 *	is not live.
 */
int hmlm_session_usable(struct hmlm_session *s)
{
	lockdep_assert_held(&s->lock);
	if (!s->ctrl)
		return -EINVAL;
	if (READ_ONCE(s->dead))
		return -ENODEV;
	return hmlm_ctrl_check_live(s->ctrl);
}

/**
 * hmlm_settle_pending() - learn the outcome of an abandoned Suspend
 * @s: The session, locked.
 * @wait: Wait for it (uninterruptibly, bounded by the admin timeout).
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
		wait_for_completion_timeout(&p->done, HMLM_ADMIN_WAIT);
	/* @done stays done once completed (complete_all()), even if waited for. */
	if (!completion_done(&p->done))
		return -EBUSY;
	if (p->ret == 0) {
		s->suspended = true;
		s->keep = p->keep;
		if (p->dudmq && s->log)
			hmlm_log_queue_gone(s->log);
	}
	s->pending = NULL;
	hmlm_async_put(p);
	return 0;
}

/**
 * hmlm_fops_release() - end a session
 * @inode: The misc device inode.
 * @filp: The session's file.
 *
 * Leaves the controller as "Session states" in the uAPI header says: stops
 * memory tracking, resumes what the session suspended unless it was handed
 * over. A log fd keeps the binding until it is closed too.
 *
 * Context: Process context; takes and releases @s->lock.
 * Return: 0.
 */
static int hmlm_fops_release(struct inode *inode, struct file *filp)
{
	struct hmlm_session *s = filp->private_data;

	mutex_lock(&s->lock);
	if (s->ctrl) {
		hmlm_settle_pending(s, true);
		if (!hmlm_session_usable(s)) {
			if (s->tracking)
				hmlm_track_stop(s);
			if (s->suspended && !s->keep)
				hmlm_send_resume(s);
		}
	}
	mutex_unlock(&s->lock);
	hmlm_session_put(s);
	return 0;
}

/**
 * hmlm_state_pre() - probe on nvme_change_ctrl_state()
 * @p: The probe.
 * @regs: The registers at the call: the controller and the new state.
 *
 * nvme-core has no notifier for controller resets, and a reset comes back
 * to LIVE, so the sessions are told here: any change of a bound MMC to a
 * state other than LIVE (resetting, connecting, deleting, dead) makes its
 * sessions dead, and wakes their log readers.
 *
 * Context: Atomic context (kprobe); takes and releases hmlm_watch_lock.
 * Return: 0.
 */
static int hmlm_state_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct nvme_ctrl *ctrl;
	struct hmlm_session *s;
	unsigned long st, flags;

	ctrl = (struct nvme_ctrl *)regs_get_kernel_argument(regs, 0);
	st = regs_get_kernel_argument(regs, 1);
	if (st == NVME_CTRL_LIVE)
		return 0;
	spin_lock_irqsave(&hmlm_watch_lock, flags);
	list_for_each_entry(s, &hmlm_watch_list, watch) {
		if (s->ctrl != ctrl)
			continue;
		WRITE_ONCE(s->dead, true);
		if (s->log)
			hmlm_log_wake(s->log);
	}
	spin_unlock_irqrestore(&hmlm_watch_lock, flags);
	return 0;
}

static struct kprobe hmlm_state_kp = {
	.symbol_name	= "nvme_change_ctrl_state",
	.pre_handler	= hmlm_state_pre,
};

static const struct file_operations hmlm_fops = {
	.owner		= THIS_MODULE,
	.open		= hmlm_fops_open,
	.release	= hmlm_fops_release,
	.unlocked_ioctl	= hmlm_fops_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice hmlm_misc = {
	.minor		= MISC_DYNAMIC_MINOR,
	.name		= "nvme-hmlm",
	.fops		= &hmlm_fops,
	.mode		= 0600,
};

/**
 * hmlm_init() - module initialisation
 *
 * Context: Process context (module load).
 * Return: 0 on success, a negative errno if the misc device could not be
 *	registered.
 */
static int __init hmlm_init(void)
{
	int ret;

	ret = hmlm_cdq_init();
	if (ret)
		goto err_out;
	ret = misc_register(&hmlm_misc);
	if (ret)
		goto err_cdq;
	/* Without the probe, only non-live states are seen (documented). */
	hmlm_kprobe_on = !register_kprobe(&hmlm_state_kp);
	if (!hmlm_kprobe_on)
		pr_info("nvme-hmlm: no probe on nvme_change_ctrl_state; controller resets are seen only while they last\n");
	return 0;

err_cdq:
	hmlm_cdq_exit();
err_out:
	pr_err("nvme-hmlm: cannot register /dev/%s: %d\n", hmlm_misc.name, ret);
	return ret;
}

/**
 * hmlm_exit() - module exit
 *
 * Runs only when no session is open (each holds a module reference), so
 * nothing is bound.
 *
 * Context: Process context (module unload).
 */
static void __exit hmlm_exit(void)
{
	if (hmlm_kprobe_on)
		unregister_kprobe(&hmlm_state_kp);
	misc_deregister(&hmlm_misc);
	hmlm_cdq_exit();
}

module_init(hmlm_init);
module_exit(hmlm_exit);

MODULE_DESCRIPTION("NVMe Host Managed Live Migration (TP4159) host driver");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(NVME_TARGET_PASSTHRU);
