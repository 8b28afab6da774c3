# SPDX-License-Identifier: GPL-2.0
# End-to-end migration tests (selftests/e2e/): the VM's workload
# (selftests/lib/workload.c on libudrv.a) migrated by libhmlm while it runs.
# Builds static programs at the selftests/ top level (the bench copies them
# into the guest):
#   selftests/hmlm_e2e_test        kselftest harness, 20 randomized migrations
#   selftests/hmlm_e2e_long_test   the same plus 40 longer ones (make bench)
#   selftests/hmlm_e2e_bench       key/value figures for scripts/bench.sh, demo.sh
# Include it from another makefile, or run it alone:
#   make -f selftests/e2e/e2e.mk            # builds all three
#   make -f selftests/e2e/e2e.mk e2e-clean
# libhmlm.a comes from lib/ (build it first: make lib). When it lacks the
# orchestrator (hmlm_migrate), the programs are built without it and run
# the "raw" engine (passthrough Suspend/state/Resume, no module) instead.

e2e_prev_goal := $(.DEFAULT_GOAL)
E2E_DIR := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
E2E_SELFTESTS := $(patsubst %/,%,$(dir $(E2E_DIR)))
E2E_TOP := $(patsubst %/,%,$(dir $(E2E_SELFTESTS)))

ifndef UDRV_LIB
include $(E2E_SELFTESTS)/lib/udrv.mk
endif

E2E_HMLM_CACHE := $(or $(HMLM_CACHE),$(HOME)/.cache/nvme-hmlm)
E2E_KSRC ?= $(or $(KSRC),$(shell sed -n 's/^KSRC=//p' $(E2E_HMLM_CACHE)/kernel/*/env 2>/dev/null | head -n1))
E2E_CC ?= gcc
E2E_CFLAGS ?= -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -Wno-clobbered -pthread
E2E_LDFLAGS ?= -static -pthread
E2E_LIBHMLM := $(E2E_TOP)/lib/libhmlm.a
# the orchestrator is there once libhmlm.a defines it (lib/ is built first)
E2E_HAVE_MIGRATE := $(shell nm $(E2E_LIBHMLM) 2>/dev/null | grep -qs ' T hmlm_migrate$$' && \
	nm $(E2E_LIBHMLM) | grep -qs ' T hmlm_migrate_in$$' && echo 1)
E2E_DEFS := $(if $(E2E_HAVE_MIGRATE),-DHAVE_HMLM_MIGRATE)
# libhmlm.a's own dependencies (liburing), as hmlm.pc's Requires.private
E2E_LIBS := $(if $(E2E_HAVE_MIGRATE),$(E2E_LIBHMLM) $(shell pkg-config --static --libs liburing))

E2E_TESTS := $(E2E_SELFTESTS)/hmlm_e2e_test $(E2E_SELFTESTS)/hmlm_e2e_long_test \
	$(E2E_SELFTESTS)/hmlm_e2e_bench
E2E_OBJS := $(E2E_DIR)/workload.o $(E2E_DIR)/e2e_migrate.o
E2E_HEADERS := $(E2E_DIR)/e2e_common.h $(E2E_DIR)/e2e_migrate.h \
	$(E2E_SELFTESTS)/lib/workload.h $(UDRV_DIR)/udrv.h $(UDRV_DIR)/bench.h $(E2E_TOP)/include/nvme_lm.h \
	$(E2E_TOP)/include/hmlm.h
E2E_INC := -I$(E2E_DIR) -I$(UDRV_DIR) -I$(E2E_TOP)/include -I$(E2E_TOP)/include/uapi

.PHONY: e2e-all e2e-clean
e2e-all: $(E2E_TESTS)

$(E2E_DIR)/workload.o: $(E2E_SELFTESTS)/lib/workload.c $(E2E_SELFTESTS)/lib/workload.h $(UDRV_DIR)/udrv.h
	$(E2E_CC) $(E2E_CFLAGS) -I$(UDRV_DIR) -c -o $@ $<

$(E2E_DIR)/e2e_migrate.o: $(E2E_DIR)/e2e_migrate.c $(E2E_HEADERS) $(wildcard $(E2E_LIBHMLM))
	$(E2E_CC) $(E2E_CFLAGS) $(E2E_DEFS) $(E2E_INC) -c -o $@ $<

$(E2E_SELFTESTS)/hmlm_e2e_test: $(E2E_DIR)/hmlm_e2e_test.c $(E2E_OBJS) $(E2E_HEADERS) $(UDRV_LIB)
	@test -f "$(E2E_KSRC)/tools/testing/selftests/kselftest_harness.h" || \
		{ echo "e2e.mk: no kselftest_harness.h under KSRC='$(E2E_KSRC)' (run scripts/fetch-kernel.sh)" >&2; exit 1; }
	$(E2E_CC) $(E2E_CFLAGS) $(E2E_DEFS) $(E2E_INC) -isystem $(E2E_KSRC)/tools/testing/selftests \
		-o $@ $< $(E2E_OBJS) $(E2E_LIBS) $(UDRV_LIB) $(E2E_LDFLAGS)

$(E2E_SELFTESTS)/hmlm_e2e_long_test: $(E2E_DIR)/hmlm_e2e_test.c $(E2E_OBJS) $(E2E_HEADERS) $(UDRV_LIB)
	@test -f "$(E2E_KSRC)/tools/testing/selftests/kselftest_harness.h" || \
		{ echo "e2e.mk: no kselftest_harness.h under KSRC='$(E2E_KSRC)'" >&2; exit 1; }
	$(E2E_CC) $(E2E_CFLAGS) $(E2E_DEFS) -DE2E_ITERS_LONG=1 $(E2E_INC) \
		-isystem $(E2E_KSRC)/tools/testing/selftests \
		-o $@ $< $(E2E_OBJS) $(E2E_LIBS) $(UDRV_LIB) $(E2E_LDFLAGS)

$(E2E_SELFTESTS)/hmlm_e2e_bench: $(E2E_DIR)/hmlm_e2e_bench.c $(E2E_OBJS) $(E2E_HEADERS) $(UDRV_LIB)
	$(E2E_CC) $(E2E_CFLAGS) $(E2E_DEFS) $(E2E_INC) -o $@ $< $(E2E_OBJS) $(E2E_LIBS) \
		$(UDRV_LIB) $(E2E_LDFLAGS)

e2e-clean:
	rm -f $(E2E_TESTS) $(E2E_OBJS)

ifeq ($(words $(MAKEFILE_LIST)),1)
.DEFAULT_GOAL := e2e-all
else ifeq ($(words $(MAKEFILE_LIST)),2)
.DEFAULT_GOAL := e2e-all
else
.DEFAULT_GOAL := $(e2e_prev_goal)
endif
