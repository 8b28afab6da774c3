// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The one place that talks to /dev/nvme-hmlm: the kernel's return
 * convention (-1/errno, or a positive NVMe status) becomes libhmlm's
 * (-errno; -EIO with the status kept).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"

int hmlm_dev_open(void)
{
	int fd = open(HMLM_DEV_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int hmlm_open_nvme(const char *nvme_dev)
{
	int fd;

	if (!nvme_dev)
		return -EINVAL;
	fd = open(nvme_dev, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int hmlm_ioctl(int fd, unsigned long cmd, void *arg, uint16_t *nvme_status)
{
	int ret = ioctl(fd, cmd, arg);

	if (ret < 0)
		return -errno;
	if (ret > 0) {
		if (nvme_status)
			*nvme_status = (uint16_t)ret;
		return -EIO;
	}
	return 0;
}
