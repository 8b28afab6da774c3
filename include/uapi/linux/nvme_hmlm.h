/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * nvme-hmlm: host side of NVMe Host Managed Live Migration (TP4159).
 *
 * ioctl interface of /dev/nvme-hmlm.
 */
#ifndef _UAPI_LINUX_NVME_HMLM_H
#define _UAPI_LINUX_NVME_HMLM_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: General ioctl format
 *
 * /dev/nvme-hmlm is a misc character device. Each open file is one
 * session. A session is bound at most once, with NVME_HMLM_BIND, to one
 * migratable controller (a CNTLID from the secondary controller list) of one
 * Migration Management Controller (the MMC, an NVMe controller whose
 * OACS.HMLMS is 1, given as an open fd of its /dev/nvmeN). Closing the file
 * ends the session and releases the binding. No migratable controller is
 * bound by two sessions at once. The module cannot be unloaded while a
 * session is open.
 *
 * Every ioctl takes a pointer to a structure that begins with
 * ``__u32 size; __u32 flags;``. @size is sizeof() of the structure as the
 * caller knows it; the kernel accepts any size from the first published
 * version of the structure upwards. Bytes past the end of the structure the
 * kernel knows must be zero; bytes the caller does not provide are taken as
 * zero. Output fields are named ``out_*`` and are written back, as far as
 * @size reaches, when the ioctl succeeds (and where a structure says so,
 * also on EMSGSIZE or an NVMe status). Fields named ``__reserved`` and every
 * flag bit not defined for a structure must be zero. The ioctl numbers are
 * _IO(NVME_HMLM_TYPE, NVME_HMLM_CMD_BASE + n): the size travels in the
 * structure, not in the number.
 *
 * Every ioctl requires CAP_SYS_ADMIN. Passing an fd of /dev/nvmeN is the
 * proof that the caller may use that controller.
 *
 * Return values, the same for every ioctl:
 *
 * - 0: success.
 * - A positive value: an NVMe command the ioctl sent completed with an error
 *   status. The value is that status as the NVMe passthrough ioctls report
 *   it: (DNR << 14 | More << 13 | SCT << 8 | SC); the same value is in the
 *   structure's out_nvme_status, which is copied out.
 * - -1 with errno:
 *
 *   - ENOTTY: the ioctl number is unknown (or reserved and not implemented
 *     yet).
 *   - EFAULT: the argument or a user pointer in it is not accessible.
 *   - EINVAL: @size is smaller than the first version of the structure, a
 *     flag bit or a ``__reserved`` field is not zero, a field has an invalid
 *     value, an fd is not an NVMe controller character device (/dev/nvmeN),
 *     or the session is in the wrong state (for instance already bound).
 *   - E2BIG: a byte past the structure the kernel knows is not zero.
 *   - EPERM: the caller lacks CAP_SYS_ADMIN.
 *   - EBADF: an fd field is not an open file descriptor.
 *   - EOPNOTSUPP: the controller lacks OACS.HMLMS or the feature the
 *     ioctl needs.
 *   - ENOENT: the CNTLID is not a secondary controller of the MMC (the
 *     MMC's own CNTLID included).
 *   - EBUSY: another session has bound the same migratable controller.
 *   - EMSGSIZE: an output array is too small; the count field says how
 *     many entries are needed.
 *   - ENODEV: the controller is not live (resetting, being removed, dead)
 *     or disappeared under a bound session.
 *   - EIO, EINTR, ETIMEDOUT...: an NVMe command did not complete with a
 *     status (aborted, timed out, transport error).
 *   - ENOMEM: out of memory.
 */

#define NVME_HMLM_TYPE		'N'

enum {
	NVME_HMLM_CMD_BASE = 0xc0,
	NVME_HMLM_CMD_GET_CAPS = NVME_HMLM_CMD_BASE,
	NVME_HMLM_CMD_BIND,
	/* Reserved, not implemented yet (ENOTTY): */
	NVME_HMLM_CMD_SUSPEND,
	NVME_HMLM_CMD_RESUME,
	NVME_HMLM_CMD_GET_STATE,
	NVME_HMLM_CMD_SET_STATE,
	NVME_HMLM_CMD_LOG_START,
	NVME_HMLM_CMD_TRACK_MEM,
	NVME_HMLM_CMD_GET_ALLOC_LBAS,
};

/* Output capability bits of &struct nvme_hmlm_get_caps.out_caps */
#define NVME_HMLM_CAPS_HMLMS		(1U << 0)
#define NVME_HMLM_CAPS_NVM_ID		(1U << 1)
#define NVME_HMLM_CAPS_RALBAS		(1U << 2)
#define NVME_HMLM_CAPS_SEC_LIST		(1U << 3)
#define NVME_HMLM_CAPS_STATE_FMTS	(1U << 4)
#define NVME_HMLM_CAPS_STATE_FMTS_TRUNC	(1U << 5)

#define NVME_HMLM_MAX_STATE_VERS	8
#define NVME_HMLM_MAX_STATE_UUIDS	8

/* &struct nvme_hmlm_sec_ctrl.scs */
#define NVME_HMLM_SCS_ONLINE		(1U << 0)

/**
 * struct nvme_hmlm_sec_ctrl - one secondary controller of the MMC
 * @scid: Secondary Controller Identifier: the CNTLID to bind.
 * @pcid: Primary Controller Identifier it belongs to.
 * @vfn: SR-IOV Virtual Function number (1 for VF1).
 * @nvq: Virtual Queue resources assigned.
 * @nvi: Virtual Interrupt resources assigned.
 * @scs: Secondary Controller State; NVME_HMLM_SCS_ONLINE when online.
 * @__reserved: Written as 0.
 *
 * Entries are in ascending @scid order, as the controller reports them
 * (Identify CNS 15h).
 */
struct nvme_hmlm_sec_ctrl {
	__u16	scid;
	__u16	pcid;
	__u16	vfn;
	__u16	nvq;
	__u16	nvi;
	__u8	scs;
	__u8	__reserved[5];
};

/**
 * struct nvme_hmlm_get_caps - ioctl(NVME_HMLM_GET_CAPS)
 * @size: sizeof(struct nvme_hmlm_get_caps)
 * @flags: Must be 0.
 * @nvme_fd: An open fd of /dev/nvmeN of any NVMe controller. The session
 *	need not be bound.
 * @sec_num: In: how many &struct nvme_hmlm_sec_ctrl fit at @sec_uptr.
 *	Out: how many secondary controllers the controller reports.
 * @sec_uptr: User pointer to an array of @sec_num &struct nvme_hmlm_sec_ctrl;
 *	may be 0 when @sec_num is 0.
 * @out_caps: NVME_HMLM_CAPS_* bits. HMLMS: OACS bit 11. NVM_ID: the NVM
 *	Command Set Identify Controller (CNS 06h) answered, so @out_aocs and
 *	@out_lbamqf are valid. RALBAS: AOCS bit 0. SEC_LIST: the Secondary
 *	Controller List (CNS 15h) answered. STATE_FMTS: the Supported
 *	Controller State Formats (CNS 20h) answered; it is only asked when
 *	HMLMS is set. STATE_FMTS_TRUNC: the controller lists more versions or
 *	UUIDs than @out_state_vers / @out_state_uuids hold.
 * @out_nvme_status: Status of the Identify Controller command when it
 *	failed (the ioctl then returns the same positive value), else 0. The
 *	optional Identify commands that fail only clear their @out_caps bit.
 * @out_max_xfer: Largest data transfer of one command, in bytes, as the
 *	kernel limits it (MDTS and the transport).
 * @out_cntlid: The controller's own CNTLID.
 * @out_oacs: Optional Admin Command Support, raw.
 * @out_mdts: Maximum Data Transfer Size, raw (2^n * CAP.MPSMIN; 0 = none).
 * @out_trattr: Tracking Attributes: THMCS bit 0, TUDCS bit 1, MRTLL bit 2.
 * @out_minmrtg: Minimum Memory Range Tracking Granularity (2^n * 4 KiB).
 * @out_maxmrtg: Maximum Memory Range Tracking Granularity.
 * @out_cmmrtd: Controller max Memory Range Tracking Descriptors.
 * @out_nmmrtd: Subsystem max Memory Range Tracking Descriptors.
 * @out_mcudmq: Max User Data Migration Queues of this controller.
 * @out_mnsudmq: Max User Data Migration Queues in the subsystem.
 * @out_mcmr: Max memory ranges of one Controller Data Queue.
 * @out_nmcmr: Max Controller Data Queue memory ranges in the subsystem.
 * @out_mcdqpc: Max PRPs in a Controller Data Queue PRP list.
 * @out_aocs: NVM Command Set Admin Optional Command Support, raw.
 * @out_lbamqf: LBA Migration Queue Format (0 = Type 0).
 * @out_state_nv: Number of NVMe Controller State versions (CNS 20h NV).
 * @out_state_nuuid: Number of vendor-specific state UUIDs (CNS 20h NUUID).
 * @__reserved: Must be 0.
 * @out_state_vers: The first min(@out_state_nv, 8) versions; CSVI n
 *	(1-based) is @out_state_vers[n - 1].
 * @out_state_uuids: The first min(@out_state_nuuid, 8) UUIDs; CSUUIDI n
 *	(1-based) is @out_state_uuids[n - 1].
 *
 * Reads the controller's Host Managed Live Migration capabilities. Works
 * on every NVMe controller; on one without HMLM support @out_caps lacks
 * NVME_HMLM_CAPS_HMLMS and the HMLM fields are 0.
 *
 * Secondary controller list protocol: the kernel sets @sec_num to the
 * number of secondary controllers. If that is more than the caller's
 * @sec_num, nothing is written at @sec_uptr, the ioctl fails with
 * EMSGSIZE and the structure is still copied out, so the caller can
 * allocate @sec_num entries and call again. Otherwise the entries are
 * written at @sec_uptr and the entries past the new @sec_num are left
 * untouched. Without NVME_HMLM_CAPS_SEC_LIST @sec_num is 0.
 */
struct nvme_hmlm_get_caps {
	__u32		size;
	__u32		flags;
	__s32		nvme_fd;
	__u32		sec_num;
	__aligned_u64	sec_uptr;
	__u32		out_caps;
	__u32		out_nvme_status;
	__u32		out_max_xfer;
	__u16		out_cntlid;
	__u16		out_oacs;
	__u8		out_mdts;
	__u8		out_trattr;
	__u8		out_minmrtg;
	__u8		out_maxmrtg;
	__u16		out_cmmrtd;
	__u16		out_nmmrtd;
	__u16		out_mcudmq;
	__u16		out_mnsudmq;
	__u16		out_mcmr;
	__u16		out_nmcmr;
	__u16		out_mcdqpc;
	__u16		out_aocs;
	__u8		out_lbamqf;
	__u8		out_state_nv;
	__u8		out_state_nuuid;
	__u8		__reserved;
	__u16		out_state_vers[NVME_HMLM_MAX_STATE_VERS];
	__u8		out_state_uuids[NVME_HMLM_MAX_STATE_UUIDS][16];
};

#define NVME_HMLM_GET_CAPS	_IO(NVME_HMLM_TYPE, NVME_HMLM_CMD_GET_CAPS)

/**
 * struct nvme_hmlm_bind - ioctl(NVME_HMLM_BIND)
 * @size: sizeof(struct nvme_hmlm_bind)
 * @flags: Must be 0.
 * @nvme_fd: An open fd of the MMC's /dev/nvmeN. The file may be closed
 *	after the ioctl: the session keeps its own reference.
 * @cntlid: The migratable controller: a SCID of the MMC's secondary
 *	controller list.
 * @__reserved: Must be 0.
 * @out_nvme_status: Status of a failed Identify command (the ioctl then
 *	returns the same positive value), else 0.
 * @out_mmc_cntlid: The MMC's own CNTLID.
 * @out_vfn: The Virtual Function number of @cntlid.
 *
 * Binds this session to (MMC, @cntlid). Later ioctls of the session act
 * on that controller. Errors: EPERM without CAP_SYS_ADMIN; EBADF if
 * @nvme_fd is not open; EINVAL if it is not an NVMe controller character
 * device, or if this session is already bound; ENODEV if the controller is
 * not live; EOPNOTSUPP if the controller lacks OACS.HMLMS; ENOENT if
 * @cntlid is not in its secondary controller list (the MMC's own CNTLID
 * never is); EBUSY if another session has bound the same migratable
 * controller (the key is the NVM subsystem and @cntlid, since a CNTLID is
 * unique in its subsystem). The binding ends when the session's file is
 * closed.
 */
struct nvme_hmlm_bind {
	__u32	size;
	__u32	flags;
	__s32	nvme_fd;
	__u16	cntlid;
	__u16	__reserved;
	__u32	out_nvme_status;
	__u16	out_mmc_cntlid;
	__u16	out_vfn;
};

#define NVME_HMLM_BIND		_IO(NVME_HMLM_TYPE, NVME_HMLM_CMD_BIND)

/**
 * DOC: Reserved ioctls, not implemented yet
 *
 * These numbers are taken; each fails with ENOTTY until implemented. Each
 * acts on the bound migratable controller of the session (EINVAL if the
 * session is not bound).
 *
 * - NVME_HMLM_SUSPEND: Migration Send Suspend (notification or suspend,
 *   optionally deleting the User Data Migration Queue).
 * - NVME_HMLM_RESUME: Migration Send Resume.
 * - NVME_HMLM_GET_STATE: Migration Receive Get Controller State, size query
 *   and chunked transfer by MDTS.
 * - NVME_HMLM_SET_STATE: Migration Send Set Controller State, SEQIND
 *   chunking, validated before it is sent.
 * - NVME_HMLM_LOG_START: create the User Data Migration Queue, start logging
 *   user data changes; returns an fd that read()s LBA Migration Queue
 *   entries. Closing it stops logging and deletes the queue.
 * - NVME_HMLM_TRACK_MEM: Track Send Track Memory Changes (start, stop) and
 *   Track Receive.
 * - NVME_HMLM_GET_ALLOC_LBAS: Get LBA Status ATYPE 02h (allocated LBAs).
 */
#define NVME_HMLM_SUSPEND	_IO(NVME_HMLM_TYPE, NVME_HMLM_CMD_SUSPEND)
#define NVME_HMLM_RESUME	_IO(NVME_HMLM_TYPE, NVME_HMLM_CMD_RESUME)
#define NVME_HMLM_GET_STATE	_IO(NVME_HMLM_TYPE, NVME_HMLM_CMD_GET_STATE)
#define NVME_HMLM_SET_STATE	_IO(NVME_HMLM_TYPE, NVME_HMLM_CMD_SET_STATE)
#define NVME_HMLM_LOG_START	_IO(NVME_HMLM_TYPE, NVME_HMLM_CMD_LOG_START)
#define NVME_HMLM_TRACK_MEM	_IO(NVME_HMLM_TYPE, NVME_HMLM_CMD_TRACK_MEM)
#define NVME_HMLM_GET_ALLOC_LBAS \
	_IO(NVME_HMLM_TYPE, NVME_HMLM_CMD_GET_ALLOC_LBAS)

#endif /* _UAPI_LINUX_NVME_HMLM_H */
