// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-hmlm: building and submitting the NVMe admin commands.
 *
 * Every command goes to the MMC's admin queue through nvme-core's
 * __nvme_submit_sync_cmd(), so it is ordered with nvme-core's own admin
 * commands and obeys its timeout and reset handling. Return convention of
 * every submitting function here: 0 on success, a positive NVMe status
 * (DNR << 14 | More << 13 | SCT << 8 | SC) when the command completed with
 * an error, a negative errno when it did not complete.
 */
#include <linux/blk-mq.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "hmlm.h"

/* A controller has at most 65535 CNTLIDs; bounds a misbehaving list. */
#define HMLM_SEC_LIST_LIMIT	0xffffU

/**
 * hmlm_ctrl_check_live() - check that a controller accepts commands
 * @ctrl: The controller; the caller holds a reference.
 *
 * A controller that is resetting, being deleted or dead is refused rather
 * than waited for. The state can change right after the check; a command
 * that then meets a dying admin queue fails with -ENODEV from the block
 * layer, which is the same answer.
 *
 * Context: Any context.
 * Return: 0 if @ctrl is NVME_CTRL_LIVE, -ENODEV otherwise.
 */
int hmlm_ctrl_check_live(struct nvme_ctrl *ctrl)
{
	if (nvme_ctrl_state(ctrl) != NVME_CTRL_LIVE)
		return -ENODEV;
	return 0;
}

/**
 * hmlm_submit_admin64() - submit one admin command and wait for it
 * @ctrl: The MMC; the caller holds a reference.
 * @cmd: The command; nvme-core fills in the command identifier.
 * @buf: Kernel buffer (kmalloc or vmalloc memory) for the data, or NULL.
 * @len: Length of @buf in bytes; 0 when @buf is NULL.
 * @result: Where to store completion dwords 0 (low) and 1 (high), or
 *	NULL. Written on success and on an NVMe status.
 *
 * Context: Process context; sleeps until the command completes or times
 *	out (nvme-core's admin timeout bounds the wait).
 * Return: 0 on success, a positive NVMe status if the command failed on
 *	the controller, -ENODEV if the controller is not live, another
 *	negative errno if the command did not complete.
 */
int hmlm_submit_admin64(struct nvme_ctrl *ctrl, struct nvme_command *cmd,
			void *buf, unsigned int len, u64 *result)
{
	union nvme_result res = { };
	int ret;

	ret = hmlm_ctrl_check_live(ctrl);
	if (ret)
		return ret;

	ret = __nvme_submit_sync_cmd(ctrl->admin_q, cmd, &res, buf, len,
				     NVME_QID_ANY, 0);
	if (ret >= 0 && result)
		*result = le64_to_cpu(res.u64);
	return ret;
}

/**
 * hmlm_submit_admin() - submit one admin command and wait for it
 * @ctrl: The MMC; the caller holds a reference.
 * @cmd: The command; nvme-core fills in the command identifier.
 * @buf: Kernel buffer (kmalloc or vmalloc memory) for the data, or NULL.
 * @len: Length of @buf in bytes; 0 when @buf is NULL.
 * @result: Where to store completion dword 0, or NULL.
 *
 * Context: Process context; sleeps until the command completes or times
 *	out.
 * Return: as hmlm_submit_admin64().
 */
int hmlm_submit_admin(struct nvme_ctrl *ctrl, struct nvme_command *cmd,
		      void *buf, unsigned int len, u32 *result)
{
	u64 res = 0;
	int ret;

	ret = hmlm_submit_admin64(ctrl, cmd, buf, len, &res);
	if (ret == 0 && result)
		*result = lower_32_bits(res);
	return ret;
}

/**
 * hmlm_ctrl_ref() - take the references a user of a controller holds
 * @ctrl: The controller; the caller holds a reference for the call.
 *
 * A device reference (so @ctrl is never freed under us) and a reference on
 * the transport module that frees it, as an open /dev/nvmeN holds.
 *
 * Context: Any context.
 * Return: 0, or -ENODEV if the transport module is being unloaded.
 */
int hmlm_ctrl_ref(struct nvme_ctrl *ctrl)
{
	if (!try_module_get(ctrl->ops->module))
		return -ENODEV;
	nvme_get_ctrl(ctrl);
	return 0;
}

/**
 * hmlm_ctrl_unref() - drop the references of hmlm_ctrl_ref()
 * @ctrl: The controller.
 *
 * Context: Process context.
 */
void hmlm_ctrl_unref(struct nvme_ctrl *ctrl)
{
	struct module *owner = ctrl->ops->module;

	nvme_put_ctrl(ctrl);
	module_put(owner);
}

