/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libhmlm: NVMe Host Managed Live Migration for hypervisor management
 * daemons, on top of the nvme-hmlm kernel module (/dev/nvme-hmlm).
 *
 * Conventions (as liburing): functions return 0 or a positive count on
 * success and a negative errno on failure; they never print. When an NVMe
 * command failed with a status the function returns -EIO and the status is
 * available from the call's output structure or hmlm_session_nvme_status().
 */
#ifndef HMLM_H
#define HMLM_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HMLM_DEV_PATH		"/dev/nvme-hmlm"

/*
 * The library's version: HMLM_VERSION is the header's, hmlm_version() the
 * running library's (the same encoding), e.g. to check at run time that
 * the library is at least as new as the header a program was built with.
 */
#define HMLM_VERSION_MAJOR	0
#define HMLM_VERSION_MINOR	5
#define HMLM_VERSION_PATCH	0
#define HMLM_VERSION_CODE(major, minor, patch) \
	(((uint32_t)(major) << 16) | ((uint32_t)(minor) << 8) | (uint32_t)(patch))
#define HMLM_VERSION	HMLM_VERSION_CODE(HMLM_VERSION_MAJOR, \
					  HMLM_VERSION_MINOR, \
					  HMLM_VERSION_PATCH)

uint32_t hmlm_version(void);

/*
 * Extensible structures. Every structure the caller allocates for the
 * library to read or fill begins with "uint32_t size", which the caller
 * sets to sizeof() the structure as its header declares it. Fields are
 * only ever appended.
 *
 * Read by the library (struct hmlm_migrate_params): a size below the
 * first version's (*_SIZE_VER0) is -EINVAL; a smaller size than the
 * library's reads the missing fields as zero; a larger one (at most 4096)
 * is accepted when every byte the library does not know is zero, else
 * -E2BIG. Unknown flag bits are -EINVAL.
 *
 * Filled by the library (struct hmlm_migrate_report, struct hmlm_caps): a
 * size below *_SIZE_VER0 is -EINVAL; the library writes
 * min(size, its own size) bytes and sets size to that: fields past it
 * were not written.
 */

/* hmlm_caps.flags */
#define HMLM_CAP_HMLMS		(1U << 0)	/* the controller can be an MMC */
#define HMLM_CAP_RALBAS		(1U << 1)	/* Get LBA Status ATYPE 02h */
#define HMLM_CAP_SEC_LIST	(1U << 2)	/* secondary controller list read */
#define HMLM_CAP_STATE_FMTS	(1U << 3)	/* state formats (CNS 20h) read */
#define HMLM_CAP_TRACK_MEM	(1U << 4)	/* TRATTR.THMCS */
#define HMLM_CAP_TRACK_LBA	(1U << 5)	/* TRATTR.TUDCS */
#define HMLM_CAP_MRTLL		(1U << 6)	/* tracked lengths: powers of 2 */

#define HMLM_MAX_STATE_FORMATS	8

/**
 * struct hmlm_caps - what a controller offers for live migration
 *
 * @size is sizeof(struct hmlm_caps), set by the caller (see "Extensible
 * structures").
 */
struct hmlm_caps {
	uint32_t size;
	uint32_t flags;		/* HMLM_CAP_* */
	uint16_t cntlid;	/* the controller's own CNTLID */
	uint16_t oacs;
	uint32_t max_xfer;	/* bytes per command, as the kernel limits it */
	uint16_t nvme_status;	/* of a failed Identify, when -EIO */
	uint8_t min_mem_gran;	/* MINMRTG: 2^n * 4 KiB */
	uint8_t max_mem_gran;	/* MAXMRTG */
	uint16_t max_mem_ranges;	/* CMMRTD */
	uint16_t max_mem_ranges_subsys;	/* NMMRTD */
	uint16_t max_udmq;	/* MCUDMQ */
	uint16_t max_udmq_subsys;	/* MNSUDMQ */
	uint16_t max_cdq_ranges;	/* MCMR */
	uint16_t max_cdq_ranges_subsys;	/* NMCMR */
	uint16_t max_cdq_prps;	/* MCDQPC */
	uint8_t lba_mq_format;	/* LBAMQF */
	uint8_t num_state_versions;
	uint16_t state_versions[HMLM_MAX_STATE_FORMATS];	/* CSVI n: [n-1] */
	uint8_t num_state_uuids;
	uint8_t state_uuids[HMLM_MAX_STATE_FORMATS][16];	/* CSUUIDI n: [n-1] */
};

#define HMLM_CAPS_SIZE_VER0	184	/* the 0.4 layout */

/**
 * struct hmlm_secondary - one migratable (secondary) controller of an MMC
 */
struct hmlm_secondary {
	uint16_t cntlid;	/* SCID: what a session binds to */
	uint16_t primary_cntlid;
	uint16_t vf;		/* SR-IOV VF number, 1 for VF1 */
	uint16_t queues;	/* virtual queue resources */
	uint16_t interrupts;	/* virtual interrupt resources */
	bool online;
};

