// SPDX-License-Identifier: GPL-2.0
/*
 * SUSPEND, RESUME, GET_STATE, SET_STATE, TRACK_MEM and GET_ALLOC_LBAS
 * against the device model: the success paths, the errno of every bad
 * input, the NVMe statuses of the device, and what closing a session does
 * to a suspended or tracked controller. Needs HMLM_HMLM=1 (skips else).
 */
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "hmlm_test.h"
#include "udrv.h"

#define POISON	0xa5

FIXTURE(st) {
	struct hmlm_bench b;
	int src;	/* session on the source VF1 */
	int dst;	/* session on the destination VF1 */
};

FIXTURE_SETUP(st)
{
	self->src = -1;
	self->dst = -1;
	hmlm_bench_get(&self->b);
	if (!self->b.ok || !self->b.hmlm || !self->b.n_src || !self->b.n_dst)
		SKIP(return, "needs the bench with hmlm=on");
	self->src = hmlm_session(self->b.src_pf, self->b.src_ids[0], NULL);
	ASSERT_LE(0, self->src) TH_LOG("bind src: %d", self->src);
	self->dst = hmlm_session(self->b.dst_pf, self->b.dst_ids[0], NULL);
	ASSERT_LE(0, self->dst) TH_LOG("bind dst: %d", self->dst);
}

FIXTURE_TEARDOWN(st)
{
	if (self->src >= 0)
		close(self->src);
	if (self->dst >= 0)
		close(self->dst);
}

TEST_F(st, suspend_resume)
{
	EXPECT_EQ(0, hmlm_suspend(self->src, 0));
	/* A suspended controller may be suspended again. */
	EXPECT_EQ(0, hmlm_suspend(self->src, 0));
	EXPECT_EQ(0, hmlm_resume(self->src));
	EXPECT_EQ(HMLM_SC_NOT_SUSPENDED, HMLM_SC(hmlm_resume(self->src)));
}

TEST_F(st, resume_not_suspended_status_out)
{
	struct nvme_hmlm_resume a;
	int r;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	r = ioctl(self->src, NVME_HMLM_RESUME, &a);
	ASSERT_LT(0, r);
	EXPECT_EQ(HMLM_SC_NOT_SUSPENDED, HMLM_SC(r));
	EXPECT_EQ((__u32)r, a.out_nvme_status);
}

TEST_F(st, suspend_notification_suspends_nothing)
{
	EXPECT_EQ(0, hmlm_suspend(self->src, NVME_HMLM_SUSPEND_NOTIFY));
	EXPECT_EQ(HMLM_SC_NOT_SUSPENDED, HMLM_SC(hmlm_resume(self->src)));
}

TEST_F(st, suspend_bad_flags_einval)
{
	struct nvme_hmlm_suspend a = { .size = sizeof(a) };
	int bit;

	a.flags = NVME_HMLM_SUSPEND_NOTIFY | NVME_HMLM_SUSPEND_DUDMQ;
	EXPECT_ERRNO(EINVAL, ioctl(self->src, NVME_HMLM_SUSPEND, &a));
	a.flags = NVME_HMLM_SUSPEND_NOTIFY | NVME_HMLM_SUSPEND_KEEP;
	EXPECT_ERRNO(EINVAL, ioctl(self->src, NVME_HMLM_SUSPEND, &a));
	for (bit = 3; bit < 32; bit++) {
		a.flags = 1U << bit;
		EXPECT_ERRNO(EINVAL, ioctl(self->src, NVME_HMLM_SUSPEND, &a));
	}
	/* Nothing was suspended. */
	EXPECT_EQ(HMLM_SC_NOT_SUSPENDED, HMLM_SC(hmlm_resume(self->src)));
}

TEST_F(st, close_resumes)
{
	int s2;

	ASSERT_EQ(0, hmlm_suspend(self->src, 0));
	close(self->src);
	self->src = -1;
	s2 = hmlm_session(self->b.src_pf, self->b.src_ids[0], NULL);
	ASSERT_LE(0, s2);
	EXPECT_EQ(HMLM_SC_NOT_SUSPENDED, HMLM_SC(hmlm_resume(s2)));
	close(s2);
}

