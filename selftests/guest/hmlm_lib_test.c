// SPDX-License-Identifier: GPL-2.0
/*
 * libhmlm against the module and the device model: every session call,
 * the migration-queue reader, the allocated-LBA iterator, memory tracking,
 * a whole hmlm_migrate() of VF1 and hmlm_migrate_data() beside a holder
 * of its controller, while the polled userspace driver (selftests/lib/udrv)
 * plays the VM on it and writes. Static, linked with the library's sources.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <linux/fs.h>

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "bench.h"
#include "udrv.h"
#include <hmlm.h>

/* (hmlm_test.h has helpers named like the library's calls: not used here) */
struct bench {
	int ok, hmlm;
	char src_pf[64], dst_pf[64];
	int src_id, dst_id;
};

static void bench_get(struct bench *b)
{
	char w[16];
	const char *h = getenv("HMLM_HMLM");

	memset(b, 0, sizeof(*b));
	if (!h || !bench_env_word("HMLM_SRC_PF", 0, b->src_pf, sizeof(b->src_pf)) ||
	    !bench_env_word("HMLM_DST_PF", 0, b->dst_pf, sizeof(b->dst_pf)))
		return;
	b->hmlm = atoi(h);
	if (!bench_env_word("HMLM_SRC_CNTLIDS", 0, w, sizeof(w)))
		return;
	b->src_id = atoi(w);
	if (!bench_env_word("HMLM_DST_CNTLIDS", 0, w, sizeof(w)))
		return;
	b->dst_id = atoi(w);
	b->ok = 1;
}

/* The disk of namespace @nsid of controller @pf, or @pf "n" @nsid. */
static void ns_bdev(const char *pf, unsigned int nsid, char *out, size_t len)
{
	if (bench_ns_blkdev(pf, nsid, out, len))
		snprintf(out, len, "%sn%u", pf, nsid);
}

#define NSID		1
#define TMO_MS		10000
#define SC(st)		((st) & 0x7ff)
#define ST_NOT_SUSP	0x13a
#define ST_NORES	0x138

FIXTURE(lib) {
	struct bench b;
	struct udrv_ctrl *c;
	struct hmlm_session *src, *dst;
	struct hmlm_session *data;	/* a data session, for the tests' own */
	struct hmlm_caps caps;
	char src_vf[32], dst_vf[32];
	char src_bdev[80], dst_bdev[80];
	void *buf;
};

FIXTURE_SETUP(lib)
{
	int r;

	self->c = NULL;
	self->src = self->dst = self->data = NULL;
	self->buf = NULL;
	bench_get(&self->b);
	if (!self->b.ok || !self->b.hmlm ||
	    !bench_env_word("HMLM_SRC_VFS", 0, self->src_vf, sizeof(self->src_vf)) ||
	    !bench_env_word("HMLM_DST_VFS", 0, self->dst_vf, sizeof(self->dst_vf)))
		SKIP(return, "needs the bench with hmlm=on");
	ASSERT_EQ(0, bench_load_module(getenv("HMLM_MODULE")));
	ns_bdev(self->b.src_pf, NSID, self->src_bdev, sizeof(self->src_bdev));
	ns_bdev(self->b.dst_pf, NSID, self->dst_bdev, sizeof(self->dst_bdev));
	/* the VM: VF1 of the source, enabled, with I/O queues */
	r = udrv_open(self->src_vf, NULL, &self->c);
	ASSERT_EQ(0, r) TH_LOG("udrv_open(%s): %d", self->src_vf, r);
	self->buf = udrv_dma_alloc(self->c, 64 * 512);
	ASSERT_NE(NULL, self->buf);
	r = hmlm_session_open(self->b.src_pf, self->b.src_id, &self->src);
	ASSERT_EQ(0, r) TH_LOG("session src: %d", r);
	r = hmlm_session_open(self->b.dst_pf, self->b.dst_id, &self->dst);
	ASSERT_EQ(0, r) TH_LOG("session dst: %d", r);
	self->caps.size = sizeof(self->caps);
	ASSERT_EQ(0, hmlm_session_caps(self->src, &self->caps));
}

/* Leaves both VF1s running, without I/O queues. */
FIXTURE_TEARDOWN(lib)
{
	struct udrv_ctrl *d = NULL;

	hmlm_session_close(self->data);
	if (self->src)
		hmlm_resume(self->src);
	if (self->dst) {
		hmlm_resume(self->dst);
		hmlm_session_close(self->dst);
		/* a reset of the target drops what a Set State gave it */
		if (!udrv_open(self->dst_vf, NULL, &d))
			udrv_close(d);
	}
	hmlm_session_close(self->src);
	if (self->c)
		udrv_close(self->c);
}

static void fill(void *buf, uint64_t slba, uint32_t nlb, uint8_t gen)
{
	unsigned char *p = buf;
	uint32_t i;

	for (i = 0; i < nlb * 512; i++)
		p[i] = (unsigned char)((slba + i / 512) * 13 + i + gen * 101);
}

static int vf_write(FIXTURE_DATA(lib) *self, uint64_t slba, uint32_t nlb, uint8_t gen)
{
	fill(self->buf, slba, nlb, gen);
	return udrv_write(self->c, 1, NSID, slba, nlb, self->buf);
}

TEST_F(lib, session_caps)
{
	EXPECT_TRUE(self->caps.flags & HMLM_CAP_HMLMS);
	EXPECT_TRUE(self->caps.flags & HMLM_CAP_TRACK_LBA);
	EXPECT_GE(self->caps.num_state_versions, 1);
	EXPECT_GT(self->caps.max_xfer, 0u);
}

TEST_F(lib, suspend_resume)
{
	ASSERT_EQ(0, hmlm_suspend(self->src, 0, 0));
	EXPECT_EQ(0, hmlm_suspend(self->src, 0, 0));	/* idempotent */
	ASSERT_EQ(0, hmlm_resume(self->src));
	EXPECT_EQ(-EIO, hmlm_resume(self->src));
	EXPECT_EQ(ST_NOT_SUSP, SC(hmlm_session_nvme_status(self->src)));
	/* the VM goes on */
	EXPECT_EQ(0, vf_write(self, 10, 8, 1));
}

