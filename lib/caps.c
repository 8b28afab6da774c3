// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Capability discovery: what a controller offers, its secondary
 * controllers, and which CNTLID a VF is.
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/nvme_hmlm.h>

#include "internal.h"

void hmlm_caps_from_kernel(struct hmlm_caps *caps,
			   const struct nvme_hmlm_get_caps *k)
{
	unsigned int i;

	memset(caps, 0, sizeof(*caps));
	caps->size = sizeof(*caps);
	if (k->out_caps & NVME_HMLM_CAPS_HMLMS)
		caps->flags |= HMLM_CAP_HMLMS;
	if (k->out_caps & NVME_HMLM_CAPS_RALBAS)
		caps->flags |= HMLM_CAP_RALBAS;
	if (k->out_caps & NVME_HMLM_CAPS_SEC_LIST)
		caps->flags |= HMLM_CAP_SEC_LIST;
	if (k->out_caps & NVME_HMLM_CAPS_STATE_FMTS)
		caps->flags |= HMLM_CAP_STATE_FMTS;
	if (k->out_trattr & 0x1)
		caps->flags |= HMLM_CAP_TRACK_MEM;
	if (k->out_trattr & 0x2)
		caps->flags |= HMLM_CAP_TRACK_LBA;
	if (k->out_trattr & 0x4)
		caps->flags |= HMLM_CAP_MRTLL;
	caps->cntlid = k->out_cntlid;
	caps->oacs = k->out_oacs;
	caps->max_xfer = k->out_max_xfer;
	caps->min_mem_gran = k->out_minmrtg;
	caps->max_mem_gran = k->out_maxmrtg;
	caps->max_mem_ranges = k->out_cmmrtd;
	caps->max_mem_ranges_subsys = k->out_nmmrtd;
	caps->max_udmq = k->out_mcudmq;
	caps->max_udmq_subsys = k->out_mnsudmq;
	caps->max_cdq_ranges = k->out_mcmr;
	caps->max_cdq_ranges_subsys = k->out_nmcmr;
	caps->max_cdq_prps = k->out_mcdqpc;
	caps->lba_mq_format = k->out_lbamqf;
	caps->num_state_versions = k->out_state_nv;
	caps->num_state_uuids = k->out_state_nuuid;
	for (i = 0; i < HMLM_MAX_STATE_FORMATS; i++) {
		caps->state_versions[i] = k->out_state_vers[i];
		memcpy(caps->state_uuids[i], k->out_state_uuids[i], 16);
	}
}

/*
 * One GET_CAPS call; @sec and @sec_num as the ioctl's secondary list
 * protocol (EMSGSIZE tells the count needed).
 */
static int get_caps(const char *nvme_dev, struct nvme_hmlm_get_caps *k,
		    struct nvme_hmlm_sec_ctrl *sec, uint32_t sec_num,
		    uint16_t *nvme_status)
{
	int dev, nvme, ret;

	nvme = hmlm_open_nvme(nvme_dev);
	if (nvme < 0)
		return nvme;
	dev = hmlm_dev_open();
	if (dev < 0) {
		close(nvme);
		return dev;
	}
	memset(k, 0, sizeof(*k));
	k->size = sizeof(*k);
	k->nvme_fd = nvme;
	k->sec_num = sec_num;
	k->sec_uptr = (uintptr_t)sec;
	ret = hmlm_ioctl(dev, NVME_HMLM_GET_CAPS, k, nvme_status);
	close(dev);
	close(nvme);
	return ret;
}

/* the 0.4 layout ends with state_uuids (and the padding to 4 bytes) */
#define CAPS_VER0_END	(offsetof(struct hmlm_caps, state_uuids) + \
			 sizeof(((struct hmlm_caps *)0)->state_uuids))
#define CAPS_ALIGN	_Alignof(struct hmlm_caps)
_Static_assert(HMLM_CAPS_SIZE_VER0 ==
	       (CAPS_VER0_END + CAPS_ALIGN - 1) / CAPS_ALIGN * CAPS_ALIGN,
	       "the 0.4 caps layout");

HMLM_EXPORT int hmlm_get_caps(const char *nvme_dev, struct hmlm_caps *caps)
{
	struct nvme_hmlm_get_caps k;
	struct hmlm_caps c;
	uint16_t status = 0;
	int ret;

	if (!caps || caps->size < HMLM_CAPS_SIZE_VER0)
		return -EINVAL;
	ret = get_caps(nvme_dev, &k, NULL, 0, &status);
	if (ret == -EMSGSIZE)	/* the count is known; entries not wanted */
		ret = 0;
	if (ret && ret != -EIO)
		return ret;
	memset(&c, 0, sizeof(c));
	if (ret)
		c.nvme_status = status;
	else
		hmlm_caps_from_kernel(&c, &k);
	hmlm_struct_out(caps, caps->size, &c, sizeof(c));
	return ret;
}

