/* SPDX-License-Identifier: GPL-2.0 */
/*
 * End-to-end migration tests (selftests/e2e/): bench environment, module
 * loading, the PF's admin passthrough, block devices, and the "raw" and
 * "cli" migration engines (no module: Suspend, stop-and-copy of the data,
 * Get/Set Controller State, Resume) that serve as the baseline of the
 * benchmarks.
 */
#ifndef _E2E_COMMON_H
#define _E2E_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/nvme_ioctl.h>

#include <nvme_lm.h>
#include "bench.h"

#define E2E_MAX_VFS	2

struct e2e_side {
	char pf[32];			/* /dev/nvmeX */
	char pci[32];
	char vf[E2E_MAX_VFS][32];	/* VF PCI addresses, VF1 first */
	int cntlid[E2E_MAX_VFS];
	char bdev[96];			/* /dev/nvmeXn1 (or the multipath head) */
};

struct e2e_env {
	bool ok;
	int hmlm;
	int nvf;
	struct e2e_side side[2];	/* 0: src, 1: dst */
	const char *module;
};

static inline uint64_t e2e_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static inline void e2e_env_get(struct e2e_env *e)
{
	static const char *const pfx[2] = { "SRC", "DST" };
	char w[E2E_MAX_VFS][32], name[64];
	const char *s;
	int i, k, n;

	memset(e, 0, sizeof(*e));
	s = getenv("HMLM_HMLM");
	e->hmlm = s ? atoi(s) : 0;
	e->module = getenv("HMLM_MODULE");
	for (k = 0; k < 2; k++) {
		struct e2e_side *sd = &e->side[k];

		snprintf(name, sizeof(name), "HMLM_%s_PF", pfx[k]);
		s = getenv(name);
		if (!s || strlen(s) >= sizeof(sd->pf))
			return;
		strcpy(sd->pf, s);
		snprintf(name, sizeof(name), "HMLM_%s_PCI", pfx[k]);
		s = getenv(name);
		if (!s || strlen(s) >= sizeof(sd->pci))
			return;
		strcpy(sd->pci, s);
		snprintf(name, sizeof(name), "HMLM_%s_VFS", pfx[k]);
		n = bench_words(getenv(name), sd->vf, E2E_MAX_VFS);
		if (k && n != e->nvf)
			return;
		e->nvf = n;
		snprintf(name, sizeof(name), "HMLM_%s_CNTLIDS", pfx[k]);
		if (bench_words(getenv(name), w, E2E_MAX_VFS) != n || n < 1)
			return;
		for (i = 0; i < n; i++)
			sd->cntlid[i] = atoi(w[i]);
		if (bench_ns_blkdev(sd->pf, 1, sd->bdev, sizeof(sd->bdev)))
			sd->bdev[0] = 0;
	}
	e->ok = true;
}

/* ---- admin passthrough on a PF --------------------------------------- */

/* Status (SCT << 8 | SC, with DNR/More), or -errno. */
static inline int e2e_admin(int fd, uint8_t opc, uint32_t nsid, uint32_t cdw10, uint32_t cdw11,
			    uint32_t cdw12, uint32_t cdw13, uint32_t cdw15, void *buf,
			    uint32_t len, uint32_t *dw0)
{
	struct nvme_passthru_cmd64 pc;
	int rc;

	memset(&pc, 0, sizeof(pc));
	pc.opcode = opc;
	pc.nsid = nsid;
	pc.cdw10 = cdw10;
	pc.cdw11 = cdw11;
	pc.cdw12 = cdw12;
	pc.cdw13 = cdw13;
	pc.cdw15 = cdw15;
	pc.addr = (uintptr_t)buf;
	pc.data_len = buf ? len : 0;
	pc.timeout_ms = 60000;
	rc = ioctl(fd, NVME_IOCTL_ADMIN64_CMD, &pc);
	if (rc < 0)
		return -errno;
	if (dw0)
		*dw0 = (uint32_t)pc.result;
	return rc;
}

/* Round trip of one Identify Controller through the kernel, in ns. */
static inline int64_t e2e_admin_rtt_ns(int fd)
{
	static uint8_t id[4096];
	uint64_t t0 = e2e_now_ns();
	int rc = e2e_admin(fd, 0x06, 0, 1, 0, 0, 0, 0, id, sizeof(id), NULL);

	return rc ? (rc < 0 ? rc : -EIO) : (int64_t)(e2e_now_ns() - t0);
}

static inline int e2e_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static inline uint64_t e2e_median(uint64_t *v, unsigned int n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), e2e_cmp_u64);
	return v[n / 2];
}

/* ---- block devices ---------------------------------------------------- */

/* Discard (deallocate) the whole block device: reads return zeroes after. */
static inline int e2e_discard_all(const char *bdev)
{
	uint64_t range[2] = { 0, 0 };
	int fd = open(bdev, O_RDWR | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, BLKGETSIZE64, &range[1]) || ioctl(fd, BLKDISCARD, range))
		rc = -errno;
	close(fd);
	return rc;
}

#endif /* _E2E_COMMON_H */
