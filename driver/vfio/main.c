// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-hmlm-vfio-pci: VFIO PCI variant driver for NVMe SR-IOV VFs with live
 * migration (VFIO migration v2). The VF's controller is a Migratable
 * Controller of its PF (the Migration Management Controller); every NVMe
 * command of the migration goes through nvme-hmlm's in-kernel API on the
 * PF. Bound with driver_override. Documentation/vfio.rst has the state
 * machine arc by arc and the stream format.
 */
#include <linux/device.h>
#include <linux/file.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/vfio_pci_core.h>

#include "nvme.h"		/* nvme-core's, from NVME_SRC */
#include "../hmlm_kapi.h"
#include "nvme_vfio.h"

#define NVMEVF_SUSPEND_TIMEOUT_MS	30000
#define NVME_SC_CTRL_NOT_SUSPENDED	0x13a	/* SCT 1h, SC 3Ah */

/**
 * nvmevf_from_vdev() - our device of a VFIO device
 * @vdev: The VFIO device.
 *
 * Context: Any context.
 * Return: the device.
 */
static struct nvmevf_device *nvmevf_from_vdev(struct vfio_device *vdev)
{
	return container_of(vdev, struct nvmevf_device, core.vdev);
}

/**
 * nvmevf_from_pdev() - our device of a bound VF
 * @pdev: The VF, bound to this driver.
 *
 * Context: Any context.
 * Return: the device.
 */
static struct nvmevf_device *nvmevf_from_pdev(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);

	return container_of(core, struct nvmevf_device, core);
}

/**
 * nvmevf_disable_fds() - end the data transfer sessions
 * @nvdev: The device.
 *
 * Context: Process context; @nvdev->state_mutex held.
 */
static void nvmevf_disable_fds(struct nvmevf_device *nvdev)
{
	if (nvdev->saving) {
		nvmevf_migf_disable(nvdev->saving);
		fput(nvdev->saving->filp);
		nvdev->saving = NULL;
	}
	if (nvdev->resuming) {
		nvmevf_migf_disable(nvdev->resuming);
		fput(nvdev->resuming->filp);
		nvdev->resuming = NULL;
	}
}

/**
 * nvmevf_reset_state() - the device was reset: RUNNING, no transfer
 * @nvdev: The device.
 *
 * A Controller Level Reset (FLR) of the VF clears its suspended state on
 * the device, so nothing is sent to the controller.
 *
 * Context: Process context; @nvdev->state_mutex held.
 */
static void nvmevf_reset_state(struct nvmevf_device *nvdev)
{
	nvdev->mig_state = VFIO_DEVICE_STATE_RUNNING;
	nvdev->suspended = false;
	nvmevf_disable_fds(nvdev);
}

/**
 * nvmevf_state_mutex_unlock() - unlock, applying a reset that came meanwhile
 * @nvdev: The device.
 *
 * The reset_done handler may not wait for @state_mutex (its holder may be
 * waiting for the device); it records the reset, and the holder applies
 * it here. The mlx5 driver's pattern.
 *
 * Context: Process context; @nvdev->state_mutex held, released on return.
 */
static void nvmevf_state_mutex_unlock(struct nvmevf_device *nvdev)
{
again:
	spin_lock(&nvdev->reset_lock);
	if (nvdev->deferred_reset) {
		nvdev->deferred_reset = false;
		spin_unlock(&nvdev->reset_lock);
		nvmevf_reset_state(nvdev);
		goto again;
	}
	mutex_unlock(&nvdev->state_mutex);
	spin_unlock(&nvdev->reset_lock);
}

/**
 * nvmevf_suspend() - Migration Send Suspend of the VF's controller
 * @nvdev: The device; its session is open.
 *
 * With NVME_HMLM_SUSPEND_KEEP: closing the session must not resume a
 * controller whose state went to another VF; a reset of the VF clears it.
 *
 * Context: Process context; @nvdev->state_mutex held; sleeps.
 * Return: 0 or a negative errno (-EIO for an NVMe error status).
 */
