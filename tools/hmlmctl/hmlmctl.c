// SPDX-License-Identifier: GPL-2.0
/*
 * hmlmctl: the operator's command line for NVMe Host Managed Live
 * Migration, on top of libhmlm.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmlm.h"
#include "hmlmctl.h"

int json;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hmlmctl [--json] COMMAND ...\n"
		"  info DEV          live-migration capabilities of the controller DEV (/dev/nvmeN)\n"
		"  list DEV          the migratable (secondary) controllers of the MMC DEV\n"
		"  cntlid DEV VF     the CNTLID of a VF of DEV (VF number or PCI address)\n"
		"  suspend [--notify] [--no-keep] [--timeout MS] MMC CNTLID\n"
		"                    suspend a migratable controller (it stays suspended)\n"
		"  resume MMC CNTLID resume it\n"
		"  state save MMC CNTLID FILE   save its controller state (FILE - : stdout)\n"
		"  state load MMC CNTLID FILE   load a saved state into it (suspended)\n"
		"  track [--count N] [--timeout MS] [--entries N] [--extents NSID] MMC CNTLID\n"
		"                    log its user data changes until Ctrl-C, N records or MS;\n"
		"                    --extents: print the coalesced dirty extents of NSID\n"
		"  migrate [MOPTS] SRC_MMC SRC_CNTLID DST_MMC DST_CNTLID\n"
		"                    migrate a controller and its namespaces on this host\n"
		"  migrate-out [MOPTS] SRC_MMC SRC_CNTLID   ... as a stream on stdout\n"
		"  migrate-in [MOPTS] DST_MMC DST_CNTLID    ... from a stream on stdin\n"
		"MOPTS:\n"
		"  --ns NSID[:BDEV][=NSID[:BDEV]]  a namespace to move (repeatable; default 1,\n"
		"                    disks found in sysfs); migrate-in maps the source NSID\n"
		"  --max-rounds N  --converge BYTES  --budget-us US  --log-entries N\n"
		"  --no-alloc (copy whole namespaces)  --no-resume  --progress\n"
		"options:\n"
		"  -j, --json        machine-readable output\n"
		"  -h, --help        this text\n");
}

static int fail(const char *what, const char *dev, int err)
{
	fprintf(stderr, "hmlmctl: %s %s: %s\n", what, dev, strerror(-err));
	return 1;
}

static void print_uuid(const uint8_t *u)
{
	int i;

	for (i = 0; i < 16; i++)
		printf("%02x%s", u[i], (i == 3 || i == 5 || i == 7 || i == 9) ? "-" : "");
}

static int cmd_info(const char *dev)
{
	struct hmlm_caps c = { .size = sizeof(c) };
	int ret, i;

	ret = hmlm_get_caps(dev, &c);
	if (ret == -EIO) {
		fprintf(stderr, "hmlmctl: identify %s failed with NVMe status 0x%x\n",
			dev, c.nvme_status);
		return 1;
	}
	if (ret)
		return fail("capabilities of", dev, ret);
	if (json) {
		printf("{\"device\":\"%s\",\"cntlid\":%u,\"hmlm\":%s,\"max_transfer\":%u,"
		       "\"track_lba\":%s,\"track_memory\":%s,\"allocated_lbas\":%s,"
		       "\"mcudmq\":%u,\"mnsudmq\":%u,\"mcmr\":%u,\"nmcmr\":%u,\"mcdqpc\":%u,"
		       "\"cmmrtd\":%u,\"nmmrtd\":%u,\"minmrtg\":%u,\"maxmrtg\":%u,"
		       "\"lbamqf\":%u,\"state_versions\":[",
		       dev, c.cntlid, c.flags & HMLM_CAP_HMLMS ? "true" : "false",
		       c.max_xfer, c.flags & HMLM_CAP_TRACK_LBA ? "true" : "false",
		       c.flags & HMLM_CAP_TRACK_MEM ? "true" : "false",
		       c.flags & HMLM_CAP_RALBAS ? "true" : "false",
		       c.max_udmq, c.max_udmq_subsys, c.max_cdq_ranges,
		       c.max_cdq_ranges_subsys, c.max_cdq_prps, c.max_mem_ranges,
		       c.max_mem_ranges_subsys, c.min_mem_gran, c.max_mem_gran,
		       c.lba_mq_format);
		for (i = 0; i < c.num_state_versions && i < HMLM_MAX_STATE_FORMATS; i++)
			printf("%s%u", i ? "," : "", c.state_versions[i]);
		printf("],\"state_uuids\":[");
		for (i = 0; i < c.num_state_uuids && i < HMLM_MAX_STATE_FORMATS; i++) {
			printf("%s\"", i ? "," : "");
			print_uuid(c.state_uuids[i]);
			printf("\"");
		}
		printf("]}\n");
		return 0;
	}
	printf("%s: CNTLID %u, max transfer %u bytes\n", dev, c.cntlid, c.max_xfer);
	if (!(c.flags & HMLM_CAP_HMLMS)) {
		printf("  Host Managed Live Migration: not supported (OACS.HMLMS = 0)\n");
		return 0;
	}
	printf("  Host Managed Live Migration: supported (this controller can be an MMC)\n");
	printf("  track user data changes: %s (queues: %u per controller, %u per subsystem)\n",
	       c.flags & HMLM_CAP_TRACK_LBA ? "yes" : "no", c.max_udmq, c.max_udmq_subsys);
	printf("  migration queue memory: %u ranges per queue, %u per subsystem, %u PRPs\n",
	       c.max_cdq_ranges, c.max_cdq_ranges_subsys, c.max_cdq_prps);
	printf("  track host memory changes: %s (%u ranges, %u per subsystem, granularity 2^%u..2^%u x 4 KiB%s)\n",
	       c.flags & HMLM_CAP_TRACK_MEM ? "yes" : "no", c.max_mem_ranges,
	       c.max_mem_ranges_subsys, c.min_mem_gran, c.max_mem_gran,
	       c.flags & HMLM_CAP_MRTLL ? ", power-of-2 lengths" : "");
	printf("  allocated LBA reporting (Get LBA Status 02h): %s\n",
	       c.flags & HMLM_CAP_RALBAS ? "yes" : "no");
	printf("  LBA migration queue format: %u\n", c.lba_mq_format);
	for (i = 0; i < c.num_state_versions && i < HMLM_MAX_STATE_FORMATS; i++)
		printf("  controller state: NVMe version %u (CSVI %d)\n", c.state_versions[i], i + 1);
	for (i = 0; i < c.num_state_uuids && i < HMLM_MAX_STATE_FORMATS; i++) {
		printf("  controller state: vendor format ");
		print_uuid(c.state_uuids[i]);
		printf(" (CSUUIDI %d)\n", i + 1);
	}
	return 0;
}

static int cmd_list(const char *dev)
{
	struct hmlm_secondary *list;
	int n, i;

	n = hmlm_list_secondary(dev, &list);
	if (n < 0)
		return fail("secondary controllers of", dev, n);
	if (json) {
		printf("[");
		for (i = 0; i < n; i++)
			printf("%s{\"cntlid\":%u,\"vf\":%u,\"online\":%s,\"queues\":%u,\"interrupts\":%u}",
			       i ? "," : "", list[i].cntlid, list[i].vf,
			       list[i].online ? "true" : "false", list[i].queues,
			       list[i].interrupts);
		printf("]\n");
	} else {
		printf("%-7s %-4s %-8s %-7s %s\n", "CNTLID", "VF", "STATE", "QUEUES", "VECTORS");
		for (i = 0; i < n; i++)
			printf("%-7u %-4u %-8s %-7u %u\n", list[i].cntlid, list[i].vf,
			       list[i].online ? "online" : "offline", list[i].queues,
			       list[i].interrupts);
	}
	free(list);
	return 0;
}

static int cmd_cntlid(const char *dev, const char *vf)
{
	uint16_t cntlid;
	int ret = hmlm_vf_cntlid(dev, vf, &cntlid);

	if (ret)
		return fail("VF lookup on", dev, ret);
	if (json)
		printf("{\"vf\":\"%s\",\"cntlid\":%u}\n", vf, cntlid);
	else
		printf("%u\n", cntlid);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd;
	int c;

	while ((c = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind++];
	argc -= optind;
	argv += optind;
	if (!strcmp(cmd, "info") && argc == 1)
		return cmd_info(argv[0]);
	if (!strcmp(cmd, "list") && argc == 1)
		return cmd_list(argv[0]);
	if (!strcmp(cmd, "cntlid") && argc == 2)
		return cmd_cntlid(argv[0], argv[1]);
	c = -1;
	if (!strcmp(cmd, "suspend"))
		c = cmd_suspend(argc + 1, argv - 1);
	else if (!strcmp(cmd, "resume"))
		c = cmd_resume(argc, argv);
	else if (!strcmp(cmd, "state"))
		c = cmd_state(argc, argv);
	else if (!strcmp(cmd, "track"))
		c = cmd_track(argc + 1, argv - 1);
	else if (!strcmp(cmd, "migrate"))
		c = cmd_migrate(argc + 1, argv - 1, 0);
	else if (!strcmp(cmd, "migrate-out"))
		c = cmd_migrate(argc + 1, argv - 1, -1);
	else if (!strcmp(cmd, "migrate-in"))
		c = cmd_migrate(argc + 1, argv - 1, 1);
	if (c >= 0 && c != 2)
		return c;
	fprintf(stderr, "hmlmctl: unknown command or wrong arguments: %s\n", cmd);
	usage(stderr);
	return 2;
}
