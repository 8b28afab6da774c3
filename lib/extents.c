// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The dirty-extent set: per namespace, a sorted array of disjoint,
 * non-adjacent half-open LBA ranges [s, e). Ranges added are rounded out to
 * the namespace's granularity; when the set holds more extents than its
 * bound, the namespace with the most extents doubles its granularity and is
 * re-merged, which can only grow ranges: no dirty LBA is ever lost.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct ext {
	uint64_t s;
	uint64_t e;	/* exclusive */
};

struct ns_set {
	uint32_t nsid;
	uint32_t lba_size;
	uint64_t nlbas;
	uint64_t gran;		/* blocks */
	uint64_t blocks;	/* dirty blocks: sum of the extents */
	struct ext *v;
	size_t n, cap;		/* cap >= 1 always */
};

struct hmlm_extents {
	size_t max;
	size_t count;		/* sum of ns[].n */
	uint32_t num_ns;
	struct ns_set *ns;	/* sorted by nsid */
};

HMLM_EXPORT int hmlm_extents_new(size_t max_extents, struct hmlm_extents **set)
{
	struct hmlm_extents *s;

	if (!set)
		return -EINVAL;
	*set = NULL;
	if (!max_extents)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->max = max_extents;
	*set = s;
	return 0;
}

HMLM_EXPORT void hmlm_extents_free(struct hmlm_extents *set)
{
	uint32_t i;

	if (!set)
		return;
	for (i = 0; i < set->num_ns; i++)
		free(set->ns[i].v);
	free(set->ns);
	free(set);
}

