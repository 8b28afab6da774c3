// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-hmlm module lifetime: load, /dev/nvme-hmlm, unload refused while a
 * session is open, unload when idle, reload. The tests run in order and
 * leave the module loaded.
 */
#include "kselftest_harness.h"
#include "hmlm_test.h"

static int read_refcnt(void)
{
	return (int)bench_sysfs_long(HMLM_SYSMOD "/refcnt", -1);
}

TEST(load)
{
	int fd, ret;

	if (!getenv("HMLM_MODULE"))
		SKIP(return, "HMLM_MODULE not set: not on the bench");
	/* A previous run may have left it loaded: start from unloaded. */
	if (hmlm_module_loaded())
		ASSERT_EQ(0, hmlm_delete_module());
	ASSERT_FALSE(hmlm_module_loaded());

	ret = hmlm_finit_module();
	ASSERT_EQ(0, ret) TH_LOG("finit_module: %s", strerror(-ret));
	ASSERT_TRUE(hmlm_module_loaded());
	ASSERT_TRUE(hmlm_wait_dev(true)) TH_LOG(HMLM_DEV " did not appear");

	fd = hmlm_open();
	ASSERT_LE(0, fd) TH_LOG("open " HMLM_DEV ": %s", strerror(errno));
	close(fd);
}

TEST(load_twice_eexist)
{
	if (!getenv("HMLM_MODULE"))
		SKIP(return, "HMLM_MODULE not set: not on the bench");
	ASSERT_EQ(0, hmlm_ensure_loaded());
	EXPECT_EQ(-EEXIST, hmlm_finit_module());
}

TEST(holds_nvme_core)
{
	ASSERT_EQ(0, hmlm_ensure_loaded());
	/* nvme-core cannot go away under us: we are its holder. */
	EXPECT_EQ(0, access("/sys/module/nvme_core/holders/" HMLM_MODNAME,
			    F_OK));
}

TEST(unload_refused_while_open)
{
	int fd, before, ret;

	ASSERT_EQ(0, hmlm_ensure_loaded());
	before = read_refcnt();
	ASSERT_LE(0, before);

	fd = hmlm_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(before + 1, read_refcnt());

	/* delete_module(O_NONBLOCK) of a module in use: EWOULDBLOCK. */
	ret = hmlm_delete_module();
	EXPECT_EQ(-EAGAIN, ret) TH_LOG("delete_module: %s", strerror(-ret));
	EXPECT_TRUE(hmlm_module_loaded());

	/* The session still works: an unknown ioctl reaches our handler. */
	EXPECT_ERRNO(ENOTTY, ioctl(fd, _IO(NVME_HMLM_TYPE, 0xff), NULL));

	close(fd);
	EXPECT_EQ(before, read_refcnt());
}

TEST(unload_refused_while_fd_inherited)
{
	int fd, sync[2], ret;
	pid_t pid;
	char c;

	ASSERT_EQ(0, hmlm_ensure_loaded());
	fd = open(HMLM_DEV, O_RDWR);	/* no O_CLOEXEC: the child keeps it */
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(sync));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(sync[1]);
		/* Hold the session until the parent says so. */
		if (read(sync[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(sync[0]);
	close(fd);

	ret = hmlm_delete_module();
	EXPECT_EQ(-EAGAIN, ret) TH_LOG("delete_module: %s", strerror(-ret));

	close(sync[1]);
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
}

TEST(unload_when_idle)
{
	int ret;

	ASSERT_EQ(0, hmlm_ensure_loaded());
	ret = hmlm_delete_module();
	ASSERT_EQ(0, ret) TH_LOG("delete_module: %s", strerror(-ret));
	EXPECT_FALSE(hmlm_module_loaded());
	EXPECT_TRUE(hmlm_wait_dev(false)) TH_LOG(HMLM_DEV " still exists");
	EXPECT_EQ(-1, hmlm_open());
}

TEST(reload)
{
	struct nvme_hmlm_get_caps c;
	struct hmlm_bench b;
	int fd, nfd, ret;

	if (!getenv("HMLM_MODULE"))
		SKIP(return, "HMLM_MODULE not set: not on the bench");
	ret = hmlm_ensure_loaded();
	ASSERT_EQ(0, ret) TH_LOG("reload: %s", strerror(-ret));
	fd = hmlm_open();
	ASSERT_LE(0, fd);

	/* The reloaded module answers for real. */
	hmlm_bench_get(&b);
	if (b.ok) {
		nfd = open(b.src_pf, O_RDWR);
		ASSERT_LE(0, nfd);
		hmlm_caps_init(&c, nfd, NULL, 0);
		ret = ioctl(fd, NVME_HMLM_GET_CAPS, &c);
		EXPECT_TRUE(ret == 0 || (ret == -1 && errno == EMSGSIZE));
		EXPECT_EQ(hmlm_sysfs_cntlid(b.src_pf), c.out_cntlid);
		close(nfd);
	}
	close(fd);
}

TEST_HARNESS_MAIN
