// SPDX-License-Identifier: GPL-2.0
/*
 * hmlmctl: the operator's command line for NVMe Host Managed Live
 * Migration, on top of libhmlm. This file: the command table, the rules
 * every command shares (options anywhere, strict numbers, errors that name
 * what failed, JSON through json-c) and the controller queries.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <nvme/util.h>

#include "hmlm.h"
#include "hmlmctl.h"

int json;

/* ---- output and errors ------------------------------------------------- */

void json_print(FILE *f, struct json_object *o)
{
	fprintf(f, "%s\n", json_object_to_json_string_ext(o,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(f);
	json_object_put(o);
}

struct json_object *json_u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

/*
 * The migration-specific command-specific statuses (TP4159, NVMe 2.1):
 * libnvme 1.3 does not know them yet. Everything else is libnvme's.
 */
const char *nvme_status_text(uint16_t status)
{
	static const struct {
		uint16_t sc;
		const char *text;
	} lm[] = {
		{ 0x37, "Invalid Controller Data Queue" },
		{ 0x38, "Not Enough Resources" },
		{ 0x39, "Controller Suspended" },
		{ 0x3a, "Controller Not Suspended" },
		{ 0x3b, "Controller Data Queue Full" },
	};
	const char *s;
	unsigned int i;

	if (((status >> 8) & 7) == 1)
		for (i = 0; i < sizeof(lm) / sizeof(lm[0]); i++)
			if ((status & 0xff) == lm[i].sc)
				return lm[i].text;
	s = nvme_status_to_string(status & 0x7ff, false);
	return s && strcmp(s, "unrecognized") ? s : "unknown status";
}

/* strerror(), with what the library's stream errors mean. */
const char *err_text(int err)
{
	switch (-err) {
	case ENOMSG:
		return "not a migration stream (bad magic)";
	case EBADMSG:
		return "the migration stream is corrupted (checksum mismatch)";
	case ENODATA:
		return "the migration stream ended early (truncated)";
	case EPROTONOSUPPORT:
		return "the migration stream has another major format version";
	default:
		return strerror(-err);
	}
}

int fail_err(const char *what, int err, uint16_t nvme_status)
{
	bool nvme = err == -EIO && nvme_status;

	if (json) {
		struct json_object *o = json_object_new_object();
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "what", json_object_new_string(what));
		json_object_object_add(e, "errno", json_object_new_int(-err));
		json_object_object_add(e, "message",
				       json_object_new_string(err_text(err)));
		if (nvme) {
			json_object_object_add(e, "nvme_status",
					       json_object_new_int(nvme_status));
			json_object_object_add(e, "nvme_status_text",
				json_object_new_string(nvme_status_text(nvme_status)));
		}
		json_object_object_add(o, "error", e);
		json_print(stdout, o);
	}
	if (nvme)
		fprintf(stderr, "hmlmctl: %s: NVMe status 0x%x: %s\n", what,
			nvme_status, nvme_status_text(nvme_status));
	else
		fprintf(stderr, "hmlmctl: %s: %s\n", what, err_text(err));
	return 1;
}

int fail_session(const char *what, int err, struct hmlm_session *s)
{
	return fail_err(what, err, s ? hmlm_session_nvme_status(s) : 0);
}

/* ---- arguments --------------------------------------------------------- */

int parse_num(const char *what, const char *s, uint64_t min, uint64_t max,
	      unsigned int flags, uint64_t *out)
{
	const char *p = s, *why = NULL;
	unsigned int base = 10, shift = 0;
	uint64_t v = 0;

	if (!s || !*s) {
		why = "empty";
		goto bad;
	}
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	} else if (p[0] == '0' && p[1] >= '0' && p[1] <= '9') {
		why = "leading zero (octal is not taken: write it in decimal or 0x hex)";
		goto bad;
	}
	if (!*p) {
		why = "no digits";
		goto bad;
	}
	for (; *p; p++) {
		unsigned int d;

		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			break;
		if (v > (UINT64_MAX - d) / base) {
			why = "too large";
			goto bad;
		}
		v = v * base + d;
	}
	if (*p && (flags & NUM_SUFFIX) && !p[1]) {
		const char *suf = "kmgt", *q = strchr(suf, *p | 0x20);

		if (q && *p) {
			shift = 10 * (unsigned int)(q - suf + 1);
			p++;
		}
	}
	if (*p) {
		why = flags & NUM_SUFFIX ?
			"not a number (digits, 0x hex, a k/m/g/t suffix)" :
			"not a number (decimal or 0x hex)";
		goto bad;
	}
	if (shift && v > (UINT64_MAX >> shift)) {
		why = "too large";
		goto bad;
	}
	v <<= shift;
	if (v < min || v > max) {
		fprintf(stderr, "hmlmctl: %s '%s': out of range %llu..%llu\n",
			what, s, (unsigned long long)min,
			(unsigned long long)max);
		return -ERANGE;
	}
	*out = v;
	return 0;
bad:
	fprintf(stderr, "hmlmctl: %s '%s': %s\n", what, s ? s : "", why);
	return -EINVAL;
}

