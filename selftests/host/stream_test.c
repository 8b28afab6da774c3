// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of the migration stream (lib/stream.c, lib/crc32c.c):
 * round trips of every record type through files and pipes, and every kind
 * of corruption rejected with its documented error before any payload of
 * the damaged record is handed out. Streams with valid checksums but a
 * wrong structure are built by a small independent encoder (tb_*) that
 * follows Documentation/stream-format.rst.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <hmlm.h>
#include "internal.h"

#define SUBNQN	"nqn.2019-08.org.qemu:nqn.2026-11.io.nvme-hmlm:src"
#define SERIAL	"HMLMSRC0123456789ABC"	/* 20 characters: the full field */

static const struct hmlm_stream_ns test_ns[] = {
	{ .nsid = 2, .lba_size = 4096, .nlbas = 4096 },
	{ .nsid = 1, .lba_size = 512, .nlbas = 1 << 20 },
};

static void fill_info(struct hmlm_stream_info *info)
{
	memset(info, 0, sizeof(*info));
	info->cntlid = 3;
	info->caps = HMLM_CAP_HMLMS | HMLM_CAP_TRACK_LBA;
	strcpy(info->subnqn, SUBNQN);
	strcpy(info->serial, SERIAL);
	info->num_ns = 2;
	info->ns = test_ns;
}

/* An fd reading @len bytes of @buf from its start (a memfd). */
static int buf_fd(const void *buf, size_t len)
{
	int fd = memfd_create("stream", 0);
	const unsigned char *p = buf;

	if (fd < 0)
		return -1;
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n <= 0) {
			close(fd);
			return -1;
		}
		p += n;
		len -= n;
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* All bytes written to memfd @fd. */
static unsigned char *fd_bytes(int fd, size_t *len)
{
	off_t end = lseek(fd, 0, SEEK_END);
	unsigned char *buf = malloc(end > 0 ? end : 1);

	*len = 0;
	if (!buf || end < 0)
		return buf;
	if (pread(fd, buf, end, 0) != end) {
		free(buf);
		return NULL;
	}
	*len = end;
	return buf;
}

static void pattern(void *buf, size_t len, uint32_t seed)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245 + 12345;
		p[i] = seed >> 16;
	}
}

