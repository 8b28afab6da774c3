// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the fuzzers' seed corpora from the project's own streams:
 * hmlm_migrate_out() against the scripted source of fakedev.h (the stream
 * hmlmctl migrate-out writes), a stream with every record type from the
 * writer API, and extent-set operation sequences.
 *
 * usage: gen_seeds DIR   (writes DIR/stream, DIR/migrate_in, DIR/extents)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hmlm.h>
#include "fakedev.h"

static char dir[200];

static int out(const char *sub, const char *name)
{
	char path[400];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(path);
		exit(1);
	}
	return fd;
}

static void copy_fd(int from, const char *sub, const char *name)
{
	char buf[65536];
	int to = out(sub, name);
	ssize_t n;

	lseek(from, 0, SEEK_SET);
	while ((n = read(from, buf, sizeof(buf))) > 0)
		if (write(to, buf, n) != n)
			exit(1);
	close(to);
}

/* hmlm_migrate_out() of a 1 MiB namespace with three allocated ranges. */
static void migrate_out_seed(int no_alloc)
{
	struct hmlm_migrate_params p = { .size = sizeof(p) };
	struct hmlm_migrate_report r = { .size = sizeof(r) };
	struct hmlm_session *src;
	struct hmlm_ns_map map = { 1, 1, NULL, NULL };
	static struct fake f;
	char ns_path[] = "/tmp/hmlm-seed-XXXXXX";
	unsigned char b[512];
	int ns, fd, i;

	ns = mkstemp(ns_path);
	if (ns < 0 || ftruncate(ns, 512 * 2048))
		exit(1);
	for (i = 0; i < 2048; i += 7) {
		memset(b, i & 0xff, sizeof(b));
		if (pwrite(ns, b, sizeof(b), (off_t)i * 512) != sizeof(b))
			exit(1);
	}
	mock_reset();
	fake_init(&f);
	f.alloc[0] = (struct nvme_hmlm_lba_range){ 0, 8 };
	f.alloc[1] = (struct nvme_hmlm_lba_range){ 512, 16 };
	f.alloc[2] = (struct nvme_hmlm_lba_range){ 2040, 8 };
	f.nalloc = 3;
	mock_set_handler(fake_handler, &f);
	if (hmlm_session_open("/dev/null", SRC_CNTLID, &src))
		exit(1);
	map.src_bdev = ns_path;
	fd = memfd_create("s", 0);
	p.flags = no_alloc ? HMLM_MIGRATE_NO_ALLOC : 0;
	if (hmlm_migrate_out(src, &map, 1, fd, &p, &r)) {
		fprintf(stderr, "gen_seeds: migrate_out failed\n");
		exit(1);
	}
	hmlm_session_close(src);
	copy_fd(fd, "stream", no_alloc ? "migrate_out_whole" : "migrate_out");
	copy_fd(fd, "migrate_in", no_alloc ? "migrate_out_whole" : "migrate_out");
	close(fd);
	close(ns);
	unlink(ns_path);
	mock_reset();
}

/* Every record type through the writer API, two namespaces. */
static void all_types_seed(void)
{
	static const struct hmlm_stream_ns ns[] = {
		{ .nsid = 1, .lba_size = 512, .nlbas = 2048 },
		{ .nsid = 7, .lba_size = 4096, .nlbas = 64 },
	};
	static const struct hmlm_stream_mem_range mr[] = {
		{ 0x1000, 0x2000 }, { 0x200000, 0x3000 },
	};
	unsigned char data[4 * 512], state[48 + 8 + 48];
	struct hmlm_stream_writer *w;
	struct hmlm_stream_info info;
	int fd = memfd_create("s", 0);

	memset(data, 0x5a, sizeof(data));
	memset(state, 0, sizeof(state));
	state[16] = 14;		/* NVMECSS in dwords */
	memset(&info, 0, sizeof(info));
	strcpy(info.subnqn, "nqn.2026-11.io.nvme-hmlm:seed");
	strcpy(info.serial, "SEED");
	info.num_ns = 2;
	info.ns = ns;
	info.state_fmt.flags = HMLM_STREAM_STATE_NVME;
	info.state_fmt.nvme_version = 1;
	if (hmlm_stream_writer_open(fd, &info, 0, &w) ||
	    hmlm_stream_write_round(w, &(struct hmlm_stream_round){
		.round = 0, .dirty_bytes = sizeof(data) }) ||
	    hmlm_stream_write_extent(w, &(struct hmlm_stream_extent){
		.nsid = 1, .slba = 10, .nlb = 4, .data = data }) ||
	    hmlm_stream_write_dealloc(w, &(struct hmlm_stream_extent){
		.nsid = 7, .slba = 3, .nlb = 9,
		.flags = HMLM_STREAM_DEALLOC_ZEROES }) ||
	    hmlm_stream_write_round(w, &(struct hmlm_stream_round){
		.round = 1, .flags = HMLM_STREAM_ROUND_FINAL }) ||
	    hmlm_stream_write_extent(w, &(struct hmlm_stream_extent){
		.nsid = 1, .round = 1, .slba = 11, .nlb = 1, .data = data }) ||
	    hmlm_stream_write_mem(w, &(struct hmlm_stream_mem){
		.round = 1, .count = 2, .granularity = 4096, .ranges = mr }) ||
	    hmlm_stream_write_state(w, &(struct hmlm_stream_state){
		.flags = HMLM_STREAM_STATE_NVME, .nvme_version = 1,
		.data = state, .len = sizeof(state) }) ||
	    hmlm_stream_writer_finish(w))
		exit(1);
	hmlm_stream_writer_close(w);
	copy_fd(fd, "stream", "all_types");
	close(fd);
}

static void extents_seeds(void)
{
	/* the reproducer: max 3, two extents in ns 1, one in 2, ns 3 whole */
	static const unsigned char repro[] = {
		2, 0, 0, 0, 5, 3, 0, 0, 60, 3, 0, 1, 2, 0, 3, 2, 0, 0,
	};
	static const unsigned char mixed[] = {
		15, 0x1b, 0, 0, 1, 9, 1, 0, 20, 4, 2, 0, 4, 2, 1, 1, 0, 255,
		3, 2, 0, 0, 0, 0, 100, 50, 2, 0, 110, 5,
	};
	int fd;

	fd = out("extents", "reproducer");
	if (write(fd, repro, sizeof(repro)) != sizeof(repro))
		exit(1);
	close(fd);
	fd = out("extents", "mixed");
	if (write(fd, mixed, sizeof(mixed)) != sizeof(mixed))
		exit(1);
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_seeds DIR\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s", argv[1]);
	mkdir(dir, 0755);
	signal(SIGPIPE, SIG_IGN);
	migrate_out_seed(0);
	migrate_out_seed(1);
	all_types_seed();
	extents_seeds();
	return 0;
}