TEST_F(st, close_keeps_handed_over)
{
	int s2;

	ASSERT_EQ(0, hmlm_suspend(self->src, NVME_HMLM_SUSPEND_KEEP));
	close(self->src);
	self->src = -1;
	s2 = hmlm_session(self->b.src_pf, self->b.src_ids[0], NULL);
	ASSERT_LE(0, s2);
	EXPECT_EQ(0, hmlm_resume(s2));
	close(s2);
}

TEST(unbound_session_einval)
{
	struct nvme_hmlm_suspend su = { .size = sizeof(su) };
	struct nvme_hmlm_resume re = { .size = sizeof(re) };
	struct nvme_hmlm_get_state gs = { .size = sizeof(gs),
					  .flags = NVME_HMLM_STATE_SIZE };
	struct nvme_hmlm_log_start ls = { .size = sizeof(ls), .entries = 16 };
	struct nvme_hmlm_track_mem tm = { .size = sizeof(tm),
					  .op = NVME_HMLM_TRACK_STOP };
	struct nvme_hmlm_lba_range r;
	struct nvme_hmlm_alloc_lbas al = { .size = sizeof(al), .nsid = 1,
					   .num = 1,
					   .ranges_uptr = (uintptr_t)&r };
	int fd;

	ASSERT_EQ(0, hmlm_ensure_loaded());
	fd = hmlm_open();
	ASSERT_LE(0, fd);
	EXPECT_ERRNO(EINVAL, ioctl(fd, NVME_HMLM_SUSPEND, &su));
	EXPECT_ERRNO(EINVAL, ioctl(fd, NVME_HMLM_RESUME, &re));
	EXPECT_ERRNO(EINVAL, ioctl(fd, NVME_HMLM_GET_STATE, &gs));
	EXPECT_ERRNO(EINVAL, ioctl(fd, NVME_HMLM_LOG_START, &ls));
	EXPECT_ERRNO(EINVAL, ioctl(fd, NVME_HMLM_TRACK_MEM, &tm));
	EXPECT_ERRNO(EINVAL, ioctl(fd, NVME_HMLM_GET_ALLOC_LBAS, &al));
	/* LOG_STOP belongs to the log fd. */
	EXPECT_ERRNO(ENOTTY, ioctl(fd, NVME_HMLM_LOG_STOP, &re));
	close(fd);
}

static int get_state(int hfd, __u8 csvi, __u8 csuuidi, __u32 chunk,
		     void *buf, __u64 len, struct nvme_hmlm_get_state *out)
{
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->csvi = csvi;
	out->csuuidi = csuuidi;
	out->chunk_len = chunk;
	out->buf_uptr = (uintptr_t)buf;
	out->buf_len = len;
	if (!buf)
		out->flags = NVME_HMLM_STATE_SIZE;
	return hmlm_ioc(hfd, NVME_HMLM_GET_STATE, out);
}

TEST_F(st, get_state_size_query)
{
	struct nvme_hmlm_get_state g;

	ASSERT_EQ(0, get_state(self->src, 1, 0, 0, NULL, 0, &g));
	/* No I/O queues on an unbound VF: header + 8-byte NVMe state. */
	EXPECT_EQ(48 + 8, g.out_len);
	ASSERT_EQ(0, get_state(self->src, 1, 1, 0, NULL, 0, &g));
	EXPECT_EQ(48 + 8 + 1024, g.out_len);
	ASSERT_EQ(0, get_state(self->src, 0, 1, 0, NULL, 0, &g));
	EXPECT_EQ(48 + 1024, g.out_len);
	EXPECT_EQ(0, g.out_flags & NVME_HMLM_STATE_OUT_CSUP);
	/* Indexes the device does not list: Invalid Field. */
	EXPECT_EQ(HMLM_SC_INVALID_FIELD,
		  HMLM_SC(get_state(self->src, 2, 0, 0, NULL, 0, &g)));
	EXPECT_EQ(HMLM_SC_INVALID_FIELD,
		  HMLM_SC(get_state(self->src, 1, 9, 0, NULL, 0, &g)));
	EXPECT_NE(0, g.out_nvme_status);
}