int parse_cntlid(const char *s, uint16_t *cntlid)
{
	uint64_t v;

	if (parse_num("CNTLID", s, 0, 0xfffe, 0, &v))
		return -EINVAL;
	*cntlid = (uint16_t)v;
	return 0;
}

int check_dev(const char *dev)
{
	char what[300];
	struct stat st;

	if (stat(dev, &st))
		return fail_err(dev, -errno, 0);
	if (!S_ISCHR(st.st_mode)) {
		snprintf(what, sizeof(what), "%s (an NVMe controller is a "
			 "character device, /dev/nvmeN)", dev);
		return fail_err(what, -ENOTTY, 0);
	}
	if (access(HMLM_DEV_PATH, F_OK)) {
		snprintf(what, sizeof(what), "%s (is the nvme-hmlm module "
			 "loaded?)", HMLM_DEV_PATH);
		return fail_err(what, -errno, 0);
	}
	return 0;
}

int open_session(const char *mmc, const char *cntlid_s,
		 struct hmlm_session **s)
{
	return open_session_flags(mmc, cntlid_s, 0, s);
}

/* open_session() with hmlm_session_open_flags()'s @flags */
int open_session_flags(const char *mmc, const char *cntlid_s,
		       unsigned int flags, struct hmlm_session **s)
{
	uint16_t cntlid;
	char what[300];
	int ret;

	if (parse_cntlid(cntlid_s, &cntlid))
		return 2;
	ret = check_dev(mmc);
	if (ret)
		return ret;
	ret = hmlm_session_open_flags(mmc, cntlid, flags, s);
	if (ret) {
		snprintf(what, sizeof(what), "bind %s CNTLID %u%s", mmc, cntlid,
			 flags & HMLM_SESSION_DATA ? " (data session)" : "");
		return fail_err(what, ret, 0);
	}
	return 0;
}

/* ---- the commands on a controller -------------------------------------- */

/*
 * Options of a command without options of its own: --help. Returns -1 to
 * go on (with exactly @nargs arguments at argv[optind]) or the exit status.
 */
int cmd_args(const struct cmd *c, int argc, char **argv, int nargs)
{
	static const struct option o[] = { CMD_HELP_OPT, { NULL, 0, NULL, 0 } };
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", o, NULL)) != -1)
		return cmd_usage(c, ch == 'h' ? 0 : 2);
	if (argc - optind != nargs)
		return cmd_usage(c, 2);
	return -1;
}

static void uuid_str(const uint8_t *u, char *out)
{
	int i, n = 0;

	for (i = 0; i < 16; i++)
		n += sprintf(out + n, "%02x%s", u[i],
			     (i == 3 || i == 5 || i == 7 || i == 9) ? "-" : "");
}

static int get_caps(const char *dev, struct hmlm_caps *caps)
{
	char what[300];
	int ret = check_dev(dev);

	if (ret)
		return ret;
	memset(caps, 0, sizeof(*caps));
	caps->size = sizeof(*caps);
	ret = hmlm_get_caps(dev, caps);
	if (ret) {
		snprintf(what, sizeof(what), "Identify of %s", dev);
		return fail_err(what, ret, ret == -EIO ? caps->nvme_status : 0);
	}
	return 0;
}

