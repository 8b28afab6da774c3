// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-hmlm: suspend, resume, and the controller state (Migration Send and
 * Migration Receive, TP4159).
 *
 * Every handler runs with the session's @lock held, so the commands of one
 * session are sent one at a time; the Set Controller State sequence in
 * particular is never interleaved with another command of the session.
 */
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/unaligned.h>

#include <uapi/linux/nvme_hmlm.h>

#include "hmlm.h"

/**
 * hmlm_msend_cmd() - build a Migration Send
 * @c: The command to fill.
 * @sel: Select (NVME_LM_MSEND_SEL_*).
 * @mos: Management Operation Specific.
 * @cdw11: Command dword 11.
 *
 * Context: Any context.
 */
static void hmlm_msend_cmd(struct nvme_command *c, u8 sel, u16 mos, u32 cdw11)
{
	memset(c, 0, sizeof(*c));
	c->common.opcode = NVME_LM_OPC_MIGRATION_SEND;
	c->common.cdw10 = cpu_to_le32(NVME_LM_CDW10(sel, mos));
	c->common.cdw11 = cpu_to_le32(cdw11);
}

/**
 * hmlm_send_resume() - send Migration Send Resume for the session
 * @s: The session, locked and bound.
 *
 * On success the session no longer counts the controller as suspended.
 *
 * Context: Process context; expects @s->lock held; sleeps.
 * Return: as hmlm_submit_admin().
 */
int hmlm_send_resume(struct hmlm_session *s)
{
	struct nvme_command c;
	int ret;

	lockdep_assert_held(&s->lock);
	hmlm_msend_cmd(&c, NVME_LM_MSEND_SEL_RESUME, 0, s->cntlid);
	ret = hmlm_submit_admin(s->ctrl, &c, NULL, 0, NULL);
	/* Not Suspended: someone else resumed it; it is not ours any more. */
	if (ret == 0 ||
	    (ret > 0 && NVME_LM_STATUS_SC(ret) == NVME_LM_SC_CTRL_NOT_SUSPENDED &&
	     NVME_LM_STATUS_SCT(ret) == NVME_LM_SCT_CMD_SPECIFIC)) {
		s->suspended = false;
		s->keep = false;
	}
	return ret;
}

/**
 * hmlm_do_suspend() - Migration Send Suspend
 * @s: The session, entered (bound, settled).
 * @cmd: The argument.
 *
 * The command runs on hmlm_wq (hmlm_submit_async()); the wait for it is
 * interruptible and bounded by @cmd->timeout_ms. A wait cut short leaves
 * the command pending on the session, settled by the next operation or at
 * the session's end.
 *
 * Context: Process context; expects @s->lock held; sleeps.
 * Return: 0, a positive NVMe status, or a negative errno.
 */
int hmlm_do_suspend(struct hmlm_session *s, struct nvme_hmlm_suspend *cmd)
{
	bool notify = cmd->flags & NVME_HMLM_SUSPEND_NOTIFY;
	bool dudmq = cmd->flags & NVME_HMLM_SUSPEND_DUDMQ;
	unsigned long tmo = NVME_ADMIN_TIMEOUT;
	struct hmlm_async *ctx;
	struct nvme_command c;
	long left;
	int ret;

	if (cmd->flags & ~NVME_HMLM_SUSPEND_FLAGS)
		return -EINVAL;
	if (notify && (cmd->flags & ~NVME_HMLM_SUSPEND_NOTIFY))
		return -EINVAL;
	cmd->out_nvme_status = 0;
	if (cmd->timeout_ms && msecs_to_jiffies(cmd->timeout_ms) < tmo)
		tmo = msecs_to_jiffies(cmd->timeout_ms);

	hmlm_msend_cmd(&c, NVME_LM_MSEND_SEL_SUSPEND, 0,
		       NVME_LM_MSEND_SUSPEND_CDW11(s->cntlid,
						   notify ? NVME_LM_STYPE_NOTIFY :
						   NVME_LM_STYPE_SUSPEND, dudmq));
	if (dudmq) {
		ret = hmlm_session_dudmq_begin(s);
		if (ret)
			return ret;
	}
	ret = hmlm_submit_async(s->ctrl, &c, &ctx);
	if (ret) {
		if (dudmq)
			hmlm_session_dudmq_end(s);
		return ret;
	}
	ctx->dudmq = dudmq;
	ctx->keep = cmd->flags & NVME_HMLM_SUSPEND_KEEP;

	left = wait_for_completion_interruptible_timeout(&ctx->done, tmo);
	if (left <= 0) {
		/* Still in flight: hmlm_settle_pending() learns the end. */
		if (!notify)
			s->pending = ctx;
		else
			hmlm_async_put(ctx);
		return left ? -EINTR : -ETIMEDOUT;
	}
	ret = ctx->ret;
	hmlm_async_put(ctx);
	if (ret == 0 && !notify) {
		s->suspended = true;
		s->keep = cmd->flags & NVME_HMLM_SUSPEND_KEEP;
		if (dudmq && s->log)
			hmlm_log_queue_gone(s->log);
	}
	if (dudmq)
		hmlm_session_dudmq_end(s);
	if (ret > 0)
		cmd->out_nvme_status = ret;
	return ret;
}

