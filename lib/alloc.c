// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The allocated-LBA iterator: GET_ALLOC_LBAS (Get LBA Status, ATYPE 02h)
 * from an LBA to the end of a namespace, a batch of ranges at a time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/nvme_hmlm.h>

#include "internal.h"

#define ALLOC_BATCH	256

struct hmlm_alloc_iter {
	struct hmlm_session *session;
	uint32_t nsid;
	uint64_t next_lba;	/* the next call's slba */
	int done;		/* the device reported the end */
	unsigned int pos, num;
	struct nvme_hmlm_lba_range ranges[ALLOC_BATCH];
};

HMLM_EXPORT int hmlm_alloc_iter_new(struct hmlm_session *session,
				    uint32_t nsid, uint64_t slba,
				    struct hmlm_alloc_iter **iter)
{
	struct hmlm_alloc_iter *it;

	if (!session || !iter || !nsid || nsid == 0xffffffffU)
		return -EINVAL;
	*iter = NULL;
	it = calloc(1, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->session = session;
	it->nsid = nsid;
	it->next_lba = slba;
	*iter = it;
	return 0;
}

static int fetch(struct hmlm_alloc_iter *it)
{
	struct nvme_hmlm_alloc_lbas k;
	int ret;

	memset(&k, 0, sizeof(k));
	k.size = sizeof(k);
	k.nsid = it->nsid;
	k.num = ALLOC_BATCH;
	k.slba = it->next_lba;
	k.ranges_uptr = (uintptr_t)it->ranges;
	ret = hmlm_ioctl(it->session->fd, NVME_HMLM_GET_ALLOC_LBAS, &k,
			 &it->session->nvme_status);
	if (ret)
		return ret;
	if (k.num > ALLOC_BATCH)
		return -EPROTO;
	it->pos = 0;
	it->num = k.num;
	if (k.out_flags & NVME_HMLM_ALLOC_DONE) {
		it->done = 1;
	} else {
		/* no progress would loop forever */
		if (k.out_next_lba <= it->next_lba && !k.num)
			return -EPROTO;
		it->next_lba = k.out_next_lba;
	}
	return 0;
}

HMLM_EXPORT int hmlm_alloc_iter_next(struct hmlm_alloc_iter *it,
				     struct hmlm_lba_range *range)
{
	int ret;

	if (!it || !range)
		return -EINVAL;
	while (it->pos >= it->num) {
		if (it->done)
			return 0;
		ret = fetch(it);
		if (ret)
			return ret;
	}
	range->slba = it->ranges[it->pos].slba;
	range->nlb = it->ranges[it->pos].nlb;
	it->pos++;
	return 1;
}

HMLM_EXPORT void hmlm_alloc_iter_free(struct hmlm_alloc_iter *it)
{
	free(it);
}
