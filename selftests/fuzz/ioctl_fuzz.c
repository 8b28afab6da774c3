// SPDX-License-Identifier: GPL-2.0
/*
 * Structured fuzzer of /dev/nvme-hmlm for the debug kernel (make
 * fuzz-kernel): several processes, each with several threads, share pools
 * of fds (sessions, log fds, /dev/nvmeX, block devices, fds of the wrong
 * type, closed numbers) and run random sequences of every ioctl with edge
 * and random sizes, flags, reserved bytes, fds, CNTLIDs and user pointers,
 * mixed with open, close, dup, read(), poll(), signals that cut waits
 * short and child processes killed at a random moment. A chaos thread
 * resets the PFs, turns SR-IOV off and on and drives VF I/O meanwhile.
 *
 * What it checks itself: every call returns 0, a positive NVMe status, or
 * -1 with an errno the uAPI documents for it; the program does not hang
 * past its duration. What the debug kernel checks: KASAN, KFENCE, lockdep,
 * UBSAN, DEBUG_OBJECTS reports fail the run (scripts/vm.sh and
 * run-tests.sh read the console), kmemleak is scanned after it
 * (kmemleak_check.sh).
 *
 * Reproducible: every thread's sequence comes from the seed (-s), the
 * process, the thread and the chunk index (-i); the interleaving of the
 * threads and the chaos is the scheduler's. A failing run prints its seed.
 *
 * usage: hmlm_ioctl_fuzz [-s SEED] [-i CHUNK] [-d SECONDS] [-p PROCS]
 *                        [-t THREADS] [-n] (no chaos)
 * Prints kselftest TAP with one test and a "# fuzz:" line of counts.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nvme_lm.h>
#include <uapi/linux/nvme_hmlm.h>

#include "../lib/bench.h"
#include "../lib/udrv.h"

#define POOL		48
#define MAXT		8
#define MAXP		8
#define STATE_MAX	(64u << 10)

enum kind { K_FREE, K_SESS, K_LOG, K_NVME, K_BLK, K_OTHER, K_NKINDS };

struct pool {
	pthread_mutex_t mu;
	int fd[POOL];
	enum kind k[POOL];
};

/* Counters shared by every process (MAP_SHARED). */
struct stats {
	atomic_ullong ops, ioctls, ioctl_ok, ioctl_status, reads, polls, opens,
		closes, forks, signals, resets, sriov, vf_io, chaos_err, bad;
};

struct worker {
	uint64_t rng;
	int proc, thread;
	pthread_t tid;
	unsigned long nops;
};

static struct stats *st;
static struct pool pool;
static uint64_t g_seed;
static unsigned int g_chunk;
static double g_deadline;
static bool in_child;
static int n_threads = 3;
static struct worker workers[MAXT];
static const char *src_pf, *dst_pf;
static int cntlids[16], n_cntlids;
static unsigned char *guard_page;	/* PROT_NONE */
static unsigned char *scratch;		/* STATE_MAX bytes, valid */
static unsigned char state_img[STATE_MAX];
static atomic_uint state_len;

/* ---- randomness ------------------------------------------------------------ */

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t rnd(struct worker *w, uint32_t n)
{
	return n ? (uint32_t)(splitmix(&w->rng) % n) : 0;
}

static bool chance(struct worker *w, unsigned int pct)
{
	return rnd(w, 100) < pct;
}

