// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of the migration orchestrator (lib/migrate.c) against the
 * scripted device of fakedev.h behind hmlm_mock.so, with regular files as
 * the namespaces' block devices: what is copied, the convergence rule, the
 * order of Suspend / SUSPENDED callback / Get State, the cancel paths, a
 * full migration queue, memory tracking, and the stream (out | in).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <liburing.h>

#include "kselftest_harness.h"
#include <hmlm.h>
#include "fakedev.h"

#define LBA	512
#define NLBAS	2048
#define NS_BYTES (LBA * NLBAS)

struct ctx {
	struct fake *f;
	int src_fd;
	enum hmlm_phase last_phase;
	unsigned int last_round;
	int started;
	/* scripting */
	int cancel_phase;		/* -1: never */
	int dirty_precopy;		/* extents written at pre-copy start */
	int dirty_each_round;		/* extents written at every round start */
	int dirty_decreasing;		/* ... one fewer every round */
	int full_at_precopy;
	int rewrite_in_round;		/* rewrite a copied extent mid-round */
	int rewrote;
	uint8_t gen;
	/* observations */
	unsigned int phases[HMLM_PHASE_DONE + 1];
	int suspended_seen_src_suspended;
	unsigned int state_gets_at_suspended;
	unsigned int mem_cb_ranges;
	uint64_t mem_cb_len;
};

static void fill_lbas(int fd, uint64_t slba, uint64_t nlb, uint8_t gen)
{
	unsigned char buf[LBA];
	uint64_t l;
	unsigned int i;

	for (l = slba; l < slba + nlb; l++) {
		for (i = 0; i < LBA; i++)
			buf[i] = (unsigned char)(l * 31 + i + gen * 101);
		if (pwrite(fd, buf, LBA, (off_t)(l * LBA)) != LBA)
			abort();
	}
}

/*
 * The guest writes @n separate 8-LBA extents and the device logs them.
 * Each call uses another area, so a round's writes (read from the queue
 * while that round copies) are all left for the next round.
 */
static void dirty(struct ctx *c, int n)
{
	int i;

	c->gen++;
	for (i = 0; i < n; i++) {
		uint64_t slba = 1024 + 256 * (uint64_t)(c->gen % 4) + 16 * (uint64_t)i;

		fill_lbas(c->src_fd, slba, 8, c->gen);
		fake_log(c->f, 1, NVME_HMLM_REC_RANGE, 0, slba, 8);
	}
}

static int on_progress(const struct hmlm_progress *p, void *arg)
{
	struct ctx *c = arg;
	int fresh = !c->started || p->phase != c->last_phase ||
		    p->round != c->last_round;

	c->started = 1;
	c->last_phase = p->phase;
	c->last_round = p->round;
	if (!fresh && c->rewrite_in_round && !c->rewrote &&
	    p->phase == HMLM_PHASE_ROUND) {
		/* the first extent of the round was just copied: change it */
		uint64_t slba = 1024 + 256 * (uint64_t)(1 % 4);

		c->rewrote = 1;
		fill_lbas(c->src_fd, slba, 8, 200);
		fake_log(c->f, 1, NVME_HMLM_REC_RANGE, 0, slba, 8);
	}
	if (!fresh)
		return 0;
	c->phases[p->phase]++;
	if (p->phase == HMLM_PHASE_SUSPENDED) {
		c->suspended_seen_src_suspended = c->f->src.suspended;
		c->state_gets_at_suspended = mock_count(NVME_HMLM_GET_STATE);
	}
	if (p->phase == HMLM_PHASE_PRECOPY && c->phases[p->phase] == 1) {
		if (c->dirty_precopy)
			dirty(c, c->dirty_precopy);
		if (c->full_at_precopy) {
			fill_lbas(c->src_fd, 300, 50, 77);	/* a gap */
			fake_log_end(c->f, NVME_HMLM_MARK_FULL);
		}
	}
	if (p->phase == HMLM_PHASE_ROUND) {
		if (c->dirty_each_round)
			dirty(c, c->dirty_each_round);
		if (c->dirty_decreasing > 0)
			dirty(c, --c->dirty_decreasing);
	}
	return (int)p->phase == c->cancel_phase;
}

static int on_mem(const struct hmlm_mem_range *r, unsigned int n, void *arg)
{
	struct ctx *c = arg;
	unsigned int i;

	c->mem_cb_ranges += n;
	for (i = 0; i < n; i++)
		c->mem_cb_len += r[i].len;
	return 0;
}

FIXTURE(mig) {
	struct fake f;
	struct ctx c;
	struct hmlm_session *src, *dst;
	char src_path[64], dst_path[64], stream_path[64];
	int src_fd, dst_fd;
	struct hmlm_ns_map map;
	struct hmlm_migrate_params p;
	struct hmlm_migrate_report r;
};

static int mk(char *path, const char *tmpl)
{
	strcpy(path, tmpl);
	return mkstemp(path);
}

FIXTURE_SETUP(mig)
{
	unsigned char junk[NS_BYTES];

	signal(SIGPIPE, SIG_IGN);
	mock_reset();
	fake_init(&self->f);
	mock_set_handler(fake_handler, &self->f);
	self->src_fd = mk(self->src_path, "/tmp/hmlm-src-XXXXXX");
	self->dst_fd = mk(self->dst_path, "/tmp/hmlm-dst-XXXXXX");
	ASSERT_GE(self->src_fd, 0);
	ASSERT_GE(self->dst_fd, 0);
	ASSERT_EQ(0, ftruncate(self->src_fd, NS_BYTES));
	memset(junk, 0xee, sizeof(junk));
	ASSERT_EQ(NS_BYTES, pwrite(self->dst_fd, junk, NS_BYTES, 0));
	/* allocated: 0..63, 512..639, 1500..1599; the rest reads zeroes */
	self->f.alloc[0] = (struct nvme_hmlm_lba_range){ 0, 64 };
	self->f.alloc[1] = (struct nvme_hmlm_lba_range){ 512, 128 };
	self->f.alloc[2] = (struct nvme_hmlm_lba_range){ 1500, 100 };
	self->f.nalloc = 3;
	fill_lbas(self->src_fd, 0, 64, 0);
	fill_lbas(self->src_fd, 512, 128, 0);
	fill_lbas(self->src_fd, 1500, 100, 0);
	ASSERT_EQ(0, hmlm_session_open("/dev/null", SRC_CNTLID, &self->src));
	ASSERT_EQ(0, hmlm_session_open("/dev/null", DST_CNTLID, &self->dst));
	self->map = (struct hmlm_ns_map){ 1, 1, self->src_path, self->dst_path };
	memset(&self->c, 0, sizeof(self->c));
	self->c.f = &self->f;
	self->c.src_fd = self->src_fd;
	self->c.cancel_phase = -1;
	memset(&self->p, 0, sizeof(self->p));
	self->p.size = sizeof(self->p);
	memset(&self->r, 0, sizeof(self->r));
	self->r.size = sizeof(self->r);
	self->p.progress = on_progress;
	self->p.progress_arg = &self->c;
	self->stream_path[0] = '\0';
}

FIXTURE_TEARDOWN(mig)
{
	hmlm_session_close(self->src);
	hmlm_session_close(self->dst);
	close(self->src_fd);
	close(self->dst_fd);
	unlink(self->src_path);
	unlink(self->dst_path);
	if (self->stream_path[0])
		unlink(self->stream_path);
	if (self->f.log_w >= 0)
		close(self->f.log_w);
	mock_reset();
}

static int same(int a, int b)
{
	static unsigned char x[NS_BYTES], y[NS_BYTES];

	if (pread(a, x, NS_BYTES, 0) != NS_BYTES ||
	    pread(b, y, NS_BYTES, 0) != NS_BYTES)
		return 0;
	return !memcmp(x, y, NS_BYTES);
}

/* What the target held when it was resumed. */
static struct {
	int src_fd, dst_fd;
	int data_same, state_set;
} at_resume;

static void check_at_resume(struct fake *f)
{
	at_resume.data_same = same(at_resume.src_fd, at_resume.dst_fd);
	at_resume.state_set = f->set_len && f->set_len == f->state_len;
}

static int all_byte(int fd, unsigned char v)
{
	static unsigned char x[NS_BYTES];
	unsigned int i;

	if (pread(fd, x, NS_BYTES, 0) != NS_BYTES)
		return 0;
	for (i = 0; i < NS_BYTES; i++)
		if (x[i] != v)
			return 0;
	return 1;
}

