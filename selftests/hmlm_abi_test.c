// SPDX-License-Identifier: GPL-2.0
/*
 * The size-extensible ioctl ABI of /dev/nvme-hmlm (uAPI header, "General
 * ioctl format"), probed for every implemented ioctl: sizes below the
 * minimum, exact, one more zero byte, one more non-zero byte, a page;
 * flags and __reserved; bad pointers; unknown and reserved numbers.
 *
 * Each ioctl is a FIXTURE_VARIANT: a new ioctl gets the whole set by adding
 * one variant.
 */
#include <glob.h>
#include <limits.h>
#include <stddef.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "hmlm_test.h"

#define PAGE	4096

static struct nvme_hmlm_sec_ctrl sec_ents[HMLM_MAX_VFS];
static struct nvme_hmlm_lba_range lba_ents[4];
static unsigned char state_hdr[NVME_HMLM_STATE_HDR_LEN];

/* A builder's answer when the bench cannot provide a valid argument. */
#define NO_ARG	INT_MIN

/* The bench whose source VF1 the bound variants use. */
static struct hmlm_bench abi_bench;

struct abi_ctx {
	struct hmlm_bench	b;
	int			nfd;
};

/*
 * Each builder fills a valid argument of the exact size and returns the
 * errno the exact-size call must give (0 for success), or -1 if the bench
 * cannot provide what the ioctl needs.
 */
static int build_caps(const struct abi_ctx *x, void *buf)
{
	if (x->nfd < 0)
		return NO_ARG;
	hmlm_caps_init(buf, x->nfd, sec_ents, HMLM_MAX_VFS);
	return 0;
}

static int build_bind(const struct abi_ctx *x, void *buf)
{
	if (!x->b.ok || !x->b.n_src)
		return NO_ARG;
	hmlm_bind_init(buf, x->nfd, x->b.src_ids[0]);
	/* Without hmlm=on the valid call is refused for that reason only. */
	return x->b.hmlm ? 0 : EOPNOTSUPP;
}

static bool bound_ok(const struct abi_ctx *x)
{
	return x->b.ok && x->b.hmlm && x->b.n_src;
}

static int build_suspend(const struct abi_ctx *x, void *buf)
{
	struct nvme_hmlm_suspend *a = buf;

	if (!bound_ok(x))
		return NO_ARG;
	a->size = sizeof(*a);
	a->flags = NVME_HMLM_SUSPEND_NOTIFY;	/* suspends nothing */
	return 0;
}

static int run_bound(unsigned long nr, void *arg);

static int build_resume(const struct abi_ctx *x, void *buf)
{
	struct nvme_hmlm_resume *a = buf;

	if (!bound_ok(x))
		return NO_ARG;
	a->size = sizeof(*a);
	/* Not suspended: the device's status (negative here, see run()). */
	return run_bound(NVME_HMLM_RESUME, a);
}

static int build_get_state(const struct abi_ctx *x, void *buf)
{
	struct nvme_hmlm_get_state *a = buf;

	if (!bound_ok(x))
		return NO_ARG;
	a->size = sizeof(*a);
	a->flags = NVME_HMLM_STATE_SIZE;
	a->csvi = 1;
	return 0;
}

static int build_set_state(const struct abi_ctx *x, void *buf)
{
	struct nvme_hmlm_set_state *a = buf;

	if (!bound_ok(x))
		return NO_ARG;
	/* Refused before anything is sent: no state part selected. */
	a->size = sizeof(*a);
	a->buf_uptr = (uintptr_t)state_hdr;
	a->buf_len = sizeof(state_hdr);
	return EINVAL;
}

static int build_log_start(const struct abi_ctx *x, void *buf)
{
	struct nvme_hmlm_log_start *a = buf;

	if (!bound_ok(x))
		return NO_ARG;
	a->size = sizeof(*a);
	a->entries = 16;
	return 0;
}

static int build_track_mem(const struct abi_ctx *x, void *buf)
{
	struct nvme_hmlm_track_mem *a = buf;

	if (!bound_ok(x))
		return NO_ARG;
	a->size = sizeof(*a);
	a->op = NVME_HMLM_TRACK_STOP;
	return 0;
}