static int cmd_info(const struct cmd *c, int argc, char **argv)
{
	struct hmlm_caps k;
	const char *dev;
	char u[40];
	int ret, i;

	ret = cmd_args(c, argc, argv, 1);
	if (ret >= 0)
		return ret;
	dev = argv[optind];
	ret = get_caps(dev, &k);
	if (ret)
		return ret;
	if (json) {
		struct json_object *o = json_object_new_object();
		struct json_object *v = json_object_new_array();
		struct json_object *uu = json_object_new_array();

		json_object_object_add(o, "device", json_object_new_string(dev));
		json_object_object_add(o, "cntlid", json_object_new_int(k.cntlid));
		json_object_object_add(o, "hmlm",
			json_object_new_boolean(k.flags & HMLM_CAP_HMLMS));
		json_object_object_add(o, "max_transfer", json_u64(k.max_xfer));
		json_object_object_add(o, "track_lba",
			json_object_new_boolean(k.flags & HMLM_CAP_TRACK_LBA));
		json_object_object_add(o, "track_memory",
			json_object_new_boolean(k.flags & HMLM_CAP_TRACK_MEM));
		json_object_object_add(o, "allocated_lbas",
			json_object_new_boolean(k.flags & HMLM_CAP_RALBAS));
		json_object_object_add(o, "mcudmq", json_object_new_int(k.max_udmq));
		json_object_object_add(o, "mnsudmq", json_object_new_int(k.max_udmq_subsys));
		json_object_object_add(o, "mcmr", json_object_new_int(k.max_cdq_ranges));
		json_object_object_add(o, "nmcmr", json_object_new_int(k.max_cdq_ranges_subsys));
		json_object_object_add(o, "mcdqpc", json_object_new_int(k.max_cdq_prps));
		json_object_object_add(o, "cmmrtd", json_object_new_int(k.max_mem_ranges));
		json_object_object_add(o, "nmmrtd", json_object_new_int(k.max_mem_ranges_subsys));
		json_object_object_add(o, "minmrtg", json_object_new_int(k.min_mem_gran));
		json_object_object_add(o, "maxmrtg", json_object_new_int(k.max_mem_gran));
		json_object_object_add(o, "lbamqf", json_object_new_int(k.lba_mq_format));
		for (i = 0; i < k.num_state_versions && i < HMLM_MAX_STATE_FORMATS; i++)
			json_object_array_add(v, json_object_new_int(k.state_versions[i]));
		for (i = 0; i < k.num_state_uuids && i < HMLM_MAX_STATE_FORMATS; i++) {
			uuid_str(k.state_uuids[i], u);
			json_object_array_add(uu, json_object_new_string(u));
		}
		json_object_object_add(o, "state_versions", v);
		json_object_object_add(o, "state_uuids", uu);
		json_print(stdout, o);
		return 0;
	}
	printf("%s: CNTLID %u, max transfer %u bytes\n", dev, k.cntlid, k.max_xfer);
	if (!(k.flags & HMLM_CAP_HMLMS)) {
		printf("  Host Managed Live Migration: not supported (OACS.HMLMS = 0)\n");
		return 0;
	}
	printf("  Host Managed Live Migration: supported (this controller can be an MMC)\n");
	printf("  track user data changes: %s (queues: %u per controller, %u per subsystem)\n",
	       k.flags & HMLM_CAP_TRACK_LBA ? "yes" : "no", k.max_udmq, k.max_udmq_subsys);
	printf("  migration queue memory: %u ranges per queue, %u per subsystem, %u PRPs\n",
	       k.max_cdq_ranges, k.max_cdq_ranges_subsys, k.max_cdq_prps);
	printf("  track host memory changes: %s (%u ranges, %u per subsystem, granularity 2^%u..2^%u x 4 KiB%s)\n",
	       k.flags & HMLM_CAP_TRACK_MEM ? "yes" : "no", k.max_mem_ranges,
	       k.max_mem_ranges_subsys, k.min_mem_gran, k.max_mem_gran,
	       k.flags & HMLM_CAP_MRTLL ? ", power-of-2 lengths" : "");
	printf("  allocated LBA reporting (Get LBA Status 02h): %s\n",
	       k.flags & HMLM_CAP_RALBAS ? "yes" : "no");
	printf("  LBA migration queue format: %u\n", k.lba_mq_format);
	for (i = 0; i < k.num_state_versions && i < HMLM_MAX_STATE_FORMATS; i++)
		printf("  controller state: NVMe version %u (CSVI %d)\n", k.state_versions[i], i + 1);
	for (i = 0; i < k.num_state_uuids && i < HMLM_MAX_STATE_FORMATS; i++) {
		uuid_str(k.state_uuids[i], u);
		printf("  controller state: vendor format %s (CSUUIDI %d)\n", u, i + 1);
	}
	return 0;
}

/*
 * The controller state formats DEV can take, as one token for
 * "migrate-out --target-formats": nvme:V and vendor:UUID, comma-separated
 * ("none" when it lists none).
 */
