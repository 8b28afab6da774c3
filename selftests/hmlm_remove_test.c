// SPDX-License-Identifier: GPL-2.0
/*
 * Removal of the MMC's PCI function under live sessions, after the VF did
 * I/O with logging on and with a reader in read(): later calls fail with
 * ENODEV, the reader is woken with ENODEV, the migration queue's DMA
 * memory is freed before the device goes (dma_bytes is 0 with the log fd
 * still open; with vm.sh --iommu a DMA into freed memory, or a free on the
 * removed device, would fault), closing the log fd afterwards is clean,
 * the module can still be unloaded once the files are closed, and a rescan
 * brings a controller that sessions bind to again. (The rescan leaves the
 * PF's VFs disabled, so the migratable controllers are not usable until
 * they are created and brought online again.)
 *
 * Destructive for the target subsystem's VFs (removing the PF leaves them
 * orphaned until a rescan): run it last.
 */
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "udrv.h"
#include "hmlm_test.h"

/* Wait up to @ms for @path to exist (or not, with !@present). */
static bool wait_path(const char *path, bool present, int ms)
{
	for (; ms > 0; ms -= 50) {
		if ((access(path, F_OK) == 0) == present)
			return true;
		usleep(50 * 1000);
	}
	return false;
}

/* The /dev/nvmeN of the controller on PCI function @pci, or -1. */
static int ctrl_of_pci(const char *pci, char *out, size_t len)
{
	char dir[128];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/nvme", pci);
	d = opendir(dir);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (!strncmp(de->d_name, "nvme", 4) &&
		    strlen(de->d_name) + sizeof("/dev/") <= len) {
			strcpy(out, "/dev/");
			strcat(out, de->d_name);
			closedir(d);
			return 0;
		}
	}
	closedir(d);
	return -1;
}

TEST(remove_of_the_mmc_gives_enodev)
{
	struct nvme_hmlm_get_state g = { .size = sizeof(g),
					 .flags = NVME_HMLM_STATE_SIZE, .csvi = 1 };
	const char *pci = getenv("HMLM_DST_PCI");
	struct nvme_hmlm_sec_ctrl sec[HMLM_MAX_VFS];
	struct nvme_hmlm_get_caps caps;
	struct nvme_hmlm_log_rec rec;
	struct hmlm_bench b;
	char path[128], dev[300];
	struct pollfd p;
	int s, l, other, s2, nfd = -1, i, rfd, st;
	pid_t io, reader;
	char bdf[32];

	hmlm_bench_get(&b);
	if (!b.ok || !b.hmlm || b.n_dst < 2 || b.n_src < 2 || !pci)
		SKIP(return, "needs the bench with hmlm=on");
	/*
	 * VF2 of each subsystem: the end-to-end test may leave VF1 of either
	 * side suspended, as a hypervisor would before tearing it down.
	 */
	ASSERT_NE(NULL, bench_env_word("HMLM_DST_VFS", 1, bdf, sizeof(bdf)));
	s = hmlm_session(b.dst_pf, b.dst_ids[1], NULL);
	ASSERT_LE(0, s);
	l = hmlm_log_start(s, 4096, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(sizeof(rec), read(l, &rec, sizeof(rec)));
	EXPECT_EQ(NVME_HMLM_MARK_FIRST, rec.marker);
	EXPECT_LT(0, hmlm_dma_bytes());
	other = hmlm_session(b.src_pf, b.src_ids[1], NULL);
	ASSERT_LE(0, other);
	/* The VM writes; a reader consumes the records as they come. */
	io = hmlm_io_child(bdf);
	ASSERT_LT(0, io);
	reader = hmlm_reader_child(l, &rfd);
	ASSERT_LT(0, reader);
	usleep(200 * 1000);
	EXPECT_EQ(-ETIMEDOUT, hmlm_reader_result(rfd, 0));
	/*
	 * The VM stops before its VF is removed with the PF: a DMA of the VF
	 * in flight then would fault in the IOMMU (vm.sh --iommu fails a run
	 * on any DMAR fault), and it is not the module's memory. The reader
	 * stays blocked in read().
	 */
	kill(io, SIGKILL);
	EXPECT_EQ(io, waitpid(io, &st, 0));
	usleep(100 * 1000);
	EXPECT_EQ(-ETIMEDOUT, hmlm_reader_result(rfd, 0));

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", pci);
	ASSERT_EQ(0, bench_sysfs_write(path, "1"));
	ASSERT_TRUE(wait_path(b.dst_pf, false, 10000));

	/* The reader is woken with ENODEV; the memory left with the device. */
	EXPECT_EQ(ENODEV, hmlm_reader_result(rfd, 10000));
	close(rfd);
	EXPECT_EQ(reader, waitpid(reader, &st, 0));
	EXPECT_EQ(0, hmlm_dma_bytes());

	EXPECT_EQ(-ENODEV, hmlm_ioc(s, NVME_HMLM_GET_STATE, &g));
	EXPECT_EQ(-ENODEV, hmlm_suspend(s, 0));
	EXPECT_EQ(-ENODEV, hmlm_resume(s));
	EXPECT_EQ(-ENODEV, hmlm_log_stop(l));
	EXPECT_ERRNO(ENODEV, read(l, &rec, sizeof(rec)));
	p.fd = l;
	p.events = POLLIN;
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_TRUE(p.revents & (POLLERR | POLLHUP));

	/* The other subsystem's session does not notice. */
	EXPECT_EQ(0, hmlm_ioc(other, NVME_HMLM_GET_STATE, &g));
	EXPECT_LT(0, g.out_len);
	close(other);

	/* Closing the files of a removed controller is clean... */
	close(l);
	close(s);
	/* ...and leaves nothing that holds the module. */
	EXPECT_EQ(0, hmlm_delete_module());
	EXPECT_TRUE(hmlm_wait_dev(false));

	/* A rescan brings the PF back; sessions work on it again. */
	ASSERT_EQ(0, bench_sysfs_write("/sys/bus/pci/rescan", "1"));
	for (i = 0; i < 200 && ctrl_of_pci(pci, dev, sizeof(dev)); i++)
		usleep(50 * 1000);
	ASSERT_EQ(0, ctrl_of_pci(pci, dev, sizeof(dev)));
	ASSERT_TRUE(wait_path(dev, true, 10000));
	s2 = hmlm_session(dev, b.dst_ids[1], &nfd);
	ASSERT_LE(0, s2) TH_LOG("bind on the rescanned %s: %d", dev, s2);
	hmlm_caps_init(&caps, nfd, sec, HMLM_MAX_VFS);
	EXPECT_EQ(0, ioctl(s2, NVME_HMLM_GET_CAPS, &caps));
	EXPECT_TRUE(caps.out_caps & NVME_HMLM_CAPS_HMLMS);
	EXPECT_EQ(b.num_vfs, (int)caps.sec_num);
	close(s2);
	close(nfd);
}

TEST_HARNESS_MAIN
