# SPDX-License-Identifier: GPL-2.0
# nvme-hmlm top level. `make demo` and `make check` set everything up on a
# fresh Debian 12 machine (as root); see README.md.

PREFIX ?= /usr/local
DESTDIR ?=
HOST_RESULT ?= /dev/null

.PHONY: all driver lib tools examples selftests check host-check demo bench vm-shell \
	check-nested check-nested-debug demo-vm deps install clean check-debug fuzz-kernel fuzz \
	soak

all: driver lib tools examples

deps:
	@scripts/host-deps.sh
	@scripts/fetch-kernel.sh

# nvme-hmlm.ko builds against the patched nvme-core (driver/nvme-core).
driver:
	@env=$$(scripts/build-nvme-core.sh) && . "$$env" && \
		$(MAKE) -C driver NVME_SRC="$$NVME_CORE_SRC"

lib:
	$(MAKE) -C lib

tools: lib
	$(MAKE) -C tools/hmlmctl

# The library's examples are built by `make all`, so `make check` proves
# they still compile against the public header.
examples: lib
	$(MAKE) -C lib/examples

selftests: lib
	$(MAKE) -C selftests

# Host unit tests (no guest), under ASan/UBSan.
host-check:
	@scripts/host-tests.sh $(HOST_RESULT)

check:
	@scripts/check.sh

# The guest lists on the debug kernel (KASAN, lockdep, kmemleak, UBSAN,
# fault injection; scripts/build-debug-kernel.sh), fail-nth of every ioctl.
check-debug:
	@scripts/check-debug.sh

# The structured ioctl fuzzer on the debug kernel, DURATION seconds
# (default 300), SEED (random when unset; a failing run prints the seed
# that replays it).
SEED ?=
fuzz-kernel:
	@scripts/fuzz-kernel.sh $(or $(DURATION),300) $(SEED)

# libFuzzer harnesses (selftests/fuzz, clang): DURATION seconds each
# (default 60) after the seeds (make check runs the seeds only).
fuzz:
	$(MAKE) -C selftests/fuzz
	@selftests/fuzz/run.sh $(or $(DURATION),60)

# 100 randomized live migrations under I/O, every LBA verified, in one
# boot (SEED picks another set; SOAK_KERNEL=debug: on the debug kernel).
soak: deps
	@scripts/soak.sh $(if $(filter debug,$(SOAK_KERNEL)),--debug) $(SEED)

demo:
	@scripts/demo.sh

bench:
	@scripts/bench.sh

# The nested bench (Documentation/testing.rst): QEMU 10 in the bench guest
# migrates a VM with an assigned VF through nvme-hmlm-vfio-pci. Not part
# of `make check` (it takes minutes under nested TCG).
check-nested: deps all
	@scripts/nested.sh

# The same on the iommufd flavour of the debug kernel, the only one with
# CONFIG_IOMMUFD_DRIVER: device DMA logging (the dirty scenario) runs there.
check-nested-debug: deps all
	@scripts/nested.sh --kernel debug

demo-vm: deps all
	@scripts/nested.sh --scenarios migrate,xsub

vm-shell: deps all selftests
	@scripts/vm.sh --shell

install: all
	$(MAKE) -C lib install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	$(MAKE) -C tools/hmlmctl install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	$(MAKE) -C driver install DESTDIR=$(DESTDIR)

clean:
	$(MAKE) -C driver clean
	$(MAKE) -C lib clean
	$(MAKE) -C lib/examples clean
	$(MAKE) -C tools/hmlmctl clean
	$(MAKE) -C selftests clean
	$(MAKE) -C selftests/fuzz clean