TEST_F(st, get_state_bad_args)
{
	struct nvme_hmlm_get_state g;
	unsigned char buf[4096];

	memset(buf, POISON, sizeof(buf));
	EXPECT_EQ(-EMSGSIZE, get_state(self->src, 1, 1, 0, buf, 100, &g));
	EXPECT_EQ(48 + 8 + 1024, g.out_len);
	EXPECT_EQ(POISON, buf[0]);	/* nothing copied into a short buffer */
	EXPECT_EQ(POISON, buf[99]);
	EXPECT_EQ(-EINVAL, get_state(self->src, 1, 1, 6, buf, sizeof(buf), &g));
	EXPECT_EQ(-EINVAL, get_state(self->src, 1, 1, 1U << 30, buf,
				     sizeof(buf), &g));
	EXPECT_EQ(-EFAULT, get_state(self->src, 1, 1, 0, (void *)8,
				     sizeof(buf), &g));
	memset(&g, 0, sizeof(g));
	g.size = sizeof(g);
	g.flags = 2;
	EXPECT_ERRNO(EINVAL, ioctl(self->src, NVME_HMLM_GET_STATE, &g));
	g.flags = 0;
	g.__reserved = 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->src, NVME_HMLM_GET_STATE, &g));
}

TEST_F(st, get_state_chunks_and_csup)
{
	static unsigned char a[8192], b[8192], c[8192];
	struct nvme_hmlm_get_state g;
	__u64 len;

	memset(a, POISON, sizeof(a));
	memset(b, POISON, sizeof(b));
	memset(c, POISON, sizeof(c));
	ASSERT_EQ(0, hmlm_suspend(self->src, 0));
	ASSERT_EQ(0, get_state(self->src, 1, 1, 0, a, sizeof(a), &g));
	len = g.out_len;
	EXPECT_TRUE(g.out_flags & NVME_HMLM_STATE_OUT_CSUP);
	ASSERT_EQ(0, get_state(self->src, 1, 1, 64, b, sizeof(b), &g));
	EXPECT_EQ(len, g.out_len);
	EXPECT_TRUE(g.out_flags & NVME_HMLM_STATE_OUT_CSUP);
	/* Equal but for the vendor part's running timestamp (bytes 95:88). */
	EXPECT_EQ(0, memcmp(a, b, 56 + 88));
	EXPECT_EQ(0, memcmp(a + 56 + 96, b + 56 + 96, len - 56 - 96));
	/* Chunks smaller than the header: the header is read on its own first. */
	ASSERT_EQ(0, get_state(self->src, 1, 1, 16, c, sizeof(c), &g));
	EXPECT_EQ(len, g.out_len);
	EXPECT_EQ(0, memcmp(a, c, 56 + 88));
	EXPECT_EQ(0, memcmp(a + 56 + 96, c + 56 + 96, len - 56 - 96));
	/* Nothing past the state is written (the first chunk asks for more). */
	EXPECT_EQ(POISON, a[len]);
	EXPECT_EQ(POISON, b[len]);
	EXPECT_EQ(POISON, c[len]);
	/* Header: VER 0, CSATTR.CP, sizes. */
	EXPECT_EQ(0, a[0] | a[1]);
	EXPECT_EQ(1, a[2] & 1);
	EXPECT_EQ(2, a[16]);
	EXPECT_EQ(0, hmlm_resume(self->src));
	ASSERT_EQ(0, get_state(self->src, 1, 1, 0, a, sizeof(a), &g));
	EXPECT_EQ(0, g.out_flags & NVME_HMLM_STATE_OUT_CSUP);
}

