/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the nvme-hmlm guest selftests: the bench environment
 * (see bench-contract: HMLM_SRC_PF, HMLM_HMLM, ...), module loading and
 * thin ioctl wrappers. Include after kselftest_harness.h.
 */
#ifndef _HMLM_TEST_H
#define _HMLM_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include <nvme_lm.h>
#include <uapi/linux/nvme_hmlm.h>

#include "lib/bench.h"

#define HMLM_DEV	BENCH_HMLM_DEV
#define HMLM_MODNAME	BENCH_HMLM_MODNAME
#define HMLM_SYSMOD	BENCH_HMLM_SYSMOD
#define HMLM_MAX_VFS	16

/* ASSERT that @cmd fails with -1, EXPECT that errno is @e. */
#define EXPECT_ERRNO(e, cmd) do {			\
	int __want = (e);				\
	int __r = (cmd);				\
	int __e = errno;				\
	ASSERT_EQ(-1, __r);				\
	EXPECT_EQ(__want, __e) {			\
		TH_LOG("errno %d (%s), wanted %d (%s)",	\
		       __e, strerror(__e), __want,	\
		       strerror(__want));		\
	}						\
} while (0)

/**
 * struct hmlm_bench - the bench environment of the guest
 * @ok: The variables are there (we run on the bench).
 * @src_pf: /dev/nvmeX of the source PF (MMC).
 * @dst_pf: /dev/nvmeY of the destination PF.
 * @hmlm: HMLM_HMLM: the device model has hmlm=on.
 * @num_vfs: HMLM_NUM_VFS.
 * @src_ids: HMLM_SRC_CNTLIDS, VF1 first.
 * @n_src: Number of @src_ids.
 * @dst_ids: HMLM_DST_CNTLIDS.
 * @n_dst: Number of @dst_ids.
 */
struct hmlm_bench {
	bool		ok;
	const char	*src_pf;
	const char	*dst_pf;
	int		hmlm;
	int		num_vfs;
	int		src_ids[HMLM_MAX_VFS];
	int		n_src;
	int		dst_ids[HMLM_MAX_VFS];
	int		n_dst;
};

static inline int hmlm_parse_ids(const char *s, int *ids)
{
	int n = 0;
	char *end;

	while (s && *s && n < HMLM_MAX_VFS) {
		long v = strtol(s, &end, 0);

		if (end == s)
			break;
		ids[n++] = (int)v;
		s = end;
	}
	return n;
}

static inline void hmlm_bench_get(struct hmlm_bench *b)
{
	const char *h = getenv("HMLM_HMLM"), *n = getenv("HMLM_NUM_VFS");

	memset(b, 0, sizeof(*b));
	b->src_pf = getenv("HMLM_SRC_PF");
	b->dst_pf = getenv("HMLM_DST_PF");
	if (!b->src_pf || !b->dst_pf || !h || !n)
		return;
	b->hmlm = atoi(h);
	b->num_vfs = atoi(n);
	b->n_src = hmlm_parse_ids(getenv("HMLM_SRC_CNTLIDS"), b->src_ids);
	b->n_dst = hmlm_parse_ids(getenv("HMLM_DST_CNTLIDS"), b->dst_ids);
	b->ok = true;
}

/* CNTLID of /dev/nvmeX as nvme-core reports it in sysfs, or -1. */
static inline int hmlm_sysfs_cntlid(const char *dev)
{
	const char *base = strrchr(dev, '/');
	char path[256];

	snprintf(path, sizeof(path), "/sys/class/nvme/%s/cntlid",
		 base ? base + 1 : dev);
	return (int)bench_sysfs_long(path, -1);
}

static inline bool hmlm_module_loaded(void)
{
	return bench_module_loaded();
}

/* 0 or -errno of finit_module($HMLM_MODULE). */
static inline int hmlm_finit_module(void)
{
	return bench_finit_module(getenv("HMLM_MODULE"));
}

/* 0 or -errno of delete_module("nvme_hmlm"), as rmmod calls it. */
static inline int hmlm_delete_module(void)
{
	return syscall(SYS_delete_module, HMLM_MODNAME, O_NONBLOCK) ? -errno : 0;
}

