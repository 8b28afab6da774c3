# SPDX-License-Identifier: GPL-2.0
# Host unit tests of the library's pure-userspace parts: the migration
# stream (stream_test) and the dirty-extent set (extents_test). The tests
# link the library sources directly, built with the host compiler.
#
# Standalone (from the project root):
#   make -f selftests/host/host.mk            ASan+UBSan builds
#   make -f selftests/host/host.mk run        run them
#   make -f selftests/host/host.mk valgrind   non-sanitized builds
#                                              (*_test.vg) under valgrind
#   make -f selftests/host/host.mk clean
# Included from another Makefile: the targets are hmlm-host-tests,
# hmlm-host-run, hmlm-host-valgrind, hmlm-host-clean; HMLM_HOST_PROGS lists
# the sanitized programs. Every variable here is prefixed HOSTMK_, and the
# includer's default goal is kept.

HOSTMK_STANDALONE := $(if $(filter 1,$(words $(MAKEFILE_LIST))),1)
HOSTMK_PREV_GOAL := $(.DEFAULT_GOAL)
HOSTMK_DIR := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
HOSTMK_TOP := $(abspath $(HOSTMK_DIR)/../..)

HOSTMK_CACHE := $(or $(HMLM_CACHE),$(HOME)/.cache/nvme-hmlm)
HOSTMK_KENV := $(lastword $(sort $(wildcard $(HOSTMK_CACHE)/kernel/*/env)))
KSRC ?= $(if $(HOSTMK_KENV),$(shell sed -n 's/^KSRC=//p' '$(HOSTMK_KENV)'))
HOSTMK_HARNESS := $(KSRC)/tools/testing/selftests/kselftest_harness.h

HOSTMK_CC := $(or $(HOSTCC),cc)
HOSTMK_CFLAGS := -O1 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	-pthread
# -isystem: the harness itself is not -Wextra clean.
HOSTMK_CPPFLAGS := -isystem $(KSRC)/tools/testing/selftests \
	-I$(HOSTMK_TOP)/include -I$(HOSTMK_TOP)/lib
# lib/crc32c.c with ISA-L, as libhmlm.so is built (lib/Makefile)
HOSTMK_ISAL_CFLAGS := $(shell pkg-config --exists libisal 2>/dev/null && \
	echo -DHMLM_HAVE_ISAL $$(pkg-config --cflags libisal))
HOSTMK_ISAL_LIBS := $(shell pkg-config --libs libisal 2>/dev/null)
HOSTMK_CFLAGS += $(HOSTMK_ISAL_CFLAGS)
HOSTMK_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
HOSTMK_LIBSRCS := $(addprefix $(HOSTMK_TOP)/lib/,crc32c.c stream.c extents.c)
HOSTMK_DEPS := $(HOSTMK_LIBSRCS) $(HOSTMK_TOP)/lib/internal.h \
	$(HOSTMK_TOP)/include/hmlm.h $(HOSTMK_DIR)/host.mk
HOSTMK_VALGRIND := valgrind -q --error-exitcode=1 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect,possible

HMLM_HOST_PROGS := $(addprefix $(HOSTMK_DIR)/,stream_test extents_test)
HMLM_HOST_VG_PROGS := $(addsuffix .vg,$(HMLM_HOST_PROGS))
HMLM_HOST_FAKE := $(HOSTMK_DIR)/hmlmctl_fake.so

# The same tests for a big-endian host (s390x, run under qemu-s390x by
# scripts/host-tests.sh): the wire format must not depend on the host's
# byte order. Static, with the portable CRC32C (no ISA-L for s390x).
HOSTMK_CROSS_CC ?= s390x-linux-gnu-gcc
HMLM_HOST_CROSS_PROGS := $(addsuffix .s390x,$(HMLM_HOST_PROGS))

.PHONY: hmlm-host-tests hmlm-host-run hmlm-host-valgrind hmlm-host-clean \
	hmlm-host-check-ksrc hmlm-host-cross

hmlm-host-tests: $(HMLM_HOST_PROGS) $(HMLM_HOST_FAKE)

hmlm-host-check-ksrc:
	@test -f '$(HOSTMK_HARNESS)' || { echo "host.mk: KSRC='$(KSRC)' has no \
	tools/testing/selftests/kselftest_harness.h; set KSRC" >&2; exit 1; }

$(HMLM_HOST_PROGS): $(HOSTMK_DIR)/%: $(HOSTMK_DIR)/%.c $(HOSTMK_DEPS) \
		| hmlm-host-check-ksrc
	$(HOSTMK_CC) $(HOSTMK_CPPFLAGS) $(HOSTMK_CFLAGS) $(HOSTMK_SAN) \
		-o $@ $< $(HOSTMK_LIBSRCS) $(HOSTMK_ISAL_LIBS)

$(HMLM_HOST_VG_PROGS): $(HOSTMK_DIR)/%.vg: $(HOSTMK_DIR)/%.c $(HOSTMK_DEPS) \
		| hmlm-host-check-ksrc
	$(HOSTMK_CC) $(HOSTMK_CPPFLAGS) $(HOSTMK_CFLAGS) \
		-o $@ $< $(HOSTMK_LIBSRCS) $(HOSTMK_ISAL_LIBS)

hmlm-host-cross: $(HMLM_HOST_CROSS_PROGS)

# hmlmctl against the scripted device, for hmlmctl_cli_test.sh (LD_PRELOAD)
$(HMLM_HOST_FAKE): $(HOSTMK_DIR)/hmlmctl_fake.c $(HOSTMK_DIR)/hmlm_mock.c \
		$(HOSTMK_DIR)/fakedev.h $(HOSTMK_DIR)/hmlm_mock.h
	$(HOSTMK_CC) -O1 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
		-I$(HOSTMK_TOP)/include -I$(HOSTMK_TOP)/include/uapi \
		-fPIC -shared -o $@ $(HOSTMK_DIR)/hmlmctl_fake.c \
		$(HOSTMK_DIR)/hmlm_mock.c -ldl

$(HMLM_HOST_CROSS_PROGS): $(HOSTMK_DIR)/%.s390x: $(HOSTMK_DIR)/%.c \
		$(HOSTMK_DEPS) | hmlm-host-check-ksrc
	$(HOSTMK_CROSS_CC) $(HOSTMK_CPPFLAGS) \
		$(filter-out -DHMLM_HAVE_ISAL,$(HOSTMK_CFLAGS)) -static \
		-o $@ $< $(HOSTMK_LIBSRCS)

hmlm-host-run: $(HMLM_HOST_PROGS)
	@rc=0; for t in $^; do $$t || rc=1; done; exit $$rc

hmlm-host-valgrind: $(HMLM_HOST_VG_PROGS)
	@rc=0; for t in $^; do \
		echo "# valgrind $$t"; $(HOSTMK_VALGRIND) $$t || rc=1; \
	done; exit $$rc

hmlm-host-clean:
	rm -f $(HMLM_HOST_PROGS) $(HMLM_HOST_VG_PROGS) $(HMLM_HOST_CROSS_PROGS) \
		$(HMLM_HOST_FAKE)

ifeq ($(HOSTMK_STANDALONE),1)
.PHONY: all run valgrind clean cross
all: hmlm-host-tests
cross: hmlm-host-cross
run: hmlm-host-run
valgrind: hmlm-host-valgrind
clean: hmlm-host-clean
.DEFAULT_GOAL := all
else
.DEFAULT_GOAL := $(HOSTMK_PREV_GOAL)
endif
