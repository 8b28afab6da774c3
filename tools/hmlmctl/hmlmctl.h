/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HMLMCTL_H
#define HMLMCTL_H

extern int json;

int cmd_suspend(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_state(int argc, char **argv);
int cmd_track(int argc, char **argv);
/* @dir: 0 local, -1 out (stdout), 1 in (stdin) */
int cmd_migrate(int argc, char **argv, int dir);

#endif