/* little-endian loads and stores, whatever the host's byte order */
static void le16put(unsigned char *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void le32put(unsigned char *p, uint32_t v)
{
	le16put(p, v);
	le16put(p + 2, v >> 16);
}

static void le64put(unsigned char *p, uint64_t v)
{
	le32put(p, (uint32_t)v);
	le32put(p + 4, (uint32_t)(v >> 32));
}

static uint32_t le32get(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64get(const unsigned char *p)
{
	return le32get(p) | (uint64_t)le32get(p + 4) << 32;
}

/* A Controller State blob: 48-byte header, 2 SQs + 2 CQs, 16 vendor bytes */
#define STATE_LEN	(48 + 8 + 4 * 24 + 16)
static void make_state(unsigned char *blob)
{
	uint64_t css = (8 + 4 * 24) / 4, vss = 16 / 4;

	pattern(blob, STATE_LEN, 77);
	memset(blob, 0, 48);
	blob[2] = 1;	/* CSATTR.CP */
	le64put(blob + 16, css);
	le64put(blob + 32, vss);
}

static const uint8_t test_uuid[16] = {
	0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
	0x0f, 0xed, 0xcb, 0xa9, 0x87, 0x65, 0x43, 0x21,
};

/*
 * The sample stream, written by the library: every record type. Small
 * enough that the byte-by-byte corruption loops stay fast.
 */
static unsigned char *sample_stream(size_t *len)
{
	struct hmlm_stream_mem_range ranges[3] = {
		{ 0x100000, 0x1000 }, { 0x200000, 0x3000 }, { 1ULL << 40, 1 },
	};
	unsigned char data[3 * 512], state[STATE_LEN];
	struct hmlm_stream_writer *w;
	struct hmlm_stream_info info;
	unsigned char *buf = NULL;
	int fd, ret;

	fill_info(&info);
	pattern(data, sizeof(data), 1);
	make_state(state);
	fd = memfd_create("sample", 0);
	if (fd < 0)
		return NULL;
	ret = hmlm_stream_writer_open(fd, &info, 0, &w);
	if (ret)
		goto out;
	ret = hmlm_stream_write_round(w, &(struct hmlm_stream_round){
		.round = 0, .dirty_bytes = 4096 });
	ret = ret ?: hmlm_stream_write_extent(w, &(struct hmlm_stream_extent){
		.nsid = 1, .slba = 10, .nlb = 3, .data = data });
	ret = ret ?: hmlm_stream_write_dealloc(w, &(struct hmlm_stream_extent){
		.nsid = 2, .slba = 100, .nlb = 50,
		.flags = HMLM_STREAM_DEALLOC_ZEROES });
	ret = ret ?: hmlm_stream_write_round(w, &(struct hmlm_stream_round){
		.round = 1, .flags = HMLM_STREAM_ROUND_FINAL, .dirty_bytes = 512 });
	ret = ret ?: hmlm_stream_write_extent(w, &(struct hmlm_stream_extent){
		.nsid = 1, .round = 1, .slba = 11, .nlb = 1, .data = data });
	ret = ret ?: hmlm_stream_write_mem(w, &(struct hmlm_stream_mem){
		.round = 1, .count = 3, .granularity = 4096, .ranges = ranges });
	ret = ret ?: hmlm_stream_write_state(w, &(struct hmlm_stream_state){
		.flags = HMLM_STREAM_STATE_NVME | HMLM_STREAM_STATE_VENDOR,
		.nvme_version = 0, .uuid = { 0x12, 0x34, 0x56, 0x78, 0x9a,
		0xbc, 0xde, 0xf0, 0x0f, 0xed, 0xcb, 0xa9, 0x87, 0x65, 0x43,
		0x21 }, .data = state, .len = sizeof(state) });
	ret = ret ?: hmlm_stream_writer_finish(w);
	hmlm_stream_writer_close(w);
	if (!ret)
		buf = fd_bytes(fd, len);
out:
	close(fd);
	return buf;
}

#define SAMPLE_RECORDS	9	/* header, 7 records, end */

/* Record boundaries: offs[0] = 16 (after the preamble), ..., total. */
static size_t record_offsets(const unsigned char *buf, size_t len,
			     size_t *offs, size_t max)
{
	size_t pos = 16, n = 0;

	while (pos + 16 <= len && n < max) {
		uint32_t rlen;

		offs[n++] = pos;
		rlen = le32get(buf + pos + 4);
		pos += 16 + (size_t)rlen + 4;
	}
	if (n < max)
		offs[n++] = pos;
	return n;
}

/*
 * Reads a whole stream from @buf: 0 when it ended verified, else the first
 * error. *nrec counts the records handed out; every one of them must end
 * at or before @limit bytes (the position of a corruption).
 */
static int read_stream(const void *buf, size_t len, unsigned int flags,
		       int *nrec, uint64_t limit)
{
	struct hmlm_stream_reader *r;
	struct hmlm_stream_info info;
	struct hmlm_stream_record rec;
	int fd, ret;

	*nrec = 0;
	fd = buf_fd(buf, len);
	if (fd < 0)
		return -1000;
	ret = hmlm_stream_reader_open(fd, flags, &info, &r);
	if (ret) {
		close(fd);
		return ret;
	}
	if (hmlm_stream_reader_bytes(r) > limit)
		ret = -2000;
	while (!ret && (ret = hmlm_stream_read_record(r, &rec)) > 0) {
		(*nrec)++;
		if (hmlm_stream_reader_bytes(r) > limit)
			ret = -2000;
		else
			ret = 0;
	}
	hmlm_stream_reader_close(r);
	close(fd);
	return ret;
}

/* ------------------------------------------------------------------------
 * tb: an independent encoder for crafted streams
 */
struct tb {
	unsigned char buf[1 << 16];
	size_t len;
	uint32_t seq;
	uint32_t chain;		/* END's stream CRC: the CRCs, chained */
};

static void tb_put(struct tb *t, const void *p, size_t n)
{
	memcpy(t->buf + t->len, p, n);
	t->len += n;
}

static void tb_preamble(struct tb *t, const char *magic, uint16_t major,
			uint16_t minor)
{
	unsigned char p[16];

	memcpy(p, magic, 8);
	le16put(p + 8, major);
	le16put(p + 10, minor);
	le32put(p + 12, hmlm_crc32c(0, p, 12));
	t->chain = hmlm_crc32c(0, p + 12, 4);
	tb_put(t, p, 16);
}

static void tb_record_len(struct tb *t, uint16_t type, uint16_t flags,
			  uint32_t seq, const void *pl, uint32_t len,
			  uint32_t hdr_len)
{
	unsigned char h[16], c[4];

	le16put(h, type);
	le16put(h + 2, flags);
	le32put(h + 4, hdr_len);
	le32put(h + 8, seq);
	le32put(h + 12, hmlm_crc32c(0, h, 12));
	le32put(c, hmlm_crc32c(hmlm_crc32c(0, h, 16), pl, len));
	t->chain = hmlm_crc32c(t->chain, c, 4);
	tb_put(t, h, 16);
	tb_put(t, pl, len);
	tb_put(t, c, 4);
}

static void tb_record(struct tb *t, uint16_t type, uint16_t flags,
		      const void *pl, uint32_t len)
{
	tb_record_len(t, type, flags, t->seq++, pl, len, len);
}

#define TB_HDR_FIXED	328

static void tb_header(struct tb *t)
{
	unsigned char p[TB_HDR_FIXED + 16 * 2];
	uint32_t i, n = 2;

	memset(p, 0, sizeof(p));
	le32put(p + 8, n);
	strcpy((char *)p + 16, SUBNQN);
	memcpy(p + 272, SERIAL, 20);
	for (i = 0; i < n; i++) {
		unsigned char *e = p + TB_HDR_FIXED + 16 * i;

		le32put(e, test_ns[i].nsid);
		le32put(e + 4, test_ns[i].lba_size);
		le64put(e + 8, test_ns[i].nlbas);
	}
	tb_record(t, HMLM_STREAM_REC_HEADER, 0, p, sizeof(p));
}

static void tb_start(struct tb *t, uint16_t minor)
{
	t->len = 0;
	t->seq = 0;
	tb_preamble(t, "HMLMSTRM", HMLM_STREAM_VERSION_MAJOR, minor);
	tb_header(t);
}

static void tb_extent(struct tb *t, uint16_t type, uint32_t nsid,
		      uint32_t round, uint64_t slba, uint64_t nlb,
		      size_t dlen)
{
	unsigned char p[32 + 4096];

	memset(p, 0, 32);
	le32put(p, nsid);
	le32put(p + 4, round);
	le64put(p + 8, slba);
	le64put(p + 16, nlb);
	pattern(p + 32, dlen, (uint32_t)slba);
	tb_record(t, type, 0, p, 32 + dlen);
}

static void tb_round(struct tb *t, uint32_t round)
{
	unsigned char p[16];

	memset(p, 0, sizeof(p));
	le32put(p, round);
	tb_record(t, HMLM_STREAM_REC_ROUND, 0, p, sizeof(p));
}

static void tb_state(struct tb *t, const unsigned char *blob, size_t len)
{
	unsigned char p[24 + 512];

	memset(p, 0, 24);
	memcpy(p + 24, blob, len);
	tb_record(t, HMLM_STREAM_REC_STATE, 0, p, 24 + len);
}

static void tb_end_values(struct tb *t, uint64_t records, uint64_t bytes,
			  uint32_t crc)
{
	unsigned char p[24];

	memset(p, 0, sizeof(p));
	le64put(p, records);
	le64put(p + 8, bytes);
	le32put(p + 16, crc);
	tb_record(t, HMLM_STREAM_REC_END, 0, p, sizeof(p));
}

static void tb_end(struct tb *t)
{
	tb_end_values(t, t->seq, t->len, t->chain);
}

static int tb_read(struct tb *t, unsigned int flags, int *nrec)
{
	return read_stream(t->buf, t->len, flags, nrec, UINT64_MAX);
}

/* ------------------------------------------------------------------------
 * CRC32C
 */
static uint32_t crc32c_bitwise(uint32_t crc, const unsigned char *p,
			       size_t len)
{
	int k;

	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0x82f63b78 : crc >> 1;
	}
	return ~crc;
}

TEST(crc32c_check_value)
{
	/* the CRC-32C check value (RFC 3720 B.4 uses the same polynomial) */
	EXPECT_EQ(0xe3069283u, hmlm_crc32c(0, "123456789", 9));
	EXPECT_EQ(0u, hmlm_crc32c(0, "", 0));
	/* RFC 3720 B.4: 32 bytes of zeroes */
	{
		unsigned char z[32] = { 0 };

		EXPECT_EQ(0x8a9136aau, hmlm_crc32c(0, z, 32));
		memset(z, 0xff, sizeof(z));
		EXPECT_EQ(0x62a8ab43u, hmlm_crc32c(0, z, 32));
	}
}

TEST(crc32c_against_bitwise)
{
	unsigned char buf[4096 + 16];
	size_t off, len;

	pattern(buf, sizeof(buf), 42);
	for (off = 0; off < 9; off++)
		for (len = 0; len < 4096; len += 1 + len / 3) {
			uint32_t a = hmlm_crc32c(0, buf + off, len);
			uint32_t b = crc32c_bitwise(0, buf + off, len);

			ASSERT_EQ(b, a) TH_LOG("off %zu len %zu", off, len);
			/* chaining at any split gives the same value */
			ASSERT_EQ(a, hmlm_crc32c(hmlm_crc32c(0, buf + off,
					len / 3), buf + off + len / 3,
					len - len / 3));
		}
}

/* The library's portable fallback, and the implementation that runs here
 * (ISA-L, SSE4.2), agree with the bit-at-a-time reference. */
TEST(crc32c_every_implementation)
{
	static unsigned char buf[(1 << 16) + 64];
	size_t off, len;

	TH_LOG("hmlm_crc32c() runs %s", hmlm_crc32c_impl());
	pattern(buf, sizeof(buf), 7);
	EXPECT_EQ(0xe3069283u, hmlm_crc32c_portable(0, "123456789", 9));
	for (off = 0; off < 64; off += 7)
		for (len = 0; len <= (1 << 16); len = len * 2 + 13) {
			uint32_t ref = crc32c_bitwise(0, buf + off, len);

			ASSERT_EQ(ref, hmlm_crc32c_portable(0, buf + off, len));
			ASSERT_EQ(ref, hmlm_crc32c(0, buf + off, len))
				TH_LOG("off %zu len %zu", off, len);
			ASSERT_EQ(ref, hmlm_crc32c(hmlm_crc32c_portable(0,
					buf + off, len / 2), buf + off + len / 2,
					len - len / 2));
		}
}

/* ------------------------------------------------------------------------
 * round trips
 */
TEST(roundtrip_empty)
{
	struct hmlm_stream_info info, out;
	struct hmlm_stream_writer *w;
	struct hmlm_stream_reader *r;
	struct hmlm_stream_record rec;
	unsigned char *buf;
	size_t len;
	int fd;

	memset(&info, 0, sizeof(info));
	fd = memfd_create("s", 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, hmlm_stream_writer_open(fd, &info, 0, &w));
	ASSERT_EQ(0, hmlm_stream_writer_finish(w));
	EXPECT_EQ(16u + 16 + 328 + 4 + 16 + 24 + 4,
		  hmlm_stream_writer_bytes(w));
	hmlm_stream_writer_close(w);
	buf = fd_bytes(fd, &len);
	close(fd);
	ASSERT_NE(NULL, buf);
	fd = buf_fd(buf, len);
	ASSERT_EQ(0, hmlm_stream_reader_open(fd, HMLM_STREAM_READER_STRICT_EOF,
					     &out, &r));
	EXPECT_EQ(HMLM_STREAM_VERSION_MAJOR, out.version_major);
	EXPECT_EQ(HMLM_STREAM_VERSION_MINOR, out.version_minor);
	EXPECT_EQ(0u, out.num_ns);
	EXPECT_EQ(0, hmlm_stream_read_record(r, &rec));
	EXPECT_EQ(0, hmlm_stream_read_record(r, &rec));	/* stays at end */
	EXPECT_EQ(len, hmlm_stream_reader_bytes(r));
	hmlm_stream_reader_close(r);
	close(fd);
	free(buf);
}

TEST(roundtrip_header_info)
{
	struct hmlm_stream_info out;
	struct hmlm_stream_reader *r;
	unsigned char *buf;
	size_t len;
	int fd;

	buf = sample_stream(&len);
	ASSERT_NE(NULL, buf);
	fd = buf_fd(buf, len);
	ASSERT_EQ(0, hmlm_stream_reader_open(fd, 0, &out, &r));
	EXPECT_EQ(3, out.cntlid);
	EXPECT_EQ(HMLM_CAP_HMLMS | HMLM_CAP_TRACK_LBA, out.caps);
	EXPECT_STREQ(SUBNQN, out.subnqn);
	EXPECT_STREQ(SERIAL, out.serial);
	ASSERT_EQ(2u, out.num_ns);
	/* in ascending nsid */
	EXPECT_EQ(1u, out.ns[0].nsid);
	EXPECT_EQ(512u, out.ns[0].lba_size);
	EXPECT_EQ(1u << 20, out.ns[0].nlbas);
	EXPECT_EQ(2u, out.ns[1].nsid);
	EXPECT_EQ(4096u, out.ns[1].lba_size);
	EXPECT_EQ(4096u, out.ns[1].nlbas);
	hmlm_stream_reader_close(r);
	close(fd);
	free(buf);
}

TEST(roundtrip_every_record_type)
{
	unsigned char data[3 * 512], state[STATE_LEN];
	struct hmlm_stream_info out;
	struct hmlm_stream_reader *r;
	struct hmlm_stream_record rec;
	unsigned char *buf;
	size_t len;
	int fd;

	pattern(data, sizeof(data), 1);
	make_state(state);
	buf = sample_stream(&len);
	ASSERT_NE(NULL, buf);
	fd = buf_fd(buf, len);
	ASSERT_EQ(0, hmlm_stream_reader_open(fd, HMLM_STREAM_READER_STRICT_EOF,
					     &out, &r));

	ASSERT_EQ(1, hmlm_stream_read_record(r, &rec));
	EXPECT_EQ(HMLM_STREAM_REC_ROUND, rec.type);
	EXPECT_EQ(1u, rec.seq);
	EXPECT_EQ(0u, rec.round.round);
	EXPECT_EQ(4096u, rec.round.dirty_bytes);

	ASSERT_EQ(1, hmlm_stream_read_record(r, &rec));
	EXPECT_EQ(HMLM_STREAM_REC_DATA, rec.type);
	EXPECT_EQ(1u, rec.extent.nsid);
	EXPECT_EQ(10u, rec.extent.slba);
	EXPECT_EQ(3u, rec.extent.nlb);
	EXPECT_EQ(0u, rec.extent.round);
	ASSERT_EQ(sizeof(data), rec.extent.len);
	EXPECT_EQ(0, memcmp(data, rec.extent.data, sizeof(data)));

	ASSERT_EQ(1, hmlm_stream_read_record(r, &rec));
	EXPECT_EQ(HMLM_STREAM_REC_DEALLOC, rec.type);
	EXPECT_EQ(2u, rec.extent.nsid);
	EXPECT_EQ(100u, rec.extent.slba);
	EXPECT_EQ(50u, rec.extent.nlb);
	EXPECT_EQ(HMLM_STREAM_DEALLOC_ZEROES, rec.extent.flags);
	EXPECT_EQ(NULL, rec.extent.data);
	EXPECT_EQ(0u, rec.extent.len);

	ASSERT_EQ(1, hmlm_stream_read_record(r, &rec));
	EXPECT_EQ(HMLM_STREAM_REC_ROUND, rec.type);
	EXPECT_EQ(1u, rec.round.round);
	EXPECT_EQ(HMLM_STREAM_ROUND_FINAL, rec.round.flags);

	ASSERT_EQ(1, hmlm_stream_read_record(r, &rec));
	EXPECT_EQ(HMLM_STREAM_REC_DIRTY, rec.type);
	EXPECT_EQ(1u, rec.extent.round);
	EXPECT_EQ(11u, rec.extent.slba);
	EXPECT_EQ(1u, rec.extent.nlb);
	EXPECT_EQ(0, memcmp(data, rec.extent.data, 512));

	ASSERT_EQ(1, hmlm_stream_read_record(r, &rec));
	EXPECT_EQ(HMLM_STREAM_REC_MEM, rec.type);
	EXPECT_EQ(1u, rec.mem.round);
	EXPECT_EQ(4096u, rec.mem.granularity);
	ASSERT_EQ(3u, rec.mem.count);
	EXPECT_EQ(0x200000u, rec.mem.ranges[1].start);
	EXPECT_EQ(0x3000u, rec.mem.ranges[1].len);
	EXPECT_EQ(1ULL << 40, rec.mem.ranges[2].start);

	ASSERT_EQ(1, hmlm_stream_read_record(r, &rec));
	EXPECT_EQ(HMLM_STREAM_REC_STATE, rec.type);
	EXPECT_EQ(HMLM_STREAM_STATE_NVME | HMLM_STREAM_STATE_VENDOR,
		  rec.state.flags);
	EXPECT_EQ(0, memcmp(test_uuid, rec.state.uuid, 16));
	ASSERT_EQ(sizeof(state), rec.state.len);
	EXPECT_EQ(0, memcmp(state, rec.state.data, sizeof(state)));
	EXPECT_EQ(7u, rec.seq);

	EXPECT_EQ(0, hmlm_stream_read_record(r, &rec));
	EXPECT_EQ(len, hmlm_stream_reader_bytes(r));
	hmlm_stream_reader_close(r);
	close(fd);
	free(buf);
}

/* Writes one extent of @nlb blocks of nsid @nsid, reads it back. */
static int split_roundtrip(struct __test_metadata *_metadata, uint32_t nsid,
			   uint64_t nlb, int *records)
{
	const struct hmlm_stream_ns *ns = nsid == 1 ? &test_ns[1] : &test_ns[0];
	size_t dlen = nlb * ns->lba_size, got = 0;
	struct hmlm_stream_writer *w;
	struct hmlm_stream_reader *r;
	struct hmlm_stream_info info;
	struct hmlm_stream_record rec;
	unsigned char *data, *buf;
	uint64_t next = 5;
	size_t len;
	int fd, ret;

	data = malloc(dlen);
	pattern(data, dlen, 9);
	fill_info(&info);
	fd = memfd_create("s", 0);
	EXPECT_EQ(0, hmlm_stream_writer_open(fd, &info, 0, &w));
	EXPECT_EQ(0, hmlm_stream_write_extent(w, &(struct hmlm_stream_extent){
		.nsid = nsid, .slba = 5, .nlb = nlb, .data = data }));
	EXPECT_EQ(0, hmlm_stream_writer_finish(w));
	hmlm_stream_writer_close(w);
	buf = fd_bytes(fd, &len);
	close(fd);
	fd = buf_fd(buf, len);
	*records = 0;
	EXPECT_EQ(0, hmlm_stream_reader_open(fd, 0, &info, &r));
	while ((ret = hmlm_stream_read_record(r, &rec)) > 0) {
		(*records)++;
		EXPECT_EQ(next, rec.extent.slba);
		EXPECT_GE(HMLM_STREAM_CHUNK, rec.extent.len);
		EXPECT_EQ(0, memcmp(data + got, rec.extent.data,
				    rec.extent.len));
		got += rec.extent.len;
		next += rec.extent.nlb;
	}
	EXPECT_EQ(0, ret);
	EXPECT_EQ(dlen, got);
	hmlm_stream_reader_close(r);
	close(fd);
	free(buf);
	free(data);
	return 0;
}

TEST(large_extent_split_512)
{
	int records;

	/* 3 MiB + 512 bytes: three full chunks and one block */
	split_roundtrip(_metadata, 1, 3 * 2048 + 1, &records);
	EXPECT_EQ(4, records);
}

TEST(large_extent_split_4096)
{
	int records;

	split_roundtrip(_metadata, 2, 256 * 2, &records);
	EXPECT_EQ(2, records);
	split_roundtrip(_metadata, 2, 255, &records);
	EXPECT_EQ(1, records);
}

TEST(mem_ranges_split)
{
	uint32_t count = HMLM_STREAM_MEM_RANGES + 1000, seen = 0, i;
	struct hmlm_stream_mem_range *rg;
	struct hmlm_stream_writer *w;
	struct hmlm_stream_reader *r;
	struct hmlm_stream_info info;
	struct hmlm_stream_record rec;
	unsigned char *buf;
	int fd, ret, records = 0;
	size_t len;

	rg = calloc(count, sizeof(*rg));
	for (i = 0; i < count; i++)
		rg[i] = (struct hmlm_stream_mem_range){ 4096ULL * 2 * i, 4096 };
	fill_info(&info);
	fd = memfd_create("s", 0);
	ASSERT_EQ(0, hmlm_stream_writer_open(fd, &info, 0, &w));
	ASSERT_EQ(0, hmlm_stream_write_mem(w, &(struct hmlm_stream_mem){
		.round = 2, .count = count, .granularity = 4096, .ranges = rg }));
	ASSERT_EQ(0, hmlm_stream_writer_finish(w));
	hmlm_stream_writer_close(w);
	buf = fd_bytes(fd, &len);
	close(fd);
	fd = buf_fd(buf, len);
	ASSERT_EQ(0, hmlm_stream_reader_open(fd, 0, &info, &r));
	while ((ret = hmlm_stream_read_record(r, &rec)) > 0) {
		records++;
		ASSERT_EQ(HMLM_STREAM_REC_MEM, rec.type);
		for (i = 0; i < rec.mem.count; i++)
			ASSERT_EQ(rg[seen + i].start, rec.mem.ranges[i].start);
		seen += rec.mem.count;
	}
	EXPECT_EQ(0, ret);
	EXPECT_EQ(2, records);
	EXPECT_EQ(count, seen);
	hmlm_stream_reader_close(r);
	close(fd);
	free(buf);
	free(rg);
}

/* ------------------------------------------------------------------------
 * pipes: a writer thread, short reads and writes, EINTR
 */
struct pipe_job {
	int fd;
	uint64_t nlb;		/* of nsid 1, written in extents of 777 */
	size_t dribble;		/* write the raw sample in pieces this big */
	int ret;
};

#define PIPE_NLB	(16 * 2048)	/* 16 MiB of 512-byte blocks */

static void *writer_thread(void *arg)
{
	struct pipe_job *job = arg;
	struct hmlm_stream_writer *w;
	struct hmlm_stream_info info;
	unsigned char *data;
	uint64_t slba = 0;
	int ret;

	fill_info(&info);
	data = malloc(777 * 512);
	ret = hmlm_stream_writer_open(job->fd, &info, 0, &w);
	while (!ret && slba < job->nlb) {
		uint64_t n = job->nlb - slba < 777 ? job->nlb - slba : 777;

		pattern(data, n * 512, (uint32_t)slba);
		ret = hmlm_stream_write_extent(w, &(struct hmlm_stream_extent){
			.nsid = 1, .slba = slba, .nlb = n, .data = data });
		slba += n;
	}
	ret = ret ?: hmlm_stream_writer_finish(w);
	hmlm_stream_writer_close(w);
	free(data);
	close(job->fd);
	job->ret = ret;
	return NULL;
}

static int read_pipe_stream(int fd, uint64_t *blocks)
{
	struct hmlm_stream_reader *r;
	struct hmlm_stream_info info;
	struct hmlm_stream_record rec;
	unsigned char *expect = malloc(HMLM_STREAM_CHUNK);
	int ret;

	*blocks = 0;
	ret = hmlm_stream_reader_open(fd, HMLM_STREAM_READER_STRICT_EOF,
				      &info, &r);
	if (ret) {
		free(expect);
		return ret;
	}
	while ((ret = hmlm_stream_read_record(r, &rec)) > 0) {
		/* extents of 777 blocks, each patterned from its own slba */
		uint64_t base = rec.extent.slba - rec.extent.slba % 777;

		pattern(expect, (rec.extent.slba - base + rec.extent.nlb) * 512,
			(uint32_t)base);
		if (memcmp(expect + (rec.extent.slba - base) * 512,
			   rec.extent.data, rec.extent.len)) {
			ret = -1000;
			break;
		}
		*blocks += rec.extent.nlb;
	}
	hmlm_stream_reader_close(r);
	free(expect);
	return ret;
}

TEST(pipe_writer_thread)
{
	struct pipe_job job = { .nlb = PIPE_NLB };
	uint64_t blocks;
	pthread_t th;
	int p[2];

	ASSERT_EQ(0, pipe(p));
	job.fd = p[1];
	ASSERT_EQ(0, pthread_create(&th, NULL, writer_thread, &job));
	EXPECT_EQ(0, read_pipe_stream(p[0], &blocks));
	pthread_join(th, NULL);
	EXPECT_EQ(0, job.ret);
	EXPECT_EQ((uint64_t)PIPE_NLB, blocks);
	close(p[0]);
}

static void *dribble_thread(void *arg)
{
	struct pipe_job *job = arg;
	unsigned char *buf;
	size_t len, off = 0;

	buf = sample_stream(&len);
	job->ret = buf ? 0 : -1;
	while (buf && off < len) {
		size_t n = len - off < job->dribble ? len - off : job->dribble;

		if (write(job->fd, buf + off, n) != (ssize_t)n) {
			job->ret = -1;
			break;
		}
		off += n;
		usleep(50);
	}
	free(buf);
	close(job->fd);
	return NULL;
}

TEST(pipe_short_reads)
{
	struct pipe_job job = { .dribble = 7 };
	struct hmlm_stream_reader *r;
	struct hmlm_stream_info info;
	struct hmlm_stream_record rec;
	int p[2], ret, n = 0;
	pthread_t th;

	ASSERT_EQ(0, pipe(p));
	job.fd = p[1];
	ASSERT_EQ(0, pthread_create(&th, NULL, dribble_thread, &job));
	ASSERT_EQ(0, hmlm_stream_reader_open(p[0],
			HMLM_STREAM_READER_STRICT_EOF, &info, &r));
	while ((ret = hmlm_stream_read_record(r, &rec)) > 0)
		n++;
	EXPECT_EQ(0, ret);
	EXPECT_EQ(SAMPLE_RECORDS - 2, n);
	hmlm_stream_reader_close(r);
	pthread_join(th, NULL);
	EXPECT_EQ(0, job.ret);
	close(p[0]);
}

static volatile sig_atomic_t signals_seen;

static void count_signal(int sig)
{
	(void)sig;
	signals_seen++;
}

struct kicker {
	pthread_t target[2];
	volatile int stop;
};

static void *kick_thread(void *arg)
{
	struct kicker *k = arg;

	while (!k->stop) {
		pthread_kill(k->target[0], SIGUSR1);
		pthread_kill(k->target[1], SIGUSR1);
		usleep(200);
	}
	return NULL;
}

/* Both ends keep getting signals without SA_RESTART: EINTR everywhere. */
TEST(pipe_eintr_both_sides)
{
	struct sigaction sa = { .sa_handler = count_signal };	/* no SA_RESTART */
	struct pipe_job job = { .nlb = 4 * 2048 };
	struct kicker k = { 0 };
	pthread_t th, kt;
	uint64_t blocks;
	int p[2];

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, pipe(p));
	job.fd = p[1];
	ASSERT_EQ(0, pthread_create(&th, NULL, writer_thread, &job));
	k.target[0] = pthread_self();
	k.target[1] = th;
	ASSERT_EQ(0, pthread_create(&kt, NULL, kick_thread, &k));
	EXPECT_EQ(0, read_pipe_stream(p[0], &blocks));
	k.stop = 1;	/* before the join: th stays a valid target */
	pthread_join(kt, NULL);
	pthread_join(th, NULL);
	EXPECT_EQ(0, job.ret);
	EXPECT_EQ(4u * 2048, blocks);
	EXPECT_LT(0, signals_seen);
	close(p[0]);
}

