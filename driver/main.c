// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-hmlm: NVMe Host Managed Live Migration (TP4159), host side.
 *
 * /dev/nvme-hmlm: its file operations and the ioctl dispatch table. The
 * ioctl ABI is include/uapi/linux/nvme_hmlm.h; the session core behind it
 * is session.c, and each ioctl is a thin wrapper over the function the
 * in-kernel API (hmlm_kapi.h) exports for it.
 *
 * Lifetime. Each open file is a session. The misc device's file
 * operations are owned by this module, so the VFS holds a module reference
 * for every open session and log fd; the module cannot be unloaded while
 * one exists, nor while a Suspend is in flight (hmlm_submit_async()).
 */
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <uapi/linux/nvme_hmlm.h>

#include "hmlm.h"

/* Runs the asynchronous commands and the log head updates. */
struct workqueue_struct *hmlm_wq;

/*
 * Flags of the dispatch table besides HMLM_OP_* (hmlm.h): when the
 * argument is copied back to the caller.
 */
#define HMLM_OP_RESPOND_EMSGSIZE	BIT(8)	/* also on -EMSGSIZE */
#define HMLM_OP_NO_RESPOND		BIT(9)	/* the handler does it */

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
 * hmlm_ucmd_respond() - copy the argument back to the user
 * @ucmd: The call.
 * @cmd_len: The kernel's size of the argument.
 *
 * Copies as much as both the user and the kernel know of.
 *
 * Context: Process context; may fault.
 * Return: 0 on success, -EFAULT if the user buffer is not writable.
 */
static int hmlm_ucmd_respond(struct hmlm_ucmd *ucmd, size_t cmd_len)
{
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min_t(size_t, ucmd->user_size, cmd_len)))
		return -EFAULT;
	return 0;
}

/**
 * hmlm_ctrl_from_fd() - take the NVMe controller behind an fd
 * @fd: A file descriptor of the caller, expected to be /dev/nvmeN.
 * @ctrlp: On success, the controller with hmlm_ctrl_ref() references;
 *	release with hmlm_ctrl_unref().
 *
 * Context: Process context.
 * Return: 0 on success; -EBADF if @fd is not open; -EINVAL if it is not an
 *	NVMe controller character device; -ENODEV if the controller's driver
 *	is being unloaded.
 */
static int hmlm_ctrl_from_fd(int fd, struct nvme_ctrl **ctrlp)
{
	struct nvme_ctrl *ctrl;
	struct fd f;
	int ret;

	f = fdget(fd);
	if (fd_empty(f))
		return -EBADF;
	ctrl = nvme_ctrl_from_file(fd_file(f));
	/* Valid while the file is open; make it ours before fdput(). */
	ret = ctrl ? hmlm_ctrl_ref(ctrl) : -EINVAL;
	if (!ret)
		*ctrlp = ctrl;
	fdput(f);
	return ret;
}

/**
 * hmlm_ioctl_get_caps() - ioctl(NVME_HMLM_GET_CAPS)
 * @s: The session (need not be bound).
 * @ucmd: The call.
 *
 * Context: Process context; sleeps.
 * Return: as hmlm_get_caps().
 */
static int hmlm_ioctl_get_caps(struct hmlm_session *s, struct hmlm_ucmd *ucmd)
{
	struct nvme_hmlm_get_caps *cmd = ucmd->cmd;
	struct nvme_ctrl *ctrl;
	int ret;

	ret = hmlm_ctrl_from_fd(cmd->nvme_fd, &ctrl);
	if (ret)
		return ret;
	ret = hmlm_get_caps(ctrl, cmd);
	hmlm_ctrl_unref(ctrl);
	return ret;
}

/**
 * hmlm_ioctl_bind() - ioctl(NVME_HMLM_BIND)
 * @s: The session, locked.
 * @ucmd: The call.
 *
 * Context: Process context; expects @s->lock held; sleeps.
 * Return: as hmlm_session_bind(); -EINVAL if already bound.
 */
static int hmlm_ioctl_bind(struct hmlm_session *s, struct hmlm_ucmd *ucmd)
{
	struct nvme_hmlm_bind *cmd = ucmd->cmd;
	struct nvme_ctrl *ctrl;
	int ret;

	if ((cmd->flags & ~NVME_HMLM_BIND_FLAGS) || cmd->__reserved)
		return -EINVAL;
	cmd->out_nvme_status = 0;
	cmd->out_mmc_cntlid = 0;
	cmd->out_vfn = 0;
	ret = hmlm_ctrl_from_fd(cmd->nvme_fd, &ctrl);
	if (ret)
		return ret;
	ret = hmlm_session_bind(s, ctrl, cmd->cntlid,
				cmd->flags & NVME_HMLM_BIND_DATA,
				&cmd->out_mmc_cntlid, &cmd->out_vfn);
	hmlm_ctrl_unref(ctrl);
	if (ret > 0)
		cmd->out_nvme_status = ret;
	return ret;
}