static int cmd_formats(const struct cmd *c, int argc, char **argv)
{
	char tok[HMLM_MAX_STATE_FORMATS * 2 * 48] = "", u[40];
	struct hmlm_caps k;
	int ret, i, n = 0;

	ret = cmd_args(c, argc, argv, 1);
	if (ret >= 0)
		return ret;
	ret = get_caps(argv[optind], &k);
	if (ret)
		return ret;
	for (i = 0; i < k.num_state_versions && i < HMLM_MAX_STATE_FORMATS; i++)
		n += sprintf(tok + n, "%snvme:%u", n ? "," : "", k.state_versions[i]);
	for (i = 0; i < k.num_state_uuids && i < HMLM_MAX_STATE_FORMATS; i++) {
		uuid_str(k.state_uuids[i], u);
		n += sprintf(tok + n, "%svendor:%s", n ? "," : "", u);
	}
	if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "device", json_object_new_string(argv[optind]));
		json_object_object_add(o, "stream_version",
			json_object_new_int(HMLM_STREAM_VERSION_MAJOR));
		json_object_object_add(o, "formats",
			json_object_new_string(n ? tok : "none"));
		json_print(stdout, o);
	} else {
		printf("%s\n", n ? tok : "none");
	}
	return 0;
}

static int cmd_list(const struct cmd *c, int argc, char **argv)
{
	struct hmlm_secondary *list;
	char what[300];
	const char *dev;
	int n, i, ret;

	ret = cmd_args(c, argc, argv, 1);
	if (ret >= 0)
		return ret;
	dev = argv[optind];
	ret = check_dev(dev);
	if (ret)
		return ret;
	n = hmlm_list_secondary(dev, &list);
	if (n < 0) {
		snprintf(what, sizeof(what), "secondary controllers of %s", dev);
		return fail_err(what, n, 0);
	}
	if (json) {
		struct json_object *a = json_object_new_array();

		for (i = 0; i < n; i++) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "cntlid", json_object_new_int(list[i].cntlid));
			json_object_object_add(o, "vf", json_object_new_int(list[i].vf));
			json_object_object_add(o, "online",
					       json_object_new_boolean(list[i].online));
			json_object_object_add(o, "queues", json_object_new_int(list[i].queues));
			json_object_object_add(o, "interrupts",
					       json_object_new_int(list[i].interrupts));
			json_object_array_add(a, o);
		}
		json_print(stdout, a);
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

static int cmd_cntlid(const struct cmd *c, int argc, char **argv)
{
	const char *dev, *vf;
	char what[300];
	uint16_t cntlid;
	uint64_t v;
	int ret;

	ret = cmd_args(c, argc, argv, 2);
	if (ret >= 0)
		return ret;
	dev = argv[optind];
	vf = argv[optind + 1];
	/* a VF number (strict), or a PCI address (has a ':') */
	if (!strchr(vf, ':') && parse_num("VF", vf, 1, 0xffff, 0, &v))
		return 2;
	ret = check_dev(dev);
	if (ret)
		return ret;
	ret = hmlm_vf_cntlid(dev, vf, &cntlid);
	if (ret) {
		snprintf(what, sizeof(what), "VF %s of %s", vf, dev);
		return fail_err(what, ret, 0);
	}
	if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "vf", json_object_new_string(vf));
		json_object_object_add(o, "cntlid", json_object_new_int(cntlid));
		json_print(stdout, o);
	} else {
		printf("%u\n", cntlid);
	}
	return 0;
}

/* ---- the command table ------------------------------------------------- */

#define MOPTS_HELP \
	"options:\n" \
	"  --ns SPEC         a namespace to move (repeatable; default 1, its disks\n" \
	"                    found in sysfs). migrate: SRC[:BDEV][=DST[:BDEV]];\n" \
	"                    migrate-out: NSID[:BDEV]; migrate-in: SRC[=DST[:BDEV]]\n" \
	"                    (the source NSID as the stream names it)\n" \
	"  --max-rounds N    dirty rounds at most, 1..16 (default 8)\n" \
	"  --converge BYTES  stop the rounds under BYTES dirty (k/m/g suffixes)\n" \
	"  --budget-us US    downtime budget in microseconds (reported)\n" \
	"  --log-entries N   migration queue slots, 16..1048576\n" \
	"  --stop-deadline-us US  the longest the source stays suspended; on the\n" \
	"                    target the longest from the FINAL round to END\n" \
	"  --recv-timeout-us US   migrate-in: the longest wait for the stream's\n" \
	"                    next bytes (default: none)\n" \
	"  --no-alloc        copy whole namespaces (no allocated-LBA query)\n" \
	"  --no-resume       leave the target suspended\n" \
	"  --progress        draw a progress bar on stderr (default on a terminal)\n"

