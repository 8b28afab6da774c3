# SPDX-License-Identifier: GPL-2.0
# libhmlm session/migration tests: host unit tests against the module mock
# (hmlm_mock.so) and the guest test program of the library calls.
#
# Standalone (from the project root):
#   make -f selftests/host/lib.mk          host tests (ASan+UBSan) + guest test
#   make -f selftests/host/lib.mk run      run the host tests
#   make -f selftests/host/lib.mk clean
# Included from another Makefile: targets libmk-host-tests, libmk-guest-tests,
# libmk-run, libmk-clean; LIBMK_HOST_PROGS and LIBMK_GUEST_PROGS list the
# programs. Variables are prefixed LIBMK_; the includer's default goal is kept.

LIBMK_STANDALONE := $(if $(filter 1,$(words $(MAKEFILE_LIST))),1)
LIBMK_PREV_GOAL := $(.DEFAULT_GOAL)
LIBMK_DIR := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
LIBMK_TOP := $(abspath $(LIBMK_DIR)/../..)
LIBMK_SELFTESTS := $(LIBMK_TOP)/selftests

LIBMK_CACHE := $(or $(HMLM_CACHE),$(HOME)/.cache/nvme-hmlm)
LIBMK_KENV := $(lastword $(sort $(wildcard $(LIBMK_CACHE)/kernel/*/env)))
LIBMK_KSRC := $(or $(KSRC),$(if $(LIBMK_KENV),$(shell sed -n 's/^KSRC=//p' '$(LIBMK_KENV)')))

LIBMK_CC := $(or $(HOSTCC),cc)
LIBMK_CFLAGS := -O1 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE
LIBMK_CPPFLAGS := -isystem $(LIBMK_KSRC)/tools/testing/selftests \
	-I$(LIBMK_TOP)/include -I$(LIBMK_TOP)/include/uapi -I$(LIBMK_TOP)/lib \
	-I$(LIBMK_DIR)
LIBMK_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
LIBMK_LIBSRCS := $(addprefix $(LIBMK_TOP)/lib/,caps.c ioctl.c session.c \
	crc32c.c stream.c extents.c control.c logq.c alloc.c memtrack.c \
	copy.c migrate.c migrate_stream.c migrate_io.c migrate_precopy.c \
	migrate_rounds.c migrate_stop.c migrate_handover.c migrate_data.c)
LIBMK_DEPS := $(LIBMK_LIBSRCS) $(LIBMK_TOP)/lib/internal.h \
	$(LIBMK_TOP)/lib/migrate_int.h $(LIBMK_TOP)/include/hmlm.h \
	$(LIBMK_TOP)/include/uapi/linux/nvme_hmlm.h $(LIBMK_DIR)/lib.mk

# the copy engine's io_uring (lib/Makefile)
LIBMK_URING := $(shell pkg-config --libs liburing)
LIBMK_MOCK := $(LIBMK_DIR)/hmlm_mock.so
LIBMK_HOST_PROGS := $(addprefix $(LIBMK_DIR)/,hmlm_ioctl_test hmlm_migrate_test)
LIBMK_GUEST_PROGS := $(LIBMK_SELFTESTS)/hmlm_lib_test \
	$(LIBMK_SELFTESTS)/lib_example_migrate
LIBMK_UDRV := $(LIBMK_SELFTESTS)/lib/libudrv.a

.PHONY: libmk-host-tests libmk-guest-tests libmk-run libmk-clean

libmk-host-tests: $(LIBMK_HOST_PROGS)
libmk-guest-tests: $(LIBMK_GUEST_PROGS)

$(LIBMK_MOCK): $(LIBMK_DIR)/hmlm_mock.c $(LIBMK_DIR)/hmlm_mock.h
	$(LIBMK_CC) $(LIBMK_CFLAGS) -fPIC -shared -o $@ $< -ldl

# The mock is linked before libc (and found through the rpath), so its
# open()/ioctl()/close() interpose the library's calls as LD_PRELOAD would.
$(LIBMK_HOST_PROGS): $(LIBMK_DIR)/%: $(LIBMK_DIR)/%.c $(LIBMK_DEPS) \
		$(LIBMK_DIR)/fakedev.h $(LIBMK_MOCK)
	$(LIBMK_CC) $(LIBMK_CPPFLAGS) $(LIBMK_CFLAGS) $(LIBMK_SAN) -pthread \
		-o $@ $< $(LIBMK_LIBSRCS) $(LIBMK_MOCK) -Wl,-rpath,'$$ORIGIN' -ldl \
		$(LIBMK_URING)

# Standalone only: included from selftests/Makefile, lib/udrv.mk has the rule.
ifndef UDRV_LIB
$(LIBMK_UDRV):
	$(MAKE) -C $(LIBMK_SELFTESTS)/lib
endif

$(LIBMK_SELFTESTS)/hmlm_lib_test: $(LIBMK_SELFTESTS)/guest/hmlm_lib_test.c \
		$(LIBMK_DEPS) $(LIBMK_UDRV) $(LIBMK_SELFTESTS)/lib/udrv.h \
		$(LIBMK_SELFTESTS)/lib/bench.h
	$(LIBMK_CC) $(LIBMK_CPPFLAGS) -I$(LIBMK_SELFTESTS)/lib \
		-I$(LIBMK_SELFTESTS) $(LIBMK_CFLAGS) -Wno-clobbered -pthread \
		-o $@ $< $(LIBMK_LIBSRCS) $(LIBMK_UDRV) $(LIBMK_URING) -static

# lib/examples/migrate.c, static, run by guest/lib_migrate_test.sh
$(LIBMK_SELFTESTS)/lib_example_migrate: $(LIBMK_TOP)/lib/examples/migrate.c \
		$(LIBMK_DEPS)
	$(LIBMK_CC) -I$(LIBMK_TOP)/include -I$(LIBMK_TOP)/include/uapi \
		$(LIBMK_CFLAGS) -o $@ $< $(LIBMK_LIBSRCS) $(LIBMK_URING) -static

# The copy engine's throughput (not a test, no sanitizers): copy_bench
$(LIBMK_DIR)/copy_bench: $(LIBMK_DIR)/copy_bench.c $(LIBMK_DEPS) \
		$(LIBMK_DIR)/fakedev.h $(LIBMK_MOCK)
	$(LIBMK_CC) $(LIBMK_CPPFLAGS) $(filter-out -O1,$(LIBMK_CFLAGS)) -O2 \
		-o $@ $< $(LIBMK_LIBSRCS) $(LIBMK_MOCK) -Wl,-rpath,'$$ORIGIN' \
		-ldl $(LIBMK_URING)

.PHONY: copy-bench
copy-bench: $(LIBMK_DIR)/copy_bench

libmk-run: $(LIBMK_HOST_PROGS)
	@rc=0; for t in $^; do $$t || rc=1; done; exit $$rc

libmk-clean:
	rm -f $(LIBMK_HOST_PROGS) $(LIBMK_MOCK) $(LIBMK_GUEST_PROGS) \
		$(LIBMK_DIR)/copy_bench

ifeq ($(LIBMK_STANDALONE),1)
.PHONY: all run clean
all: libmk-host-tests libmk-guest-tests
run: libmk-run
clean: libmk-clean
.DEFAULT_GOAL := all
else
.DEFAULT_GOAL := $(LIBMK_PREV_GOAL)
endif
