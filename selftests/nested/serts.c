// SPDX-License-Identifier: GPL-2.0
/*
 * serts: stamps an L2's serial console with L1's wall-clock time, for the
 * nested bench's L1 scripts. QEMU writes the serial into a FIFO
 * (-serial file:FIFO); serts reads it and writes each line to OUT as
 *
 *   <ms> <line>
 *
 * where <ms> is CLOCK_REALTIME in milliseconds when the line's newline
 * arrived (the clock QEMU's trace uses with -msg timestamp=on), and the
 * line has its CR dropped. A line still open when QEMU closes the FIFO is
 * written with " [cut]" after it: a line the source VM began and the
 * target finished is incomplete in both files, and must not pass for a
 * complete one.
 *
 * Why: a guest cannot time its own pauses (its clocks follow QEMU's
 * virtual clock, which stops with the VM), so the workload's downtime is
 * measured here, from when its progress lines arrive (migrate.sh).
 *
 *   serts FIFO OUT      (OUT is created first, then FIFO opened)
 *   serts --now         prints the same clock's <ms> (for the scripts)
 * Exit status: 0 at the FIFO's end of file, 1 on an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char line[4096];
static size_t len;

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= w;
	}
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes the pending line with its time stamp and @suffix; 0 or -1. */
static int emit(int out, const char *suffix)
{
	char head[32];
	int n;

	n = snprintf(head, sizeof(head), "%lld ", now_ms());
	if (write_all(out, head, n) || write_all(out, line, len) ||
	    write_all(out, suffix, strlen(suffix)))
		return -1;
	len = 0;
	return 0;
}

int main(int argc, char **argv)
{
	char buf[512];
	int in, out;

	if (argc == 2 && !strcmp(argv[1], "--now")) {
		printf("%lld\n", now_ms());
		return 0;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: serts FIFO OUT | serts --now\n");
		return 1;
	}
	out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0) {
		perror(argv[2]);
		return 1;
	}
	in = open(argv[1], O_RDONLY);
	if (in < 0) {
		perror(argv[1]);
		return 1;
	}
	for (;;) {
		ssize_t r = read(in, buf, sizeof(buf));
		ssize_t i;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			perror("read");
			return 1;
		}
		if (r == 0)
			break;
		for (i = 0; i < r; i++) {
			if (buf[i] == '\r')
				continue;
			if (buf[i] == '\n') {
				if (emit(out, "\n"))
					return 1;
				continue;
			}
			line[len++] = buf[i];
			if (len == sizeof(line) && emit(out, "\n"))
				return 1;
		}
	}
	if (len && emit(out, " [cut]\n"))
		return 1;
	return 0;
}
