/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvme-hmlm-vfio-pci: VFIO PCI variant driver for NVMe SR-IOV VFs with live
 * migration (VFIO migration v2) through NVMe Host Managed Live Migration.
 * See Documentation/vfio.rst.
 */
#ifndef _NVME_VFIO_H
#define _NVME_VFIO_H

#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/vfio_pci_core.h>

struct nvme_ctrl;
struct hmlm_session;

/*
 * The migration stream: a sequence of records, little endian, each a
 * struct nvmevf_rec header followed by @len bytes of payload:
 *
 *   SETUP  (PRE_COPY initial data, or the start of STOP_COPY data)
 *   STATE  (STOP_COPY: the NVMe Controller State data structure, NVMe and
 *           vendor specific parts, as Migration Receive returned it)
 *
 * Exactly one of each, in this order, nothing after. Every header and
 * payload is covered by a CRC32; the target refuses a stream with a wrong
 * magic, version, type, order, length or CRC before anything reaches the
 * device (RESUMING -> STOP fails, the VF stays as it was).
 */
#define NVMEVF_REC_MAGIC	0x4656564eU	/* "NVVF" */
#define NVMEVF_REC_VERSION	1
#define NVMEVF_REC_SETUP	1
#define NVMEVF_REC_STATE	2

struct nvmevf_rec {
	__le32	magic;
	__le16	version;
	__le16	type;
	__le32	len;		/* payload bytes */
	__le32	payload_crc;	/* crc32_le(~0, payload, len) */
	__le32	rsvd;		/* 0 */
	__le32	hdr_crc;	/* crc32_le(~0, bytes 0..19 of this header) */
};

/*
 * SETUP payload: what the target checks before it takes any state. The
 * PCI IDs must equal the target VF's; @csvi and @csuuidi say which formats
 * of the source MMC's Identify CNS 20h lists the state is in, and must be
 * the target MMC's as well.
 */
struct nvmevf_setup {
	__le16	vendor;
	__le16	device;
	__le16	subsystem_vendor;
	__le16	subsystem_device;
	__le16	src_cntlid;
	u8	csvi;
	u8	csuuidi;
	__le32	flags;		/* 0 */
	__le32	rsvd[3];	/* 0 */
};

#define NVMEVF_STATE_MAX	(16U << 20)	/* NVME_HMLM_STATE_MAX_LEN */
#define NVMEVF_STREAM_MAX	(2 * sizeof(struct nvmevf_rec) + \
				 sizeof(struct nvmevf_setup) + NVMEVF_STATE_MAX)
/* Bytes one read() of a saving data_fd returns at most. */
#define NVMEVF_READ_CHUNK	SZ_1M

/**
 * struct nvmevf_migf - one data transfer session (the data_fd)
 * @filp: The anon-inode file handed to userspace.
 * @nvdev: The device it belongs to.
 * @lock: Protects every field below.
 * @disabled: The session was terminated (state change or reset): I/O
 *	returns -ENODEV.
 * @final: No data will be added after @len (STOP_COPY, or a resuming
 *	session): a read at @len returns 0, not -ENOMSG.
 * @buf: The stream bytes (saving: produced; resuming: received).
 * @len: Valid bytes in @buf.
 * @cap: Allocated bytes of @buf.
 * @setup_ok: Resuming: the SETUP record arrived and was accepted.
 */
struct nvmevf_migf {
	struct file *filp;
	struct nvmevf_device *nvdev;
	struct mutex lock;	/* protects the fields below */
	bool disabled;
	bool final;
	u8 *buf;
	size_t len;
	size_t cap;
	bool setup_ok;
};

/**
 * struct nvmevf_pend - a range the controller reported written, not yet
 *	handed to VFIO
 * @start: First byte (IOVA).
 * @end: Byte after the last.
 */
struct nvmevf_pend {
	u64 start;
	u64 end;
};

/**
 * struct nvmevf_device - an NVMe VF bound to nvme-hmlm-vfio-pci
 * @core: The vfio-pci core device.
 * @pf: The PF's NVMe controller (referenced), NULL if the VF cannot migrate.
 * @state_mutex: Protects @mig_state, @session, @cntlid, @suspended,
 *	@saving, @resuming and the DMA logging fields.
 * @mig_state: The VFIO migration state.
 * @session: The nvme-hmlm session on (@pf, @cntlid), open while the device
 *	is open.
 * @cntlid: The VF's controller ID in the PF's secondary controller list.
 * @suspended: The driver suspended the controller (Migration Send Suspend).
 * @saving: The saving data session, if any.
 * @resuming: The resuming data session, if any.
 * @log_pgsz: DMA logging: the page size, 0 while not logging.
 * @pend: DMA logging: ranges received from the controller, not yet read
 *	out by VFIO (outside the windows asked for so far).
 * @npend: Entries in @pend.
 * @cpend: Room in @pend.
 * @dirty_bytes: DMA logging: bytes reported dirty to VFIO since probe.
 * @track_stop: DMA logging: VFIO stopped it while the controller was
 *	suspended, which refuses Track Send (39h), or the stop failed: the
 *	Track Send stop is still owed. It is sent before the next start, or
 *	by the session's end, which comes after the VF's reset at close.
 * @reset_lock: Protects @deferred_reset.
 * @deferred_reset: A reset completed while @state_mutex was held; it is
 *	applied when the holder unlocks (the mlx5 pattern).
 */
struct nvmevf_device {
	struct vfio_pci_core_device core;
	struct nvme_ctrl *pf;
	struct mutex state_mutex;	/* see @state_mutex above */
	enum vfio_device_mig_state mig_state;
	struct hmlm_session *session;
	u16 cntlid;
	bool suspended;
	struct nvmevf_migf *saving;
	struct nvmevf_migf *resuming;
	u64 log_pgsz;
	struct nvmevf_pend *pend;
	u32 npend;
	u32 cpend;
	u64 dirty_bytes;
	bool track_stop;
	spinlock_t reset_lock;		/* protects @deferred_reset */
	bool deferred_reset;
};

/* dirty.c */
extern const struct vfio_log_ops nvmevf_log_ops;

/* stream.c */
struct nvmevf_migf *nvmevf_save_open(struct nvmevf_device *nvdev);
int nvmevf_save_state(struct nvmevf_device *nvdev, struct nvmevf_migf *migf);
struct nvmevf_migf *nvmevf_resume_open(struct nvmevf_device *nvdev);
int nvmevf_resume_load(struct nvmevf_device *nvdev, struct nvmevf_migf *migf);
void nvmevf_migf_disable(struct nvmevf_migf *migf);
int nvmevf_state_size(struct nvmevf_device *nvdev, unsigned long *len);

#endif /* _NVME_VFIO_H */
