// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-hmlm-vfio-pci: DMA logging (VFIO_DEVICE_FEATURE_DMA_LOGGING_*) with
 * the controller's own tracking of the host memory it writes: Track Send,
 * Track Memory Changes (SEL 1h) and Track Receive, sent by nvme-hmlm.
 *
 * Track Receive removes what it reports from the device, while VFIO asks
 * for one IOVA window at a time; ranges reported outside the window asked
 * for are kept in @nvdev->pend until a later call asks for them.
 */
#include <linux/bits.h>
#include <linux/interval_tree.h>
#include <linux/iova_bitmap.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "../hmlm_kapi.h"
#include "nvme_vfio.h"

/* Ranges given to the device at most (VFIO combines the rest). */
#define NVMEVF_LOG_MAX_RANGES	16
/* Ranges per Track Receive. */
#define NVMEVF_RECV_RANGES	256
/* Reported ranges kept at most; more means the log overflowed. */
#define NVMEVF_PEND_MAX		BIT(16)

/**
 * nvmevf_of() - our device of a VFIO device
 * @vdev: The VFIO device.
 *
 * Context: Any context.
 * Return: the device.
 */
static struct nvmevf_device *nvmevf_of(struct vfio_device *vdev)
{
	return container_of(vdev, struct nvmevf_device, core.vdev);
}

/**
 * nvmevf_track() - one Track Send / Track Receive through nvme-hmlm
 * @nvdev: The device; its session is open.
 * @arg: The argument, op set.
 * @buf: The ranges (START: in, RECV: out), or NULL.
 * @len: Bytes at @buf.
 *
 * Context: Process context; @nvdev->state_mutex held; sleeps.
 * Return: 0, -EIO for an NVMe error status, or a negative errno.
 */
static int nvmevf_track(struct nvmevf_device *nvdev,
			struct nvme_hmlm_track_mem *arg, void *buf, size_t len)
{
	struct iov_iter it;
	struct kvec kv = { .iov_base = buf, .iov_len = len };
	int ret;

	arg->size = sizeof(*arg);
	if (buf)
		iov_iter_kvec(&it, arg->op == NVME_HMLM_TRACK_RECV ? ITER_DEST :
			      ITER_SOURCE, &kv, 1, len);
	ret = nvme_hmlm_track_mem(nvdev->session, arg, buf ? &it : NULL);
	if (ret > 0) {
		pci_err(nvdev->core.pdev, "memory tracking op %u failed, NVMe status %#x\n",
			arg->op, ret);
		ret = -EIO;
	}
	return ret;
}

/**
 * nvmevf_log_start() - vfio_log_ops.log_start: Track Send, start
 * @vdev: The VFIO device.
 * @ranges: The IOVA ranges to track.
 * @nnodes: How many.
 * @page_size: In: the page size asked for; out: the one used (a power of
 *	two, at least 4 KiB: the controller's granularity).
 *
 * Context: Process context; sleeps.
 * Return: 0 or a negative errno.
 */
