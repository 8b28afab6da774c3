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
 *   - ENOTTY: the ioctl number is unknown, or is not one of the file it is
 *     used on (NVME_HMLM_LOG_STOP belongs to the log fd, the others to
 *     /dev/nvme-hmlm).
 *   - EFAULT: the argument or a user pointer in it is not accessible.
 *   - EINVAL: @size is smaller than the first version of the structure, a
 *     flag bit or a ``__reserved`` field is not zero, a field has an invalid
 *     value, an fd is not an NVMe controller character device (/dev/nvmeN),
 *     or the session is in the wrong state (for instance already bound).
 *   - E2BIG: a byte past the structure the kernel knows is not zero.
 *   - EPERM: the caller lacks CAP_SYS_ADMIN.
 *   - EBADF: an fd field is not an open file descriptor.
 *   - EOPNOTSUPP: the controller lacks OACS.HMLMS or the feature the
 *     ioctl needs, or is a fabrics controller (BIND).
 *   - ENOENT: the CNTLID is not a secondary controller of the MMC (the
 *     MMC's own CNTLID included); GET_ALLOC_LBAS: the namespace is not
 *     attached to the bound migratable controller.
 *   - EBUSY: another session has bound the same migratable controller
 *     in the same role (BIND, see NVME_HMLM_BIND_DATA); the session
 *     already has what the ioctl would create (a log fd, memory
 *     tracking); the other session of the controller has its migration
 *     queue or a SUSPEND with DUDMQ in flight (LOG_START), or a log
 *     (SUSPEND with DUDMQ); a SUSPEND whose wait was cut short is still
 *     in flight.
 *   - EACCES: a data session (NVME_HMLM_BIND_DATA) asked for an ioctl
 *     that acts on the controller (SUSPEND, RESUME, GET_STATE, SET_STATE,
 *     TRACK_MEM).
 *   - EMSGSIZE: an output array is too small; the count field says how
 *     many entries are needed.
 *   - ENODEV: the controller is not live (resetting, being removed, dead)
 *     or was reset or removed, or the number of its SR-IOV VFs changed,
 *     since the session was bound.
 *   - ETIMEDOUT: SUSPEND did not complete within its timeout.
 *   - EAGAIN: GET_STATE saw the state change size during the transfer
 *     (header read on its own first, see struct nvme_hmlm_get_state).
 *   - EIO, EINTR, ETIMEDOUT...: an NVMe command did not complete with a
 *     status (aborted, timed out, transport error); EINTR also when the
 *     caller was killed during a loop of commands.
 *   - ENOMEM: out of memory.
 */

#define NVME_HMLM_TYPE		'N'

enum {
	NVME_HMLM_CMD_BASE = 0xc0,
	NVME_HMLM_CMD_GET_CAPS = NVME_HMLM_CMD_BASE,
	NVME_HMLM_CMD_BIND,
	NVME_HMLM_CMD_SUSPEND,
	NVME_HMLM_CMD_RESUME,
	NVME_HMLM_CMD_GET_STATE,
	NVME_HMLM_CMD_SET_STATE,
	NVME_HMLM_CMD_LOG_START,
	NVME_HMLM_CMD_TRACK_MEM,
	NVME_HMLM_CMD_GET_ALLOC_LBAS,
	NVME_HMLM_CMD_LOG_STOP,		/* on the log fd */
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
 * @flags: 0, or NVME_HMLM_BIND_DATA.
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
 * controller in the same role (the key is the NVM subsystem and @cntlid,
 * since a CNTLID is unique in its subsystem). The binding ends when the
 * session's file is closed.
 *
 * A migratable controller has at most one session of each role. The
 * controller's session (flags 0) may do everything. A data session
 * (NVME_HMLM_BIND_DATA) moves the namespace data beside the controller's
 * session that another party holds, typically the VFIO variant driver
 * while QEMU migrates the VM: it may run GET_ALLOC_LBAS, LOG_START and
 * its log fd (read, poll, LOG_STOP), and nothing that acts on the
 * controller (EACCES). The controller has one migration queue: the
 * session that has it is the only one that may send a SUSPEND with DUDMQ
 * (which deletes it), so neither session ever loses its queue to the
 * other's command. A SUSPEND of the controller's session without DUDMQ
 * posts its "suspended" record to the data session's log, whose reader
 * then knows that every change before it is in the log.
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

#define NVME_HMLM_BIND_DATA	(1U << 0)	/* a data session */
#define NVME_HMLM_BIND_FLAGS	NVME_HMLM_BIND_DATA

#define NVME_HMLM_BIND		_IO(NVME_HMLM_TYPE, NVME_HMLM_CMD_BIND)

/**
 * DOC: Session states
 *
 * A session is UNBOUND after open() and BOUND after NVME_HMLM_BIND. Every
 * ioctl below needs a BOUND session (EINVAL otherwise) and acts on its
 * migratable controller through its MMC. A BOUND session becomes DEAD when
 * the MMC leaves the live state (controller reset, removal, failure): every
 * later ioctl, read() and poll() of the session and of its log fd fails
 * with ENODEV (poll() reports EPOLLERR | EPOLLHUP); the only thing left to
 * do is close(). A controller reset of the MMC deletes its migration queues,
 * stops its memory tracking and resumes the controllers it suspended, so
 * nothing is sent on close() of a DEAD session.
 *
 * Per session the kernel remembers: whether the migratable controller is
 * suspended by this session (SUSPEND succeeded, RESUME not yet), whether
 * this session tracks its memory (TRACK_MEM start), and its log fd
 * (LOG_START). When the session file is closed (also when the process is
 * killed):
 *
 * - memory tracking started by the session is stopped (Track Send TACT 0);
 * - a controller the session suspended is resumed, unless the SUSPEND that
 *   suspended it had NVME_HMLM_SUSPEND_KEEP (the state was handed to a
 *   target and the source must stay stopped); a SUSPEND whose wait was cut
 *   short (ETIMEDOUT, EINTR) is waited for first, at most the NVMe admin
 *   timeout;
 * - the binding itself lasts until the log fd is closed too.
 *
 * Closing the log fd stops logging if it is still on and deletes the
 * queue.
 */

/* SUSPEND flags */
#define NVME_HMLM_SUSPEND_NOTIFY	(1U << 0)	/* STYPE 0: notice only */
#define NVME_HMLM_SUSPEND_DUDMQ		(1U << 1)	/* delete the log queue */
#define NVME_HMLM_SUSPEND_KEEP		(1U << 2)	/* no resume on close */
#define NVME_HMLM_SUSPEND_FLAGS		(NVME_HMLM_SUSPEND_NOTIFY | \
					 NVME_HMLM_SUSPEND_DUDMQ | \
					 NVME_HMLM_SUSPEND_KEEP)

/**
 * struct nvme_hmlm_suspend - ioctl(NVME_HMLM_SUSPEND)
 * @size: sizeof(struct nvme_hmlm_suspend)
 * @flags: NVME_HMLM_SUSPEND_NOTIFY sends a Suspend Notification (STYPE 0h,
 *	nothing is suspended); otherwise a Suspend (STYPE 1h) is sent.
 *	NVME_HMLM_SUSPEND_DUDMQ sets DUDMQ: the device deletes the session's
 *	User Data Migration Queue after posting its "suspended" entry; the log
 *	fd then returns the remaining records and end of file.
 *	NVME_HMLM_SUSPEND_KEEP: the controller is not resumed when the session
 *	ends (see "Session states"). DUDMQ and KEEP need a Suspend.
 * @timeout_ms: How long to wait for the Suspend to complete (the device
 *	first drains the controller); 0 or more than the NVMe admin timeout
 *	means the admin timeout.
 * @out_nvme_status: The NVMe status when the command failed, else 0.
 *
 * Migration Send, Suspend. The wait is interruptible. If it ends by a
 * signal (EINTR) or by @timeout_ms (ETIMEDOUT), the command is still in
 * flight; until it completes SUSPEND, RESUME, GET_STATE, SET_STATE and
 * LOG_START fail with EBUSY, and when it has completed the session knows
 * its outcome. Suspending a suspended controller succeeds.
 */
struct nvme_hmlm_suspend {
	__u32	size;
	__u32	flags;
	__u32	timeout_ms;
	__u32	out_nvme_status;
};

#define NVME_HMLM_SUSPEND	_IO(NVME_HMLM_TYPE, NVME_HMLM_CMD_SUSPEND)

/**
 * struct nvme_hmlm_resume - ioctl(NVME_HMLM_RESUME)
 * @size: sizeof(struct nvme_hmlm_resume)
 * @flags: Must be 0.
 * @out_nvme_status: The NVMe status when the command failed, else 0; for
 *	instance Controller Not Suspended (SCT 1h, SC 3Ah) or Command Sequence
 *	Error (0Ch) while a Set Controller State sequence is open.
 * @__reserved: Must be 0.
 *
 * Migration Send, Resume.
 */
struct nvme_hmlm_resume {
	__u32	size;
	__u32	flags;
	__u32	out_nvme_status;
	__u32	__reserved;
};

#define NVME_HMLM_RESUME	_IO(NVME_HMLM_TYPE, NVME_HMLM_CMD_RESUME)

/* Controller state: the header (48 bytes) and its size fields */
#define NVME_HMLM_STATE_HDR_LEN		48

/* GET_STATE flags */
#define NVME_HMLM_STATE_SIZE		(1U << 0)	/* size query only */
/* GET_STATE out_flags */
#define NVME_HMLM_STATE_OUT_CSUP	(1U << 0)

/**
 * struct nvme_hmlm_get_state - ioctl(NVME_HMLM_GET_STATE)
 * @size: sizeof(struct nvme_hmlm_get_state)
 * @flags: NVME_HMLM_STATE_SIZE: only read the header and report
 *	@out_len; @buf_uptr and @buf_len are ignored.
 * @csvi: NVMe Controller State Version Index (1-based index into the
 *	MMC's CNS 20h version list, see GET_CAPS); 0: no NVMe part.
 * @csuuidi: Vendor specific state UUID index; 0: no vendor part.
 * @csuidxp: Vendor specific CSUIDXP byte, passed as is.
 * @__reserved: Must be 0.
 * @chunk_len: Bytes per Migration Receive command; 0 means the MMC's
 *	maximum transfer. Must be a multiple of 4 and not more than the
 *	maximum transfer (GET_CAPS out_max_xfer).
 * @buf_uptr: User buffer for the state.
 * @buf_len: Its length in bytes.
 * @out_len: Bytes of the whole Controller State data structure:
 *	48 + 4 * (NVMECSS + VSS).
 * @out_nvme_status: The NVMe status when a command failed, else 0.
 * @out_flags: NVME_HMLM_STATE_OUT_CSUP when the device reported the
 *	controller suspended for every command of the transfer (so the image
 *	is consistent).
 *
 * Migration Receive, Get Controller State, at increasing offsets,
 * @chunk_len bytes at a time, into @buf_uptr. The first command asks for
 * as much as @buf_len and @chunk_len allow; the header it returns gives
 * @out_len, and nothing past it is copied. If @buf_len is smaller than
 * @out_len the ioctl fails with EMSGSIZE (and copies the structure out).
 * Only a @chunk_len or @buf_len below 48 makes the header a command of its
 * own first; if the sizes in the header then change during the transfer
 * (the controller was not suspended) it fails with EAGAIN.
 */
struct nvme_hmlm_get_state {
	__u32		size;
	__u32		flags;
	__u8		csvi;
	__u8		csuuidi;
	__u8		csuidxp;
	__u8		__reserved;
	__u32		chunk_len;
	__aligned_u64	buf_uptr;
	__aligned_u64	buf_len;
	__aligned_u64	out_len;
	__u32		out_nvme_status;
	__u32		out_flags;
};

#define NVME_HMLM_GET_STATE	_IO(NVME_HMLM_TYPE, NVME_HMLM_CMD_GET_STATE)

/* Largest controller state SET_STATE accepts, bytes */
#define NVME_HMLM_STATE_MAX_LEN		(16U << 20)

/**
 * struct nvme_hmlm_set_state - ioctl(NVME_HMLM_SET_STATE)
 * @size: sizeof(struct nvme_hmlm_set_state)
 * @flags: Must be 0.
 * @csvi: CSVI on the target MMC; must be 0 exactly when NVMECSS is 0.
 * @csuuidi: CSUUIDI on the target MMC; must be 0 exactly when VSS is 0.
 * @__reserved: Must be 0.
 * @chunk_len: Bytes per Migration Send command, as in GET_STATE.
 * @buf_uptr: The Controller State data structure (from GET_STATE).
 * @buf_len: Its length: exactly 48 + 4 * (NVMECSS + VSS), at most
 *	NVME_HMLM_STATE_MAX_LEN.
 * @out_nvme_status: The NVMe status when a command failed, else 0.
 * @out_attempts: How many times the sequence was sent (1 or 2).
 *
 * Migration Send, Set Controller State. Checked before anything is sent
 * (EINVAL): header VER 0, the upper 64 bits of NVMECSS and VSS zero, the
 * sizes consistent with @buf_len, an NVMe part with VER 0 and NVMECSS = 2 +
 * 6 * (NIOSQ + NIOCQ), not both @csvi and @csuuidi zero, and @csvi and
 * @csuuidi within the target MMC's CNS 20h lists. The state is sent in
 * @chunk_len pieces: one command with SEQIND 11b, or 01b, 00b..., 10b. When
 * a command fails with an NVMe status without DNR, the whole sequence is
 * sent once more from the start (the specification asks the host to resend
 * the entire state); a status with DNR, or a second failure, is returned.
 */
struct nvme_hmlm_set_state {
	__u32		size;
	__u32		flags;
	__u8		csvi;
	__u8		csuuidi;
	__u16		__reserved;
	__u32		chunk_len;
	__aligned_u64	buf_uptr;
	__aligned_u64	buf_len;
	__u32		out_nvme_status;
	__u32		out_attempts;
};

#define NVME_HMLM_SET_STATE	_IO(NVME_HMLM_TYPE, NVME_HMLM_CMD_SET_STATE)

/* LOG_START flags */
#define NVME_HMLM_LOG_PRP_LIST		(1U << 0)	/* force PC = 0 */
#define NVME_HMLM_LOG_NONBLOCK		(1U << 1)	/* O_NONBLOCK log fd */
#define NVME_HMLM_LOG_FLAGS		(NVME_HMLM_LOG_PRP_LIST | \
					 NVME_HMLM_LOG_NONBLOCK)
