/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HMLMCTL_H
#define HMLMCTL_H

#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>

struct hmlm_session;

/* --json anywhere on the command line */
extern int json;

/**
 * struct cmd - one subcommand
 * @name: What the user types.
 * @args: Its synopsis (after "hmlmctl NAME").
 * @help: What it does, for "hmlmctl NAME --help".
 * @run: Runs it on argv[0] = NAME ...; returns the exit status (2: usage).
 */
struct cmd {
	const char *name;
	const char *args;
	const char *help;
	int (*run)(const struct cmd *c, int argc, char **argv);
};

/* Parses subcommand options with getopt_long; handles --help. */
#define CMD_HELP_OPT	{ "help", no_argument, NULL, 'h' }
int cmd_usage(const struct cmd *c, int status);
/* Only --help, then @nargs arguments: -1 to go on, or the exit status. */
int cmd_args(const struct cmd *c, int argc, char **argv, int nargs);

/* Strict numbers: decimal or 0x hex; no leading zero, no sign. */
#define NUM_SUFFIX	(1U << 0)	/* k, m, g, t: powers of 1024 */
int parse_num(const char *what, const char *s, uint64_t min, uint64_t max,
	      unsigned int flags, uint64_t *out);
int parse_cntlid(const char *s, uint16_t *cntlid);

/* The device argument exists and is a character device: 0 or exit 1. */
int check_dev(const char *dev);

/* Errors: named, with decoded NVMe statuses; JSON on stdout with --json. */
const char *nvme_status_text(uint16_t status);
const char *err_text(int err);
int fail_err(const char *what, int err, uint16_t nvme_status);
int fail_session(const char *what, int err, struct hmlm_session *s);

/* Prints @o (and drops it): one JSON document, a newline. */
void json_print(FILE *f, struct json_object *o);
struct json_object *json_u64(uint64_t v);

int open_session(const char *mmc, const char *cntlid_s,
		 struct hmlm_session **s);
int open_session_flags(const char *mmc, const char *cntlid_s,
		       unsigned int flags, struct hmlm_session **s);

int cmd_suspend(const struct cmd *c, int argc, char **argv);
int cmd_resume(const struct cmd *c, int argc, char **argv);
int cmd_state(const struct cmd *c, int argc, char **argv);
int cmd_track(const struct cmd *c, int argc, char **argv);
int cmd_migrate(const struct cmd *c, int argc, char **argv);

#endif
