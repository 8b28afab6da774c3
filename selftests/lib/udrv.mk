# SPDX-License-Identifier: GPL-2.0
# The polled userspace NVMe driver (libudrv.a) and its guest test
# (selftests/udrv_test). Include it from another makefile, or run it alone:
#   make -f selftests/lib/udrv.mk            # builds both
# Paths are relative to this file, so it works from any directory.
# KSRC (kselftest_harness.h) comes from the kernel cache's env file unless set.

udrv_prev_goal := $(.DEFAULT_GOAL)
UDRV_DIR := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
UDRV_SELFTESTS := $(patsubst %/,%,$(dir $(UDRV_DIR)))
UDRV_LIB := $(UDRV_DIR)/libudrv.a
UDRV_TEST := $(UDRV_SELFTESTS)/udrv_test
UDRV_HMLM_CACHE := $(or $(HMLM_CACHE),$(HOME)/.cache/nvme-hmlm)
UDRV_KSRC ?= $(or $(KSRC),$(shell sed -n 's/^KSRC=//p' $(UDRV_HMLM_CACHE)/kernel/*/env 2>/dev/null | head -n1))
UDRV_CC ?= gcc
UDRV_AR ?= ar
UDRV_CFLAGS ?= -std=gnu11 -O2 -g -Wall -Wextra -Werror
UDRV_LDFLAGS ?= -static

.PHONY: udrv-all udrv-clean
udrv-all: $(UDRV_LIB) $(UDRV_TEST)

$(UDRV_DIR)/udrv.o: $(UDRV_DIR)/udrv.c $(UDRV_DIR)/udrv.h $(UDRV_DIR)/bench.h
	$(UDRV_CC) $(UDRV_CFLAGS) -c -o $@ $<

$(UDRV_LIB): $(UDRV_DIR)/udrv.o
	rm -f $@
	$(UDRV_AR) rcs $@ $^

$(UDRV_TEST): $(UDRV_DIR)/udrv_test.c $(UDRV_DIR)/udrv.h $(UDRV_DIR)/bench.h $(UDRV_LIB)
	@test -f "$(UDRV_KSRC)/tools/testing/selftests/kselftest_harness.h" || \
		{ echo "udrv.mk: no kselftest_harness.h under KSRC='$(UDRV_KSRC)' (run scripts/fetch-kernel.sh)" >&2; exit 1; }
	$(UDRV_CC) $(UDRV_CFLAGS) -Wno-clobbered -I$(UDRV_DIR) \
		-isystem $(UDRV_KSRC)/tools/testing/selftests -o $@ $< $(UDRV_LIB) $(UDRV_LDFLAGS)

udrv-clean:
	rm -f $(UDRV_DIR)/udrv.o $(UDRV_LIB) $(UDRV_TEST)

ifeq ($(words $(MAKEFILE_LIST)),1)
.DEFAULT_GOAL := udrv-all
else
.DEFAULT_GOAL := $(udrv_prev_goal)
endif