static const struct cmd cmds[] = {
	{ "info", "DEV",
	  "Live-migration capabilities of the NVMe controller DEV (/dev/nvmeN).\n",
	  cmd_info },
	{ "list", "DEV",
	  "The migratable (secondary) controllers of the MMC DEV.\n", cmd_list },
	{ "cntlid", "DEV VF",
	  "The CNTLID of a VF of DEV, by VF number (1 is VF1) or PCI address.\n",
	  cmd_cntlid },
	{ "formats", "DEV",
	  "The controller state formats DEV can take, as the token that\n"
	  "migrate-out --target-formats takes (run it on the target host).\n",
	  cmd_formats },
	{ "suspend", "[--notify] [--no-keep] [--timeout MS] MMC CNTLID",
	  "Suspend a migratable controller; it stays suspended after hmlmctl\n"
	  "exits (--no-keep: resumed at exit). --notify: a Suspend Notification\n"
	  "only. --timeout: the drain timeout in milliseconds.\n", cmd_suspend },
	{ "resume", "MMC CNTLID", "Resume a suspended controller.\n", cmd_resume },
	{ "state", "save|load MMC CNTLID FILE",
	  "save: write the controller state to FILE (-: stdout), as a migration\n"
	  "stream. load: set a saved state into a suspended controller.\n",
	  cmd_state },
	{ "track", "[--count N] [--timeout MS] [--entries N] [--extents NSID] MMC CNTLID",
	  "Log the controller's user data changes until Ctrl-C, N records or MS\n"
	  "milliseconds. --extents: print the coalesced dirty extents of NSID.\n"
	  "--json: one document at the end.\n", cmd_track },
	{ "migrate", "[options] SRC_MMC SRC_CNTLID DST_MMC DST_CNTLID",
	  "Migrate a controller and its namespaces on this host.\n" MOPTS_HELP,
	  cmd_migrate },
	{ "migrate-out", "[options] [--target-formats TOKEN] SRC_MMC SRC_CNTLID",
	  "Migrate a controller out as a stream on stdout. --target-formats:\n"
	  "what the target takes (hmlmctl formats on the target): a target that\n"
	  "takes none of the source's formats is refused before anything moves.\n"
	  "--json: the report goes to stderr.\n" MOPTS_HELP, cmd_migrate },
	{ "migrate-in", "[options] DST_MMC DST_CNTLID",
	  "Migrate a controller in from a stream on stdin.\n" MOPTS_HELP,
	  cmd_migrate },
	{ "migrate-data", "[options] [--stopped-fd FD] SRC_MMC SRC_CNTLID DST_MMC",
	  "Move the namespace data of a controller that QEMU migrates (its VF\n"
	  "bound to nvme-hmlm-vfio-pci), on a data session: the allocated LBAs,\n"
	  "then what the migration queue reports. Once FD (default 0: stdin)\n"
	  "turns readable the source must be suspended (QEMU held at\n"
	  "pre-switchover): the queue is read to its \"suspended\" record, the\n"
	  "rest copied and the target flushed; exit 0 means QEMU may switch\n"
	  "over (migrate-continue).\n" MOPTS_HELP, cmd_migrate },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	unsigned int i;

	fprintf(f, "usage: hmlmctl [--json] COMMAND [ARGS]   (options go anywhere)\n"
		"commands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %-11s %s\n", cmds[i].name, cmds[i].args);
	fprintf(f, "options:\n"
		"  -j, --json   machine-readable output (one JSON document)\n"
		"  -h, --help   this text; hmlmctl COMMAND --help: the command's\n");
}

int cmd_usage(const struct cmd *c, int status)
{
	FILE *f = status ? stderr : stdout;

	fprintf(f, "usage: hmlmctl %s %s\n%s", c->name, c->args,
		status ? "" : "\n");
	if (!status)
		fputs(c->help, f);
	return status;
}

int main(int argc, char **argv)
{
	unsigned int i;
	int j, k;

	/* --json anywhere before "--" */
	for (j = 1, k = 1; j < argc; j++) {
		if (!strcmp(argv[j], "--")) {
			while (j < argc)
				argv[k++] = argv[j++];
			break;
		}
		if (!strcmp(argv[j], "--json") || !strcmp(argv[j], "-j"))
			json = 1;
		else
			argv[k++] = argv[j];
	}
	argc = k;
	argv[argc] = NULL;
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    (!strcmp(argv[1], "help") && argc == 2)) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "help") && argc == 3) {
		for (i = 0; i < NCMDS; i++)
			if (!strcmp(argv[2], cmds[i].name))
				return cmd_usage(&cmds[i], 0);
	}
	for (i = 0; i < NCMDS; i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run(&cmds[i], argc - 1, argv + 1);
	fprintf(stderr, "hmlmctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
