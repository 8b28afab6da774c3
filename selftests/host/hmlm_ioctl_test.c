// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of libhmlm's ioctl encoders (session operations, state,
 * migration queue, allocated LBAs, memory tracking) against hmlm_mock.so:
 * the structures the library sends, and how it handles the answers
 * (sizes, flags, fields, -EIO with the NVMe status kept, EMSGSIZE retry).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <hmlm.h>
#include "fakedev.h"

#define CALL(cmd, n, type) ((const type *)mock_nth(cmd, n)->data)

FIXTURE(dev) {
	struct fake f;
	struct hmlm_session *src, *dst;
};

FIXTURE_SETUP(dev)
{
	mock_reset();
	fake_init(&self->f);
	mock_set_handler(fake_handler, &self->f);
	ASSERT_EQ(0, hmlm_session_open("/dev/null", SRC_CNTLID, &self->src));
	ASSERT_EQ(0, hmlm_session_open("/dev/null", DST_CNTLID, &self->dst));
}

FIXTURE_TEARDOWN(dev)
{
	hmlm_session_close(self->src);
	hmlm_session_close(self->dst);
	if (self->f.log_w >= 0)
		close(self->f.log_w);
	mock_reset();
}

TEST_F(dev, bind_encodes_size_and_cntlid)
{
	const struct nvme_hmlm_bind *b = CALL(NVME_HMLM_BIND, 0, struct nvme_hmlm_bind);

	ASSERT_EQ(2u, mock_count(NVME_HMLM_BIND));
	EXPECT_EQ(sizeof(struct nvme_hmlm_bind), b->size);
	EXPECT_EQ(0u, b->flags);
	EXPECT_EQ(SRC_CNTLID, b->cntlid);
	EXPECT_GE(b->nvme_fd, 0);
	EXPECT_EQ(SRC_CNTLID, hmlm_session_cntlid(self->src));
}

TEST_F(dev, session_caps_uses_the_mmc)
{
	struct hmlm_caps c = { .size = sizeof(c) };
	const struct nvme_hmlm_get_caps *k;

	ASSERT_EQ(0, hmlm_session_caps(self->dst, &c));
	k = CALL(NVME_HMLM_GET_CAPS, 0, struct nvme_hmlm_get_caps);
	EXPECT_EQ(sizeof(*k), k->size);
	EXPECT_GE(k->nvme_fd, 0);
	EXPECT_EQ(0u, k->sec_num);
	EXPECT_EQ(2, c.num_state_versions);
	EXPECT_EQ(1, c.state_versions[0]);	/* the target's order */
	EXPECT_TRUE(c.flags & HMLM_CAP_TRACK_LBA);
}

TEST_F(dev, suspend_flags_encoded)
{
	const struct nvme_hmlm_suspend *k;

	ASSERT_EQ(0, hmlm_suspend(self->src, HMLM_SUSPEND_DUDMQ | HMLM_SUSPEND_KEEP, 1234));
	k = CALL(NVME_HMLM_SUSPEND, 0, struct nvme_hmlm_suspend);
	EXPECT_EQ(sizeof(*k), k->size);
	EXPECT_EQ(NVME_HMLM_SUSPEND_DUDMQ | NVME_HMLM_SUSPEND_KEEP, k->flags);
	EXPECT_EQ(1234u, k->timeout_ms);
	ASSERT_EQ(0, hmlm_suspend(self->src, HMLM_SUSPEND_NOTIFY, 0));
	k = CALL(NVME_HMLM_SUSPEND, 1, struct nvme_hmlm_suspend);
	EXPECT_EQ(NVME_HMLM_SUSPEND_NOTIFY, k->flags);
}

TEST_F(dev, suspend_bad_flags_send_nothing)
{
	EXPECT_EQ(-EINVAL, hmlm_suspend(self->src, HMLM_SUSPEND_NOTIFY | HMLM_SUSPEND_DUDMQ, 0));
	EXPECT_EQ(-EINVAL, hmlm_suspend(self->src, 1U << 9, 0));
	EXPECT_EQ(-EINVAL, hmlm_suspend(NULL, 0, 0));
	EXPECT_EQ(0u, mock_count(NVME_HMLM_SUSPEND));
}

