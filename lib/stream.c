// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The portable migration stream: a writer and a verifying reader of the
 * record format of Documentation/stream-format.rst. Every integer on the
 * wire is little-endian; nothing seeks, so any fd works (pipes, sockets),
 * and so do caller-supplied read/write callbacks (a multiplexed channel).
 *
 * Every byte is checksummed once per side: the record CRC covers the
 * record; the stream CRC in END chains the records' CRCs as they are on
 * the wire (never decoded values, so the result is the same on a
 * big-endian host).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define PREAMBLE_LEN	16
#define REC_HDR_LEN	16
#define REC_CRC_LEN	4
#define HEADER_FIXED	328
#define HEADER_FMT	304	/* the announced state format */
#define NS_ENTRY_LEN	16
#define EXTENT_FIXED	32
#define MEM_FIXED	16
#define MEM_RANGE_LEN	16
#define STATE_FIXED	24
#define CS_HDR_LEN	48	/* the Controller State header (Fig 358) */
#define ROUND_LEN	16
#define END_LEN		24
#define MIN_LBA_SIZE	512U
#define MAX_LBA_SIZE	(1U << 20)

static const unsigned char stream_magic[8] = "HMLMSTRM";

/* ------------------------------------------------------------------------
 * little-endian helpers
 */
static void put16(unsigned char *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, sizeof(v));
}