/* Wait up to 5 s for /dev/nvme-hmlm to exist (@present) or not. */
static inline bool hmlm_wait_dev(bool present)
{
	return bench_wait_hmlm_dev(present);
}

/* Load the module unless it is loaded; 0 or -errno. */
static inline int hmlm_ensure_loaded(void)
{
	return bench_load_module(getenv("HMLM_MODULE"));
}

static inline int hmlm_open(void)
{
	return open(HMLM_DEV, O_RDWR | O_CLOEXEC);
}

static inline void hmlm_caps_init(struct nvme_hmlm_get_caps *c, int nvme_fd,
				  struct nvme_hmlm_sec_ctrl *ents,
				  unsigned int n)
{
	memset(c, 0, sizeof(*c));
	c->size = sizeof(*c);
	c->nvme_fd = nvme_fd;
	c->sec_num = n;
	c->sec_uptr = (uintptr_t)ents;
}

static inline void hmlm_bind_init(struct nvme_hmlm_bind *b, int nvme_fd,
				  int cntlid)
{
	memset(b, 0, sizeof(*b));
	b->size = sizeof(*b);
	b->nvme_fd = nvme_fd;
	b->cntlid = (__u16)cntlid;
}

/* ioctl(NVME_HMLM_BIND) on session @hfd; returns what ioctl() returns. */
static inline int hmlm_bind(int hfd, int nvme_fd, int cntlid)
{
	struct nvme_hmlm_bind b;

	hmlm_bind_init(&b, nvme_fd, cntlid);
	return ioctl(hfd, NVME_HMLM_BIND, &b);
}

/* Drop CAP_SYS_ADMIN from every set of this process; 0 or -1. */
static inline int hmlm_drop_sys_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];
	unsigned int i = CAP_SYS_ADMIN / 32, bit = 1U << (CAP_SYS_ADMIN % 32);

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[i].effective &= ~bit;
	d[i].permitted &= ~bit;
	d[i].inheritable &= ~bit;
	return syscall(SYS_capset, &h, d) ? -1 : 0;
}

/*
 * A session bound to (@pf, @cntlid): returns the session fd (and the
 * /dev/nvmeX fd in *@nfd when not NULL, else it is closed), or -errno /
 * +status of the bind.
 */
static inline int hmlm_session(const char *pf, int cntlid, int *nfd)
{
	int hfd, fd, r, e;

	if (hmlm_ensure_loaded())
		return -ENODEV;
	fd = open(pf, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	hfd = hmlm_open();
	if (hfd < 0) {
		e = -errno;
		close(fd);
		return e;
	}
	r = hmlm_bind(hfd, fd, cntlid);
	e = errno;
	if (r) {
		close(hfd);
		close(fd);
		return r < 0 ? -e : r;
	}
	if (nfd)
		*nfd = fd;
	else
		close(fd);
	return hfd;
}

/* ioctl() as 0, -errno, or the positive NVMe status. */
static inline int hmlm_ioc(int fd, unsigned long nr, void *arg)
{
	int r = ioctl(fd, nr, arg);

	return r < 0 ? -errno : r;
}

static inline int hmlm_suspend(int hfd, __u32 flags)
{
	struct nvme_hmlm_suspend a = { .size = sizeof(a), .flags = flags };

	return hmlm_ioc(hfd, NVME_HMLM_SUSPEND, &a);
}

static inline int hmlm_resume(int hfd)
{
	struct nvme_hmlm_resume a = { .size = sizeof(a) };

	return hmlm_ioc(hfd, NVME_HMLM_RESUME, &a);
}

/* LOG_START with @entries slots; the log fd or -errno / +status. */
static inline int hmlm_log_start(int hfd, __u32 entries, __u32 flags)
{
	struct nvme_hmlm_log_start a = {
		.size = sizeof(a), .flags = flags, .entries = entries,
	};
	int r = hmlm_ioc(hfd, NVME_HMLM_LOG_START, &a);

	return r ? r : a.out_fd;
}

static inline int hmlm_log_stop(int lfd)
{
	struct nvme_hmlm_log_stop a = { .size = sizeof(a) };

	return hmlm_ioc(lfd, NVME_HMLM_LOG_STOP, &a);
}

static inline int hmlm_track(int hfd, __u32 op, __u8 gran,
			     struct nvme_hmlm_mem_range *r, __u32 *num)
{
	struct nvme_hmlm_track_mem a = {
		.size = sizeof(a), .op = op, .gran = gran,
		.num = num ? *num : 0, .ranges_uptr = (uintptr_t)r,
	};
	int ret = hmlm_ioc(hfd, NVME_HMLM_TRACK_MEM, &a);

	if (num && !ret)
		*num = a.num;
	return ret;
}

/* NVMe status (SCT, SC) without DNR/More. */
#define HMLM_SC(st)	((st) & 0x7ff)
#define HMLM_SC_NOT_SUSPENDED	0x13a
#define HMLM_SC_SUSPENDED	0x139
#define HMLM_SC_INVALID_FIELD	0x002
#define HMLM_SC_CMD_SEQ_ERROR	0x00c

/* DMA memory the module gave controllers (its dma_bytes parameter), or -1. */
static inline long hmlm_dma_bytes(void)
{
	char v[32];

	if (bench_sysfs_read(HMLM_SYSMOD "/parameters/dma_bytes", v, sizeof(v)))
		return -1;
	return atol(v);
}

/*
 * Read until @want records arrived (or @ms passed without one); poll()
 * first so that both blocking and non-blocking fds work. Returns the count
 * or -errno of a failed read.
 */
static inline int hmlm_read_recs(int lfd, struct nvme_hmlm_log_rec *r, int want, int ms)
{
	int n = 0;

	while (n < want) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		ssize_t got;

		if (poll(&p, 1, ms) <= 0)
			break;
		got = read(lfd, r + n, (want - n) * sizeof(*r));
		if (got < 0)
			return -errno;
		if (got == 0)
			break;
		if (got % sizeof(*r))
			return -EPROTO;
		n += got / sizeof(*r);
	}
	return n;
}