TEST(writer_epipe)
{
	struct hmlm_stream_writer *w;
	struct hmlm_stream_info info;
	unsigned char data[4096] = { 0 };
	int p[2], ret, i;

	signal(SIGPIPE, SIG_IGN);
	fill_info(&info);
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, hmlm_stream_writer_open(p[1], &info, 0, &w));
	close(p[0]);
	for (i = 0, ret = 0; i < 100 && !ret; i++)
		ret = hmlm_stream_write_extent(w, &(struct hmlm_stream_extent){
			.nsid = 2, .slba = 0, .nlb = 1, .data = data });
	EXPECT_EQ(-EPIPE, ret);
	/* sticky: the stream is broken */
	EXPECT_EQ(-EPIPE, hmlm_stream_writer_finish(w));
	hmlm_stream_writer_close(w);
	close(p[1]);
}

/* ------------------------------------------------------------------------
 * truncation
 */
TEST(truncated_at_every_record_boundary)
{
	size_t offs[32], n, i, len;
	unsigned char *buf;
	int nrec;

	buf = sample_stream(&len);
	ASSERT_NE(NULL, buf);
	n = record_offsets(buf, len, offs, 32);
	ASSERT_EQ(SAMPLE_RECORDS + 1, n);
	ASSERT_EQ(len, offs[n - 1]);
	EXPECT_EQ(0, read_stream(buf, len, 0, &nrec, len));
	EXPECT_EQ(SAMPLE_RECORDS - 2, nrec);
	EXPECT_EQ(-ENODATA, read_stream(buf, 0, 0, &nrec, 0));
	for (i = 0; i < n - 1; i++) {
		ASSERT_EQ(-ENODATA, read_stream(buf, offs[i], 0, &nrec,
						offs[i]))
			TH_LOG("cut at record %zu (byte %zu)", i, offs[i]);
		/* every record before the cut is handed out */
		EXPECT_EQ(i > 1 ? (int)i - 1 : 0, nrec);
	}
	free(buf);
}

