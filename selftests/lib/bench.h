/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the guest tests and the polled userspace driver:
 * the bench environment (HMLM_* variables, see Documentation/testing.rst),
 * sysfs attributes, the block device of a namespace, PCI command bits and
 * loading nvme-hmlm.ko. Everything is static inline and prefixed bench_,
 * so any program can include it next to its own helpers (hmlm_test.h,
 * dm_common.h, e2e_common.h, the library's hmlm.h).
 */
#ifndef _HMLM_BENCH_H
#define _HMLM_BENCH_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define BENCH_HMLM_DEV		"/dev/nvme-hmlm"
#define BENCH_HMLM_MODNAME	"nvme_hmlm"
#define BENCH_HMLM_SYSMOD	"/sys/module/" BENCH_HMLM_MODNAME

/* ---- the bench environment ----------------------------------------------- */

/* Word @idx (0-based) of the space-separated list @s in @buf, or NULL. */
static inline const char *bench_word(const char *s, int idx, char *buf, size_t len)
{
	int i = 0;

	while (s && *s) {
		size_t n;

		while (*s == ' ')
			s++;
		if (!*s)
			break;
		n = strcspn(s, " ");
		if (i++ == idx) {
			if (n >= len)
				return NULL;
			memcpy(buf, s, n);
			buf[n] = 0;
			return buf;
		}
		s += n;
	}
	return NULL;
}

/* Word @idx (0-based) of the environment variable @name, or NULL. */
static inline const char *bench_env_word(const char *name, int idx, char *buf, size_t len)
{
	return bench_word(getenv(name), idx, buf, len);
}

#define BENCH_WORD_LEN	32

/* The first words of @s (up to @max, each shorter than 32); how many. */
static inline int bench_words(const char *s, char out[][BENCH_WORD_LEN], int max)
{
	int n = 0;

	while (n < max && bench_word(s, n, out[n], BENCH_WORD_LEN))
		n++;
	return n;
}

/* ---- sysfs ---------------------------------------------------------------- */

/* Contents of @path without trailing newlines and blanks; 0 or -errno. */
static inline int bench_sysfs_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return 0;
}

/* The number in @path (decimal, 0x hex), or @def when there is none. */
static inline long bench_sysfs_long(const char *path, long def)
{
	char v[32], *end;
	long x;

	if (bench_sysfs_read(path, v, sizeof(v)))
		return def;
	x = strtol(v, &end, 0);
	return end == v ? def : x;
}

/* Write @val to @path; 0 or -errno. */
static inline int bench_sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/*
 * Block device of namespace @nsid of controller @ctrl_dev (/dev/nvmeX),
 * found through sysfs, so it follows the kernel's current names (a test
 * that rebinds a PF may get other ones than the bench's HMLM_*_NS<n>).
 * The H of nvmeSnH / nvmeScXnH is an instance number, not the NSID: the
 * kernel scans namespaces in parallel, so the disk's nsid attribute
 * decides. With native multipath the controller holds the hidden path
 * nvmeScXnH and the disk to open is the head nvmeSnH; without it, the
 * controller holds nvmeXnH itself. 0 or -errno.
 */
static inline int bench_ns_blkdev(const char *ctrl_dev, uint32_t nsid, char *out, size_t len)
{
	const char *name = strrchr(ctrl_dev, '/');
	unsigned int s, c, h;
	char p[256], disk[64];
	struct dirent *d;
	DIR *dir;
	int rc = -ENOENT;

	name = name ? name + 1 : ctrl_dev;
	snprintf(p, sizeof(p), "/sys/class/nvme/%.64s", name);
	dir = opendir(p);
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		if (sscanf(d->d_name, "nvme%uc%un%u", &s, &c, &h) == 3)
			snprintf(disk, sizeof(disk), "nvme%un%u", s, h);
		else if (sscanf(d->d_name, "nvme%un%u", &c, &h) == 2)
			snprintf(disk, sizeof(disk), "%.60s", d->d_name);
		else
			continue;
		snprintf(p, sizeof(p), "/sys/block/%s/nsid", disk);
		if (bench_sysfs_long(p, -1) != (long)nsid)
			continue;
		if ((size_t)snprintf(out, len, "/dev/%s", disk) >= len)
			rc = -ENAMETOOLONG;
		else
			rc = 0;
		break;
	}
	closedir(dir);
	if (!rc && access(out, F_OK))
		rc = -ENOENT;
	return rc;
}

/* ---- PCI ------------------------------------------------------------------ */

/*
 * Memory Space and Bus Master on (INTx off) for an unbound function, as a
 * VMM restores a VF's config space on the migration target before it
 * resumes: the controller fetches the commands queued at suspend as soon
 * as it runs, and a DMA without Bus Master fails it (CSTS.CFS). 0 or -errno.
 */
static inline int bench_pci_enable_bm(const char *pci)
{
	char p[128];
	uint16_t cmd;
	int fd, rc;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/enable", pci);
	rc = bench_sysfs_write(p, "1");
	if (rc && rc != -EIO)
		return rc;
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/config", pci);
	fd = open(p, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = 0;
	if (pread(fd, &cmd, 2, 4) != 2) {
		rc = -EIO;
	} else {
		cmd |= (1u << 1) | (1u << 2) | (1u << 10);	/* MSE, BME, INTx off */
		if (pwrite(fd, &cmd, 2, 4) != 2)
			rc = -EIO;
	}
	close(fd);
	return rc;
}

/* ---- the module ----------------------------------------------------------- */

static inline bool bench_module_loaded(void)
{
	return access(BENCH_HMLM_SYSMOD, F_OK) == 0;
}

/* 0 or -errno of finit_module(@path) (-ENOENT without a path). */
static inline int bench_finit_module(const char *path)
{
	int fd, ret, err;

	if (!path)
		return -ENOENT;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0);
	err = errno;
	close(fd);
	return ret ? -err : 0;
}

/*
 * Wait up to 5 s for /dev/nvme-hmlm to exist (@present) or not. If
 * devtmpfs does not create the node, make it from sysfs.
 */
static inline bool bench_wait_hmlm_dev(bool present)
{
	unsigned int maj, min;
	int i;

	for (i = 0; i < 100; i++) {
		if ((access(BENCH_HMLM_DEV, F_OK) == 0) == present)
			return true;
		if (present && i == 20) {
			FILE *f = fopen("/sys/class/misc/nvme-hmlm/dev", "r");

			if (f && fscanf(f, "%u:%u", &maj, &min) == 2)
				mknod(BENCH_HMLM_DEV, S_IFCHR | 0600, makedev(maj, min));
			if (f)
				fclose(f);
		}
		usleep(50000);
	}
	return false;
}

/* Load @path (HMLM_MODULE) unless the module is loaded, wait for its node. */
static inline int bench_load_module(const char *path)
{
	int ret = 0;

	if (!bench_module_loaded()) {
		ret = bench_finit_module(path);
		if (ret == -EEXIST)
			ret = 0;
	}
	if (!ret && !bench_wait_hmlm_dev(true))
		ret = -ENODEV;
	return ret;
}

#endif /* _HMLM_BENCH_H */