/*
 * A child that reads records from @lfd until read() fails or returns 0,
 * then writes the errno (0 for end of file) to the pipe returned in *@rfd
 * and exits. Returns its pid, or -1.
 */
static inline pid_t hmlm_reader_child(int lfd, int *rfd)
{
	struct nvme_hmlm_log_rec rec[16];
	int p[2], e;
	ssize_t n;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		close(p[0]);
		do {
			n = read(lfd, rec, sizeof(rec));
		} while (n > 0);
		e = n < 0 ? errno : 0;
		_exit(write(p[1], &e, sizeof(e)) == sizeof(e) ? 0 : 1);
	}
	close(p[1]);
	*rfd = p[0];
	return pid;
}

/*
 * What the reader child of hmlm_reader_child() reported within @ms: its
 * errno (0: end of file), or -ETIMEDOUT if it is still reading.
 */
static inline int hmlm_reader_result(int rfd, int ms)
{
	struct pollfd p = { .fd = rfd, .events = POLLIN };
	int e;

	if (poll(&p, 1, ms) != 1 || read(rfd, &e, sizeof(e)) != sizeof(e))
		return -ETIMEDOUT;
	return e;
}

#ifdef _UDRV_H
/*
 * A child that plays the VM on VF @bdf: it writes 8 LBAs at a time to
 * namespace 1 through the userspace driver, every few milliseconds, until
 * it is killed (or the VF goes away). Returns its pid once the first
 * write completed, or -1.
 */
static inline pid_t hmlm_io_child(const char *bdf)
{
	struct udrv_ctrl *c;
	__u64 lba = 0;
	int p[2];
	pid_t pid;
	char ok;
	void *buf;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		close(p[0]);
		buf = calloc(1, 8 * 512);
		if (!buf || udrv_open(bdf, NULL, &c))
			_exit(2);
		for (;;) {
			if (udrv_write(c, 1, 1, lba, 8, buf))
				_exit(3);
			if (p[1] >= 0) {
				ok = 1;
				if (write(p[1], &ok, 1) != 1)
					_exit(4);
				close(p[1]);
				p[1] = -1;
			}
			lba = (lba + 8) % 4096;
			usleep(5000);
		}
	}
	close(p[1]);
	if (read(p[0], &ok, 1) != 1) {
		close(p[0]);
		return -1;
	}
	close(p[0]);
	return pid;
}
#endif

#endif /* _HMLM_TEST_H */