/**
 * hmlm_async_put() - drop a reference of an asynchronous command
 * @ctx: The context.
 *
 * Context: Process context (the last reference drops the controller's).
 */
void hmlm_async_put(struct hmlm_async *ctx)
{
	if (refcount_dec_and_test(&ctx->ref)) {
		hmlm_ctrl_unref(ctx->ctrl);
		kfree(ctx);
	}
}

/**
 * hmlm_async_work() - send an asynchronous command and wait for it
 * @work: The context's @work.
 *
 * The command goes through nvme-core's synchronous path, so its end is
 * nvme-core's own and no end_io of this module is left behind in a
 * request. The module reference taken at submission is dropped last; the
 * module's exit destroys hmlm_wq, which waits for this function to return.
 *
 * Context: Process context (hmlm_wq); sleeps for the command.
 */
static void hmlm_async_work(struct work_struct *work)
{
	struct hmlm_async *ctx = container_of(work, struct hmlm_async, work);

	ctx->ret = hmlm_submit_admin(ctx->ctrl, &ctx->cmd, NULL, 0, NULL);
	/*
	 * complete_all(): the end is observed more than once (a wait that
	 * gives up, then completion_done() or another wait), and a wait that
	 * succeeds must not consume it.
	 */
	complete_all(&ctx->done);
	hmlm_async_put(ctx);
	module_put(THIS_MODULE);
}

/**
 * hmlm_submit_async() - start an admin command without data
 * @ctrl: The MMC; the caller holds a reference.
 * @cmd: The command.
 * @ctxp: On success, a context with one reference for the caller; its
 *	@done completes when the command does, with the result in @ret.
 *
 * For commands that may take long (Suspend drains the controller): the
 * caller waits interruptibly and may give up; the command then still
 * completes, or nvme-core times it out and resets the controller. The
 * module stays loaded until it did (a module reference per command).
 *
 * Context: Process context, from a caller that holds a module reference
 *	(a file of the module, or the in-kernel API's user); may sleep.
 * Return: 0 on success, -ENODEV if the controller is not live, -ENOMEM.
 */
int hmlm_submit_async(struct nvme_ctrl *ctrl, struct nvme_command *cmd,
		      struct hmlm_async **ctxp)
{
	struct hmlm_async *ctx;
	int ret;

	ret = hmlm_ctrl_check_live(ctrl);
	if (ret)
		return ret;
	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ret = hmlm_ctrl_ref(ctrl);
	if (ret) {
		kfree(ctx);
		return ret;
	}
	refcount_set(&ctx->ref, 2);
	init_completion(&ctx->done);
	INIT_WORK(&ctx->work, hmlm_async_work);
	ctx->ctrl = ctrl;
	ctx->cmd = *cmd;
	__module_get(THIS_MODULE);
	queue_work(hmlm_wq, &ctx->work);
	*ctxp = ctx;
	return 0;
}

/**
 * hmlm_max_xfer() - the largest data transfer of one command
 * @ctrl: The controller.
 *
 * Context: Any context.
 * Return: bytes, a multiple of 4096, at least 4096 and at most 256 KiB.
 */
u32 hmlm_max_xfer(struct nvme_ctrl *ctrl)
{
	u64 b = (u64)ctrl->max_hw_sectors << SECTOR_SHIFT;

	b = clamp_t(u64, b, SZ_4K, SZ_256K);
	return round_down(b, SZ_4K);
}

/**
 * hmlm_identify() - send Identify
 * @ctrl: The controller; the caller holds a reference.
 * @cns: Controller or Namespace Structure (NVME_LM_CNS_*).
 * @csi: Command Set Identifier, for the I/O Command Set specific CNS values.
 * @cntid: CDW10 CNTID: the first CNTLID to list for CNS 15h, else 0.
 * @buf: Kernel buffer of NVME_LM_IDENTIFY_LEN bytes.
 *
 * Context: Process context; sleeps.
 * Return: as hmlm_submit_admin().
 */
int hmlm_identify(struct nvme_ctrl *ctrl, u8 cns, u8 csi, u16 cntid,
		  void *buf)
{
	struct nvme_command c = { };

	c.identify.opcode = nvme_admin_identify;
	c.identify.cns = cns;
	c.identify.csi = csi;
	c.identify.ctrlid = cpu_to_le16(cntid);
	return hmlm_submit_admin(ctrl, &c, buf, NVME_LM_IDENTIFY_LEN, NULL);
}