TEST_F(dev, resume_status_kept)
{
	const struct nvme_hmlm_resume *k;

	/* not suspended: Controller Not Suspended */
	EXPECT_EQ(-EIO, hmlm_resume(self->src));
	EXPECT_EQ(ST_NOT_SUSP, hmlm_session_nvme_status(self->src));
	k = CALL(NVME_HMLM_RESUME, 0, struct nvme_hmlm_resume);
	EXPECT_EQ(sizeof(*k), k->size);
	EXPECT_EQ(0u, k->flags);
	ASSERT_EQ(0, hmlm_suspend(self->src, 0, 0));
	EXPECT_EQ(0, hmlm_resume(self->src));
}

static int enodev_handler(int fd, unsigned long cmd, void *arg, void *priv)
{
	(void)fd; (void)cmd; (void)arg; (void)priv;
	return -ENODEV;
}

TEST_F(dev, errno_passed_through)
{
	mock_set_handler(enodev_handler, NULL);
	EXPECT_EQ(-ENODEV, hmlm_resume(self->src));
	EXPECT_EQ(-ENODEV, hmlm_suspend(self->src, 0, 0));
	EXPECT_EQ(0, hmlm_session_nvme_status(self->src));
}

TEST_F(dev, state_get_size_then_buffer)
{
	const struct nvme_hmlm_get_state *q, *t;
	struct hmlm_state st;

	ASSERT_EQ(0, hmlm_suspend(self->src, 0, 0));
	ASSERT_EQ(0, hmlm_state_get(self->src, NULL, &st));
	ASSERT_EQ(2u, mock_count(NVME_HMLM_GET_STATE));
	q = CALL(NVME_HMLM_GET_STATE, 0, struct nvme_hmlm_get_state);
	t = CALL(NVME_HMLM_GET_STATE, 1, struct nvme_hmlm_get_state);
	EXPECT_EQ(sizeof(*q), q->size);
	EXPECT_EQ(NVME_HMLM_STATE_SIZE, q->flags);
	EXPECT_EQ(0u, t->flags);
	EXPECT_EQ(self->f.state_len, t->buf_len);
	/* auto format: the highest version (1) is CSVI 2 on the source */
	EXPECT_EQ(2, q->csvi);
	EXPECT_EQ(0, q->csuuidi);
	EXPECT_EQ(self->f.state_len, st.len);
	EXPECT_EQ(0, memcmp(st.data, self->f.state, st.len));
	EXPECT_TRUE(st.flags & HMLM_STATE_NVME);
	EXPECT_TRUE(st.flags & HMLM_STATE_CONSISTENT);
	EXPECT_EQ(1, st.nvme_version);
	hmlm_state_free(&st);
	EXPECT_EQ(NULL, st.data);
}

TEST_F(dev, state_get_retries_on_emsgsize)
{
	struct hmlm_state st;

	self->f.state_grow_once = 1;
	ASSERT_EQ(0, hmlm_state_get(self->src, NULL, &st));
	/* size query, EMSGSIZE with the new size, the transfer at that size */
	EXPECT_EQ(3u, mock_count(NVME_HMLM_GET_STATE));
	EXPECT_EQ(0u, ((const struct nvme_hmlm_get_state *)mock_nth(NVME_HMLM_GET_STATE, 2)->data)->flags);
	EXPECT_EQ(self->f.state_len, st.len);
	hmlm_state_free(&st);
}