/**
 * hmlm_ioctl_suspend() - ioctl(NVME_HMLM_SUSPEND)
 * @s: The session, entered.
 * @ucmd: The call.
 *
 * Context: Process context; expects @s->lock held; sleeps.
 * Return: as hmlm_do_suspend().
 */
static int hmlm_ioctl_suspend(struct hmlm_session *s, struct hmlm_ucmd *ucmd)
{
	return hmlm_do_suspend(s, ucmd->cmd);
}

/**
 * hmlm_ioctl_resume() - ioctl(NVME_HMLM_RESUME)
 * @s: The session, entered.
 * @ucmd: The call.
 *
 * Context: Process context; expects @s->lock held; sleeps.
 * Return: as hmlm_do_resume().
 */
static int hmlm_ioctl_resume(struct hmlm_session *s, struct hmlm_ucmd *ucmd)
{
	return hmlm_do_resume(s, ucmd->cmd);
}

/**
 * hmlm_ioctl_get_state() - ioctl(NVME_HMLM_GET_STATE)
 * @s: The session, entered.
 * @ucmd: The call.
 *
 * Context: Process context; expects @s->lock held; sleeps, may fault.
 * Return: as hmlm_do_get_state().
 */
static int hmlm_ioctl_get_state(struct hmlm_session *s, struct hmlm_ucmd *ucmd)
{
	struct nvme_hmlm_get_state *cmd = ucmd->cmd;
	struct iov_iter to;
	int ret;

	if (cmd->flags & NVME_HMLM_STATE_SIZE)
		return hmlm_do_get_state(s, cmd, NULL);
	/* no state is near MAX_RW_COUNT bytes (NVME_HMLM_STATE_MAX_LEN) */
	cmd->buf_len = min_t(u64, cmd->buf_len, round_down(MAX_RW_COUNT, 4));
	ret = import_ubuf(ITER_DEST, u64_to_user_ptr(cmd->buf_uptr),
			  cmd->buf_len, &to);
	if (ret)
		return ret;
	return hmlm_do_get_state(s, cmd, &to);
}

/**
 * hmlm_ioctl_set_state() - ioctl(NVME_HMLM_SET_STATE)
 * @s: The session, entered.
 * @ucmd: The call.
 *
 * Context: Process context; expects @s->lock held; sleeps, may fault.
 * Return: as hmlm_do_set_state().
 */
static int hmlm_ioctl_set_state(struct hmlm_session *s, struct hmlm_ucmd *ucmd)
{
	struct nvme_hmlm_set_state *cmd = ucmd->cmd;
	struct iov_iter from;
	int ret;

	if (cmd->buf_len > NVME_HMLM_STATE_MAX_LEN)
		return -EINVAL;
	ret = import_ubuf(ITER_SOURCE, u64_to_user_ptr(cmd->buf_uptr),
			  cmd->buf_len, &from);
	if (ret)
		return ret;
	return hmlm_do_set_state(s, cmd, &from);
}

/**
 * hmlm_ioctl_log_start() - ioctl(NVME_HMLM_LOG_START)
 * @s: The session, entered.
 * @ucmd: The call.
 *
 * The argument is copied back before the log fd is installed, so a
 * caller that cannot receive the fd number does not get an fd.
 *
 * Context: Process context; expects @s->lock held; sleeps.
 * Return: as hmlm_log_start_fd().
 */
static int hmlm_ioctl_log_start(struct hmlm_session *s, struct hmlm_ucmd *ucmd)
{
	struct nvme_hmlm_log_start *cmd = ucmd->cmd;
	int ret;

	ret = hmlm_log_start_fd(s, cmd, ucmd->ubuffer,
				min_t(size_t, ucmd->user_size, sizeof(*cmd)));
	if (ret > 0 && hmlm_ucmd_respond(ucmd, sizeof(*cmd)))
		ret = -EFAULT;
	return ret;
}

/**
 * hmlm_ioctl_track_mem() - ioctl(NVME_HMLM_TRACK_MEM)
 * @s: The session, entered.
 * @ucmd: The call.
 *
 * Context: Process context; expects @s->lock held; sleeps, may fault.
 * Return: as hmlm_do_track_mem().
 */