struct hmlm_session;

int hmlm_get_caps(const char *nvme_dev, struct hmlm_caps *caps);
int hmlm_list_secondary(const char *nvme_dev, struct hmlm_secondary **list);
int hmlm_vf_cntlid(const char *nvme_dev, const char *vf, uint16_t *cntlid);

int hmlm_session_open(const char *mmc_dev, uint16_t cntlid,
		      struct hmlm_session **session);
/* hmlm_session_open_flags() */
#define HMLM_SESSION_DATA	(1U << 0)	/* data only, beside the holder */
int hmlm_session_open_flags(const char *mmc_dev, uint16_t cntlid,
			    unsigned int flags, struct hmlm_session **session);
void hmlm_session_close(struct hmlm_session *session);
int hmlm_session_fd(const struct hmlm_session *session);
uint16_t hmlm_session_cntlid(const struct hmlm_session *session);
uint16_t hmlm_session_nvme_status(const struct hmlm_session *session);

/* --- migration stream --- */
#include <stddef.h>	/* size_t */

/*
 * The portable migration stream (Documentation/stream-format.rst): a
 * versioned sequence of checksummed records written to and read from any fd
 * (pipes and sockets included; the library never seeks).
 */
#define HMLM_STREAM_VERSION_MAJOR	2
#define HMLM_STREAM_VERSION_MINOR	0

#define HMLM_STREAM_MAX_PAYLOAD	(16U << 20)	/* bytes; larger: -EMSGSIZE */
#define HMLM_STREAM_CHUNK	(1U << 20)	/* data bytes per record written */
#define HMLM_STREAM_MAX_NS	1024
#define HMLM_STREAM_NQN_LEN	256		/* with the NUL */
#define HMLM_STREAM_SERIAL_LEN	20		/* without the NUL */
#define HMLM_STREAM_MEM_RANGES	65536		/* ranges per record written */

/* Record types (struct hmlm_stream_record.type) */
#define HMLM_STREAM_REC_HEADER	1	/* consumed by hmlm_stream_reader_open() */
#define HMLM_STREAM_REC_DATA	2	/* namespace data, round 0 */
#define HMLM_STREAM_REC_DIRTY	3	/* dirty namespace data, round >= 1 */
#define HMLM_STREAM_REC_DEALLOC	4	/* deallocated/zeroed range, no data */
#define HMLM_STREAM_REC_MEM	5	/* dirty host memory ranges */
#define HMLM_STREAM_REC_STATE	6	/* controller state */
#define HMLM_STREAM_REC_ROUND	7	/* progress: a round starts */
#define HMLM_STREAM_REC_END	8	/* consumed by hmlm_stream_read_record() */

/* Record flags (struct hmlm_stream_record.flags) */
#define HMLM_STREAM_F_MAY_SKIP	(1U << 0)	/* readers may skip if unknown */

/* struct hmlm_stream_extent.flags for HMLM_STREAM_REC_DEALLOC */
#define HMLM_STREAM_DEALLOC_ZEROES	(1U << 0)	/* reads return zeroes */

/* struct hmlm_stream_state.flags */
#define HMLM_STREAM_STATE_NVME		(1U << 0)	/* has an NVMe part */
#define HMLM_STREAM_STATE_VENDOR	(1U << 1)	/* has a vendor part */

/* struct hmlm_stream_round.flags */
#define HMLM_STREAM_ROUND_FINAL		(1U << 0)	/* stop-and-copy round */

/* hmlm_stream_reader_open() flags */
#define HMLM_STREAM_READER_STRICT_EOF	(1U << 0)	/* EOF must follow END */

/**
 * struct hmlm_stream_ns - one namespace of the migrated controller
 */
struct hmlm_stream_ns {
	uint32_t nsid;
	uint32_t lba_size;	/* bytes: a power of 2, 512 .. 1 MiB */
	uint64_t nlbas;		/* capacity in logical blocks */
};

/**
 * struct hmlm_stream_fmt - the controller state format a stream carries
 *
 * Announced in the HEADER, so a target can refuse a format it cannot take
 * before anything is copied; the STATE record must match it. All zero:
 * not announced.
 */
struct hmlm_stream_fmt {
	uint16_t flags;		/* HMLM_STREAM_STATE_* */
	uint16_t nvme_version;	/* with HMLM_STREAM_STATE_NVME */
	uint8_t uuid[16];	/* with HMLM_STREAM_STATE_VENDOR */
};

/**
 * struct hmlm_stream_info - what the stream header says about the source
 */
struct hmlm_stream_info {
	uint16_t version_major;	/* reader: the stream's; writer: ignored */
	uint16_t version_minor;
	uint16_t cntlid;	/* the migrated controller's CNTLID */
	uint16_t rsvd;
	uint32_t caps;		/* HMLM_CAP_* of the source MMC */
	char subnqn[HMLM_STREAM_NQN_LEN];	/* NUL-terminated */
	char serial[HMLM_STREAM_SERIAL_LEN + 1];	/* MMC serial, NUL-terminated */
	uint32_t num_ns;	/* at most HMLM_STREAM_MAX_NS */
	const struct hmlm_stream_ns *ns;	/* reader: owned by the reader */
	struct hmlm_stream_fmt state_fmt;	/* the STATE record to come */
};