static int set_state(int hfd, __u8 csvi, __u8 csuuidi, __u32 chunk,
		     void *buf, __u64 len, struct nvme_hmlm_set_state *out)
{
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->csvi = csvi;
	out->csuuidi = csuuidi;
	out->chunk_len = chunk;
	out->buf_uptr = (uintptr_t)buf;
	out->buf_len = len;
	return hmlm_ioc(hfd, NVME_HMLM_SET_STATE, out);
}

/*
 * The full state of a running source (the userspace driver has enabled
 * VF1 and created its queues) moves to the destination VF1 in 64-byte
 * pieces (SEQIND first, middles, last).
 */
TEST_F(st, set_state_roundtrip_chunked)
{
	static unsigned char img[8192], img2[8192];
	struct nvme_hmlm_get_state g, g2;
	struct nvme_hmlm_set_state s;
	struct udrv_ctrl *c, *d;
	char sbdf[32], dbdf[32];
	int r;

	ASSERT_NE(NULL, bench_env_word("HMLM_SRC_VFS", 0, sbdf, sizeof(sbdf)));
	ASSERT_NE(NULL, bench_env_word("HMLM_DST_VFS", 0, dbdf, sizeof(dbdf)));
	r = udrv_open(sbdf, NULL, &c);
	ASSERT_EQ(0, r) TH_LOG("udrv_open(%s): %d", sbdf, r);
	ASSERT_EQ(0, hmlm_suspend(self->src, 0));
	ASSERT_EQ(0, get_state(self->src, 1, 1, 0, img, sizeof(img), &g));
	EXPECT_TRUE(g.out_flags & NVME_HMLM_STATE_OUT_CSUP);
	/* At least one I/O queue pair: 48 + 8 + 2 * 24 + 1024. */
	EXPECT_LE(48 + 8 + 48 + 1024, g.out_len);
	ASSERT_EQ(0, hmlm_suspend(self->dst, 0));
	EXPECT_EQ(0, set_state(self->dst, 1, 1, 64, img, g.out_len, &s));
	EXPECT_EQ(1, s.out_attempts);
	EXPECT_EQ(0, s.out_nvme_status);
	/* The destination now reports the same I/O queues. */
	ASSERT_EQ(0, get_state(self->dst, 1, 0, 0, img2, sizeof(img2), &g2));
	EXPECT_EQ(0, memcmp(img + 48, img2 + 48, g2.out_len - 48));
	EXPECT_EQ(0, hmlm_resume(self->dst));
	EXPECT_EQ(0, hmlm_resume(self->src));
	udrv_close(c);
	/* Leave the destination VF disabled again for later tests. */
	r = udrv_open(dbdf, NULL, &d);
	ASSERT_EQ(0, r);
	udrv_close(d);
}

TEST_F(st, set_state_validated_before_sending)
{
	static unsigned char img[4096];
	struct nvme_hmlm_get_state g;
	struct nvme_hmlm_set_state s;
	__u64 len;

	ASSERT_EQ(0, get_state(self->src, 1, 1, 0, img, sizeof(img), &g));
	len = g.out_len;
	EXPECT_EQ(-EINVAL, set_state(self->dst, 1, 1, 0, img, 44, &s));
	EXPECT_EQ(-EINVAL, set_state(self->dst, 1, 1, 0, img, len - 2, &s));
	EXPECT_EQ(-EINVAL, set_state(self->dst, 1, 1, 0, img, len - 4, &s));
	EXPECT_EQ(-EINVAL, set_state(self->dst, 1, 1, 0, img, len + 4, &s));
	EXPECT_EQ(-EINVAL, set_state(self->dst, 0, 1, 0, img, len, &s));
	EXPECT_EQ(-EINVAL, set_state(self->dst, 1, 0, 0, img, len, &s));
	EXPECT_EQ(-EINVAL, set_state(self->dst, 2, 1, 0, img, len, &s));
	EXPECT_EQ(-EINVAL, set_state(self->dst, 1, 2, 0, img, len, &s));
	EXPECT_EQ(-EINVAL, set_state(self->dst, 1, 1, 6, img, len, &s));
	EXPECT_EQ(-EINVAL, set_state(self->dst, 1, 1, 0, img,
				     NVME_HMLM_STATE_MAX_LEN + 4ULL, &s));
	EXPECT_EQ(-EFAULT, set_state(self->dst, 1, 1, 0, (void *)8, len, &s));
	img[0] = 1;			/* header VER */
	EXPECT_EQ(-EINVAL, set_state(self->dst, 1, 1, 0, img, len, &s));
	img[0] = 0;
	img[24] = 1;			/* NVMECSS upper 64 bits */
	EXPECT_EQ(-EINVAL, set_state(self->dst, 1, 1, 0, img, len, &s));
	img[24] = 0;
	img[48 + 2] = 1;		/* NIOSQ != NVMECSS */
	EXPECT_EQ(-EINVAL, set_state(self->dst, 1, 1, 0, img, len, &s));
	img[48 + 2] = 0;
	img[48] = 1;			/* NVMe state VER */
	EXPECT_EQ(-EINVAL, set_state(self->dst, 1, 1, 0, img, len, &s));
	img[48] = 0;
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.flags = 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->dst, NVME_HMLM_SET_STATE, &s));
	s.flags = 0;
	s.__reserved = 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->dst, NVME_HMLM_SET_STATE, &s));
}

