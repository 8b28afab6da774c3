// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-hmlm: host memory change tracking (Track Send SEL 1h, Track
 * Receive) and allocated LBA reporting (Get LBA Status ATYPE 02h, TP4165).
 */
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/unaligned.h>

#include <uapi/linux/nvme_hmlm.h>

#include "hmlm.h"

/* Get LBA Status: descriptors asked for per command (one 4 KiB page). */
#define HMLM_GLS_DESCS	((SZ_4K - sizeof(struct nvme_lm_lba_status_hdr)) / \
			 sizeof(struct nvme_lm_lba_status_desc))

/**
 * hmlm_track_send_mem() - Track Send, Track Memory Changes
 * @s: The session, locked and bound.
 * @tact: NVME_LM_TSEND_TACT_START or _STOP.
 * @buf: The Track Memory Changes structure for a start, else NULL.
 * @len: Its length.
 * @result: Completion dwords 0 and 1.
 *
 * Context: Process context; sleeps.
 * Return: as hmlm_submit_admin64().
 */
static int hmlm_track_send_mem(struct hmlm_session *s, u8 tact, void *buf,
			       u32 len, u64 *result)
{
	struct nvme_command c = { };

	c.common.opcode = NVME_LM_OPC_TRACK_SEND;
	c.common.cdw10 = cpu_to_le32(NVME_LM_CDW10(NVME_LM_TSEND_SEL_TRACK_MEMORY,
						   tact));
	c.common.cdw11 = cpu_to_le32(s->cntlid);
	return hmlm_submit_admin64(s->ctrl, &c, buf, len, result);
}

/**
 * hmlm_track_stop() - stop the memory tracking of the session
 * @s: The session, locked and bound.
 *
 * Context: Process context; expects @s->lock held; sleeps.
 * Return: as hmlm_submit_admin64().
 */
int hmlm_track_stop(struct hmlm_session *s)
{
	int ret;

	lockdep_assert_held(&s->lock);
	ret = hmlm_track_send_mem(s, NVME_LM_TSEND_TACT_STOP, NULL, 0, NULL);
	if (ret == 0)
		s->tracking = false;
	return ret;
}

/**
 * hmlm_track_start() - TRACK_MEM, NVME_HMLM_TRACK_START
 * @s: The session, locked and bound.
 * @cmd: The ioctl argument.
 *
 * Context: Process context; sleeps, may fault.
 * Return: 0, a positive NVMe status, or a negative errno.
 */
static int hmlm_track_start(struct hmlm_session *s,
			    struct nvme_hmlm_track_mem *cmd)
{
	struct nvme_hmlm_mem_range *r;
	struct nvme_lm_track_mem *tm;
	size_t len;
	u64 res = 0;
	u32 i;
	int ret;

	if (!cmd->num || cmd->num > NVME_HMLM_TRACK_MAX_RANGES)
		return -EINVAL;
	if (s->tracking)
		return -EBUSY;
	len = struct_size(tm, desc, cmd->num);
	if (len > hmlm_max_xfer(s->ctrl))
		return -EINVAL;
	r = memdup_array_user(u64_to_user_ptr(cmd->ranges_uptr), cmd->num,
			      sizeof(*r));
	if (IS_ERR(r))
		return PTR_ERR(r);
	tm = kzalloc(len, GFP_KERNEL);
	if (!tm) {
		ret = -ENOMEM;
		goto out_free_r;
	}
	tm->rmrtg = cmd->gran;
	tm->rnmrtd = cpu_to_le32(cmd->num);
	for (i = 0; i < cmd->num; i++) {
		if (r[i].__reserved || !r[i].len) {
			ret = -EINVAL;
			goto out_free_tm;
		}
		tm->desc[i].saddr = cpu_to_le64(r[i].addr);
		tm->desc[i].len = cpu_to_le32(r[i].len);
	}
	ret = hmlm_track_send_mem(s, NVME_LM_TSEND_TACT_START, tm, len, &res);
	if (ret == 0)
		s->tracking = true;
	if (ret > 0 && NVME_LM_STATUS_SCT(ret) == NVME_LM_SCT_CMD_SPECIFIC &&
	    NVME_LM_STATUS_SC(ret) == NVME_LM_SC_NOT_ENOUGH_RES) {
		cmd->out_gran = NVME_LM_TSEND_DW0_MRTG(lower_32_bits(res));
		cmd->out_max_ranges = upper_32_bits(res);
	}
out_free_tm:
	kfree(tm);
out_free_r:
	kfree(r);
	return ret;
}

/**
 * hmlm_track_recv() - TRACK_MEM, NVME_HMLM_TRACK_RECV
 * @s: The session, locked and bound.
 * @cmd: The ioctl argument.
 *
 * Context: Process context; sleeps, may fault.
 * Return: 0, a positive NVMe status, or a negative errno.
 */
