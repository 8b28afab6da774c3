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
#include <stddef.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "hmlm_test.h"

#define PAGE	4096

static struct nvme_hmlm_sec_ctrl sec_ents[HMLM_MAX_VFS];

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
		return -1;
	hmlm_caps_init(buf, x->nfd, sec_ents, HMLM_MAX_VFS);
	return 0;
}

static int build_bind(const struct abi_ctx *x, void *buf)
{
	if (!x->b.ok || !x->b.n_src)
		return -1;
	hmlm_bind_init(buf, x->nfd, x->b.src_ids[0]);
	/* Without hmlm=on the valid call is refused for that reason only. */
	return x->b.hmlm ? 0 : EOPNOTSUPP;
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
	if (self->expect < 0)						\
		SKIP(return, "the bench cannot provide a valid argument"); \
} while (0)

/* One ioctl on a fresh session: 0, the errno, or -(NVMe status). */
static int run(unsigned long nr, void *arg)
{
	int fd = hmlm_open(), r, e;

	if (fd < 0)
		return -10000;
	r = ioctl(fd, nr, arg);
	e = errno;
	close(fd);
	if (r < 0)
		return e;
	return r > 0 ? -r : 0;
}

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
		EXPECT_EQ(EINVAL, run(variant->nr, self->buf))
			TH_LOG("size %u", sizes[i]);
	}
}

TEST_F(abi, size_exact)
{
	NEED_ARG();
	EXPECT_EQ(self->expect, run(variant->nr, self->buf));
}

TEST_F(abi, size_plus_one_zero_is_exact)
{
	unsigned char exact[PAGE];

	NEED_ARG();
	memcpy(exact, self->buf, variant->size);
	EXPECT_EQ(self->expect, run(variant->nr, exact));

	set_size(self->buf, variant->size + 1);
	self->buf[variant->size] = 0;
	EXPECT_EQ(self->expect, run(variant->nr, self->buf));
	/* Same answer, same output; the extra byte is not written. */
	EXPECT_EQ(0, memcmp(exact + 4, self->buf + 4, variant->size - 4));
	EXPECT_EQ(0, self->buf[variant->size]);
}

TEST_F(abi, size_plus_one_nonzero_e2big)
{
	NEED_ARG();
	set_size(self->buf, variant->size + 1);
	self->buf[variant->size] = 1;
	EXPECT_EQ(E2BIG, run(variant->nr, self->buf));
}

TEST_F(abi, size_page)
{
	NEED_ARG();
	set_size(self->buf, PAGE);
	EXPECT_EQ(self->expect, run(variant->nr, self->buf));
	self->buf[PAGE - 1] = 0x80;
	EXPECT_EQ(E2BIG, run(variant->nr, self->buf));
}

TEST_F(abi, no_write_past_size)
{
	NEED_ARG();
	memset(self->buf + variant->size, 0x5a, 64);
	EXPECT_EQ(self->expect, run(variant->nr, self->buf));
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
		memcpy(self->buf + 4, &flags, 4);
		EXPECT_EQ(EINVAL, run(variant->nr, self->buf))
			TH_LOG("flags bit %d", bit);
	}
}

TEST_F(abi, reserved_nonzero_einval)
{
	size_t i;

	NEED_ARG();
	for (i = 0; i < variant->rsv_len; i++) {
		self->buf[variant->rsv_ofs + i] = 1;
		EXPECT_EQ(EINVAL, run(variant->nr, self->buf))
			TH_LOG("__reserved byte %zu", i);
		self->buf[variant->rsv_ofs + i] = 0;
	}
	/* And back to valid. */
	EXPECT_EQ(self->expect, run(variant->nr, self->buf));
}

TEST_F(abi, null_pointer_efault)
{
	EXPECT_EQ(EFAULT, run(variant->nr, NULL));
	EXPECT_EQ(EFAULT, run(variant->nr, (void *)8));
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
	EXPECT_EQ(EFAULT, run(variant->nr, arg));
	munmap(m, PAGE);
}

TEST(unknown_ioctl_enotty)
{
	struct nvme_hmlm_get_caps c;
	unsigned long bad[] = {
		_IO(NVME_HMLM_TYPE, NVME_HMLM_CMD_BASE - 1),
		_IO(NVME_HMLM_TYPE, NVME_HMLM_CMD_GET_ALLOC_LBAS + 1),
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

TEST(reserved_ioctls_not_implemented_enotty)
{
	unsigned long rsv[] = {
		NVME_HMLM_SUSPEND, NVME_HMLM_RESUME, NVME_HMLM_GET_STATE,
		NVME_HMLM_SET_STATE, NVME_HMLM_LOG_START, NVME_HMLM_TRACK_MEM,
		NVME_HMLM_GET_ALLOC_LBAS,
	};
	unsigned char buf[256] = { 0 };
	unsigned int i;
	int fd;

	ASSERT_EQ(0, hmlm_ensure_loaded());
	fd = hmlm_open();
	ASSERT_LE(0, fd);
	set_size(buf, sizeof(buf));
	for (i = 0; i < ARRAY_SIZE(rsv); i++)
		EXPECT_ERRNO(ENOTTY, ioctl(fd, rsv[i], buf));
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