TEST_F(st, set_state_target_not_ready_status)
{
	static unsigned char img[4096];
	struct nvme_hmlm_get_state g;
	struct nvme_hmlm_set_state s;
	int r;

	ASSERT_EQ(0, get_state(self->src, 1, 1, 0, img, sizeof(img), &g));
	/* An online, disabled, running VF is none of the allowed targets. */
	r = set_state(self->dst, 1, 1, 0, img, g.out_len, &s);
	EXPECT_EQ(0x11f, HMLM_SC(r));
	EXPECT_EQ((__u32)r, s.out_nvme_status);
	EXPECT_LE(1, s.out_attempts);
	EXPECT_GE(2, s.out_attempts);
}

TEST_F(st, track_mem_start_recv_stop)
{
	struct nvme_hmlm_mem_range r[4], out[16];
	__u32 n = 1;
	int i;

	memset(r, 0, sizeof(r));
	r[0].addr = 0x100000;
	r[0].len = 256;
	ASSERT_EQ(0, hmlm_track(self->src, NVME_HMLM_TRACK_START, 0, r, &n));
	EXPECT_EQ(-EBUSY, hmlm_track(self->src, NVME_HMLM_TRACK_START, 0, r, &n));
	memset(out, POISON, sizeof(out));
	n = 16;
	struct nvme_hmlm_track_mem a = {
		.size = sizeof(a), .op = NVME_HMLM_TRACK_RECV, .num = 16,
		.ranges_uptr = (uintptr_t)out,
	};
	ASSERT_EQ(0, hmlm_ioc(self->src, NVME_HMLM_TRACK_MEM, &a));
	EXPECT_EQ(0, a.out_gran);
	EXPECT_EQ(0, a.out_attrs & NVME_HMLM_TRACK_SUSP);
	for (i = 0; i < (int)a.num; i++)
		EXPECT_EQ(0, out[i].__reserved);
	if (a.num < 16)
		EXPECT_EQ(POISON, ((unsigned char *)&out[a.num])[0]);
	/* Suspended: SUSP reported, and tracking cannot stop (39h). */
	ASSERT_EQ(0, hmlm_suspend(self->src, 0));
	a.num = 16;
	ASSERT_EQ(0, hmlm_ioc(self->src, NVME_HMLM_TRACK_MEM, &a));
	EXPECT_TRUE(a.out_attrs & NVME_HMLM_TRACK_SUSP);
	EXPECT_EQ(0, a.out_attrs & NVME_HMLM_TRACK_MTR);
	EXPECT_EQ(HMLM_SC_SUSPENDED,
		  HMLM_SC(hmlm_track(self->src, NVME_HMLM_TRACK_STOP, 0, NULL, NULL)));
	ASSERT_EQ(0, hmlm_resume(self->src));
	EXPECT_EQ(0, hmlm_track(self->src, NVME_HMLM_TRACK_STOP, 0, NULL, NULL));
	EXPECT_EQ(0, hmlm_track(self->src, NVME_HMLM_TRACK_STOP, 0, NULL, NULL));
}