/* hmlm_list_secondary(): EMSGSIZE answers followed, entries at most */
#define SEC_LIST_TRIES	4
#define SEC_LIST_MAX	65535

HMLM_EXPORT int hmlm_list_secondary(const char *nvme_dev,
				    struct hmlm_secondary **list)
{
	struct nvme_hmlm_sec_ctrl *sec = NULL;
	struct nvme_hmlm_get_caps k;
	struct hmlm_secondary *out;
	uint32_t want = 0, i;
	int ret, tries;

	if (!list)
		return -EINVAL;
	*list = NULL;
	/*
	 * The list can grow between the calls (VFs enabled): ask until it
	 * fits, a few times. The count the kernel answers is checked against
	 * the room given, never trusted to index the buffer.
	 */
	for (tries = 0;; tries++) {
		ret = get_caps(nvme_dev, &k, sec, want, NULL);
		if (ret != -EMSGSIZE)
			break;
		free(sec);
		sec = NULL;
		if (tries == SEC_LIST_TRIES)
			return -EAGAIN;
		if (k.sec_num <= want || k.sec_num > SEC_LIST_MAX)
			return -EPROTO;
		want = k.sec_num;
		sec = calloc(want, sizeof(*sec));
		if (!sec)
			return -ENOMEM;
	}
	if (ret) {
		free(sec);
		return ret;
	}
	if (!(k.out_caps & NVME_HMLM_CAPS_SEC_LIST) || k.sec_num == 0) {
		free(sec);
		return 0;
	}
	if (k.sec_num > want) {
		free(sec);
		return -EPROTO;
	}
	out = calloc(k.sec_num, sizeof(*out));
	if (!out) {
		free(sec);
		return -ENOMEM;
	}
	for (i = 0; i < k.sec_num; i++) {
		out[i].cntlid = sec[i].scid;
		out[i].primary_cntlid = sec[i].pcid;
		out[i].vf = sec[i].vfn;
		out[i].queues = sec[i].nvq;
		out[i].interrupts = sec[i].nvi;
		out[i].online = sec[i].scs & NVME_HMLM_SCS_ONLINE;
	}
	free(sec);
	*list = out;
	return (int)k.sec_num;
}

/* "/dev/nvme3" -> "nvme3"; the sysfs name of a controller device. */
static const char *ctrl_name(const char *nvme_dev)
{
	const char *slash = strrchr(nvme_dev, '/');

	return slash ? slash + 1 : nvme_dev;
}

/* Which VF number the PCI function @bdf is of the PF behind @nvme_dev. */
static int vf_number_of(const char *nvme_dev, const char *bdf)
{
	char dir[PATH_MAX], link[PATH_MAX + 256], target[PATH_MAX];
	struct dirent *de;
	int vfn = -ENOENT;
	DIR *d;

	if (snprintf(dir, sizeof(dir), "/sys/class/nvme/%s/device",
		     ctrl_name(nvme_dev)) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		ssize_t n;
		const char *base;

		if (strncmp(de->d_name, "virtfn", 6))
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		base = strrchr(target, '/');
		base = base ? base + 1 : target;
		if (!strcmp(base, bdf)) {
			/* virtfn0 is VF1 */
			vfn = atoi(de->d_name + 6) + 1;
			break;
		}
	}
	closedir(d);
	return vfn;
}

HMLM_EXPORT int hmlm_vf_cntlid(const char *nvme_dev, const char *vf,
			       uint16_t *cntlid)
{
	struct hmlm_secondary *list;
	int vfn, n, i, ret = -ENOENT;
	char *end;

	if (!nvme_dev || !vf || !*vf || !cntlid)
		return -EINVAL;
	if (strchr(vf, ':')) {
		vfn = vf_number_of(nvme_dev, vf);
		if (vfn < 0)
			return vfn;
	} else {
		long v = strtol(vf, &end, 10);

		if (*end || v < 1 || v > 0xffff)
			return -EINVAL;
		vfn = (int)v;
	}
	n = hmlm_list_secondary(nvme_dev, &list);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		if (list[i].vf == vfn) {
			*cntlid = list[i].cntlid;
			ret = 0;
			break;
		}
	}
	free(list);
	return ret;
}
