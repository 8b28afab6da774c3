// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the dirty-extent set (lib/extents.c) under a random
 * sequence of operations, against a bitmap model. Invariants: the bound
 * (count <= max) holds after every call, no dirty LBA is ever lost (the
 * set may over-report after coarsening, never under-report), a removed
 * range is clean when the set had room for a split (at the bound it may
 * over-report instead), the extents are sorted, disjoint, inside the
 * namespace, and hmlm_extents_bytes() is their sum.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hmlm.h>

#define NNS	3
#define MAXLBA	512

static const uint64_t nlbas[NNS] = { 512, 100, 37 };
static uint8_t model[NNS][MAXLBA];

static void check(struct hmlm_extents *set, size_t max)
{
	struct hmlm_extent e = { 0 };
	uint8_t cover[NNS][MAXLBA];
	uint64_t bytes[NNS] = { 0 }, last_end = 0;
	uint32_t last_ns = 0;
	size_t n = 0;
	int i;
	uint64_t l;

	if (hmlm_extents_count(set) > max)
		abort();
	memset(cover, 0, sizeof(cover));
	while (hmlm_extents_next(set, &e) > 0) {
		if (e.nsid < 1 || e.nsid > NNS || !e.nlb ||
		    e.slba + e.nlb > nlbas[e.nsid - 1])
			abort();
		if (e.nsid == last_ns && e.slba < last_end)
			abort();	/* overlapping or unsorted */
		if (e.nsid < last_ns)
			abort();
		for (l = e.slba; l < e.slba + e.nlb; l++)
			cover[e.nsid - 1][l] = 1;
		bytes[e.nsid - 1] += e.nlb * 512;
		last_ns = e.nsid;
		last_end = e.slba + e.nlb;
		n++;
	}
	if (n != hmlm_extents_count(set))
		abort();
	for (i = 0; i < NNS; i++) {
		if (hmlm_extents_bytes(set, i + 1) != bytes[i])
			abort();
		for (l = 0; l < nlbas[i]; l++)
			if (model[i][l] && !cover[i][l])
				abort();	/* a dirty LBA was lost */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t size)
{
	struct hmlm_extents *set;
	size_t max, pos = 2;
	int i;

	if (size < 2)
		return 0;
	max = 1 + d[0] % 16;
	if (hmlm_extents_new(max, &set))
		return 0;
	memset(model, 0, sizeof(model));
	for (i = 0; i < NNS && (size_t)i + 1 <= max; i++)
		if (hmlm_extents_add_ns(set, i + 1, nlbas[i], 512,
					1 + (d[1] >> (2 * i) & 3)))
			abort();
	check(set, max);
	while (pos + 4 <= size) {
		uint8_t op = d[pos] % 4, ns = 1 + d[pos + 1] % NNS;
		uint64_t slba = d[pos + 2] * 2, nlb = 1 + d[pos + 3];
		uint64_t l;
		int ret;

		pos += 4;
		if (ns > max || ns > NNS)
			continue;
		switch (op) {
		case 0:
		case 1:
			ret = hmlm_extents_add(set, ns, slba, nlb);
			if (!ret)
				for (l = slba; l < slba + nlb && l < nlbas[ns - 1]; l++)
					model[ns - 1][l] = 1;
			else if (slba + nlb <= nlbas[ns - 1])
				abort();	/* a valid add failed */
			break;
		case 2: {
			/* room for a split: no coarsening can re-cover the range */
			int room = hmlm_extents_count(set) < max;

			ret = hmlm_extents_remove(set, ns, slba, nlb);
			if (!ret) {
				for (l = slba; l < slba + nlb && l < nlbas[ns - 1]; l++)
					model[ns - 1][l] = 0;
				/* removed LBAs are clean in the set too */
				if (room) {
					struct hmlm_extent e = { 0 };

					while (hmlm_extents_next(set, &e) > 0)
						if (e.nsid == ns && e.slba < slba + nlb &&
						    slba < e.slba + e.nlb)
							abort();
				}
			}
			break;
		}
		case 3:
			if (hmlm_extents_mark_all(set, ns))
				abort();
			for (l = 0; l < nlbas[ns - 1]; l++)
				model[ns - 1][l] = 1;
			break;
		}
		check(set, max);
	}
	hmlm_extents_free(set);
	return 0;
}