static int build_alloc_lbas(const struct abi_ctx *x, void *buf)
{
	struct nvme_hmlm_alloc_lbas *a = buf;

	if (!bound_ok(x))
		return NO_ARG;
	a->size = sizeof(*a);
	a->nsid = 1;
	a->num = 4;
	a->ranges_uptr = (uintptr_t)lba_ents;
	return 0;
}

FIXTURE(abi) {
	struct abi_ctx x;
	unsigned char *buf;
	int expect;
};

FIXTURE_VARIANT(abi) {
	unsigned long nr;
	size_t size;
	int (*build)(const struct abi_ctx *x, void *buf);
	size_t rsv_ofs;
	size_t rsv_len;
	bool bound;		/* run on a session bound to source VF1 */
	__u32 valid_flags;	/* flag bits that are not errors */
	int fd_ofs;		/* > 0: an out fd to close after success */
};

FIXTURE_VARIANT_ADD(abi, get_caps) {
	.nr = NVME_HMLM_GET_CAPS,
	.size = sizeof(struct nvme_hmlm_get_caps),
	.build = build_caps,
	.rsv_ofs = offsetof(struct nvme_hmlm_get_caps, __reserved),
	.rsv_len = sizeof(((struct nvme_hmlm_get_caps *)0)->__reserved),
};

FIXTURE_VARIANT_ADD(abi, bind) {
	.nr = NVME_HMLM_BIND,
	.size = sizeof(struct nvme_hmlm_bind),
	.build = build_bind,
	.rsv_ofs = offsetof(struct nvme_hmlm_bind, __reserved),
	.rsv_len = sizeof(((struct nvme_hmlm_bind *)0)->__reserved),
	.valid_flags = NVME_HMLM_BIND_FLAGS,
};

#define RSV(s, f)	.rsv_ofs = offsetof(struct s, f),		\
			.rsv_len = sizeof(((struct s *)0)->f)

FIXTURE_VARIANT_ADD(abi, suspend) {
	.nr = NVME_HMLM_SUSPEND,
	.size = sizeof(struct nvme_hmlm_suspend),
	.build = build_suspend,
	.bound = true,
	.valid_flags = NVME_HMLM_SUSPEND_FLAGS,
};

FIXTURE_VARIANT_ADD(abi, resume) {
	.nr = NVME_HMLM_RESUME,
	.size = sizeof(struct nvme_hmlm_resume),
	.build = build_resume,
	RSV(nvme_hmlm_resume, __reserved),
	.bound = true,
};

FIXTURE_VARIANT_ADD(abi, get_state) {
	.nr = NVME_HMLM_GET_STATE,
	.size = sizeof(struct nvme_hmlm_get_state),
	.build = build_get_state,
	RSV(nvme_hmlm_get_state, __reserved),
	.bound = true,
	.valid_flags = NVME_HMLM_STATE_SIZE,
};

FIXTURE_VARIANT_ADD(abi, set_state) {
	.nr = NVME_HMLM_SET_STATE,
	.size = sizeof(struct nvme_hmlm_set_state),
	.build = build_set_state,
	RSV(nvme_hmlm_set_state, __reserved),
	.bound = true,
};

FIXTURE_VARIANT_ADD(abi, log_start) {
	.nr = NVME_HMLM_LOG_START,
	.size = sizeof(struct nvme_hmlm_log_start),
	.build = build_log_start,
	RSV(nvme_hmlm_log_start, __reserved),
	.bound = true,
	.valid_flags = NVME_HMLM_LOG_FLAGS,
	.fd_ofs = offsetof(struct nvme_hmlm_log_start, out_fd),
};

FIXTURE_VARIANT_ADD(abi, track_mem) {
	.nr = NVME_HMLM_TRACK_MEM,
	.size = sizeof(struct nvme_hmlm_track_mem),
	.build = build_track_mem,
	RSV(nvme_hmlm_track_mem, __reserved),
	.bound = true,
};

FIXTURE_VARIANT_ADD(abi, alloc_lbas) {
	.nr = NVME_HMLM_GET_ALLOC_LBAS,
	.size = sizeof(struct nvme_hmlm_alloc_lbas),
	.build = build_alloc_lbas,
	.bound = true,
};