/**
 * hmlm_do_resume() - Migration Send Resume
 * @s: The session, entered (bound, settled).
 * @cmd: The argument.
 *
 * Context: Process context; expects @s->lock held; sleeps.
 * Return: 0, a positive NVMe status, or a negative errno.
 */
int hmlm_do_resume(struct hmlm_session *s, struct nvme_hmlm_resume *cmd)
{
	int ret;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	cmd->out_nvme_status = 0;
	ret = hmlm_send_resume(s);
	if (ret > 0)
		cmd->out_nvme_status = ret;
	return ret;
}

/**
 * hmlm_chunk_len() - the transfer size of one state command
 * @s: The session, bound.
 * @want: The caller's chunk length; 0 for the maximum.
 * @lenp: The result, a multiple of 4.
 *
 * Context: Any context.
 * Return: 0, or -EINVAL if @want is not a multiple of 4 or too large.
 */
static int hmlm_chunk_len(struct hmlm_session *s, u32 want, u32 *lenp)
{
	u32 max = hmlm_max_xfer(s->ctrl);

	if (!want) {
		*lenp = max;
		return 0;
	}
	if (want % 4 || want > max)
		return -EINVAL;
	*lenp = want;
	return 0;
}

/**
 * hmlm_state_total() - size of a Controller State data structure
 * @hdr: Its 48-byte header.
 * @totalp: Bytes of the whole structure.
 *
 * Context: Any context.
 * Return: 0, or -EOVERFLOW if the sizes do not fit 64 bits.
 */
static int hmlm_state_total(const struct nvme_lm_ctrl_state_hdr *hdr,
			    u64 *totalp)
{
	u64 dw, bytes;

	if (le64_to_cpu(hdr->nvmecss[1]) || le64_to_cpu(hdr->vss[1]))
		return -EOVERFLOW;
	if (check_add_overflow(le64_to_cpu(hdr->nvmecss[0]),
			       le64_to_cpu(hdr->vss[0]), &dw) ||
	    check_mul_overflow(dw, (u64)4, &bytes) ||
	    check_add_overflow(bytes, (u64)sizeof(*hdr), totalp))
		return -EOVERFLOW;
	return 0;
}

/**
 * hmlm_mrecv() - one Migration Receive Get Controller State
 * @s: The session, locked and bound.
 * @cmd: The ioctl argument (indexes).
 * @ofs: Byte offset into the state.
 * @buf: Kernel buffer.
 * @len: Bytes, a multiple of 4.
 * @csup: Cleared when the completion's CSUP bit is 0.
 *
 * Context: Process context; sleeps.
 * Return: as hmlm_submit_admin().
 */