TEST_F(st, track_mem_bad_args)
{
	struct nvme_hmlm_mem_range r[2];
	struct nvme_hmlm_track_mem a;
	__u32 n;

	memset(r, 0, sizeof(r));
	r[0].addr = 0x100000;
	r[0].len = 1;
	n = 0;
	EXPECT_EQ(-EINVAL, hmlm_track(self->src, NVME_HMLM_TRACK_START, 0, r, &n));
	n = NVME_HMLM_TRACK_MAX_RANGES + 1;
	EXPECT_EQ(-EINVAL, hmlm_track(self->src, NVME_HMLM_TRACK_START, 0, r, &n));
	n = 1;
	EXPECT_EQ(-EFAULT, hmlm_track(self->src, NVME_HMLM_TRACK_START, 0,
				      (void *)8, &n));
	r[0].__reserved = 1;
	EXPECT_EQ(-EINVAL, hmlm_track(self->src, NVME_HMLM_TRACK_START, 0, r, &n));
	r[0].__reserved = 0;
	r[0].len = 0;
	EXPECT_EQ(-EINVAL, hmlm_track(self->src, NVME_HMLM_TRACK_START, 0, r, &n));
	r[0].len = 1;
	/* Device checks: granularity above MAXMRTG, unaligned address. */
	EXPECT_EQ(HMLM_SC_INVALID_FIELD,
		  HMLM_SC(hmlm_track(self->src, NVME_HMLM_TRACK_START, 30, r, &n)));
	r[0].addr = 0x100800;
	EXPECT_EQ(HMLM_SC_INVALID_FIELD,
		  HMLM_SC(hmlm_track(self->src, NVME_HMLM_TRACK_START, 0, r, &n)));
	n = 0;
	EXPECT_EQ(-EINVAL, hmlm_track(self->src, NVME_HMLM_TRACK_RECV, 0, r, &n));
	n = 1;
	EXPECT_EQ(-EINVAL, hmlm_track(self->src, NVME_HMLM_TRACK_RECV, 1, r, &n));
	EXPECT_EQ(-EINVAL, hmlm_track(self->src, NVME_HMLM_TRACK_STOP, 0, r, &n));
	EXPECT_EQ(-EINVAL, hmlm_track(self->src, 3, 0, r, &n));
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.op = NVME_HMLM_TRACK_STOP;
	a.__reserved[1] = 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->src, NVME_HMLM_TRACK_MEM, &a));
}

TEST_F(st, track_mem_not_enough_resources)
{
	struct nvme_hmlm_mem_range r = { .addr = 0, .len = 8U << 20 };
	struct nvme_hmlm_track_mem a = {
		.size = sizeof(a), .op = NVME_HMLM_TRACK_START, .num = 1,
		.ranges_uptr = (uintptr_t)&r,
	};
	int ret;

	/* 8 Mi granules of 4 KiB is more than the model's 4 Mi. */
	ret = hmlm_ioc(self->src, NVME_HMLM_TRACK_MEM, &a);
	ASSERT_EQ(0x138, HMLM_SC(ret));
	EXPECT_EQ((__u32)ret, a.out_nvme_status);
	EXPECT_EQ(1, a.out_gran);
	EXPECT_EQ(0, a.out_max_ranges);
	EXPECT_EQ(0, a.__reserved2[0] | a.__reserved2[1] | a.__reserved2[2]);
}

/*
 * Start tracking, optionally suspend, close the session; the close must
 * stop the tracking. The model refuses a second tracker (1Fh), so a start
 * from a new session proves the stop. The device refuses Track Send while
 * the controller is suspended (39h), so a close of a suspended session
 * resumes before it stops the tracking.
 */