TEST_F(mig, copies_allocated_and_zeroes_gaps)
{
	ASSERT_EQ(0, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_TRUE(same(self->src_fd, self->dst_fd));
	EXPECT_EQ((64 + 128 + 100) * LBA, self->r.allocated_bytes);
	EXPECT_EQ((64 + 128 + 100) * LBA, self->r.bytes_copied);
	EXPECT_EQ(0u, self->r.rounds);
	EXPECT_TRUE(self->r.flags & HMLM_REPORT_CONVERGED);
	EXPECT_EQ(self->f.state_len, self->r.state_bytes);
	EXPECT_EQ(1u, self->c.phases[HMLM_PHASE_DONE]);
	EXPECT_EQ(1u, self->c.phases[HMLM_PHASE_RESUMED]);
}

TEST_F(mig, suspended_callback_before_state_is_read)
{
	int src_suspend;

	ASSERT_EQ(0, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_EQ(1u, self->c.phases[HMLM_PHASE_SUSPENDED]);
	EXPECT_TRUE(self->c.suspended_seen_src_suspended);
	EXPECT_EQ(0u, self->c.state_gets_at_suspended);
	src_suspend = fake_index(&self->f, &self->f.src, NVME_HMLM_SUSPEND, 0);
	ASSERT_GE(src_suspend, 0);
	EXPECT_LT(src_suspend, mock_index(NVME_HMLM_GET_STATE, 0));
	EXPECT_EQ(0u, self->f.state_gets_before_suspend);
	/* DUDMQ on the source's first Suspend, KEEP once the target runs */
	EXPECT_EQ(NVME_HMLM_SUSPEND_DUDMQ,
		  ((const struct nvme_hmlm_suspend *)mock_get((unsigned int)src_suspend)->data)->flags);
	EXPECT_EQ(NVME_HMLM_SUSPEND_KEEP, self->f.src.last_suspend_flags);
	EXPECT_EQ(0u, self->f.src.resumes);
}

TEST_F(mig, state_moves_with_target_index)
{
	ASSERT_EQ(0, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	ASSERT_EQ(self->f.state_len, self->f.set_len);
	EXPECT_EQ(0, memcmp(self->f.set, self->f.state, self->f.set_len));
	/* common version 1: CSVI 2 on the source, CSVI 1 on the target */
	EXPECT_EQ(2, ((const struct nvme_hmlm_get_state *)mock_nth(NVME_HMLM_GET_STATE, 0)->data)->csvi);
	EXPECT_EQ(1, self->f.set_csvi);
	EXPECT_EQ(1u, self->f.dst.resumes);
}

TEST_F(mig, precopy_writes_copied_in_a_round)
{
	self->c.dirty_precopy = 3;
	self->p.converge_bytes = 1;
	ASSERT_EQ(0, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_TRUE(same(self->src_fd, self->dst_fd));
	EXPECT_EQ(1u, self->r.rounds);
	EXPECT_EQ(3u * 8 * LBA, self->r.round_bytes[1]);
	EXPECT_EQ(3u * 8 * LBA, self->r.bytes_rewritten);
	EXPECT_EQ(5u, self->r.log_records);	/* first, 3 ranges, suspended */
}

TEST_F(mig, change_during_a_copy_is_copied_again)
{
	self->c.dirty_precopy = 2;
	self->c.rewrite_in_round = 1;
	self->p.converge_bytes = 1;
	ASSERT_EQ(0, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_TRUE(self->c.rewrote);
	EXPECT_EQ(2u, self->r.rounds);
	EXPECT_EQ(8u * LBA, self->r.round_bytes[2]);
	EXPECT_TRUE(same(self->src_fd, self->dst_fd));
}

TEST_F(mig, converged_dirty_copied_in_a_settle_round)
{
	/* converged: what is left is copied once more while the source runs */
	self->c.dirty_precopy = 1;
	ASSERT_EQ(0, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_TRUE(same(self->src_fd, self->dst_fd));
	EXPECT_EQ(1u, self->r.rounds);
	EXPECT_TRUE(self->r.flags & HMLM_REPORT_CONVERGED);
	EXPECT_EQ(8u * LBA, self->r.round_bytes[1]);
	EXPECT_EQ(0u, self->r.stopcopy_bytes);
	EXPECT_EQ(1u, self->c.phases[HMLM_PHASE_STOPCOPY]);
	/* after the target's Suspend and flush, before the source's */
	EXPECT_LT(fake_index(&self->f, &self->f.dst, NVME_HMLM_SUSPEND, 0),
		  fake_index(&self->f, &self->f.src, NVME_HMLM_SUSPEND, 0));
}

TEST_F(mig, changes_after_the_last_round_go_to_stop_and_copy)
{
	self->c.dirty_each_round = 2;	/* logged while the settle round copies */
	self->c.dirty_precopy = 1;
	self->p.converge_bytes = 1 << 30;
	ASSERT_EQ(0, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_TRUE(same(self->src_fd, self->dst_fd));
	EXPECT_EQ(1u, self->r.rounds);
	EXPECT_EQ(8u * LBA, self->r.round_bytes[1]);
	EXPECT_EQ(2u * 8 * LBA, self->r.stopcopy_bytes);
}

TEST_F(mig, max_rounds_ends_the_rounds)
{
	self->c.dirty_precopy = 10;
	self->c.dirty_decreasing = 10;
	self->p.converge_bytes = 1;
	self->p.max_rounds = 3;
	ASSERT_EQ(0, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_EQ(3u, self->r.rounds);
	EXPECT_TRUE(self->r.flags & HMLM_REPORT_MAX_ROUNDS);
	EXPECT_FALSE(self->r.flags & HMLM_REPORT_NO_PROGRESS);
	EXPECT_EQ(10u * 8 * LBA, self->r.round_bytes[1]);
	EXPECT_EQ(9u * 8 * LBA, self->r.round_bytes[2]);
	EXPECT_EQ(7u * 8 * LBA, self->r.stopcopy_bytes);
	EXPECT_TRUE(same(self->src_fd, self->dst_fd));
}

TEST_F(mig, no_progress_ends_the_rounds)
{
	self->c.dirty_precopy = 4;
	self->c.dirty_each_round = 4;
	self->p.converge_bytes = 1;
	ASSERT_EQ(0, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_EQ(1u, self->r.rounds);
	EXPECT_TRUE(self->r.flags & HMLM_REPORT_NO_PROGRESS);
	EXPECT_TRUE(same(self->src_fd, self->dst_fd));
}

TEST_F(mig, cancel_in_a_round_leaves_source_running)
{
	self->c.dirty_precopy = 4;
	self->p.converge_bytes = 1;
	self->c.cancel_phase = HMLM_PHASE_ROUND;
	EXPECT_EQ(-ECANCELED, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_EQ(0u, mock_count(NVME_HMLM_SUSPEND));
	EXPECT_EQ(0u, mock_count(NVME_HMLM_SET_STATE));
	EXPECT_FALSE(self->f.src.suspended);
}

TEST_F(mig, cancel_when_suspended_resumes_source)
{
	self->c.cancel_phase = HMLM_PHASE_SUSPENDED;
	EXPECT_EQ(-ECANCELED, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_EQ(1u, self->f.src.resumes);
	EXPECT_FALSE(self->f.src.suspended);
	EXPECT_EQ(0u, mock_count(NVME_HMLM_GET_STATE));
	EXPECT_TRUE(self->r.flags & HMLM_REPORT_SOURCE_RESUMED);
}

TEST_F(mig, cancel_ignored_after_state)
{
	self->c.cancel_phase = HMLM_PHASE_STATE;
	EXPECT_EQ(0, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_EQ(1u, self->f.dst.resumes);
	EXPECT_EQ(0u, self->f.src.resumes);
}

TEST_F(mig, target_set_state_failure_resumes_source)
{
	self->f.set_status = ST_INVALID;
	EXPECT_EQ(-EIO, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_EQ(ST_INVALID, self->r.nvme_status);
	EXPECT_EQ(1u, self->f.src.resumes);
	EXPECT_FALSE(self->f.src.suspended);
	EXPECT_TRUE(self->r.flags & HMLM_REPORT_SOURCE_RESUMED);
	EXPECT_EQ(0u, self->f.dst.resumes);
}

TEST_F(mig, target_resume_failure_resumes_source)
{
	self->f.resume_dst_status = 0x4006;
	EXPECT_EQ(-EIO, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_EQ(0x4006, self->r.nvme_status);
	EXPECT_EQ(1u, self->f.src.resumes);
}

TEST_F(mig, target_suspended_before_the_source)
{
	int dst_suspend, src_suspend;

	ASSERT_EQ(0, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_EQ(1u, self->f.dst.suspends);
	EXPECT_EQ(1u, mock_count(NVME_HMLM_SET_STATE));
	dst_suspend = fake_index(&self->f, &self->f.dst, NVME_HMLM_SUSPEND, 0);
	src_suspend = fake_index(&self->f, &self->f.src, NVME_HMLM_SUSPEND, 0);
	ASSERT_GE(dst_suspend, 0);
	/* the idle target is suspended while the VM still runs: not in the downtime */
	EXPECT_LT(dst_suspend, src_suspend);
	EXPECT_LT(mock_index(NVME_HMLM_GET_STATE, 0), mock_index(NVME_HMLM_SET_STATE, 0));
	EXPECT_LT(mock_index(NVME_HMLM_SET_STATE, 0), mock_index(NVME_HMLM_RESUME, 0));
	EXPECT_EQ(1u, self->f.dst.resumes);
}

TEST_F(mig, target_suspend_failure_leaves_source_running)
{
	self->f.suspend_dst_status = ST_INVALID;
	EXPECT_EQ(-EIO, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_EQ(ST_INVALID, self->r.nvme_status);
	EXPECT_EQ(0u, self->f.src.suspends);
	EXPECT_EQ(0u, mock_count(NVME_HMLM_GET_STATE));
	EXPECT_EQ(0, self->f.mem_tracking);
	EXPECT_EQ(0u, self->c.phases[HMLM_PHASE_SUSPENDED]);
}

/*
 * The settle round's writes (three extents) are left for the stop-and-copy;
 * what the target holds when it is resumed goes to at_resume.
 */
static void three_left_for_stopcopy(FIXTURE_DATA(mig) *self)
{
	self->c.dirty_precopy = 1;
	self->c.dirty_each_round = 3;
	self->p.converge_bytes = 1 << 30;
	memset(&at_resume, 0, sizeof(at_resume));
	at_resume.src_fd = self->src_fd;
	at_resume.dst_fd = self->dst_fd;
	self->f.on_dst_resume = check_at_resume;
}

TEST_F(mig, target_resumed_after_stopcopy_and_state)
{
	three_left_for_stopcopy(self);
	ASSERT_EQ(0, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_EQ(3u * 8 * LBA, self->r.stopcopy_bytes);
	EXPECT_TRUE(at_resume.data_same);
	EXPECT_TRUE(at_resume.state_set);
	EXPECT_EQ(1u, self->f.dst.resumes);
}

/*
 * Get Controller State made slow (@get_state_us) or failing (@get_state_status)
 * on top of the fake device.
 */
static struct {
	unsigned int get_state_us;
	int get_state_status;
} slow;

static int slow_get_state_handler(int fd, unsigned long cmd, void *arg, void *priv)
{
	if (cmd == NVME_HMLM_GET_STATE) {
		if (slow.get_state_status)
			return slow.get_state_status;
		usleep(slow.get_state_us);
	}
	return fake_handler(fd, cmd, arg, priv);
}

TEST_F(mig, stopcopy_writes_run_while_the_state_is_read)
{
	three_left_for_stopcopy(self);
	memset(&slow, 0, sizeof(slow));
	slow.get_state_us = 30000;
	mock_set_handler(slow_get_state_handler, &self->f);
	ASSERT_EQ(0, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_EQ(3u * 8 * LBA, self->r.stopcopy_bytes);
	EXPECT_GE(self->r.state_get_ns, 30000000u);
	/*
	 * The writes were reaped after the state was read, not before: the
	 * stop-and-copy contains Get Controller State (and the Track Receive
	 * before it) instead of adding to it.
	 */
	EXPECT_GE(self->r.stopcopy_ns, self->r.state_get_ns);
	EXPECT_TRUE(at_resume.data_same);
	EXPECT_TRUE(at_resume.state_set);
	EXPECT_TRUE(same(self->src_fd, self->dst_fd));
}

TEST_F(mig, state_read_failure_with_stopcopy_writes_in_flight)
{
	three_left_for_stopcopy(self);
	memset(&slow, 0, sizeof(slow));
	slow.get_state_status = 0x4006;	/* DNR, Internal Error */
	mock_set_handler(slow_get_state_handler, &self->f);
	EXPECT_EQ(-EIO, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_EQ(HMLM_STEP_STATE_GET, self->r.err_step);
	EXPECT_EQ(0x4006, self->r.nvme_status);
	/* the source runs again; the target, sent no state, too */
	EXPECT_EQ(1u, self->f.src.resumes);
	EXPECT_FALSE(self->f.src.suspended);
	EXPECT_FALSE(self->f.dst.suspended);
	EXPECT_EQ(0u, mock_count(NVME_HMLM_SET_STATE));
	EXPECT_EQ(0u, self->f.set_len);
	/* the writes completed and were counted before the cancel */
	EXPECT_EQ(3u * 8 * LBA, self->r.stopcopy_bytes);
}

TEST_F(mig, full_queue_recopies_everything)
{
	self->c.full_at_precopy = 1;
	self->f.alloc[3] = self->f.alloc[2];
	self->f.alloc[2] = (struct nvme_hmlm_lba_range){ 300, 50 };
	self->f.nalloc = 4;	/* the second pass sees LBAs 300..349 */
	ASSERT_EQ(0, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_EQ(1u, self->r.queue_full_events);
	EXPECT_EQ(2u, self->f.log_starts);
	EXPECT_TRUE(same(self->src_fd, self->dst_fd));
}

TEST_F(mig, no_allocation_info_copies_whole_namespace)
{
	self->f.alloc_status = ST_INVALID;
	ASSERT_EQ(0, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_TRUE(self->r.flags & HMLM_REPORT_NO_ALLOC);
	EXPECT_EQ((uint64_t)NS_BYTES, self->r.allocated_bytes);
	EXPECT_EQ((uint64_t)NS_BYTES, self->r.bytes_copied);
	EXPECT_TRUE(same(self->src_fd, self->dst_fd));
}

TEST_F(mig, memory_tracking_until_suspended)
{
	struct hmlm_mem_range mr = { 0x100000, 1 << 20 };

	self->p.mem_ranges = &mr;
	self->p.nr_mem_ranges = 1;
	self->p.mem_gran = 1;
	self->p.mem_dirty = on_mem;
	self->p.mem_arg = &self->c;
	ASSERT_EQ(0, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_EQ(2u, self->r.mem_ranges_reported);
	EXPECT_EQ(2u, self->c.mem_cb_ranges);
	EXPECT_EQ(2u * 2 * 8192, self->c.mem_cb_len);
	EXPECT_EQ(2u, self->f.mem_recv_susp);
	/* not stopped while suspended (the device refuses); close does it */
	EXPECT_EQ(1, self->f.mem_tracking);
}

TEST_F(mig, track_receive_failure_during_stopcopy_reads)
{
	struct hmlm_mem_range mr = { 0x100000, 1 << 20 };

	/* the stop-and-copy's reads are in flight when the Track Receive fails */
	self->c.dirty_precopy = 1;
	self->c.dirty_each_round = 3;
	self->p.converge_bytes = 1 << 30;
	self->p.mem_ranges = &mr;
	self->p.nr_mem_ranges = 1;
	self->p.mem_dirty = on_mem;
	self->p.mem_arg = &self->c;
	self->f.mem_recv_susp_status = 0x4006;	/* DNR, Internal Error */
	EXPECT_EQ(-EIO, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_EQ(0x4006, self->r.nvme_status);
	EXPECT_EQ(1u, self->f.src.resumes);
	EXPECT_FALSE(self->f.src.suspended);
	/* sent no state, the target runs again as before: not the VM */
	EXPECT_FALSE(self->f.dst.suspended);
	EXPECT_EQ(0u, mock_count(NVME_HMLM_GET_STATE));
	EXPECT_EQ(0u, mock_count(NVME_HMLM_SET_STATE));
	/* read, never written: the target holds none of the stop-and-copy */
	EXPECT_EQ(0u, self->r.stopcopy_bytes);
	EXPECT_FALSE(same(self->src_fd, self->dst_fd));
}

TEST_F(mig, memory_tracking_stopped_after_cancel_resume)
{
	struct hmlm_mem_range mr = { 0x100000, 1 << 20 };
	int resume, stop;

	self->p.mem_ranges = &mr;
	self->p.nr_mem_ranges = 1;
	self->c.cancel_phase = HMLM_PHASE_SUSPENDED;
	EXPECT_EQ(-ECANCELED, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_EQ(0, self->f.mem_tracking);
	resume = mock_index(NVME_HMLM_RESUME, 0);
	stop = mock_index(NVME_HMLM_TRACK_MEM, mock_count(NVME_HMLM_TRACK_MEM) - 1);
	EXPECT_LT(resume, stop);
	EXPECT_EQ(NVME_HMLM_TRACK_STOP,
		  ((const struct nvme_hmlm_track_mem *)mock_get(stop)->data)->op);
}

TEST_F(mig, memory_tracking_without_resources_fails_early)
{
	struct hmlm_mem_range mr = { 0, 1 << 20 };

	self->f.mem_nores = 1;
	self->p.mem_ranges = &mr;
	self->p.nr_mem_ranges = 1;
	EXPECT_EQ(-ENOSPC, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_EQ(0u, mock_count(NVME_HMLM_SUSPEND));
	EXPECT_EQ(0u, mock_count(NVME_HMLM_LOG_START));
}

TEST_F(mig, downtime_budget_reported)
{
	self->p.downtime_budget_us = 1;
	ASSERT_EQ(0, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_TRUE(self->r.flags & HMLM_REPORT_BUDGET_EXCEEDED);
	EXPECT_GT(self->r.downtime_ns, 1000u);
	EXPECT_GE(self->r.downtime_ns, self->r.suspend_to_resume_ns);
	self->p.downtime_budget_us = 60000000;
	ASSERT_EQ(0, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_FALSE(self->r.flags & HMLM_REPORT_BUDGET_EXCEEDED);
}

TEST_F(mig, bad_arguments)
{
	struct hmlm_ns_map two[2] = { self->map, self->map };

	EXPECT_EQ(-EINVAL, hmlm_migrate(self->src, self->src, &self->map, 1, &self->p, &self->r));
	EXPECT_EQ(-EINVAL, hmlm_migrate(self->src, self->dst, &self->map, 0, &self->p, &self->r));
	EXPECT_EQ(-EINVAL, hmlm_migrate(self->src, self->dst, two, 2, &self->p, &self->r));
	EXPECT_EQ(0u, mock_ncalls() - 2);	/* only the two BINDs */
}

TEST_F(mig, small_target_refused)
{
	ASSERT_EQ(0, ftruncate(self->dst_fd, NS_BYTES / 2));
	EXPECT_EQ(-ENOSPC, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_EQ(0u, mock_count(NVME_HMLM_LOG_START));
}

/* migrate_out into a file, then migrate_in from it. */
static int out_to_file(struct __test_metadata *_metadata, FIXTURE_DATA(mig) *self)
{
	int fd = mk(self->stream_path, "/tmp/hmlm-stream-XXXXXX");
	int ret;

	if (fd < 0)
		return -errno;
	ret = hmlm_migrate_out(self->src, &self->map, 1, fd, &self->p, &self->r);
	close(fd);
	(void)_metadata;
	return ret;
}

TEST_F(mig, out_then_in_moves_data_and_state)
{
	struct hmlm_migrate_report in = { .size = sizeof(in) };
	struct stat st;
	int fd;

	self->c.dirty_precopy = 2;
	self->p.converge_bytes = 1;
	ASSERT_EQ(0, out_to_file(_metadata, self));
	EXPECT_EQ(1u, self->r.rounds);
	EXPECT_TRUE(self->f.src.suspended);	/* stays stopped: KEEP */
	EXPECT_EQ(NVME_HMLM_SUSPEND_KEEP, self->f.src.last_suspend_flags);
	ASSERT_EQ(0, stat(self->stream_path, &st));
	EXPECT_EQ((uint64_t)st.st_size, self->r.stream_bytes);
	EXPECT_EQ(0u, mock_count(NVME_HMLM_SET_STATE));
	fd = open(self->stream_path, O_RDONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, hmlm_migrate_in(self->dst, &self->map, 1, fd, &self->p, &in));
	close(fd);
	EXPECT_TRUE(same(self->src_fd, self->dst_fd));
	ASSERT_EQ(self->f.state_len, self->f.set_len);
	EXPECT_EQ(0, memcmp(self->f.set, self->f.state, self->f.set_len));
	EXPECT_EQ(1, self->f.set_csvi);
	EXPECT_EQ(1u, self->f.dst.resumes);
	EXPECT_EQ(self->r.bytes_copied, in.bytes_copied);
	EXPECT_EQ(1u, in.rounds);
}

TEST_F(mig, in_rejects_corruption_before_writing)
{
	unsigned char b;
	int fd;

	ASSERT_EQ(0, out_to_file(_metadata, self));
	fd = open(self->stream_path, O_RDWR);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(1, pread(fd, &b, 1, 4096));	/* in the first DATA record */
	b ^= 0x10;
	ASSERT_EQ(1, pwrite(fd, &b, 1, 4096));
	lseek(fd, 0, SEEK_SET);
	EXPECT_GT(0, hmlm_migrate_in(self->dst, &self->map, 1, fd, &self->p, &self->r));
	close(fd);
	EXPECT_TRUE(all_byte(self->dst_fd, 0xee));
	EXPECT_EQ(0u, mock_count(NVME_HMLM_SET_STATE));
	EXPECT_EQ(0u, self->f.dst.resumes);
}

TEST_F(mig, in_rejects_unmapped_namespace)
{
	struct hmlm_ns_map other = self->map;
	int fd;

	ASSERT_EQ(0, out_to_file(_metadata, self));
	other.src_nsid = 2;
	fd = open(self->stream_path, O_RDONLY);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-ENOENT, hmlm_migrate_in(self->dst, &other, 1, fd, &self->p, &self->r));
	close(fd);
	EXPECT_TRUE(all_byte(self->dst_fd, 0xee));
}

TEST_F(mig, in_without_state_record_fails)
{
	struct hmlm_stream_info info;
	struct hmlm_stream_ns ns = { 1, LBA, NLBAS };
	struct hmlm_stream_writer *w;
	int fd = mk(self->stream_path, "/tmp/hmlm-stream-XXXXXX");

	ASSERT_GE(fd, 0);
	memset(&info, 0, sizeof(info));
	info.num_ns = 1;
	info.ns = &ns;
	ASSERT_EQ(0, hmlm_stream_writer_open(fd, &info, 0, &w));
	ASSERT_EQ(0, hmlm_stream_writer_finish(w));
	hmlm_stream_writer_close(w);
	lseek(fd, 0, SEEK_SET);
	EXPECT_GT(0, hmlm_migrate_in(self->dst, &self->map, 1, fd, &self->p, &self->r));
	close(fd);
	EXPECT_EQ(0u, mock_count(NVME_HMLM_SET_STATE));
	EXPECT_EQ(0u, mock_count(NVME_HMLM_RESUME));
}

TEST_F(mig, in_failure_leaves_target_suspended_after_close)
{
	int fd;

	ASSERT_EQ(0, out_to_file(_metadata, self));
	self->f.set_status = ST_INVALID;
	fd = open(self->stream_path, O_RDONLY);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EIO, hmlm_migrate_in(self->dst, &self->map, 1, fd, &self->p, &self->r));
	close(fd);
	fake_release(&self->f.dst);
	EXPECT_TRUE(self->f.dst.suspended);
	EXPECT_EQ(0u, self->f.dst.resumes);
}

TEST_F(mig, out_write_failure_leaves_source_running)
{
	int p[2];

	ASSERT_EQ(0, pipe(p));
	close(p[0]);	/* EPIPE on the first write */
	EXPECT_EQ(-EPIPE, hmlm_migrate_out(self->src, &self->map, 1, p[1], &self->p, &self->r));
	close(p[1]);
	EXPECT_FALSE(self->f.src.suspended);
	EXPECT_EQ(0u, mock_count(NVME_HMLM_GET_STATE));
}

/*
 * The hand-over against a daemon that dies, or a step that fails, at
 * every ioctl of a migration. The migration runs in a child whose device
 * (the fake) lives in shared memory; when the child has ended the parent
 * does what the module does when the sessions close (fake_release()).
 * Afterwards exactly one controller runs the VM: the source, or the
 * target with the VM's state and data. The only exception is a death
 * between the source's KEEP and the target's Resume (the commit point):
 * both are then suspended, never both running, and the target holds all.
 */
enum { KILL_BEFORE, KILL_AFTER, FAIL_STATUS, FAIL_INTR, NR_FAULTS };
static const char *const fault_name[] = {
	"killed before", "killed after", "NVMe status on", "EINTR on",
};

struct killer {
	struct fake f;
	int armed;
	unsigned int n, at, fault;
	unsigned long cmd_at;		/* the ioctl the fault hit */
	int returned, ret;
};

static int killer_handler(int fd, unsigned long cmd, void *arg, void *priv)
{
	struct killer *k = priv;
	int ret;

	if (!k->armed || k->n++ != k->at)
		return fake_handler(fd, cmd, arg, &k->f);
	k->cmd_at = cmd;
	switch (k->fault) {
	case KILL_BEFORE:
		raise(SIGKILL);
		break;
	case KILL_AFTER:
		fake_handler(fd, cmd, arg, &k->f);
		raise(SIGKILL);
		break;
	case FAIL_STATUS:
		return 0x4006;	/* DNR, Internal Error: nothing done */
	case FAIL_INTR:
		/* a Suspend goes on in the device (the module's EINTR) */
		if (cmd == NVME_HMLM_SUSPEND) {
			ret = fake_handler(fd, cmd, arg, &k->f);
			return ret ? ret : -EINTR;
		}
		return -EINTR;
	}
	return -ENOTTY;
}

static void reset_dst(int fd)
{
	static unsigned char junk[NS_BYTES];

	memset(junk, 0xee, sizeof(junk));
	if (pwrite(fd, junk, NS_BYTES, 0) != NS_BYTES)
		abort();
}

/* One migration in a child with a fault at ioctl @at; 0 or the signal. */
static int killer_run(FIXTURE_DATA(mig) *self, struct killer *k,
		      const struct fake *tmpl, unsigned int at,
		      unsigned int fault)
{
	int status;
	pid_t pid;

	memcpy(&k->f, tmpl, sizeof(k->f));
	k->armed = 0;
	k->n = 0;
	k->at = at;
	k->fault = fault;
	k->cmd_at = 0;
	k->returned = 0;
	k->ret = 0;
	reset_dst(self->dst_fd);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		struct hmlm_migrate_report r = { .size = sizeof(r) };

		mock_set_handler(killer_handler, k);
		self->c.f = &k->f;
		k->armed = 1;
		k->ret = hmlm_migrate(self->src, self->dst, &self->map, 1,
				      &self->p, &r);
		k->returned = 1;
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	/* the sessions ended with the child: the module's release */
	fake_release(&k->f.src);
	fake_release(&k->f.dst);
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

TEST_F(mig, handover_daemon_killed_or_failing_at_every_step)
{
	struct fake tmpl = self->f;
	struct killer *k;
	unsigned int total, at, fault, window = 0, cases = 0;

	k = mmap(NULL, sizeof(*k), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, k);
	self->c.dirty_precopy = 2;	/* a dirty round, then the stop */
	self->p.converge_bytes = 1;
	/* no fault: how many ioctls a migration makes */
	ASSERT_EQ(0, killer_run(self, k, &tmpl, UINT32_MAX, KILL_BEFORE));
	ASSERT_TRUE(k->returned);
	ASSERT_EQ(0, k->ret);
	total = k->n;
	ASSERT_GE(total, 10u);
	for (at = 0; at < total; at++) {
		for (fault = 0; fault < NR_FAULTS; fault++) {
			int sig = killer_run(self, k, &tmpl, at, fault);
			int src_runs = !k->f.src.suspended;
			int dst_runs = !k->f.dst.suspended && k->f.set_len;
			int ok;

			cases++;
			if (k->returned && !k->ret)
				ok = dst_runs && !src_runs &&
				     same(self->src_fd, self->dst_fd);
			else if (k->returned)
				ok = src_runs && !dst_runs;
			else if (!src_runs && !dst_runs)
				/* the commit point: all is on the target */
				ok = k->f.src.keep && k->f.dst.suspended &&
				     k->f.set_len == k->f.state_len &&
				     same(self->src_fd, self->dst_fd) &&
				     ++window <= 2;
			else
				ok = src_runs + dst_runs == 1 &&
				     (!dst_runs || same(self->src_fd,
							self->dst_fd));
			if (!ok)
				TH_LOG("%s ioctl %u of %u (cmd %#lx): sig %d returned %d (%d) src %s%s dst %s%s state %u",
				       fault_name[fault], at, total, k->cmd_at,
				       sig, k->returned, k->ret,
				       src_runs ? "runs" : "suspended",
				       k->f.src.keep ? "+keep" : "",
				       k->f.dst.suspended ? "suspended" : "runs",
				       k->f.dst.keep ? "+keep" : "",
				       k->f.set_len);
			EXPECT_TRUE(ok);
		}
	}
	/* kill after the source's KEEP, kill before the target's Resume */
	EXPECT_EQ(2u, window);
	EXPECT_EQ(total * NR_FAULTS, cases);
	munmap(k, sizeof(*k));
}

/* The stream at @path ends with a verified END record. */
static int stream_complete(const char *path)
{
	struct hmlm_stream_reader *rd;
	struct hmlm_stream_record rec;
	struct hmlm_stream_info info;
	int fd = open(path, O_RDONLY), ret;

	if (fd < 0)
		return 0;
	ret = hmlm_stream_reader_open(fd, HMLM_STREAM_READER_STRICT_EOF, &info, &rd);
	while (!ret && (ret = hmlm_stream_read_record(rd, &rec)) > 0)
		ret = 0;
	if (rd && !ret)
		hmlm_stream_reader_close(rd);
	close(fd);
	return ret == 0;
}

/*
 * hmlm_migrate_out() killed or failing at every ioctl: afterwards either
 * the source runs or it stays suspended (KEEP) and the stream is complete
 * for a target to resume from, never both. Only a death between the KEEP
 * and the last byte of the END record leaves neither.
 */
/* One hmlm_migrate_out() into stream_path in a child, fault at ioctl @at. */
static int killer_run_out(FIXTURE_DATA(mig) *self, struct killer *k,
			  const struct fake *tmpl, unsigned int at,
			  unsigned int fault)
{
	int status;
	pid_t pid;

	memcpy(&k->f, tmpl, sizeof(k->f));
	k->armed = 0;
	k->n = 0;
	k->at = at;
	k->fault = fault;
	k->cmd_at = 0;
	k->returned = 0;
	k->ret = 0;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		struct hmlm_migrate_report r = { .size = sizeof(r) };
		int out = open(self->stream_path, O_WRONLY | O_TRUNC);

		mock_set_handler(killer_handler, k);
		self->c.f = &k->f;
		k->armed = 1;
		k->ret = hmlm_migrate_out(self->src, &self->map, 1, out,
					  &self->p, &r);
		k->returned = 1;
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	fake_release(&k->f.src);
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

TEST_F(mig, handover_out_daemon_killed_or_failing_at_every_step)
{
	struct fake tmpl = self->f;
	struct killer *k;
	unsigned int total, at, fault, window = 0;
	int fd = mk(self->stream_path, "/tmp/hmlm-stream-XXXXXX");

	ASSERT_GE(fd, 0);
	close(fd);
	k = mmap(NULL, sizeof(*k), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, k);
	self->c.dirty_precopy = 2;
	self->p.converge_bytes = 1;
	ASSERT_EQ(0, killer_run_out(self, k, &tmpl, UINT32_MAX, KILL_BEFORE));
	ASSERT_TRUE(k->returned);
	ASSERT_EQ(0, k->ret);
	ASSERT_TRUE(stream_complete(self->stream_path));
	total = k->n;
	for (at = 0; at < total; at++) {
		for (fault = 0; fault < NR_FAULTS; fault++) {
			int sig = killer_run_out(self, k, &tmpl, at, fault);
			int src_runs = !k->f.src.suspended;
			int complete = stream_complete(self->stream_path);
			int ok;

			if (k->returned)
				ok = k->ret ? src_runs && !complete :
					      !src_runs && k->f.src.keep && complete;
			else if (!src_runs && !complete)
				ok = k->f.src.keep && ++window <= 1;
			else
				ok = src_runs != complete;
			if (!ok)
				TH_LOG("%s ioctl %u of %u: sig %d returned %d (%d) src %s%s stream %s",
				       fault_name[fault], at, total, sig,
				       k->returned, k->ret,
				       src_runs ? "runs" : "suspended",
				       k->f.src.keep ? "+keep" : "",
				       complete ? "complete" : "incomplete");
			EXPECT_TRUE(ok);
		}
	}
	/* the KEEP is the last ioctl: killed after it, the END is not out */
	EXPECT_EQ(1u, window);
	munmap(k, sizeof(*k));
}

/* The source's KEEP fails for good: its PF went away. */
static int fail_keep_handler(int fd, unsigned long cmd, void *arg, void *priv)
{
	struct fake *f = priv;
	const struct nvme_hmlm_suspend *k = arg;

	if (cmd == NVME_HMLM_SUSPEND && (k->flags & NVME_HMLM_SUSPEND_KEEP) &&
	    fake_dev(f, fd) == &f->src)
		return -ENODEV;
	return fake_handler(fd, cmd, arg, priv);
}

/*
 * The source's KEEP as the module answers a signal during its wait:
 * EINTR (the command goes on), EBUSY while it is in flight, then done.
 */
static unsigned int keep_tries;

static int interrupted_keep_handler(int fd, unsigned long cmd, void *arg,
				    void *priv)
{
	struct fake *f = priv;
	const struct nvme_hmlm_suspend *k = arg;

	if (cmd != NVME_HMLM_SUSPEND || !(k->flags & NVME_HMLM_SUSPEND_KEEP) ||
	    fake_dev(f, fd) != &f->src)
		return fake_handler(fd, cmd, arg, priv);
	switch (keep_tries++) {
	case 0:
		return -EINTR;
	case 1:
		return -EBUSY;
	default:
		return fake_handler(fd, cmd, arg, priv);
	}
}

TEST_F(mig, keep_interrupted_by_a_signal_is_waited_out)
{
	keep_tries = 0;
	mock_set_handler(interrupted_keep_handler, &self->f);
	EXPECT_EQ(0, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_EQ(3u, keep_tries);
	EXPECT_TRUE(self->f.src.suspended);
	EXPECT_TRUE(self->f.src.keep);
	EXPECT_FALSE(self->f.dst.suspended);
	/* the source stays suspended after its session ends */
	fake_release(&self->f.src);
	EXPECT_TRUE(self->f.src.suspended);
}

TEST_F(mig, out_keep_failure_resumes_source_and_ends_no_stream)
{
	int fd;

	mock_set_handler(fail_keep_handler, &self->f);
	EXPECT_EQ(-ENODEV, out_to_file(_metadata, self));
	EXPECT_FALSE(self->f.src.suspended);
	EXPECT_TRUE(self->r.flags & HMLM_REPORT_SOURCE_RESUMED);
	/* no END: the target cannot take it */
	mock_set_handler(fake_handler, &self->f);
	fd = open(self->stream_path, O_RDONLY);
	ASSERT_GE(fd, 0);
	EXPECT_GT(0, hmlm_migrate_in(self->dst, &self->map, 1, fd, &self->p, &self->r));
	close(fd);
	EXPECT_EQ(0u, mock_count(NVME_HMLM_SET_STATE));
	EXPECT_EQ(0u, self->f.dst.resumes);
}

TEST_F(mig, keep_failure_resumes_source_target_stays_suspended)
{
	mock_set_handler(fail_keep_handler, &self->f);
	EXPECT_EQ(-ENODEV, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_FALSE(self->f.src.suspended);
	EXPECT_TRUE(self->f.dst.suspended);
	EXPECT_EQ(0u, self->f.dst.resumes);
	/* the target keeps the VM's state to itself, even after close */
	fake_release(&self->f.src);
	fake_release(&self->f.dst);
	EXPECT_TRUE(self->f.dst.suspended);
	EXPECT_FALSE(self->f.src.suspended);
}

/* ---- deadlines and cancellation in the stop phase ---- */

/* The Suspend does not end the migration queue: the drain waits. */
static int no_eof_handler(int fd, unsigned long cmd, void *arg, void *priv)
{
	struct fake *f = priv;
	struct nvme_hmlm_suspend *k = arg;

	if (cmd == NVME_HMLM_SUSPEND && fake_dev(f, fd) == &f->src &&
	    (k->flags & NVME_HMLM_SUSPEND_DUDMQ)) {
		k->flags &= ~NVME_HMLM_SUSPEND_DUDMQ;
		return fake_handler(fd, cmd, arg, priv);
	}
	return fake_handler(fd, cmd, arg, priv);
}

/* A slow Get Controller State. */
static int slow_state_handler(int fd, unsigned long cmd, void *arg, void *priv)
{
	if (cmd == NVME_HMLM_GET_STATE)
		usleep(50000);
	return fake_handler(fd, cmd, arg, priv);
}

struct waiter {
	unsigned int suspended_calls, cancel_at;
};

static int count_suspended(const struct hmlm_progress *p, void *arg)
{
	struct waiter *w = arg;

	if (p->phase != HMLM_PHASE_SUSPENDED)
		return 0;
	return ++w->suspended_calls == w->cancel_at;
}

static uint64_t ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)(((int64_t)t.tv_sec - t0->tv_sec) * 1000 +
			  ((int64_t)t.tv_nsec - t0->tv_nsec) / 1000000);
}

TEST_F(mig, stop_deadline_bounds_a_stuck_drain)
{
	struct waiter w = { 0, 0 };
	struct timespec t0;
	uint64_t ms;

	mock_set_handler(no_eof_handler, &self->f);
	self->p.progress = count_suspended;
	self->p.progress_arg = &w;
	self->p.stop_deadline_us = 300000;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(-ETIMEDOUT, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	ms = ms_since(&t0);
	EXPECT_GE(ms, 300u);
	EXPECT_LT(ms, 3000u);	/* not the 30 s drain timeout */
	EXPECT_TRUE(self->r.flags & HMLM_REPORT_DEADLINE);
	EXPECT_TRUE(self->r.flags & HMLM_REPORT_SOURCE_RESUMED);
	EXPECT_FALSE(self->f.src.suspended);
	EXPECT_EQ(0u, mock_count(NVME_HMLM_SET_STATE));
	/* the Suspend's own wait is bounded by it too */
	EXPECT_EQ(300u, ((const struct nvme_hmlm_suspend *)
			 mock_get((unsigned int)fake_index(&self->f, &self->f.src,
							   NVME_HMLM_SUSPEND, 0))->data)->timeout_ms);
	/* the callback was asked while the drain waited */
	EXPECT_GE(w.suspended_calls, 3u);
}

TEST_F(mig, cancel_reaches_a_waiting_drain)
{
	struct waiter w = { 0, 3 };
	struct timespec t0;

	mock_set_handler(no_eof_handler, &self->f);
	self->p.progress = count_suspended;
	self->p.progress_arg = &w;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(-ECANCELED, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_LT(ms_since(&t0), 3000u);
	EXPECT_EQ(3u, w.suspended_calls);
	EXPECT_FALSE(self->f.src.suspended);
	EXPECT_EQ(0u, mock_count(NVME_HMLM_GET_STATE));
}

TEST_F(mig, stop_deadline_checked_before_the_commit)
{
	mock_set_handler(slow_state_handler, &self->f);
	self->p.stop_deadline_us = 20000;
	EXPECT_EQ(-ETIMEDOUT, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_FALSE(self->f.src.suspended);
	EXPECT_FALSE(self->f.src.keep);
	/* caught before Set Controller State: the target runs as before */
	EXPECT_EQ(0u, mock_count(NVME_HMLM_SET_STATE));
	EXPECT_FALSE(self->f.dst.suspended);
	/* the same for the stream: no KEEP, no state written */
	EXPECT_EQ(-ETIMEDOUT, out_to_file(_metadata, self));
	EXPECT_FALSE(self->f.src.suspended);
	EXPECT_TRUE(self->r.flags & HMLM_REPORT_DEADLINE);
}

TEST_F(mig, stop_deadline_met_changes_nothing)
{
	self->p.stop_deadline_us = 10000000;
	ASSERT_EQ(0, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_FALSE(self->r.flags & HMLM_REPORT_DEADLINE);
	EXPECT_TRUE(self->f.src.suspended);
	EXPECT_TRUE(self->f.src.keep);
	EXPECT_EQ(1u, self->f.dst.resumes);
}

/* ---- the ABI: sized structures ---- */

TEST_F(mig, abi_params_of_the_0_3_size_still_work)
{
	struct hmlm_migrate_params old = self->p;

	/* a 0.3 caller: 88 bytes; what follows in memory is not its own */
	old.size = HMLM_MIGRATE_PARAMS_SIZE_VER0;
	old.stop_deadline_us = 1;	/* would fail the migration if read */
	ASSERT_EQ(0, hmlm_migrate(self->src, self->dst, &self->map, 1, &old, &self->r));
	EXPECT_FALSE(self->r.flags & HMLM_REPORT_DEADLINE);
	EXPECT_TRUE(same(self->src_fd, self->dst_fd));
	EXPECT_EQ(1u, self->c.phases[HMLM_PHASE_DONE]);	/* the callback was read */
}

/* A caller of the first 0.4 layout (no recv_timeout_us) is not timed out. */
TEST_F(mig, abi_params_of_the_first_0_4_size_have_no_recv_timeout)
{
	struct hmlm_migrate_params old = self->p;
	int fd;

	ASSERT_EQ(0, out_to_file(_metadata, self));
	old.size = HMLM_MIGRATE_PARAMS_SIZE_VER1;
	old.recv_timeout_us = 1;	/* every read would time out if read */
	fd = open(self->stream_path, O_RDONLY);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(0, hmlm_migrate_in(self->dst, &self->map, 1, fd, &old, &self->r));
	close(fd);
	EXPECT_TRUE(same(self->src_fd, self->dst_fd));
}

TEST_F(mig, abi_params_rules)
{
	struct {
		struct hmlm_migrate_params p;
		uint64_t newer;		/* a field of a newer library */
	} big;
	unsigned int calls = mock_ncalls();

	memset(&big, 0, sizeof(big));
	big.p = self->p;
	big.p.size = sizeof(big);
	big.newer = 1;
	EXPECT_EQ(-E2BIG, hmlm_migrate(self->src, self->dst, &self->map, 1, &big.p, &self->r));
	self->p.size = 1U << 20;	/* not read: larger than a page */
	EXPECT_EQ(-E2BIG, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	self->p.size = 0;
	EXPECT_EQ(-EINVAL, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	self->p.size = HMLM_MIGRATE_PARAMS_SIZE_VER0 - 8;
	EXPECT_EQ(-EINVAL, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	self->p.size = sizeof(self->p);
	self->p.flags = 1U << 31;
	EXPECT_EQ(-EINVAL, hmlm_migrate_out(self->src, &self->map, 1, 1, &self->p, &self->r));
	self->p.flags = 0;
	self->p.max_rounds = HMLM_MIGRATE_MAX_ROUNDS + 1;
	EXPECT_EQ(-EINVAL, hmlm_migrate_in(self->dst, &self->map, 1, 0, &self->p, &self->r));
	/* refused before anything reached the device */
	EXPECT_EQ(calls, mock_ncalls());
	/* a larger struct whose unknown tail is zero is fine */
	big.newer = 0;
	EXPECT_EQ(0, hmlm_migrate(self->src, self->dst, &self->map, 1, &big.p, &self->r));
}

TEST_F(mig, abi_report_sizes)
{
	struct {
		struct hmlm_migrate_report r;
		uint64_t newer;
	} big;

	self->r.size = HMLM_MIGRATE_REPORT_SIZE_VER0 - 1;
	EXPECT_EQ(-EINVAL, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_EQ(0u, mock_count(NVME_HMLM_GET_CAPS));
	memset(&big, 0, sizeof(big));
	big.r.size = sizeof(big);
	big.newer = 0x5a5a5a5a;
	ASSERT_EQ(0, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &big.r));
	/* filled to its own size, said so; the rest untouched */
	EXPECT_EQ(sizeof(struct hmlm_migrate_report), big.r.size);
	EXPECT_EQ(0x5a5a5a5au, big.newer);
	EXPECT_EQ((64 + 128 + 100) * LBA, big.r.allocated_bytes);
}

TEST_F(mig, abi_caps_sizes_and_version)
{
	struct {
		struct hmlm_caps c;
		uint32_t newer;
	} big;
	struct hmlm_caps c;

	memset(&c, 0, sizeof(c));
	EXPECT_EQ(-EINVAL, hmlm_session_caps(self->src, &c));
	memset(&big, 0, sizeof(big));
	big.c.size = sizeof(big);
	big.newer = 7;
	ASSERT_EQ(0, hmlm_session_caps(self->src, &big.c));
	EXPECT_EQ(sizeof(struct hmlm_caps), big.c.size);
	EXPECT_EQ(7u, big.newer);
	EXPECT_EQ(2, big.c.num_state_versions);
	EXPECT_EQ(HMLM_VERSION, hmlm_version());
	EXPECT_EQ(HMLM_VERSION_CODE(0, 5, 0), hmlm_version());
}

/* ---- capability-driven flows ---- */

TEST_F(mig, no_queue_stop_and_copies_everything_allocated)
{
	const struct mock_call *susp;

	self->f.no_queue = 1;
	fill_lbas(self->src_fd, 512, 128, 42);	/* the VM wrote before */
	ASSERT_EQ(0, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_TRUE(self->r.flags & HMLM_REPORT_NO_QUEUE);
	EXPECT_TRUE(same(self->src_fd, self->dst_fd));
	EXPECT_EQ(0u, mock_count(NVME_HMLM_LOG_START));
	EXPECT_EQ(0u, self->r.rounds);
	/* all of it while suspended: nothing tells what changed before */
	EXPECT_EQ((64 + 128 + 100) * LBA, self->r.stopcopy_bytes);
	EXPECT_EQ(0u, self->c.phases[HMLM_PHASE_PRECOPY]);
	EXPECT_EQ(1u, self->c.phases[HMLM_PHASE_STOPCOPY]);
	susp = mock_get((unsigned int)fake_index(&self->f, &self->f.src, NVME_HMLM_SUSPEND, 0));
	ASSERT_NE(NULL, susp);
	EXPECT_FALSE(((const struct nvme_hmlm_suspend *)susp->data)->flags &
		     NVME_HMLM_SUSPEND_DUDMQ);
	EXPECT_TRUE(self->f.src.keep);
	EXPECT_EQ(1u, self->f.dst.resumes);
}

TEST_F(mig, no_queue_through_the_stream)
{
	struct hmlm_migrate_report in = { .size = sizeof(in) };
	int fd;

	self->f.no_queue = 1;
	ASSERT_EQ(0, out_to_file(_metadata, self));
	EXPECT_TRUE(self->r.flags & HMLM_REPORT_NO_QUEUE);
	fd = open(self->stream_path, O_RDONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, hmlm_migrate_in(self->dst, &self->map, 1, fd, &self->p, &in));
	close(fd);
	EXPECT_TRUE(same(self->src_fd, self->dst_fd));
	EXPECT_EQ(self->f.state_len, self->f.set_len);
}

TEST_F(mig, no_memory_tracking_reports_every_range_dirty)
{
	struct hmlm_mem_range mr[2] = { { 0x100000, 1 << 20 }, { 1ULL << 32, 4096 } };

	self->f.no_track_mem = 1;
	self->p.mem_ranges = mr;
	self->p.nr_mem_ranges = 2;
	self->p.mem_dirty = on_mem;
	self->p.mem_arg = &self->c;
	ASSERT_EQ(0, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_TRUE(self->r.flags & HMLM_REPORT_MEM_ALL);
	EXPECT_EQ(0u, mock_count(NVME_HMLM_TRACK_MEM));
	EXPECT_EQ(2u, self->c.mem_cb_ranges);
	EXPECT_EQ((1u << 20) + 4096u, self->c.mem_cb_len);
	EXPECT_EQ(2u, self->r.mem_ranges_reported);
}

TEST_F(mig, vendor_state_used_when_both_list_it)
{
	static const uint8_t u[16] = { 0xa5, 1, 2, 3 };

	/* the fake lists no UUID by default: NVMe state only, said so */
	ASSERT_EQ(0, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_TRUE(self->r.flags & HMLM_REPORT_NVME_STATE);
	EXPECT_EQ(0, self->f.set_csuuidi);
	EXPECT_EQ(0, ((const struct nvme_hmlm_get_state *)mock_nth(NVME_HMLM_GET_STATE, 0)->data)->csuuidi);
	/* the source lists one the target does not: still NVMe only */
	memcpy(self->f.src.uuids[0], u, 16);
	self->f.src.nuuid = 1;
	self->r.size = sizeof(self->r);
	ASSERT_EQ(0, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_TRUE(self->r.flags & HMLM_REPORT_NVME_STATE);
	/* both list it: the vendor part moves too */
	memcpy(self->f.dst.uuids[0], u, 16);
	self->f.dst.nuuid = 1;
	self->r.size = sizeof(self->r);
	ASSERT_EQ(0, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_FALSE(self->r.flags & HMLM_REPORT_NVME_STATE);
	EXPECT_EQ(1, self->f.set_csuuidi);
}

TEST_F(mig, no_reduced_refuses_before_the_source_is_touched)
{
	char msg[256];
	unsigned int calls;

	self->f.no_queue = 1;
	self->f.src.nuuid = self->f.dst.nuuid = 1;
	memset(self->f.src.uuids[0], 7, 16);
	memset(self->f.dst.uuids[0], 7, 16);
	self->p.flags = HMLM_MIGRATE_NO_REDUCED;
	calls = mock_ncalls();
	EXPECT_EQ(-EOPNOTSUPP, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_EQ(HMLM_STEP_PLAN, self->r.err_step);
	EXPECT_EQ(HMLM_MISSING_QUEUE, self->r.err_missing);
	/* only the two Identify: no Suspend, no queue, nothing written */
	EXPECT_EQ(calls + 2, mock_ncalls());
	EXPECT_EQ(2u, mock_count(NVME_HMLM_GET_CAPS));
	EXPECT_TRUE(all_byte(self->dst_fd, 0xee));
	ASSERT_LT(0, hmlm_migrate_strerror(&self->r, -EOPNOTSUPP, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "source has no user data migration queue")) TH_LOG("%s", msg);
	EXPECT_NE(NULL, strstr(msg, "MCUDMQ")) TH_LOG("%s", msg);
	/* memory tracking missing, through the stream */
	self->f.no_queue = 0;
	self->f.no_track_mem = 1;
	self->p.mem_ranges = (const struct hmlm_mem_range[]){ { 0, 4096 } };
	self->p.nr_mem_ranges = 1;
	self->r.size = sizeof(self->r);
	EXPECT_EQ(-EOPNOTSUPP, out_to_file(_metadata, self));
	EXPECT_EQ(HMLM_MISSING_MEM_TRACK, self->r.err_missing);
	EXPECT_EQ(0u, mock_count(NVME_HMLM_SUSPEND));
	/* the vendor format: the target lists another UUID */
	self->f.no_track_mem = 0;
	memset(self->f.dst.uuids[0], 8, 16);
	self->r.size = sizeof(self->r);
	EXPECT_EQ(-EOPNOTSUPP, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_EQ(HMLM_MISSING_VENDOR_STATE | HMLM_MISSING_TARGET, self->r.err_missing);
	ASSERT_LT(0, hmlm_migrate_strerror(&self->r, -EOPNOTSUPP, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "the target lists no vendor")) TH_LOG("%s", msg);
	EXPECT_EQ(0u, mock_count(NVME_HMLM_SUSPEND));
}

TEST_F(mig, nvme_error_names_the_step_and_the_command)
{
	char msg[256];

	self->f.set_status = ST_INVALID;
	EXPECT_EQ(-EIO, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_EQ(HMLM_STEP_STATE_SET, self->r.err_step);
	ASSERT_LT(0, hmlm_migrate_strerror(&self->r, -EIO, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "setting the controller state on the target")) TH_LOG("%s", msg);
	EXPECT_NE(NULL, strstr(msg, "Set Controller State")) TH_LOG("%s", msg);
	EXPECT_NE(NULL, strstr(msg, "0x4002 (Invalid Field in Command, DNR)")) TH_LOG("%s", msg);
	/* the target's Suspend */
	self->f.set_status = 0;
	self->f.suspend_dst_status = 0x4006;
	self->r.size = sizeof(self->r);
	EXPECT_EQ(-EIO, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_EQ(HMLM_STEP_TARGET_SUSPEND, self->r.err_step);
	EXPECT_EQ(0x4006, self->r.nvme_status);
	/* a cancel (the fake's queue ends only with a Suspend DUDMQ) */
	close(self->f.log_w);
	self->f.log_w = -1;
	self->f.suspend_dst_status = 0;
	self->c.cancel_phase = HMLM_PHASE_SUSPENDED;
	self->r.size = sizeof(self->r);
	EXPECT_EQ(-ECANCELED, hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p, &self->r));
	EXPECT_EQ(HMLM_STEP_CALLBACK, self->r.err_step);
}

/*
 * Stream format negotiation: the caller passes the target's capabilities
 * and the target takes none of the source's state formats (0 and 1): the
 * source is refused before a byte is written, the source never suspended
 * and no migration queue created.
 */
TEST_F(mig, out_refused_when_target_takes_no_format)
{
	struct hmlm_caps tc;
	struct stat st;

	memset(&tc, 0, sizeof(tc));
	tc.size = sizeof(tc);
	tc.num_state_versions = 1;
	tc.state_versions[0] = 5;
	self->p.target_caps = &tc;
	EXPECT_EQ(-EOPNOTSUPP, out_to_file(_metadata, self));
	EXPECT_EQ(0u, self->f.src.suspends);
	EXPECT_FALSE(self->f.src.suspended);
	EXPECT_EQ(0u, mock_count(NVME_HMLM_LOG_START));
	ASSERT_EQ(0, stat(self->stream_path, &st));
	EXPECT_EQ(0, st.st_size);
	/* a target that takes version 0 only: the stream carries 0 */
	tc.state_versions[0] = 0;
	EXPECT_EQ(0, out_to_file(_metadata, self));
	EXPECT_EQ(0u, self->f.dst.resumes);
}

/*
 * Without the target's capabilities, the HEADER announces the format and
 * the target refuses it before writing anything to its namespaces.
 */
TEST_F(mig, in_refuses_announced_format_before_writing)
{
	int fd;

	ASSERT_EQ(0, out_to_file(_metadata, self));	/* version 1 */
	self->f.dst.nv = 1;
	self->f.dst.vers[0] = 0;
	fd = open(self->stream_path, O_RDONLY);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EOPNOTSUPP, hmlm_migrate_in(self->dst, &self->map, 1, fd,
					       &self->p, &self->r));
	close(fd);
	EXPECT_TRUE(all_byte(self->dst_fd, 0xee));
	EXPECT_EQ(0u, mock_count(NVME_HMLM_SET_STATE));
	EXPECT_EQ(0u, self->f.dst.resumes);
}

struct pump {
	int from, to;
	volatile int done;	/* the reader finished: close the channel */
};

/* Copies the stream file into the pipe, then keeps the pipe open. */
static void *pump_run(void *arg)
{
	struct pump *pm = arg;
	char buf[4096];
	ssize_t n;

	while ((n = read(pm->from, buf, sizeof(buf))) > 0)
		if (write(pm->to, buf, n) != n)
			break;
	while (!pm->done)
		usleep(1000);
	return NULL;
}

struct in_prog {
	unsigned int calls, partial;
	uint64_t last_done, last_total;
};

static int on_in_progress(const struct hmlm_progress *p, void *arg)
{
	struct in_prog *ip = arg;

	ip->calls++;
	if (p->bytes_done < p->bytes_total)
		ip->partial++;
	ip->last_done = p->bytes_done;
	ip->last_total = p->bytes_total;
	return 0;
}

/*
 * migrate_in from a channel that stays open after END (a multiplexed
 * connection): it completes at END; its progress is partial before the
 * end (a true progress, not 100% throughout) and its report has the
 * downtime it saw, from the FINAL round to the Resume.
 */
TEST_F(mig, in_over_open_channel_progress_and_downtime)
{
	struct hmlm_migrate_report in = { .size = sizeof(in) };
	struct in_prog ip = { 0 };
	struct pump pm;
	pthread_t th;
	int p[2];

	self->c.dirty_precopy = 2;
	self->p.converge_bytes = 1;
	ASSERT_EQ(0, out_to_file(_metadata, self));
	ASSERT_EQ(0, pipe(p));
	pm.from = open(self->stream_path, O_RDONLY);
	ASSERT_GE(pm.from, 0);
	pm.to = p[1];
	pm.done = 0;
	ASSERT_EQ(0, pthread_create(&th, NULL, pump_run, &pm));
	self->p.progress = on_in_progress;
	self->p.progress_arg = &ip;
	alarm(20);	/* waiting for an EOF that never comes fails the test */
	EXPECT_EQ(0, hmlm_migrate_in(self->dst, &self->map, 1, p[0], &self->p,
				     &in));
	alarm(0);
	pm.done = 1;
	pthread_join(th, NULL);
	close(pm.from);
	close(p[0]);
	close(p[1]);
	EXPECT_TRUE(same(self->src_fd, self->dst_fd));
	EXPECT_EQ(1u, self->f.dst.resumes);
	EXPECT_LT(0u, ip.partial);
	EXPECT_EQ(ip.last_done, ip.last_total);
	EXPECT_EQ(self->r.bytes_copied, ip.last_done);
	EXPECT_LT(0u, in.downtime_ns);
	EXPECT_LE(in.suspend_to_resume_ns, in.downtime_ns);
}


static uint64_t now_ns_test(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The stream's pipe, filled to the brim once the source is suspended. */
static int stalled_pipe_w = -1;

static int fill_pipe_when_suspended(const struct hmlm_progress *p, void *arg)
{
	static char junk[4096];

	(void)arg;
	if (p->phase == HMLM_PHASE_SUSPENDED) {
		int fl = fcntl(stalled_pipe_w, F_GETFL);

		fcntl(stalled_pipe_w, F_SETFL, fl | O_NONBLOCK);
		while (write(stalled_pipe_w, junk, sizeof(junk)) > 0)
			;
		fcntl(stalled_pipe_w, F_SETFL, fl);
	}
	return 0;
}

/*
 * A channel that stalls during the stop-and-copy (a hung ssh) cannot keep
 * the source suspended beyond stop_deadline_us: the stream's writes give
 * up at the deadline, the call fails with ETIMEDOUT and the source runs.
 */
TEST_F(mig, out_stalled_channel_bounded_by_stop_deadline)
{
	uint64_t t0;
	int p[2];

	ASSERT_EQ(0, pipe(p));
	/* the pre-copy fits; nobody ever reads */
	ASSERT_LT(0, fcntl(p[1], F_SETPIPE_SZ, 1 << 20));
	stalled_pipe_w = p[1];
	self->p.progress = fill_pipe_when_suspended;
	self->p.stop_deadline_us = 200000;
	alarm(20);	/* without the deadline: blocked for ever */
	t0 = now_ns_test();
	EXPECT_EQ(-ETIMEDOUT, hmlm_migrate_out(self->src, &self->map, 1, p[1],
					       &self->p, &self->r));
	alarm(0);
	EXPECT_GT(5000000000ULL, now_ns_test() - t0);
	EXPECT_FALSE(self->f.src.suspended);
	EXPECT_TRUE(self->r.flags & HMLM_REPORT_SOURCE_RESUMED);
	close(p[0]);
	close(p[1]);
}

#if defined(__x86_64__)
#define AUDIT_ARCH_HERE AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define AUDIT_ARCH_HERE AUDIT_ARCH_AARCH64
#endif

#ifdef AUDIT_ARCH_HERE
/*
 * io_uring_setup() fails with EPERM in this process from here on, as
 * under a container's seccomp profile that denies io_uring (Docker's
 * default does). The harness runs each test in a child of its own.
 */
static int deny_io_uring(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_HERE, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(f) / sizeof(f[0]), .filter = f,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return -errno;
	return 0;
}
#endif

/* io_uring instances this process holds (its fds' links). */
static int uring_fds(void)
{
	char link[64];
	struct dirent *de;
	int n = 0;
	DIR *d = opendir("/proc/self/fd");

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		ssize_t k;

		k = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);
		if (k <= 0)
			continue;
		link[k] = '\0';
		if (strstr(link, "io_uring"))
			n++;
	}
	closedir(d);
	return n;
}

/* on_progress, and how many rings the process held when suspended */
static int rings_at_suspended = -1;

static int progress_count_rings(const struct hmlm_progress *p, void *arg)
{
	if (p->phase == HMLM_PHASE_SUSPENDED && rings_at_suspended < 0)
		rings_at_suspended = uring_fds();
	return on_progress(p, arg);
}

/*
 * A migration whose copy engine has work in every part: a round of three
 * dirty extents, two in the stop-and-copy, the target's flush. 0 when the
 * target got all of it.
 */
static int migrate_round_and_stopcopy(struct __test_metadata *_metadata,
				      FIXTURE_DATA(mig) *self)
{
	int ret;

	self->c.dirty_each_round = 2;
	self->c.dirty_precopy = 3;
	self->p.converge_bytes = 1 << 30;
	self->p.progress = progress_count_rings;
	rings_at_suspended = -1;
	ret = hmlm_migrate(self->src, self->dst, &self->map, 1, &self->p,
			   &self->r);
	if (ret)
		return ret;
	EXPECT_TRUE(same(self->src_fd, self->dst_fd));
	EXPECT_EQ(3u * 8 * LBA, self->r.round_bytes[1]);
	EXPECT_EQ(2u * 8 * LBA, self->r.stopcopy_bytes);
	return 0;
}

/*
 * The rounds' dirty extents, the stop-and-copy and the target's flush go
 * through one io_uring of the migration: it is there while the source is
 * suspended, gone after the call, and the report does not say SYNC_IO.
 */
TEST_F(mig, dirty_extents_copied_through_io_uring)
{
	int before = uring_fds();

	ASSERT_EQ(0, migrate_round_and_stopcopy(_metadata, self));
	EXPECT_FALSE(self->r.flags & HMLM_REPORT_SYNC_IO);
	EXPECT_EQ(before + 1, rings_at_suspended);
	EXPECT_EQ(before, uring_fds());
}

/*
 * A process that may not set up an io_uring (seccomp here; an old kernel
 * or kernel.io_uring_disabled act the same) migrates through the
 * synchronous path: every byte arrives, the report says SYNC_IO.
 */
TEST_F(mig, no_io_uring_falls_back_to_synchronous_copies)
{
#ifdef AUDIT_ARCH_HERE
	struct io_uring ring;

	ASSERT_EQ(0, deny_io_uring());
	/* the premise: the ring cannot be had */
	ASSERT_EQ(-EPERM, io_uring_queue_init(8, &ring, 0));
	ASSERT_EQ(0, migrate_round_and_stopcopy(_metadata, self));
	EXPECT_TRUE(self->r.flags & HMLM_REPORT_SYNC_IO);
	EXPECT_EQ(0, rings_at_suspended);
	EXPECT_EQ(1u, self->f.dst.resumes);
#else
	SKIP(return, "no seccomp architecture constant for this host");
#endif
}

/* Feeds the first @len bytes of a stream file into a pipe, then stalls. */
struct stall {
	int from, to;
	uint64_t len;
	volatile int fed;	/* all @len bytes are in the pipe */
	volatile int done;	/* the reader gave up: close the channel */
};

/* when the stalling channel had fed all it will (0: not yet) */
static volatile uint64_t stall_fed_ns;

static void *stall_run(void *arg)
{
	struct stall *st = arg;
	char buf[4096];
	uint64_t left = st->len;
	ssize_t n;

	while (left) {
		n = read(st->from, buf, left < sizeof(buf) ? left : sizeof(buf));
		if (n <= 0 || write(st->to, buf, n) != n)
			break;
		left -= (uint64_t)n;
	}
	stall_fed_ns = now_ns_test();
	st->fed = 1;
	while (!st->done)
		usleep(1000);
	return NULL;
}

/* Where the stream at @path has its FINAL round record behind it. */
static uint64_t after_final_round(const char *path)
{
	struct hmlm_stream_reader *rd;
	struct hmlm_stream_info info;
	struct hmlm_stream_record rec;
	uint64_t off = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || hmlm_stream_reader_open(fd, 0, &info, &rd))
		return 0;
	while (hmlm_stream_read_record(rd, &rec) > 0) {
		if (rec.type == HMLM_STREAM_REC_ROUND &&
		    (rec.round.flags & HMLM_STREAM_ROUND_FINAL)) {
			off = hmlm_stream_reader_bytes(rd);
			break;
		}
	}
	hmlm_stream_reader_close(rd);
	close(fd);
	return off;
}

/* hmlm_migrate_in() of the first @len bytes, over a channel that stalls. */
static int in_stalled(FIXTURE_DATA(mig) *self, uint64_t len,
		      uint64_t *elapsed_ns)
{
	struct stall st = { 0 };
	pthread_t th;
	uint64_t t0;
	int p[2], ret;

	if (pipe(p))
		return -errno;
	stall_fed_ns = 0;
	st.from = open(self->stream_path, O_RDONLY);
	st.to = p[1];
	st.len = len;
	if (st.from < 0 || pthread_create(&th, NULL, stall_run, &st))
		return -EBADF;
	alarm(20);	/* without a bound: blocked for ever */
	t0 = now_ns_test();
	ret = hmlm_migrate_in(self->dst, &self->map, 1, p[0], &self->p,
			      &self->r);
	*elapsed_ns = now_ns_test() - t0;
	alarm(0);
	st.done = 1;
	pthread_join(th, NULL);
	close(st.from);
	close(p[0]);
	close(p[1]);
	return ret;
}

/*
 * A source that stops sending in the middle of the stream (a hung ssh, a
 * dead sender) cannot hold hmlm_migrate_in() for ever: after
 * recv_timeout_us without bytes it fails with ETIMEDOUT, and the target,
 * suspended by its VMM, is neither given a state nor resumed, also after
 * its session ends.
 */
TEST_F(mig, in_stalled_source_times_out_target_stays_suspended)
{
	struct stat sb;
	uint64_t ns;

	self->c.dirty_precopy = 2;
	self->p.converge_bytes = 1;
	ASSERT_EQ(0, out_to_file(_metadata, self));
	ASSERT_EQ(0, stat(self->stream_path, &sb));
	ASSERT_EQ(0, hmlm_suspend(self->dst, HMLM_SUSPEND_KEEP, 0));
	self->p.progress = NULL;
	self->p.recv_timeout_us = 200000;
	EXPECT_EQ(-ETIMEDOUT, in_stalled(self, (uint64_t)sb.st_size / 2, &ns));
	EXPECT_LE(200000000ULL, ns);
	EXPECT_GT(5000000000ULL, ns);
	EXPECT_TRUE(self->r.flags & HMLM_REPORT_DEADLINE);
	EXPECT_EQ(HMLM_STEP_STREAM, self->r.err_step);
	EXPECT_EQ(0u, mock_count(NVME_HMLM_SET_STATE));
	EXPECT_EQ(0u, mock_count(NVME_HMLM_RESUME));
	fake_release(&self->f.dst);
	EXPECT_TRUE(self->f.dst.suspended);
	EXPECT_EQ(0u, self->f.dst.resumes);
}

/*
 * Once the FINAL round arrived the source is suspended: the target waits
 * for the rest no longer than stop_deadline_us (the source gives up then
 * too), even without recv_timeout_us.
 */
TEST_F(mig, in_stop_deadline_bounds_the_wait_after_the_final_round)
{
	uint64_t off, ns;

	self->c.dirty_precopy = 2;
	self->p.converge_bytes = 1;
	ASSERT_EQ(0, out_to_file(_metadata, self));
	off = after_final_round(self->stream_path);
	ASSERT_LT(0u, off);
	self->p.progress = NULL;
	self->p.stop_deadline_us = 200000;
	EXPECT_EQ(-ETIMEDOUT, in_stalled(self, off, &ns));
	EXPECT_LE(200000000ULL, ns);
	EXPECT_GT(5000000000ULL, ns);
	EXPECT_TRUE(self->r.flags & HMLM_REPORT_DEADLINE);
	EXPECT_EQ(0u, mock_count(NVME_HMLM_SET_STATE));
	EXPECT_EQ(0u, mock_count(NVME_HMLM_RESUME));
}

/*
 * Cancels once the channel has stalled for 300 ms: only a callback asked
 * while the read waits (no record completes any more) can see that.
 */
static int cancel_when_stalled(const struct hmlm_progress *p, void *arg)
{
	(void)p;
	(void)arg;
	return stall_fed_ns && now_ns_test() - stall_fed_ns > 300000000ULL;
}

/* A wait for a stalled stream is cancelled through the progress callback. */
TEST_F(mig, in_cancel_reaches_a_stalled_read)
{
	uint64_t ns;

	ASSERT_EQ(0, out_to_file(_metadata, self));
	self->p.progress = cancel_when_stalled;
	EXPECT_EQ(-ECANCELED, in_stalled(self, 4096, &ns));
	EXPECT_GT(5000000000ULL, ns);
	EXPECT_EQ(0u, mock_count(NVME_HMLM_SET_STATE));
	EXPECT_EQ(0u, mock_count(NVME_HMLM_RESUME));
}

/* ---- hmlm_migrate_data(): the data beside a holder that suspends ---- */

/*
 * The script of a data move: the VM writes during the pre-copy and the
 * first round; then the holder (QEMU's VFIO driver) suspends the source,
 * which posts "suspended", and the management writes the stop pipe.
 * @late_marker: the stop comes first and "suspended" only after a few
 * waits of the drain (it must wait for it); @end_with: instead of
 * "suspended", end the queue with that marker.
 */
struct data_ctx {
	struct ctx *c;
	int stop_w;
	int stage;
	int late_marker;
	uint8_t end_with;
	unsigned int drain_waits;
	uint64_t last_bytes;	/* written at the stop: the stop-and-copy's */
};

static void data_stop(struct data_ctx *d)
{
	dirty(d->c, 2);
	d->last_bytes = 2 * 8 * LBA;
	/* a write the overflowing queue lost: only a full recopy has it */
	if (d->end_with == NVME_HMLM_MARK_FULL)
		fill_lbas(d->c->src_fd, 300, 50, 77);
	d->c->f->src.suspended = 1;	/* the holder's Suspend */
	if (d->end_with)
		fake_log_end(d->c->f, d->end_with);
	else if (!d->late_marker)
		fake_log(d->c->f, 0, NVME_HMLM_REC_NONE, NVME_HMLM_MARK_SUSPENDED, 0, 0);
	if (write(d->stop_w, "s", 1) != 1)
		abort();
}

static int on_data_progress(const struct hmlm_progress *p, void *arg)
{
	struct data_ctx *d = arg;

	d->c->phases[p->phase]++;
	if (p->phase == HMLM_PHASE_PRECOPY && d->stage == 0) {
		dirty(d->c, 3);
		d->stage = 1;
	} else if (p->phase == HMLM_PHASE_ROUND && p->round >= 1 && d->stage == 1) {
		d->stage = 2;
		data_stop(d);
	} else if (p->phase == HMLM_PHASE_SUSPENDED && d->late_marker &&
		   ++d->drain_waits == 3) {
		fake_log(d->c->f, 0, NVME_HMLM_REC_NONE, NVME_HMLM_MARK_SUSPENDED, 0, 0);
	}
	return 0;
}

/* hmlm_migrate_data() on a data session of the source, scripted by @d. */
static int run_data(FIXTURE_DATA(mig) *self, struct data_ctx *d)
{
	struct hmlm_session *ds;
	int sp[2], ret;

	if (pipe(sp))
		return -errno;
	ret = hmlm_session_open_flags("/dev/null", SRC_CNTLID, HMLM_SESSION_DATA, &ds);
	if (!ret) {
		d->c = &self->c;
		d->stop_w = sp[1];
		self->p.progress = on_data_progress;
		self->p.progress_arg = d;
		ret = hmlm_migrate_data(ds, &self->map, 1, sp[0], &self->p, &self->r);
		hmlm_session_close(ds);
	}
	close(sp[0]);
	close(sp[1]);
	return ret;
}

TEST_F(mig, data_copies_while_running_and_drains_at_the_stop)
{
	struct data_ctx d = { 0 };
	const struct mock_call *bind;

	ASSERT_EQ(0, run_data(self, &d));
	EXPECT_TRUE(same(self->src_fd, self->dst_fd));
	EXPECT_LE(1u, self->r.rounds);
	EXPECT_GE(d.last_bytes, self->r.stopcopy_bytes);
	EXPECT_EQ(1u, self->c.phases[HMLM_PHASE_DONE]);
	/* a data session, and nothing sent that acts on a controller */
	bind = mock_nth(NVME_HMLM_BIND, 2);
	ASSERT_NE(NULL, bind);
	EXPECT_EQ(NVME_HMLM_BIND_DATA, ((const struct nvme_hmlm_bind *)bind->data)->flags);
	EXPECT_EQ(0u, mock_count(NVME_HMLM_SUSPEND));
	EXPECT_EQ(0u, mock_count(NVME_HMLM_RESUME));
	EXPECT_EQ(0u, mock_count(NVME_HMLM_GET_STATE));
	EXPECT_EQ(0u, mock_count(NVME_HMLM_SET_STATE));
}

/* A stop request before the "suspended" record: the drain waits for it. */
TEST_F(mig, data_drain_waits_for_the_suspended_record)
{
	struct data_ctx d = { .late_marker = 1 };

	ASSERT_EQ(0, run_data(self, &d));
	EXPECT_LE(3u, d.drain_waits);
	EXPECT_TRUE(same(self->src_fd, self->dst_fd));
	EXPECT_LT(0u, self->r.log_drain_ns);
}

TEST_F(mig, data_full_queue_at_the_stop_recopies_everything)
{
	struct data_ctx d = { .end_with = NVME_HMLM_MARK_FULL };

	/* the device reports what the VM wrote as allocated */
	self->f.alloc[3] = (struct nvme_hmlm_lba_range){ 300, 50 };
	self->f.alloc[4] = (struct nvme_hmlm_lba_range){ 1024, 1024 };
	self->f.nalloc = 5;
	self->f.log_refused_suspended = 1;
	ASSERT_EQ(0, run_data(self, &d));
	EXPECT_EQ(1u, self->r.queue_full_events);
	EXPECT_TRUE(same(self->src_fd, self->dst_fd));
	/* the stop copied everything allocated again (1500..1599 is in 1024..) */
	EXPECT_EQ((64 + 128 + 50 + 1024) * LBA, self->r.stopcopy_bytes);
}

/* The queue ended (stopped) without a Suspend: the data is not complete. */
TEST_F(mig, data_queue_ended_without_suspend_fails)
{
	struct data_ctx d = { .end_with = NVME_HMLM_MARK_STOPPED };

	EXPECT_EQ(-EPROTO, run_data(self, &d));
	EXPECT_EQ(HMLM_STEP_DRAIN, self->r.err_step);
}

TEST_F(mig, data_bad_arguments)
{
	struct hmlm_ns_map self_copy = { 1, 1, self->src_path, self->src_path };
	struct hmlm_mem_range mr = { 0, 4096 };
	struct hmlm_session *s;
	int sp[2];

	ASSERT_EQ(0, pipe(sp));
	EXPECT_EQ(-EINVAL, hmlm_migrate_data(self->src, &self->map, 1, -1, &self->p, &self->r));
	self->p.flags = HMLM_MIGRATE_NO_RESUME;
	EXPECT_EQ(-EINVAL, hmlm_migrate_data(self->src, &self->map, 1, sp[0], &self->p, &self->r));
	self->p.flags = 0;
	self->p.mem_ranges = &mr;
	self->p.nr_mem_ranges = 1;
	EXPECT_EQ(-EINVAL, hmlm_migrate_data(self->src, &self->map, 1, sp[0], &self->p, &self->r));
	self->p.mem_ranges = NULL;
	self->p.nr_mem_ranges = 0;
	EXPECT_EQ(-EINVAL, hmlm_migrate_data(self->src, &self_copy, 1, sp[0], &self->p, &self->r));
	EXPECT_EQ(HMLM_STEP_SETUP, self->r.err_step);
	EXPECT_EQ(-EINVAL, hmlm_session_open_flags("/dev/null", SRC_CNTLID, 1U << 1, &s));
	close(sp[0]);
	close(sp[1]);
}

TEST_HARNESS_MAIN