#define NVME_HMLM_LOG_MIN_ENTRIES	2
#define NVME_HMLM_LOG_MAX_ENTRIES	65536

/**
 * struct nvme_hmlm_log_start - ioctl(NVME_HMLM_LOG_START)
 * @size: sizeof(struct nvme_hmlm_log_start)
 * @flags: NVME_HMLM_LOG_PRP_LIST: build the queue from single pages and a
 *	PRP list (PC = 0) even if a contiguous buffer is available.
 *	NVME_HMLM_LOG_NONBLOCK: open the log fd with O_NONBLOCK.
 * @entries: Queue size in 32-byte slots, NVME_HMLM_LOG_MIN_ENTRIES to
 *	NVME_HMLM_LOG_MAX_ENTRIES. The device fills at most @entries - 1
 *	slots (one of them for the "first" marker), then posts the "full"
 *	marker and stops logging. With a PRP list the queue needs one page
 *	per 4 KiB and at most MCDQPC pages and MCMR memory ranges (EINVAL if
 *	forced, ENOMEM otherwise).
 * @__reserved: Must be 0.
 * @out_fd: The log fd (O_CLOEXEC, read-only).
 * @out_cdqid: The Controller Data Queue identifier the device gave.
 * @out_pc: 1 if the queue is one contiguous buffer, 0 for a PRP list.
 * @__reserved2: Written as 0.
 * @out_nvme_status: The NVMe status when a command failed, else 0.
 * @__reserved3: Must be 0.
 *
 * Creates the User Data Migration Queue of the migratable controller
 * (Controller Data Queue Create, zeroed kernel memory) and starts logging
 * (Track Send, Log User Data Changes, start). The queue belongs to the
 * kernel; the log fd hands its entries out as &struct nvme_hmlm_log_rec.
 * One log per session (EBUSY); EOPNOTSUPP if the MMC lacks TRATTR.TUDCS
 * or uses an LBA Migration Queue format other than Type 0.
 *
 * The log fd: read() returns whole records (EINVAL for a buffer smaller
 * than one), blocks while there is none (EAGAIN with O_NONBLOCK), and
 * returns 0 (end of file) after the last record of a finished log: the
 * "stopped" or "full" marker, or the "suspended" marker of a queue that
 * SUSPEND with NVME_HMLM_SUSPEND_DUDMQ deleted. poll()/epoll report
 * EPOLLIN when a record or end of file is ready; arrival is signalled by
 * the device's CDQ Tail Pointer event (every head update arms the
 * trigger). Consumed entries are released to the device asynchronously
 * (Set Features, Controller Data Queue head), in batches. After a reset or
 * removal of the MMC the fd reads ENODEV and owns no DMA memory. ioctl
 * NVME_HMLM_LOG_STOP on the log fd stops logging; the remaining records
 * stay readable. Closing the log fd stops logging if it is on and deletes
 * the queue.
 */