static int hmlm_mrecv(struct hmlm_session *s, struct nvme_hmlm_get_state *cmd,
		      u64 ofs, void *buf, u32 len, bool *csup)
{
	struct nvme_command c = { };
	u32 dw0 = 0;
	int ret;

	c.common.opcode = NVME_LM_OPC_MIGRATION_RECV;
	c.common.cdw10 = cpu_to_le32(NVME_LM_CDW10(NVME_LM_MRECV_SEL_GET_STATE,
						   cmd->csvi));
	c.common.cdw11 = cpu_to_le32(NVME_LM_MRECV_CDW11(s->cntlid,
							 cmd->csuuidi,
							 cmd->csuidxp));
	c.common.cdw12 = cpu_to_le32(lower_32_bits(ofs));
	c.common.cdw13 = cpu_to_le32(upper_32_bits(ofs));
	c.common.cdw15 = cpu_to_le32(NVME_LM_BYTES_TO_NUMD0(len));
	ret = hmlm_submit_admin(s->ctrl, &c, buf, len, &dw0);
	if (ret == 0 && !(dw0 & NVME_LM_MRECV_DW0_CSUP))
		*csup = false;
	return ret;
}

/**
 * hmlm_state_sized() - the size of the state being read, from its header
 * @cmd: The ioctl argument; @cmd->out_len is set.
 * @hdr: The header the transfer returned.
 * @sized: @cmd->out_len already holds the size an earlier header said.
 *
 * Context: Any context.
 * Return: 0; -EAGAIN if the size changed since the earlier header;
 *	-EMSGSIZE if the state does not fit the user buffer; -EOVERFLOW.
 */
static int hmlm_state_sized(struct nvme_hmlm_get_state *cmd,
			    const struct nvme_lm_ctrl_state_hdr *hdr, bool sized)
{
	u64 total;
	int ret = hmlm_state_total(hdr, &total);

	if (ret)
		return ret;
	if (sized && total != cmd->out_len)
		return -EAGAIN;
	cmd->out_len = total;
	return total > cmd->buf_len ? -EMSGSIZE : 0;
}

/**
 * hmlm_get_state_xfer() - read the whole state into the user buffer
 * @s: The session, locked and bound.
 * @cmd: The ioctl argument. With @sized, @cmd->out_len is the size a
 *	header read before said; otherwise it is set from the first chunk.
 * @chunk: Bytes per command.
 * @sized: @cmd->out_len is known.
 * @csup: Cleared when a command was not fully suspended.
 * @to: Where the state goes (at least @cmd->buf_len bytes).
 *
 * Without @sized the first command asks for as much as the user buffer
 * and @chunk allow (at least the header): the header at its start tells
 * where the state ends (what a controller returns past the end is
 * undefined, TP4159 Fig 344, and is not copied), so a state that fits one
 * chunk costs one command. With @sized the header comes in again with the
 * first chunks and is compared with the one read before.
 *
 * Context: Process context; sleeps, may fault.
 * Return: 0, a positive NVMe status, or a negative errno (-EINTR when
 *	the caller was killed, -EAGAIN when
 *	the header changed on the way, -EMSGSIZE when the state does not fit
 *	the user buffer; @cmd->out_len is set then).
 */
static int hmlm_get_state_xfer(struct hmlm_session *s,
			       struct nvme_hmlm_get_state *cmd, u32 chunk,
			       bool sized, bool *csup, struct iov_iter *to)
{
	struct nvme_lm_ctrl_state_hdr first;
	u64 ofs = 0;
	void *buf;
	u32 n;
	int ret = 0;

	n = sized ? min_t(u64, chunk, cmd->out_len) :
		    min_t(u64, chunk, round_down(cmd->buf_len, 4));
	/* no later command transfers more than the first */
	buf = kvmalloc(round_up(n, 4), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ret = hmlm_check_stop();
		if (ret)
			break;
		/* what this command does not transfer reads as zero */
		memset(buf, 0, round_up(n, 4));
		ret = hmlm_mrecv(s, cmd, ofs, buf, round_up(n, 4), csup);
		if (ret)
			break;
		if (ofs < sizeof(first)) {
			memcpy((u8 *)&first + ofs, buf,
			       min_t(u64, n, sizeof(first) - ofs));
			if (ofs + n >= sizeof(first)) {
				ret = hmlm_state_sized(cmd, &first, sized);
				if (ret)
					break;
				n = min_t(u64, n, cmd->out_len - ofs);
			}
		}
		if (copy_to_iter(buf, n, to) != n) {
			ret = -EFAULT;
			break;
		}
		ofs += n;
		if (ofs >= cmd->out_len)
			break;
		n = min_t(u64, chunk, cmd->out_len - ofs);
	}
	kvfree(buf);
	return ret;
}