TEST(truncated_at_every_byte)
{
	unsigned char *buf;
	size_t len, cut;
	int nrec;

	buf = sample_stream(&len);
	ASSERT_NE(NULL, buf);
	for (cut = 0; cut < len; cut++)
		ASSERT_EQ(-ENODATA, read_stream(buf, cut, 0, &nrec, cut))
			TH_LOG("cut at byte %zu of %zu", cut, len);
	free(buf);
}

/* ------------------------------------------------------------------------
 * bit flips
 */
TEST(bitflip_every_byte)
{
	unsigned char *buf;
	size_t len, pos;
	int nrec, ret;

	buf = sample_stream(&len);
	ASSERT_NE(NULL, buf);
	for (pos = 0; pos < len; pos++) {
		unsigned char save = buf[pos];

		buf[pos] ^= 1u << (pos % 8);
		ret = read_stream(buf, len, HMLM_STREAM_READER_STRICT_EOF,
				  &nrec, pos);
		/* no record reaching the flipped byte is ever handed out */
		ASSERT_EQ(pos < 8 ? -ENOMSG : -EBADMSG, ret)
			TH_LOG("flip at byte %zu of %zu", pos, len);
		buf[pos] = save;
	}
	free(buf);
}

/* Every bit of a record's header and fixed payload, for each record. */
TEST(bitflip_every_bit_of_every_record_header)
{
	size_t offs[32], n, i, len;
	unsigned char *buf;
	int nrec, bit;

	buf = sample_stream(&len);
	ASSERT_NE(NULL, buf);
	n = record_offsets(buf, len, offs, 32);
	for (i = 0; i + 1 < n; i++)
		for (bit = 0; bit < (16 + 16) * 8; bit++) {
			size_t pos = offs[i] + bit / 8;

			if (pos >= offs[i + 1])
				break;
			buf[pos] ^= 1u << (bit % 8);
			ASSERT_EQ(-EBADMSG, read_stream(buf, len, 0, &nrec,
							offs[i]))
				TH_LOG("record %zu bit %d", i, bit);
			buf[pos] ^= 1u << (bit % 8);
		}
	free(buf);
}

TEST(bitflip_data_payload_and_crc)
{
	size_t offs[32], len;
	unsigned char *buf;
	int nrec, bit;

	buf = sample_stream(&len);
	ASSERT_NE(NULL, buf);
	record_offsets(buf, len, offs, 32);
	/* record 2 is the DATA record: 16 + 32 + 1536 + 4 bytes */
	ASSERT_EQ(16u + 32 + 1536 + 4, offs[3] - offs[2]);
	for (bit = 0; bit < (int)(offs[3] - offs[2]) * 8; bit += 13) {
		size_t pos = offs[2] + bit / 8;

		buf[pos] ^= 1u << (bit % 8);
		ASSERT_EQ(-EBADMSG, read_stream(buf, len, 0, &nrec, offs[2]));
		EXPECT_EQ(1, nrec);	/* the round marker only */
		buf[pos] ^= 1u << (bit % 8);
	}
	free(buf);
}

/* ------------------------------------------------------------------------
 * preamble: magic and versions
 */