struct nvme_hmlm_log_start {
	__u32	size;
	__u32	flags;
	__u32	entries;
	__u32	__reserved;
	__s32	out_fd;
	__u16	out_cdqid;
	__u8	out_pc;
	__u8	__reserved2;
	__u32	out_nvme_status;
	__u32	__reserved3;
};

#define NVME_HMLM_LOG_START	_IO(NVME_HMLM_TYPE, NVME_HMLM_CMD_LOG_START)

/* &struct nvme_hmlm_log_rec.kind */
#define NVME_HMLM_REC_RANGE	0	/* @slba, @nlb of @nsid changed */
#define NVME_HMLM_REC_NS	1	/* every LBA of @nsid changed */
#define NVME_HMLM_REC_NONE	2	/* no LBA: a marker only */
/* &struct nvme_hmlm_log_rec.marker (the entry's ESA) */
#define NVME_HMLM_MARK_NONE	0
#define NVME_HMLM_MARK_FIRST	1	/* logging started or resumed */
#define NVME_HMLM_MARK_STOPPED	2	/* logging stopped (LOG_STOP) */
#define NVME_HMLM_MARK_SUSPENDED 3	/* controller suspended */
#define NVME_HMLM_MARK_FULL	7	/* queue full: logging stopped, changes lost */
/* &struct nvme_hmlm_log_rec.flags */
#define NVME_HMLM_REC_DEALLOC	(1U << 0)	/* the LBAs were deallocated */