static int hmlm_ioctl_track_mem(struct hmlm_session *s, struct hmlm_ucmd *ucmd)
{
	struct nvme_hmlm_track_mem *cmd = ucmd->cmd;
	void __user *uptr = u64_to_user_ptr(cmd->ranges_uptr);
	const size_t rsz = sizeof(struct nvme_hmlm_mem_range);
	struct iov_iter it;
	int ret;

	switch (cmd->op) {
	case NVME_HMLM_TRACK_START:
		if (cmd->num > NVME_HMLM_TRACK_MAX_RANGES)
			return -EINVAL;
		ret = import_ubuf(ITER_SOURCE, uptr, cmd->num * rsz, &it);
		break;
	case NVME_HMLM_TRACK_RECV:
		/* the device reports at most a transfer's worth anyway */
		cmd->num = min_t(u32, cmd->num, MAX_RW_COUNT / rsz);
		ret = import_ubuf(ITER_DEST, uptr, cmd->num * rsz, &it);
		break;
	default:
		return hmlm_do_track_mem(s, cmd, NULL);
	}
	if (ret)
		return ret;
	return hmlm_do_track_mem(s, cmd, &it);
}

/**
 * hmlm_ioctl_get_alloc_lbas() - ioctl(NVME_HMLM_GET_ALLOC_LBAS)
 * @s: The session, entered.
 * @ucmd: The call.
 *
 * Context: Process context; expects @s->lock held; sleeps, may fault.
 * Return: as hmlm_do_get_alloc_lbas().
 */
static int hmlm_ioctl_get_alloc_lbas(struct hmlm_session *s,
				     struct hmlm_ucmd *ucmd)
{
	struct nvme_hmlm_alloc_lbas *cmd = ucmd->cmd;
	struct iov_iter to;
	int ret;