/**
 * hmlm_do_get_state() - Migration Receive, Get Controller State
 * @s: The session, entered (bound, settled).
 * @cmd: The argument.
 * @to: Where the state goes, @cmd->buf_len bytes; unused with
 *	NVME_HMLM_STATE_SIZE.
 *
 * Context: Process context; expects @s->lock held; sleeps, may fault.
 * Return: 0, a positive NVMe status, or a negative errno.
 */
int hmlm_do_get_state(struct hmlm_session *s, struct nvme_hmlm_get_state *cmd,
		      struct iov_iter *to)
{
	struct nvme_lm_ctrl_state_hdr *hdr = NULL;
	bool csup = true;
	u32 chunk;
	int ret;

	if (cmd->flags & ~NVME_HMLM_STATE_SIZE || cmd->__reserved)
		return -EINVAL;
	cmd->out_len = 0;
	cmd->out_nvme_status = 0;
	cmd->out_flags = 0;
	if (!(cmd->flags & NVME_HMLM_STATE_SIZE) &&
	    (!to || iov_iter_count(to) < cmd->buf_len))
		return -EINVAL;
	ret = hmlm_chunk_len(s, cmd->chunk_len, &chunk);
	if (ret)
		return ret;
	if (!(cmd->flags & NVME_HMLM_STATE_SIZE) &&
	    min_t(u64, chunk, cmd->buf_len) >= sizeof(*hdr)) {
		/* the header comes with the first chunk */
		ret = hmlm_get_state_xfer(s, cmd, chunk, false, &csup, to);
		goto out_csup;
	}
	hdr = kzalloc(sizeof(*hdr), GFP_KERNEL);
	if (!hdr)
		return -ENOMEM;
	ret = hmlm_mrecv(s, cmd, 0, hdr, sizeof(*hdr), &csup);
	if (ret)
		goto out_status;
	ret = hmlm_state_total(hdr, &cmd->out_len);
	if (ret)
		goto out_free;
	if (!(cmd->flags & NVME_HMLM_STATE_SIZE)) {
		if (cmd->buf_len < cmd->out_len) {
			ret = -EMSGSIZE;
			goto out_free;
		}
		ret = hmlm_get_state_xfer(s, cmd, chunk, true, &csup, to);
	}
out_csup:
	if (ret == 0 && csup)
		cmd->out_flags |= NVME_HMLM_STATE_OUT_CSUP;
out_status:
	if (ret > 0)
		cmd->out_nvme_status = ret;
out_free:
	kfree(hdr);
	return ret;
}

/**
 * hmlm_state_fmts_note() - remember the MMC's state format counts
 * @s: The session, locked (or not yet reachable) and being bound.
 * @fmts: The Identify CNS 20h data.
 *
 * The list belongs to the MMC and changes only with its firmware, which
 * a reset activates: a reset ends the binding (ENODEV) before the counts
 * could be stale.
 *
 * Context: Any context.
 */
void hmlm_state_fmts_note(struct hmlm_session *s, const u8 *fmts)
{
	s->state_nv = fmts[0];
	s->state_nuuid = fmts[1];
	s->state_fmts_known = true;
}

/**
 * hmlm_set_state_check() - validate a state before it is sent
 * @s: The session, locked and bound.
 * @cmd: The ioctl argument.
 * @buf: The state, @cmd->buf_len bytes.
 *
 * Context: Process context; sleeps (Identify CNS 20h, unless the bind
 *	read it).
 * Return: 0 if the state may be sent, a positive NVMe status if the
 *	Identify failed, -EINVAL, -ENOMEM.
 */
static int hmlm_set_state_check(struct hmlm_session *s,
				struct nvme_hmlm_set_state *cmd, const u8 *buf)
{
	const struct nvme_lm_ctrl_state_hdr *hdr = (const void *)buf;
	const struct nvme_lm_nvmecs_hdr *cs;
	u64 total, nvmecss, want;
	u8 *fmts;
	int ret;

