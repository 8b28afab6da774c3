# SPDX-License-Identifier: GPL-2.0
# Device model tests (selftests/dm/): guest tests of the bench QEMU's
# TP4159/TP4165 model alone, without nvme-hmlm.ko. Builds static
# selftests/dm_*_test (top level, so the bench copies them into the guest).
# Include it from another makefile, or run it alone:
#   make -f selftests/dm/dm.mk            # builds every dm_*_test
#   make -f selftests/dm/dm.mk dm-clean
# Paths are relative to this file. It includes selftests/lib/udrv.mk for
# libudrv.a unless the including makefile already did.

dm_prev_goal := $(.DEFAULT_GOAL)
DM_DIR := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
DM_SELFTESTS := $(patsubst %/,%,$(dir $(DM_DIR)))
DM_TOP := $(patsubst %/,%,$(dir $(DM_SELFTESTS)))

ifndef UDRV_LIB
include $(DM_SELFTESTS)/lib/udrv.mk
endif

DM_HMLM_CACHE := $(or $(HMLM_CACHE),$(HOME)/.cache/nvme-hmlm)
DM_KSRC ?= $(or $(KSRC),$(shell sed -n 's/^KSRC=//p' $(DM_HMLM_CACHE)/kernel/*/env 2>/dev/null | head -n1))
DM_CC ?= gcc
DM_CFLAGS ?= -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -Wno-clobbered
DM_LDFLAGS ?= -static

DM_NAMES := identify migration track lba cdq migrate
DM_TESTS := $(foreach n,$(DM_NAMES),$(DM_SELFTESTS)/dm_$(n)_test)
DM_HEADERS := $(DM_DIR)/dm_common.h $(DM_TOP)/include/nvme_lm.h $(UDRV_DIR)/udrv.h \
	$(UDRV_DIR)/bench.h

.PHONY: dm-all dm-clean
dm-all: $(DM_TESTS)

$(DM_SELFTESTS)/dm_%_test: $(DM_DIR)/dm_%_test.c $(DM_HEADERS) $(UDRV_LIB)
	@test -f "$(DM_KSRC)/tools/testing/selftests/kselftest_harness.h" || \
		{ echo "dm.mk: no kselftest_harness.h under KSRC='$(DM_KSRC)' (run scripts/fetch-kernel.sh)" >&2; exit 1; }
	$(DM_CC) $(DM_CFLAGS) -I$(DM_DIR) -I$(UDRV_DIR) -I$(DM_TOP)/include \
		-isystem $(DM_KSRC)/tools/testing/selftests -o $@ $< $(UDRV_LIB) $(DM_LDFLAGS)

dm-clean:
	rm -f $(DM_TESTS)

ifeq ($(words $(MAKEFILE_LIST)),1)
.DEFAULT_GOAL := dm-all
else ifeq ($(words $(MAKEFILE_LIST)),2)
# run alone (this file plus the udrv.mk it included)
.DEFAULT_GOAL := dm-all
else
.DEFAULT_GOAL := $(dm_prev_goal)
endif