/**
 * struct hmlm_stream_io - the stream over the caller's channel
 * @size: sizeof(struct hmlm_stream_io); larger: -E2BIG.
 * @flags: 0.
 * @read: Reader: up to @len bytes into @buf; the count, 0 at end of file
 *	or a negative errno (-EINTR and -EAGAIN: called again).
 * @write: Writer: some of @len bytes from @buf; the count (> 0) or a
 *	negative errno (-EINTR and -EAGAIN: called again).
 * @arg: Their first argument.
 *
 * The reader asks for exactly the bytes of the next record and never
 * reads past END, so the channel may carry other data after the stream.
 */
struct hmlm_stream_io {
	uint32_t size;
	uint32_t flags;
	long (*read)(void *arg, void *buf, size_t len);
	long (*write)(void *arg, const void *buf, size_t len);
	void *arg;
};

/**
 * struct hmlm_stream_extent - LBA range (DATA, DIRTY, DEALLOC records)
 */
struct hmlm_stream_extent {
	uint32_t nsid;
	uint32_t round;		/* DATA: 0; DIRTY: >= 1 */
	uint64_t slba;
	uint64_t nlb;		/* number of logical blocks, 1's based */
	uint32_t flags;		/* DEALLOC: HMLM_STREAM_DEALLOC_* */
	const void *data;	/* nlb * lba_size bytes; NULL for DEALLOC */
	uint64_t len;		/* reader: bytes at data */
};

/**
 * struct hmlm_stream_state - the controller state (STATE record)
 *
 * @data is the Controller State data structure as Get Controller State
 * returned it: the 48-byte header, the NVMe part, the vendor part.
 * @nvme_version is the NVMe Controller State version that the source's
 * CSVI selected (its CNS 20h list value), @uuid the vendor-specific state
 * UUID its CSUUIDI selected; the target looks both up in its own lists.
 */
struct hmlm_stream_state {
	uint16_t flags;		/* HMLM_STREAM_STATE_* */
	uint16_t nvme_version;
	uint8_t uuid[16];
	const void *data;
	uint64_t len;
};

/**
 * struct hmlm_stream_mem_range - a dirty host memory range
 */
struct hmlm_stream_mem_range {
	uint64_t start;
	uint64_t len;
};

/**
 * struct hmlm_stream_mem - dirty host memory ranges (MEM record)
 */
struct hmlm_stream_mem {
	uint32_t round;
	uint32_t count;
	uint64_t granularity;	/* bytes, the tracking granularity */
	const struct hmlm_stream_mem_range *ranges;
};

/**
 * struct hmlm_stream_round - a progress marker (ROUND record)
 */
struct hmlm_stream_round {
	uint32_t round;
	uint32_t flags;		/* HMLM_STREAM_ROUND_* */
	uint64_t dirty_bytes;	/* the source's dirty bytes as the round starts */
};

/**
 * struct hmlm_stream_record - one verified record, as the reader returns it
 *
 * Pointers (extent.data, state.data, mem.ranges) point into the reader and
 * stay valid until the next hmlm_stream_read_record() or the close.
 */
struct hmlm_stream_record {
	uint16_t type;		/* HMLM_STREAM_REC_* */
	uint16_t flags;		/* HMLM_STREAM_F_* */
	uint32_t seq;		/* the record's index in the stream */
	union {
		struct hmlm_stream_extent extent;	/* DATA, DIRTY, DEALLOC */
		struct hmlm_stream_state state;
		struct hmlm_stream_mem mem;
		struct hmlm_stream_round round;
	};
};

struct hmlm_stream_writer;
struct hmlm_stream_reader;

uint32_t hmlm_crc32c(uint32_t crc, const void *buf, size_t len);

int hmlm_stream_writer_open(int fd, const struct hmlm_stream_info *info,
			    unsigned int flags,
			    struct hmlm_stream_writer **writer);
int hmlm_stream_write_extent(struct hmlm_stream_writer *writer,
			     const struct hmlm_stream_extent *ext);
int hmlm_stream_write_dealloc(struct hmlm_stream_writer *writer,
			      const struct hmlm_stream_extent *ext);
int hmlm_stream_write_mem(struct hmlm_stream_writer *writer,
			  const struct hmlm_stream_mem *mem);
int hmlm_stream_write_state(struct hmlm_stream_writer *writer,
			    const struct hmlm_stream_state *state);
int hmlm_stream_write_round(struct hmlm_stream_writer *writer,
			    const struct hmlm_stream_round *round);
int hmlm_stream_writer_open_io(const struct hmlm_stream_io *io,
			       const struct hmlm_stream_info *info,
			       unsigned int flags,
			       struct hmlm_stream_writer **writer);
int hmlm_stream_writer_set_deadline(struct hmlm_stream_writer *writer,
				    uint64_t deadline_ns);
