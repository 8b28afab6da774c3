// SPDX-License-Identifier: LGPL-2.1-or-later
/* A whole live migration: migrate SRC_MMC CNTLID SRC_DISK DST_MMC CNTLID DST_DISK */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hmlm.h>

int main(int argc, char **argv)
{
	struct hmlm_session *src, *dst;
	struct hmlm_migrate_params p = { .size = sizeof(p) };
	struct hmlm_migrate_report r = { .size = sizeof(r) };
	int ret;

	if (argc != 7)
		return fprintf(stderr, "usage: %s SRC_MMC CNTLID SRC_DISK DST_MMC CNTLID DST_DISK\n", argv[0]), 2;
	struct hmlm_ns_map ns = { 1, 1, argv[3], argv[6] };	/* namespace 1 */
	if ((ret = hmlm_session_open(argv[1], atoi(argv[2]), &src)) ||
	    (ret = hmlm_session_open(argv[4], atoi(argv[5]), &dst)))
		return fprintf(stderr, "bind: %s\n", strerror(-ret)), 1;
	ret = hmlm_migrate(src, dst, &ns, 1, &p, &r);
	printf("%s: %u rounds, %llu bytes copied, downtime %llu us\n", ret ? strerror(-ret) : "migrated",
	       r.rounds, (unsigned long long)r.bytes_copied, (unsigned long long)r.downtime_ns / 1000);
	hmlm_session_close(dst);
	hmlm_session_close(src);	/* the source stays suspended: the target runs */
	return ret ? 1 : 0;
}