	if (cmd->num > SZ_64K)
		return -EINVAL;
	ret = import_ubuf(ITER_DEST, u64_to_user_ptr(cmd->ranges_uptr),
			  cmd->num * sizeof(struct nvme_hmlm_lba_range), &to);
	if (ret)
		return ret;
	return hmlm_do_get_alloc_lbas(s, cmd, &to);
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
 * @flags: HMLM_OP_*: what the dispatcher does around the handler
 *	(hmlm_enter(): lock, bound and usable session, no Suspend in
 *	flight; when to copy the argument back).
 * @execute: The handler.
 */
struct hmlm_ioctl_op {
	unsigned int	size;
	unsigned int	min_size;
	unsigned int	ioctl_num;
	unsigned int	flags;
	int		(*execute)(struct hmlm_session *s, struct hmlm_ucmd *ucmd);
};

#define HMLM_IOCTL_OP(_ioctl, _fn, _struct, _last, _flags)		\
	{								\
		.size = sizeof(_struct) +				\
			BUILD_BUG_ON_ZERO(sizeof(union hmlm_ucmd_buffer) < \
					  sizeof(_struct)),		\
		.min_size = offsetofend(_struct, _last),		\
		.ioctl_num = _ioctl,					\
		.flags = _flags,					\
		.execute = _fn,						\
	}

#define HMLM_BOUND_SETTLED	(HMLM_OP_BOUND | HMLM_OP_SETTLE)

static const struct hmlm_ioctl_op hmlm_ioctl_ops[] = {
	HMLM_IOCTL_OP(NVME_HMLM_GET_CAPS, hmlm_ioctl_get_caps,
		      struct nvme_hmlm_get_caps, out_state_uuids,
		      HMLM_OP_RESPOND_EMSGSIZE),
	HMLM_IOCTL_OP(NVME_HMLM_BIND, hmlm_ioctl_bind, struct nvme_hmlm_bind,
		      out_vfn, HMLM_OP_LOCK),
	HMLM_IOCTL_OP(NVME_HMLM_SUSPEND, hmlm_ioctl_suspend,
		      struct nvme_hmlm_suspend, out_nvme_status,
		      HMLM_BOUND_SETTLED),
	HMLM_IOCTL_OP(NVME_HMLM_RESUME, hmlm_ioctl_resume,
		      struct nvme_hmlm_resume, __reserved, HMLM_BOUND_SETTLED),
	HMLM_IOCTL_OP(NVME_HMLM_GET_STATE, hmlm_ioctl_get_state,
		      struct nvme_hmlm_get_state, out_flags,
		      HMLM_BOUND_SETTLED | HMLM_OP_RESPOND_EMSGSIZE),
	HMLM_IOCTL_OP(NVME_HMLM_SET_STATE, hmlm_ioctl_set_state,
		      struct nvme_hmlm_set_state, out_attempts,
		      HMLM_BOUND_SETTLED),
	HMLM_IOCTL_OP(NVME_HMLM_LOG_START, hmlm_ioctl_log_start,
		      struct nvme_hmlm_log_start, __reserved3,
		      HMLM_BOUND_SETTLED | HMLM_OP_DATA | HMLM_OP_NO_RESPOND),
	HMLM_IOCTL_OP(NVME_HMLM_TRACK_MEM, hmlm_ioctl_track_mem,
		      struct nvme_hmlm_track_mem, __reserved3, HMLM_OP_BOUND),
	HMLM_IOCTL_OP(NVME_HMLM_GET_ALLOC_LBAS, hmlm_ioctl_get_alloc_lbas,
		      struct nvme_hmlm_alloc_lbas, out_flags,
		      HMLM_OP_BOUND | HMLM_OP_DATA),
};

/**
 * hmlm_fops_ioctl() - the one ioctl entry point
 * @filp: The session's file.
 * @cmd: The ioctl number.
 * @arg: User pointer to the argument.
 *
 * Looks the number up in hmlm_ioctl_ops[], checks the caller's privilege,
 * copies the size-prefixed argument in with copy_struct_from_user(), runs
 * the entry's prologue (hmlm_enter()), the handler and the epilogue, and
 * copies the argument back as the entry's flags say.
 *
 * Context: Process context.
 * Return: as the handler, or -ENOTTY, -EPERM, -EFAULT, -EINVAL, -E2BIG,
 *	-ENODEV, -EBUSY.
 */
static long hmlm_fops_ioctl(struct file *filp, unsigned int cmd,
			    unsigned long arg)
{
	struct hmlm_session *s = filp->private_data;
	const struct hmlm_ioctl_op *op = NULL;
	union hmlm_ucmd_buffer buf;
	struct hmlm_ucmd ucmd = { };
	unsigned int i;
	int ret, rsp;

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

	ret = hmlm_enter(s, op->flags);
	if (!ret)
		ret = op->execute(s, &ucmd);
	hmlm_leave(s, op->flags);

	if (!(op->flags & HMLM_OP_NO_RESPOND) &&
	    (ret >= 0 ||
	     (ret == -EMSGSIZE && (op->flags & HMLM_OP_RESPOND_EMSGSIZE)))) {
		rsp = hmlm_ucmd_respond(&ucmd, op->size);
		if (rsp)
			ret = rsp;
	}
	return ret;
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
	struct hmlm_session *s = hmlm_session_alloc();

	if (!s)
		return -ENOMEM;
	filp->private_data = s;
	return 0;
}

/**
 * hmlm_fops_release() - end a session
 * @inode: The misc device inode.
 * @filp: The session's file.
 *
 * Context: Process context; sleeps (see hmlm_session_end()).
 * Return: 0.
 */
static int hmlm_fops_release(struct inode *inode, struct file *filp)
{
	hmlm_session_end(filp->private_data);
	return 0;
}

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
 * Return: 0 on success; -ENOPKG against an nvme-core without the
 *	migration host hooks; another negative errno.
 */
static int __init hmlm_init(void)
{
	int ret;

	hmlm_wq = alloc_workqueue("nvme-hmlm", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!hmlm_wq)
		return -ENOMEM;
	ret = hmlm_session_init();
	if (ret)
		goto err_destroy_wq;
	ret = misc_register(&hmlm_misc);
	if (ret) {
		pr_err("nvme-hmlm: cannot register /dev/%s: %d\n",
		       hmlm_misc.name, ret);
		goto err_session_exit;
	}
	return 0;

err_session_exit:
	hmlm_session_exit();
err_destroy_wq:
	destroy_workqueue(hmlm_wq);
	return ret;
}

/**
 * hmlm_exit() - module exit
 *
 * Runs only when no session or log fd is open and no Suspend is in flight
 * (each holds a module reference). destroy_workqueue() waits for the last
 * asynchronous command's worker to return.
 *
 * Context: Process context (module unload).
 */
static void __exit hmlm_exit(void)
{
	misc_deregister(&hmlm_misc);
	hmlm_session_exit();
	destroy_workqueue(hmlm_wq);
}

module_init(hmlm_init);
module_exit(hmlm_exit);

MODULE_DESCRIPTION("NVMe Host Managed Live Migration (TP4159) host driver");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(NVME_TARGET_PASSTHRU);
MODULE_IMPORT_NS(NVME_MIGRATION);