TEST(bad_magic)
{
	struct tb *t = calloc(1, sizeof(*t));
	unsigned char junk[4096];
	int nrec;

	tb_preamble(t, "HMLMSTRX", HMLM_STREAM_VERSION_MAJOR, 0);
	tb_header(t);
	tb_end(t);
	EXPECT_EQ(-ENOMSG, tb_read(t, 0, &nrec));
	pattern(junk, sizeof(junk), 5);	/* not a stream at all */
	EXPECT_EQ(-ENOMSG, read_stream(junk, sizeof(junk), 0, &nrec, 0));
	free(t);
}

TEST(wrong_major_version)
{
	struct tb *t = calloc(1, sizeof(*t));
	int nrec;

	tb_preamble(t, "HMLMSTRM", HMLM_STREAM_VERSION_MAJOR + 1, 0);
	tb_header(t);
	tb_end(t);
	EXPECT_EQ(-EPROTONOSUPPORT, tb_read(t, 0, &nrec));
	/* format 1.0: the stream CRC covered every byte; not readable */
	t->len = 0;
	t->seq = 0;
	tb_preamble(t, "HMLMSTRM", 1, 0);
	tb_header(t);
	tb_end(t);
	EXPECT_EQ(-EPROTONOSUPPORT, tb_read(t, 0, &nrec));
	t->len = 0;
	t->seq = 0;
	tb_preamble(t, "HMLMSTRM", 0, 7);
	tb_header(t);
	tb_end(t);
	EXPECT_EQ(-EPROTONOSUPPORT, tb_read(t, 0, &nrec));
	free(t);
}

TEST(preamble_checksum)
{
	struct tb *t = calloc(1, sizeof(*t));
	int nrec;

	tb_start(t, 0);
	tb_end(t);
	EXPECT_EQ(0, tb_read(t, 0, &nrec));
	t->buf[12] ^= 0x80;	/* the preamble CRC itself */
	EXPECT_EQ(-EBADMSG, tb_read(t, 0, &nrec));
	free(t);
}

TEST(newer_minor_skippable_record)
{
	struct tb *t = calloc(1, sizeof(*t));
	unsigned char junk[100];
	int nrec;

	pattern(junk, sizeof(junk), 3);
	tb_start(t, HMLM_STREAM_VERSION_MINOR + 1);
	tb_extent(t, HMLM_STREAM_REC_DATA, 2, 0, 0, 1, 4096);
	tb_record(t, 0x7777, HMLM_STREAM_F_MAY_SKIP, junk, sizeof(junk));
	tb_extent(t, HMLM_STREAM_REC_DATA, 2, 0, 1, 1, 4096);
	tb_end(t);
	EXPECT_EQ(0, tb_read(t, HMLM_STREAM_READER_STRICT_EOF, &nrec));
	EXPECT_EQ(2, nrec);
	free(t);
}

TEST(newer_minor_unskippable_record)
{
	struct tb *t = calloc(1, sizeof(*t));
	unsigned char junk[100];
	int nrec;

	pattern(junk, sizeof(junk), 3);
	tb_start(t, HMLM_STREAM_VERSION_MINOR + 1);
	tb_extent(t, HMLM_STREAM_REC_DATA, 2, 0, 0, 1, 4096);
	tb_record(t, 0x7777, 0, junk, sizeof(junk));
	tb_end(t);
	EXPECT_EQ(-EOPNOTSUPP, tb_read(t, 0, &nrec));
	EXPECT_EQ(1, nrec);
	free(t);
}

TEST(same_minor_unknown_record)
{
	struct tb *t = calloc(1, sizeof(*t));
	unsigned char junk[8] = { 0 };
	int nrec;

	/* skippable: still skipped */
	tb_start(t, HMLM_STREAM_VERSION_MINOR);
	tb_record(t, 0x7777, HMLM_STREAM_F_MAY_SKIP, junk, sizeof(junk));
	tb_end(t);
	EXPECT_EQ(0, tb_read(t, 0, &nrec));
	EXPECT_EQ(0, nrec);
	/* not skippable: the writer claims our version, yet sends it */
	tb_start(t, HMLM_STREAM_VERSION_MINOR);
	tb_record(t, 0x7777, 0, junk, sizeof(junk));
	tb_end(t);
	EXPECT_EQ(-EPROTO, tb_read(t, 0, &nrec));
	free(t);
}

TEST(record_too_large)
{
	struct tb *t = calloc(1, sizeof(*t));
	unsigned char pl[64] = { 0 };
	int nrec;

	tb_start(t, 0);
	/* a header whose own CRC is right but whose length is beyond 16 MiB */
	tb_record_len(t, HMLM_STREAM_REC_DATA, 0, t->seq++, pl, sizeof(pl),
		      HMLM_STREAM_MAX_PAYLOAD + 1);
	tb_end(t);
	EXPECT_EQ(-EMSGSIZE, tb_read(t, 0, &nrec));
	tb_start(t, 0);
	tb_record_len(t, HMLM_STREAM_REC_DATA, 0, t->seq++, pl, sizeof(pl),
		      UINT32_MAX);
	EXPECT_EQ(-EMSGSIZE, tb_read(t, 0, &nrec));
	free(t);
}

/* ------------------------------------------------------------------------
 * structure: order, duplicates, totals
 */
TEST(duplicated_end)
{
	struct tb *t = calloc(1, sizeof(*t));
	size_t end_at, end_len;
	int nrec;

	tb_start(t, 0);
	tb_extent(t, HMLM_STREAM_REC_DATA, 2, 0, 0, 1, 4096);
	end_at = t->len;
	tb_end(t);
	end_len = t->len - end_at;
	memcpy(t->buf + t->len, t->buf + end_at, end_len);
	t->len += end_len;
	EXPECT_EQ(-EPROTO, tb_read(t, HMLM_STREAM_READER_STRICT_EOF, &nrec));
	/* without STRICT_EOF the reader stops at the first END */
	EXPECT_EQ(0, tb_read(t, 0, &nrec));
	EXPECT_EQ(1, nrec);
	free(t);
}

TEST(data_after_end)
{
	struct tb *t = calloc(1, sizeof(*t));
	int nrec;

	tb_start(t, 0);
	tb_end(t);
	tb_extent(t, HMLM_STREAM_REC_DATA, 2, 0, 0, 1, 4096);
	EXPECT_EQ(-EPROTO, tb_read(t, HMLM_STREAM_READER_STRICT_EOF, &nrec));
	EXPECT_EQ(0, nrec);
	free(t);
}

TEST(missing_header)
{
	struct tb *t = calloc(1, sizeof(*t));
	int nrec;

	tb_preamble(t, "HMLMSTRM", HMLM_STREAM_VERSION_MAJOR, 0);
	tb_extent(t, HMLM_STREAM_REC_DATA, 2, 0, 0, 1, 4096);
	tb_end(t);
	EXPECT_EQ(-EPROTO, tb_read(t, 0, &nrec));
	/* state before the header */
	t->len = 0;
	t->seq = 0;
	tb_preamble(t, "HMLMSTRM", HMLM_STREAM_VERSION_MAJOR, 0);
	{
		unsigned char state[STATE_LEN];

		make_state(state);
		tb_state(t, state, sizeof(state));
	}
	tb_header(t);
	tb_end(t);
	EXPECT_EQ(-EPROTO, tb_read(t, 0, &nrec));
	/* an end and nothing else */
	t->len = 0;
	t->seq = 0;
	tb_preamble(t, "HMLMSTRM", HMLM_STREAM_VERSION_MAJOR, 0);
	tb_end(t);
	EXPECT_EQ(-EPROTO, tb_read(t, 0, &nrec));
	free(t);
}

TEST(second_header)
{
	struct tb *t = calloc(1, sizeof(*t));
	int nrec;

	tb_start(t, 0);
	tb_header(t);
	tb_end(t);
	EXPECT_EQ(-EPROTO, tb_read(t, 0, &nrec));
	free(t);
}

TEST(second_state)
{
	struct tb *t = calloc(1, sizeof(*t));
	unsigned char state[STATE_LEN];
	int nrec;

	make_state(state);
	tb_start(t, 0);
	tb_state(t, state, sizeof(state));
	tb_state(t, state, sizeof(state));
	tb_end(t);
	EXPECT_EQ(-EPROTO, tb_read(t, 0, &nrec));
	EXPECT_EQ(1, nrec);
	free(t);
}

TEST(state_sizes_inconsistent)
{
	struct tb *t = calloc(1, sizeof(*t));
	unsigned char state[STATE_LEN];
	int nrec;

	make_state(state);
	state[16] += 1;	/* NVMECSS one dword too many */
	tb_start(t, 0);
	tb_state(t, state, sizeof(state));
	tb_end(t);
	EXPECT_EQ(-EPROTO, tb_read(t, 0, &nrec));
	tb_start(t, 0);
	tb_state(t, state, 40);	/* shorter than the 48-byte header */
	tb_end(t);
	EXPECT_EQ(-EPROTO, tb_read(t, 0, &nrec));
	free(t);
}

TEST(record_dropped_or_swapped)
{
	size_t offs[32], n, len, a, b;
	unsigned char *buf, *cut;
	int nrec;

	buf = sample_stream(&len);
	ASSERT_NE(NULL, buf);
	n = record_offsets(buf, len, offs, 32);
	ASSERT_LE(5u, n);
	/* drop record 2 (the DATA record): its successor's seq is wrong */
	cut = malloc(len);
	a = offs[2];
	b = offs[3];
	memcpy(cut, buf, a);
	memcpy(cut + a, buf + b, len - b);
	EXPECT_EQ(-EPROTO, read_stream(cut, len - (b - a), 0, &nrec, len));
	EXPECT_EQ(1, nrec);
	/* swap records 2 and 3 */
	memcpy(cut, buf, a);
	memcpy(cut + a, buf + b, offs[4] - b);
	memcpy(cut + a + (offs[4] - b), buf + a, b - a);
	memcpy(cut + offs[4], buf + offs[4], len - offs[4]);
	EXPECT_EQ(-EPROTO, read_stream(cut, len, 0, &nrec, len));
	EXPECT_EQ(1, nrec);
	free(cut);
	free(buf);
}