/**
 * struct nvme_hmlm_log_rec - one record of the log fd
 * @nsid: Namespace of the change; 0 for a marker without a range.
 * @kind: NVME_HMLM_REC_*: what @slba and @nlb mean.
 * @marker: NVME_HMLM_MARK_*: the entry's sequence attribute. A "full"
 *	record may carry a range too. After "full" every change since is
 *	unknown: the caller must copy the namespaces again.
 * @flags: NVME_HMLM_REC_DEALLOC.
 * @__reserved: 0.
 * @slba: First LBA (NVME_HMLM_REC_RANGE), else 0.
 * @nlb: Number of LBAs, 1-based (NVME_HMLM_REC_RANGE), else 0.
 * @seq: Index of the entry since LOG_START, from 0 without gaps.
 *
 * One LBA Migration Queue entry (Type 0), decoded.
 */
struct nvme_hmlm_log_rec {
	__u32	nsid;
	__u8	kind;
	__u8	marker;
	__u8	flags;
	__u8	__reserved;
	__u64	slba;
	__u64	nlb;
	__u64	seq;
};

/**
 * struct nvme_hmlm_log_stop - ioctl(NVME_HMLM_LOG_STOP) on the log fd
 * @size: sizeof(struct nvme_hmlm_log_stop)
 * @flags: Must be 0.
 * @out_nvme_status: The NVMe status when the command failed, else 0 (for
 *	instance Controller Suspended, SC 39h, while suspended).
 * @__reserved: Must be 0.
 *
 * Track Send, Log User Data Changes, stop. The device posts the "stopped"
 * marker; the records before it stay readable, then read() returns 0.
 * Stopping a log that already ended succeeds.
 */
