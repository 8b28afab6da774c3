/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A scripted nvme-hmlm device for the host tests, behind hmlm_mock.so:
 * two MMCs (the session bound to SRC_CNTLID acts on "src", DST_CNTLID on
 * "dst"), a migration queue that is a pipe the test can push records into,
 * allocated ranges, a controller state blob, memory tracking.
 */
#ifndef FAKEDEV_H
#define FAKEDEV_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/nvme_hmlm.h>

#include "hmlm_mock.h"

#define SRC_CNTLID	2
#define DST_CNTLID	3
#define ST_NOT_SUSP	0x13a	/* SCT 1, SC 3Ah: Controller Not Suspended */
#define ST_INVALID	0x4002	/* DNR, Invalid Field */
#define ST_NORES	0x138	/* Not Enough Resources */
#define ST_SUSP		0x139	/* Controller Suspended */

struct fdev {
	uint16_t vers[8];
	int nv;
	uint8_t uuids[8][16];
	int nuuid;
	int suspended;
	int keep;		/* suspended with KEEP: no resume at release */
	unsigned int suspends, resumes;
	uint32_t last_suspend_flags;
};

struct fake {
	struct fdev src, dst;
	unsigned char role[1024];	/* 1 src, 2 dst */
	int log_w;
	unsigned int log_starts;
	uint64_t seq;
	struct nvme_hmlm_lba_range alloc[64];
	int nalloc, alloc_batch, alloc_status;
	unsigned int alloc_calls;
	unsigned char state[256];
	uint32_t state_len;
	int state_grow_once;
	unsigned char set[256];
	uint32_t set_len;
	uint8_t set_csvi, set_csuuidi;
	int set_status, resume_dst_status, suspend_dst_status;
	int mem_nores, mem_tracking, mem_recv_susp_status;
	unsigned int mem_recvs, mem_recv_susp;
	unsigned int state_gets_before_suspend;
	/* a device subset: no migration queue, no memory tracking */
	int no_queue, no_track_mem;
	/* LOG_START on a suspended source fails as the device's Track Send */
	int log_refused_suspended;
	/* hook run after the source's Suspend */
	void (*on_suspend)(struct fake *f);
	/* hook run when the target is resumed, and its argument */
	void (*on_dst_resume)(struct fake *f);
	void *priv;
};

static inline void fake_init(struct fake *f)
{
	unsigned int i;

	memset(f, 0, sizeof(*f));
	f->log_w = -1;
	f->src.nv = 2;
	f->src.vers[0] = 0;
	f->src.vers[1] = 1;
	f->dst.nv = 2;
	f->dst.vers[0] = 1;	/* the other order: indexes differ */
	f->dst.vers[1] = 0;
	f->alloc_batch = 64;
	f->state_len = 48 + 8 + 48;	/* header, NVMe hdr, 1 SQ + 1 CQ */
	for (i = 0; i < f->state_len; i++)
		f->state[i] = (unsigned char)(i * 7 + 1);
	/* a well-formed Controller State: header, NVMe part of 14 dwords */
	memset(f->state, 0, 48);
	f->state[16] = 14;			/* NVMECSS, dwords */
	memset(f->state + 48, 0, 8);
	f->state[48] = 1;			/* NVMe state version */
	f->state[50] = 1;			/* NIOSQ */
	f->state[52] = 1;			/* NIOCQ */
}

static inline struct fdev *fake_dev(struct fake *f, int fd)
{
	return fd >= 0 && fd < 1024 && f->role[fd] == 2 ? &f->dst : &f->src;
}

/* Index of the n-th call of @cmd on @d's sessions in the call order, or -1. */
static inline int fake_index(struct fake *f, struct fdev *d, unsigned long cmd,
			     unsigned int n)
{
	const struct mock_call *c;
	unsigned int i;

	for (i = 0; (c = mock_get(i)); i++) {
		if (c->cmd == cmd && fake_dev(f, c->fd) == d && n-- == 0)
			return (int)i;
	}
	return -1;
}

