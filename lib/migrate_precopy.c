// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The pre-copy: every allocated LBA copied and every gap zeroed while the
 * source runs (a full pass; also the recopy after a full migration queue,
 * and the stop-and-copy of a device without a queue).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/nvme_hmlm.h>

#include "internal.h"
#include "migrate_int.h"

/*
 * The allocated LBAs of @n into @alloc (granularity 1). Without the
 * device's help (no RALBAS, or HMLM_MIGRATE_NO_ALLOC) the whole namespace.
 */
static int alloc_ranges(struct mig *m, struct mig_ns *n,
			struct hmlm_extents *alloc)
{
	struct hmlm_alloc_iter *it;
	struct hmlm_lba_range r;
	uint32_t nsid = n->map->src_nsid;
	int ret;

	ret = hmlm_extents_add_ns(alloc, nsid, n->src.nlbas, n->src.lba_size, 1);
	if (ret)
		return ret;
	if (m->p.flags & HMLM_MIGRATE_NO_ALLOC)
		goto whole;
	ret = hmlm_alloc_iter_new(m->src, nsid, 0, &it);
	if (ret)
		return hmlm_mig_fail(m, HMLM_STEP_ALLOC, ret);
	while ((ret = hmlm_alloc_iter_next(it, &r)) > 0) {
		if (r.slba >= n->src.nlbas)
			break;
		if (r.nlb > n->src.nlbas - r.slba)
			r.nlb = n->src.nlbas - r.slba;
		ret = hmlm_extents_add(alloc, nsid, r.slba, r.nlb);
		if (ret)
			break;
	}
	hmlm_alloc_iter_free(it);
	if (ret == -EIO || ret == -EOPNOTSUPP) {
		/* the device cannot tell: every LBA may hold data */
		m->r->flags |= HMLM_REPORT_NO_ALLOC;
		goto whole;
	}
	return hmlm_mig_fail(m, HMLM_STEP_ALLOC, ret);
whole:
	return hmlm_extents_mark_all(alloc, nsid);
}

/*
 * A full pass: every allocated range copied, every gap between them
 * zeroed on the target. The pre-copy, and the recopy after a full queue.
 */
int hmlm_mig_full_pass(struct mig *m)
{
	struct hmlm_extents *alloc;
	struct hmlm_extent e;
	uint64_t t0, b0;
	unsigned int i;
	int ret;

	ret = hmlm_extents_new(ALLOC_MAX_EXTENTS, &alloc);
	if (ret)
		return ret;
	for (i = 0; i < m->nr_ns && !ret; i++)
		ret = alloc_ranges(m, &m->ns[i], alloc);
	if (ret)
		goto out;
	if (!m->r->allocated_bytes)
		m->r->allocated_bytes = hmlm_extents_bytes(alloc, HMLM_NSID_ALL);
	m->prog.bytes_total += hmlm_extents_bytes(alloc, HMLM_NSID_ALL);
	/* the pre-copy's size, for the target's progress (ROUND 0) */
	if (!m->round && m->prog.phase == HMLM_PHASE_PRECOPY)
		ret = hmlm_mig_write_round(m, 0, hmlm_extents_bytes(alloc,
								  HMLM_NSID_ALL));
	if (!ret)
		ret = hmlm_mig_progress(m, m->prog.phase);
	t0 = hmlm_now_ns();
	b0 = m->r->bytes_copied;
	for (i = 0; i < m->nr_ns && !ret; i++) {
		struct mig_ns *n = &m->ns[i];
		uint64_t pos = 0;

		memset(&e, 0, sizeof(e));
		e.nsid = n->map->src_nsid;
		while (!ret && hmlm_extents_next(alloc, &e) > 0 &&
		       e.nsid == n->map->src_nsid) {
			if (e.slba > pos)
				ret = hmlm_mig_put_zero(m, n, pos,
							e.slba - pos);
			if (!ret)
				ret = hmlm_mig_copy_range(m, n, e.slba, e.nlb);
			pos = e.slba + e.nlb;
		}
		if (!ret && pos < n->src.nlbas)
			ret = hmlm_mig_put_zero(m, n, pos, n->src.nlbas - pos);
	}
	hmlm_mig_rate_note(m, m->r->bytes_copied - b0, 0, hmlm_now_ns() - t0);
out:
	hmlm_extents_free(alloc);
	return ret;
}