int hmlm_stream_writer_finish(struct hmlm_stream_writer *writer);
uint64_t hmlm_stream_writer_bytes(const struct hmlm_stream_writer *writer);
void hmlm_stream_writer_close(struct hmlm_stream_writer *writer);

int hmlm_stream_reader_open(int fd, unsigned int flags,
			    struct hmlm_stream_info *info,
			    struct hmlm_stream_reader **reader);
int hmlm_stream_reader_open_io(const struct hmlm_stream_io *io,
			       unsigned int flags,
			       struct hmlm_stream_info *info,
			       struct hmlm_stream_reader **reader);
int hmlm_stream_reader_set_deadline(struct hmlm_stream_reader *reader,
				    uint64_t deadline_ns);
int hmlm_stream_read_record(struct hmlm_stream_reader *reader,
			    struct hmlm_stream_record *rec);
uint64_t hmlm_stream_reader_bytes(const struct hmlm_stream_reader *reader);
void hmlm_stream_reader_close(struct hmlm_stream_reader *reader);
/* --- end migration stream --- */

/* --- dirty extents --- */
/*
 * The dirty-extent set: LBA ranges of one or more namespaces, rounded out
 * to a per-namespace granularity, merged, kept sorted, bounded in number.
 */
#define HMLM_NSID_ALL		0xffffffffU

/**
 * struct hmlm_extent - one dirty extent, as hmlm_extents_next() gives it
 */
struct hmlm_extent {
	uint32_t nsid;
	uint32_t rsvd;
	uint64_t slba;
	uint64_t nlb;		/* 1's based */
};

struct hmlm_extents;

int hmlm_extents_new(size_t max_extents, struct hmlm_extents **set);
void hmlm_extents_free(struct hmlm_extents *set);
int hmlm_extents_add_ns(struct hmlm_extents *set, uint32_t nsid,
			uint64_t nlbas, uint32_t lba_size, uint64_t granularity);
int hmlm_extents_add(struct hmlm_extents *set, uint32_t nsid, uint64_t slba,
		     uint64_t nlb);
int hmlm_extents_mark_all(struct hmlm_extents *set, uint32_t nsid);
int hmlm_extents_remove(struct hmlm_extents *set, uint32_t nsid,
			uint64_t slba, uint64_t nlb);
int hmlm_extents_next(const struct hmlm_extents *set, struct hmlm_extent *ext);
size_t hmlm_extents_count(const struct hmlm_extents *set);
uint64_t hmlm_extents_bytes(const struct hmlm_extents *set, uint32_t nsid);
uint64_t hmlm_extents_granularity(const struct hmlm_extents *set,
				  uint32_t nsid);
/* --- end dirty extents --- */

/* --- migration --- */
/*
 * Session operations, the migration-queue reader, the allocated-LBA
 * iterator, memory tracking and the migration orchestrator
 * (Documentation/libhmlm.rst, "Migrating a controller").
 */
int hmlm_session_caps(struct hmlm_session *session, struct hmlm_caps *caps);

/* hmlm_suspend() flags */
#define HMLM_SUSPEND_NOTIFY	(1U << 0)	/* Suspend Notification only */
#define HMLM_SUSPEND_DUDMQ	(1U << 1)	/* delete the migration queue */
#define HMLM_SUSPEND_KEEP	(1U << 2)	/* stay suspended after close */

int hmlm_suspend(struct hmlm_session *session, unsigned int flags,
		 unsigned int timeout_ms);
int hmlm_resume(struct hmlm_session *session);

/* struct hmlm_state.flags and struct hmlm_state_fmt.flags */
#define HMLM_STATE_NVME		(1U << 0)	/* NVMe part, @nvme_version */
#define HMLM_STATE_VENDOR	(1U << 1)	/* vendor part, @uuid */
#define HMLM_STATE_CONSISTENT	(1U << 2)	/* suspended throughout (CSUP) */

/**
 * struct hmlm_state_fmt - which controller state format to read
 * @flags: HMLM_STATE_NVME and/or HMLM_STATE_VENDOR.
 * @nvme_version: The NVMe Controller State version (a CNS 20h value).
 * @uuid: The vendor-specific state UUID.
 */
struct hmlm_state_fmt {
	uint32_t flags;
	uint16_t nvme_version;
	uint8_t uuid[16];
};

/**
 * struct hmlm_state - a controller state image (hmlm_state_get())
 * @flags: HMLM_STATE_*: the parts the image holds.
 * @nvme_version: Version of the NVMe part (the value, not the index).
 * @uuid: UUID of the vendor part.
 * @data: The Controller State data structure (header, NVMe part, vendor
 *	part); malloc()ed by hmlm_state_get(), freed by hmlm_state_free().
 * @len: Bytes at @data.
 */
struct hmlm_state {
	uint32_t flags;
	uint16_t nvme_version;
	uint8_t uuid[16];
	void *data;
	uint64_t len;
};