TEST_F(dev, state_get_vendor_uuid_index)
{
	struct hmlm_state_fmt fmt = { .flags = HMLM_STATE_VENDOR };
	struct hmlm_state st;

	self->f.src.nuuid = 2;
	memset(self->f.src.uuids[1], 0xab, 16);
	memset(fmt.uuid, 0xab, 16);
	ASSERT_EQ(0, hmlm_state_get(self->src, &fmt, &st));
	EXPECT_EQ(0, CALL(NVME_HMLM_GET_STATE, 0, struct nvme_hmlm_get_state)->csvi);
	EXPECT_EQ(2, CALL(NVME_HMLM_GET_STATE, 0, struct nvme_hmlm_get_state)->csuuidi);
	EXPECT_EQ(HMLM_STATE_VENDOR, st.flags & (HMLM_STATE_VENDOR | HMLM_STATE_NVME));
	hmlm_state_free(&st);
}

TEST_F(dev, state_get_unsupported_format)
{
	struct hmlm_state_fmt fmt = { .flags = HMLM_STATE_NVME, .nvme_version = 9 };
	struct hmlm_state st;

	EXPECT_EQ(-EOPNOTSUPP, hmlm_state_get(self->src, &fmt, &st));
	EXPECT_EQ(0u, mock_count(NVME_HMLM_GET_STATE));
}

TEST_F(dev, state_set_maps_version_to_target_index)
{
	struct hmlm_state st = { .flags = HMLM_STATE_NVME, .nvme_version = 1 };
	const struct nvme_hmlm_set_state *k;

	st.data = self->f.state;
	st.len = self->f.state_len;
	self->f.dst.suspended = 1;
	ASSERT_EQ(0, hmlm_state_set(self->dst, &st));
	k = CALL(NVME_HMLM_SET_STATE, 0, struct nvme_hmlm_set_state);
	EXPECT_EQ(sizeof(*k), k->size);
	EXPECT_EQ(1, k->csvi);	/* version 1 is CSVI 1 on the target */
	EXPECT_EQ(0, k->csuuidi);
	EXPECT_EQ(st.len, k->buf_len);
	EXPECT_EQ(0, memcmp(self->f.set, self->f.state, st.len));
	st.nvme_version = 0;
	ASSERT_EQ(0, hmlm_state_set(self->dst, &st));
	EXPECT_EQ(2, CALL(NVME_HMLM_SET_STATE, 1, struct nvme_hmlm_set_state)->csvi);
}

TEST_F(dev, state_set_unknown_version_sends_nothing)
{
	struct hmlm_state st = { .flags = HMLM_STATE_NVME, .nvme_version = 7 };

	st.data = self->f.state;
	st.len = self->f.state_len;
	EXPECT_EQ(-EOPNOTSUPP, hmlm_state_set(self->dst, &st));
	st.len = 10;
	EXPECT_EQ(-EINVAL, hmlm_state_set(self->dst, &st));
	EXPECT_EQ(0u, mock_count(NVME_HMLM_SET_STATE));
}

TEST_F(dev, state_set_status_kept)
{
	struct hmlm_state st = { .flags = HMLM_STATE_NVME, .nvme_version = 0 };

	st.data = self->f.state;
	st.len = self->f.state_len;
	self->f.set_status = 0x4002;
	self->f.dst.suspended = 1;
	EXPECT_EQ(-EIO, hmlm_state_set(self->dst, &st));
	EXPECT_EQ(0x4002, hmlm_session_nvme_status(self->dst));
}

