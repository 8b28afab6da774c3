// SPDX-License-Identifier: GPL-2.0
/*
 * nvvf-corrupt: damage a VM migration file on purpose, for the nested
 * bench's stream scenario. Finds the Nth record of nvme-hmlm-vfio-pci's
 * stream (magic "NVVF", Documentation/vfio.rst) in FILE and flips one bit
 * of its payload, so only the record's CRC can tell.
 *
 *   nvvf-corrupt FILE N     (N = 1: SETUP, 2: STATE)
 *
 * Prints the offset it changed; exit status 1 if there is no Nth record.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define REC_HDR_LEN	24	/* struct nvmevf_rec */

int main(int argc, char **argv)
{
	static const unsigned char magic[4] = { 'N', 'V', 'V', 'F' };
	unsigned char *p;
	struct stat st;
	long want, n = 0;
	size_t i;
	int fd;

	if (argc != 3 || (want = atol(argv[2])) < 1) {
		fprintf(stderr, "usage: nvvf-corrupt FILE N\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0 || fstat(fd, &st)) {
		perror(argv[1]);
		return 2;
	}
	p = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	for (i = 0; i + REC_HDR_LEN + 8 < (size_t)st.st_size; i++) {
		/* magic, then version 1 (le16) */
		if (memcmp(p + i, magic, 4) || p[i + 4] != 1 || p[i + 5] != 0)
			continue;
		if (++n < want)
			continue;
		p[i + REC_HDR_LEN + 4] ^= 0x01;
		printf("%zu\n", i + REC_HDR_LEN + 4);
		return msync(p, st.st_size, MS_SYNC) ? 2 : 0;
	}
	fprintf(stderr, "nvvf-corrupt: record %ld not found (%ld records)\n", want, n);
	return 1;
}
