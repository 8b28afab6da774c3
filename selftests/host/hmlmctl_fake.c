// SPDX-License-Identifier: GPL-2.0
/*
 * The scripted device of fakedev.h for a whole program: LD_PRELOAD this
 * (with hmlm_mock.c built in) and hmlmctl talks to a fake nvme-hmlm
 * module, so hmlmctl_cli_test.sh can run every command on the host.
 *
 * HMLM_FAKE_DST_VERSIONS: the target's NVMe state versions, e.g. "5"
 * (default: 1 and 0, as fake_init() has them).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fakedev.h"

static struct fake fake;

__attribute__((constructor)) static void fake_start(void)
{
	const char *v = getenv("HMLM_FAKE_DST_VERSIONS");

	fake_init(&fake);
	fake.alloc[0] = (struct nvme_hmlm_lba_range){ 0, 64 };
	fake.alloc[1] = (struct nvme_hmlm_lba_range){ 512, 128 };
	fake.nalloc = 2;
	if (v) {
		fake.dst.nv = 0;
		while (*v && fake.dst.nv < 8) {
			fake.dst.vers[fake.dst.nv++] = (uint16_t)strtoul(v, (char **)&v, 10);
			if (*v == ',')
				v++;
		}
	}
	mock_set_handler(fake_handler, &fake);
}

/* hmlmctl checks that the module's device exists before it opens it. */
int access(const char *path, int mode)
{
	static int (*real)(const char *, int);

	if (!strcmp(path, "/dev/nvme-hmlm"))
		return 0;
	if (!real)
		real = (int (*)(const char *, int))dlsym(RTLD_NEXT, "access");
	return real(path, mode);
}