static int hmlm_track_recv(struct hmlm_session *s,
			   struct nvme_hmlm_track_mem *cmd)
{
	struct nvme_hmlm_mem_range *out = NULL;
	const struct nvme_lm_tmcd *d;
	struct nvme_lm_tmc_hdr *h;
	struct nvme_command c = { };
	u32 cap, len, n, i;
	void *buf;
	int ret;

	if (!cmd->num || cmd->gran)
		return -EINVAL;
	cap = min_t(u32, cmd->num,
		    (hmlm_max_xfer(s->ctrl) - sizeof(*h)) / sizeof(*d));
	len = sizeof(*h) + cap * sizeof(*d);
	buf = kzalloc(len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	c.common.opcode = NVME_LM_OPC_TRACK_RECV;
	c.common.cdw10 = cpu_to_le32(NVME_LM_TRECV_SEL_TRACKED_MEMORY);
	c.common.cdw11 = cpu_to_le32(s->cntlid);
	c.common.cdw12 = cpu_to_le32(NVME_LM_BYTES_TO_NUMD0(len));
	ret = hmlm_submit_admin(s->ctrl, &c, buf, len, NULL);
	if (ret)
		goto out_free;
	h = buf;
	n = min_t(u32, le32_to_cpu(h->ntmcd), cap);
	cmd->out_gran = le16_to_cpu(h->rpmpg);
	if (h->attrb & NVME_LM_TMC_ATTRB_MTR ||
	    le32_to_cpu(h->ntmcd) > cap)
		cmd->out_attrs |= NVME_HMLM_TRACK_MTR;
	if (h->attrb & NVME_LM_TMC_ATTRB_SUSP)
		cmd->out_attrs |= NVME_HMLM_TRACK_SUSP;
	cmd->num = n;
	if (!n)
		goto out_free;
	out = kcalloc(n, sizeof(*out), GFP_KERNEL);
	if (!out) {
		ret = -ENOMEM;
		goto out_free;
	}
	d = buf + sizeof(*h);
	for (i = 0; i < n; i++) {
		out[i].addr = le64_to_cpu(d[i].saddr);
		out[i].len = le32_to_cpu(d[i].len);
	}
	if (copy_to_user(u64_to_user_ptr(cmd->ranges_uptr), out,
			 array_size(n, sizeof(*out))))
		ret = -EFAULT;
out_free:
	kfree(out);
	kfree(buf);
	return ret;
}

/**
 * hmlm_track_mem() - ioctl(NVME_HMLM_TRACK_MEM)
 * @s: The session.
 * @ucmd: The call; its argument is &struct nvme_hmlm_track_mem.
 *
 * Context: Process context; takes and releases @s->lock; sleeps.
 * Return: 0, a positive NVMe status, or a negative errno.
 */
int hmlm_track_mem(struct hmlm_session *s, struct hmlm_ucmd *ucmd)
{
	struct nvme_hmlm_track_mem *cmd = ucmd->cmd;
	int ret, rsp;

	if (cmd->flags || memchr_inv(cmd->__reserved, 0, sizeof(cmd->__reserved)) ||
	    memchr_inv(cmd->__reserved2, 0, sizeof(cmd->__reserved2)) ||
	    cmd->__reserved3)
		return -EINVAL;
	if (cmd->op != NVME_HMLM_TRACK_START && cmd->gran)
		return -EINVAL;
	mutex_lock(&s->lock);
	ret = hmlm_session_usable(s);
	if (ret)
		goto out_unlock;
	switch (cmd->op) {
	case NVME_HMLM_TRACK_START:
		ret = hmlm_track_start(s, cmd);
		break;
	case NVME_HMLM_TRACK_STOP:
		ret = cmd->num ? -EINVAL : hmlm_track_stop(s);
		break;
	case NVME_HMLM_TRACK_RECV:
		ret = hmlm_track_recv(s, cmd);
		break;
	default:
		ret = -EINVAL;
	}
	if (ret >= 0) {
		if (ret > 0)
			cmd->out_nvme_status = ret;
		rsp = hmlm_ucmd_respond(ucmd, sizeof(*cmd));
		if (rsp)
			ret = rsp;
	}
out_unlock:
	mutex_unlock(&s->lock);
	return ret;
}

/**
 * hmlm_gls() - one Get LBA Status, ATYPE 02h, to the end of the namespace
 * @s: The session, locked and bound.
 * @nsid: The namespace.
 * @slba: First LBA.
 * @buf: Kernel buffer of 4 KiB.
 *
 * Context: Process context; sleeps.
 * Return: as hmlm_submit_admin().
 */
static int hmlm_gls(struct hmlm_session *s, u32 nsid, u64 slba, void *buf)
{
	struct nvme_command c = { };

	c.common.opcode = NVME_LM_OPC_GET_LBA_STATUS;
	c.common.nsid = cpu_to_le32(nsid);
	c.common.cdw10 = cpu_to_le32(lower_32_bits(slba));
	c.common.cdw11 = cpu_to_le32(upper_32_bits(slba));
	c.common.cdw12 = cpu_to_le32(NVME_LM_BYTES_TO_NUMD0(SZ_4K));
	c.common.cdw13 = cpu_to_le32(NVME_LM_GLS_CDW13(NVME_LM_GLS_ATYPE_ALLOCATED,
						       0));
	return hmlm_submit_admin(s->ctrl, &c, buf, SZ_4K, NULL);
}

/**
 * hmlm_alloc_lbas_fill() - collect allocated ranges
 * @s: The session, locked and bound.
 * @cmd: The ioctl argument; @cmd->num, @out_next_lba, @out_flags are set.
 * @out: Room for @cmd->num ranges (the caller's count on entry).
 * @cap: That count.
 *
 * Context: Process context; sleeps.
 * Return: 0, a positive NVMe status, or a negative errno.
 */
static int hmlm_alloc_lbas_fill(struct hmlm_session *s,
				struct nvme_hmlm_alloc_lbas *cmd,
				struct nvme_hmlm_lba_range *out, u32 cap)
{
	const struct nvme_lm_lba_status_desc *d;
	struct nvme_lm_lba_status_hdr *h;
	u64 next = cmd->slba, slba, nlb, end;
	u32 n = 0, i, nd;
	void *buf;
	int ret;

