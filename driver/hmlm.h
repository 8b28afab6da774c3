/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvme-hmlm private definitions, shared by main.c and cmd.c.
 */
#ifndef _HMLM_H
#define _HMLM_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>

#include "nvme.h"		/* nvme-core private, from NVME_SRC */
#include <nvme_lm.h>

/**
 * struct hmlm_session - one open file of /dev/nvme-hmlm
 * @lock: Serialises the ioctls of this session; protects @ctrl, @cntlid
 *	and whether @node is on the binding list.
 * @ctrl: The bound MMC, or NULL while unbound. While set, the session
 *	holds a device reference (nvme_get_ctrl()) and a reference on
 *	@ctrl->ops->module, exactly as an open /dev/nvmeN does.
 * @cntlid: The bound migratable controller, valid while @ctrl is set.
 * @node: Entry on the global binding list while bound; the list and this
 *	field are protected by the binding list's own mutex in main.c.
 */
struct hmlm_session {
	/* serialises the session's ioctls; protects @ctrl, @cntlid, @node */
	struct mutex		lock;
	struct nvme_ctrl	*ctrl;
	u16			cntlid;
	struct list_head	node;
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

int hmlm_ctrl_check_live(struct nvme_ctrl *ctrl);
int hmlm_submit_admin(struct nvme_ctrl *ctrl, struct nvme_command *cmd,
		      void *buf, unsigned int len, u32 *result);
int hmlm_identify(struct nvme_ctrl *ctrl, u8 cns, u8 csi, u16 cntid,
		  void *buf);
int hmlm_read_sec_list(struct nvme_ctrl *ctrl, struct hmlm_sec_list **listp);
const struct nvme_lm_sec_ctrl *hmlm_sec_list_find(const struct hmlm_sec_list *l,
						  u16 scid);

#endif /* _HMLM_H */