int hmlm_state_get(struct hmlm_session *session,
		   const struct hmlm_state_fmt *fmt, struct hmlm_state *state);
int hmlm_state_set(struct hmlm_session *session,
		   const struct hmlm_state *state);
void hmlm_state_free(struct hmlm_state *state);
int hmlm_state_fmt_common(const struct hmlm_caps *src,
			  const struct hmlm_caps *dst,
			  struct hmlm_state_fmt *fmt);

/* The migration queue (user data changes log) */
#define HMLM_LOG_NONBLOCK	(1U << 0)	/* hmlm_log_start(): O_NONBLOCK fd */
#define HMLM_LOG_PRP_LIST	(1U << 1)	/* force a PRP-list queue */
#define HMLM_LOG_DEFAULT_ENTRIES 4096

/* struct hmlm_log_rec.kind */
#define HMLM_LOG_REC_RANGE	0	/* @slba, @nlb of @nsid changed */
#define HMLM_LOG_REC_NS		1	/* every LBA of @nsid changed */
#define HMLM_LOG_REC_NONE	2	/* a marker only */
/* struct hmlm_log_rec.marker */
#define HMLM_LOG_MARK_NONE	0
#define HMLM_LOG_MARK_FIRST	1
#define HMLM_LOG_MARK_STOPPED	2
#define HMLM_LOG_MARK_SUSPENDED	3
#define HMLM_LOG_MARK_FULL	7
/* struct hmlm_log_rec.flags */
#define HMLM_LOG_REC_DEALLOC	(1U << 0)

/* hmlm_log_markers() bits */
#define HMLM_LOG_SEEN_FIRST	(1U << 0)
#define HMLM_LOG_SEEN_STOPPED	(1U << 1)
#define HMLM_LOG_SEEN_SUSPENDED	(1U << 2)
#define HMLM_LOG_SEEN_FULL	(1U << 3)	/* changes lost: recopy all */
#define HMLM_LOG_SEEN_EOF	(1U << 4)	/* the log ended */

/**
 * struct hmlm_log_rec - one migration queue entry, decoded
 */
struct hmlm_log_rec {
	uint32_t nsid;
	uint8_t kind;		/* HMLM_LOG_REC_* */
	uint8_t marker;		/* HMLM_LOG_MARK_* */
	uint8_t flags;		/* HMLM_LOG_REC_DEALLOC */
	uint8_t rsvd;
	uint64_t slba;
	uint64_t nlb;		/* 1's based */
	uint64_t seq;
};

struct hmlm_log;

int hmlm_log_start(struct hmlm_session *session, unsigned int entries,
		   unsigned int flags, struct hmlm_log **log);
int hmlm_log_fd(const struct hmlm_log *log);
int hmlm_log_read(struct hmlm_log *log, struct hmlm_log_rec *recs,
		  unsigned int max, int timeout_ms);
int hmlm_log_collect(struct hmlm_log *log, struct hmlm_extents *set,
		     int timeout_ms);
unsigned int hmlm_log_markers(const struct hmlm_log *log);
uint64_t hmlm_log_records(const struct hmlm_log *log);
int hmlm_log_stop(struct hmlm_log *log);
void hmlm_log_close(struct hmlm_log *log);

/* Allocated LBAs (Get LBA Status, ATYPE 02h) */
struct hmlm_lba_range {
	uint64_t slba;
	uint64_t nlb;		/* 1's based */
};

struct hmlm_alloc_iter;

int hmlm_alloc_iter_new(struct hmlm_session *session, uint32_t nsid,
			uint64_t slba, struct hmlm_alloc_iter **iter);
int hmlm_alloc_iter_next(struct hmlm_alloc_iter *iter,
			 struct hmlm_lba_range *range);
void hmlm_alloc_iter_free(struct hmlm_alloc_iter *iter);

/* Host memory tracking */
/**
 * struct hmlm_mem_range - a host memory range, in bytes
 * @addr: Start (the migratable controller's DMA address).
 * @len: Length in bytes.
 */
struct hmlm_mem_range {
	uint64_t addr;
	uint64_t len;
};

/**
 * struct hmlm_mem_limits - what the device can track (Not Enough Resources)
 * @min_gran: The lowest granularity (2^n * 4 KiB) it can track the ranges at.
 * @max_ranges: How many ranges it can track at the requested granularity.
 */
struct hmlm_mem_limits {
	uint8_t min_gran;
	uint32_t max_ranges;
};

/* hmlm_mem_track_recv() *attrs */
#define HMLM_MEM_MORE		(1U << 0)	/* MTR: more to report */
#define HMLM_MEM_SUSPENDED	(1U << 1)	/* SUSP: controller suspended */

int hmlm_mem_track_start(struct hmlm_session *session,
			 const struct hmlm_mem_range *ranges,
			 unsigned int nr_ranges, uint8_t gran,
			 struct hmlm_mem_limits *limits);
int hmlm_mem_track_recv(struct hmlm_session *session,
			struct hmlm_mem_range *ranges, unsigned int max,
			unsigned int *attrs);
