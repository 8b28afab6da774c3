// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A session: one open /dev/nvme-hmlm bound to (MMC, migratable CNTLID).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/nvme_hmlm.h>

#include "internal.h"

HMLM_EXPORT int hmlm_session_open(const char *mmc_dev, uint16_t cntlid,
				  struct hmlm_session **session)
{
	return hmlm_session_open_flags(mmc_dev, cntlid, 0, session);
}

HMLM_EXPORT int hmlm_session_open_flags(const char *mmc_dev, uint16_t cntlid,
					unsigned int flags,
					struct hmlm_session **session)
{
	struct nvme_hmlm_bind bind;
	struct hmlm_session *s;
	int nvme, ret;

	if (!session)
		return -EINVAL;
	*session = NULL;
	if (flags & ~HMLM_SESSION_DATA)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	nvme = hmlm_open_nvme(mmc_dev);
	if (nvme < 0) {
		ret = nvme;
		goto free_session;
	}
	s->fd = hmlm_dev_open();
	if (s->fd < 0) {
		ret = s->fd;
		goto close_nvme;
	}
	memset(&bind, 0, sizeof(bind));
	bind.size = sizeof(bind);
	bind.nvme_fd = nvme;
	bind.cntlid = cntlid;
	if (flags & HMLM_SESSION_DATA)
		bind.flags |= NVME_HMLM_BIND_DATA;
	ret = hmlm_ioctl(s->fd, NVME_HMLM_BIND, &bind, &s->nvme_status);
	if (ret)
		goto close_dev;
	s->mmc_fd = nvme;	/* kept for hmlm_session_caps() */
	s->cntlid = cntlid;
	s->mmc_cntlid = bind.out_mmc_cntlid;
	s->vf = bind.out_vfn;
	*session = s;
	return 0;

close_dev:
	close(s->fd);
close_nvme:
	close(nvme);
free_session:
	free(s);
	return ret;
}

HMLM_EXPORT void hmlm_session_close(struct hmlm_session *session)
{
	if (!session)
		return;
	close(session->fd);
	if (session->mmc_fd >= 0)
		close(session->mmc_fd);
	free(session);
}

HMLM_EXPORT int hmlm_session_fd(const struct hmlm_session *session)
{
	return session ? session->fd : -EINVAL;
}

HMLM_EXPORT uint16_t hmlm_session_cntlid(const struct hmlm_session *session)
{
	return session ? session->cntlid : 0;
}

HMLM_EXPORT uint16_t
hmlm_session_nvme_status(const struct hmlm_session *session)
{
	return session ? session->nvme_status : 0;
}

HMLM_EXPORT uint32_t hmlm_version(void)
{
	return HMLM_VERSION;
}

/*
 * A structure the caller gave the library to read (copy_struct_from_user()
 * rules): @usize bytes at @src into @dst of @ksize bytes. Below @minsize:
 * -EINVAL; fields the caller's size lacks read as zero; a larger size must
 * have only zeroes past @ksize, and be at most HMLM_STRUCT_MAX (-E2BIG).
 */
int hmlm_struct_in(void *dst, size_t ksize, const void *src, size_t usize,
		   size_t minsize)
{
	const unsigned char *tail = (const unsigned char *)src + ksize;
	size_t i;

	if (usize < minsize)
		return -EINVAL;
	if (usize > HMLM_STRUCT_MAX)	/* as perf_event_attr: a page */
		return -E2BIG;
	for (i = 0; usize > ksize && i < usize - ksize; i++)
		if (tail[i])
			return -E2BIG;
	memset(dst, 0, ksize);
	memcpy(dst, src, usize < ksize ? usize : ksize);
	return 0;
}

/*
 * A structure the library fills for the caller: min(@usize, @ksize) bytes
 * of @src to @dst, whose leading uint32_t size is then set to that count.
 */
void hmlm_struct_out(void *dst, uint32_t usize, const void *src, size_t ksize)
{
	uint32_t n = usize < ksize ? usize : (uint32_t)ksize;

	memcpy(dst, src, n);
	memcpy(dst, &n, sizeof(n));
}