TEST_F(lib, suspend_notification_does_not_suspend)
{
	ASSERT_EQ(0, hmlm_suspend(self->src, HMLM_SUSPEND_NOTIFY, 0));
	EXPECT_EQ(0, vf_write(self, 10, 8, 2));
	EXPECT_EQ(-EIO, hmlm_resume(self->src));
	EXPECT_EQ(ST_NOT_SUSP, SC(hmlm_session_nvme_status(self->src)));
}

TEST_F(lib, state_get_while_suspended)
{
	const struct udrv_info *ui = udrv_info(self->c);
	struct hmlm_state st;
	const uint8_t *p;

	ASSERT_EQ(0, hmlm_suspend(self->src, 0, 0));
	ASSERT_EQ(0, hmlm_state_get(self->src, NULL, &st));
	EXPECT_GE(st.len, 48u + 8);
	EXPECT_TRUE(st.flags & HMLM_STATE_CONSISTENT);
	ASSERT_TRUE(st.flags & HMLM_STATE_NVME);
	p = st.data;
	/* the NVMe part: one SQ and one CQ state per I/O queue of the VM */
	EXPECT_EQ(ui->nr_io_queues, (unsigned int)(p[50] | p[51] << 8));
	EXPECT_EQ(ui->nr_io_queues, (unsigned int)(p[52] | p[53] << 8));
	hmlm_state_free(&st);
}

TEST_F(lib, state_get_unknown_format)
{
	struct hmlm_state_fmt fmt = { .flags = HMLM_STATE_NVME, .nvme_version = 0x7777 };
	struct hmlm_state st;

	EXPECT_EQ(-EOPNOTSUPP, hmlm_state_get(self->src, &fmt, &st));
}

TEST_F(lib, state_set_on_target_and_resume)
{
	struct hmlm_caps dc = { .size = sizeof(dc) };
	struct hmlm_state_fmt fmt;
	struct hmlm_state st;
	int r;

	ASSERT_EQ(0, hmlm_session_caps(self->dst, &dc));
	ASSERT_EQ(0, hmlm_state_fmt_common(&self->caps, &dc, &fmt));
	ASSERT_EQ(0, hmlm_suspend(self->src, 0, 0));
	ASSERT_EQ(0, hmlm_state_get(self->src, &fmt, &st));
	ASSERT_EQ(0, hmlm_suspend(self->dst, 0, 0));
	r = hmlm_state_set(self->dst, &st);
	EXPECT_EQ(0, r) TH_LOG("set state: %d status 0x%x", r,
			       hmlm_session_nvme_status(self->dst));
	EXPECT_EQ(0, hmlm_resume(self->dst));
	hmlm_state_free(&st);
}

/* Collects until [slba, slba + nlb) of NSID is in @set, or the timeout. */
static int wait_dirty(struct hmlm_log *log, struct hmlm_extents *set,
		      uint64_t slba, uint64_t nlb)
{
	int i;

	for (i = 0; i < 100; i++) {
		struct hmlm_extent e = { 0 };
		int r = hmlm_log_collect(log, set, 100);

		if (r < 0)
			return r;
		while (hmlm_extents_next(set, &e) > 0)
			if (e.nsid == NSID && e.slba <= slba &&
			    e.slba + e.nlb >= slba + nlb)
				return 0;
	}
	return -ETIMEDOUT;
}

TEST_F(lib, log_collects_vf_writes)
{
	struct hmlm_extents *set;
	struct hmlm_log *log;
	uint64_t nlbas;
	int fd = open(self->src_bdev, O_RDONLY);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, BLKGETSIZE64, &nlbas));
	close(fd);
	nlbas /= 512;
	ASSERT_EQ(0, hmlm_extents_new(1024, &set));
	ASSERT_EQ(0, hmlm_extents_add_ns(set, NSID, nlbas, 512, 1));
	ASSERT_EQ(0, hmlm_log_start(self->src, 256, 0, &log));
	ASSERT_EQ(0, vf_write(self, 1000, 8, 3));
	ASSERT_EQ(0, vf_write(self, 5000, 16, 3));
	EXPECT_EQ(0, wait_dirty(log, set, 1000, 8));
	EXPECT_EQ(0, wait_dirty(log, set, 5000, 16));
	EXPECT_TRUE(hmlm_log_markers(log) & HMLM_LOG_SEEN_FIRST);
	EXPECT_GE(hmlm_log_records(log), 3u);
	hmlm_log_close(log);
	hmlm_extents_free(set);
}

/* Reads the log to its end; returns the markers. */
static unsigned int drain(struct hmlm_log *log)
{
	struct hmlm_log_rec r[16];
	int n, i;

	for (i = 0; i < 200; i++) {
		n = hmlm_log_read(log, r, 16, 100);
		if (n == 0 || (n < 0 && n != -EAGAIN))
			break;
	}
	return hmlm_log_markers(log);
}

TEST_F(lib, log_stop_then_end_of_file)
{
	struct hmlm_log *log;
	unsigned int m;

	ASSERT_EQ(0, hmlm_log_start(self->src, 64, 0, &log));
	ASSERT_EQ(0, hmlm_log_stop(log));
	m = drain(log);
	EXPECT_TRUE(m & HMLM_LOG_SEEN_FIRST);
	EXPECT_TRUE(m & HMLM_LOG_SEEN_STOPPED);
	EXPECT_TRUE(m & HMLM_LOG_SEEN_EOF);
	hmlm_log_close(log);
}

TEST_F(lib, suspend_dudmq_ends_the_log)
{
	struct hmlm_log *log;
	unsigned int m;

	ASSERT_EQ(0, hmlm_log_start(self->src, 64, HMLM_LOG_NONBLOCK, &log));
	ASSERT_EQ(0, vf_write(self, 300, 8, 4));
	ASSERT_EQ(0, hmlm_suspend(self->src, HMLM_SUSPEND_DUDMQ, 0));
	m = drain(log);
	EXPECT_TRUE(m & HMLM_LOG_SEEN_SUSPENDED);
	EXPECT_TRUE(m & HMLM_LOG_SEEN_EOF);
	hmlm_log_close(log);
	EXPECT_EQ(0, hmlm_resume(self->src));
}

TEST_F(lib, one_log_per_session)
{
	struct hmlm_log *log, *again = NULL;

	ASSERT_EQ(0, hmlm_log_start(self->src, 64, 0, &log));
	EXPECT_EQ(-EBUSY, hmlm_log_start(self->src, 64, 0, &again));
	EXPECT_EQ(NULL, again);
	hmlm_log_close(log);
}