TEST(end_totals_wrong)
{
	struct tb *t = calloc(1, sizeof(*t));
	int nrec;

	tb_start(t, 0);
	tb_extent(t, HMLM_STREAM_REC_DATA, 2, 0, 0, 1, 4096);
	tb_end_values(t, t->seq + 1, t->len, t->chain);
	EXPECT_EQ(-EPROTO, tb_read(t, 0, &nrec));
	tb_start(t, 0);
	tb_extent(t, HMLM_STREAM_REC_DATA, 2, 0, 0, 1, 4096);
	tb_end_values(t, t->seq, t->len - 1, t->chain);
	EXPECT_EQ(-EPROTO, tb_read(t, 0, &nrec));
	tb_start(t, 0);
	tb_extent(t, HMLM_STREAM_REC_DATA, 2, 0, 0, 1, 4096);
	tb_end_values(t, t->seq, t->len, t->chain ^ 1);
	EXPECT_EQ(-EBADMSG, tb_read(t, 0, &nrec));
	free(t);
}

TEST(extent_payload_invalid)
{
	struct tb *t = calloc(1, sizeof(*t));
	int nrec;

	/* unknown nsid */
	tb_start(t, 0);
	tb_extent(t, HMLM_STREAM_REC_DATA, 3, 0, 0, 1, 4096);
	tb_end(t);
	EXPECT_EQ(-EPROTO, tb_read(t, 0, &nrec));
	/* beyond the capacity (4096 blocks) */
	tb_start(t, 0);
	tb_extent(t, HMLM_STREAM_REC_DATA, 2, 0, 4096, 1, 4096);
	tb_end(t);
	EXPECT_EQ(-EPROTO, tb_read(t, 0, &nrec));
	/* nlb overflowing slba + nlb */
	tb_start(t, 0);
	tb_extent(t, HMLM_STREAM_REC_DEALLOC, 2, 0, 1, UINT64_MAX, 0);
	tb_end(t);
	EXPECT_EQ(-EPROTO, tb_read(t, 0, &nrec));
	/* data length not nlb * lba_size */
	tb_start(t, 0);
	tb_extent(t, HMLM_STREAM_REC_DATA, 2, 0, 0, 2, 4096);
	tb_end(t);
	EXPECT_EQ(-EPROTO, tb_read(t, 0, &nrec));
	/* zero blocks */
	tb_start(t, 0);
	tb_extent(t, HMLM_STREAM_REC_DEALLOC, 2, 0, 0, 0, 0);
	tb_end(t);
	EXPECT_EQ(-EPROTO, tb_read(t, 0, &nrec));
	/* DATA in a later round, DIRTY in round 0 */
	tb_start(t, 0);
	tb_extent(t, HMLM_STREAM_REC_DATA, 2, 1, 0, 1, 4096);
	tb_end(t);
	EXPECT_EQ(-EPROTO, tb_read(t, 0, &nrec));
	tb_start(t, 0);
	tb_extent(t, HMLM_STREAM_REC_DIRTY, 2, 0, 0, 1, 4096);
	tb_end(t);
	EXPECT_EQ(-EPROTO, tb_read(t, 0, &nrec));
	/* the valid shape of the same records passes */
	tb_start(t, 0);
	tb_extent(t, HMLM_STREAM_REC_DATA, 2, 0, 4095, 1, 4096);
	tb_extent(t, HMLM_STREAM_REC_DIRTY, 2, 1, 0, 1, 4096);
	tb_extent(t, HMLM_STREAM_REC_DEALLOC, 2, 1, 0, 4096, 0);
	tb_end(t);
	EXPECT_EQ(0, tb_read(t, 0, &nrec));
	EXPECT_EQ(3, nrec);
	free(t);
}

TEST(round_goes_backwards)
{
	struct tb *t = calloc(1, sizeof(*t));
	int nrec;

	tb_start(t, 0);
	tb_round(t, 2);
	tb_extent(t, HMLM_STREAM_REC_DIRTY, 2, 1, 0, 1, 4096);
	tb_end(t);
	EXPECT_EQ(-EPROTO, tb_read(t, 0, &nrec));
	EXPECT_EQ(1, nrec);
	tb_start(t, 0);
	tb_round(t, 3);
	tb_round(t, 1);
	tb_end(t);
	EXPECT_EQ(-EPROTO, tb_read(t, 0, &nrec));
	free(t);
}

TEST(header_invalid)
{
	struct tb *t = calloc(1, sizeof(*t));
	unsigned char p[TB_HDR_FIXED + 32];
	int nrec;

	/* the subsystem NQN without its NUL */
	memset(p, 'a', sizeof(p));
	memset(p, 0, 16);
	le32put(p + 8, 0);
	tb_preamble(t, "HMLMSTRM", HMLM_STREAM_VERSION_MAJOR, 0);
	tb_record(t, HMLM_STREAM_REC_HEADER, 0, p, TB_HDR_FIXED);
	tb_end(t);
	EXPECT_EQ(-EPROTO, tb_read(t, 0, &nrec));
	/* a namespace count that does not match the length */
	memset(p, 0, sizeof(p));
	le32put(p + 8, 3);
	t->len = 0;
	t->seq = 0;
	tb_preamble(t, "HMLMSTRM", HMLM_STREAM_VERSION_MAJOR, 0);
	tb_record(t, HMLM_STREAM_REC_HEADER, 0, p, TB_HDR_FIXED + 32);
	tb_end(t);
	EXPECT_EQ(-EPROTO, tb_read(t, 0, &nrec));
	/* two namespaces with the same nsid */
	le32put(p + 8, 2);
	le32put(p + TB_HDR_FIXED, 5);
	le32put(p + TB_HDR_FIXED + 16, 5);
	le32put(p + TB_HDR_FIXED + 4, 512);
	le32put(p + TB_HDR_FIXED + 20, 512);
	p[TB_HDR_FIXED + 8] = p[TB_HDR_FIXED + 24] = 1;
	t->len = 0;
	t->seq = 0;
	tb_preamble(t, "HMLMSTRM", HMLM_STREAM_VERSION_MAJOR, 0);
	tb_record(t, HMLM_STREAM_REC_HEADER, 0, p, TB_HDR_FIXED + 32);
	tb_end(t);
	EXPECT_EQ(-EPROTO, tb_read(t, 0, &nrec));
	/* an announced state format with a flag nobody knows */
	memset(p, 0, sizeof(p));
	le32put(p + 8, 2);
	le32put(p + TB_HDR_FIXED, 5);
	le32put(p + TB_HDR_FIXED + 16, 6);
	le32put(p + TB_HDR_FIXED + 4, 512);
	le32put(p + TB_HDR_FIXED + 20, 512);
	p[TB_HDR_FIXED + 8] = p[TB_HDR_FIXED + 24] = 1;
	le16put(p + 304, 4);
	t->len = 0;
	t->seq = 0;
	tb_preamble(t, "HMLMSTRM", HMLM_STREAM_VERSION_MAJOR, 0);
	tb_record(t, HMLM_STREAM_REC_HEADER, 0, p, TB_HDR_FIXED + 32);
	tb_end(t);
	EXPECT_EQ(-EPROTO, tb_read(t, 0, &nrec));
	free(t);
}

TEST(errors_are_sticky)
{
	struct hmlm_stream_reader *r;
	struct hmlm_stream_info info;
	struct hmlm_stream_record rec;
	size_t offs[32], len;
	unsigned char *buf;
	int fd;

	buf = sample_stream(&len);
	ASSERT_NE(NULL, buf);
	record_offsets(buf, len, offs, 32);
	buf[offs[3] + 20] ^= 1;	/* record 3's payload */
	fd = buf_fd(buf, len);
	ASSERT_EQ(0, hmlm_stream_reader_open(fd, 0, &info, &r));
	EXPECT_EQ(1, hmlm_stream_read_record(r, &rec));
	EXPECT_EQ(1, hmlm_stream_read_record(r, &rec));
	EXPECT_EQ(-EBADMSG, hmlm_stream_read_record(r, &rec));
	EXPECT_EQ(0, rec.type);		/* nothing handed out */
	EXPECT_EQ(-EBADMSG, hmlm_stream_read_record(r, &rec));
	EXPECT_EQ(-EBADMSG, hmlm_stream_read_record(r, &rec));
	hmlm_stream_reader_close(r);
	close(fd);
	free(buf);
}

/* ------------------------------------------------------------------------
 * the writer refuses what the reader would reject
 */