	if (le16_to_cpu(hdr->ver) || hmlm_state_total(hdr, &total) ||
	    total != cmd->buf_len)
		return -EINVAL;
	nvmecss = le64_to_cpu(hdr->nvmecss[0]);
	if (!cmd->csvi != !nvmecss || !cmd->csuuidi != !hdr->vss[0] ||
	    (!cmd->csvi && !cmd->csuuidi))
		return -EINVAL;
	if (nvmecss) {
		if (nvmecss < sizeof(*cs) / 4)
			return -EINVAL;
		cs = (const void *)(buf + sizeof(*hdr));
		want = 2 + 6 * ((u64)le16_to_cpu(cs->niosq) +
				le16_to_cpu(cs->niocq));
		if (le16_to_cpu(cs->ver) || want != nvmecss)
			return -EINVAL;
	}

	if (!s->state_fmts_known) {
		fmts = kmalloc(NVME_LM_IDENTIFY_LEN, GFP_KERNEL);
		if (!fmts)
			return -ENOMEM;
		ret = hmlm_identify(s->ctrl, NVME_LM_CNS_STATE_FMTS, 0, 0, fmts);
		if (ret == 0)
			hmlm_state_fmts_note(s, fmts);
		kfree(fmts);
		if (ret)
			return ret;
	}
	if (cmd->csvi > s->state_nv || cmd->csuuidi > s->state_nuuid)
		return -EINVAL;
	return 0;
}

/**
 * hmlm_set_state_seq() - send the state once, as one SEQIND sequence
 * @s: The session, locked and bound.
 * @cmd: The ioctl argument.
 * @buf: The state.
 * @chunk: Bytes per command.
 *
 * Context: Process context; sleeps.
 * Return: as hmlm_submit_admin(), for the first command that failed;
 *	-EINTR if the caller was killed.
 */