int hmlm_mem_track_stop(struct hmlm_session *session);

/* The orchestrator */
enum hmlm_phase {
	HMLM_PHASE_PRECOPY,	/* copying the allocated LBAs */
	HMLM_PHASE_ROUND,	/* a round over the dirty extents starts */
	HMLM_PHASE_SUSPENDED,	/* the source is suspended; state not read */
	HMLM_PHASE_STOPCOPY,	/* copying the last dirty extents */
	HMLM_PHASE_STATE,	/* controller state read; no cancel after */
	HMLM_PHASE_RESUMED,	/* the target runs */
	HMLM_PHASE_DONE,
};

/**
 * struct hmlm_progress - what hmlm_migrate() tells its progress callback
 *
 * @size: How many bytes of it the library filled: fields past it are not
 *	there (an older library).
 */
struct hmlm_progress {
	uint32_t size;
	enum hmlm_phase phase;
	unsigned int round;	/* 0: pre-copy; 1..: dirty rounds */
	uint64_t bytes_done;	/* namespace bytes copied so far */
	uint64_t bytes_total;	/* allocated bytes plus dirty bytes known */
	uint64_t dirty_bytes;	/* dirty bytes as the round starts */
};

/* Non-zero cancels (ignored from HMLM_PHASE_STATE on). */
typedef int (*hmlm_progress_fn)(const struct hmlm_progress *p, void *arg);
/* Dirty host memory ranges as the device reports them; non-zero fails. */
typedef int (*hmlm_mem_fn)(const struct hmlm_mem_range *ranges,
			   unsigned int nr, void *arg);

/**
 * struct hmlm_ns_map - one namespace to move
 * @src_nsid: NSID on the source subsystem (what the migration queue names).
 * @dst_nsid: NSID on the target subsystem.
 * @src_bdev: Block device of the source namespace (read with O_DIRECT).
 * @dst_bdev: Block device of the target namespace (written with O_DIRECT).
 */
struct hmlm_ns_map {
	uint32_t src_nsid, dst_nsid;
	const char *src_bdev, *dst_bdev;
};

/* struct hmlm_migrate_params.flags */
#define HMLM_MIGRATE_NO_ALLOC	(1U << 0)	/* pre-copy whole namespaces */
#define HMLM_MIGRATE_NO_RESUME	(1U << 1)	/* leave the target suspended */
/* refuse (-EOPNOTSUPP) rather than run a reduced flow on a device subset */
#define HMLM_MIGRATE_NO_REDUCED	(1U << 2)
#define HMLM_MIGRATE_FLAGS	(HMLM_MIGRATE_NO_ALLOC | HMLM_MIGRATE_NO_RESUME | \
				 HMLM_MIGRATE_NO_REDUCED)

#define HMLM_MIGRATE_MAX_ROUNDS	16

/**
 * struct hmlm_migrate_params - how to migrate
 * @size: sizeof(struct hmlm_migrate_params) (see "Extensible structures";
 *	a NULL @params means all defaults).
 * @flags: HMLM_MIGRATE_*; other bits: -EINVAL.
 * @max_rounds: Dirty rounds at most (0: 8; more than 16: -EINVAL).
 * @converge_bytes: Stop the rounds when fewer dirty bytes remain (0: the
 *	downtime budget decides: rounds go on while the predicted
 *	stop-and-copy time exceeds half the budget, or 250 us without one).
 * @downtime_budget_us: Downtime budget; 0: none. Exceeding it is
 *	reported, not an error.
 * @log_entries: Migration queue slots (0: HMLM_LOG_DEFAULT_ENTRIES).
 * @progress: Called at every phase and after each copied chunk; may be NULL.
 * @progress_arg: Its argument.
 * @mem_ranges: Host memory ranges to track (NULL: no memory tracking).
 * @nr_mem_ranges: How many.
 * @mem_gran: Tracking granularity, 2^n * 4 KiB.
 * @mem_dirty: Receives the dirty memory ranges (may be NULL).
 * @mem_arg: Its argument.
 * @stop_deadline_us: The longest the source may stay suspended (0: no
 *	bound). From the Suspend to the hand-over's commit point; when it
 *	passes first, the source is resumed and the call fails with
 *	-ETIMEDOUT (HMLM_REPORT_DEADLINE). A wait that cannot be abandoned
 *	(I/O in flight, one admin command) ends first.
 * @target_caps: hmlm_migrate_out(): the target's capabilities (its
 *	controller state formats), when the caller has them: the state
 *	format is chosen from what both accept, and a target that accepts
 *	none of the source's is refused with -EOPNOTSUPP before anything is
 *	written or the source is suspended. NULL: the source's best format,
 *	which the target checks when it reads the stream's HEADER.
 * @recv_timeout_us: hmlm_migrate_in(): the longest it waits for the
 *	stream's next bytes (0: no bound). A source that stalls (a hung
 *	channel, a dead sender) fails the call with -ETIMEDOUT
 *	(HMLM_REPORT_DEADLINE). hmlm_migrate_in() also applies
 *	@stop_deadline_us, from the stream's FINAL round (the source is
 *	suspended) to its END. Either way the target is neither resumed nor
 *	given a state: it stays as it was (suspended, when the caller
 *	suspended it).
 */