static int nvmevf_suspend(struct nvmevf_device *nvdev)
{
	struct nvme_hmlm_suspend arg = {
		.size = sizeof(arg),
		.flags = NVME_HMLM_SUSPEND_KEEP,
		.timeout_ms = NVMEVF_SUSPEND_TIMEOUT_MS,
	};
	int ret;

	ret = nvme_hmlm_suspend(nvdev->session, &arg);
	if (ret > 0) {
		pci_err(nvdev->core.pdev, "Suspend failed, NVMe status %#x\n", ret);
		return -EIO;
	}
	if (ret) {
		pci_err(nvdev->core.pdev, "Suspend failed: %d\n", ret);
		return ret;
	}
	nvdev->suspended = true;
	return 0;
}

/**
 * nvmevf_resume() - Migration Send Resume of the VF's controller
 * @nvdev: The device; its session is open.
 *
 * Controller Not Suspended is success: a reset of the VF (which clears the
 * suspended state) may have come between.
 *
 * Context: Process context; @nvdev->state_mutex held; sleeps.
 * Return: 0 or a negative errno (-EIO for an NVMe error status).
 */
static int nvmevf_resume(struct nvmevf_device *nvdev)
{
	struct nvme_hmlm_resume arg = { .size = sizeof(arg) };
	int ret;

	ret = nvme_hmlm_resume(nvdev->session, &arg);
	if (ret > 0 && (ret & 0x7ff) == NVME_SC_CTRL_NOT_SUSPENDED)
		ret = 0;
	if (ret > 0) {
		pci_err(nvdev->core.pdev, "Resume failed, NVMe status %#x\n", ret);
		return -EIO;
	}
	if (ret) {
		pci_err(nvdev->core.pdev, "Resume failed: %d\n", ret);
		return ret;
	}
	nvdev->suspended = false;
	return 0;
}

/**
 * nvmevf_step() - carry out one arc of the FSM (vfio_mig_get_next_state())
 * @nvdev: The device.
 * @new: The state next to the current one.
 *
 * Context: Process context; @nvdev->state_mutex held; sleeps.
 * Return: a data_fd (arcs into PRE_COPY, PRE_COPY_P2P, STOP_COPY from
 *	STOP, RESUMING), NULL, or an ERR_PTR().
 */
static struct file *nvmevf_step(struct nvmevf_device *nvdev, u32 new)
{
	u32 cur = nvdev->mig_state;
	struct nvmevf_migf *migf;
	int ret;

	/* The P2P states stop all DMA: the controller is suspended. */
	if ((cur == VFIO_DEVICE_STATE_RUNNING && new == VFIO_DEVICE_STATE_RUNNING_P2P) ||
	    (cur == VFIO_DEVICE_STATE_PRE_COPY && new == VFIO_DEVICE_STATE_PRE_COPY_P2P)) {
		ret = nvmevf_suspend(nvdev);
		return ret ? ERR_PTR(ret) : NULL;
	}

	if ((cur == VFIO_DEVICE_STATE_RUNNING_P2P && new == VFIO_DEVICE_STATE_RUNNING) ||
	    (cur == VFIO_DEVICE_STATE_PRE_COPY_P2P && new == VFIO_DEVICE_STATE_PRE_COPY)) {
		ret = nvmevf_resume(nvdev);
		return ret ? ERR_PTR(ret) : NULL;
	}

	/* Suspended already: STOP is RUNNING_P2P without MMIO use by the user. */
	if ((cur == VFIO_DEVICE_STATE_RUNNING_P2P && new == VFIO_DEVICE_STATE_STOP) ||
	    (cur == VFIO_DEVICE_STATE_STOP && new == VFIO_DEVICE_STATE_RUNNING_P2P))
		return NULL;