static inline void fake_log(struct fake *f, uint32_t nsid, uint8_t kind,
			    uint8_t marker, uint64_t slba, uint64_t nlb)
{
	struct nvme_hmlm_log_rec r = {
		.nsid = nsid, .kind = kind, .marker = marker,
		.slba = slba, .nlb = nlb, .seq = f->seq++,
	};

	if (f->log_w >= 0 && write(f->log_w, &r, sizeof(r)) != sizeof(r))
		abort();
}

static inline void fake_log_end(struct fake *f, uint8_t marker)
{
	if (f->log_w < 0)
		return;
	fake_log(f, 0, NVME_HMLM_REC_NONE, marker, 0, 0);
	close(f->log_w);
	f->log_w = -1;
}

/*
 * What the module does when a session ends (also when its process is
 * killed): a controller the session suspended is resumed unless that
 * Suspend had KEEP.
 */
static inline void fake_release(struct fdev *d)
{
	if (d->suspended && !d->keep) {
		d->suspended = 0;
		d->resumes++;
	}
}

static inline int fake_handler(int fd, unsigned long cmd, void *arg, void *priv)
{
	struct fake *f = priv;
	struct fdev *d = fake_dev(f, fd);
	int i;

	switch (cmd) {
	case NVME_HMLM_GET_CAPS: {
		struct nvme_hmlm_get_caps *k = arg;

		k->out_caps = NVME_HMLM_CAPS_HMLMS | NVME_HMLM_CAPS_RALBAS |
			      NVME_HMLM_CAPS_STATE_FMTS | NVME_HMLM_CAPS_NVM_ID;
		k->out_trattr = (f->no_track_mem ? 0 : 1) | (f->no_queue ? 0 : 2);
		k->out_mcudmq = f->no_queue ? 0 : 1;
		k->out_cntlid = 1;
		k->out_max_xfer = 1 << 20;
		k->out_state_nv = (uint8_t)d->nv;
		for (i = 0; i < d->nv; i++)
			k->out_state_vers[i] = d->vers[i];
		k->out_state_nuuid = (uint8_t)d->nuuid;
		for (i = 0; i < d->nuuid; i++)
			memcpy(k->out_state_uuids[i], d->uuids[i], 16);
		return 0;
	}
	case NVME_HMLM_BIND: {
		struct nvme_hmlm_bind *k = arg;

		if (fd < 1024)
			f->role[fd] = k->cntlid == DST_CNTLID ? 2 : 1;
		k->out_mmc_cntlid = 1;
		k->out_vfn = k->cntlid - 1;
		return 0;
	}
	case NVME_HMLM_LOG_START: {
		struct nvme_hmlm_log_start *k = arg;
		int p[2];

		if (f->no_queue)
			return ST_INVALID;
		/* Track Send refused: Controller Suspended */
		if (d->suspended && f->log_refused_suspended)
			return ST_SUSP;
		if (f->log_w >= 0)
			return -EBUSY;
		if (pipe2(p, O_CLOEXEC))
			return -errno;
		mock_add_fd(p[0]);
		f->log_w = p[1];
		k->out_fd = p[0];
		k->out_cdqid = 1;
		k->out_pc = 1;
		f->log_starts++;
		fake_log(f, 0, NVME_HMLM_REC_NONE, NVME_HMLM_MARK_FIRST, 0, 0);
		return 0;
	}
	case NVME_HMLM_LOG_STOP:
		fake_log_end(f, NVME_HMLM_MARK_STOPPED);
		return 0;
	case NVME_HMLM_SUSPEND: {
		struct nvme_hmlm_suspend *k = arg;

		if (d == &f->dst && f->suspend_dst_status)
			return f->suspend_dst_status;
		d->suspends++;
		d->last_suspend_flags = k->flags;
		if (k->flags & NVME_HMLM_SUSPEND_NOTIFY)
			return 0;
		d->suspended = 1;
		d->keep = !!(k->flags & NVME_HMLM_SUSPEND_KEEP);
		if (d == &f->src && (k->flags & NVME_HMLM_SUSPEND_DUDMQ))
			fake_log_end(f, NVME_HMLM_MARK_SUSPENDED);
		if (d == &f->src && f->on_suspend)
			f->on_suspend(f);
		return 0;
	}
	case NVME_HMLM_RESUME:
		if (d == &f->dst && f->on_dst_resume)
			f->on_dst_resume(f);
		if (d == &f->dst && f->resume_dst_status)
			return f->resume_dst_status;
		if (!d->suspended)
			return ST_NOT_SUSP;
		d->suspended = 0;
		d->keep = 0;
		d->resumes++;
		return 0;
	case NVME_HMLM_GET_STATE: {
		struct nvme_hmlm_get_state *k = arg;

		if (!d->suspended)
			f->state_gets_before_suspend++;
		k->out_len = f->state_len;
		if (k->flags & NVME_HMLM_STATE_SIZE) {
			if (f->state_grow_once) {
				f->state_grow_once = 0;
				f->state_len += 48;
			}
			return 0;
		}
		if (k->buf_len < f->state_len)
			return -EMSGSIZE;
		memcpy((void *)(uintptr_t)k->buf_uptr, f->state, f->state_len);
		k->out_flags = d->suspended ? NVME_HMLM_STATE_OUT_CSUP : 0;
		return 0;
	}
	case NVME_HMLM_SET_STATE: {
		struct nvme_hmlm_set_state *k = arg;

		if (!d->suspended)
			return ST_NOT_SUSP;
		if (f->set_status)
			return f->set_status;
		if (k->buf_len > sizeof(f->set))
			return -EINVAL;
		memcpy(f->set, (void *)(uintptr_t)k->buf_uptr, k->buf_len);
		f->set_len = (uint32_t)k->buf_len;
		f->set_csvi = k->csvi;
		f->set_csuuidi = k->csuuidi;
		return 0;
	}
	case NVME_HMLM_GET_ALLOC_LBAS: {
		struct nvme_hmlm_alloc_lbas *k = arg;
		struct nvme_hmlm_lba_range *out = (void *)(uintptr_t)k->ranges_uptr;
		uint32_t n = 0, max = k->num < (uint32_t)f->alloc_batch ?
				       k->num : (uint32_t)f->alloc_batch;

		f->alloc_calls++;
		if (f->alloc_status)
			return f->alloc_status;
		for (i = 0; i < f->nalloc; i++) {
			if (f->alloc[i].slba + f->alloc[i].nlb <= k->slba)
				continue;
			if (n == max)
				break;
			out[n++] = f->alloc[i];
		}
		k->num = n;
		if (i == f->nalloc) {
			k->out_flags = NVME_HMLM_ALLOC_DONE;
		} else {
			k->out_flags = 0;
			k->out_next_lba = f->alloc[i].slba;
		}
		return 0;
	}
	case NVME_HMLM_TRACK_MEM: {
		struct nvme_hmlm_track_mem *k = arg;
		struct nvme_hmlm_mem_range *r = (void *)(uintptr_t)k->ranges_uptr;

		if (f->no_track_mem)
			return ST_INVALID;
		if (k->op == NVME_HMLM_TRACK_START) {
			if (f->mem_nores) {
				k->out_gran = 3;
				k->out_max_ranges = 5;
				return ST_NORES;
			}
			f->mem_tracking = 1;
			return 0;
		}
		if (k->op == NVME_HMLM_TRACK_STOP) {
			if (f->src.suspended)
				return 0x4139;	/* Controller Suspended */
			f->mem_tracking = 0;
			return 0;
		}
		f->mem_recvs++;
		k->out_gran = 1;
		k->out_attrs = 0;
		if (!f->src.suspended) {
			k->num = 0;
			return 0;
		}
		f->mem_recv_susp++;
		if (f->mem_recv_susp_status)
			return f->mem_recv_susp_status;
		/* two reports after the Suspend: one with MTR, then SUSP */
		r[0].addr = 0x100000 * f->mem_recv_susp;
		r[0].len = 2;
		k->num = 1;
		k->out_attrs = f->mem_recv_susp == 1 ? NVME_HMLM_TRACK_MTR :
						       NVME_HMLM_TRACK_SUSP;
		return 0;
	}
	}
	return -ENOTTY;
}

#endif
