// SPDX-License-Identifier: GPL-2.0
/*
 * Finding 6: a fabrics controller is never an MMC. Only nvme-pci tells
 * the module when a controller is disabled, and a fabrics controller's
 * device is not one a migration queue could be DMA memory of, so BIND
 * refuses it with EOPNOTSUPP before sending it anything. The fabrics
 * controller is a loop-back one: nvmet and nvme-loop (loaded from
 * /hmlm/modules/loop-order), a subsystem configured through configfs.
 */
#include <sys/mount.h>

#include "kselftest_harness.h"
#include "hmlm_test.h"

#define CFG	"/sys/kernel/config/nvmet"
#define NQN	"nqn.2026-12.io.nvme-hmlm:loop"

/* Load the modules of /hmlm/modules/loop-order; 0 or -errno. */
static int load_loop_modules(void)
{
	char line[128], path[192];
	FILE *f = fopen("/hmlm/modules/loop-order", "r");
	int ret = 0, fd;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		snprintf(path, sizeof(path), "/hmlm/modules/%s", line);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			ret = -errno;
			break;
		}
		if (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST)
			ret = -errno;
		close(fd);
		if (ret)
			break;
	}
	fclose(f);
	return ret;
}

static int cfg_write(const char *path, const char *val)
{
	return bench_sysfs_write(path, val);
}

FIXTURE(loop) {
	char dev[32];
	int instance;
};

FIXTURE_SETUP(loop)
{
	char buf[128];
	ssize_t n;
	int fd, r;

	self->instance = -1;
	r = load_loop_modules();
	ASSERT_EQ(0, r) TH_LOG("loading nvmet/nvme-loop: %s", strerror(-r));
	ASSERT_EQ(0, hmlm_ensure_loaded());
	if (access(CFG, F_OK))
		ASSERT_EQ(0, mount("none", "/sys/kernel/config", "configfs", 0, NULL));
	ASSERT_EQ(0, mkdir(CFG "/subsystems/" NQN, 0755));
	ASSERT_EQ(0, cfg_write(CFG "/subsystems/" NQN "/attr_allow_any_host", "1"));
	ASSERT_EQ(0, mkdir(CFG "/ports/1", 0755));
	ASSERT_EQ(0, cfg_write(CFG "/ports/1/addr_trtype", "loop"));
	ASSERT_EQ(0, symlink(CFG "/subsystems/" NQN,
			     CFG "/ports/1/subsystems/" NQN));

	fd = open("/dev/nvme-fabrics", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	snprintf(buf, sizeof(buf), "transport=loop,nqn=%s", NQN);
	ASSERT_EQ((ssize_t)strlen(buf), write(fd, buf, strlen(buf)));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_LT(0, n);
	buf[n] = 0;
	ASSERT_EQ(1, sscanf(buf, "instance=%d", &self->instance)) TH_LOG("%s", buf);
	snprintf(self->dev, sizeof(self->dev), "/dev/nvme%d", self->instance);
	for (r = 0; r < 100 && access(self->dev, F_OK); r++)
		usleep(20000);
}

FIXTURE_TEARDOWN(loop)
{
	char path[96];

	if (self->instance >= 0) {
		snprintf(path, sizeof(path), "/sys/class/nvme/nvme%d/delete_controller",
			 self->instance);
		cfg_write(path, "1");
	}
	unlink(CFG "/ports/1/subsystems/" NQN);
	rmdir(CFG "/ports/1");
	rmdir(CFG "/subsystems/" NQN);
}

TEST_F(loop, fabrics_mmc_refused_eopnotsupp)
{
	struct nvme_hmlm_bind b;
	char tr[32] = "";
	char path[96];
	int hfd, nfd;

	snprintf(path, sizeof(path), "/sys/class/nvme/nvme%d/transport",
		 self->instance);
	ASSERT_EQ(0, bench_sysfs_read(path, tr, sizeof(tr)));
	ASSERT_STREQ("loop", tr);
	nfd = open(self->dev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, nfd) TH_LOG("%s: %s", self->dev, strerror(errno));
	hfd = hmlm_open();
	ASSERT_LE(0, hfd);
	hmlm_bind_init(&b, nfd, 1);
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(hfd, NVME_HMLM_BIND, &b));
	close(hfd);
	close(nfd);
}

TEST_HARNESS_MAIN