static uint64_t rnd64(struct worker *w)
{
	return splitmix(&w->rng);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* ---- the fd pool ------------------------------------------------------------- */

static void lock(void)
{
	if (!in_child)
		pthread_mutex_lock(&pool.mu);
}

static void unlock(void)
{
	if (!in_child)
		pthread_mutex_unlock(&pool.mu);
}

static void pool_add(struct worker *w, int fd, enum kind k)
{
	int i = rnd(w, POOL);

	if (fd < 0)
		return;
	lock();
	if (pool.k[i] != K_FREE) {
		close(pool.fd[i]);
		atomic_fetch_add(&st->closes, 1);
	}
	pool.fd[i] = fd;
	pool.k[i] = k;
	unlock();
}

/* A random fd: mostly from the pool (any kind), else a number. */
static int pick_fd(struct worker *w, enum kind want, enum kind *k)
{
	int i, tries;

	*k = K_OTHER;
	if (chance(w, 8))
		return chance(w, 50) ? -1 : (int)rnd(w, 80);
	for (tries = 0; tries < 8; tries++) {
		i = rnd(w, POOL);
		if (pool.k[i] != K_FREE && (want == K_FREE || pool.k[i] == want ||
					    tries >= 6)) {
			*k = pool.k[i];
			return pool.fd[i];	/* may be closed by now: fine */
		}
	}
	return (int)rnd(w, 80);
}

/* ---- user pointers ------------------------------------------------------------- */

static uint64_t pick_ptr(struct worker *w, size_t len)
{
	switch (rnd(w, 20)) {
	case 0:
		return 0;
	case 1:
		return 8;
	case 2:
		return (uintptr_t)guard_page;
	case 3:	/* ends in the guard page */
		return (uintptr_t)(guard_page - (len ? len / 2 + 1 : 1));
	case 4:
		return rnd64(w);
	default:
		return (uintptr_t)scratch + (chance(w, 80) ? 0 : rnd(w, 64) * 4);
	}
}

/* ---- ioctls ------------------------------------------------------------------ */

static const unsigned long nrs[] = {
	NVME_HMLM_GET_CAPS, NVME_HMLM_BIND, NVME_HMLM_SUSPEND, NVME_HMLM_RESUME,
	NVME_HMLM_GET_STATE, NVME_HMLM_SET_STATE, NVME_HMLM_LOG_START,
	NVME_HMLM_TRACK_MEM, NVME_HMLM_GET_ALLOC_LBAS, NVME_HMLM_LOG_STOP,
};

static const size_t sizes[] = {
	sizeof(struct nvme_hmlm_get_caps), sizeof(struct nvme_hmlm_bind),
	sizeof(struct nvme_hmlm_suspend), sizeof(struct nvme_hmlm_resume),
	sizeof(struct nvme_hmlm_get_state), sizeof(struct nvme_hmlm_set_state),
	sizeof(struct nvme_hmlm_log_start), sizeof(struct nvme_hmlm_track_mem),
	sizeof(struct nvme_hmlm_alloc_lbas), sizeof(struct nvme_hmlm_log_stop),
};

static const uint32_t edge32[] = { 0, 1, 2, 3, 4, 7, 8, 16, 47, 48, 63, 64, 4095,
				   4096, 65535, 65536, 65537, 0x7fffffff,
				   0x80000000, 0xffffffff };

static uint32_t pick32(struct worker *w)
{
	return chance(w, 70) ? edge32[rnd(w, sizeof(edge32) / sizeof(edge32[0]))] :
	       (uint32_t)rnd64(w);
}

static int pick_cntlid(struct worker *w)
{
	if (n_cntlids && chance(w, 85))
		return cntlids[rnd(w, n_cntlids)];
	return chance(w, 50) ? (int)rnd(w, 8) : (int)(rnd64(w) & 0xffff);
}

static bool errno_ok(int e)
{
	switch (e) {
	case ENOTTY: case EFAULT: case EINVAL: case E2BIG: case EPERM:
	case EBADF: case EOPNOTSUPP: case ENOENT: case EBUSY: case EMSGSIZE:
	case ENODEV: case ETIMEDOUT: case EAGAIN: case EIO: case EINTR:
	case ENOMEM: case EACCES:
		return true;
	}
	return false;
}

static void report(struct worker *w, const char *what, long r, int e)
{
	atomic_fetch_add(&st->bad, 1);
	printf("# fuzz: UNEXPECTED seed=%" PRIu64 " chunk=%u proc=%d thread=%d op=%lu: %s returned %ld errno %d (%s)\n",
	       g_seed, g_chunk, w->proc, w->thread, w->nops, what, r, e, strerror(e));
	fflush(stdout);
}

static void fill(struct worker *w, int idx, unsigned char *a)
{
	union {
		struct nvme_hmlm_get_caps caps;
		struct nvme_hmlm_bind bind;
		struct nvme_hmlm_suspend susp;
		struct nvme_hmlm_get_state gs;
		struct nvme_hmlm_set_state ss;
		struct nvme_hmlm_log_start ls;
		struct nvme_hmlm_track_mem tm;
		struct nvme_hmlm_alloc_lbas al;
	} *u = (void *)a;
	enum kind k;
	uint32_t len;

	switch (idx) {
	case 0:
		u->caps.nvme_fd = pick_fd(w, K_NVME, &k);
		u->caps.sec_num = chance(w, 60) ? rnd(w, 20) : pick32(w);
		u->caps.sec_uptr = pick_ptr(w, u->caps.sec_num * 16);
		break;
	case 1:
		u->bind.nvme_fd = pick_fd(w, K_NVME, &k);
		u->bind.cntlid = pick_cntlid(w);
		/* data sessions beside the holders: the queue's ownership */
		u->bind.flags = chance(w, 60) ? 0 : chance(w, 90) ?
				NVME_HMLM_BIND_DATA : (uint32_t)rnd64(w);
		break;
	case 2:
		u->susp.flags = chance(w, 90) ? rnd(w, 8) : (uint32_t)rnd64(w);
		u->susp.timeout_ms = chance(w, 50) ? rnd(w, 50) : pick32(w) % 5000;
		break;
	case 4:
		u->gs.flags = chance(w, 90) ? rnd(w, 2) : (uint32_t)rnd64(w);
		u->gs.csvi = rnd(w, 3);
		u->gs.csuuidi = rnd(w, 3);
		u->gs.csuidxp = rnd(w, 256);
		u->gs.chunk_len = chance(w, 50) ? 0 : pick32(w);
		u->gs.buf_len = chance(w, 60) ? STATE_MAX : pick32(w);
		u->gs.buf_uptr = pick_ptr(w, u->gs.buf_len);
		break;
	case 5:
		len = atomic_load(&state_len);
		u->ss.csvi = rnd(w, 3);
		u->ss.csuuidi = rnd(w, 3);
		u->ss.chunk_len = chance(w, 50) ? 0 : pick32(w);
		if (len && chance(w, 70)) {
			u->ss.buf_uptr = (uintptr_t)state_img;
			u->ss.buf_len = chance(w, 80) ? len : pick32(w);
		} else {
			u->ss.buf_uptr = pick_ptr(w, 4096);
			u->ss.buf_len = pick32(w);
		}
		break;
	case 6:
		u->ls.flags = chance(w, 90) ? rnd(w, 4) : (uint32_t)rnd64(w);
		u->ls.entries = chance(w, 60) ? 2 + rnd(w, 256) : pick32(w);
		break;
	case 7:
		u->tm.op = chance(w, 90) ? rnd(w, 3) : pick32(w);
		u->tm.gran = chance(w, 80) ? rnd(w, 4) : rnd(w, 256);
		u->tm.num = chance(w, 70) ? 1 + rnd(w, 8) : pick32(w);
		u->tm.ranges_uptr = pick_ptr(w, 16 * (size_t)(u->tm.num & 0xffff));
		break;
	case 8:
		u->al.nsid = chance(w, 80) ? rnd(w, 4) : pick32(w);
		u->al.num = chance(w, 70) ? 1 + rnd(w, 64) : pick32(w);
		u->al.slba = chance(w, 70) ? rnd(w, 1 << 17) : rnd64(w);
		u->al.ranges_uptr = pick_ptr(w, 16 * (size_t)(u->al.num & 0xffff));
		break;
	default:
		break;
	}
}

static void op_ioctl(struct worker *w)
{
	unsigned char buf[512] __attribute__((aligned(8)));
	int idx = rnd(w, 10), fd, e;
	unsigned long nr = nrs[idx];
	size_t size = sizes[idx];
	uint32_t sz = (uint32_t)size;
	enum kind k;
	char what[96];
	void *arg;
	long r;

	memset(buf, 0, sizeof(buf));
	fill(w, idx, buf);
	/* size: right, too small, larger with a zero or non-zero tail */
	switch (rnd(w, 12)) {
	case 0: sz = 0; break;
	case 1: sz = 8; break;
	case 2: sz = (uint32_t)size - 4; break;
	case 3: sz = (uint32_t)size + 8; break;
	case 4: sz = (uint32_t)size + 8; buf[size + 3] = 1; break;
	case 5: sz = 4096; break;
	case 6: sz = pick32(w); break;
	default: break;
	}
	memcpy(buf, &sz, 4);
	if (chance(w, 10))
		((uint32_t *)buf)[1] = (uint32_t)rnd64(w);	/* flags */
	if (chance(w, 10))
		buf[8 + rnd(w, size - 8)] ^= 1 << rnd(w, 8);	/* any field */
	/* the number: mostly one of ours, sometimes a neighbour */
	if (chance(w, 4))
		nr = _IO(NVME_HMLM_TYPE, 0xb8 + rnd(w, 0x20));
	fd = pick_fd(w, idx == 9 ? K_LOG : K_SESS, &k);
	/* no neighbour numbers on /dev/nvmeX: nvme's own ioctls live there */
	if ((k == K_NVME || k == K_BLK) && nr != nrs[idx])
		nr = nrs[idx];
	switch (rnd(w, 40)) {
	case 0: arg = NULL; break;
	case 1: arg = guard_page; break;
	case 2: arg = guard_page - 16; memcpy(arg, buf, 16); break;
	default:
		arg = buf;
		break;
	}
	atomic_fetch_add(&st->ioctls, 1);
	r = ioctl(fd, nr, arg);
	e = errno;
	if (r == 0)
		atomic_fetch_add(&st->ioctl_ok, 1);
	else if (r > 0)
		atomic_fetch_add(&st->ioctl_status, 1);
	if (r == 0 && nr == NVME_HMLM_LOG_START && arg == buf)
		pool_add(w, ((struct nvme_hmlm_log_start *)buf)->out_fd, K_LOG);
	if (r == 0 && nr == NVME_HMLM_GET_STATE && arg == buf) {
		struct nvme_hmlm_get_state *g = (void *)buf;

		if (g->buf_uptr == (uintptr_t)scratch && g->out_len <= STATE_MAX &&
		    !(g->flags & NVME_HMLM_STATE_SIZE)) {
			memcpy(state_img, scratch, g->out_len);
			atomic_store(&state_len, (unsigned int)g->out_len);
		}
	}
	if (r < 0 && !errno_ok(e)) {
		snprintf(what, sizeof(what), "ioctl(fd %d kind %d, nr %#lx, size %u)",
			 fd, k, nr, sz);
		report(w, what, r, e);
	}
}

static void op_open(struct worker *w)
{
	char blk[64];
	int fd = -1, p[2];
	enum kind k = K_OTHER;

	atomic_fetch_add(&st->opens, 1);
	switch (rnd(w, 10)) {
	case 0: case 1: case 2: case 3:
		fd = open(BENCH_HMLM_DEV, O_RDWR | O_CLOEXEC);
		k = K_SESS;
		break;
	case 4: case 5:
		fd = open(chance(w, 50) ? src_pf : dst_pf, O_RDWR | O_CLOEXEC);
		k = K_NVME;
		break;
	case 6:
		if (bench_env_word("HMLM_SRC_NS1", 0, blk, sizeof(blk)))
			fd = open(blk, O_RDONLY | O_CLOEXEC);
		k = K_BLK;
		break;
	case 7:
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		break;
	case 8:
		if (!pipe2(p, O_CLOEXEC | O_NONBLOCK)) {
			close(p[1]);
			fd = p[0];
		}
		break;
	default:
		fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		break;
	}
	/* nvme-core refuses to open a controller that is not live: EAGAIN */
	if (fd < 0 && errno != ENOENT && errno != ENODEV && errno != ENXIO &&
	    errno != EMFILE && errno != ENOMEM &&
	    !(errno == EAGAIN && (k == K_NVME || k == K_BLK)))
		report(w, "open", fd, errno);
	pool_add(w, fd, k);
}

static void op_close(struct worker *w)
{
	int i = rnd(w, POOL);

	lock();
	if (pool.k[i] != K_FREE) {
		close(pool.fd[i]);
		pool.k[i] = K_FREE;
		atomic_fetch_add(&st->closes, 1);
	}
	unlock();
}

static void op_dup(struct worker *w)
{
	enum kind k;
	int fd = pick_fd(w, K_FREE, &k);
	int d = fcntl(fd, F_DUPFD_CLOEXEC, 3);

	if (d >= 0)
		pool_add(w, d, k);
}

/*
 * Is @fd a log fd now? Another thread may close it and reuse its number
 * for another kind of file at any time; the records check needs to know.
 */
static bool is_log_fd(int fd)
{
	char p[64], l[64];
	ssize_t n;

	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	n = readlink(p, l, sizeof(l) - 1);
	if (n <= 0)
		return false;
	l[n] = 0;
	return strstr(l, "nvme-hmlm-log") != NULL;
}

/* read() of a session or log fd; never blocking for long: poll first. */
static void op_read(struct worker *w)
{
	static const size_t lens[] = { 0, 1, 31, 32, 33, 64, 4096 };
	enum kind k;
	int fd = pick_fd(w, K_LOG, &k);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t len = lens[rnd(w, 7)];
	void *b = chance(w, 90) ? (void *)scratch : (void *)(uintptr_t)pick_ptr(w, len);
	bool was_log;
	ssize_t r;

	if (k != K_LOG && k != K_SESS)
		return;
	atomic_fetch_add(&st->reads, 1);
	if (poll(&p, 1, rnd(w, 20)) <= 0 && !(fcntl(fd, F_GETFL) & O_NONBLOCK))
		return;
	was_log = is_log_fd(fd);
	r = read(fd, b, len);
	if (r < 0 && !errno_ok(errno) && errno != EBADF)
		report(w, "read", r, errno);
	/* whole records only, unless the number now names another file */
	if (r > 0 && r % (ssize_t)sizeof(struct nvme_hmlm_log_rec) && was_log &&
	    is_log_fd(fd))
		report(w, "read of a partial record", r, 0);
}

static void op_poll(struct worker *w)
{
	struct pollfd p[4];
	enum kind k;
	int i, r;

	for (i = 0; i < 4; i++) {
		p[i].fd = pick_fd(w, K_LOG, &k);
		p[i].events = POLLIN | POLLOUT | POLLPRI;
	}
	atomic_fetch_add(&st->polls, 1);
	r = poll(p, 4, rnd(w, 30));
	if (r < 0 && errno != EINTR)
		report(w, "poll", r, errno);
}

static void op_signal(struct worker *w)
{
	int t = rnd(w, n_threads);

	if (in_child || !workers[t].tid)
		return;
	atomic_fetch_add(&st->signals, 1);
	pthread_kill(workers[t].tid, SIGUSR1);
}

static void run_ops(struct worker *w, double until, unsigned long max_ops);

/* A child process that inherits the fds, works, and is killed midway. */
static void op_fork_kill(struct worker *w)
{
	uint64_t cseed = rnd64(w);
	pid_t pid;

	atomic_fetch_add(&st->forks, 1);
	pid = fork();
	if (pid < 0)
		return;
	if (!pid) {
		struct worker c = { .rng = cseed, .proc = w->proc, .thread = 99 };

		in_child = true;
		run_ops(&c, now() + 2, 200);
		_exit(0);
	}
	usleep(rnd(w, 200000));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void run_ops(struct worker *w, double until, unsigned long max_ops)
{
	while (now() < until && (!max_ops || w->nops < max_ops)) {
		uint32_t x = rnd(w, 100);

		w->nops++;
		atomic_fetch_add(&st->ops, 1);
		if (x < 55)
			op_ioctl(w);
		else if (x < 66)
			op_open(w);
		else if (x < 74)
			op_close(w);
		else if (x < 76)
			op_dup(w);
		else if (x < 88)
			op_read(w);
		else if (x < 94)
			op_poll(w);
		else if (x < 98)
			op_signal(w);
		else if (!in_child && w->thread == 0)
			op_fork_kill(w);
	}
}

static void *thread_main(void *p)
{
	struct worker *w = p;

	run_ops(w, g_deadline, 0);
	return NULL;
}

static void sig_nop(int s)
{
	(void)s;
}

static int worker_process(int proc)
{
	struct sigaction sa = { .sa_handler = sig_nop };	/* no SA_RESTART */
	int t, i;

	sigaction(SIGUSR1, &sa, NULL);
	pthread_mutex_init(&pool.mu, NULL);
	for (i = 0; i < POOL; i++)
		pool.k[i] = K_FREE;
	for (t = 0; t < n_threads; t++) {
		uint64_t s = g_seed ^ ((uint64_t)g_chunk << 48) ^
			     ((uint64_t)proc << 40) ^ ((uint64_t)t << 32);

		workers[t].rng = splitmix(&s);
		workers[t].proc = proc;
		workers[t].thread = t;
	}
	for (t = 1; t < n_threads; t++)
		pthread_create(&workers[t].tid, NULL, thread_main, &workers[t]);
	workers[0].tid = pthread_self();
	thread_main(&workers[0]);
	for (t = 1; t < n_threads; t++) {
		/* a thread blocked in the kernel is woken by a signal */
		while (pthread_tryjoin_np(workers[t].tid, NULL)) {
			pthread_kill(workers[t].tid, SIGUSR1);
			usleep(20000);
		}
	}
	for (i = 0; i < POOL; i++)
		if (pool.k[i] != K_FREE)
			close(pool.fd[i]);
	return 0;
}

/* ---- chaos: PF resets, SR-IOV off and on, VF I/O -------------------------------- */

static const char *base(const char *dev)
{
	const char *b = strrchr(dev, '/');

	return b ? b + 1 : dev;
}

static void vfs_online(const char *pf, const char *ids)
{
	const char *vq = getenv("HMLM_VQ_PER_VF");
	char cmd[512], id[16];
	int i;

	for (i = 0; bench_word(ids, i, id, sizeof(id)); i++) {
		/*
		 * Resources go only to an offline secondary controller: after
		 * a PF reset or SR-IOV off it is; at the end it may be online.
		 */
		snprintf(cmd, sizeof(cmd),
			 "nvme virt-mgmt %s -c %s -a 7 >/dev/null 2>&1 && "
			 "nvme virt-mgmt %s -c %s -r 1 -a 8 -n 1 >/dev/null 2>&1 && "
			 "nvme virt-mgmt %s -c %s -r 0 -a 8 -n %s >/dev/null 2>&1 && "
			 "nvme virt-mgmt %s -c %s -r 0 -a 9 -n 0 >/dev/null 2>&1",
			 pf, id, pf, id, pf, id, vq ? vq : "4", pf, id);
		if (system(cmd))
			atomic_fetch_add(&st->chaos_err, 1);
	}
}

static void wait_live(const char *pf)
{
	char p[128], s[32];
	int i;

	snprintf(p, sizeof(p), "/sys/class/nvme/%s/state", base(pf));
	for (i = 0; i < 100; i++) {
		if (!bench_sysfs_read(p, s, sizeof(s)) && !strncmp(s, "live", 4))
			return;
		usleep(100000);
	}
}

static void chaos(struct worker *w)
{
	bool src = chance(w, 50);
	const char *pf = src ? src_pf : dst_pf;
	const char *pci = getenv(src ? "HMLM_SRC_PCI" : "HMLM_DST_PCI");
	const char *ids = getenv(src ? "HMLM_SRC_CNTLIDS" : "HMLM_DST_CNTLIDS");
	char p[160], bdf[32];
	struct udrv_ctrl *c;
	uint32_t x = rnd(w, 10);

	if (x < 3) {
		atomic_fetch_add(&st->resets, 1);
		snprintf(p, sizeof(p), "/sys/class/nvme/%s/reset_controller", base(pf));
		if (bench_sysfs_write(p, "1"))
			atomic_fetch_add(&st->chaos_err, 1);
		wait_live(pf);
		vfs_online(pf, ids);
	} else if (x < 5) {
		atomic_fetch_add(&st->sriov, 1);
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/sriov_numvfs", pci);
		if (bench_sysfs_write(p, "0") || bench_sysfs_write(p, getenv("HMLM_NUM_VFS")))
			atomic_fetch_add(&st->chaos_err, 1);
		vfs_online(pf, ids);
	} else {
		/* a VM's I/O on a VF: a few writes and reads */
		if (!bench_env_word(src ? "HMLM_SRC_VFS" : "HMLM_DST_VFS", rnd(w, 2), bdf,
				    sizeof(bdf)) || udrv_open(bdf, NULL, &c))
			return;
		atomic_fetch_add(&st->vf_io, 1);
		{
			void *io = udrv_dma_alloc(c, 8192);
			int i;

			for (i = 0; io && i < 8; i++) {
				memset(io, i, 8192);
				udrv_write(c, 1, 1, rnd(w, 1 << 16), 8, io);
				udrv_read(c, 1, 1, rnd(w, 1 << 16), 8, io);
			}
		}
		udrv_close(c);
	}
}

static void *chaos_main(void *p)
{
	struct worker *w = p;

	while (now() + 3 < g_deadline) {
		usleep(300000 + rnd(w, 2000000));
		if (now() + 3 < g_deadline)
			chaos(w);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int n_procs = 2, opt, p, status, bad_exit = 0;
	unsigned long long restore_err;
	bool no_chaos = false;
	double secs = 60, t0;
	struct worker cw = { .proc = -1, .thread = -1 };
	pid_t pids[MAXP];
	pthread_t ct;
	char id[16];

	g_seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
	while ((opt = getopt(argc, argv, "s:i:d:p:t:n")) != -1) {
		switch (opt) {
		case 's': g_seed = strtoull(optarg, NULL, 0); break;
		case 'i': g_chunk = strtoul(optarg, NULL, 0); break;
		case 'd': secs = atof(optarg); break;
		case 'p': n_procs = atoi(optarg); break;
		case 't': n_threads = atoi(optarg); break;
		case 'n': no_chaos = true; break;
		default:
			fprintf(stderr, "usage: %s [-s seed] [-i chunk] [-d seconds] [-p procs] [-t threads] [-n]\n",
				argv[0]);
			return 2;
		}
	}
	if (n_procs < 1 || n_procs > MAXP || n_threads < 1 || n_threads > MAXT)
		return 2;
	printf("TAP version 13\n1..1\n");
	printf("# fuzz: seed=%" PRIu64 " chunk=%u duration=%.0fs procs=%d threads=%d chaos=%s\n",
	       g_seed, g_chunk, secs, n_procs, n_threads, no_chaos ? "off" : "on");
	src_pf = getenv("HMLM_SRC_PF");
	dst_pf = getenv("HMLM_DST_PF");
	if (!src_pf || !dst_pf || bench_load_module(getenv("HMLM_MODULE"))) {
		printf("ok 1 fuzz # SKIP needs the bench and nvme-hmlm.ko\n");
		printf("# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:1 error:0\n");
		return 0;
	}
	for (p = 0; bench_word(getenv("HMLM_SRC_CNTLIDS"), p, id, sizeof(id)) && n_cntlids < 8; p++)
		cntlids[n_cntlids++] = atoi(id);
	for (p = 0; bench_word(getenv("HMLM_DST_CNTLIDS"), p, id, sizeof(id)) && n_cntlids < 16; p++)
		cntlids[n_cntlids++] = atoi(id);

	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	scratch = mmap(NULL, STATE_MAX + 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (st == MAP_FAILED || scratch == MAP_FAILED)
		return 1;
	guard_page = scratch + STATE_MAX;
	mprotect(guard_page, 4096, PROT_NONE);
	memset(scratch, 0, STATE_MAX);

	t0 = now();
	g_deadline = t0 + secs;
	for (p = 0; p < n_procs; p++) {
		pids[p] = fork();
		if (!pids[p])
			_exit(worker_process(p));
	}
	if (!no_chaos) {
		uint64_t s = g_seed ^ ((uint64_t)g_chunk << 48) ^ 0xc4a05ull;

		cw.rng = splitmix(&s);
		pthread_create(&ct, NULL, chaos_main, &cw);
	}
	for (p = 0; p < n_procs; p++) {
		double limit = g_deadline + 60;

		while (waitpid(pids[p], &status, WNOHANG) == 0) {
			if (now() > limit) {
				printf("# fuzz: process %d did not end 60 s after the deadline: killed\n", p);
				kill(pids[p], SIGKILL);
				waitpid(pids[p], &status, 0);
				bad_exit++;
				break;
			}
			usleep(100000);
		}
		if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL) {
			printf("# fuzz: process %d died of signal %d\n", p, WTERMSIG(status));
			bad_exit++;
		}
	}
	if (!no_chaos)
		pthread_join(ct, NULL);
	/* leave the bench as set up: every VF online, or the run fails */
	restore_err = atomic_load(&st->chaos_err);
	vfs_online(src_pf, getenv("HMLM_SRC_CNTLIDS"));
	vfs_online(dst_pf, getenv("HMLM_DST_CNTLIDS"));
	restore_err = atomic_load(&st->chaos_err) - restore_err;
	if (restore_err) {
		printf("# fuzz: %llu VFs could not be put back online\n",
		       restore_err);
		bad_exit++;
	}

	printf("# fuzz: %llu operations in %.0f s: %llu ioctls (%llu returned 0, %llu an NVMe status), %llu reads, %llu polls, %llu opens, %llu closes, %llu killed children, %llu signals; chaos: %llu PF resets, %llu SR-IOV off/on, %llu VF I/O bursts, %llu chaos steps failed\n",
	       (unsigned long long)st->ops, now() - t0, (unsigned long long)st->ioctls,
	       (unsigned long long)st->ioctl_ok, (unsigned long long)st->ioctl_status,
	       (unsigned long long)st->reads, (unsigned long long)st->polls,
	       (unsigned long long)st->opens, (unsigned long long)st->closes,
	       (unsigned long long)st->forks, (unsigned long long)st->signals,
	       (unsigned long long)st->resets, (unsigned long long)st->sriov,
	       (unsigned long long)st->vf_io, (unsigned long long)st->chaos_err);
	if (st->bad || bad_exit) {
		printf("not ok 1 fuzz: %llu unexpected results, %d processes hung or crashed; replay with -s %" PRIu64 " -i %u\n",
		       (unsigned long long)st->bad, bad_exit, g_seed, g_chunk);
		printf("# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0\n");
		return 1;
	}
	printf("ok 1 fuzz seed=%" PRIu64 " chunk=%u\n", g_seed, g_chunk);
	printf("# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0\n");
	return 0;
}