	if ((cur == VFIO_DEVICE_STATE_RUNNING && new == VFIO_DEVICE_STATE_PRE_COPY) ||
	    (cur == VFIO_DEVICE_STATE_RUNNING_P2P && new == VFIO_DEVICE_STATE_PRE_COPY_P2P)) {
		migf = nvmevf_save_open(nvdev);
		if (IS_ERR(migf))
			return ERR_CAST(migf);
		get_file(migf->filp);
		nvdev->saving = migf;
		return migf->filp;
	}

	if (cur == VFIO_DEVICE_STATE_PRE_COPY_P2P && new == VFIO_DEVICE_STATE_STOP_COPY) {
		if (!nvdev->saving)
			return ERR_PTR(-EINVAL);
		ret = nvmevf_save_state(nvdev, nvdev->saving);
		return ret ? ERR_PTR(ret) : NULL;
	}

	if (cur == VFIO_DEVICE_STATE_STOP && new == VFIO_DEVICE_STATE_STOP_COPY) {
		migf = nvmevf_save_open(nvdev);
		if (IS_ERR(migf))
			return ERR_CAST(migf);
		ret = nvmevf_save_state(nvdev, migf);
		if (ret) {
			fput(migf->filp);
			return ERR_PTR(ret);
		}
		get_file(migf->filp);
		nvdev->saving = migf;
		return migf->filp;
	}

	if ((cur == VFIO_DEVICE_STATE_STOP_COPY && new == VFIO_DEVICE_STATE_STOP) ||
	    (cur == VFIO_DEVICE_STATE_PRE_COPY && new == VFIO_DEVICE_STATE_RUNNING) ||
	    (cur == VFIO_DEVICE_STATE_PRE_COPY_P2P && new == VFIO_DEVICE_STATE_RUNNING_P2P)) {
		nvmevf_disable_fds(nvdev);
		return NULL;
	}

	if (cur == VFIO_DEVICE_STATE_STOP && new == VFIO_DEVICE_STATE_RESUMING) {
		migf = nvmevf_resume_open(nvdev);
		if (IS_ERR(migf))
			return ERR_CAST(migf);
		get_file(migf->filp);
		nvdev->resuming = migf;
		return migf->filp;
	}

	if (cur == VFIO_DEVICE_STATE_RESUMING && new == VFIO_DEVICE_STATE_STOP) {
		ret = nvmevf_resume_load(nvdev, nvdev->resuming);
		if (ret)
			return ERR_PTR(ret);
		nvmevf_disable_fds(nvdev);
		return NULL;
	}

	/* vfio_mig_get_next_state() uses no other arc. */
	WARN_ON(true);
	return ERR_PTR(-EINVAL);
}

/**
 * nvmevf_set_state() - vfio_migration_ops.migration_set_state
 * @vdev: The VFIO device.
 * @new_state: The state asked for.
 *
 * Walks the arcs to @new_state. A failed arc leaves the device in the
 * state before it (every arc here either completes or changes nothing on
 * the device), except that the device is marked ERROR when the session to
 * its PF is dead: only a reset of the VF helps then.
 *
 * Context: Process context; sleeps.
 * Return: the data_fd of the last arc, NULL, or an ERR_PTR().
 */
static struct file *nvmevf_set_state(struct vfio_device *vdev,
				     enum vfio_device_mig_state new_state)
{
	struct nvmevf_device *nvdev = nvmevf_from_vdev(vdev);
	enum vfio_device_mig_state next;
	struct file *res = NULL;
	int ret;

	mutex_lock(&nvdev->state_mutex);
	if (!nvdev->session) {
		res = ERR_PTR(-ENODEV);
		goto out;
	}
	while (new_state != nvdev->mig_state) {
		ret = vfio_mig_get_next_state(vdev, nvdev->mig_state, new_state, &next);
		if (ret) {
			res = ERR_PTR(ret);
			break;
		}
		res = nvmevf_step(nvdev, next);
		if (IS_ERR(res)) {
			if (nvme_hmlm_dead(nvdev->session))
				nvdev->mig_state = VFIO_DEVICE_STATE_ERROR;
			break;
		}
		nvdev->mig_state = next;
		if (WARN_ON(res && new_state != nvdev->mig_state)) {
			fput(res);
			res = ERR_PTR(-EINVAL);
			break;
		}
	}
out:
	nvmevf_state_mutex_unlock(nvdev);
	return res;
}