TEST_F(dev, state_set_drops_an_empty_nvme_part)
{
	unsigned char blob[72];
	struct hmlm_state st = { .flags = HMLM_STATE_NVME | HMLM_STATE_VENDOR };
	const struct nvme_hmlm_set_state *k;

	memset(blob, 0, sizeof(blob));
	blob[16] = 2;			/* NVMECSS: 2 dwords, no queues */
	blob[32] = 4;			/* VSS: 4 dwords */
	memset(blob + 56, 0x5a, 16);	/* the vendor part */
	self->f.dst.nuuid = 1;
	memset(self->f.dst.uuids[0], 0x77, 16);
	memset(st.uuid, 0x77, 16);
	st.data = blob;
	st.len = sizeof(blob);
	self->f.dst.suspended = 1;
	ASSERT_EQ(0, hmlm_state_set(self->dst, &st));
	k = CALL(NVME_HMLM_SET_STATE, 0, struct nvme_hmlm_set_state);
	EXPECT_EQ(0, k->csvi);
	EXPECT_EQ(1, k->csuuidi);
	EXPECT_EQ(64u, k->buf_len);
	EXPECT_EQ(0, self->f.set[16]);	/* NVMECSS cleared */
	EXPECT_EQ(4, self->f.set[32]);
	EXPECT_EQ(0x5a, self->f.set[48]);
	EXPECT_EQ(0x5a, self->f.set[63]);
}

TEST(state_fmt_common_rule)
{
	struct hmlm_caps a, b;
	struct hmlm_state_fmt f;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.num_state_versions = 3;
	a.state_versions[0] = 0;
	a.state_versions[1] = 2;
	a.state_versions[2] = 1;
	b.num_state_versions = 2;
	b.state_versions[0] = 1;
	b.state_versions[1] = 0;
	ASSERT_EQ(0, hmlm_state_fmt_common(&a, &b, &f));
	EXPECT_EQ(HMLM_STATE_NVME, f.flags);
	EXPECT_EQ(1, f.nvme_version);	/* 2 is not on the target */
	ASSERT_EQ(0, hmlm_state_fmt_common(&a, NULL, &f));
	EXPECT_EQ(2, f.nvme_version);
	a.num_state_uuids = 1;
	memset(a.state_uuids[0], 0x11, 16);
	b.num_state_uuids = 2;
	memset(b.state_uuids[1], 0x11, 16);
	ASSERT_EQ(0, hmlm_state_fmt_common(&a, &b, &f));
	EXPECT_TRUE(f.flags & HMLM_STATE_VENDOR);
	EXPECT_EQ(0x11, f.uuid[15]);
	b.num_state_versions = 1;
	b.state_versions[0] = 5;
	b.num_state_uuids = 0;
	EXPECT_EQ(-EOPNOTSUPP, hmlm_state_fmt_common(&a, &b, &f));
}

TEST_F(dev, log_start_encodes_entries_and_flags)
{
	const struct nvme_hmlm_log_start *k;
	struct hmlm_log *log;

	EXPECT_EQ(-EINVAL, hmlm_log_start(self->src, 1, 0, &log));
	EXPECT_EQ(-EINVAL, hmlm_log_start(self->src, 65537, 0, &log));
	EXPECT_EQ(0u, mock_count(NVME_HMLM_LOG_START));
	ASSERT_EQ(0, hmlm_log_start(self->src, 0, HMLM_LOG_PRP_LIST, &log));
	k = CALL(NVME_HMLM_LOG_START, 0, struct nvme_hmlm_log_start);
	EXPECT_EQ(sizeof(*k), k->size);
	EXPECT_EQ(HMLM_LOG_DEFAULT_ENTRIES, k->entries);
	EXPECT_EQ(NVME_HMLM_LOG_PRP_LIST, k->flags);
	EXPECT_GE(hmlm_log_fd(log), 0);
	hmlm_log_close(log);
	close(self->f.log_w);
	self->f.log_w = -1;
	ASSERT_EQ(0, hmlm_log_start(self->src, 64, HMLM_LOG_NONBLOCK, &log));
	k = CALL(NVME_HMLM_LOG_START, 1, struct nvme_hmlm_log_start);
	EXPECT_EQ(64u, k->entries);
	EXPECT_EQ(NVME_HMLM_LOG_NONBLOCK, k->flags);
	hmlm_log_close(log);
}

