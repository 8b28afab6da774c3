// SPDX-License-Identifier: GPL-2.0
/* The LD_PRELOAD mock of /dev/nvme-hmlm: see hmlm_mock.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "hmlm_mock.h"

#define MOCK_PATH	"/dev/nvme-hmlm"
#define MAX_FDS		1024

static unsigned char fds[MAX_FDS];
static struct mock_call calls[MOCK_MAX_CALLS];
static unsigned int ncalls, opens;
static mock_handler handler;
static void *handler_priv;
/* the library may call from two threads: one call at a time, like the module's session lock */
static pthread_mutex_t call_lock = PTHREAD_MUTEX_INITIALIZER;

static int (*real_open)(const char *, int, ...);
static int (*real_ioctl)(int, unsigned long, ...);
static int (*real_close)(int);

static void resolve(void)
{
	if (!real_open)
		real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	if (!real_ioctl)
		real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	if (!real_close)
		real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
}

void mock_reset(void)
{
	memset(fds, 0, sizeof(fds));
	ncalls = 0;
	opens = 0;
	handler = NULL;
	handler_priv = NULL;
}

void mock_set_handler(mock_handler fn, void *priv)
{
	handler = fn;
	handler_priv = priv;
}

void mock_add_fd(int fd)
{
	if (fd >= 0 && fd < MAX_FDS)
		fds[fd] = 1;
}

int mock_is_fd(int fd)
{
	return fd >= 0 && fd < MAX_FDS && fds[fd];
}

unsigned int mock_ncalls(void)
{
	return ncalls;
}

unsigned int mock_opens(void)
{
	return opens;
}

const struct mock_call *mock_get(unsigned int i)
{
	return i < ncalls ? &calls[i] : NULL;
}

int mock_index(unsigned long cmd, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < ncalls; i++)
		if (calls[i].cmd == cmd && n-- == 0)
			return (int)i;
	return -1;
}

const struct mock_call *mock_nth(unsigned long cmd, unsigned int n)
{
	int i = mock_index(cmd, n);

	return i < 0 ? NULL : &calls[i];
}

unsigned int mock_count(unsigned long cmd)
{
	unsigned int i, n = 0;

	for (i = 0; i < ncalls; i++)
		n += calls[i].cmd == cmd;
	return n;
}

static int do_open(const char *path, int flags, mode_t mode)
{
	int fd;

	resolve();
	if (path && !strcmp(path, MOCK_PATH)) {
		fd = real_open("/dev/null", O_RDWR | (flags & O_CLOEXEC));
		if (fd >= 0) {
			mock_add_fd(fd);
			opens++;
		}
		return fd;
	}
	return real_open(path, flags, mode);
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return do_open(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return do_open(path, flags, mode);
}

int close(int fd)
{
	resolve();
	if (fd >= 0 && fd < MAX_FDS)
		fds[fd] = 0;
	return real_close(fd);
}

int ioctl(int fd, unsigned long cmd, ...)
{
	struct mock_call *c;
	va_list ap;
	void *arg;
	uint32_t size = 0;
	int ret;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	resolve();
	if (!mock_is_fd(fd))
		return real_ioctl(fd, cmd, arg);
	if (arg)
		memcpy(&size, arg, sizeof(size));
	pthread_mutex_lock(&call_lock);
	if (ncalls < MOCK_MAX_CALLS) {
		c = &calls[ncalls++];
		c->fd = fd;
		c->cmd = cmd;
		c->len = size < MOCK_MAX_LEN ? size : MOCK_MAX_LEN;
		memset(c->data, 0, sizeof(c->data));
		if (arg)
			memcpy(c->data, arg, c->len);
	}
	ret = handler ? handler(fd, cmd, arg, handler_priv) : -ENOTTY;
	pthread_mutex_unlock(&call_lock);
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return ret;
}