/**
 * nvmevf_get_state() - vfio_migration_ops.migration_get_state
 * @vdev: The VFIO device.
 * @curr_state: Receives the current state.
 *
 * Context: Process context.
 * Return: 0.
 */
static int nvmevf_get_state(struct vfio_device *vdev,
			    enum vfio_device_mig_state *curr_state)
{
	struct nvmevf_device *nvdev = nvmevf_from_vdev(vdev);

	mutex_lock(&nvdev->state_mutex);
	*curr_state = nvdev->mig_state;
	nvmevf_state_mutex_unlock(nvdev);
	return 0;
}

/**
 * nvmevf_get_data_size() - vfio_migration_ops.migration_get_data_size
 * @vdev: The VFIO device.
 * @stop_copy_length: Receives the STOP_COPY data size.
 *
 * Context: Process context; sleeps (asks the controller).
 * Return: 0 or a negative errno.
 */
static int nvmevf_get_data_size(struct vfio_device *vdev,
				unsigned long *stop_copy_length)
{
	struct nvmevf_device *nvdev = nvmevf_from_vdev(vdev);
	int ret = -ENODEV;

	mutex_lock(&nvdev->state_mutex);
	if (nvdev->session)
		ret = nvmevf_state_size(nvdev, stop_copy_length);
	nvmevf_state_mutex_unlock(nvdev);
	return ret;
}

static const struct vfio_migration_ops nvmevf_mig_ops = {
	.migration_set_state = nvmevf_set_state,
	.migration_get_state = nvmevf_get_state,
	.migration_get_data_size = nvmevf_get_data_size,
};

/**
 * nvmevf_open_session() - an nvme-hmlm session on the VF's controller
 * @nvdev: The device; @nvdev->pf is set.
 *
 * The VF's CNTLID is the secondary controller whose VFN is the VF's
 * number + 1 (nvme_hmlm_vf_cntlid(), from the PF's secondary controller
 * list); the VFN of the session's entry is checked once more, as the list
 * may change between the two reads.
 *
 * Context: Process context; @nvdev->state_mutex held; sleeps.
 * Return: 0 or a negative errno.
 */
static int nvmevf_open_session(struct nvmevf_device *nvdev)
{
	struct pci_dev *pdev = nvdev->core.pdev;
	u16 want = pci_iov_vf_id(pdev) + 1, vfn, c;
	struct hmlm_session *s;
	int ret;

	ret = nvme_hmlm_vf_cntlid(nvdev->pf, want, &c);
	if (!ret)
		ret = nvme_hmlm_open(nvdev->pf, c, &vfn, &s);
	if (ret > 0) {
		pci_err(pdev, "nvme-hmlm bind failed, NVMe status %#x\n", ret);
		return -EIO;
	}
	if (!ret && vfn != want) {
		nvme_hmlm_close(s);
		ret = -ENOENT;
	}
	if (ret) {
		pci_err(pdev, "no migration session on VF %u's controller: %d\n", want, ret);
		return ret;
	}
	nvdev->session = s;
	nvdev->cntlid = c;
	return 0;
}

/**
 * nvmevf_open_device() - vfio_device_ops.open_device
 * @vdev: The VFIO device.
 *
 * Context: Process context; sleeps.
 * Return: 0 or a negative errno.
 */
