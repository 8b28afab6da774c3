// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-hmlm: host memory change tracking (Track Send SEL 1h, Track
 * Receive) and allocated LBA reporting (Get LBA Status ATYPE 02h, TP4165).
 */
#include <linux/module.h>
#include <linux/nvme.h>
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
 * @ranges: @cmd->num &struct nvme_hmlm_mem_range.
 *
 * Context: Process context; sleeps, may fault.
 * Return: 0, a positive NVMe status, or a negative errno.
 */
static int hmlm_track_start(struct hmlm_session *s,
			    struct nvme_hmlm_track_mem *cmd,
			    struct iov_iter *ranges)
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
	if (!ranges || iov_iter_count(ranges) < array_size(cmd->num, sizeof(*r)))
		return -EINVAL;
	r = kvcalloc(cmd->num, sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	if (copy_from_iter(r, array_size(cmd->num, sizeof(*r)), ranges) !=
	    array_size(cmd->num, sizeof(*r))) {
		ret = -EFAULT;
		goto out_free_r;
	}
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
	kvfree(r);
	return ret;
}

/**
 * hmlm_track_recv() - TRACK_MEM, NVME_HMLM_TRACK_RECV
 * @s: The session, locked and bound.
 * @cmd: The ioctl argument.
 * @ranges: Room for @cmd->num &struct nvme_hmlm_mem_range.
 *
 * Context: Process context; sleeps, may fault.
 * Return: 0, a positive NVMe status, or a negative errno.
 */
static int hmlm_track_recv(struct hmlm_session *s,
			   struct nvme_hmlm_track_mem *cmd,
			   struct iov_iter *ranges)
{
	struct nvme_hmlm_mem_range *out = NULL;
	const struct nvme_lm_tmcd *d;
	struct nvme_lm_tmc_hdr *h;
	struct nvme_command c = { };
	u32 cap, len, n, i;
	void *buf;
	int ret;

	if (!cmd->num || cmd->gran || !ranges ||
	    iov_iter_count(ranges) < array_size(cmd->num, sizeof(*out)))
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
	if (copy_to_iter(out, array_size(n, sizeof(*out)), ranges) !=
	    array_size(n, sizeof(*out)))
		ret = -EFAULT;
out_free:
	kfree(out);
	kfree(buf);
	return ret;
}

/**
 * hmlm_do_track_mem() - Track Send (memory) and Track Receive
 * @s: The session, entered (bound).
 * @cmd: The argument.
 * @ranges: START: the ranges to track; RECV: room for the reported ones.
 *
 * Context: Process context; expects @s->lock held; sleeps, may fault.
 * Return: 0, a positive NVMe status, or a negative errno.
 */
int hmlm_do_track_mem(struct hmlm_session *s, struct nvme_hmlm_track_mem *cmd,
		      struct iov_iter *ranges)
{
	int ret;

	if (cmd->flags || memchr_inv(cmd->__reserved, 0, sizeof(cmd->__reserved)) ||
	    memchr_inv(cmd->__reserved2, 0, sizeof(cmd->__reserved2)) ||
	    cmd->__reserved3)
		return -EINVAL;
	if (cmd->op != NVME_HMLM_TRACK_START && cmd->gran)
		return -EINVAL;
	cmd->out_nvme_status = 0;
	cmd->out_attrs = 0;
	cmd->out_gran = 0;
	cmd->out_max_ranges = 0;
	switch (cmd->op) {
	case NVME_HMLM_TRACK_START:
		ret = hmlm_track_start(s, cmd, ranges);
		break;
	case NVME_HMLM_TRACK_STOP:
		ret = cmd->num ? -EINVAL : hmlm_track_stop(s);
		break;
	case NVME_HMLM_TRACK_RECV:
		ret = hmlm_track_recv(s, cmd, ranges);
		break;
	default:
		ret = -EINVAL;
	}
	if (ret > 0)
		cmd->out_nvme_status = ret;
	return ret;
}

/**
 * nvme_hmlm_track_mem() - memory tracking (in-kernel API)
 * @s: The session.
 * @arg: As for ioctl(NVME_HMLM_TRACK_MEM).
 * @ranges: START: the ranges; RECV: room for them; STOP: NULL.
 *
 * Context: Process context; sleeps.
 * Return: 0, a positive NVMe status, or a negative errno.
 */
int nvme_hmlm_track_mem(struct hmlm_session *s,
			struct nvme_hmlm_track_mem *arg,
			struct iov_iter *ranges)
{
	int ret = hmlm_enter(s, HMLM_OP_BOUND);

