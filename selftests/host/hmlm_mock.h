/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hmlm_mock.so: a stand-in for the nvme-hmlm module in host tests. It
 * intercepts open("/dev/nvme-hmlm") (a /dev/null fd is handed out) and
 * ioctl() on such fds (and on fds registered with mock_add_fd(), e.g. a
 * log fd), records every structure as the library sent it and answers
 * through a handler the test installs. Load it with LD_PRELOAD, or link
 * it (it must come before libc in the search order).
 */
#ifndef HMLM_MOCK_H
#define HMLM_MOCK_H

#include <stddef.h>

#define MOCK_MAX_CALLS	4096
#define MOCK_MAX_LEN	512

struct mock_call {
	int fd;
	unsigned long cmd;
	size_t len;			/* bytes recorded (the size field) */
	unsigned char data[MOCK_MAX_LEN];	/* as the library sent it */
};

/* Returns 0, a positive NVMe status, or -errno (ioctl() then fails). */
typedef int (*mock_handler)(int fd, unsigned long cmd, void *arg, void *priv);

void mock_reset(void);
void mock_set_handler(mock_handler fn, void *priv);
void mock_add_fd(int fd);
int mock_is_fd(int fd);
unsigned int mock_ncalls(void);
const struct mock_call *mock_get(unsigned int i);
unsigned int mock_count(unsigned long cmd);
/* The n-th (0-based) call of @cmd, or NULL. */
const struct mock_call *mock_nth(unsigned long cmd, unsigned int n);
/* Index of the n-th call of @cmd in the call order, or -1. */
int mock_index(unsigned long cmd, unsigned int n);
unsigned int mock_opens(void);

#endif
