#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make check-debug`: the whole guest list and the fault-injection boot on
# the debug kernel (scripts/build-debug-kernel.sh: KASAN, KFENCE, lockdep,
# kmemleak, UBSAN, DEBUG_OBJECTS), with the nvme-core series built against
# the debug tree (scripts/build-nvme-core.sh) and nvme-hmlm.ko against both.
# A run fails on any report of those checkers (scripts/vm.sh, per program
# in scripts/guest/run-tests.sh) and on any kmemleak object left at the end
# of a boot (selftests/guest/kmemleak_check.sh, the last program of each
# list). Closes with "N passed, N failed, N skipped" like `make check`.
#
# usage: check-debug.sh [--list LIST]... [vm.sh options]
#   --list LIST  run LIST (its .qemu-args too) instead of the default lists
#                (selftests/tests.list, selftests/tests-debug.list: fail-nth,
#                selftests/tests-faults*.list, selftests/tests-iommu*.list)
# HMLM_DEBUG_TIMEOUT: guest timeout per boot in seconds (default 3600).
# HMLM_DEBUG_PROG_TIMEOUT: per program (default 2400, against 600 on the
# production kernel: 20 end-to-end migrations took longer than 600 s under
# KASAN and lockdep on two loaded cores).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$HMLM_TOP"

lists=()
while [ $# -gt 0 ]; do
	case "$1" in
	--list) lists+=("$(realpath "$2")"); shift 2 ;;
	*) break ;;
	esac
done
if [ ${#lists[@]} = 0 ]; then
	lists=(selftests/tests.list selftests/tests-debug.list)
	for l in selftests/tests-faults*.list selftests/tests-iommu*.list; do
		[ -f "$l" ] && lists+=("$l")
	done
fi

start=$(date +%s)
scripts/host-deps.sh
scripts/fetch-kernel.sh
while_building_qemu scripts/build-debug-kernel.sh > /dev/null
kenv=$(scripts/build-debug-kernel.sh --print-env)

# The env of the debug kernel.
eval "$(cat "$kenv")"
log "debug kernel $KVER ($kenv); its checkers:"
grep -E '^CONFIG_(KASAN|KASAN_GENERIC|KASAN_INLINE|KFENCE|PROVE_LOCKING|DEBUG_ATOMIC_SLEEP|DEBUG_LIST|DEBUG_OBJECTS|SLUB_DEBUG|DEBUG_KMEMLEAK|UBSAN|FAULT_INJECTION|FAILSLAB|FAIL_PAGE_ALLOC|FUNCTION_ERROR_INJECTION)=' \
	"$KCONFIG" | sed 's/^/[hmlm]   /' >&2
for opt in KASAN PROVE_LOCKING DEBUG_KMEMLEAK; do
	grep -qx "CONFIG_$opt=y" "$KCONFIG" || die "the debug kernel lacks CONFIG_$opt"
done

# The nvme-core series built against the debug tree (mkinitramfs.sh puts
# the same build into each initramfs).
export HMLM_KERNEL_ENV=$kenv
ncore_env=$(scripts/build-nvme-core.sh "$kenv" | tail -n 1)
NVME_CORE_SRC=$(sed -n 's/^NVME_CORE_SRC=//p' "$ncore_env")

# nvme-hmlm.ko against the debug tree, in a copy of driver/ and include/
# so that the module `make check` builds stays as it is.
run=$(mktemp -d "$HMLM_CACHE/check-debug.XXXXXX")
trap 'rm -rf "$run"' EXIT
tar -c --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' --exclude='*.mod*' \
	--exclude='Module.symvers' --exclude='modules.order' driver include |
	tar -x -C "$run"
log "building nvme-hmlm.ko against $KDIR (W=1)"
make -s -C "$run/driver" KDIR="$KDIR" NVME_SRC="$NVME_CORE_SRC" \
	NVME_SYMVERS="$NVME_CORE_SRC/Module.symvers" W=1 modules ||
	die "nvme-hmlm.ko does not build against the debug kernel"
export HMLM_MODULE_KO="$run/driver/nvme-hmlm.ko"
make -s lib tools selftests

guest_pass=0 guest_fail=0 guest_skip=0
res="$run/result"
for list in "${lists[@]}"; do
	[ -f "$list" ] || die "no list $list"
	# The list, then the kmemleak scan of what the boot left.
	dl="$run/$(basename "$list")"
	{ cat "$list"; echo "kmemleak_check.sh --require"; } > "$dl"
	list_qemu_args "$list"
	: > "$res"
	log "debug boot: $list"
	if scripts/vm.sh --tests "$dl" --result "$res" \
		--timeout "${HMLM_DEBUG_TIMEOUT:-3600}" "${qargs[@]}" \
		--append "hmlm.prog_timeout=${HMLM_DEBUG_PROG_TIMEOUT:-2400}" "$@"; then :; fi
	p=0 f=1 s=0
	[ -s "$res" ] && read -r p f s < "$res"
	guest_pass=$((guest_pass + p)) guest_fail=$((guest_fail + f)) guest_skip=$((guest_skip + s))
done

log "guest tests on the debug kernel: $guest_pass passed, $guest_fail failed, $guest_skip skipped"
log "make check-debug took $(( $(date +%s) - start )) s"
echo "$guest_pass passed, $guest_fail failed, $guest_skip skipped"
[ "$guest_fail" = 0 ] && [ "$guest_pass" -gt 0 ]