static int nvmevf_log_start(struct vfio_device *vdev, struct rb_root_cached *ranges,
			    u32 nnodes, u64 *page_size)
{
	struct nvmevf_device *nvdev = nvmevf_of(vdev);
	struct nvme_hmlm_track_mem arg = { .op = NVME_HMLM_TRACK_START };
	struct nvme_hmlm_mem_range *r;
	struct interval_tree_node *node;
	u64 pgsz, start, end;
	u32 n = 0;
	int ret;

	pgsz = max_t(u64, *page_size, SZ_4K);
	if (!is_power_of_2(pgsz))
		return -EINVAL;
	if (nnodes > NVMEVF_LOG_MAX_RANGES) {
		vfio_combine_iova_ranges(ranges, nnodes, NVMEVF_LOG_MAX_RANGES);
		nnodes = NVMEVF_LOG_MAX_RANGES;
	}
	r = kcalloc(nnodes, sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	for (node = interval_tree_iter_first(ranges, 0, ULONG_MAX); node && n < nnodes;
	     node = interval_tree_iter_next(node, 0, ULONG_MAX), n++) {
		start = ALIGN_DOWN(node->start, pgsz);
		end = ALIGN((u64)node->last + 1, pgsz);
		if ((end - start) / pgsz > U32_MAX) {
			ret = -E2BIG;
			goto out_free;
		}
		r[n].addr = start;
		r[n].len = (end - start) / pgsz;
	}
	arg.gran = ilog2(pgsz) - ilog2(SZ_4K);
	arg.num = n;

	mutex_lock(&nvdev->state_mutex);
	if (!nvdev->session) {
		ret = -ENODEV;
		goto out_unlock;
	}
	if (nvdev->track_stop) {
		struct nvme_hmlm_track_mem stop = { .op = NVME_HMLM_TRACK_STOP };

		/* The last logging's stop, owed since the controller was suspended. */
		ret = nvmevf_track(nvdev, &stop, NULL, 0);
		if (ret)
			goto out_unlock;
		nvdev->track_stop = false;
	}
	ret = nvmevf_track(nvdev, &arg, r, n * sizeof(*r));
	if (!ret) {
		nvdev->log_pgsz = pgsz;
		nvdev->npend = 0;
		*page_size = pgsz;
	}
out_unlock:
	mutex_unlock(&nvdev->state_mutex);
out_free:
	kfree(r);
	if (ret)
		pci_err(nvdev->core.pdev, "DMA logging start failed: %d\n", ret);
	return ret;
}

/**
 * nvmevf_log_stop() - vfio_log_ops.log_stop: Track Send, stop
 * @vdev: The VFIO device.
 *
 * After a migration QEMU stops logging on the source with its controller
 * still suspended (STOP), and a suspended controller refuses Track Send
 * (39h). The stop is then owed (@nvdev->track_stop): sent before the next
 * start, or by the session's end after the VF's reset at close. Without
 * that the device would go on tracking the controller, and the next start
 * on it would fail (1Fh: already tracked).
 *
 * Context: Process context; sleeps.
 * Return: 0 or a negative errno.
 */
static int nvmevf_log_stop(struct vfio_device *vdev)
{
	struct nvmevf_device *nvdev = nvmevf_of(vdev);
	struct nvme_hmlm_track_mem arg = { .op = NVME_HMLM_TRACK_STOP };
	int ret = 0;

	mutex_lock(&nvdev->state_mutex);
	if (nvdev->session && nvdev->suspended) {
		nvdev->track_stop = true;
	} else if (nvdev->session) {
		ret = nvmevf_track(nvdev, &arg, NULL, 0);
		nvdev->track_stop = ret != 0;
	}
	kvfree(nvdev->pend);
	nvdev->pend = NULL;
	nvdev->npend = 0;
	nvdev->cpend = 0;
	nvdev->log_pgsz = 0;
	mutex_unlock(&nvdev->state_mutex);
	return ret;
}

/**
 * nvmevf_pend_add() - keep a reported range [@start, @end)
 * @nvdev: The device.
 * @start: First byte.
 * @end: Byte after the last.
 *
 * Context: Process context; @nvdev->state_mutex held.
 * Return: 0, -ENOSPC past NVMEVF_PEND_MAX ranges, or -ENOMEM.
 */
static int nvmevf_pend_add(struct nvmevf_device *nvdev, u64 start, u64 end)
{
	struct nvmevf_pend *p;

	if (nvdev->npend == nvdev->cpend) {
		u32 c = nvdev->cpend ? 2 * nvdev->cpend : 64;

		if (c > NVMEVF_PEND_MAX)
			return -ENOSPC;
		p = kvrealloc(nvdev->pend, c * sizeof(*p), GFP_KERNEL);
		if (!p)
			return -ENOMEM;
		nvdev->pend = p;
		nvdev->cpend = c;
	}
	nvdev->pend[nvdev->npend].start = start;
	nvdev->pend[nvdev->npend].end = end;
	nvdev->npend++;
	return 0;
}

/**
 * nvmevf_log_read_and_clear() - vfio_log_ops.log_read_and_clear
 * @vdev: The VFIO device.
 * @iova: Start of the window asked for.
 * @length: Its length.
 * @dirty: Where the pages written by the controller are set.
 *
 * Receives everything the controller has to report (Track Receive until
 * no "more to report"), keeps it, then reports and drops what lies in the
 * window.
 *
 * Context: Process context; sleeps.
 * Return: 0 or a negative errno (the log is then not to be trusted).
 */
static int nvmevf_log_read_and_clear(struct vfio_device *vdev, unsigned long iova,
				     unsigned long length, struct iova_bitmap *dirty)
{
	struct nvmevf_device *nvdev = nvmevf_of(vdev);
	struct nvme_hmlm_mem_range *r;
	u64 wend = (u64)iova + length, s, e;
	struct nvmevf_pend *np;
	u32 i, k;
	int ret = 0;

	r = kcalloc(NVMEVF_RECV_RANGES, sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	mutex_lock(&nvdev->state_mutex);
	if (!nvdev->session || !nvdev->log_pgsz) {
		ret = -EINVAL;
		goto out;
	}
	for (;;) {
		struct nvme_hmlm_track_mem arg = {
			.op = NVME_HMLM_TRACK_RECV,
			.num = NVMEVF_RECV_RANGES,
		};
		u64 pg;

		ret = nvmevf_track(nvdev, &arg, r, NVMEVF_RECV_RANGES * sizeof(*r));
		if (ret)
			goto out;
		pg = (u64)SZ_4K << arg.out_gran;
		for (i = 0; i < arg.num && !ret; i++)
			ret = nvmevf_pend_add(nvdev, r[i].addr, r[i].addr + r[i].len * pg);
		if (ret)
			goto out;
		if (!(arg.out_attrs & NVME_HMLM_TRACK_MTR) || !arg.num)
			break;
	}
	if (!nvdev->npend)
		goto out;
	/* Each kept range may split in two: before and after the window. */
	np = kvcalloc(2 * nvdev->npend, sizeof(*np), GFP_KERNEL);
	if (!np) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0, k = 0; i < nvdev->npend; i++) {
		struct nvmevf_pend p = nvdev->pend[i];

		s = max_t(u64, p.start, iova);
		e = min_t(u64, p.end, wend);
		if (s >= e) {
			np[k++] = p;
			continue;
		}
		iova_bitmap_set(dirty, s, e - s);
		nvdev->dirty_bytes += e - s;
		if (p.start < s)
			np[k++] = (struct nvmevf_pend){ .start = p.start, .end = s };
		if (p.end > e)
			np[k++] = (struct nvmevf_pend){ .start = e, .end = p.end };
	}
	kvfree(nvdev->pend);
	nvdev->pend = np;
	nvdev->cpend = 2 * nvdev->npend;
	nvdev->npend = k;
out:
	mutex_unlock(&nvdev->state_mutex);
	kfree(r);
	if (ret)
		dev_err_ratelimited(&nvdev->core.pdev->dev, "DMA log read failed: %d\n", ret);
	return ret;
}

const struct vfio_log_ops nvmevf_log_ops = {
	.log_start = nvmevf_log_start,
	.log_stop = nvmevf_log_stop,
	.log_read_and_clear = nvmevf_log_read_and_clear,
};