TEST_F(dev, log_read_decodes_records_and_markers)
{
	struct hmlm_log_rec r[8];
	struct hmlm_log *log;
	int n;

	ASSERT_EQ(0, hmlm_log_start(self->src, 16, 0, &log));
	fake_log(&self->f, 1, NVME_HMLM_REC_RANGE, 0, 100, 8);
	fake_log(&self->f, 2, NVME_HMLM_REC_NS, 0, 0, 0);
	n = hmlm_log_read(log, r, 8, 1000);
	ASSERT_EQ(3, n);
	EXPECT_EQ(HMLM_LOG_MARK_FIRST, r[0].marker);
	EXPECT_EQ(1u, r[1].nsid);
	EXPECT_EQ(100u, r[1].slba);
	EXPECT_EQ(8u, r[1].nlb);
	EXPECT_EQ(1u, r[1].seq);
	EXPECT_EQ(HMLM_LOG_REC_NS, r[2].kind);
	EXPECT_EQ(HMLM_LOG_SEEN_FIRST, hmlm_log_markers(log));
	EXPECT_EQ(-EAGAIN, hmlm_log_read(log, r, 8, 0));
	fake_log_end(&self->f, NVME_HMLM_MARK_FULL);
	EXPECT_EQ(1, hmlm_log_read(log, r, 8, 1000));
	EXPECT_EQ(0, hmlm_log_read(log, r, 8, 1000));
	EXPECT_TRUE(hmlm_log_markers(log) & HMLM_LOG_SEEN_FULL);
	EXPECT_TRUE(hmlm_log_markers(log) & HMLM_LOG_SEEN_EOF);
	EXPECT_EQ(4u, hmlm_log_records(log));
	hmlm_log_close(log);
}

TEST_F(dev, log_collect_folds_into_extents)
{
	struct hmlm_extents *set;
	struct hmlm_extent e = { 0 };
	struct hmlm_log *log;

	ASSERT_EQ(0, hmlm_extents_new(64, &set));
	ASSERT_EQ(0, hmlm_extents_add_ns(set, 1, 1024, 512, 8));
	ASSERT_EQ(0, hmlm_extents_add_ns(set, 2, 64, 4096, 1));
	ASSERT_EQ(0, hmlm_log_start(self->src, 16, 0, &log));
	fake_log(&self->f, 1, NVME_HMLM_REC_RANGE, 0, 9, 2);	/* -> 8..15 */
	fake_log(&self->f, 1, NVME_HMLM_REC_RANGE, 0, 14, 4);	/* -> 8..23 */
	fake_log(&self->f, 7, NVME_HMLM_REC_RANGE, 0, 0, 1);	/* not ours */
	fake_log(&self->f, 2, NVME_HMLM_REC_NS, 0, 0, 0);
	fake_log_end(&self->f, NVME_HMLM_MARK_STOPPED);
	EXPECT_EQ(6, hmlm_log_collect(log, set, 1000));
	EXPECT_EQ(0, hmlm_log_collect(log, set, 1000));
	EXPECT_TRUE(hmlm_log_markers(log) & HMLM_LOG_SEEN_STOPPED);
	EXPECT_TRUE(hmlm_log_markers(log) & HMLM_LOG_SEEN_EOF);
	ASSERT_EQ(1, hmlm_extents_next(set, &e));
	EXPECT_EQ(1u, e.nsid);
	EXPECT_EQ(8u, e.slba);
	EXPECT_EQ(16u, e.nlb);
	ASSERT_EQ(1, hmlm_extents_next(set, &e));
	EXPECT_EQ(2u, e.nsid);
	EXPECT_EQ(64u, e.nlb);
	EXPECT_EQ(16u * 512 + 64u * 4096, hmlm_extents_bytes(set, HMLM_NSID_ALL));
	hmlm_log_close(log);
	hmlm_extents_free(set);
}

TEST_F(dev, log_stop_goes_to_the_log_fd)
{
	const struct mock_call *c;
	struct hmlm_log *log;

	ASSERT_EQ(0, hmlm_log_start(self->src, 16, 0, &log));
	ASSERT_EQ(0, hmlm_log_stop(log));
	c = mock_nth(NVME_HMLM_LOG_STOP, 0);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(hmlm_log_fd(log), c->fd);
	EXPECT_EQ(sizeof(struct nvme_hmlm_log_stop), c->len);
	hmlm_log_close(log);
}

