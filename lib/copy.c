// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Namespace data through block devices: opened with O_DIRECT (so neither
 * side's page cache hides what the controller wrote), read and written in
 * LBA units from page-aligned buffers.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* O_DIRECT */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/fs.h>

#include "internal.h"
#include "migrate_int.h"

uint64_t hmlm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int hmlm_bdev_open(const char *path, int write, struct hmlm_bdev *b)
{
	int flags = (write ? O_RDWR : O_RDONLY) | O_CLOEXEC;
	struct stat st;
	uint64_t bytes;
	int lbs;

	memset(b, 0, sizeof(*b));
	b->fd = -1;
	if (!path)
		return -EINVAL;
	b->fd = open(path, flags | O_DIRECT);
	if (b->fd >= 0) {
		b->direct = 1;
	} else {
		/* a file system without O_DIRECT (tmpfs): a regular file */
		if (errno != EINVAL)
			return -errno;
		b->fd = open(path, flags);
		if (b->fd < 0)
			return -errno;
	}
	if (fstat(b->fd, &st))
		goto err;
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(b->fd, BLKGETSIZE64, &bytes) ||
		    ioctl(b->fd, BLKSSZGET, &lbs))
			goto err;
		b->lba_size = (uint32_t)lbs;
	} else if (S_ISREG(st.st_mode)) {
		bytes = (uint64_t)st.st_size;
		b->lba_size = 512;
	} else {
		errno = ENOTBLK;
		goto err;
	}
	if (!b->lba_size || b->lba_size & (b->lba_size - 1)) {
		errno = EINVAL;
		goto err;
	}
	b->nlbas = bytes / b->lba_size;
	return 0;
err:
	{
		int e = -errno;

		close(b->fd);
		b->fd = -1;
		return e;
	}
}

void hmlm_bdev_close(struct hmlm_bdev *b)
{
	if (b && b->fd >= 0) {
		close(b->fd);
		b->fd = -1;
	}
}

void *hmlm_buf_alloc(size_t len)
{
	void *p;

	if (posix_memalign(&p, 4096, len ? len : 4096))
		return NULL;
	return p;
}

static int range_ok(const struct hmlm_bdev *b, uint64_t slba, uint64_t nlb)
{
	return nlb && slba < b->nlbas && nlb <= b->nlbas - slba &&
	       nlb <= SIZE_MAX / b->lba_size;
}

int hmlm_bdev_read(const struct hmlm_bdev *b, uint64_t slba, uint64_t nlb,
		   void *buf)
{
	size_t len, done = 0;
	off_t off;

	if (!range_ok(b, slba, nlb))
		return -ERANGE;
	len = (size_t)(nlb * b->lba_size);
	off = (off_t)(slba * b->lba_size);
	while (done < len) {
		ssize_t n = pread(b->fd, (char *)buf + done, len - done,
				  off + (off_t)done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;	/* short device */
		done += (size_t)n;
	}
	return 0;
}

int hmlm_bdev_write(const struct hmlm_bdev *b, uint64_t slba, uint64_t nlb,
		    const void *buf)
{
	size_t len, done = 0;
	off_t off;

	if (!range_ok(b, slba, nlb))
		return -ERANGE;
	len = (size_t)(nlb * b->lba_size);
	off = (off_t)(slba * b->lba_size);
	while (done < len) {
		ssize_t n = pwrite(b->fd, (const char *)buf + done, len - done,
				   off + (off_t)done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

int hmlm_bdev_zero(const struct hmlm_bdev *b, uint64_t slba, uint64_t nlb)
{
	uint64_t range[2];
	uint64_t chunk = HMLM_COPY_BUF / b->lba_size;
	void *zero;
	int ret = 0;

	if (!range_ok(b, slba, nlb))
		return -ERANGE;
	range[0] = slba * b->lba_size;
	range[1] = nlb * b->lba_size;
	if (!ioctl(b->fd, BLKZEROOUT, range))
		return 0;
	zero = hmlm_buf_alloc(HMLM_COPY_BUF);
	if (!zero)
		return -ENOMEM;
	memset(zero, 0, HMLM_COPY_BUF);
	while (nlb && !ret) {
		uint64_t n = nlb < chunk ? nlb : chunk;

		ret = hmlm_bdev_write(b, slba, n, zero);
		slba += n;
		nlb -= n;
	}
	free(zero);
	return ret;
}

int hmlm_bdev_sync(const struct hmlm_bdev *b)
{
	return fsync(b->fd) ? -errno : 0;
}

/* A sysfs attribute, trailing blanks removed; 0 or -errno. */
static int read_attr(const char *path, char *out, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, out, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
		n--;
	out[n] = '\0';
	return 0;
}

/*
 * Is the block device @sb in the subsystem of the MMC @mmc_fd? 1 yes,
 * -EXDEV no, 0 when sysfs cannot tell.
 */
static int bdev_subsys(const struct stat *sb, int mmc_fd)
{
	char path[128], want[256], have[256];
	struct stat sc;

	if (mmc_fd < 0 || fstat(mmc_fd, &sc) || !S_ISCHR(sc.st_mode))
		return 0;
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/subsysnqn",
		 major(sc.st_rdev), minor(sc.st_rdev));
	if (read_attr(path, want, sizeof(want)))
		return 0;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/device/subsysnqn",
		 major(sb->st_rdev), minor(sb->st_rdev));
	if (read_attr(path, have, sizeof(have)))
		return 0;
	return strcmp(want, have) ? -EXDEV : 1;
}

/*
 * For a block device: is it namespace @nsid of the MMC's subsystem?
 * (A namespace disk is nvme<subsystem>n<nsid>, a controller nvme<N>: the
 * numbers need not agree, so the name proves nothing.) -EXDEV when the
 * subsystem differs, -EINVAL when the NSID does; 0 when it matches or
 * sysfs cannot tell (a regular file, no sysfs).
 */
int hmlm_bdev_check(const struct hmlm_bdev *b, int mmc_fd, uint32_t nsid)
{
	char path[128], v[32];
	struct stat sb;

	if (fstat(b->fd, &sb) || !S_ISBLK(sb.st_mode))
		return 0;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/nsid",
		 major(sb.st_rdev), minor(sb.st_rdev));
	if (!read_attr(path, v, sizeof(v)) && strtoul(v, NULL, 0) != nsid)
		return -EINVAL;
	return bdev_subsys(&sb, mmc_fd) < 0 ? -EXDEV : 0;
}

/* 1 when the block device is provably in the subsystem of the MMC. */
int hmlm_bdev_in_subsys(const struct hmlm_bdev *b, int mmc_fd)
{
	struct stat sb;

	if (fstat(b->fd, &sb) || !S_ISBLK(sb.st_mode))
		return 0;
	return bdev_subsys(&sb, mmc_fd) == 1;
}