TEST_F(lib, alloc_iterator_sees_written_lbas)
{
	struct hmlm_alloc_iter *it;
	struct hmlm_lba_range r;
	int n, found = 0, ranges = 0;

	if (!(self->caps.flags & HMLM_CAP_RALBAS))
		SKIP(return, "no RALBAS");
	ASSERT_EQ(0, vf_write(self, 20000, 64, 5));
	ASSERT_EQ(0, udrv_flush(self->c, 1, NSID));
	ASSERT_EQ(0, hmlm_alloc_iter_new(self->src, NSID, 0, &it));
	while ((n = hmlm_alloc_iter_next(it, &r)) == 1) {
		ranges++;
		if (r.slba <= 20000 && r.slba + r.nlb >= 20064)
			found = 1;
	}
	EXPECT_EQ(0, n);
	EXPECT_TRUE(found) TH_LOG("%d ranges, none covers 20000+64", ranges);
	hmlm_alloc_iter_free(it);
}

TEST_F(lib, alloc_iterator_unknown_namespace)
{
	struct hmlm_alloc_iter *it;
	struct hmlm_lba_range r;

	if (!(self->caps.flags & HMLM_CAP_RALBAS))
		SKIP(return, "no RALBAS");
	ASSERT_EQ(0, hmlm_alloc_iter_new(self->src, 77, 0, &it));
	EXPECT_EQ(-EIO, hmlm_alloc_iter_next(it, &r));
	EXPECT_NE(0, hmlm_session_nvme_status(self->src));
	hmlm_alloc_iter_free(it);
}

TEST_F(lib, mem_track_reports_dma_until_suspended)
{
	struct hmlm_mem_range range, got[64];
	uint64_t phys = udrv_virt_to_phys(self->c, self->buf);
	unsigned int attrs = 0, i, total = 0, hit = 0;
	int n, r;

	if (!(self->caps.flags & HMLM_CAP_TRACK_MEM))
		SKIP(return, "no memory tracking");
	range.addr = phys & ~((2ULL << 20) - 1);
	range.len = 2ULL << 20;
	r = hmlm_mem_track_start(self->src, &range, 1, 0, NULL);
	ASSERT_EQ(0, r) TH_LOG("start: %d status 0x%x", r, hmlm_session_nvme_status(self->src));
	/* the device writes the buffer: a read into it */
	ASSERT_EQ(0, udrv_read(self->c, 1, NSID, 0, 8, self->buf));
	ASSERT_EQ(0, hmlm_suspend(self->src, 0, 0));
	for (i = 0; i < 1000; i++) {
		n = hmlm_mem_track_recv(self->src, got, 64, &attrs);
		ASSERT_LE(0, n);
		for (r = 0; r < n; r++) {
			total++;
			if (got[r].addr <= phys && got[r].addr + got[r].len > phys)
				hit = 1;
		}
		if ((attrs & HMLM_MEM_SUSPENDED) && !(attrs & HMLM_MEM_MORE))
			break;
	}
	EXPECT_TRUE(attrs & HMLM_MEM_SUSPENDED);
	EXPECT_TRUE(hit) TH_LOG("%u ranges, none covers the buffer", total);
	/* stopping needs a running controller */
	EXPECT_EQ(-EIO, hmlm_mem_track_stop(self->src));
	ASSERT_EQ(0, hmlm_resume(self->src));
	EXPECT_EQ(0, hmlm_mem_track_stop(self->src));
}

TEST_F(lib, mem_track_not_enough_resources)
{
	struct hmlm_mem_limits lim = { 0 };
	struct hmlm_mem_range r = { 0, 32ULL << 30 };	/* 8 Mi 4 KiB granules */
	int ret;

	if (!(self->caps.flags & HMLM_CAP_TRACK_MEM))
		SKIP(return, "no memory tracking");
	ret = hmlm_mem_track_start(self->src, &r, 1, self->caps.min_mem_gran, &lim);
	ASSERT_EQ(-ENOSPC, ret) TH_LOG("status 0x%x", hmlm_session_nvme_status(self->src));
	EXPECT_GT(lim.min_gran, self->caps.min_mem_gran);
	EXPECT_EQ(ST_NORES, SC(hmlm_session_nvme_status(self->src)));
}

TEST_F(lib, mem_track_too_many_ranges)
{
	struct hmlm_mem_range *r;
	unsigned int i, n;

	if (!(self->caps.flags & HMLM_CAP_TRACK_MEM) || !self->caps.max_mem_ranges)
		SKIP(return, "no memory tracking limits");
	n = self->caps.max_mem_ranges + 1;
	r = calloc(n, sizeof(*r));
	ASSERT_NE(NULL, r);
	for (i = 0; i < n; i++) {
		r[i].addr = (uint64_t)i << 24;
		r[i].len = 4096;
	}
	EXPECT_EQ(-EIO, hmlm_mem_track_start(self->src, r, n, self->caps.min_mem_gran, NULL));
	EXPECT_EQ(0x002, SC(hmlm_session_nvme_status(self->src)));
	free(r);
}

struct vm {
	FIXTURE_DATA(lib) *self;
	int writes;
	int suspended_seen;
	uint8_t gen;
};

/* The VM writes while the copy runs, and pauses when told it is suspended. */
static int vm_progress(const struct hmlm_progress *p, void *arg)
{
	struct vm *vm = arg;

	if (p->phase == HMLM_PHASE_SUSPENDED) {
		vm->suspended_seen = 1;
		return 0;
	}
	if ((p->phase == HMLM_PHASE_PRECOPY || p->phase == HMLM_PHASE_ROUND) &&
	    vm->writes < 8) {
		vm->gen++;
		if (vf_write(vm->self, 40000 + 64 * (uint64_t)vm->writes, 32, vm->gen))
			return 1;
		vm->writes++;
	}
	return 0;
}