/* The first namespace with nsid >= @nsid: its index, or num_ns. */
static uint32_t ns_lower(const struct hmlm_extents *set, uint32_t nsid)
{
	uint32_t lo = 0, hi = set->num_ns;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (set->ns[mid].nsid < nsid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct ns_set *ns_get(const struct hmlm_extents *set, uint32_t nsid)
{
	uint32_t i = ns_lower(set, nsid);

	return i < set->num_ns && set->ns[i].nsid == nsid ? &set->ns[i] : NULL;
}

HMLM_EXPORT int hmlm_extents_add_ns(struct hmlm_extents *set, uint32_t nsid,
				    uint64_t nlbas, uint32_t lba_size,
				    uint64_t granularity)
{
	struct ns_set *ns, *tmp;
	uint32_t i;

	if (!set || !nsid || nsid == HMLM_NSID_ALL || !nlbas || !lba_size ||
	    nlbas > UINT64_MAX / lba_size)
		return -EINVAL;
	if (ns_get(set, nsid))
		return -EEXIST;
	if ((size_t)set->num_ns + 1 > set->max)
		return -ENOSPC;	/* each namespace may need one extent */
	tmp = realloc(set->ns, sizeof(*set->ns) * (set->num_ns + 1));
	if (!tmp)
		return -ENOMEM;
	set->ns = tmp;
	i = ns_lower(set, nsid);
	memmove(&set->ns[i + 1], &set->ns[i],
		sizeof(*set->ns) * (set->num_ns - i));
	ns = &set->ns[i];
	memset(ns, 0, sizeof(*ns));
	ns->cap = 4;
	ns->v = malloc(sizeof(*ns->v) * ns->cap);
	if (!ns->v) {
		memmove(&set->ns[i], &set->ns[i + 1],
			sizeof(*set->ns) * (set->num_ns - i));
		return -ENOMEM;
	}
	ns->nsid = nsid;
	ns->lba_size = lba_size;
	ns->nlbas = nlbas;
	ns->gran = granularity ? granularity : 1;
	set->num_ns++;
	return 0;
}

/* Rounds [*s, *e) out to @g blocks, within [0, nlbas). */
static void round_out(uint64_t *s, uint64_t *e, uint64_t g, uint64_t nlbas)
{
	uint64_t r = *e % g;

	*s -= *s % g;
	if (r) {
		uint64_t base = *e - r;

		*e = g > nlbas - base ? nlbas : base + g;
	}
}

static void set_whole(struct hmlm_extents *set, struct ns_set *ns)
{
	set->count -= ns->n;
	ns->v[0] = (struct ext){ 0, ns->nlbas };
	ns->n = 1;
	ns->blocks = ns->nlbas;
	set->count++;
}

/* Doubles the granularity of @ns and re-merges its extents. */
static void coarsen(struct hmlm_extents *set, struct ns_set *ns)
{
	size_t i, out = 0;

	if (ns->gran < ns->nlbas)
		ns->gran = ns->gran > UINT64_MAX / 2 ? UINT64_MAX : ns->gran * 2;
	ns->blocks = 0;
	for (i = 0; i < ns->n; i++) {
		struct ext x = ns->v[i];

		round_out(&x.s, &x.e, ns->gran, ns->nlbas);
		if (out && x.s <= ns->v[out - 1].e) {
			if (x.e > ns->v[out - 1].e)
				ns->v[out - 1].e = x.e;
		} else {
			ns->v[out++] = x;
		}
	}
	for (i = 0; i < out; i++)
		ns->blocks += ns->v[i].e - ns->v[i].s;
	set->count -= ns->n - out;
	ns->n = out;
}

static void enforce_bound(struct hmlm_extents *set)
{
	while (set->count > set->max) {
		struct ns_set *big = NULL;
		uint32_t i;

		for (i = 0; i < set->num_ns; i++)
			if (!big || set->ns[i].n > big->n)
				big = &set->ns[i];
		coarsen(set, big);
	}
}

/* Room for one more extent; false when memory is short. */
static bool reserve(struct ns_set *ns)
{
	struct ext *v;
	size_t cap;

	if (ns->n < ns->cap)
		return true;
	cap = ns->cap * 2;
	v = realloc(ns->v, sizeof(*v) * cap);
	if (!v)
		return false;
	ns->v = v;
	ns->cap = cap;
	return true;
}

/* The first extent with e >= @pos (touching or after @pos). */
static size_t first_end_ge(const struct ns_set *ns, uint64_t pos)
{
	size_t lo = 0, hi = ns->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ns->v[mid].e < pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The first extent with s > @pos (strictly after), or s >= @pos. */
static size_t first_start_after(const struct ns_set *ns, uint64_t pos,
				bool inclusive)
{
	size_t lo = 0, hi = ns->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (inclusive ? ns->v[mid].s < pos : ns->v[mid].s <= pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int lookup_range(const struct hmlm_extents *set, uint32_t nsid,
			uint64_t slba, uint64_t nlb, struct ns_set **nsp)
{
	struct ns_set *ns;

	if (!set || !nlb)
		return -EINVAL;
	ns = ns_get(set, nsid);
	if (!ns)
		return -ENOENT;
	if (slba >= ns->nlbas || nlb > ns->nlbas - slba)
		return -ERANGE;
	*nsp = ns;
	return 0;
}

HMLM_EXPORT int hmlm_extents_add(struct hmlm_extents *set, uint32_t nsid,
				 uint64_t slba, uint64_t nlb)
{
	struct ns_set *ns;
	uint64_t s = slba, e;
	size_t i, j, k;
	int ret;

	ret = lookup_range(set, nsid, slba, nlb, &ns);
	if (ret)
		return ret;
	e = slba + nlb;
	round_out(&s, &e, ns->gran, ns->nlbas);
	i = first_end_ge(ns, s);		/* touches or follows s */
	j = first_start_after(ns, e, false);	/* after e: not merged */
	if (i == j) {
		if (!reserve(ns)) {
			/* never lose a dirty LBA: fall back to all of them */
			set_whole(set, ns);
			enforce_bound(set);
			return 0;
		}
		memmove(&ns->v[i + 1], &ns->v[i], sizeof(*ns->v) * (ns->n - i));
		ns->v[i] = (struct ext){ s, e };
		ns->n++;
		set->count++;
		ns->blocks += e - s;
	} else {
		if (ns->v[i].s < s)
			s = ns->v[i].s;
		if (ns->v[j - 1].e > e)
			e = ns->v[j - 1].e;
		for (k = i; k < j; k++)
			ns->blocks -= ns->v[k].e - ns->v[k].s;
		ns->v[i] = (struct ext){ s, e };
		ns->blocks += e - s;
		memmove(&ns->v[i + 1], &ns->v[j], sizeof(*ns->v) * (ns->n - j));
		ns->n -= j - i - 1;
		set->count -= j - i - 1;
	}
	enforce_bound(set);
	return 0;
}

HMLM_EXPORT int hmlm_extents_mark_all(struct hmlm_extents *set, uint32_t nsid)
{
	struct ns_set *ns;
	uint32_t i;

	if (!set)
		return -EINVAL;
	if (nsid == HMLM_NSID_ALL) {
		for (i = 0; i < set->num_ns; i++)
			set_whole(set, &set->ns[i]);
		return 0;
	}
	ns = ns_get(set, nsid);
	if (!ns)
		return -ENOENT;
	set_whole(set, ns);
	/* an empty namespace gains an extent: the others may coarsen */
	enforce_bound(set);
	return 0;
}

HMLM_EXPORT int hmlm_extents_remove(struct hmlm_extents *set, uint32_t nsid,
				    uint64_t slba, uint64_t nlb)
{
	struct ext piece[2];
	struct ns_set *ns;
	uint64_t s = slba, e;
	size_t i, j, k, np = 0;
	int ret;

	ret = lookup_range(set, nsid, slba, nlb, &ns);
	if (ret)
		return ret;
	e = slba + nlb;
	i = first_end_ge(ns, s + 1);		/* overlaps: e > s */
	j = first_start_after(ns, e, true);	/* s >= e: untouched */
	if (i >= j)
		return 0;
	if (ns->v[i].s < s)
		piece[np++] = (struct ext){ ns->v[i].s, s };
	if (ns->v[j - 1].e > e)
		piece[np++] = (struct ext){ e, ns->v[j - 1].e };
	if (np > j - i && !reserve(ns)) {
		/* cannot split: keep the extent whole (over-reports) */
		return 0;
	}
	for (k = i; k < j; k++)
		ns->blocks -= ns->v[k].e - ns->v[k].s;
	for (k = 0; k < np; k++)
		ns->blocks += piece[k].e - piece[k].s;
	memmove(&ns->v[i + np], &ns->v[j], sizeof(*ns->v) * (ns->n - j));
	memcpy(&ns->v[i], piece, sizeof(*piece) * np);
	ns->n = ns->n - (j - i) + np;
	set->count = set->count - (j - i) + np;
	enforce_bound(set);
	return 0;
}

HMLM_EXPORT int hmlm_extents_next(const struct hmlm_extents *set,
				  struct hmlm_extent *ext)
{
	uint64_t pos;
	uint32_t i;

	if (!set || !ext)
		return -EINVAL;
	pos = ext->slba + ext->nlb;
	if (pos < ext->slba)
		pos = UINT64_MAX;
	for (i = ns_lower(set, ext->nsid); i < set->num_ns; i++) {
		const struct ns_set *ns = &set->ns[i];
		size_t k = 0;

		if (ns->nsid == ext->nsid)
			k = first_start_after(ns, pos, true);
		if (k < ns->n) {
			ext->nsid = ns->nsid;
			ext->rsvd = 0;
			ext->slba = ns->v[k].s;
			ext->nlb = ns->v[k].e - ns->v[k].s;
			return 1;
		}
	}
	return 0;
}

HMLM_EXPORT size_t hmlm_extents_count(const struct hmlm_extents *set)
{
	return set ? set->count : 0;
}

HMLM_EXPORT uint64_t hmlm_extents_bytes(const struct hmlm_extents *set,
					uint32_t nsid)
{
	uint64_t sum = 0;
	uint32_t i;

	if (!set)
		return 0;
	for (i = 0; i < set->num_ns; i++) {
		const struct ns_set *ns = &set->ns[i];
		uint64_t b = ns->blocks * ns->lba_size;

		if (nsid != HMLM_NSID_ALL && ns->nsid != nsid)
			continue;
		sum = b > UINT64_MAX - sum ? UINT64_MAX : sum + b;
	}
	return sum;
}

HMLM_EXPORT uint64_t hmlm_extents_granularity(const struct hmlm_extents *set,
					      uint32_t nsid)
{
	const struct ns_set *ns = set ? ns_get(set, nsid) : NULL;

	return ns ? ns->gran : 0;
}