TEST_F(dev, alloc_iterator_batches)
{
	struct hmlm_alloc_iter *it;
	struct hmlm_lba_range r;
	const struct nvme_hmlm_alloc_lbas *k;
	int i, n = 0;

	for (i = 0; i < 5; i++)
		self->f.alloc[i] = (struct nvme_hmlm_lba_range){ 100 * i + 10, 5 };
	self->f.nalloc = 5;
	self->f.alloc_batch = 2;
	ASSERT_EQ(0, hmlm_alloc_iter_new(self->src, 1, 0, &it));
	while (hmlm_alloc_iter_next(it, &r) == 1) {
		EXPECT_EQ(100u * n + 10, r.slba);
		EXPECT_EQ(5u, r.nlb);
		n++;
	}
	EXPECT_EQ(5, n);
	EXPECT_EQ(3u, mock_count(NVME_HMLM_GET_ALLOC_LBAS));
	k = CALL(NVME_HMLM_GET_ALLOC_LBAS, 1, struct nvme_hmlm_alloc_lbas);
	EXPECT_EQ(sizeof(*k), k->size);
	EXPECT_EQ(1u, k->nsid);
	EXPECT_EQ(210u, k->slba);	/* out_next_lba of the first call */
	EXPECT_GE(k->num, 1u);
	EXPECT_EQ(0, hmlm_alloc_iter_next(it, &r));
	hmlm_alloc_iter_free(it);
}

TEST_F(dev, alloc_iterator_status)
{
	struct hmlm_alloc_iter *it;
	struct hmlm_lba_range r;

	self->f.alloc_status = ST_INVALID;
	EXPECT_EQ(-EINVAL, hmlm_alloc_iter_new(self->src, 0, 0, &it));
	ASSERT_EQ(0, hmlm_alloc_iter_new(self->src, 1, 0, &it));
	EXPECT_EQ(-EIO, hmlm_alloc_iter_next(it, &r));
	EXPECT_EQ(ST_INVALID, hmlm_session_nvme_status(self->src));
	hmlm_alloc_iter_free(it);
}

TEST_F(dev, mem_track_start_encodes_units)
{
	struct hmlm_mem_range r[2] = { { 0x200000, 0x10000 }, { 0x400000, 0x2001 } };
	const struct nvme_hmlm_track_mem *k;

	ASSERT_EQ(0, hmlm_mem_track_start(self->src, r, 2, 1, NULL));	/* 8 KiB */
	k = CALL(NVME_HMLM_TRACK_MEM, 0, struct nvme_hmlm_track_mem);
	EXPECT_EQ(sizeof(*k), k->size);
	EXPECT_EQ(NVME_HMLM_TRACK_START, k->op);
	EXPECT_EQ(1, k->gran);
	EXPECT_EQ(2u, k->num);
	r[0].addr = 0x201000;	/* not 8 KiB aligned */
	EXPECT_EQ(-EINVAL, hmlm_mem_track_start(self->src, r, 2, 1, NULL));
	EXPECT_EQ(1u, mock_count(NVME_HMLM_TRACK_MEM));
}

static int track_units_handler(int fd, unsigned long cmd, void *arg, void *priv)
{
	struct nvme_hmlm_track_mem *k = arg;
	struct nvme_hmlm_mem_range *r = (void *)(uintptr_t)k->ranges_uptr;

	(void)fd; (void)priv;
	if (cmd == NVME_HMLM_TRACK_MEM && k->op == NVME_HMLM_TRACK_START) {
		if (r[0].len != 8 || r[1].len != 2 || r[1].addr != 0x400000)
			return -EBADMSG;
	}
	return 0;
}