static int nvmevf_open_device(struct vfio_device *vdev)
{
	struct nvmevf_device *nvdev = nvmevf_from_vdev(vdev);
	int ret;

	ret = vfio_pci_core_enable(&nvdev->core);
	if (ret)
		return ret;
	if (nvdev->pf) {
		mutex_lock(&nvdev->state_mutex);
		ret = nvmevf_open_session(nvdev);
		if (!ret)
			nvmevf_reset_state(nvdev);
		nvmevf_state_mutex_unlock(nvdev);
		if (ret)
			goto err_disable;
	}
	vfio_pci_core_finish_enable(&nvdev->core);
	return 0;

err_disable:
	vfio_pci_core_disable(&nvdev->core);
	return ret;
}

/**
 * nvmevf_close_device() - vfio_device_ops.close_device
 * @vdev: The VFIO device.
 *
 * The vfio-pci core disables and resets (FLR) the VF first, then the
 * session is closed. The reset clears a suspend the controller may still
 * be in (a source whose state now runs on another VF: suspended with
 * KEEP, so closing the session does not resume it), so that the session's
 * end can stop memory tracking (Track Send, refused while suspended): else
 * the device would track the controller until the PF is reset.
 *
 * Context: Process context; sleeps.
 */
static void nvmevf_close_device(struct vfio_device *vdev)
{
	struct nvmevf_device *nvdev = nvmevf_from_vdev(vdev);

	mutex_lock(&nvdev->state_mutex);
	nvmevf_disable_fds(nvdev);
	kvfree(nvdev->pend);
	nvdev->pend = NULL;
	nvdev->npend = 0;
	nvdev->cpend = 0;
	nvdev->log_pgsz = 0;
	nvmevf_state_mutex_unlock(nvdev);

	vfio_pci_core_close_device(vdev);

	mutex_lock(&nvdev->state_mutex);
	if (nvdev->session) {
		nvme_hmlm_close(nvdev->session);
		nvdev->session = NULL;
	}
	nvdev->track_stop = false;
	nvmevf_state_mutex_unlock(nvdev);
}

/**
 * nvmevf_init_dev() - vfio_device_ops.init: find the PF's controller
 * @vdev: The VFIO device.
 *
 * A VF whose PF is not bound to nvme-pci is driven as by vfio-pci, without
 * migration.
 *
 * Context: Process context (probe).
 * Return: 0 or a negative errno.
 */
static int nvmevf_init_dev(struct vfio_device *vdev)
{
	struct nvmevf_device *nvdev = nvmevf_from_vdev(vdev);
	struct pci_dev *pdev = to_pci_dev(vdev->dev);
	struct nvme_ctrl *pf;

	mutex_init(&nvdev->state_mutex);
	spin_lock_init(&nvdev->reset_lock);
	pf = pdev->is_virtfn ? nvme_pci_vf_get_pf_ctrl(pdev) : ERR_PTR(-EINVAL);
	if (IS_ERR(pf)) {
		pci_info(pdev, "PF not driven by nvme-pci: no migration\n");
	} else {
		nvdev->pf = pf;
		vdev->migration_flags = VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P |
					VFIO_MIGRATION_PRE_COPY;
		vdev->mig_ops = &nvmevf_mig_ops;
		/*
		 * VFIO's DMA logging reports through an iova_bitmap, which
		 * exists only with CONFIG_IOMMUFD_DRIVER (Debian 12's 6.12
		 * kernel has it off: every report would fail EOPNOTSUPP).
		 */
		if (IS_ENABLED(CONFIG_IOMMUFD_DRIVER))
			vdev->log_ops = &nvmevf_log_ops;
	}
	return vfio_pci_core_init_dev(vdev);
}

/**
 * nvmevf_release_dev() - vfio_device_ops.release
 * @vdev: The VFIO device.
 *
 * Context: Process context.
 */
static void nvmevf_release_dev(struct vfio_device *vdev)
{
	struct nvmevf_device *nvdev = nvmevf_from_vdev(vdev);

	if (nvdev->pf)
		nvme_put_ctrl(nvdev->pf);
	mutex_destroy(&nvdev->state_mutex);
	vfio_pci_core_release_dev(vdev);
}