	if (!ret)
		ret = hmlm_do_track_mem(s, arg, ranges);
	hmlm_leave(s, HMLM_OP_BOUND);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(nvme_hmlm_track_mem, NVME_HMLM);

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

	/* zeroed before each command: a short transfer shows no old bytes */
	buf = kmalloc(SZ_4K, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	h = buf;
	d = buf + sizeof(*h);
	for (;;) {
		/* a device may keep answering "more" (CMPC 1) */
		ret = hmlm_check_stop();
		if (ret)
			break;
		memset(buf, 0, SZ_4K);
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
 * hmlm_ns_attached() - is a namespace attached to the bound controller
 * @s: The session, locked and bound.
 * @nsid: The namespace.
 *
 * Identify CNS 12h (controllers attached to @nsid, from the session's
 * CNTLID up): the first identifier is the session's exactly when the
 * migratable controller has the namespace. The allocation map of a
 * namespace is another tenant's business otherwise.
 *
 * Context: Process context; sleeps.
 * Return: 0 if attached, -ENOENT if not, a positive NVMe status, or a
 *	negative errno.
 */
static int hmlm_ns_attached(struct hmlm_session *s, u32 nsid)
{
	__le16 *list;
	int ret;

	list = kzalloc(NVME_LM_IDENTIFY_LEN, GFP_KERNEL);
	if (!list)
		return -ENOMEM;
	ret = hmlm_identify_ns(s->ctrl, NVME_ID_CNS_CTRL_NS_LIST, nsid,
			       s->cntlid, list);
	if (ret == 0 && (!le16_to_cpu(list[0]) ||
			 le16_to_cpu(list[1]) != s->cntlid))
		ret = -ENOENT;
	kfree(list);
	return ret;
}

/**
 * hmlm_do_get_alloc_lbas() - Get LBA Status ATYPE 02h, merged
 * @s: The session, entered (bound).
 * @cmd: The argument.
 * @to: Room for @cmd->num &struct nvme_hmlm_lba_range.
 *
 * Context: Process context; expects @s->lock held; sleeps, may fault.
 * Return: 0, a positive NVMe status, or a negative errno (-ENOENT: the
 *	namespace is not attached to the bound controller).
 */
int hmlm_do_get_alloc_lbas(struct hmlm_session *s,
			   struct nvme_hmlm_alloc_lbas *cmd, struct iov_iter *to)
{
	struct nvme_hmlm_lba_range *out;
	u32 cap = cmd->num;
	int ret;

	if (cmd->flags || !cmd->nsid || !cap || cap > SZ_64K ||
	    !to || iov_iter_count(to) < array_size(cap, sizeof(*out)))
		return -EINVAL;
	cmd->out_next_lba = 0;
	cmd->out_nvme_status = 0;
	cmd->out_flags = 0;
	ret = hmlm_ns_attached(s, cmd->nsid);
	if (ret)
		goto out_status;
	out = kvcalloc(cap, sizeof(*out), GFP_KERNEL);
	if (!out)
		return -ENOMEM;
	ret = hmlm_alloc_lbas_fill(s, cmd, out, cap);
	if (ret >= 0 && cmd->num &&
	    copy_to_iter(out, array_size(cmd->num, sizeof(*out)), to) !=
	    array_size(cmd->num, sizeof(*out)))
		ret = -EFAULT;
	kvfree(out);
out_status:
	if (ret > 0)
		cmd->out_nvme_status = ret;
	return ret;
}

/**
 * nvme_hmlm_get_alloc_lbas() - allocated LBA ranges (in-kernel API)
 * @s: The session.
 * @arg: As for ioctl(NVME_HMLM_GET_ALLOC_LBAS).
 * @to: Room for arg->num ranges.
 *
 * Context: Process context; sleeps.
 * Return: 0, a positive NVMe status, or a negative errno.
 */
int nvme_hmlm_get_alloc_lbas(struct hmlm_session *s,
			     struct nvme_hmlm_alloc_lbas *arg,
			     struct iov_iter *to)
{
	int ret = hmlm_enter(s, HMLM_OP_BOUND | HMLM_OP_DATA);

	if (!ret)
		ret = hmlm_do_get_alloc_lbas(s, arg, to);
	hmlm_leave(s, HMLM_OP_BOUND | HMLM_OP_DATA);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(nvme_hmlm_get_alloc_lbas, NVME_HMLM);