struct hmlm_migrate_params {
	uint32_t size;
	uint32_t flags;
	unsigned int max_rounds;
	uint64_t converge_bytes;
	uint64_t downtime_budget_us;
	unsigned int log_entries;
	hmlm_progress_fn progress;
	void *progress_arg;
	const struct hmlm_mem_range *mem_ranges;
	unsigned int nr_mem_ranges;
	uint8_t mem_gran;
	hmlm_mem_fn mem_dirty;
	void *mem_arg;
	uint64_t stop_deadline_us;
	const struct hmlm_caps *target_caps;
	uint64_t recv_timeout_us;
};

/* The 0.3 layout, without stop_deadline_us and target_caps */
#define HMLM_MIGRATE_PARAMS_SIZE_VER0	88
/* The first 0.4 layout, without recv_timeout_us */
#define HMLM_MIGRATE_PARAMS_SIZE_VER1	104

/* struct hmlm_migrate_report.flags */
#define HMLM_REPORT_BUDGET_EXCEEDED	(1U << 0)	/* stop-and-copy too long */
#define HMLM_REPORT_CONVERGED		(1U << 1)	/* under converge_bytes */
#define HMLM_REPORT_NO_PROGRESS		(1U << 2)	/* dirty bytes grew */
#define HMLM_REPORT_MAX_ROUNDS		(1U << 3)	/* max_rounds reached */
#define HMLM_REPORT_NO_ALLOC		(1U << 4)	/* allocated LBAs unknown */
#define HMLM_REPORT_SOURCE_RESUMED	(1U << 5)	/* cancel path taken */
#define HMLM_REPORT_DEADLINE		(1U << 6)	/* stop_deadline_us passed */
/* Reduced flows, planned from the capabilities before the source is touched: */
#define HMLM_REPORT_NO_QUEUE		(1U << 7)	/* no migration queue: all
							 * allocated LBAs copied
							 * while suspended */
#define HMLM_REPORT_MEM_ALL		(1U << 8)	/* no memory tracking: every
							 * range reported dirty */
#define HMLM_REPORT_NVME_STATE		(1U << 9)	/* no vendor state format in
							 * common: NVMe state only */
/* The environment: */
#define HMLM_REPORT_SYNC_IO		(1U << 10)	/* no io_uring (not in the
							 * kernel, disabled,
							 * seccomp): dirty extents
							 * copied one at a time */

/* struct hmlm_migrate_report.err_step: what was being done when it failed */
enum hmlm_step {
	HMLM_STEP_NONE,
	HMLM_STEP_IDENTIFY,		/* the capabilities (GET_CAPS) */
	HMLM_STEP_PLAN,			/* refused: see err_missing */
	HMLM_STEP_SETUP,		/* the namespaces' block devices */
	HMLM_STEP_MEM_TRACK_START,	/* Track Send, SEL 1h */
	HMLM_STEP_LOG_START,		/* Create CDQ, Track Send SEL 0h */
	HMLM_STEP_ALLOC,		/* Get LBA Status, ATYPE 02h */
	HMLM_STEP_COPY,			/* namespace reads and writes */
	HMLM_STEP_LOG_READ,		/* the migration queue */
	HMLM_STEP_MEM_TRACK_RECV,	/* Track Receive */
	HMLM_STEP_TARGET_SUSPEND,	/* Migration Send, Suspend (target) */
	HMLM_STEP_FLUSH,		/* the target's namespaces */
	HMLM_STEP_SUSPEND,		/* Migration Send, Suspend (source) */
	HMLM_STEP_DRAIN,		/* the queue to its "suspended" entry */
	HMLM_STEP_STATE_GET,		/* Migration Receive, Get Ctrl State */
	HMLM_STEP_STATE_SET,		/* Migration Send, Set Ctrl State */
	HMLM_STEP_KEEP,			/* Migration Send, Suspend KEEP (source) */
	HMLM_STEP_RESUME,		/* Migration Send, Resume (target) */
	HMLM_STEP_STREAM,		/* writing or reading the stream */
	HMLM_STEP_CALLBACK,		/* a callback cancelled or failed */
	HMLM_STEP_DEADLINE,		/* stop_deadline_us passed */
};

/* struct hmlm_migrate_report.err_missing: the capability a refusal lacks */
#define HMLM_MISSING_HMLMS		(1U << 0)	/* OACS.HMLMS: not an MMC */
#define HMLM_MISSING_QUEUE		(1U << 1)	/* MCUDMQ 0 or no TUDCS */
#define HMLM_MISSING_MEM_TRACK		(1U << 2)	/* TRATTR.THMCS */
#define HMLM_MISSING_STATE_FMT		(1U << 3)	/* no state format in common */
#define HMLM_MISSING_VENDOR_STATE	(1U << 4)	/* no vendor format (NUUID) */
#define HMLM_MISSING_TARGET		(1U << 31)	/* the target lacks it */