TEST(writer_rejects_invalid)
{
	unsigned char data[4096] = { 0 }, state[STATE_LEN];
	struct hmlm_stream_writer *w;
	struct hmlm_stream_info info;
	unsigned char *buf;
	size_t len;
	int fd, nrec;

	make_state(state);
	fill_info(&info);
	fd = memfd_create("s", 0);
	ASSERT_EQ(0, hmlm_stream_writer_open(fd, &info, 0, &w));
	/* unknown nsid, beyond capacity, no blocks, no data */
	EXPECT_EQ(-EINVAL, hmlm_stream_write_extent(w,
		&(struct hmlm_stream_extent){ .nsid = 9, .nlb = 1, .data = data }));
	EXPECT_EQ(-EINVAL, hmlm_stream_write_extent(w,
		&(struct hmlm_stream_extent){ .nsid = 2, .slba = 4096, .nlb = 1,
					      .data = data }));
	EXPECT_EQ(-EINVAL, hmlm_stream_write_extent(w,
		&(struct hmlm_stream_extent){ .nsid = 2, .nlb = 0, .data = data }));
	EXPECT_EQ(-EINVAL, hmlm_stream_write_extent(w,
		&(struct hmlm_stream_extent){ .nsid = 2, .nlb = 1 }));
	EXPECT_EQ(-EINVAL, hmlm_stream_write_dealloc(w,
		&(struct hmlm_stream_extent){ .nsid = 2, .nlb = 1, .flags = 2 }));
	/* rounds never go back */
	EXPECT_EQ(0, hmlm_stream_write_round(w,
		&(struct hmlm_stream_round){ .round = 2 }));
	EXPECT_EQ(-EINVAL, hmlm_stream_write_extent(w,
		&(struct hmlm_stream_extent){ .nsid = 2, .round = 1, .nlb = 1,
					      .data = data }));
	EXPECT_EQ(-EINVAL, hmlm_stream_write_mem(w, &(struct hmlm_stream_mem){
		.round = 2, .count = 0, .granularity = 0 }));
	/* the state: a bad blob, then a good one, then a second one */
	state[16]++;
	EXPECT_EQ(-EINVAL, hmlm_stream_write_state(w,
		&(struct hmlm_stream_state){ .data = state, .len = STATE_LEN }));
	state[16]--;
	EXPECT_EQ(0, hmlm_stream_write_state(w,
		&(struct hmlm_stream_state){ .data = state, .len = STATE_LEN }));
	EXPECT_EQ(-EINVAL, hmlm_stream_write_state(w,
		&(struct hmlm_stream_state){ .data = state, .len = STATE_LEN }));
	EXPECT_EQ(0, hmlm_stream_writer_finish(w));
	EXPECT_EQ(-EINVAL, hmlm_stream_writer_finish(w));
	EXPECT_EQ(-EINVAL, hmlm_stream_write_round(w,
		&(struct hmlm_stream_round){ .round = 3 }));
	hmlm_stream_writer_close(w);
	/* what was accepted is a valid stream */
	buf = fd_bytes(fd, &len);
	close(fd);
	EXPECT_EQ(0, read_stream(buf, len, HMLM_STREAM_READER_STRICT_EOF,
				 &nrec, len));
	EXPECT_EQ(2, nrec);
	free(buf);
}

TEST(writer_rejects_bad_info)
{
	struct hmlm_stream_ns ns[2] = {
		{ .nsid = 1, .lba_size = 512, .nlbas = 8 },
		{ .nsid = 1, .lba_size = 512, .nlbas = 8 },
	};
	struct hmlm_stream_writer *w = (void *)1;
	struct hmlm_stream_info info;
	int fd = memfd_create("s", 0);

	fill_info(&info);
	info.ns = ns;
	EXPECT_EQ(-EINVAL, hmlm_stream_writer_open(fd, &info, 0, &w));
	EXPECT_EQ(NULL, w);
	ns[1].nsid = 2;
	ns[1].lba_size = 520;	/* not a power of 2 */
	EXPECT_EQ(-EINVAL, hmlm_stream_writer_open(fd, &info, 0, &w));
	ns[1].lba_size = 4096;
	ns[1].nlbas = 0;
	EXPECT_EQ(-EINVAL, hmlm_stream_writer_open(fd, &info, 0, &w));
	ns[1].nlbas = 1;
	memset(info.subnqn, 'x', sizeof(info.subnqn));	/* no NUL */
	EXPECT_EQ(-EINVAL, hmlm_stream_writer_open(fd, &info, 0, &w));
	fill_info(&info);
	EXPECT_EQ(-EINVAL, hmlm_stream_writer_open(fd, &info, 1, &w));
	EXPECT_EQ(-EINVAL, hmlm_stream_writer_open(-1, &info, 0, &w));
	EXPECT_EQ(0, lseek(fd, 0, SEEK_END));	/* nothing written */
	close(fd);
}

TEST(reader_open_arguments)
{
	struct hmlm_stream_reader *r = (void *)1;
	struct hmlm_stream_info info;
	struct hmlm_stream_record rec;

	EXPECT_EQ(-EINVAL, hmlm_stream_reader_open(0, 0, NULL, &r));
	EXPECT_EQ(NULL, r);
	EXPECT_EQ(-EINVAL, hmlm_stream_reader_open(0, 0x100, &info, &r));
	EXPECT_EQ(-EINVAL, hmlm_stream_reader_open(0, 0, &info, NULL));
	EXPECT_EQ(-EINVAL, hmlm_stream_read_record(NULL, &rec));
	hmlm_stream_reader_close(NULL);
	hmlm_stream_writer_close(NULL);
}

/* ------------------------------------------------------------------------
 * channels: callbacks, no EOF after END, deadlines
 */
struct chan {
	unsigned char *buf;
	size_t len, pos, cap;
	unsigned int calls;
	size_t max_io;		/* bytes per call at most (short I/O) */
};

static long chan_write(void *arg, const void *buf, size_t len)
{
	struct chan *c = arg;

	if (++c->calls % 3 == 0)
		return -EINTR;	/* retried by the library */
	if (len > c->max_io)
		len = c->max_io;
	if (c->len + len > c->cap)
		return -ENOSPC;
	memcpy(c->buf + c->len, buf, len);
	c->len += len;
	return (long)len;
}

static long chan_read(void *arg, void *buf, size_t len)
{
	struct chan *c = arg;

	if (++c->calls % 3 == 0)
		return -EAGAIN;
	if (len > c->max_io)
		len = c->max_io;
	if (len > c->len - c->pos)
		len = c->len - c->pos;
	memcpy(buf, c->buf + c->pos, len);
	c->pos += len;
	return (long)len;
}

/*
 * A stream written and read through callbacks, on a channel that carries
 * other bytes after it: the reader stops at END, asks for nothing more,
 * and the bytes after END are left for the channel's next user.
 */
TEST(callbacks_multiplexed_channel)
{
	static const char trailer[] = "NEXT-MESSAGE";
	unsigned char data[8 * 4096];
	struct chan c = { .cap = 1 << 20, .max_io = 1000 };
	struct hmlm_stream_io io = {
		.size = sizeof(io), .read = chan_read, .write = chan_write,
		.arg = &c,
	};
	struct hmlm_stream_writer *w;
	struct hmlm_stream_reader *r;
	struct hmlm_stream_info info;
	struct hmlm_stream_record rec;
	size_t stream_len;

	c.buf = malloc(c.cap);
	ASSERT_NE(NULL, c.buf);
	pattern(data, sizeof(data), 3);
	fill_info(&info);
	ASSERT_EQ(0, hmlm_stream_writer_open_io(&io, &info, 0, &w));
	ASSERT_EQ(0, hmlm_stream_write_extent(w, &(struct hmlm_stream_extent){
		.nsid = 2, .slba = 8, .nlb = 8, .data = data }));
	ASSERT_EQ(0, hmlm_stream_writer_finish(w));
	stream_len = hmlm_stream_writer_bytes(w);
	EXPECT_EQ(stream_len, c.len);
	hmlm_stream_writer_close(w);
	memcpy(c.buf + c.len, trailer, sizeof(trailer));
	c.len += sizeof(trailer);

	c.calls = 0;
	ASSERT_EQ(0, hmlm_stream_reader_open_io(&io, 0, &info, &r));
	ASSERT_EQ(1, hmlm_stream_read_record(r, &rec));
	EXPECT_EQ(HMLM_STREAM_REC_DATA, rec.type);
	EXPECT_EQ(0, memcmp(data, rec.extent.data, sizeof(data)));
	EXPECT_EQ(0, hmlm_stream_read_record(r, &rec));
	EXPECT_EQ(stream_len, c.pos);	/* nothing read past END */
	EXPECT_EQ(0, memcmp(c.buf + c.pos, trailer, sizeof(trailer)));
	hmlm_stream_reader_close(r);

	/* the callbacks' struct: size first, no unknown flags */
	io.size = sizeof(io) + 8;
	EXPECT_EQ(-E2BIG, hmlm_stream_reader_open_io(&io, 0, &info, &r));
	io.size = sizeof(io) - 8;
	EXPECT_EQ(-EINVAL, hmlm_stream_reader_open_io(&io, 0, &info, &r));
	io.size = sizeof(io);
	io.flags = 1;
	EXPECT_EQ(-EINVAL, hmlm_stream_writer_open_io(&io, &info, 0, &w));
	io.flags = 0;
	io.write = NULL;
	EXPECT_EQ(-EINVAL, hmlm_stream_writer_open_io(&io, &info, 0, &w));
	free(c.buf);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * A pipe whose writer stays open after END (a channel that goes on): the
 * reader returns 0 at END without waiting for end of file. The deadline
 * turns a wait for EOF into a failure instead of a hang.
 */
TEST(end_without_eof)
{
	struct hmlm_stream_reader *r;
	struct hmlm_stream_info info;
	struct hmlm_stream_record rec;
	unsigned char *buf;
	size_t len;
	int p[2], nrec = 0, ret;

	buf = sample_stream(&len);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ((ssize_t)len, write(p[1], buf, len));
	ASSERT_EQ(0, hmlm_stream_reader_open(p[0], 0, &info, &r));
	ASSERT_EQ(0, hmlm_stream_reader_set_deadline(r, now_ns() +
						     2000000000ULL));
	while ((ret = hmlm_stream_read_record(r, &rec)) > 0)
		nrec++;
	EXPECT_EQ(0, ret);
	EXPECT_EQ(SAMPLE_RECORDS - 2, nrec);
	hmlm_stream_reader_close(r);
	close(p[0]);
	close(p[1]);
	free(buf);
}

/* A reader that gets nothing fails with ETIMEDOUT at its deadline. */
TEST(reader_deadline)
{
	struct hmlm_stream_reader *r;
	struct hmlm_stream_info info;
	struct hmlm_stream_record rec;
	unsigned char *buf;
	uint64_t t0;
	size_t len;
	int p[2];

	buf = sample_stream(&len);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, pipe(p));
	/* the preamble and the HEADER, then silence */
	ASSERT_EQ((ssize_t)(16 + 16 + 328 + 32 + 4),
		  write(p[1], buf, 16 + 16 + 328 + 32 + 4));
	ASSERT_EQ(0, hmlm_stream_reader_open(p[0], 0, &info, &r));
	t0 = now_ns();
	ASSERT_EQ(0, hmlm_stream_reader_set_deadline(r, t0 + 100000000ULL));
	EXPECT_EQ(-ETIMEDOUT, hmlm_stream_read_record(r, &rec));
	EXPECT_LE(100000000ULL, now_ns() - t0);
	EXPECT_GT(2000000000ULL, now_ns() - t0);
	EXPECT_EQ(-ETIMEDOUT, hmlm_stream_read_record(r, &rec));	/* sticky */
	hmlm_stream_reader_close(r);
	close(p[0]);
	close(p[1]);
	free(buf);
}