static void put32(unsigned char *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static void put64(unsigned char *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

static uint16_t get16(const unsigned char *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static int ns_cmp(const void *a, const void *b)
{
	const struct hmlm_stream_ns *x = a, *y = b;

	return x->nsid < y->nsid ? -1 : x->nsid > y->nsid;
}

/* Sorts @ns by nsid and checks every entry; 0 or -EINVAL. */
static int ns_check_sorted(struct hmlm_stream_ns *ns, uint32_t n)
{
	uint32_t i;

	if (n)
		qsort(ns, n, sizeof(*ns), ns_cmp);
	for (i = 0; i < n; i++) {
		if (!ns[i].nsid || ns[i].nsid == HMLM_NSID_ALL)
			return -EINVAL;
		if (i && ns[i].nsid == ns[i - 1].nsid)
			return -EINVAL;
		if (!is_pow2(ns[i].lba_size) || ns[i].lba_size < MIN_LBA_SIZE ||
		    ns[i].lba_size > MAX_LBA_SIZE || !ns[i].nlbas)
			return -EINVAL;
		/* capacity in bytes must fit in 64 bits */
		if (ns[i].nlbas > UINT64_MAX / ns[i].lba_size)
			return -EINVAL;
	}
	return 0;
}

static const struct hmlm_stream_ns *ns_find(const struct hmlm_stream_ns *ns,
					    uint32_t n, uint32_t nsid)
{
	struct hmlm_stream_ns key = { .nsid = nsid };

	if (!n)
		return NULL;
	return bsearch(&key, ns, n, sizeof(*ns), ns_cmp);
}

/* The range [slba, slba + nlb) lies inside the namespace, nlb >= 1. */
static bool range_ok(const struct hmlm_stream_ns *ns, uint64_t slba,
		     uint64_t nlb)
{
	return nlb && slba < ns->nlbas && nlb <= ns->nlbas - slba;
}

/* Controller State header sizes add up to @len. */
static bool state_blob_ok(const unsigned char *blob, uint64_t len)
{
	uint64_t css_lo, css_hi, vss_lo, vss_hi;

	if (len < CS_HDR_LEN)
		return false;
	css_lo = get64(blob + 16);
	css_hi = get64(blob + 24);
	vss_lo = get64(blob + 32);
	vss_hi = get64(blob + 40);
	if (css_hi || vss_hi || css_lo > (1ULL << 40) || vss_lo > (1ULL << 40))
		return false;
	return CS_HDR_LEN + 4 * css_lo + 4 * vss_lo == len;
}

/* ------------------------------------------------------------------------
 * I/O: an fd (poll()ed against a deadline) or the caller's callbacks
 */
struct sio {
	int fd;			/* -1: the callbacks in @io */
	bool blocking;		/* @fd has no O_NONBLOCK */
	uint64_t deadline_ns;	/* CLOCK_MONOTONIC; 0: none */
	struct hmlm_stream_io io;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int sio_init_fd(struct sio *s, int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->blocking = !(fl & O_NONBLOCK);
	return 0;
}

/* @io as the caller passed it: the size first, no unknown flags. */
static int sio_init_io(struct sio *s, const struct hmlm_stream_io *io)
{
	if (!io || io->size < sizeof(*io) || io->flags)
		return -EINVAL;
	if (io->size > sizeof(*io))
		return -E2BIG;
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->io = *io;
	return 0;
}

/*
 * Waits until @s->fd is ready for @events or the deadline passes: 0 or
 * -ETIMEDOUT. A blocking fd without a deadline is not polled (the read or
 * write blocks as the caller asked); with callbacks only the deadline is
 * checked, between calls.
 */
static int sio_wait(struct sio *s, short events)
{
	for (;;) {
		struct pollfd pfd = { .fd = s->fd, .events = events };
		int timeout = -1, n;

		if (s->deadline_ns) {
			uint64_t now = mono_ns();

			if (now >= s->deadline_ns)
				return -ETIMEDOUT;
			timeout = (int)((s->deadline_ns - now + 999999) /
					1000000);
		}
		if (s->fd < 0 || (s->blocking && !s->deadline_ns))
			return 0;
		n = poll(&pfd, 1, timeout);
		if (n > 0)
			return 0;	/* ready, or an error the call reports */
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

/* Writes all of @iov, across short writes, EINTR and EAGAIN. */
static int sio_write_all(struct sio *s, struct iovec *iov, int cnt)
{
	while (cnt) {
		ssize_t n;
		int ret;

		ret = sio_wait(s, POLLOUT);
		if (ret)
			return ret;
		if (s->fd < 0) {
			n = s->io.write(s->io.arg, iov->iov_base, iov->iov_len);
			if (n < 0 && n != -EINTR && n != -EAGAIN)
				return (int)n;
			if (n < 0)
				continue;
			if ((size_t)n > iov->iov_len)
				return -EIO;	/* more than it was given */
		} else if (s->blocking && s->deadline_ns) {
			/* after POLLOUT, PIPE_BUF bytes never block */
			n = write(s->fd, iov->iov_base, iov->iov_len < PIPE_BUF ?
				  iov->iov_len : PIPE_BUF);
		} else {
			n = writev(s->fd, iov, cnt);
		}
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		while (cnt && (size_t)n >= iov->iov_len) {
			n -= iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= n;
		}
	}
	return 0;
}

/* Reads exactly @len bytes: 0, -ENODATA at EOF (even mid-way), -errno. */
static int sio_read_full(struct sio *s, void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len) {
		ssize_t n;
		int ret;

		ret = sio_wait(s, POLLIN);
		if (ret)
			return ret;
		if (s->fd < 0) {
			n = s->io.read(s->io.arg, p, len);
			if (n == -EINTR || n == -EAGAIN)
				continue;
			if (n < 0)
				return (int)n;
			if ((size_t)n > len)
				return -EIO;
		} else {
			n = read(s->fd, p, len);
			if (n < 0) {
				if (errno == EINTR || errno == EAGAIN)
					continue;
				return -errno;
			}
		}
		if (n == 0)
			return -ENODATA;
		p += n;
		len -= n;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * writer
 */
struct hmlm_stream_writer {
	struct sio io;
	int err;		/* sticky I/O error: the stream is broken */
	bool finished;
	bool have_state;
	uint32_t seq;		/* records written */
	uint32_t round;
	uint32_t crc;		/* chain of the records' CRCs (END) */
	uint64_t bytes;
	struct hmlm_stream_fmt fmt;	/* the STATE record announced */
	uint32_t num_ns;
	struct hmlm_stream_ns *ns;
};

/* Writes @iov, whose last 4 bytes are the CRC that END's chain takes. */
static int emit(struct hmlm_stream_writer *w, struct iovec *iov, int cnt)
{
	const struct iovec *last = &iov[cnt - 1];
	int i, ret;

	w->crc = hmlm_crc32c(w->crc, (const char *)last->iov_base +
			     last->iov_len - REC_CRC_LEN, REC_CRC_LEN);
	for (i = 0; i < cnt; i++)
		w->bytes += iov[i].iov_len;
	ret = sio_write_all(&w->io, iov, cnt);
	if (ret)
		w->err = ret;
	return ret;
}

static int write_record(struct hmlm_stream_writer *w, uint16_t type,
			uint16_t flags, const void *fixed, size_t fixed_len,
			const void *data, size_t data_len)
{
	unsigned char hdr[REC_HDR_LEN], trailer[REC_CRC_LEN];
	struct iovec iov[4];
	uint32_t crc;
	int cnt = 0, ret;

	if (fixed_len + data_len > HMLM_STREAM_MAX_PAYLOAD)
		return -EMSGSIZE;
	put16(hdr, type);
	put16(hdr + 2, flags);
	put32(hdr + 4, (uint32_t)(fixed_len + data_len));
	put32(hdr + 8, w->seq);
	put32(hdr + 12, hmlm_crc32c(0, hdr, 12));
	crc = hmlm_crc32c(0, hdr, sizeof(hdr));
	crc = hmlm_crc32c(crc, fixed, fixed_len);
	crc = hmlm_crc32c(crc, data, data_len);
	put32(trailer, crc);

	iov[cnt++] = (struct iovec){ hdr, sizeof(hdr) };
	if (fixed_len)
		iov[cnt++] = (struct iovec){ (void *)fixed, fixed_len };
	if (data_len)
		iov[cnt++] = (struct iovec){ (void *)data, data_len };
	iov[cnt++] = (struct iovec){ trailer, sizeof(trailer) };
	ret = emit(w, iov, cnt);
	if (!ret)
		w->seq++;
	return ret;
}

/* Common checks before any record: 0 or -errno. */
static int writer_usable(const struct hmlm_stream_writer *w)
{
	if (!w || w->finished)
		return -EINVAL;
	return w->err;
}

/* The announced state format: flags known, and set when anything is. */
static bool fmt_ok(const struct hmlm_stream_fmt *f)
{
	static const uint8_t zero[16];

	if (f->flags & ~(HMLM_STREAM_STATE_NVME | HMLM_STREAM_STATE_VENDOR))
		return false;
	if (!(f->flags & HMLM_STREAM_STATE_NVME) && f->nvme_version)
		return false;
	if (!(f->flags & HMLM_STREAM_STATE_VENDOR) &&
	    memcmp(f->uuid, zero, sizeof(zero)))
		return false;
	return true;
}

/* A STATE record matches the format the HEADER announced (if any). */
static bool fmt_match(const struct hmlm_stream_fmt *f, uint16_t flags,
		      uint16_t nvme_version, const uint8_t *uuid)
{
	if (!f->flags)
		return true;
	return f->flags == flags && f->nvme_version == nvme_version &&
	       !memcmp(f->uuid, uuid, sizeof(f->uuid));
}

static int writer_open(struct sio *io, const struct hmlm_stream_info *info,
		       unsigned int flags, struct hmlm_stream_writer **writer)
{
	unsigned char pre[PREAMBLE_LEN];
	struct hmlm_stream_writer *w;
	unsigned char *hp;
	struct iovec iov;
	size_t hlen;
	uint32_t i;
	int ret;

	if (!info || flags || info->num_ns > HMLM_STREAM_MAX_NS ||
	    (info->num_ns && !info->ns) || !fmt_ok(&info->state_fmt) ||
	    strnlen(info->subnqn, HMLM_STREAM_NQN_LEN) >= HMLM_STREAM_NQN_LEN ||
	    strnlen(info->serial, sizeof(info->serial)) > HMLM_STREAM_SERIAL_LEN)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->io = *io;
	w->fmt = info->state_fmt;
	w->num_ns = info->num_ns;
	if (info->num_ns) {
		w->ns = malloc(sizeof(*w->ns) * info->num_ns);
		if (!w->ns) {
			ret = -ENOMEM;
			goto free_w;
		}
		memcpy(w->ns, info->ns, sizeof(*w->ns) * info->num_ns);
		ret = ns_check_sorted(w->ns, w->num_ns);
		if (ret)
			goto free_w;
	}
	hlen = HEADER_FIXED + (size_t)NS_ENTRY_LEN * info->num_ns;
	hp = calloc(1, hlen);
	if (!hp) {
		ret = -ENOMEM;
		goto free_w;
	}
	put16(hp, info->cntlid);
	put32(hp + 4, info->caps);
	put32(hp + 8, info->num_ns);
	memcpy(hp + 16, info->subnqn, strlen(info->subnqn));
	memcpy(hp + 272, info->serial, strlen(info->serial));
	put16(hp + HEADER_FMT, w->fmt.flags);
	put16(hp + HEADER_FMT + 2, w->fmt.nvme_version);
	memcpy(hp + HEADER_FMT + 8, w->fmt.uuid, sizeof(w->fmt.uuid));
	for (i = 0; i < w->num_ns; i++) {
		unsigned char *e = hp + HEADER_FIXED + NS_ENTRY_LEN * i;

		put32(e, w->ns[i].nsid);
		put32(e + 4, w->ns[i].lba_size);
		put64(e + 8, w->ns[i].nlbas);
	}

	memcpy(pre, stream_magic, sizeof(stream_magic));
	put16(pre + 8, HMLM_STREAM_VERSION_MAJOR);
	put16(pre + 10, HMLM_STREAM_VERSION_MINOR);
	put32(pre + 12, hmlm_crc32c(0, pre, 12));
	iov = (struct iovec){ pre, sizeof(pre) };
	ret = emit(w, &iov, 1);
	if (!ret)
		ret = write_record(w, HMLM_STREAM_REC_HEADER, 0, hp, hlen,
				   NULL, 0);
	free(hp);
	if (ret)
		goto free_w;
	*writer = w;
	return 0;

free_w:
	free(w->ns);
	free(w);
	return ret;
}

HMLM_EXPORT int hmlm_stream_writer_open(int fd,
					const struct hmlm_stream_info *info,
					unsigned int flags,
					struct hmlm_stream_writer **writer)
{
	struct sio io;
	int ret;

	if (!writer)
		return -EINVAL;
	*writer = NULL;
	if (fd < 0)
		return -EINVAL;
	ret = sio_init_fd(&io, fd);
	return ret ? ret : writer_open(&io, info, flags, writer);
}

HMLM_EXPORT int hmlm_stream_writer_open_io(const struct hmlm_stream_io *io,
					   const struct hmlm_stream_info *info,
					   unsigned int flags,
					   struct hmlm_stream_writer **writer)
{
	struct sio s;
	int ret;

	if (!writer)
		return -EINVAL;
	*writer = NULL;
	ret = sio_init_io(&s, io);
	if (!ret && !io->write)
		ret = -EINVAL;
	return ret ? ret : writer_open(&s, info, flags, writer);
}

HMLM_EXPORT int
hmlm_stream_writer_set_deadline(struct hmlm_stream_writer *writer,
				uint64_t deadline_ns)
{
	if (!writer)
		return -EINVAL;
	writer->io.deadline_ns = deadline_ns;
	return 0;
}

static int extent_check(const struct hmlm_stream_writer *w,
			const struct hmlm_stream_extent *ext,
			const struct hmlm_stream_ns **nsp)
{
	const struct hmlm_stream_ns *ns;

	if (!ext)
		return -EINVAL;
	ns = ns_find(w->ns, w->num_ns, ext->nsid);
	if (!ns || !range_ok(ns, ext->slba, ext->nlb) || ext->round < w->round)
		return -EINVAL;
	*nsp = ns;
	return 0;
}

static void extent_fixed(unsigned char *p, uint32_t nsid, uint32_t round,
			 uint64_t slba, uint64_t nlb, uint32_t flags)
{
	memset(p, 0, EXTENT_FIXED);
	put32(p, nsid);
	put32(p + 4, round);
	put64(p + 8, slba);
	put64(p + 16, nlb);
	put32(p + 24, flags);
}

HMLM_EXPORT int hmlm_stream_write_extent(struct hmlm_stream_writer *writer,
					 const struct hmlm_stream_extent *ext)
{
	const struct hmlm_stream_ns *ns;
	unsigned char fixed[EXTENT_FIXED];
	const unsigned char *data;
	uint64_t left, slba, chunk;
	uint16_t type;
	int ret;

	ret = writer_usable(writer);
	if (ret)
		return ret;
	ret = extent_check(writer, ext, &ns);
	if (ret)
		return ret;
	if (!ext->data || ext->flags)
		return -EINVAL;
	type = ext->round ? HMLM_STREAM_REC_DIRTY : HMLM_STREAM_REC_DATA;
	chunk = HMLM_STREAM_CHUNK / ns->lba_size;	/* >= 1 LBA */
	data = ext->data;
	slba = ext->slba;
	left = ext->nlb;
	while (left) {
		uint64_t n = left < chunk ? left : chunk;

		extent_fixed(fixed, ext->nsid, ext->round, slba, n, 0);
		ret = write_record(writer, type, 0, fixed, sizeof(fixed), data,
				   n * ns->lba_size);
		if (ret)
			return ret;
		data += n * ns->lba_size;
		slba += n;
		left -= n;
	}
	writer->round = ext->round;
	return 0;
}

HMLM_EXPORT int hmlm_stream_write_dealloc(struct hmlm_stream_writer *writer,
					  const struct hmlm_stream_extent *ext)
{
	const struct hmlm_stream_ns *ns;
	unsigned char fixed[EXTENT_FIXED];
	int ret;

	ret = writer_usable(writer);
	if (ret)
		return ret;
	ret = extent_check(writer, ext, &ns);
	if (ret)
		return ret;
	if (ext->data || (ext->flags & ~HMLM_STREAM_DEALLOC_ZEROES))
		return -EINVAL;
	extent_fixed(fixed, ext->nsid, ext->round, ext->slba, ext->nlb,
		     ext->flags);
	ret = write_record(writer, HMLM_STREAM_REC_DEALLOC, 0, fixed,
			   sizeof(fixed), NULL, 0);
	if (!ret)
		writer->round = ext->round;
	return ret;
}

HMLM_EXPORT int hmlm_stream_write_mem(struct hmlm_stream_writer *writer,
				      const struct hmlm_stream_mem *mem)
{
	unsigned char fixed[MEM_FIXED];
	unsigned char *buf;
	uint32_t i, done;
	int ret;

	ret = writer_usable(writer);
	if (ret)
		return ret;
	if (!mem || !mem->granularity || mem->round < writer->round ||
	    (mem->count && !mem->ranges))
		return -EINVAL;
	for (i = 0; i < mem->count; i++)
		if (!mem->ranges[i].len ||
		    mem->ranges[i].len > UINT64_MAX - mem->ranges[i].start)
			return -EINVAL;
	buf = malloc((size_t)MEM_RANGE_LEN * HMLM_STREAM_MEM_RANGES);
	if (!buf)
		return -ENOMEM;
	done = 0;
	do {
		uint32_t n = mem->count - done;

		if (n > HMLM_STREAM_MEM_RANGES)
			n = HMLM_STREAM_MEM_RANGES;
		memset(fixed, 0, sizeof(fixed));
		put32(fixed, mem->round);
		put32(fixed + 4, n);
		put64(fixed + 8, mem->granularity);
		for (i = 0; i < n; i++) {
			put64(buf + MEM_RANGE_LEN * i, mem->ranges[done + i].start);
			put64(buf + MEM_RANGE_LEN * i + 8,
			      mem->ranges[done + i].len);
		}
		ret = write_record(writer, HMLM_STREAM_REC_MEM, 0, fixed,
				   sizeof(fixed), buf, (size_t)MEM_RANGE_LEN * n);
		done += n;
	} while (!ret && done < mem->count);
	free(buf);
	if (!ret)
		writer->round = mem->round;
	return ret;
}

HMLM_EXPORT int hmlm_stream_write_state(struct hmlm_stream_writer *writer,
					const struct hmlm_stream_state *state)
{
	unsigned char fixed[STATE_FIXED];
	int ret;

	ret = writer_usable(writer);
	if (ret)
		return ret;
	if (!state || writer->have_state || !state->data ||
	    !state_blob_ok(state->data, state->len) ||
	    !fmt_match(&writer->fmt, state->flags, state->nvme_version,
		       state->uuid))
		return -EINVAL;
	if (state->len > HMLM_STREAM_MAX_PAYLOAD - STATE_FIXED)
		return -EMSGSIZE;
	memset(fixed, 0, sizeof(fixed));
	put16(fixed, state->flags);
	put16(fixed + 2, state->nvme_version);
	memcpy(fixed + 8, state->uuid, sizeof(state->uuid));
	ret = write_record(writer, HMLM_STREAM_REC_STATE, 0, fixed,
			   sizeof(fixed), state->data, state->len);
	if (!ret)
		writer->have_state = true;
	return ret;
}

HMLM_EXPORT int hmlm_stream_write_round(struct hmlm_stream_writer *writer,
					const struct hmlm_stream_round *round)
{
	unsigned char p[ROUND_LEN];
	int ret;

	ret = writer_usable(writer);
	if (ret)
		return ret;
	if (!round || round->round < writer->round)
		return -EINVAL;
	put32(p, round->round);
	put32(p + 4, round->flags);
	put64(p + 8, round->dirty_bytes);
	ret = write_record(writer, HMLM_STREAM_REC_ROUND, 0, p, sizeof(p),
			   NULL, 0);
	if (!ret)
		writer->round = round->round;
	return ret;
}

HMLM_EXPORT int hmlm_stream_writer_finish(struct hmlm_stream_writer *writer)
{
	unsigned char p[END_LEN];
	int ret;

	ret = writer_usable(writer);
	if (ret)
		return ret;
	memset(p, 0, sizeof(p));
	put64(p, writer->seq);
	put64(p + 8, writer->bytes);
	put32(p + 16, writer->crc);
	ret = write_record(writer, HMLM_STREAM_REC_END, 0, p, sizeof(p), NULL,
			   0);
	if (!ret)
		writer->finished = true;
	return ret;
}

HMLM_EXPORT uint64_t
hmlm_stream_writer_bytes(const struct hmlm_stream_writer *writer)
{
	return writer ? writer->bytes : 0;
}

HMLM_EXPORT void hmlm_stream_writer_close(struct hmlm_stream_writer *writer)
{
	if (!writer)
		return;
	free(writer->ns);
	free(writer);
}

/* ------------------------------------------------------------------------
 * reader
 */
struct hmlm_stream_reader {
	struct sio io;
	unsigned int flags;
	int err;		/* sticky: every later call returns it */
	bool ended;		/* the END record was verified */
	bool have_state;
	uint16_t minor;
	uint32_t seq;		/* the next record's expected index */
	uint32_t round;
	uint32_t crc;		/* chain of the CRCs before the current record */
	uint64_t bytes;
	struct hmlm_stream_fmt fmt;	/* the STATE record announced */
	uint32_t num_ns;
	struct hmlm_stream_ns *ns;	/* sorted by nsid */
	unsigned char hdr[REC_HDR_LEN];	/* of the current record */
	unsigned char trailer[REC_CRC_LEN];	/* its CRC, wire bytes */
	unsigned char *buf;	/* its payload and CRC */
	size_t cap;
};

/*
 * Reads and verifies one record: its header (header CRC, length bound),
 * its payload and its CRC. On success the payload is in r->buf and the
 * return value is its length.
 */
static int64_t read_one(struct hmlm_stream_reader *r)
{
	uint32_t len, crc;
	int ret;

	ret = sio_read_full(&r->io, r->hdr, REC_HDR_LEN);
	if (ret)
		return ret;
	if (hmlm_crc32c(0, r->hdr, 12) != get32(r->hdr + 12))
		return -EBADMSG;
	len = get32(r->hdr + 4);
	if (len > HMLM_STREAM_MAX_PAYLOAD)
		return -EMSGSIZE;
	if ((size_t)len + REC_CRC_LEN > r->cap) {
		size_t cap = (size_t)len + REC_CRC_LEN;
		unsigned char *b;

		if (cap < 4096)
			cap = 4096;
		b = realloc(r->buf, cap);
		if (!b)
			return -ENOMEM;
		r->buf = b;
		r->cap = cap;
	}
	ret = sio_read_full(&r->io, r->buf, (size_t)len + REC_CRC_LEN);
	if (ret)
		return ret;
	crc = hmlm_crc32c(0, r->hdr, REC_HDR_LEN);
	crc = hmlm_crc32c(crc, r->buf, len);
	if (crc != get32(r->buf + len))
		return -EBADMSG;
	/* END's chain takes the wire bytes, before any decoding in place */
	memcpy(r->trailer, r->buf + len, REC_CRC_LEN);
	if (get32(r->hdr + 8) != r->seq)
		return -EPROTO;
	return len;
}

/* Counts the verified current record into the stream totals. */
static void account(struct hmlm_stream_reader *r, uint32_t len)
{
	r->crc = hmlm_crc32c(r->crc, r->trailer, REC_CRC_LEN);
	r->bytes += REC_HDR_LEN + (uint64_t)len + REC_CRC_LEN;
	r->seq++;
}

static int parse_header(struct hmlm_stream_reader *r, uint32_t len,
			struct hmlm_stream_info *info)
{
	const unsigned char *p = r->buf;
	uint32_t i, n;

	if (len < HEADER_FIXED)
		return -EPROTO;
	n = get32(p + 8);
	if (n > HMLM_STREAM_MAX_NS ||
	    len != HEADER_FIXED + (uint64_t)NS_ENTRY_LEN * n)
		return -EPROTO;
	if (!memchr(p + 16, 0, HMLM_STREAM_NQN_LEN))
		return -EPROTO;
	if (n) {
		r->ns = malloc(sizeof(*r->ns) * n);
		if (!r->ns)
			return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		const unsigned char *e = p + HEADER_FIXED + NS_ENTRY_LEN * i;

		r->ns[i].nsid = get32(e);
		r->ns[i].lba_size = get32(e + 4);
		r->ns[i].nlbas = get64(e + 8);
	}
	r->num_ns = n;
	if (ns_check_sorted(r->ns, n))
		return -EPROTO;
	memset(&r->fmt, 0, sizeof(r->fmt));
	r->fmt.flags = get16(p + HEADER_FMT);
	r->fmt.nvme_version = get16(p + HEADER_FMT + 2);
	memcpy(r->fmt.uuid, p + HEADER_FMT + 8, sizeof(r->fmt.uuid));
	if (!fmt_ok(&r->fmt))
		return -EPROTO;
	memset(info, 0, sizeof(*info));
	info->version_major = HMLM_STREAM_VERSION_MAJOR;
	info->version_minor = r->minor;
	info->cntlid = get16(p);
	info->caps = get32(p + 4);
	memcpy(info->subnqn, p + 16, HMLM_STREAM_NQN_LEN);
	memcpy(info->serial, p + 272, HMLM_STREAM_SERIAL_LEN);
	info->serial[HMLM_STREAM_SERIAL_LEN] = '\0';
	info->num_ns = n;
	info->ns = r->ns;
	info->state_fmt = r->fmt;
	return 0;
}

static int reader_open(struct sio *io, unsigned int flags,
		       struct hmlm_stream_info *info,
		       struct hmlm_stream_reader **reader)
{
	unsigned char pre[PREAMBLE_LEN];
	struct hmlm_stream_reader *r;
	int64_t len;
	int ret;

	if (!info || (flags & ~HMLM_STREAM_READER_STRICT_EOF))
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->io = *io;
	r->flags = flags;

	ret = sio_read_full(&r->io, pre, sizeof(pre));
	if (ret)
		goto fail;
	ret = -ENOMSG;
	if (memcmp(pre, stream_magic, sizeof(stream_magic)))
		goto fail;
	ret = -EBADMSG;
	if (hmlm_crc32c(0, pre, 12) != get32(pre + 12))
		goto fail;
	ret = -EPROTONOSUPPORT;
	if (get16(pre + 8) != HMLM_STREAM_VERSION_MAJOR)
		goto fail;
	r->minor = get16(pre + 10);
	r->crc = hmlm_crc32c(0, pre + 12, REC_CRC_LEN);
	r->bytes = sizeof(pre);

	len = read_one(r);
	if (len < 0) {
		ret = (int)len;
		goto fail;
	}
	ret = -EPROTO;
	if (get16(r->hdr) != HMLM_STREAM_REC_HEADER)
		goto fail;
	ret = parse_header(r, (uint32_t)len, info);
	if (ret)
		goto fail;
	account(r, (uint32_t)len);
	*reader = r;
	return 0;

fail:
	hmlm_stream_reader_close(r);
	return ret;
}

HMLM_EXPORT int hmlm_stream_reader_open(int fd, unsigned int flags,
					struct hmlm_stream_info *info,
					struct hmlm_stream_reader **reader)
{
	struct sio io;
	int ret;

	if (!reader)
		return -EINVAL;
	*reader = NULL;
	if (fd < 0)
		return -EINVAL;
	ret = sio_init_fd(&io, fd);
	return ret ? ret : reader_open(&io, flags, info, reader);
}

HMLM_EXPORT int hmlm_stream_reader_open_io(const struct hmlm_stream_io *io,
					   unsigned int flags,
					   struct hmlm_stream_info *info,
					   struct hmlm_stream_reader **reader)
{
	struct sio s;
	int ret;

	if (!reader)
		return -EINVAL;
	*reader = NULL;
	ret = sio_init_io(&s, io);
	if (!ret && !io->read)
		ret = -EINVAL;
	return ret ? ret : reader_open(&s, flags, info, reader);
}

HMLM_EXPORT int
hmlm_stream_reader_set_deadline(struct hmlm_stream_reader *reader,
				uint64_t deadline_ns)
{
	if (!reader)
		return -EINVAL;
	reader->io.deadline_ns = deadline_ns;
	return 0;
}

static int parse_extent(struct hmlm_stream_reader *r, uint16_t type,
			uint32_t len, struct hmlm_stream_extent *ext)
{
	const struct hmlm_stream_ns *ns;
	const unsigned char *p = r->buf;

	if (len < EXTENT_FIXED)
		return -EPROTO;
	memset(ext, 0, sizeof(*ext));
	ext->nsid = get32(p);
	ext->round = get32(p + 4);
	ext->slba = get64(p + 8);
	ext->nlb = get64(p + 16);
	ext->flags = get32(p + 24);
	ns = ns_find(r->ns, r->num_ns, ext->nsid);
	if (!ns || !range_ok(ns, ext->slba, ext->nlb) || ext->round < r->round)
		return -EPROTO;
	if (type == HMLM_STREAM_REC_DEALLOC) {
		if (len != EXTENT_FIXED)
			return -EPROTO;
	} else {
		if ((type == HMLM_STREAM_REC_DATA) != (ext->round == 0))
			return -EPROTO;
		if (ext->nlb > (uint64_t)(len - EXTENT_FIXED) / ns->lba_size ||
		    ext->nlb * ns->lba_size != len - EXTENT_FIXED)
			return -EPROTO;
		ext->data = p + EXTENT_FIXED;
		ext->len = len - EXTENT_FIXED;
	}
	r->round = ext->round;
	return 0;
}

static int parse_mem(struct hmlm_stream_reader *r, uint32_t len,
		     struct hmlm_stream_mem *mem)
{
	unsigned char *p = r->buf;
	struct hmlm_stream_mem_range *rg;
	uint32_t i;

	if (len < MEM_FIXED)
		return -EPROTO;
	mem->round = get32(p);
	mem->count = get32(p + 4);
	mem->granularity = get64(p + 8);
	if (mem->round < r->round || !mem->granularity ||
	    len != MEM_FIXED + (uint64_t)MEM_RANGE_LEN * mem->count)
		return -EPROTO;
	/* decoded in place: r->buf is malloc-aligned, the ranges 16-aligned */
	rg = (struct hmlm_stream_mem_range *)(void *)(p + MEM_FIXED);
	for (i = 0; i < mem->count; i++) {
		uint64_t start = get64(p + MEM_FIXED + MEM_RANGE_LEN * i);
		uint64_t rlen = get64(p + MEM_FIXED + MEM_RANGE_LEN * i + 8);

		if (!rlen || rlen > UINT64_MAX - start)
			return -EPROTO;
		rg[i].start = start;
		rg[i].len = rlen;
	}
	mem->ranges = rg;
	r->round = mem->round;
	return 0;
}

static int parse_state(struct hmlm_stream_reader *r, uint32_t len,
		       struct hmlm_stream_state *st)
{
	const unsigned char *p = r->buf;

	if (len < STATE_FIXED || r->have_state ||
	    !state_blob_ok(p + STATE_FIXED, len - STATE_FIXED))
		return -EPROTO;
	st->flags = get16(p);
	st->nvme_version = get16(p + 2);
	memcpy(st->uuid, p + 8, sizeof(st->uuid));
	if (!fmt_match(&r->fmt, st->flags, st->nvme_version, st->uuid))
		return -EPROTO;	/* not what the HEADER announced */
	st->data = p + STATE_FIXED;
	st->len = len - STATE_FIXED;
	r->have_state = true;
	return 0;
}

static int parse_round(struct hmlm_stream_reader *r, uint32_t len,
		       struct hmlm_stream_round *rd)
{
	const unsigned char *p = r->buf;

	if (len != ROUND_LEN)
		return -EPROTO;
	rd->round = get32(p);
	rd->flags = get32(p + 4);
	rd->dirty_bytes = get64(p + 8);
	if (rd->round < r->round)
		return -EPROTO;
	r->round = rd->round;
	return 0;
}

static int parse_end(struct hmlm_stream_reader *r, uint32_t len)
{
	const unsigned char *p = r->buf;
	unsigned char extra;
	int ret;

	if (len != END_LEN)
		return -EPROTO;
	if (get32(p + 16) != r->crc)
		return -EBADMSG;
	if (get64(p) != r->seq || get64(p + 8) != r->bytes)
		return -EPROTO;
	if (!(r->flags & HMLM_STREAM_READER_STRICT_EOF))
		return 0;
	ret = sio_read_full(&r->io, &extra, 1);
	if (ret == -ENODATA)
		return 0;
	return ret ? ret : -EPROTO;
}

static int read_record(struct hmlm_stream_reader *r,
		       struct hmlm_stream_record *rec)
{
	uint16_t type;
	int64_t len;
	int ret;

	for (;;) {
		len = read_one(r);
		if (len < 0)
			return (int)len;
		type = get16(r->hdr);
		memset(rec, 0, sizeof(*rec));
		rec->type = type;
		rec->flags = get16(r->hdr + 2);
		rec->seq = r->seq;
		switch (type) {
		case HMLM_STREAM_REC_DATA:
		case HMLM_STREAM_REC_DIRTY:
		case HMLM_STREAM_REC_DEALLOC:
			ret = parse_extent(r, type, len, &rec->extent);
			break;
		case HMLM_STREAM_REC_MEM:
			ret = parse_mem(r, len, &rec->mem);
			break;
		case HMLM_STREAM_REC_STATE:
			ret = parse_state(r, len, &rec->state);
			break;
		case HMLM_STREAM_REC_ROUND:
			ret = parse_round(r, len, &rec->round);
			break;
		case HMLM_STREAM_REC_END:
			ret = parse_end(r, len);
			if (ret)
				return ret;
			account(r, len);
			r->ended = true;
			memset(rec, 0, sizeof(*rec));
			return 0;
		case HMLM_STREAM_REC_HEADER:
			return -EPROTO;	/* a second header */
		default:
			if (rec->flags & HMLM_STREAM_F_MAY_SKIP) {
				account(r, len);
				continue;
			}
			return r->minor > HMLM_STREAM_VERSION_MINOR ?
				-EOPNOTSUPP : -EPROTO;
		}
		if (ret)
			return ret;
		account(r, len);
		return 1;
	}
}

HMLM_EXPORT int hmlm_stream_read_record(struct hmlm_stream_reader *reader,
					struct hmlm_stream_record *rec)
{
	int ret;

	if (!reader || !rec)
		return -EINVAL;
	if (reader->err)
		return reader->err;
	if (reader->ended)
		return 0;
	ret = read_record(reader, rec);
	if (ret < 0) {
		reader->err = ret;
		memset(rec, 0, sizeof(*rec));
	}
	return ret;
}

HMLM_EXPORT uint64_t
hmlm_stream_reader_bytes(const struct hmlm_stream_reader *reader)
{
	return reader ? reader->bytes : 0;
}

HMLM_EXPORT void hmlm_stream_reader_close(struct hmlm_stream_reader *reader)
{
	if (!reader)
		return;
	free(reader->ns);
	free(reader->buf);
	free(reader);
}
