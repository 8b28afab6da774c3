// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Host memory tracking: Track Send (Track Memory Changes) and Track
 * Receive through TRACK_MEM, with ranges in bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/nvme_hmlm.h>
#include "nvme_lm.h"

#include "internal.h"

#define GRAN_BYTES(g)	(4096ULL << (g))

HMLM_EXPORT int hmlm_mem_track_start(struct hmlm_session *session,
				     const struct hmlm_mem_range *ranges,
				     unsigned int nr, uint8_t gran,
				     struct hmlm_mem_limits *limits)
{
	struct nvme_hmlm_track_mem k;
	struct nvme_hmlm_mem_range *kr;
	uint64_t g;
	unsigned int i;
	int ret;

	if (!session || !ranges || !nr || nr > NVME_HMLM_TRACK_MAX_RANGES ||
	    gran > 40)
		return -EINVAL;
	g = GRAN_BYTES(gran);
	kr = calloc(nr, sizeof(*kr));
	if (!kr)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		uint64_t units = (ranges[i].len + g - 1) / g;

		if (ranges[i].addr % g || !ranges[i].len || units > UINT32_MAX) {
			free(kr);
			return -EINVAL;
		}
		kr[i].addr = ranges[i].addr;
		kr[i].len = (uint32_t)units;
	}
	memset(&k, 0, sizeof(k));
	k.size = sizeof(k);
	k.op = NVME_HMLM_TRACK_START;
	k.gran = gran;
	k.num = nr;
	k.ranges_uptr = (uintptr_t)kr;
	ret = hmlm_ioctl(session->fd, NVME_HMLM_TRACK_MEM, &k,
			 &session->nvme_status);
	free(kr);
	if (ret == -EIO &&
	    NVME_LM_STATUS_SCT(session->nvme_status) == NVME_LM_SCT_CMD_SPECIFIC &&
	    NVME_LM_STATUS_SC(session->nvme_status) == NVME_LM_SC_NOT_ENOUGH_RES) {
		if (limits) {
			limits->min_gran = k.out_gran;
			limits->max_ranges = k.out_max_ranges;
		}
		return -ENOSPC;
	}
	return ret;
}

HMLM_EXPORT int hmlm_mem_track_recv(struct hmlm_session *session,
				    struct hmlm_mem_range *ranges,
				    unsigned int max, unsigned int *attrs)
{
	struct nvme_hmlm_track_mem k;
	struct nvme_hmlm_mem_range *kr;
	unsigned int i;
	uint64_t g;
	int ret;

	if (!session || !ranges || !max)
		return -EINVAL;
	if (max > NVME_HMLM_TRACK_MAX_RANGES)
		max = NVME_HMLM_TRACK_MAX_RANGES;
	kr = calloc(max, sizeof(*kr));
	if (!kr)
		return -ENOMEM;
	memset(&k, 0, sizeof(k));
	k.size = sizeof(k);
	k.op = NVME_HMLM_TRACK_RECV;
	k.num = max;
	k.ranges_uptr = (uintptr_t)kr;
	ret = hmlm_ioctl(session->fd, NVME_HMLM_TRACK_MEM, &k,
			 &session->nvme_status);
	if (ret) {
		free(kr);
		return ret;
	}
	if (k.num > max || k.out_gran > 40) {
		free(kr);
		return -EPROTO;
	}
	g = GRAN_BYTES(k.out_gran);
	for (i = 0; i < k.num; i++) {
		ranges[i].addr = kr[i].addr;
		ranges[i].len = (uint64_t)kr[i].len * g;
	}
	free(kr);
	if (attrs) {
		*attrs = 0;
		if (k.out_attrs & NVME_HMLM_TRACK_MTR)
			*attrs |= HMLM_MEM_MORE;
		if (k.out_attrs & NVME_HMLM_TRACK_SUSP)
			*attrs |= HMLM_MEM_SUSPENDED;
	}
	return (int)k.num;
}

HMLM_EXPORT int hmlm_mem_track_stop(struct hmlm_session *session)
{
	struct nvme_hmlm_track_mem k;

	if (!session)
		return -EINVAL;
	memset(&k, 0, sizeof(k));
	k.size = sizeof(k);
	k.op = NVME_HMLM_TRACK_STOP;
	return hmlm_ioctl(session->fd, NVME_HMLM_TRACK_MEM, &k,
			  &session->nvme_status);
}