/*
 * A writer into a pipe nobody reads fails with ETIMEDOUT at its deadline,
 * whether the fd blocks or not: a stalled channel cannot hold the stop
 * phase without limit.
 */
TEST(writer_deadline)
{
	static unsigned char data[1 << 20];
	struct hmlm_stream_writer *w;
	struct hmlm_stream_info info;
	int p[2], nonblock;

	fill_info(&info);
	for (nonblock = 0; nonblock < 2; nonblock++) {
		uint64_t t0;

		ASSERT_EQ(0, pipe2(p, nonblock ? O_NONBLOCK : 0));
		ASSERT_EQ(0, hmlm_stream_writer_open(p[1], &info, 0, &w));
		t0 = now_ns();
		ASSERT_EQ(0, hmlm_stream_writer_set_deadline(w, t0 +
							     100000000ULL));
		EXPECT_EQ(-ETIMEDOUT, hmlm_stream_write_extent(w,
			&(struct hmlm_stream_extent){ .nsid = 2, .nlb = 256,
						      .data = data }));
		EXPECT_LE(100000000ULL, now_ns() - t0);
		EXPECT_GT(2000000000ULL, now_ns() - t0);
		/* the stream is broken: sticky */
		EXPECT_EQ(-ETIMEDOUT, hmlm_stream_writer_finish(w));
		hmlm_stream_writer_close(w);
		close(p[0]);
		close(p[1]);
	}
}

/*
 * The HEADER announces the state format, so a target can refuse it before
 * any data; the STATE record must be the announced one.
 */
TEST(state_format_announced)
{
	unsigned char state[STATE_LEN];
	struct hmlm_stream_state st = {
		.flags = HMLM_STREAM_STATE_NVME, .nvme_version = 2,
		.data = state, .len = sizeof(state),
	};
	struct hmlm_stream_writer *w;
	struct hmlm_stream_reader *r;
	struct hmlm_stream_info info, out;
	struct hmlm_stream_record rec;
	unsigned char *buf;
	size_t len;
	int fd;

	make_state(state);
	fill_info(&info);
	info.state_fmt.flags = HMLM_STREAM_STATE_NVME;
	info.state_fmt.nvme_version = 1;
	fd = memfd_create("s", 0);
	ASSERT_EQ(0, hmlm_stream_writer_open(fd, &info, 0, &w));
	/* not the announced version: refused, nothing written */
	EXPECT_EQ(-EINVAL, hmlm_stream_write_state(w, &st));
	st.nvme_version = 1;
	EXPECT_EQ(0, hmlm_stream_write_state(w, &st));
	EXPECT_EQ(0, hmlm_stream_writer_finish(w));
	hmlm_stream_writer_close(w);
	buf = fd_bytes(fd, &len);
	close(fd);
	fd = buf_fd(buf, len);
	ASSERT_EQ(0, hmlm_stream_reader_open(fd, 0, &out, &r));
	EXPECT_EQ(HMLM_STREAM_STATE_NVME, out.state_fmt.flags);
	EXPECT_EQ(1, out.state_fmt.nvme_version);
	ASSERT_EQ(1, hmlm_stream_read_record(r, &rec));
	EXPECT_EQ(HMLM_STREAM_REC_STATE, rec.type);
	EXPECT_EQ(0, hmlm_stream_read_record(r, &rec));
	hmlm_stream_reader_close(r);
	close(fd);
	free(buf);

	/* a uuid without the vendor flag is not a format */
	fill_info(&info);
	info.state_fmt.uuid[3] = 1;
	fd = memfd_create("s", 0);
	EXPECT_EQ(-EINVAL, hmlm_stream_writer_open(fd, &info, 0, &w));
	close(fd);
}

/* A STATE record that is not what the HEADER announced is refused. */
TEST(state_format_mismatch_on_wire)
{
	struct tb *t = calloc(1, sizeof(*t));
	unsigned char p[TB_HDR_FIXED + 32], state[STATE_LEN];
	int nrec;

	memset(p, 0, sizeof(p));
	strcpy((char *)p + 16, SUBNQN);
	le32put(p + 8, 2);
	le32put(p + TB_HDR_FIXED, 1);
	le32put(p + TB_HDR_FIXED + 4, 512);
	p[TB_HDR_FIXED + 8] = 1;
	le32put(p + TB_HDR_FIXED + 16, 2);
	le32put(p + TB_HDR_FIXED + 20, 4096);
	p[TB_HDR_FIXED + 24] = 1;
	le16put(p + 304, HMLM_STREAM_STATE_NVME);
	le16put(p + 306, 7);	/* announces version 7 */
	tb_preamble(t, "HMLMSTRM", HMLM_STREAM_VERSION_MAJOR, 0);
	tb_record(t, HMLM_STREAM_REC_HEADER, 0, p, sizeof(p));
	make_state(state);
	tb_state(t, state, sizeof(state));	/* flags 0, version 0 */
	tb_end(t);
	EXPECT_EQ(-EPROTO, tb_read(t, 0, &nrec));
	EXPECT_EQ(0, nrec);
	free(t);
}

/* The worked example of Documentation/stream-format.rst, byte for byte. */
TEST(doc_example_layout)
{
	static const struct hmlm_stream_ns ns = {
		.nsid = 1, .lba_size = 512, .nlbas = 64 };
	struct hmlm_stream_writer *w;
	struct hmlm_stream_info info;
	unsigned char data[512] = { 0 }, *b;
	uint32_t chain;
	size_t len;
	int fd;

	memset(&info, 0, sizeof(info));
	info.num_ns = 1;
	info.ns = &ns;
	fd = memfd_create("s", 0);
	ASSERT_EQ(0, hmlm_stream_writer_open(fd, &info, 0, &w));
	ASSERT_EQ(0, hmlm_stream_write_extent(w, &(struct hmlm_stream_extent){
		.nsid = 1, .slba = 0, .nlb = 1, .data = data }));
	ASSERT_EQ(0, hmlm_stream_writer_finish(w));
	hmlm_stream_writer_close(w);
	b = fd_bytes(fd, &len);
	close(fd);
	ASSERT_EQ(988u, len);
	EXPECT_EQ(0, memcmp(b, "HMLMSTRM\x02\x00\x00\x00", 12));
	EXPECT_EQ(0, memcmp(b + 0x10, "\x01\x00\x00\x00\x58\x01\x00\x00"
			    "\x00\x00\x00\x00", 12));
	EXPECT_EQ(0, memcmp(b + 0x17c, "\x02\x00\x00\x00\x20\x02\x00\x00"
			    "\x01\x00\x00\x00", 12));
	EXPECT_EQ(0, memcmp(b + 0x3b0, "\x08\x00\x00\x00\x18\x00\x00\x00"
			    "\x02\x00\x00\x00", 12));
	EXPECT_EQ(2u, le64get(b + 0x3c0));
	EXPECT_EQ(0x3b0u, le64get(b + 0x3c8));
	/* the stream CRC chains the preamble's and the records' CRCs */
	chain = hmlm_crc32c(0, b + 12, 4);
	chain = hmlm_crc32c(chain, b + 0x17c - 4, 4);
	chain = hmlm_crc32c(chain, b + 0x3b0 - 4, 4);
	EXPECT_EQ(chain, le32get(b + 0x3d0));
	/* every header CRC and record CRC as documented */
	EXPECT_EQ(hmlm_crc32c(0, b + 0x10, 12), le32get(b + 0x10 + 12));
	EXPECT_EQ(hmlm_crc32c(0, b + 0x10, 16 + 344), le32get(b + 0x17c - 4));
	EXPECT_EQ(hmlm_crc32c(0, b, 12), le32get(b + 12));
	free(b);
}

TEST_HARNESS_MAIN
