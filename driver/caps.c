// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-hmlm: GET_CAPS, what an MMC offers for live migration.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/unaligned.h>

#include <uapi/linux/nvme_hmlm.h>

#include "hmlm.h"

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
	/* what GET_STATE and SET_STATE accept as chunk_len */
	cmd->out_max_xfer = hmlm_max_xfer(ctrl);
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
 * hmlm_get_caps() - fill GET_CAPS
 * @ctrl: The controller; the caller holds a reference.
 * @cmd: The argument; every output field is written.
 *
 * Context: Process context; sleeps on the admin commands, may fault.
 * Return: 0 on success, a positive NVMe status if Identify Controller
 *	failed, -EMSGSIZE if the secondary list does not fit (@cmd->sec_num
 *	says how many), a negative errno otherwise.
 */
int hmlm_get_caps(struct nvme_ctrl *ctrl, struct nvme_hmlm_get_caps *cmd)
{
	const size_t out = offsetof(struct nvme_hmlm_get_caps, out_caps);
	struct hmlm_sec_list *list = NULL;
	u8 *buf;
	int ret;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	/* outputs start as zero, whatever the caller's struct held */
	memset((u8 *)cmd + out, 0, sizeof(*cmd) - out);

	buf = kzalloc(NVME_LM_IDENTIFY_LEN, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;

	ret = hmlm_identify(ctrl, NVME_LM_CNS_CTRL, 0, 0, buf);
	if (ret > 0)
		cmd->out_nvme_status = ret;
	if (ret)
		goto out_free_buf;
	hmlm_caps_id_ctrl(cmd, ctrl, buf);

	/* Optional structures: an NVMe status only means "not there". */
	memset(buf, 0, NVME_LM_IDENTIFY_LEN);
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
		memset(buf, 0, NVME_LM_IDENTIFY_LEN);
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
	} else {
		cmd->sec_num = 0;
		ret = 0;
	}
out_free_buf:
	kfree(buf);
	return ret;
}