struct nvme_hmlm_log_stop {
	__u32	size;
	__u32	flags;
	__u32	out_nvme_status;
	__u32	__reserved;
};

#define NVME_HMLM_LOG_STOP	_IO(NVME_HMLM_TYPE, NVME_HMLM_CMD_LOG_STOP)

/* TRACK_MEM operations */
#define NVME_HMLM_TRACK_START	0
#define NVME_HMLM_TRACK_STOP	1
#define NVME_HMLM_TRACK_RECV	2
/* TRACK_MEM out_attrs (RECV) */
#define NVME_HMLM_TRACK_MTR	(1U << 0)	/* more to report */
#define NVME_HMLM_TRACK_SUSP	(1U << 1)	/* controller suspended */
#define NVME_HMLM_TRACK_MAX_RANGES	4096

/**
 * struct nvme_hmlm_mem_range - a host memory range
 * @addr: Start address as the migratable controller uses it (its DMA
 *	address), aligned to the granularity.
 * @len: Length in units of the granularity.
 * @__reserved: Must be 0 (written as 0 by RECV).
 */
struct nvme_hmlm_mem_range {
	__u64	addr;
	__u32	len;
	__u32	__reserved;
};

/**
 * struct nvme_hmlm_track_mem - ioctl(NVME_HMLM_TRACK_MEM)
 * @size: sizeof(struct nvme_hmlm_track_mem)
 * @flags: Must be 0.
 * @op: NVME_HMLM_TRACK_START, _STOP or _RECV.
 * @gran: START: the requested granularity RMRTG, 2^@gran * 4 KiB; must be
 *	0 otherwise.
 * @__reserved: Must be 0.
 * @num: START: number of ranges at @ranges_uptr (1 to
 *	NVME_HMLM_TRACK_MAX_RANGES). RECV: in, how many ranges fit at
 *	@ranges_uptr (at least 1); out, how many were written. STOP: 0.
 * @ranges_uptr: Array of &struct nvme_hmlm_mem_range.
 * @out_nvme_status: The NVMe status when the command failed, else 0.
 * @out_attrs: RECV: NVME_HMLM_TRACK_MTR, NVME_HMLM_TRACK_SUSP.
 * @out_gran: RECV: the granularity of the ranges (RPMPG). START failing
 *	with Not Enough Resources (SC 38h): the lowest granularity the device
 *	can track the ranges at (MRTG).
 * @__reserved2: Written as 0.
 * @out_max_ranges: START failing with Not Enough Resources: how many
 *	ranges the device can track at @gran (NMRTD).
 * @__reserved3: Must be 0.
 *
 * Track Send, Track Memory Changes (START with the ranges, STOP) and Track
 * Receive (RECV; reported changes are removed from the device). START
 * while this session tracks: EBUSY. STOP when not tracking: success.
 */
