// SPDX-License-Identifier: GPL-2.0
/*
 * qmp: one QMP command over QEMU's unix socket, for the nested bench's L1
 * scripts (busybox nc has no unix sockets, and L1 has no python).
 *
 *   qmp SOCKET '{"execute":"query-migrate"}'
 *
 * Negotiates capabilities, sends the command, skips asynchronous events and
 * prints the reply line. Exit status: 0 for a "return", 1 for an "error"
 * (its line printed all the same), 2 when QEMU could not be talked to.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char buf[1 << 16];
static size_t len;

/* One line of the reply stream into @line; 0 on success, -1 at EOF/error. */
static int read_line(int fd, char *line, size_t size)
{
	for (;;) {
		char *nl = memchr(buf, '\n', len);

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
			return -1;
		ssize_t r = read(fd, buf + len, sizeof(buf) - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		len += r;
	}
}

/* The next line that is a reply (not an event); 1 for "return", 0 "error". */
static int reply(int fd, char *line, size_t size)
{
	while (read_line(fd, line, size) == 0) {
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
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static char line[1 << 16];
	int fd, r, tries;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: qmp SOCKET JSON-COMMAND\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("socket");
		return 2;
	}
	/* QEMU may still be starting: wait up to 60 s for its socket. */
	for (tries = 0; connect(fd, (struct sockaddr *)&sa, sizeof(sa)); tries++) {
		if (tries == 600 || (errno != ENOENT && errno != ECONNREFUSED)) {
			fprintf(stderr, "qmp: connect %s: %s\n", argv[1], strerror(errno));
			return 2;
		}
		usleep(100000);
	}
	if (read_line(fd, line, sizeof(line)) || !strstr(line, "\"QMP\"")) {
		fprintf(stderr, "qmp: no greeting on %s\n", argv[1]);
		return 2;
	}
	if (send_all(fd, "{\"execute\":\"qmp_capabilities\"}\n") ||
	    reply(fd, line, sizeof(line)) != 1) {
		fprintf(stderr, "qmp: capabilities negotiation failed\n");
		return 2;
	}
	if (send_all(fd, argv[2]) || send_all(fd, "\n")) {
		fprintf(stderr, "qmp: send failed\n");
		return 2;
	}
	r = reply(fd, line, sizeof(line));
	if (r < 0) {
		fprintf(stderr, "qmp: no reply\n");
		return 2;
	}
	fputs(line, stdout);
	return r ? 0 : 1;
}