static int hmlm_set_state_seq(struct hmlm_session *s,
			      struct nvme_hmlm_set_state *cmd, u8 *buf,
			      u32 chunk)
{
	u64 ofs;
	u32 n;
	u16 seq;
	int ret;

	for (ofs = 0; ofs < cmd->buf_len; ofs += n) {
		struct nvme_command c;

		ret = hmlm_check_stop();
		if (ret)
			return ret;
		n = min_t(u64, chunk, cmd->buf_len - ofs);
		if (n == cmd->buf_len)
			seq = NVME_LM_SEQIND_ONLY;
		else if (ofs == 0)
			seq = NVME_LM_SEQIND_FIRST;
		else if (ofs + n == cmd->buf_len)
			seq = NVME_LM_SEQIND_LAST;
		else
			seq = NVME_LM_SEQIND_MIDDLE;
		hmlm_msend_cmd(&c, NVME_LM_MSEND_SEL_SET_STATE, seq,
			       NVME_LM_MSEND_STATE_CDW11(s->cntlid, cmd->csvi,
							 cmd->csuuidi));
		c.common.cdw12 = cpu_to_le32(lower_32_bits(ofs));
		c.common.cdw13 = cpu_to_le32(upper_32_bits(ofs));
		c.common.cdw15 = cpu_to_le32(n / 4);	/* NUMD, 1-based */
		ret = hmlm_submit_admin(s->ctrl, &c, buf + ofs, n, NULL);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * hmlm_do_set_state() - Migration Send, Set Controller State
 * @s: The session, entered (bound, settled).
 * @cmd: The argument.
 * @from: The state, @cmd->buf_len bytes.
 *
 * Context: Process context; expects @s->lock held; sleeps, may fault.
 * Return: 0, a positive NVMe status, or a negative errno.
 */
int hmlm_do_set_state(struct hmlm_session *s, struct nvme_hmlm_set_state *cmd,
		      struct iov_iter *from)
{
	u8 *buf = NULL;
	u32 chunk;
	int ret;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	if (cmd->buf_len < NVME_HMLM_STATE_HDR_LEN || cmd->buf_len % 4 ||
	    cmd->buf_len > NVME_HMLM_STATE_MAX_LEN ||
	    iov_iter_count(from) < cmd->buf_len)
		return -EINVAL;
	cmd->out_nvme_status = 0;
	cmd->out_attempts = 0;
	ret = hmlm_chunk_len(s, cmd->chunk_len, &chunk);
	if (ret)
		return ret;
	buf = kvmalloc(cmd->buf_len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	if (copy_from_iter(buf, cmd->buf_len, from) != cmd->buf_len) {
		ret = -EFAULT;
		goto out_free;
	}
	ret = hmlm_set_state_check(s, cmd, buf);
	if (ret < 0)
		goto out_free;
	if (ret == 0) {
		cmd->out_attempts = 1;
		ret = hmlm_set_state_seq(s, cmd, buf, chunk);
		/* Resend the entire state once, unless told not to retry. */
		if (ret > 0 && !(ret & NVME_LM_STATUS_DNR)) {
			cmd->out_attempts = 2;
			ret = hmlm_set_state_seq(s, cmd, buf, chunk);
		}
	}
	if (ret > 0)
		cmd->out_nvme_status = ret;
out_free:
	kvfree(buf);
	return ret;
}

#define HMLM_STATE_OP	(HMLM_OP_BOUND | HMLM_OP_SETTLE)

/**
 * nvme_hmlm_suspend() - Migration Send Suspend (in-kernel API)
 * @s: The session.
 * @arg: As for ioctl(NVME_HMLM_SUSPEND).
 *
 * Context: Process context; sleeps.
 * Return: 0, a positive NVMe status, or a negative errno.
 */
int nvme_hmlm_suspend(struct hmlm_session *s, struct nvme_hmlm_suspend *arg)
{
	int ret = hmlm_enter(s, HMLM_STATE_OP);

	if (!ret)
		ret = hmlm_do_suspend(s, arg);
	hmlm_leave(s, HMLM_STATE_OP);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(nvme_hmlm_suspend, NVME_HMLM);

/**
 * nvme_hmlm_resume() - Migration Send Resume (in-kernel API)
 * @s: The session.
 * @arg: As for ioctl(NVME_HMLM_RESUME).
 *
 * Context: Process context; sleeps.
 * Return: 0, a positive NVMe status, or a negative errno.
 */
int nvme_hmlm_resume(struct hmlm_session *s, struct nvme_hmlm_resume *arg)
{
	int ret = hmlm_enter(s, HMLM_STATE_OP);

	if (!ret)
		ret = hmlm_do_resume(s, arg);
	hmlm_leave(s, HMLM_STATE_OP);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(nvme_hmlm_resume, NVME_HMLM);

/**
 * nvme_hmlm_get_state() - Get Controller State into a buffer (in-kernel API)
 * @s: The session.
 * @arg: As for ioctl(NVME_HMLM_GET_STATE); buf_len is set from @to.
 * @to: Where the state goes; NULL with NVME_HMLM_STATE_SIZE.
 *
 * Context: Process context; sleeps.
 * Return: 0, a positive NVMe status, or a negative errno.
 */
int nvme_hmlm_get_state(struct hmlm_session *s,
			struct nvme_hmlm_get_state *arg, struct iov_iter *to)
{
	int ret = hmlm_enter(s, HMLM_STATE_OP);

	arg->buf_len = to ? iov_iter_count(to) : 0;
	if (!ret)
		ret = hmlm_do_get_state(s, arg, to);
	hmlm_leave(s, HMLM_STATE_OP);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(nvme_hmlm_get_state, NVME_HMLM);

/**
 * nvme_hmlm_set_state() - Set Controller State from a buffer (in-kernel API)
 * @s: The session.
 * @arg: As for ioctl(NVME_HMLM_SET_STATE); buf_len is set from @from.
 * @from: The state.
 *
 * Context: Process context; sleeps.
 * Return: 0, a positive NVMe status, or a negative errno.
 */
int nvme_hmlm_set_state(struct hmlm_session *s,
			struct nvme_hmlm_set_state *arg, struct iov_iter *from)
{
	int ret = hmlm_enter(s, HMLM_STATE_OP);

	arg->buf_len = iov_iter_count(from);
	if (!ret)
		ret = hmlm_do_set_state(s, arg, from);
	hmlm_leave(s, HMLM_STATE_OP);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(nvme_hmlm_set_state, NVME_HMLM);
