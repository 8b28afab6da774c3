// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-hmlm-vfio-pci: the migration data files (data_fd) and the stream
 * format of nvme_vfio.h. The device state comes from and goes to the
 * controller through nvme-hmlm's in-kernel API (Migration Receive / Send,
 * Get / Set Controller State); nothing here builds an NVMe command.
 */
#include <linux/anon_inodes.h>
#include <linux/crc32.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/poll.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "../hmlm_kapi.h"
#include "nvme_vfio.h"

/* The formats the state is read in: the first NVMe and vendor formats. */
#define NVMEVF_CSVI	1
#define NVMEVF_CSUUIDI	1

/**
 * nvmevf_pdev() - the VF of @nvdev
 * @nvdev: The device.
 *
 * Context: Any context.
 * Return: the PCI device.
 */
static struct pci_dev *nvmevf_pdev(struct nvmevf_device *nvdev)
{
	return nvdev->core.pdev;
}

/**
 * nvmevf_reserve() - make room for @more bytes at the end of @migf's buffer
 * @migf: The data transfer session.
 * @more: Bytes to be appended.
 *
 * Context: Process context; @migf->lock held.
 * Return: 0, -EFBIG past NVMEVF_STREAM_MAX, or -ENOMEM.
 */
static int nvmevf_reserve(struct nvmevf_migf *migf, size_t more)
{
	size_t need, cap;
	u8 *buf;

	if (check_add_overflow(migf->len, more, &need) || need > NVMEVF_STREAM_MAX)
		return -EFBIG;
	if (need <= migf->cap)
		return 0;
	cap = max3(need, 2 * migf->cap, (size_t)PAGE_SIZE);
	cap = min_t(size_t, cap, NVMEVF_STREAM_MAX);
	buf = kvzalloc(cap, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	if (migf->len)
		memcpy(buf, migf->buf, migf->len);
	kvfree(migf->buf);
	migf->buf = buf;
	migf->cap = cap;
	return 0;
}

/**
 * nvmevf_rec_seal() - fill in the record header at @at for @len payload bytes
 * @at: The record header; the payload follows it.
 * @type: NVMEVF_REC_SETUP or NVMEVF_REC_STATE.
 * @len: Payload bytes.
 *
 * Context: Any context.
 */
static void nvmevf_rec_seal(u8 *at, u16 type, u32 len)
{
	struct nvmevf_rec *r = (struct nvmevf_rec *)at;

	r->magic = cpu_to_le32(NVMEVF_REC_MAGIC);
	r->version = cpu_to_le16(NVMEVF_REC_VERSION);
	r->type = cpu_to_le16(type);
	r->len = cpu_to_le32(len);
	r->payload_crc = cpu_to_le32(crc32_le(~0, at + sizeof(*r), len));
	r->rsvd = 0;
	r->hdr_crc = cpu_to_le32(crc32_le(~0, at, offsetof(struct nvmevf_rec, hdr_crc)));
}

/**
 * nvmevf_rec_check() - validate the record header at @at
 * @at: The header.
 * @avail: Bytes from @at to the end of the received data.
 * @type: The record type expected here.
 *
 * Context: Any context.
 * Return: the payload length; -EAGAIN if the record is not complete yet;
 *	-EINVAL if it is damaged, of another version or type, or too long.
 */
static long nvmevf_rec_check(const u8 *at, size_t avail, u16 type)
{
	const struct nvmevf_rec *r = (const struct nvmevf_rec *)at;
	u32 len;

	if (avail < sizeof(*r))
		return -EAGAIN;
	if (le32_to_cpu(r->magic) != NVMEVF_REC_MAGIC ||
	    le32_to_cpu(r->hdr_crc) !=
	    crc32_le(~0, at, offsetof(struct nvmevf_rec, hdr_crc)) ||
	    le16_to_cpu(r->version) != NVMEVF_REC_VERSION ||
	    le16_to_cpu(r->type) != type || r->rsvd)
		return -EINVAL;
	len = le32_to_cpu(r->len);
	if (len > NVMEVF_STATE_MAX)
		return -EINVAL;
	if (avail - sizeof(*r) < len)
		return -EAGAIN;
	if (le32_to_cpu(r->payload_crc) != crc32_le(~0, at + sizeof(*r), len))
		return -EINVAL;
	return len;
}

/**
 * nvmevf_add_setup() - append the SETUP record
 * @nvdev: The device.
 * @migf: The saving session.
 *
 * Context: Process context; @migf->lock held.
 * Return: 0 or a negative errno.
 */
static int nvmevf_add_setup(struct nvmevf_device *nvdev, struct nvmevf_migf *migf)
{
	struct pci_dev *pdev = nvmevf_pdev(nvdev);
	size_t size = sizeof(struct nvmevf_rec) + sizeof(struct nvmevf_setup);
	struct nvmevf_setup *su;
	u8 *at;
	int ret;

	ret = nvmevf_reserve(migf, size);
	if (ret)
		return ret;
	at = migf->buf + migf->len;
	memset(at, 0, size);
	su = (struct nvmevf_setup *)(at + sizeof(struct nvmevf_rec));
	su->vendor = cpu_to_le16(pdev->vendor);
	su->device = cpu_to_le16(pdev->device);
	su->subsystem_vendor = cpu_to_le16(pdev->subsystem_vendor);
	su->subsystem_device = cpu_to_le16(pdev->subsystem_device);
	su->src_cntlid = cpu_to_le16(nvdev->cntlid);
	su->csvi = NVMEVF_CSVI;
	su->csuuidi = NVMEVF_CSUUIDI;
	nvmevf_rec_seal(at, NVMEVF_REC_SETUP, sizeof(*su));
	migf->len += size;
	return 0;
}

/**
 * nvmevf_setup_accept() - check a received SETUP payload against this VF
 * @nvdev: The target device.
 * @su: The received SETUP payload.
 *
 * Context: Any context.
 * Return: 0, or -EINVAL if the state cannot be loaded into this VF.
 */
static int nvmevf_setup_accept(struct nvmevf_device *nvdev,
			       const struct nvmevf_setup *su)
{
	struct pci_dev *pdev = nvmevf_pdev(nvdev);

	if (le16_to_cpu(su->vendor) != pdev->vendor ||
	    le16_to_cpu(su->device) != pdev->device ||
	    le16_to_cpu(su->subsystem_vendor) != pdev->subsystem_vendor ||
	    le16_to_cpu(su->subsystem_device) != pdev->subsystem_device) {
		pci_warn(pdev, "migration stream from another kind of device (%04x:%04x)\n",
			 le16_to_cpu(su->vendor), le16_to_cpu(su->device));
		return -EINVAL;
	}
	if (su->csvi != NVMEVF_CSVI || su->csuuidi != NVMEVF_CSUUIDI ||
	    su->flags || memchr_inv(su->rsvd, 0, sizeof(su->rsvd))) {
		pci_warn(pdev, "migration stream in an unknown state format\n");
		return -EINVAL;
	}
	return 0;
}

/**
 * nvmevf_state_size() - bytes of the STOP_COPY data, for MIG_DATA_SIZE
 * @nvdev: The device; its session is open.
 * @len: Receives the size of the whole stream.
 *
 * Context: Process context; @nvdev->state_mutex held; sleeps.
 * Return: 0, -EIO if the controller reported an NVMe error, or a negative
 *	errno.
 */
int nvmevf_state_size(struct nvmevf_device *nvdev, unsigned long *len)
{
	struct nvme_hmlm_get_state gs = {
		.size = sizeof(gs),
		.flags = NVME_HMLM_STATE_SIZE,
		.csvi = NVMEVF_CSVI,
		.csuuidi = NVMEVF_CSUUIDI,
	};
	int ret;

	ret = nvme_hmlm_get_state(nvdev->session, &gs, NULL);
	if (ret > 0)
		return -EIO;
	if (ret)
		return ret;
	*len = 2 * sizeof(struct nvmevf_rec) + sizeof(struct nvmevf_setup) + gs.out_len;
	return 0;
}

/**
 * nvmevf_add_state() - append the STATE record: Get Controller State
 * @nvdev: The device.
 * @migf: The saving session.
 *
 * Context: Process context; @migf->lock held; the controller is suspended.
 * Return: 0 or a negative errno (-EIO for an NVMe error status).
 */
static int nvmevf_add_state(struct nvmevf_device *nvdev, struct nvmevf_migf *migf)
{
	struct pci_dev *pdev = nvmevf_pdev(nvdev);
	struct nvme_hmlm_get_state gs = {
		.size = sizeof(gs),
		.flags = NVME_HMLM_STATE_SIZE,
		.csvi = NVMEVF_CSVI,
		.csuuidi = NVMEVF_CSUUIDI,
	};
	struct iov_iter to;
	struct kvec kv;
	size_t hdr = sizeof(struct nvmevf_rec);
	int ret;

	ret = nvme_hmlm_get_state(nvdev->session, &gs, NULL);
	if (!ret && (gs.out_len < NVME_HMLM_STATE_HDR_LEN || gs.out_len > NVMEVF_STATE_MAX))
		ret = -EPROTO;
	if (!ret)
		ret = nvmevf_reserve(migf, hdr + gs.out_len);
	if (ret)
		goto out;

	kv.iov_base = migf->buf + migf->len + hdr;
	kv.iov_len = gs.out_len;
	iov_iter_kvec(&to, ITER_DEST, &kv, 1, kv.iov_len);
	gs.flags = 0;
	ret = nvme_hmlm_get_state(nvdev->session, &gs, &to);
	if (ret)
		goto out;
	if (!(gs.out_flags & NVME_HMLM_STATE_OUT_CSUP)) {
		/* A state read from a running controller is not consistent. */
		ret = -EPROTO;
		goto out;
	}
	nvmevf_rec_seal(migf->buf + migf->len, NVMEVF_REC_STATE, gs.out_len);
	migf->len += hdr + gs.out_len;
out:
	if (ret > 0) {
		pci_err(pdev, "Get Controller State failed, NVMe status %#x\n", ret);
		ret = -EIO;
	} else if (ret) {
		pci_err(pdev, "Get Controller State failed: %d\n", ret);
	}
	return ret;
}

/**
 * nvmevf_migf_disable() - end a data transfer session
 * @migf: The session.
 *
 * Frees its buffer; later read()/write() return -ENODEV.
 *
 * Context: Process context.
 */
void nvmevf_migf_disable(struct nvmevf_migf *migf)
{
	mutex_lock(&migf->lock);
	migf->disabled = true;
	kvfree(migf->buf);
	migf->buf = NULL;
	migf->len = 0;
	migf->cap = 0;
	migf->filp->f_pos = 0;
	mutex_unlock(&migf->lock);
}

/**
 * nvmevf_release() - the data_fd's last reference went away
 * @inode: The anon inode.
 * @filp: The data_fd.
 *
 * Context: Process context.
 * Return: 0.
 */
static int nvmevf_release(struct inode *inode, struct file *filp)
{
	struct nvmevf_migf *migf = filp->private_data;

	nvmevf_migf_disable(migf);
	mutex_destroy(&migf->lock);
	kfree(migf);
	return 0;
}

/**
 * nvmevf_save_read() - read() of a saving data_fd
 * @filp: The data_fd.
 * @ubuf: User buffer.
 * @len: Its size.
 * @pos: Must be NULL (stream).
 *
 * @migf->lock is not held across the copy to user memory: a reset of the
 * VF ends the session under the vfio-pci core's memory_lock (reset_done,
 * nvmevf_disable_fds()), and the copy may fault on a mapping of the VF's
 * BAR, which takes memory_lock (a lock order inversion lockdep reported).
 * The bytes go through a kernel buffer of at most NVMEVF_READ_CHUNK.
 *
 * Context: Process context; takes @migf->lock.
 * Return: bytes read; 0 at the end of STOP_COPY data; -ENOMSG at the
 *	temporary end of PRE_COPY data; -ENODEV once the session ended.
 */
static ssize_t nvmevf_save_read(struct file *filp, char __user *ubuf,
				size_t len, loff_t *pos)
{
	struct nvmevf_migf *migf = filp->private_data;
	loff_t *off = &filp->f_pos;
	u8 *kbuf = NULL;
	ssize_t ret;

	if (pos)
		return -ESPIPE;
	len = min_t(size_t, len, NVMEVF_READ_CHUNK);
	if (len) {
		kbuf = kvmalloc(len, GFP_KERNEL_ACCOUNT);
		if (!kbuf)
			return -ENOMEM;
	}
	mutex_lock(&migf->lock);
	if (migf->disabled) {
		ret = -ENODEV;
		goto out_unlock;
	}
	if (*off < 0 || *off > migf->len) {
		ret = -EINVAL;
		goto out_unlock;
	}
	len = min_t(size_t, len, migf->len - *off);
	if (!len) {
		ret = migf->final ? 0 : -ENOMSG;
		goto out_unlock;
	}
	memcpy(kbuf, migf->buf + *off, len);
	*off += len;
	ret = len;
	mutex_unlock(&migf->lock);

	if (copy_to_user(ubuf, kbuf, len)) {
		mutex_lock(&migf->lock);
		*off -= len;
		mutex_unlock(&migf->lock);
		ret = -EFAULT;
	}
	kvfree(kbuf);
	return ret;

out_unlock:
	mutex_unlock(&migf->lock);
	kvfree(kbuf);
	return ret;
}

/**
 * nvmevf_save_poll() - poll() of a saving data_fd: readable while data is left
 * @filp: The data_fd.
 * @wait: The poll table.
 *
 * Context: Process context.
 * Return: the poll mask.
 */
static __poll_t nvmevf_save_poll(struct file *filp, struct poll_table_struct *wait)
{
	struct nvmevf_migf *migf = filp->private_data;
	__poll_t mask = 0;

	mutex_lock(&migf->lock);
	if (migf->disabled)
		mask = EPOLLERR;
	else if (migf->final || filp->f_pos < migf->len)
		mask = EPOLLIN | EPOLLRDNORM;
	mutex_unlock(&migf->lock);
	return mask;
}

/**
 * nvmevf_precopy_ioctl() - VFIO_MIG_GET_PRECOPY_INFO
 * @filp: The data_fd.
 * @cmd: VFIO_MIG_GET_PRECOPY_INFO.
 * @arg: User pointer to &struct vfio_precopy_info.
 *
 * initial_bytes is what is left of the SETUP record; dirty_bytes is 0: a
 * move between VFs of one subsystem shares the namespace, so nothing of the
 * device changes while it runs that is not in the STOP_COPY state.
 *
 * Context: Process context.
 * Return: 0, -ENOTTY, -EINVAL outside PRE_COPY, -ENODEV, -EFAULT.
 */
static long nvmevf_precopy_ioctl(struct file *filp, unsigned int cmd,
				 unsigned long arg)
{
	struct nvmevf_migf *migf = filp->private_data;
	struct nvmevf_device *nvdev = migf->nvdev;
	struct vfio_precopy_info info;
	unsigned long minsz;
	int ret = 0;

	if (cmd != VFIO_MIG_GET_PRECOPY_INFO)
		return -ENOTTY;
	minsz = offsetofend(struct vfio_precopy_info, dirty_bytes);
	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;

	mutex_lock(&nvdev->state_mutex);
	if (nvdev->mig_state != VFIO_DEVICE_STATE_PRE_COPY &&
	    nvdev->mig_state != VFIO_DEVICE_STATE_PRE_COPY_P2P) {
		ret = -EINVAL;
		goto out_state;
	}
	mutex_lock(&migf->lock);
	if (migf->disabled)
		ret = -ENODEV;
	else if (filp->f_pos > migf->len)
		ret = -EINVAL;
	else
		info.initial_bytes = migf->len - filp->f_pos;
	info.dirty_bytes = 0;
	mutex_unlock(&migf->lock);
out_state:
	mutex_unlock(&nvdev->state_mutex);
	if (ret)
		return ret;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static const struct file_operations nvmevf_save_fops = {
	.owner = THIS_MODULE,
	.read = nvmevf_save_read,
	.poll = nvmevf_save_poll,
	.unlocked_ioctl = nvmevf_precopy_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = nvmevf_release,
};

/**
 * nvmevf_resume_write() - write() of a resuming data_fd
 * @filp: The data_fd.
 * @ubuf: User buffer.
 * @len: Its size.
 * @pos: Must be NULL (stream).
 *
 * Collects the stream; checks the SETUP record as soon as it is complete,
 * so a stream for another kind of device fails its first write.
 *
 * Context: Process context; takes @migf->lock, not across the copy from
 *	user memory (see nvmevf_save_read()).
 * Return: bytes taken, or -EFBIG past NVMEVF_STREAM_MAX, -EINVAL for a
 *	refused SETUP record, -ENODEV once the session ended, -ENOMEM,
 *	-EFAULT.
 */
static ssize_t nvmevf_resume_write(struct file *filp, const char __user *ubuf,
				   size_t len, loff_t *pos)
{
	struct nvmevf_migf *migf = filp->private_data;
	u8 *kbuf;
	long plen;
	ssize_t ret;

	if (pos)
		return -ESPIPE;
	if (len > NVMEVF_STREAM_MAX)
		return -EFBIG;
	/* Copied before @migf->lock is taken: see nvmevf_save_read(). */
	kbuf = vmemdup_user(ubuf, len);
	if (IS_ERR(kbuf))
		return PTR_ERR(kbuf);
	mutex_lock(&migf->lock);
	if (migf->disabled) {
		ret = -ENODEV;
		goto out;
	}
	ret = nvmevf_reserve(migf, len);
	if (ret)
		goto out;
	memcpy(migf->buf + migf->len, kbuf, len);
	migf->len += len;
	filp->f_pos += len;
	ret = len;
	if (!migf->setup_ok) {
		plen = nvmevf_rec_check(migf->buf, migf->len, NVMEVF_REC_SETUP);
		if (plen >= 0 && plen != sizeof(struct nvmevf_setup))
			plen = -EINVAL;
		if (plen >= 0)
			plen = nvmevf_setup_accept(migf->nvdev, (const struct nvmevf_setup *)
						   (migf->buf + sizeof(struct nvmevf_rec)));
		if (!plen)
			migf->setup_ok = true;
		else if (plen != -EAGAIN)
			ret = plen;
	}
out:
	mutex_unlock(&migf->lock);
	kvfree(kbuf);
	return ret;
}

static const struct file_operations nvmevf_resume_fops = {
	.owner = THIS_MODULE,
	.write = nvmevf_resume_write,
	.release = nvmevf_release,
};

/**
 * nvmevf_migf_new() - a data_fd with @fops and @flags
 * @nvdev: The device.
 * @fops: The file operations.
 * @flags: O_RDONLY or O_WRONLY.
 *
 * Context: Process context.
 * Return: the session or an ERR_PTR().
 */
static struct nvmevf_migf *nvmevf_migf_new(struct nvmevf_device *nvdev,
					   const struct file_operations *fops,
					   int flags)
{
	struct nvmevf_migf *migf;

	migf = kzalloc(sizeof(*migf), GFP_KERNEL_ACCOUNT);
	if (!migf)
		return ERR_PTR(-ENOMEM);
	migf->filp = anon_inode_getfile("nvme_hmlm_vfio_mig", fops, migf, flags);
	if (IS_ERR(migf->filp)) {
		struct file *err = migf->filp;

		kfree(migf);
		return ERR_CAST(err);
	}
	stream_open(migf->filp->f_inode, migf->filp);
	mutex_init(&migf->lock);
	migf->nvdev = nvdev;
	return migf;
}

/**
 * nvmevf_save_open() - a saving data_fd holding the SETUP record
 * @nvdev: The device.
 *
 * Context: Process context; @nvdev->state_mutex held.
 * Return: the session or an ERR_PTR().
 */
struct nvmevf_migf *nvmevf_save_open(struct nvmevf_device *nvdev)
{
	struct nvmevf_migf *migf;
	int ret;

	migf = nvmevf_migf_new(nvdev, &nvmevf_save_fops, O_RDONLY);
	if (IS_ERR(migf))
		return migf;
	mutex_lock(&migf->lock);
	ret = nvmevf_add_setup(nvdev, migf);
	mutex_unlock(&migf->lock);
	if (ret) {
		fput(migf->filp);
		return ERR_PTR(ret);
	}
	return migf;
}

/**
 * nvmevf_save_state() - add the STATE record and end the stream there
 * @nvdev: The device; its controller is suspended.
 * @migf: The saving session.
 *
 * Context: Process context; @nvdev->state_mutex held; sleeps.
 * Return: 0 or a negative errno.
 */
int nvmevf_save_state(struct nvmevf_device *nvdev, struct nvmevf_migf *migf)
{
	int ret;

	mutex_lock(&migf->lock);
	if (migf->disabled)
		ret = -ENODEV;
	else
		ret = nvmevf_add_state(nvdev, migf);
	if (!ret)
		migf->final = true;
	mutex_unlock(&migf->lock);
	return ret;
}

/**
 * nvmevf_resume_open() - a resuming data_fd
 * @nvdev: The device.
 *
 * Context: Process context; @nvdev->state_mutex held.
 * Return: the session or an ERR_PTR().
 */
struct nvmevf_migf *nvmevf_resume_open(struct nvmevf_device *nvdev)
{
	struct nvmevf_migf *migf;

	migf = nvmevf_migf_new(nvdev, &nvmevf_resume_fops, O_WRONLY);
	if (!IS_ERR(migf))
		migf->final = true;
	return migf;
}

/**
 * nvmevf_resume_load() - check the received stream, then Set Controller State
 * @nvdev: The device; its controller is suspended.
 * @migf: The resuming session.
 *
 * Nothing is sent to the controller unless the whole stream checks out:
 * SETUP accepted, one STATE record, CRCs right, no bytes after it. The
 * Controller State itself is validated once more by nvme-hmlm before the
 * first Migration Send.
 *
 * Context: Process context; @nvdev->state_mutex held; sleeps.
 * Return: 0, -EINVAL for a refused stream, -EIO if the controller
 *	refused the state, or a negative errno.
 */
int nvmevf_resume_load(struct nvmevf_device *nvdev, struct nvmevf_migf *migf)
{
	struct pci_dev *pdev = nvmevf_pdev(nvdev);
	size_t off = sizeof(struct nvmevf_rec) + sizeof(struct nvmevf_setup);
	struct nvme_hmlm_set_state ss = {
		.size = sizeof(ss),
		.csvi = NVMEVF_CSVI,
		.csuuidi = NVMEVF_CSUUIDI,
	};
	struct iov_iter from;
	struct kvec kv;
	long plen;
	int ret;

	mutex_lock(&migf->lock);
	if (migf->disabled) {
		ret = -ENODEV;
		goto out;
	}
	ret = -EINVAL;
	if (!migf->setup_ok) {
		pci_warn(pdev, "migration stream ends before its SETUP record\n");
		goto out;
	}
	plen = nvmevf_rec_check(migf->buf + off, migf->len - off, NVMEVF_REC_STATE);
	if (plen < 0) {
		pci_warn(pdev, "migration stream: %s STATE record\n",
			 plen == -EAGAIN ? "truncated" : "damaged");
		goto out;
	}
	if (off + sizeof(struct nvmevf_rec) + plen != migf->len) {
		pci_warn(pdev, "migration stream: %zu bytes after the STATE record\n",
			 migf->len - off - sizeof(struct nvmevf_rec) - plen);
		goto out;
	}
	kv.iov_base = migf->buf + off + sizeof(struct nvmevf_rec);
	kv.iov_len = plen;
	iov_iter_kvec(&from, ITER_SOURCE, &kv, 1, kv.iov_len);
	ret = nvme_hmlm_set_state(nvdev->session, &ss, &from);
	if (ret > 0) {
		pci_err(pdev, "Set Controller State failed, NVMe status %#x\n", ret);
		ret = -EIO;
	} else if (ret) {
		pci_err(pdev, "Set Controller State failed: %d\n", ret);
	}
out:
	mutex_unlock(&migf->lock);
	return ret;
}