static void track_stopped_on_close(struct __test_metadata *_metadata,
				   FIXTURE_DATA(st) *self, bool suspend)
{
	struct nvme_hmlm_mem_range r = { .addr = 0x200000, .len = 4 };
	__u32 n = 1;
	int s2;

	ASSERT_EQ(0, hmlm_track(self->src, NVME_HMLM_TRACK_START, 0, &r, &n));
	if (suspend)
		ASSERT_EQ(0, hmlm_suspend(self->src, 0));
	close(self->src);
	self->src = -1;
	s2 = hmlm_session(self->b.src_pf, self->b.src_ids[0], NULL);
	ASSERT_LE(0, s2);
	EXPECT_EQ(0, hmlm_track(s2, NVME_HMLM_TRACK_START, 0, &r, &n));
	EXPECT_EQ(0, hmlm_track(s2, NVME_HMLM_TRACK_STOP, 0, NULL, NULL));
	close(s2);
}

TEST_F(st, track_mem_stopped_on_close)
{
	track_stopped_on_close(_metadata, self, false);
}

TEST_F(st, track_mem_stopped_on_close_while_suspended)
{
	track_stopped_on_close(_metadata, self, true);
}

static int alloc_lbas(int hfd, __u32 nsid, __u64 slba,
		      struct nvme_hmlm_lba_range *r, __u32 num,
		      struct nvme_hmlm_alloc_lbas *a)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->nsid = nsid;
	a->slba = slba;
	a->num = num;
	a->ranges_uptr = (uintptr_t)r;
	return hmlm_ioc(hfd, NVME_HMLM_GET_ALLOC_LBAS, a);
}

/* Write 8 LBAs at @slba of namespace 1 through the source VF1. */
static int vf_write8(__u64 slba)
{
	struct udrv_ctrl *c;
	char bdf[32], buf[4096];
	int r;

	if (!bench_env_word("HMLM_SRC_VFS", 0, bdf, sizeof(bdf)))
		return -ENOENT;
	r = udrv_open(bdf, NULL, &c);
	if (r)
		return r;
	memset(buf, 0x3c, sizeof(buf));
	r = udrv_write(c, 1, 1, slba, 8, buf);
	udrv_close(c);
	return r;
}

TEST_F(st, alloc_lbas_whole_and_by_one)
{
	static struct nvme_hmlm_lba_range all[1024], one;
	struct nvme_hmlm_alloc_lbas a;
	__u64 next = 0, covered = 0, lba = (32ULL << 20) / 512;
	unsigned int i, calls = 0;
	bool found = false;

	ASSERT_EQ(0, vf_write8(lba));
	memset(all, POISON, sizeof(all));
	ASSERT_EQ(0, alloc_lbas(self->src, 1, 0, all, 1024, &a));
	ASSERT_TRUE(a.out_flags & NVME_HMLM_ALLOC_DONE);
	ASSERT_LE(1, a.num) TH_LOG("next %llu", (unsigned long long)a.out_next_lba);
	for (i = 0; i < a.num; i++) {
		EXPECT_LT(0, all[i].nlb);
		EXPECT_EQ(0, all[i].slba % 8);
		if (i)
			EXPECT_LT(all[i - 1].slba + all[i - 1].nlb, all[i].slba);
		if (all[i].slba <= lba && lba + 8 <= all[i].slba + all[i].nlb)
			found = true;
		covered += all[i].nlb;
	}
	EXPECT_TRUE(found);
	EXPECT_EQ(POISON, ((unsigned char *)&all[a.num])[0]);
	/* The cursor gives the same LBAs one range at a time. */
	for (;;) {
		ASSERT_EQ(0, alloc_lbas(self->src, 1, next, &one, 1, &a));
		ASSERT_GE(1, a.num);
		covered -= a.num ? one.nlb : 0;
		calls++;
		ASSERT_GT(10000, calls);
		if (a.out_flags & NVME_HMLM_ALLOC_DONE)
			break;
		EXPECT_LT(next, a.out_next_lba);
		next = a.out_next_lba;
	}
	EXPECT_EQ(0, covered);
}