struct nvme_hmlm_track_mem {
	__u32		size;
	__u32		flags;
	__u32		op;
	__u8		gran;
	__u8		__reserved[3];
	__u32		num;
	__u32		out_nvme_status;
	__aligned_u64	ranges_uptr;
	__u32		out_attrs;
	__u8		out_gran;
	__u8		__reserved2[3];
	__u32		out_max_ranges;
	__u32		__reserved3;
};

#define NVME_HMLM_TRACK_MEM	_IO(NVME_HMLM_TYPE, NVME_HMLM_CMD_TRACK_MEM)

/* GET_ALLOC_LBAS out_flags */
#define NVME_HMLM_ALLOC_DONE	(1U << 0)	/* reached the namespace end */

/**
 * struct nvme_hmlm_lba_range - a range of allocated LBAs
 * @slba: First LBA.
 * @nlb: Number of LBAs, 1-based.
 */
struct nvme_hmlm_lba_range {
	__u64	slba;
	__u64	nlb;
};

/**
 * struct nvme_hmlm_alloc_lbas - ioctl(NVME_HMLM_GET_ALLOC_LBAS)
 * @size: sizeof(struct nvme_hmlm_alloc_lbas)
 * @flags: Must be 0.
 * @nsid: Namespace (of the MMC) to report.
 * @num: In: how many ranges fit at @ranges_uptr (at least 1). Out: how
 *	many were written.
 * @slba: First LBA to report from.
 * @ranges_uptr: Array of &struct nvme_hmlm_lba_range, ascending.
 * @out_next_lba: Where to continue (the @slba of the next call) when
 *	NVME_HMLM_ALLOC_DONE is not set.
 * @out_nvme_status: The NVMe status when a command failed, else 0 (for
 *	instance LBA Out of Range for an @slba past the end).
 * @out_flags: NVME_HMLM_ALLOC_DONE: every allocated range from @slba to
 *	the end of the namespace was written.
 *
 * Get LBA Status, ATYPE 02h (tracked allocated LBAs), repeated in the
 * kernel until @num ranges are filled or the device reports the namespace
 * complete. Units of TLBAAG LBAs that hold any allocated LBA are reported;
 * adjacent ranges are merged. A device without AOCS.RALBAS answers with
 * an NVMe status.
 */
struct nvme_hmlm_alloc_lbas {
	__u32		size;
	__u32		flags;
	__u32		nsid;
	__u32		num;
	__aligned_u64	slba;
	__aligned_u64	ranges_uptr;
	__aligned_u64	out_next_lba;
	__u32		out_nvme_status;
	__u32		out_flags;
};

#define NVME_HMLM_GET_ALLOC_LBAS \
	_IO(NVME_HMLM_TYPE, NVME_HMLM_CMD_GET_ALLOC_LBAS)

#endif /* _UAPI_LINUX_NVME_HMLM_H */