/**
 * struct hmlm_migrate_report - what a migration did
 * @size: sizeof(struct hmlm_migrate_report), set by the caller; the library
 *	sets it to how many bytes it filled (see "Extensible structures").
 * @flags: HMLM_REPORT_*.
 * @rounds: Dirty rounds run (the stop-and-copy is not counted).
 * @round_bytes: Bytes copied in round n + 1 (round 0 is the pre-copy).
 * @allocated_bytes: Allocated bytes of the namespaces at the start.
 * @bytes_copied: Namespace bytes copied in all.
 * @bytes_rewritten: Of them, bytes copied more than once (dirty rounds).
 * @stopcopy_bytes: Bytes copied while the source was suspended.
 * @dirty_extents: Dirty extents copied in all rounds.
 * @log_records: Migration queue records read.
 * @queue_full_events: How often the queue overflowed (all recopied).
 * @downtime_ns: From the Suspend of the source to the target's Resume.
 * @suspend_to_resume_ns: From the Suspend completing to the Resume
 *	completing (the controller was not running).
 * @stopcopy_ns: The stop-and-copy: from the STOPCOPY callback to its last
 *	write. When it fits one batch its reads overlap the last Track
 *	Receive and its writes Get Controller State, which it then
 *	contains (@mem_drain_ns, @state_get_ns).
 * @mem_ranges_reported: Dirty memory ranges the device reported.
 * @state_bytes: Size of the controller state.
 * @stream_bytes: Bytes written or read through the stream (out/in).
 * @nvme_status: The NVMe status of the failing command, with -EIO.
 *
 * Where the downtime went (hmlm_migrate(); hmlm_migrate_out() fills the
 * source's share, hmlm_migrate_in() the target's), appended fields:
 * @suspend_ns: The source's Suspend command (the device finishing or
 *	pausing the commands in flight).
 * @callback_ns: Time spent in the caller's progress and memory callbacks
 *	while the source was suspended (SUSPENDED, STOPCOPY, STATE).
 * @log_drain_ns: Reading the migration queue to its end after the Suspend.
 * @mem_drain_ns: The last dirty memory report (Track Receive until SUSP).
 * @state_get_ns: Get Controller State on the source.
 * @state_set_ns: Set Controller State and the wait for the flush of the
 *	stop-and-copy's writes, which runs meanwhile (hmlm_migrate_in(): and
 *	the target's Suspend; hmlm_migrate() suspends the target before the
 *	source, out of the downtime).
 * @resume_ns: Resume of the target.
 * @err_step: When the call failed, what it was doing (enum hmlm_step).
 * @err_missing: With -EOPNOTSUPP from HMLM_STEP_PLAN, the capability
 *	missing (HMLM_MISSING_*). hmlm_migrate_strerror() puts both, the
 *	NVMe command and its status into words.
 */
struct hmlm_migrate_report {
	uint32_t size;
	uint32_t flags;
	unsigned int rounds;
	uint64_t round_bytes[HMLM_MIGRATE_MAX_ROUNDS + 1];
	uint64_t allocated_bytes, bytes_copied, bytes_rewritten, stopcopy_bytes;
	uint64_t dirty_extents, log_records, queue_full_events;
	uint64_t downtime_ns, suspend_to_resume_ns, stopcopy_ns;
	uint64_t mem_ranges_reported;
	uint64_t state_bytes, stream_bytes;
	uint16_t nvme_status;
	uint64_t suspend_ns, callback_ns, log_drain_ns, mem_drain_ns;
	uint64_t state_get_ns, state_set_ns, resume_ns;
	uint32_t err_step, err_missing;
};

#define HMLM_MIGRATE_REPORT_SIZE_VER0	328	/* the 0.4 layout */

int hmlm_migrate(struct hmlm_session *src, struct hmlm_session *dst,
		 const struct hmlm_ns_map *ns, unsigned int nr_ns,
		 const struct hmlm_migrate_params *params,
		 struct hmlm_migrate_report *report);
int hmlm_migrate_out(struct hmlm_session *src, const struct hmlm_ns_map *ns,
		     unsigned int nr_ns, int out_fd,
		     const struct hmlm_migrate_params *params,
		     struct hmlm_migrate_report *report);
int hmlm_migrate_in(struct hmlm_session *dst, const struct hmlm_ns_map *ns,
		    unsigned int nr_ns, int in_fd,
		    const struct hmlm_migrate_params *params,
		    struct hmlm_migrate_report *report);
int hmlm_migrate_data(struct hmlm_session *src, const struct hmlm_ns_map *ns,
		      unsigned int nr_ns, int stopped_fd,
		      const struct hmlm_migrate_params *params,
		      struct hmlm_migrate_report *report);
int hmlm_migrate_strerror(const struct hmlm_migrate_report *report, int err,
			  char *buf, size_t len);
/* --- end migration --- */

#ifdef __cplusplus
}
#endif

#endif /* HMLM_H */
