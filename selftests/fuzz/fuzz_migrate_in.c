// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: hmlm_migrate_in() replaying arbitrary bytes as a
 * stream onto the scripted target of selftests/host/fakedev.h (behind
 * hmlm_mock.c, linked in: its open()/ioctl()/close() interpose libc's),
 * with a 1 MiB file as the target namespace. Checks beyond the
 * sanitizers: the target is never resumed unless the call succeeds, and
 * a successful call set the state it resumed with.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <hmlm.h>
#include "fakedev.h"

#define NS_BYTES	(512 * 2048)

static struct fake fake;
static char ns_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd;

	(void)argc;
	(void)argv;
	snprintf(ns_path, sizeof(ns_path), "/tmp/hmlm-fuzz-ns-%d", (int)getpid());
	fd = open(ns_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, NS_BYTES))
		abort();
	close(fd);
	return 0;
}

__attribute__((destructor)) static void fuzz_cleanup(void)
{
	if (ns_path[0])
		unlink(ns_path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hmlm_ns_map map = { 1, 1, NULL, ns_path };
	struct hmlm_migrate_params p = { .size = sizeof(p) };
	struct hmlm_migrate_report r = { .size = sizeof(r) };
	struct hmlm_session *dst;
	int fd, ret;

	mock_reset();
	fake_init(&fake);
	mock_set_handler(fake_handler, &fake);
	if (hmlm_session_open("/dev/null", DST_CNTLID, &dst))
		abort();
	fd = memfd_create("stream", 0);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	lseek(fd, 0, SEEK_SET);
	ret = hmlm_migrate_in(dst, &map, 1, fd, &p, &r);
	close(fd);
	if (ret && fake.dst.resumes)
		abort();	/* resumed although the call failed */
	if (!ret && (!fake.dst.resumes || !fake.set_len))
		abort();	/* resumed without its state */
	hmlm_session_close(dst);
	mock_reset();
	return 0;
}