static int any_nvme_fd(const struct hmlm_bench *b)
{
	glob_t g;
	int fd = -1;

	if (b->ok)
		return open(b->src_pf, O_RDWR);
	if (!glob("/dev/nvme[0-9]", 0, NULL, &g) && g.gl_pathc)
		fd = open(g.gl_pathv[0], O_RDWR);
	globfree(&g);
	return fd;
}

FIXTURE_SETUP(abi)
{
	int ret;

	hmlm_bench_get(&self->x.b);
	abi_bench = self->x.b;
	ret = hmlm_ensure_loaded();
	ASSERT_EQ(0, ret) TH_LOG("loading the module: %s", strerror(-ret));
	self->x.nfd = any_nvme_fd(&self->x.b);
	self->buf = calloc(1, 2 * PAGE);
	ASSERT_NE(NULL, self->buf);
	self->expect = variant->build(&self->x, self->buf);
}

FIXTURE_TEARDOWN(abi)
{
	if (self->x.nfd >= 0)
		close(self->x.nfd);
	free(self->buf);
}

#define NEED_ARG() do {							\
	if (self->expect == NO_ARG)					\
		SKIP(return, "the bench cannot provide a valid argument"); \
} while (0)

/* @r, @e of an ioctl as run() reports it. */
static int result(int r, int e)
{
	if (r < 0)
		return e;
	return r > 0 ? -r : 0;
}

/* One ioctl on a fresh session: 0, the errno, or -(NVMe status). */
static int run_fd(int fd, unsigned long nr, void *arg, int fd_ofs)
{
	int r, e, ofd;

	if (fd < 0)
		return -10000;
	r = ioctl(fd, nr, arg);
	e = errno;
	if (r == 0 && fd_ofs > 0) {
		memcpy(&ofd, (char *)arg + fd_ofs, sizeof(ofd));
		close(ofd);
	}
	close(fd);
	return result(r, e);
}

/* The same on a session bound to the bench's source VF1. */
static int run_bound(unsigned long nr, void *arg)
{
	return run_fd(hmlm_session(abi_bench.src_pf, abi_bench.src_ids[0], NULL),
		      nr, arg, 0);
}

#define run(v, arg)							\
	run_fd((v)->bound ? hmlm_session(abi_bench.src_pf,		\
					 abi_bench.src_ids[0], NULL) :	\
	       hmlm_open(), (v)->nr, (arg), (v)->fd_ofs)

static void set_size(void *buf, __u32 size)
{
	memcpy(buf, &size, sizeof(size));
}

TEST_F(abi, size_below_min_einval)
{
	__u32 sizes[] = { 0, 4, 8, (__u32)variant->size - 1 };
	unsigned int i;

	NEED_ARG();
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		set_size(self->buf, sizes[i]);
		EXPECT_EQ(EINVAL, run(variant, self->buf))
			TH_LOG("size %u", sizes[i]);
	}
}

TEST_F(abi, size_exact)
{
	NEED_ARG();
	EXPECT_EQ(self->expect, run(variant, self->buf));
}

TEST_F(abi, size_plus_one_zero_is_exact)
{
	unsigned char exact[PAGE];

	NEED_ARG();
	memcpy(exact, self->buf, variant->size);
	EXPECT_EQ(self->expect, run(variant, exact));

	set_size(self->buf, variant->size + 1);
	self->buf[variant->size] = 0;
	EXPECT_EQ(self->expect, run(variant, self->buf));
	/* Same answer, same output; the extra byte is not written. */
	EXPECT_EQ(0, memcmp(exact + 4, self->buf + 4, variant->size - 4));
	EXPECT_EQ(0, self->buf[variant->size]);
}

TEST_F(abi, size_plus_one_nonzero_e2big)
{
	NEED_ARG();
	set_size(self->buf, variant->size + 1);
	self->buf[variant->size] = 1;
	EXPECT_EQ(E2BIG, run(variant, self->buf));
}

TEST_F(abi, size_page)
{
	NEED_ARG();
	set_size(self->buf, PAGE);
	EXPECT_EQ(self->expect, run(variant, self->buf));
	self->buf[PAGE - 1] = 0x80;
	EXPECT_EQ(E2BIG, run(variant, self->buf));
}