TEST_F(st, alloc_lbas_bad_args)
{
	struct nvme_hmlm_lba_range r;
	struct nvme_hmlm_alloc_lbas a;

	EXPECT_EQ(-EINVAL, alloc_lbas(self->src, 0, 0, &r, 1, &a));
	EXPECT_EQ(-EINVAL, alloc_lbas(self->src, 1, 0, &r, 0, &a));
	EXPECT_EQ(-EINVAL, alloc_lbas(self->src, 1, 0, &r, 1U << 20, &a));
	/* Unknown namespace, LBA past the end: device statuses. */
	EXPECT_LT(0, alloc_lbas(self->src, 77, 0, &r, 1, &a));
	EXPECT_NE(0, a.out_nvme_status);
	EXPECT_EQ(0x80, HMLM_SC(alloc_lbas(self->src, 1, 1ULL << 40, &r, 1, &a)));
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.nsid = 1;
	a.num = 1;
	a.flags = 1;
	a.ranges_uptr = (uintptr_t)&r;
	EXPECT_ERRNO(EINVAL, ioctl(self->src, NVME_HMLM_GET_ALLOC_LBAS, &a));
}

/*
 * Finding 11: a reused struct with a stale NVME_HMLM_ALLOC_DONE (and a
 * stale status) must not end a scan early: the outputs start at zero.
 */
TEST_F(st, alloc_lbas_reused_struct_stale_done)
{
	struct nvme_hmlm_lba_range r[2];
	struct nvme_hmlm_alloc_lbas a;

	/* Two allocated places far apart: two ranges at least. */
	ASSERT_EQ(0, vf_write8(0));
	ASSERT_EQ(0, vf_write8((48ULL << 20) / 512));
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.nsid = 1;
	a.num = 1;
	a.ranges_uptr = (uintptr_t)r;
	a.out_flags = NVME_HMLM_ALLOC_DONE;
	a.out_nvme_status = 0x4002;
	a.out_next_lba = ~0ULL;
	ASSERT_EQ(0, hmlm_ioc(self->src, NVME_HMLM_GET_ALLOC_LBAS, &a));
	EXPECT_EQ(1, a.num);
	EXPECT_FALSE(a.out_flags & NVME_HMLM_ALLOC_DONE);
	EXPECT_EQ(0, a.out_nvme_status);
	EXPECT_LT(r[0].slba, a.out_next_lba);
	EXPECT_GT(~0ULL, a.out_next_lba);
}

/* Run an nvme-cli command line; 0 if it succeeded. */
static int nvme_cli(const char *fmt, const char *pf, unsigned int nsid, int cntlid)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), fmt, pf, nsid, cntlid);
	return system(cmd) ? -EIO : 0;
}

/*
 * Finding 11: GET_ALLOC_LBAS reports only namespaces attached to the
 * bound controller: another tenant's allocation map is not readable
 * through a session. Namespace 2 is detached from source VF1 for the
 * test and attached again after.
 */
TEST_F(st, alloc_lbas_namespace_not_attached_enoent)
{
	struct nvme_hmlm_lba_range r[4];
	struct nvme_hmlm_alloc_lbas a;

	ASSERT_EQ(0, alloc_lbas(self->src, 2, 0, r, 4, &a));
	ASSERT_EQ(0, nvme_cli("nvme detach-ns %s -n %u -c %d >/dev/null",
			      self->b.src_pf, 2, self->b.src_ids[0]));
	EXPECT_EQ(-ENOENT, alloc_lbas(self->src, 2, 0, r, 4, &a));
	/* Namespace 1 is still attached. */
	EXPECT_EQ(0, alloc_lbas(self->src, 1, 0, r, 4, &a));
	ASSERT_EQ(0, nvme_cli("nvme attach-ns %s -n %u -c %d >/dev/null",
			      self->b.src_pf, 2, self->b.src_ids[0]));
	EXPECT_EQ(0, alloc_lbas(self->src, 2, 0, r, 4, &a));
}

TEST_HARNESS_MAIN