/**
 * hmlm_identify_ns() - send Identify for a namespace
 * @ctrl: The controller; the caller holds a reference.
 * @cns: Controller or Namespace Structure.
 * @nsid: The namespace.
 * @cntid: CDW10 CNTID: the first CNTLID to list for CNS 12h.
 * @buf: Kernel buffer of NVME_LM_IDENTIFY_LEN bytes.
 *
 * Context: Process context; sleeps.
 * Return: as hmlm_submit_admin().
 */
int hmlm_identify_ns(struct nvme_ctrl *ctrl, u8 cns, u32 nsid, u16 cntid,
		     void *buf)
{
	struct nvme_command c = { };

	c.identify.opcode = nvme_admin_identify;
	c.identify.nsid = cpu_to_le32(nsid);
	c.identify.cns = cns;
	c.identify.ctrlid = cpu_to_le16(cntid);
	return hmlm_submit_admin(ctrl, &c, buf, NVME_LM_IDENTIFY_LEN, NULL);
}

/**
 * hmlm_sec_list_grow() - append one Identify page to a secondary list
 * @listp: The list so far (NULL for none); replaced on success.
 * @page: The page just read.
 * @cnt: Number of valid entries in @page.
 *
 * Context: Process context; may sleep to allocate.
 * Return: 0 on success, -ENOMEM (and *@listp unchanged) on failure.
 */
static int hmlm_sec_list_grow(struct hmlm_sec_list **listp,
			      const struct nvme_lm_sec_list *page, u32 cnt)
{
	u32 old = *listp ? (*listp)->nr : 0;
	struct hmlm_sec_list *l;

	l = krealloc(*listp, struct_size(l, ent, old + cnt), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	l->nr = old + cnt;
	memcpy(&l->ent[old], page->sc, cnt * sizeof(page->sc[0]));
	*listp = l;
	return 0;
}

/**
 * hmlm_read_sec_list() - read a primary controller's secondary list
 * @ctrl: The controller; the caller holds a reference.
 * @listp: On success, a kmalloc'ed list the caller frees with kfree().
 *
 * Identify CNS 15h returns at most 127 entries whose SCID is at least the
 * CNTID of the command, so the list is read page by page until a page is
 * not full. A fatal signal stops the loop (up to 517 commands).
 *
 * Context: Process context; sleeps.
 * Return: 0 on success, a positive NVMe status if an Identify failed,
 *	-EINTR if the caller was killed, a negative errno otherwise.
 */
int hmlm_read_sec_list(struct nvme_ctrl *ctrl, struct hmlm_sec_list **listp)
{
	struct hmlm_sec_list *list = NULL;
	struct nvme_lm_sec_list *page;
	u32 start = 0, cnt, last;
	int ret;

	/* zeroed before each command: a short transfer shows no old bytes */
	page = kzalloc(sizeof(*page), GFP_KERNEL);
	if (!page)
		return -ENOMEM;

	for (;;) {
		ret = hmlm_check_stop();
		if (ret)
			goto out_free_list;
		memset(page, 0, sizeof(*page));
		ret = hmlm_identify(ctrl, NVME_LM_CNS_SEC_LIST, 0, start, page);
		if (ret)
			goto out_free_list;
		cnt = min_t(u32, page->numid, NVME_LM_SEC_LIST_MAX);
		if (!cnt)
			break;
		ret = hmlm_sec_list_grow(&list, page, cnt);
		if (ret)
			goto out_free_list;
		last = le16_to_cpu(page->sc[cnt - 1].scid);
		/* Stop on a short page, and on a list that does not advance. */
		if (cnt < NVME_LM_SEC_LIST_MAX || last < start ||
		    last >= HMLM_SEC_LIST_LIMIT)
			break;
		start = last + 1;
	}

	if (!list) {
		list = kzalloc(struct_size(list, ent, 0), GFP_KERNEL);
		if (!list) {
			ret = -ENOMEM;
			goto out_free_page;
		}
	}
	kfree(page);
	*listp = list;
	return 0;

out_free_list:
	kfree(list);
out_free_page:
	kfree(page);
	return ret;
}

/**
 * hmlm_sec_list_find() - look a CNTLID up in a secondary list
 * @l: The list.
 * @scid: The secondary controller identifier.
 *
 * Context: Any context.
 * Return: the entry, or NULL if @scid is not in @l.
 */
const struct nvme_lm_sec_ctrl *hmlm_sec_list_find(const struct hmlm_sec_list *l,
						  u16 scid)
{
	u32 i;

	for (i = 0; i < l->nr; i++)
		if (le16_to_cpu(l->ent[i].scid) == scid)
			return &l->ent[i];
	return NULL;
}