TEST_F(dev, mem_track_lengths_round_up)
{
	struct hmlm_mem_range r[2] = { { 0x200000, 0x10000 }, { 0x400000, 0x2001 } };

	mock_set_handler(track_units_handler, NULL);
	EXPECT_EQ(0, hmlm_mem_track_start(self->src, r, 2, 1, NULL));
}

TEST_F(dev, mem_track_not_enough_resources)
{
	struct hmlm_mem_range r = { 0, 4096 };
	struct hmlm_mem_limits lim = { 0 };

	self->f.mem_nores = 1;
	EXPECT_EQ(-ENOSPC, hmlm_mem_track_start(self->src, &r, 1, 0, &lim));
	EXPECT_EQ(3, lim.min_gran);
	EXPECT_EQ(5u, lim.max_ranges);
	EXPECT_EQ(ST_NORES, hmlm_session_nvme_status(self->src));
}

TEST_F(dev, mem_track_recv_and_stop)
{
	struct hmlm_mem_range r[4];
	unsigned int attrs = 99;
	const struct nvme_hmlm_track_mem *k;

	self->f.src.suspended = 1;
	ASSERT_EQ(1, hmlm_mem_track_recv(self->src, r, 4, &attrs));
	EXPECT_EQ(HMLM_MEM_MORE, attrs);
	EXPECT_EQ(0x100000u, r[0].addr);
	EXPECT_EQ(2u * 8192, r[0].len);	/* 2 units of 2^1 * 4 KiB */
	k = CALL(NVME_HMLM_TRACK_MEM, 0, struct nvme_hmlm_track_mem);
	EXPECT_EQ(NVME_HMLM_TRACK_RECV, k->op);
	EXPECT_EQ(4u, k->num);
	ASSERT_EQ(1, hmlm_mem_track_recv(self->src, r, 4, &attrs));
	EXPECT_EQ(HMLM_MEM_SUSPENDED, attrs);
	EXPECT_EQ(-EIO, hmlm_mem_track_stop(self->src));	/* suspended */
	EXPECT_EQ(0x4139, hmlm_session_nvme_status(self->src));
	self->f.src.suspended = 0;
	ASSERT_EQ(0, hmlm_mem_track_stop(self->src));
	k = CALL(NVME_HMLM_TRACK_MEM, 3, struct nvme_hmlm_track_mem);
	EXPECT_EQ(NVME_HMLM_TRACK_STOP, k->op);
	EXPECT_EQ(0u, k->num);
}

/* A kernel that answers the secondary controller list with bad counts. */
static int lying_sec_handler(int fd, unsigned long cmd, void *arg, void *priv)
{
	struct nvme_hmlm_get_caps *k = arg;
	int *mode = priv;

	(void)fd;
	if (cmd != NVME_HMLM_GET_CAPS)
		return 0;
	k->out_caps = NVME_HMLM_CAPS_HMLMS | NVME_HMLM_CAPS_SEC_LIST;
	if (*mode == 0) {
		/* success, with more entries than the buffer holds */
		k->sec_num += 3;
		return 0;
	}
	k->sec_num += 1;	/* "it grew": for ever */
	return -EMSGSIZE;
}

/*
 * hmlm_list_secondary() does not trust the kernel's count: more entries
 * than it gave room for is -EPROTO (it read past its buffer before), and
 * a list that keeps growing ends after a few tries.
 */
TEST(list_secondary_distrusts_the_count)
{
	struct hmlm_secondary *list = NULL;
	int mode = 0;

	mock_reset();
	mock_set_handler(lying_sec_handler, &mode);
	EXPECT_EQ(-EPROTO, hmlm_list_secondary("/dev/null", &list));
	EXPECT_EQ(NULL, list);
	mode = 1;
	EXPECT_EQ(-EAGAIN, hmlm_list_secondary("/dev/null", &list));
	EXPECT_EQ(NULL, list);
	EXPECT_GE(8u, mock_count(NVME_HMLM_GET_CAPS));
	mock_reset();
}

TEST_HARNESS_MAIN