	buf = kmalloc(SZ_4K, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	h = buf;
	d = buf + sizeof(*h);
	for (;;) {
		ret = hmlm_gls(s, cmd->nsid, next, buf);
		if (ret)
			break;
		nd = min_t(u32, le32_to_cpu(h->nlsd), HMLM_GLS_DESCS);
		for (i = 0; i < nd; i++) {
			slba = le64_to_cpu(d[i].dslba);
			nlb = (u64)le32_to_cpu(d[i].nlb) + 1;
			if (slba < next || check_add_overflow(slba, nlb, &end)) {
				ret = -EIO;	/* the device broke the order */
				goto out;
			}
			if (n && out[n - 1].slba + out[n - 1].nlb == slba) {
				out[n - 1].nlb += nlb;
			} else if (n == cap) {
				/* Full: continue at this descriptor. */
				next = slba;
				goto out;
			} else {
				out[n].slba = slba;
				out[n].nlb = nlb;
				n++;
			}
			next = end;
		}
		if (h->cmpc != NVME_LM_CMPC_INCOMPLETE || !nd) {
			cmd->out_flags |= NVME_HMLM_ALLOC_DONE;
			break;
		}
	}
out:
	cmd->num = n;
	cmd->out_next_lba = next;
	kfree(buf);
	return ret;
}

/**
 * hmlm_get_alloc_lbas() - ioctl(NVME_HMLM_GET_ALLOC_LBAS)
 * @s: The session.
 * @ucmd: The call; its argument is &struct nvme_hmlm_alloc_lbas.
 *
 * Context: Process context; takes and releases @s->lock; sleeps.
 * Return: 0, a positive NVMe status, or a negative errno.
 */
int hmlm_get_alloc_lbas(struct hmlm_session *s, struct hmlm_ucmd *ucmd)
{
	struct nvme_hmlm_alloc_lbas *cmd = ucmd->cmd;
	struct nvme_hmlm_lba_range *out;
	u32 cap = cmd->num;
	int ret, rsp;

	if (cmd->flags || !cmd->nsid || !cap || cap > SZ_64K)
		return -EINVAL;
	out = kvcalloc(cap, sizeof(*out), GFP_KERNEL);
	if (!out)
		return -ENOMEM;
	mutex_lock(&s->lock);
	ret = hmlm_session_usable(s);
	if (ret)
		goto out_unlock;
	ret = hmlm_alloc_lbas_fill(s, cmd, out, cap);
	if (ret < 0)
		goto out_unlock;
	if (ret > 0)
		cmd->out_nvme_status = ret;
	if (cmd->num && copy_to_user(u64_to_user_ptr(cmd->ranges_uptr), out,
				     array_size(cmd->num, sizeof(*out)))) {
		ret = -EFAULT;
		goto out_unlock;
	}
	rsp = hmlm_ucmd_respond(ucmd, sizeof(*cmd));
	if (rsp)
		ret = rsp;
out_unlock:
	mutex_unlock(&s->lock);
	kvfree(out);
	return ret;
}