TEST_F(abi, no_write_past_size)
{
	NEED_ARG();
	memset(self->buf + variant->size, 0x5a, 64);
	EXPECT_EQ(self->expect, run(variant, self->buf));
	for (int i = 0; i < 64; i++)
		ASSERT_EQ(0x5a, self->buf[variant->size + i]);
}

TEST_F(abi, flags_nonzero_einval)
{
	__u32 flags;
	int bit;

	NEED_ARG();
	for (bit = 0; bit < 32; bit++) {
		flags = 1U << bit;
		if (flags & variant->valid_flags)
			continue;
		memcpy(self->buf + 4, &flags, 4);
		EXPECT_EQ(EINVAL, run(variant, self->buf))
			TH_LOG("flags bit %d", bit);
	}
}

TEST_F(abi, reserved_nonzero_einval)
{
	size_t i;

	NEED_ARG();
	for (i = 0; i < variant->rsv_len; i++) {
		self->buf[variant->rsv_ofs + i] = 1;
		EXPECT_EQ(EINVAL, run(variant, self->buf))
			TH_LOG("__reserved byte %zu", i);
		self->buf[variant->rsv_ofs + i] = 0;
	}
	/* And back to valid. */
	EXPECT_EQ(self->expect, run(variant, self->buf));
}

TEST_F(abi, null_pointer_efault)
{
	if (variant->bound)
		NEED_ARG();
	EXPECT_EQ(EFAULT, run(variant, NULL));
	EXPECT_EQ(EFAULT, run(variant, (void *)8));
}

TEST_F(abi, truncated_mapping_efault)
{
	unsigned char *m, *arg;
	size_t half = variant->size / 2;

	NEED_ARG();
	m = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(0, munmap(m + PAGE, PAGE));
	/* Only the first half of the argument is mapped. */
	arg = m + PAGE - half;
	memcpy(arg, self->buf, half);
	EXPECT_EQ(EFAULT, run(variant, arg));
	munmap(m, PAGE);
}

TEST(unknown_ioctl_enotty)
{
	struct nvme_hmlm_get_caps c;
	unsigned long bad[] = {
		_IO(NVME_HMLM_TYPE, NVME_HMLM_CMD_BASE - 1),
		_IO(NVME_HMLM_TYPE, NVME_HMLM_CMD_LOG_STOP + 1),
		_IO(NVME_HMLM_TYPE, 0xff),
		_IO('x', NVME_HMLM_CMD_GET_CAPS),
		/* The right number with size/direction bits is another ioctl. */
		_IOWR(NVME_HMLM_TYPE, NVME_HMLM_CMD_GET_CAPS,
		      struct nvme_hmlm_get_caps),
		0,
	};
	unsigned int i;
	int fd;

	ASSERT_EQ(0, hmlm_ensure_loaded());
	fd = hmlm_open();
	ASSERT_LE(0, fd);
	hmlm_caps_init(&c, -1, NULL, 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_ERRNO(ENOTTY, ioctl(fd, bad[i], &c));
	close(fd);
}

TEST(log_stop_is_not_a_session_ioctl_enotty)
{
	struct nvme_hmlm_log_stop st = { .size = sizeof(st) };
	int fd;

	ASSERT_EQ(0, hmlm_ensure_loaded());
	fd = hmlm_open();
	ASSERT_LE(0, fd);
	EXPECT_ERRNO(ENOTTY, ioctl(fd, NVME_HMLM_LOG_STOP, &st));
	close(fd);
}

TEST(enotty_before_eperm)
{
	int fd;

	ASSERT_EQ(0, hmlm_ensure_loaded());
	fd = hmlm_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, hmlm_drop_sys_admin());
	/* Unknown numbers are ENOTTY for everyone; known ones need the cap. */
	EXPECT_ERRNO(ENOTTY, ioctl(fd, _IO(NVME_HMLM_TYPE, 0xff), NULL));
	EXPECT_ERRNO(EPERM, ioctl(fd, NVME_HMLM_GET_CAPS, NULL));
	close(fd);
}

TEST_HARNESS_MAIN
