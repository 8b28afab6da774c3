// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the migration stream reader (lib/stream.c) on
 * arbitrary bytes, through the read callbacks (struct hmlm_stream_io).
 * Checks beyond the sanitizers: a record is handed out only inside the
 * input, the reader never reads past END, and the byte count it reports
 * is what it consumed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hmlm.h>

struct mem {
	const uint8_t *p;
	size_t len, pos;
};

static long mem_read(void *arg, void *buf, size_t len)
{
	struct mem *m = arg;

	if (len > m->len - m->pos)
		len = m->len - m->pos;
	/* short reads: at most 4 KiB a call */
	if (len > 4096)
		len = 4096;
	memcpy(buf, m->p + m->pos, len);
	m->pos += len;
	return (long)len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem m = { .p = data, .len = size };
	struct hmlm_stream_io io = {
		.size = sizeof(io), .read = mem_read, .arg = &m,
	};
	struct hmlm_stream_reader *r;
	struct hmlm_stream_info info;
	struct hmlm_stream_record rec;
	int ret;

	if (hmlm_stream_reader_open_io(&io, 0, &info, &r))
		return 0;
	while ((ret = hmlm_stream_read_record(r, &rec)) > 0) {
		if (hmlm_stream_reader_bytes(r) > m.pos)
			abort();	/* counted bytes it did not read */
		if ((rec.type == HMLM_STREAM_REC_DATA ||
		     rec.type == HMLM_STREAM_REC_DIRTY) &&
		    rec.extent.len) {
			/* touch every byte handed out (ASan checks the bounds) */
			volatile uint8_t x = ((const uint8_t *)rec.extent.data)[0] ^
				((const uint8_t *)rec.extent.data)[rec.extent.len - 1];
			(void)x;
		}
	}
	if (ret == 0 && hmlm_stream_reader_bytes(r) != m.pos)
		abort();	/* read past END */
	if (hmlm_stream_read_record(r, &rec) != ret && ret <= 0)
		abort();	/* errors and the end are sticky */
	hmlm_stream_reader_close(r);
	return 0;
}
