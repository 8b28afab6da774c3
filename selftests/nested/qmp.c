// SPDX-License-Identifier: GPL-2.0
/*
 * qmp: one QMP command to a QEMU whose monitor is a pipe chardev
 * (-qmp pipe:BASE: QEMU reads BASE.in and writes BASE.out, two FIFOs), for
 * the nested bench's L1 scripts. FIFOs rather than a unix socket: the
 * debug kernel (scripts/debug-kernel.config) has no networking, so no
 * AF_UNIX, and L1 has no python.
 *
 *   qmp BASE '{"execute":"query-migrate"}'
 *
 * A pipe monitor is one session for QEMU's whole life: the greeting comes
 * once, capabilities are negotiated once. So each call sends
 * qmp_capabilities (an error reply once negotiated: ignored) and then the
 * command, both with an "id" of its own, and waits for the replies
 * carrying those ids; everything else on BASE.out (the greeting, events,
 * late replies of an earlier call that timed out) is skipped.
 *
 * Environment: QMP_PID, QEMU's pid (the call gives up when it is gone);
 * QMP_TIMEOUT, seconds to wait for a reply (default 60).
 * Exit status: 0 for a "return" (the reply line is printed), 1 for an
 * "error" (printed all the same), 2 when QEMU could not be talked to.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char buf[1 << 16];
static size_t len;
static pid_t qemu_pid;
static double deadline;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One line of BASE.out into @line; 0 on success, -1 on timeout or error. */
static int read_line(int fd, char *line, size_t size)
{
	for (;;) {
		char *nl = memchr(buf, '\n', len);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (nl) {
			size_t n = nl - buf + 1;

			if (n >= size)
				n = size - 1;
			memcpy(line, buf, n);
			line[n] = '\0';
			len -= nl - buf + 1;
			memmove(buf, nl + 1, len);
			return 0;
		}
		if (len == sizeof(buf))
			len = 0;	/* a line longer than any reply: drop it */
		if (now() > deadline)
			return -1;
		if (qemu_pid > 0 && kill(qemu_pid, 0) && errno == ESRCH)
			return -1;
		if (poll(&p, 1, 100) <= 0)
			continue;
		r = read(fd, buf + len, sizeof(buf) - len);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return -1;
		len += r;
	}
}

/* The reply with id @id; 1 for "return", 0 for "error", -1 for none. */
static int reply(int fd, const char *id, char *line, size_t size)
{
	char tag[64];

	snprintf(tag, sizeof(tag), "\"%s\"", id);
	while (read_line(fd, line, size) == 0) {
		if (!strstr(line, tag))
			continue;
		if (strstr(line, "\"return\""))
			return 1;
		if (strstr(line, "\"error\""))
			return 0;
	}
	return -1;
}

static int send_all(int fd, const char *s)
{
	size_t n = strlen(s);

	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static char line[1 << 16], cmd[1 << 16];
	char path[4096], cap_id[32], cmd_id[32], cap[128];
	const char *e;
	size_t clen;
	int in, out, r;

	if (argc != 3 || strlen(argv[1]) > sizeof(path) - 8) {
		fprintf(stderr, "usage: qmp PIPE-BASE JSON-COMMAND\n");
		return 2;
	}
	e = getenv("QMP_PID");
	qemu_pid = e ? atoi(e) : 0;
	e = getenv("QMP_TIMEOUT");
	deadline = now() + (e ? atoi(e) : 60);

	/* O_RDWR: neither open waits for the other end (QEMU's). */
	snprintf(path, sizeof(path), "%s.in", argv[1]);
	in = open(path, O_RDWR | O_CLOEXEC);
	if (in < 0) {
		fprintf(stderr, "qmp: %s: %s\n", path, strerror(errno));
		return 2;
	}
	snprintf(path, sizeof(path), "%s.out", argv[1]);
	out = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (out < 0) {
		fprintf(stderr, "qmp: %s: %s\n", path, strerror(errno));
		return 2;
	}

	snprintf(cap_id, sizeof(cap_id), "cap-%d", (int)getpid());
	snprintf(cmd_id, sizeof(cmd_id), "cmd-%d", (int)getpid());
	snprintf(cap, sizeof(cap), "{\"execute\":\"qmp_capabilities\",\"id\":\"%s\"}\n", cap_id);
	if (send_all(in, cap) || reply(out, cap_id, line, sizeof(line)) < 0) {
		fprintf(stderr, "qmp: QEMU does not answer on %s\n", argv[1]);
		return 2;
	}

	/* The command with our id: {"execute":...} -> {"id":"...","execute":...}. */
	e = strchr(argv[2], '{');
	clen = strlen(argv[2]);
	if (!e || clen + 64 > sizeof(cmd)) {
		fprintf(stderr, "qmp: not a JSON object: %s\n", argv[2]);
		return 2;
	}
	snprintf(cmd, sizeof(cmd), "{\"id\":\"%s\",%s\n", cmd_id, e + 1);
	if (send_all(in, cmd)) {
		fprintf(stderr, "qmp: send failed\n");
		return 2;
	}
	r = reply(out, cmd_id, line, sizeof(line));
	if (r < 0) {
		fprintf(stderr, "qmp: no reply\n");
		return 2;
	}
	fputs(line, stdout);
	return r ? 0 : 1;
}