static const struct vfio_device_ops nvmevf_ops = {
	.name = "nvme-hmlm-vfio-pci",
	.init = nvmevf_init_dev,
	.release = nvmevf_release_dev,
	.open_device = nvmevf_open_device,
	.close_device = nvmevf_close_device,
	.ioctl = vfio_pci_core_ioctl,
	.device_feature = vfio_pci_core_ioctl_feature,
	.read = vfio_pci_core_read,
	.write = vfio_pci_core_write,
	.mmap = vfio_pci_core_mmap,
	.request = vfio_pci_core_request,
	.match = vfio_pci_core_match,
	.bind_iommufd = vfio_iommufd_physical_bind,
	.unbind_iommufd = vfio_iommufd_physical_unbind,
	.attach_ioas = vfio_iommufd_physical_attach_ioas,
	.detach_ioas = vfio_iommufd_physical_detach_ioas,
};

/**
 * nvmevf_probe() - pci_driver.probe
 * @pdev: The VF.
 * @id: The matching table entry.
 *
 * Context: Process context.
 * Return: 0 or a negative errno.
 */
static int nvmevf_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct nvmevf_device *nvdev;
	int ret;

	nvdev = vfio_alloc_device(nvmevf_device, core.vdev, &pdev->dev, &nvmevf_ops);
	if (IS_ERR(nvdev))
		return PTR_ERR(nvdev);
	dev_set_drvdata(&pdev->dev, &nvdev->core);
	ret = vfio_pci_core_register_device(&nvdev->core);
	if (ret)
		goto err_put;
	return 0;

err_put:
	vfio_put_device(&nvdev->core.vdev);
	return ret;
}

/**
 * nvmevf_remove() - pci_driver.remove
 * @pdev: The VF.
 *
 * Context: Process context.
 */
static void nvmevf_remove(struct pci_dev *pdev)
{
	struct nvmevf_device *nvdev = nvmevf_from_pdev(pdev);

	vfio_pci_core_unregister_device(&nvdev->core);
	vfio_put_device(&nvdev->core.vdev);
}

/**
 * nvmevf_reset_done() - pci_error_handlers.reset_done: back to RUNNING
 * @pdev: The VF.
 *
 * Context: Process context; the device lock may be held.
 */
static void nvmevf_reset_done(struct pci_dev *pdev)
{
	struct nvmevf_device *nvdev = nvmevf_from_pdev(pdev);

	if (!nvdev->pf)
		return;
	spin_lock(&nvdev->reset_lock);
	nvdev->deferred_reset = true;
	if (!mutex_trylock(&nvdev->state_mutex)) {
		spin_unlock(&nvdev->reset_lock);
		return;
	}
	spin_unlock(&nvdev->reset_lock);
	nvmevf_state_mutex_unlock(nvdev);
}

static const struct pci_error_handlers nvmevf_err_handlers = {
	.reset_done = nvmevf_reset_done,
	.error_detected = vfio_pci_core_aer_err_detected,
};

/* Any NVMe function; binding is by driver_override only. */
static const struct pci_device_id nvmevf_table[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_ANY_ID, PCI_ANY_ID),
	  .class = PCI_CLASS_STORAGE_EXPRESS, .class_mask = 0xffffff },
	{}
};
MODULE_DEVICE_TABLE(pci, nvmevf_table);

static struct pci_driver nvmevf_driver = {
	.name = KBUILD_MODNAME,
	.id_table = nvmevf_table,
	.probe = nvmevf_probe,
	.remove = nvmevf_remove,
	.err_handler = &nvmevf_err_handlers,
	.driver_managed_dma = true,
};
module_pci_driver(nvmevf_driver);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VFIO PCI variant driver for NVMe VFs with live migration (NVMe HMLM)");
MODULE_IMPORT_NS(NVME_HMLM);
MODULE_IMPORT_NS(NVME_MIGRATION);
/* iova_bitmap_set() (DMA logging), with CONFIG_IOMMUFD_DRIVER. */
MODULE_IMPORT_NS(IOMMUFD);