static int same_region(const char *a, const char *b, uint64_t off, size_t len)
{
	char *x = malloc(len), *y = malloc(len);
	int fa = open(a, O_RDONLY | O_DIRECT), fb = open(b, O_RDONLY | O_DIRECT);
	int ok = x && y && fa >= 0 && fb >= 0 &&
		 pread(fa, x, len, off) == (ssize_t)len &&
		 pread(fb, y, len, off) == (ssize_t)len && !memcmp(x, y, len);

	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	free(x);
	free(y);
	return ok;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * hmlm_migrate() while the VM writes, then the VM goes on on the target
 * with its queues and data. With @signals, SIGALRM (a handler without
 * SA_RESTART, as a daemon's timer has) arrives every millisecond: every
 * wait of the call is cut short many times, the Suspends' included.
 */
static void migrate_and_continue(struct __test_metadata *_metadata,
				 FIXTURE_DATA(lib) *self, bool signals)
{
	struct hmlm_ns_map map = { NSID, NSID, self->src_bdev, self->dst_bdev };
	struct hmlm_migrate_params p = { .size = sizeof(p) };
	struct hmlm_migrate_report rep = { .size = sizeof(rep) };
	struct itimerval every_ms = { { 0, 1000 }, { 0, 1000 } };
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct vm vm = { .self = self };
	char msg[256];
	void *chk;
	int r, i;

	p.progress = vm_progress;
	p.progress_arg = &vm;
	p.converge_bytes = 4096;
	ASSERT_EQ(0, vf_write(self, 100, 64, 9));
	if (signals) {
		ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
		ASSERT_EQ(0, setitimer(ITIMER_REAL, &every_ms, NULL));
	}
	r = hmlm_migrate(self->src, self->dst, &map, 1, &p, &rep);
	if (signals) {
		setitimer(ITIMER_REAL, &off, NULL);
		signal(SIGALRM, SIG_DFL);
	}
	hmlm_migrate_strerror(&rep, r, msg, sizeof(msg));
	ASSERT_EQ(0, r) TH_LOG("migrate: %s", msg);
	EXPECT_TRUE(vm.suspended_seen);
	EXPECT_GT(vm.writes, 0);
	EXPECT_GT(rep.log_records, 0u);
	EXPECT_GE(rep.bytes_copied, rep.allocated_bytes);
	EXPECT_GT(rep.downtime_ns, 0u);
	/* the guest kernel has io_uring: the dirty extents went in batches */
	EXPECT_FALSE(rep.flags & HMLM_REPORT_SYNC_IO);
	/* the namespaces agree where the VM wrote */
	EXPECT_TRUE(same_region(self->src_bdev, self->dst_bdev, 100 * 512, 64 * 512));
	EXPECT_TRUE(same_region(self->src_bdev, self->dst_bdev, 40000 * 512, 8 * 64 * 512));
	/* the VM continues on the target VF, its queues intact */
	ASSERT_EQ(0, udrv_detach(self->c));
	r = udrv_attach_continue(self->c, self->dst_vf);
	ASSERT_EQ(0, r) TH_LOG("attach to the target: %d", r);
	chk = udrv_dma_alloc(self->c, 32 * 512);
	ASSERT_NE(NULL, chk);
	for (i = 0; i < vm.writes; i++) {
		ASSERT_EQ(0, udrv_read(self->c, 1, NSID, 40000 + 64 * (uint64_t)i, 32, chk));
		fill(self->buf, 40000 + 64 * (uint64_t)i, 32, (uint8_t)(i + 1));
		EXPECT_EQ(0, memcmp(chk, self->buf, 32 * 512)) TH_LOG("write %d", i);
	}
	udrv_dma_free(self->c, chk);
	/* the target VF is the VM's now; teardown resets it */
	udrv_close(self->c);
	self->c = NULL;
	/* the source still holds the VM's queues: reset it */
	EXPECT_EQ(0, hmlm_resume(self->src));
	ASSERT_EQ(0, udrv_open(self->src_vf, NULL, &self->c));
}

TEST_F(lib, migrate_while_the_vm_writes)
{
	migrate_and_continue(_metadata, self, false);
}

/*
 * A signal that cuts a Suspend's wait short leaves the command in flight
 * (EINTR, then EBUSY until it completes): the call waits for it and goes
 * on, it does not fail the migration nor, at the KEEP, leave the source
 * to run beside the target.
 */
TEST_F(lib, migrate_through_a_signal_every_millisecond)
{
	migrate_and_continue(_metadata, self, true);
}

/*
 * hmlm_migrate_data(): the namespace data moved beside a holder that
 * migrates the controller itself (QEMU through nvme-hmlm-vfio-pci; here
 * the fixture's session, self->src, which plays it). The call runs on a
 * data session of the same CNTLID and never acts on the controller: the
 * holder's Suspend and the caller's word on stopped_fd end it.
 */

/*
 * Each test's own LBAs, which nothing else writes, in slots of DSLOT LBAs:
 * what a test did not write there is zero on the source.
 */
#define DREGION(n)	(60000 + 1000 * (n))
#define DSLOT		16
#define DSLOTS		16
/* the longest the progress callback holds the call for the test */
#define HOLD_MS		60000

static int data_open(FIXTURE_DATA(lib) *self)
{
	return hmlm_session_open_flags(self->b.src_pf, self->b.src_id,
				       HMLM_SESSION_DATA, &self->data);
}

/* hmlm_migrate_data() needs the migration queue, which a reduced boot lacks */
static bool has_queue(const struct hmlm_caps *c)
{
	return c->max_udmq && (c->flags & HMLM_CAP_TRACK_LBA);
}

/* What the VM last wrote to each slot: its generation, 0 for never. */
struct written {
	uint64_t base;		/* DREGION() */
	uint8_t gen[DSLOTS];
};

static int vm_write_slots(FIXTURE_DATA(lib) *self, struct written *w,
			  unsigned int slot, unsigned int n, uint8_t gen)
{
	unsigned int i;
	int r = vf_write(self, w->base + (uint64_t)slot * DSLOT, n * DSLOT, gen);

	for (i = 0; !r && i < n; i++)
		w->gen[slot + i] = gen;
	return r;
}

/*
 * The first slot of @bdev that does not hold what @w says (the pattern of
 * its last write, zeroes where the VM never wrote), DSLOTS when it cannot
 * be read, or -1. O_DIRECT: what the device holds, not a page cache.
 */
static int slots_differ(const char *bdev, const struct written *w)
{
	const size_t len = DSLOT * 512;
	void *got = NULL;
	char *want = malloc(len);
	int fd = open(bdev, O_RDONLY | O_DIRECT), bad = DSLOTS, i;

	if (fd < 0 || !want || posix_memalign(&got, 4096, len))
		goto out;
	for (i = 0; i < DSLOTS; i++) {
		uint64_t slba = w->base + (uint64_t)i * DSLOT;

		if (pread(fd, got, len, slba * 512) != (ssize_t)len)
			goto out;
		if (w->gen[i])
			fill(want, slba, DSLOT, w->gen[i]);
		else
			memset(want, 0, len);
		if (memcmp(got, want, len)) {
			bad = i;
			goto out;
		}
	}
	bad = -1;
out:
	if (fd >= 0)
		close(fd);
	free(got);
	free(want);
	return bad;
}

/* Junk over the region @w of @bdev: the copy must replace all of it. */
static int scribble(const char *bdev, const struct written *w)
{
	const size_t len = DSLOTS * DSLOT * 512;
	void *buf = NULL;
	int fd = open(bdev, O_WRONLY | O_DIRECT), ok = 0;

	if (fd >= 0 && !posix_memalign(&buf, 4096, len)) {
		memset(buf, 0xa5, len);
		ok = pwrite(fd, buf, len, (off_t)w->base * 512) == (ssize_t)len &&
		     !fsync(fd);
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return ok ? 0 : -EIO;
}

/*
 * hmlm_migrate_data() on a thread of its own, as a daemon runs it beside
 * QEMU, while the test plays QEMU and the VM. The progress callback says
 * on @ev when the pre-copy is over ('p'), holds the call at the first
 * @hold_at (a ROUND: one with changes to copy) until @go is written
 * ('h'); the thread says when the call returned ('e').
 */
struct data_mig {
	struct hmlm_ns_map map;
	struct hmlm_migrate_params p;
	struct hmlm_migrate_report rep;
	struct hmlm_session *ds;
	int stopped[2], ev[2], go[2];
	enum hmlm_phase hold_at;
	bool held, precopied;
	int cancel;		/* atomic: the callback cancels */
	int ret;
	pthread_t th;
};

static void tell(int fd, char c)
{
	if (write(fd, &c, 1) != 1)
		perror("tell");
}

static int data_progress(const struct hmlm_progress *p, void *arg)
{
	struct data_mig *d = arg;
	struct pollfd go = { .fd = d->go[0], .events = POLLIN };

	if (p->phase == HMLM_PHASE_ROUND && !d->precopied) {
		d->precopied = true;
		tell(d->ev[1], 'p');
	}
	if (p->phase == d->hold_at && !d->held &&
	    (p->phase != HMLM_PHASE_ROUND || p->dirty_bytes)) {
		d->held = true;
		tell(d->ev[1], 'h');
		poll(&go, 1, HOLD_MS);
	}
	return __atomic_load_n(&d->cancel, __ATOMIC_ACQUIRE);
}

static void *data_mig_thread(void *arg)
{
	struct data_mig *d = arg;

	d->ret = hmlm_migrate_data(d->ds, &d->map, 1, d->stopped[0], &d->p,
				   &d->rep);
	tell(d->ev[1], 'e');
	return NULL;
}

static int data_mig_start(struct data_mig *d, FIXTURE_DATA(lib) *self,
			  enum hmlm_phase hold_at, unsigned int log_entries)
{
	memset(d, 0, sizeof(*d));
	d->map = (struct hmlm_ns_map){ NSID, NSID, self->src_bdev,
				       self->dst_bdev };
	d->p.size = sizeof(d->p);
	d->p.progress = data_progress;
	d->p.progress_arg = d;
	d->p.log_entries = log_entries;
	d->rep.size = sizeof(d->rep);
	d->ds = self->data;
	d->hold_at = hold_at;
	if (pipe(d->stopped) || pipe(d->ev) || pipe(d->go))
		return -errno;
	return -pthread_create(&d->th, NULL, data_mig_thread, d);
}

/* Waits for @c from the call: 0, or -ETIMEDOUT (it may have returned). */
static int data_mig_wait(struct data_mig *d, char c)
{
	struct pollfd pf = { .fd = d->ev[0], .events = POLLIN };
	char got;

	while (poll(&pf, 1, TMO_MS) == 1 && read(d->ev[0], &got, 1) == 1)
		if (got == c)
			return 0;
	return -ETIMEDOUT;
}

/*
 * The caller says the source is suspended (with @cancel: gives up), lets a
 * held call go, and waits for it: its return value.
 */
static int data_mig_end(struct data_mig *d, bool cancel)
{
	int i;

	if (cancel)
		__atomic_store_n(&d->cancel, 1, __ATOMIC_RELEASE);
	else
		tell(d->stopped[1], 's');
	tell(d->go[1], 'g');
	pthread_join(d->th, NULL);
	for (i = 0; i < 2; i++) {
		close(d->stopped[i]);
		close(d->ev[i]);
		close(d->go[i]);
	}
	return d->ret;
}

#define GEN_BEFORE	0x31	/* before the call: the pre-copy's */
#define GEN_ROUND	0x32	/* after the pre-copy: a round's */
#define GEN_LATE	0x33	/* while the call is held: the stop-and-copy's */

/* Over both earlier generations and new LBAs, a write (a record) each */
static const unsigned int late_slots[] = { 1, 2, 5, 8, 10, 11 };
#define LATE_BYTES	(ARRAY_SIZE(late_slots) * DSLOT * 512)

/*
 * The VM and the holder while hmlm_migrate_data() runs, held at ROUND:
 * changes after the pre-copy that the round copies; while it is held,
 * the late changes, which only the stop-and-copy can move; the holder's
 * Suspend. Held at SUSPENDED: the caller's word that the source stopped
 * comes first, the late changes and the Suspend after it, as when the
 * queue's last records arrive after the word (the drain must wait for
 * the "suspended" record). NULL, or what failed.
 */
static const char *vm_during(FIXTURE_DATA(lib) *self, struct data_mig *d,
			     struct written *w)
{
	unsigned int i;

	if (data_mig_wait(d, 'p'))
		return "the pre-copy did not end";
	if (d->hold_at == HMLM_PHASE_SUSPENDED)
		tell(d->stopped[1], 's');
	else if (vm_write_slots(self, w, 2, 4, GEN_ROUND))
		return "a write after the pre-copy";
	if (data_mig_wait(d, 'h'))
		return "the call did not come where the test holds it";
	for (i = 0; i < ARRAY_SIZE(late_slots); i++)
		if (vm_write_slots(self, w, late_slots[i], 1, GEN_LATE))
			return "a write while the call was held";
	if (hmlm_suspend(self->src, 0, 0))
		return "the holder's Suspend";
	return NULL;
}

/*
 * hmlm_migrate_data() of NSID while the VM writes region @region, the call
 * held at @hold_at (vm_during()); then what a user sees: the target holds
 * the last generation of every LBA the VM wrote, the holder resumes its
 * controller and the VM goes on. The report is @d->rep.
 */
static void data_mig_run(struct __test_metadata *_metadata,
			 FIXTURE_DATA(lib) *self, struct data_mig *d,
			 unsigned int region, enum hmlm_phase hold_at,
			 unsigned int log_entries)
{
	struct written w = { .base = DREGION(region) };
	const char *fail;
	char msg[256];
	int r, bad;

	ASSERT_EQ(0, scribble(self->dst_bdev, &w));
	ASSERT_EQ(0, data_open(self));
	ASSERT_EQ(0, vm_write_slots(self, &w, 0, 4, GEN_BEFORE));
	ASSERT_EQ(0, vm_write_slots(self, &w, 8, 1, GEN_BEFORE));
	ASSERT_EQ(0, data_mig_start(d, self, hold_at, log_entries));
	fail = vm_during(self, d, &w);
	r = data_mig_end(d, fail != NULL);
	ASSERT_TRUE(fail == NULL) TH_LOG("%s", fail);
	hmlm_migrate_strerror(&d->rep, r, msg, sizeof(msg));
	ASSERT_EQ(0, r) TH_LOG("migrate_data: %s", msg);
	EXPECT_GT(d->rep.downtime_ns, 0u);
	EXPECT_LE(d->rep.log_drain_ns, d->rep.downtime_ns);
	/* the test's own account of the writes is the source's */
	bad = slots_differ(self->src_bdev, &w);
	ASSERT_EQ(-1, bad) TH_LOG("source slot %d", bad);
	bad = slots_differ(self->dst_bdev, &w);
	EXPECT_EQ(-1, bad) TH_LOG("target slot %d (LBA %llu, generation 0x%x)",
				  bad, (unsigned long long)w.base + bad * DSLOT,
				  bad >= 0 && bad < DSLOTS ? w.gen[bad] : 0);
	EXPECT_EQ(0, hmlm_resume(self->src));
	EXPECT_EQ(0, vf_write(self, 200, 8, 5));
}

TEST_F(lib, migrate_data_beside_the_holder)
{
	struct data_mig d;

	if (!has_queue(&self->caps))
		SKIP(return, "no migration queue");
	data_mig_run(_metadata, self, &d, 0, HMLM_PHASE_ROUND, 0);
	EXPECT_GE(d.rep.bytes_copied, d.rep.allocated_bytes + 4 * DSLOT * 512);
	EXPECT_GE(d.rep.rounds, 1u);
	/* the write after the pre-copy is one record: the round had it all */
	EXPECT_EQ(4u * DSLOT * 512, d.rep.round_bytes[1]);
	/* the downtime moves what changed since, nothing more */
	EXPECT_EQ(LATE_BYTES, d.rep.stopcopy_bytes);
	EXPECT_EQ(0u, d.rep.queue_full_events);
}

/*
 * The last changes reach the queue after the caller's word: the drain
 * reads on to the holder's "suspended" record, and the stop-and-copy
 * moves them.
 */
TEST_F(lib, migrate_data_waits_for_the_suspended_record)
{
	struct data_mig d;

	if (!has_queue(&self->caps))
		SKIP(return, "no migration queue");
	data_mig_run(_metadata, self, &d, 1, HMLM_PHASE_SUSPENDED, 0);
	EXPECT_EQ(0u, d.rep.rounds);
	EXPECT_EQ(LATE_BYTES, d.rep.stopcopy_bytes);
	EXPECT_GT(d.rep.log_drain_ns, 0u);
}

/*
 * The late changes overflow a small queue (3 usable slots) just before the
 * holder suspends: what they changed is lost to the queue, so everything
 * allocated is copied again once the source is suspended. (The timeout:
 * a drain that waits for a record that never comes ends after 30 s.)
 */
TEST_F_TIMEOUT(lib, migrate_data_queue_full_at_the_suspend, 90)
{
	struct data_mig d;

	if (!has_queue(&self->caps))
		SKIP(return, "no migration queue");
	data_mig_run(_metadata, self, &d, 2, HMLM_PHASE_ROUND, 4);
	EXPECT_GE(d.rep.queue_full_events, 1u);
	EXPECT_GE(d.rep.stopcopy_bytes, d.rep.allocated_bytes);
}

/*
 * What a call that did not reach the stop leaves: no queue (the data
 * session makes a new one) and a controller it never suspended.
 */
static void nothing_left(struct __test_metadata *_metadata,
			 FIXTURE_DATA(lib) *self)
{
	struct hmlm_log *log;
	int r = hmlm_log_start(self->data, 64, 0, &log);

	EXPECT_EQ(0, r) TH_LOG("a queue for the data session: %d", r);
	if (!r)
		hmlm_log_close(log);
	EXPECT_EQ(-EIO, hmlm_resume(self->src));
	EXPECT_EQ(ST_NOT_SUSP, SC(hmlm_session_nvme_status(self->src)));
}

/* A call that took what it should refuse stops at its first callback. */
static int cancel_at_once(const struct hmlm_progress *p, void *arg)
{
	(void)p;
	(void)arg;
	return 1;
}

TEST_F(lib, migrate_data_refuses_bad_input)
{
	struct hmlm_ns_map map = { NSID, NSID, self->src_bdev, self->dst_bdev };
	struct hmlm_ns_map same = { NSID, NSID, self->src_bdev, self->src_bdev };
	struct hmlm_migrate_params p = { .size = sizeof(p) };
	struct hmlm_migrate_report rep = { .size = sizeof(rep) };
	struct hmlm_mem_range ram = { 0, 1 << 20 };
	int stopped[2], r;

	if (!has_queue(&self->caps))
		SKIP(return, "no migration queue");
	ASSERT_EQ(0, data_open(self));
	ASSERT_EQ(0, pipe(stopped));
	p.progress = cancel_at_once;
	/* nothing would ever say that the source stopped */
	EXPECT_EQ(-EINVAL, hmlm_migrate_data(self->data, &map, 1, -1, &p, &rep));
	/* the memory is the holder's to move: a data session cannot track it */
	p.mem_ranges = &ram;
	p.nr_mem_ranges = 1;
	EXPECT_EQ(-EINVAL, hmlm_migrate_data(self->data, &map, 1, stopped[0],
					     &p, &rep));
	p.mem_ranges = NULL;
	p.nr_mem_ranges = 0;
	/* and so is the target's Resume */
	p.flags = HMLM_MIGRATE_NO_RESUME;
	EXPECT_EQ(-EINVAL, hmlm_migrate_data(self->data, &map, 1, stopped[0],
					     &p, &rep));
	p.flags = 0;
	/* a target that is its own source would be read while written */
	r = hmlm_migrate_data(self->data, &same, 1, stopped[0], &p, &rep);
	EXPECT_EQ(-EINVAL, r);
	EXPECT_EQ(HMLM_STEP_SETUP, rep.err_step);
	EXPECT_EQ(0u, rep.bytes_copied);
	nothing_left(_metadata, self);
	close(stopped[0]);
	close(stopped[1]);
}

static int cancel_after_precopy(const struct hmlm_progress *p, void *arg)
{
	unsigned int *precopy_calls = arg;

	if (p->phase == HMLM_PHASE_PRECOPY)
		(*precopy_calls)++;
	return p->phase == HMLM_PHASE_ROUND;
}

TEST_F(lib, migrate_data_cancel_from_progress)
{
	struct hmlm_ns_map map = { NSID, NSID, self->src_bdev, self->dst_bdev };
	struct hmlm_migrate_params p = { .size = sizeof(p) };
	struct hmlm_migrate_report rep = { .size = sizeof(rep) };
	unsigned int precopy_calls = 0;
	int stopped[2], r;

	if (!has_queue(&self->caps))
		SKIP(return, "no migration queue");
	ASSERT_EQ(0, data_open(self));
	ASSERT_EQ(0, pipe(stopped));
	/* something to pre-copy */
	ASSERT_EQ(0, vf_write(self, DREGION(3), 16, 6));
	p.progress = cancel_after_precopy;
	p.progress_arg = &precopy_calls;
	/* stopped is never written: only the cancel ends the call */
	r = hmlm_migrate_data(self->data, &map, 1, stopped[0], &p, &rep);
	EXPECT_EQ(-ECANCELED, r);
	EXPECT_EQ(HMLM_STEP_CALLBACK, rep.err_step);
	/* the pre-copy ran to its end, nothing after it */
	EXPECT_GT(precopy_calls, 0u);
	EXPECT_GT(rep.allocated_bytes, 0u);
	EXPECT_EQ(rep.allocated_bytes, rep.bytes_copied);
	EXPECT_EQ(0u, rep.stopcopy_bytes);
	EXPECT_EQ(0u, rep.downtime_ns);
	nothing_left(_metadata, self);
	close(stopped[0]);
	close(stopped[1]);
}

TEST_F(lib, data_session_only_moves_data)
{
	struct hmlm_session *again = NULL;

	ASSERT_EQ(0, data_open(self));
	/* what acts on the controller is the holder's */
	EXPECT_EQ(-EACCES, hmlm_suspend(self->data, 0, 0));
	EXPECT_EQ(-EACCES, hmlm_suspend(self->data, HMLM_SUSPEND_KEEP, 0));
	EXPECT_EQ(-EACCES, hmlm_resume(self->data));
	/* one data session per controller */
	EXPECT_EQ(-EBUSY, hmlm_session_open_flags(self->b.src_pf, self->b.src_id,
						  HMLM_SESSION_DATA, &again));
	EXPECT_EQ(NULL, again);
	/* no Suspend went out: the controller runs, the VM writes */
	EXPECT_EQ(-EIO, hmlm_resume(self->src));
	EXPECT_EQ(ST_NOT_SUSP, SC(hmlm_session_nvme_status(self->src)));
	EXPECT_EQ(0, vf_write(self, 200, 8, 6));
	/* the role is free again once the first data session closes */
	hmlm_session_close(self->data);
	self->data = NULL;
	EXPECT_EQ(0, data_open(self));
}

/*
 * A device that implements a subset: the boots of tests-faults-caps*.list
 * turn capabilities off (hmlm_lib_test --reduced=udmq,track-mem,...,
 * naming the device model's properties); the main boot has them all. The
 * same tests check that the flow follows what the device reports.
 */
static bool reduced_boot;
static bool off_udmq, off_track_mem, off_vs_state;

TEST_F(lib, capabilities_match_the_boot)
{
	struct hmlm_caps dc = { .size = sizeof(dc) };

	ASSERT_EQ(0, hmlm_session_caps(self->dst, &dc));
	EXPECT_EQ(off_udmq, !self->caps.max_udmq);
	EXPECT_EQ(off_udmq, !(self->caps.flags & HMLM_CAP_TRACK_LBA));
	EXPECT_EQ(off_track_mem, !(self->caps.flags & HMLM_CAP_TRACK_MEM));
	EXPECT_EQ(off_vs_state, !self->caps.num_state_uuids);
	EXPECT_EQ(off_vs_state, !dc.num_state_uuids);
	EXPECT_GT(self->caps.num_state_versions, 0);
}

struct mem_seen {
	unsigned int calls, ranges;
	uint64_t bytes;
};

static int mem_seen(const struct hmlm_mem_range *r, unsigned int n, void *arg)
{
	struct mem_seen *m = arg;
	unsigned int i;

	m->calls++;
	m->ranges += n;
	for (i = 0; i < n; i++)
		m->bytes += r[i].len;
	return 0;
}

TEST_F(lib, migrate_follows_the_capabilities)
{
	struct hmlm_ns_map map = { NSID, NSID, self->src_bdev, self->dst_bdev };
	struct hmlm_migrate_params p = { .size = sizeof(p) };
	struct hmlm_migrate_report rep = { .size = sizeof(rep) };
	struct hmlm_mem_range ram = { 0, 1 << 20 };
	struct hmlm_caps dc = { .size = sizeof(dc) };
	struct mem_seen ms = { 0 };
	struct vm vm = { .self = self };
	int no_queue, mem_all, nvme_only, r;
	char msg[256];
	void *chk;

	ASSERT_EQ(0, hmlm_session_caps(self->dst, &dc));
	no_queue = !self->caps.max_udmq || !(self->caps.flags & HMLM_CAP_TRACK_LBA);
	mem_all = !(self->caps.flags & HMLM_CAP_TRACK_MEM);
	nvme_only = !self->caps.num_state_uuids || !dc.num_state_uuids;
	p.progress = vm_progress;
	p.progress_arg = &vm;
	p.converge_bytes = 4096;
	p.mem_ranges = &ram;
	p.nr_mem_ranges = 1;
	p.mem_gran = self->caps.min_mem_gran;
	p.mem_dirty = mem_seen;
	p.mem_arg = &ms;
	ASSERT_EQ(0, vf_write(self, 100, 64, 9));
	r = hmlm_migrate(self->src, self->dst, &map, 1, &p, &rep);
	hmlm_migrate_strerror(&rep, r, msg, sizeof(msg));
	if (nvme_only) {
		/*
		 * The NVMe state holds the I/O queues only: a target that is
		 * not enabled (CC, admin queue: the vendor part's) cannot take
		 * them. The call says where it failed, the source runs on.
		 */
		ASSERT_EQ(-EIO, r) TH_LOG("migrate: %s", msg);
		EXPECT_EQ(HMLM_STEP_STATE_SET, rep.err_step);
		EXPECT_TRUE(rep.flags & HMLM_REPORT_NVME_STATE);
		EXPECT_TRUE(rep.flags & HMLM_REPORT_SOURCE_RESUMED);
		EXPECT_NE(NULL, strstr(msg, "Set Controller State")) TH_LOG("%s", msg);
		EXPECT_EQ(0, vf_write(self, 200, 8, 4));
		return;
	}
	ASSERT_EQ(0, r) TH_LOG("migrate: %s", msg);
	EXPECT_EQ(no_queue, !!(rep.flags & HMLM_REPORT_NO_QUEUE));
	EXPECT_EQ(mem_all, !!(rep.flags & HMLM_REPORT_MEM_ALL));
	EXPECT_EQ(nvme_only, !!(rep.flags & HMLM_REPORT_NVME_STATE));
	if (no_queue) {
		/* everything allocated moved while the source was suspended */
		EXPECT_EQ(0u, rep.log_records);
		EXPECT_EQ(0u, rep.rounds);
		EXPECT_EQ(rep.allocated_bytes, rep.stopcopy_bytes);
		EXPECT_GE(rep.allocated_bytes, 64u * 512);
	} else {
		EXPECT_GT(rep.log_records, 0u);
	}
	if (mem_all) {
		/* told once: every byte of the range may be dirty */
		EXPECT_EQ(1u, ms.calls);
		EXPECT_EQ(1u, ms.ranges);
		EXPECT_EQ(1ULL << 20, ms.bytes);
	}
	EXPECT_TRUE(same_region(self->src_bdev, self->dst_bdev, 100 * 512, 64 * 512));
	/* the VM continues on the target VF with its queues and data */
	ASSERT_EQ(0, udrv_detach(self->c));
	r = udrv_attach_continue(self->c, self->dst_vf);
	ASSERT_EQ(0, r) TH_LOG("attach to the target: %d", r);
	chk = udrv_dma_alloc(self->c, 64 * 512);
	ASSERT_NE(NULL, chk);
	ASSERT_EQ(0, udrv_read(self->c, 1, NSID, 100, 64, chk));
	fill(self->buf, 100, 64, 9);
	EXPECT_EQ(0, memcmp(chk, self->buf, 64 * 512));
	udrv_dma_free(self->c, chk);
	udrv_close(self->c);
	self->c = NULL;
	EXPECT_EQ(0, hmlm_resume(self->src));
	ASSERT_EQ(0, udrv_open(self->src_vf, NULL, &self->c));
}

TEST_F(lib, migrate_no_reduced_refuses_a_subset)
{
	struct hmlm_ns_map map = { NSID, NSID, self->src_bdev, self->dst_bdev };
	struct hmlm_migrate_params p = { .size = sizeof(p) };
	struct hmlm_migrate_report rep = { .size = sizeof(rep) };
	struct hmlm_mem_range ram = { 0, 1 << 20 };
	char msg[256];
	int r;

	p.flags = HMLM_MIGRATE_NO_REDUCED | HMLM_MIGRATE_NO_RESUME;
	p.mem_ranges = &ram;
	p.nr_mem_ranges = 1;
	p.mem_gran = self->caps.min_mem_gran;
	r = hmlm_migrate(self->src, self->dst, &map, 1, &p, &rep);
	hmlm_migrate_strerror(&rep, r, msg, sizeof(msg));
	if (!reduced_boot) {
		/* the whole device: the full flow (the teardown resets) */
		ASSERT_EQ(0, r) TH_LOG("migrate: %s", msg);
		EXPECT_EQ(0u, rep.flags & (HMLM_REPORT_NO_QUEUE | HMLM_REPORT_MEM_ALL |
					   HMLM_REPORT_NVME_STATE));
		return;
	}
	ASSERT_EQ(-EOPNOTSUPP, r) TH_LOG("migrate: %s", msg);
	EXPECT_EQ(HMLM_STEP_PLAN, rep.err_step);
	EXPECT_NE(0u, rep.err_missing);
	EXPECT_EQ(0, strncmp(msg, "planning the migration: the ", 28)) TH_LOG("%s", msg);
	/* refused before the source was touched: it runs, the VM writes */
	EXPECT_EQ(-EIO, hmlm_resume(self->src));
	EXPECT_EQ(ST_NOT_SUSP, SC(hmlm_session_nvme_status(self->src)));
	EXPECT_EQ(0, vf_write(self, 200, 8, 3));
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strncmp(argv[1], "--reduced=", 10)) {
		reduced_boot = true;
		off_udmq = strstr(argv[1], "udmq") != NULL;
		off_track_mem = strstr(argv[1], "track-mem") != NULL;
		off_vs_state = strstr(argv[1], "vs-state") != NULL;
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	return test_harness_run(argc, argv);
}
