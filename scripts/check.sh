#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make check`: set everything up (packages, guest kernel, QEMU), build, run
# the host unit tests and the guest tests, and close with one line
# "N passed, N failed, N skipped" that counts both.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$HMLM_TOP"

start=$(date +%s)
scripts/host-deps.sh
scripts/fetch-kernel.sh
# QEMU takes minutes on a cold cache: build it while the project compiles.
while_building_qemu make -s all selftests

host_pass=0 host_fail=0 host_skip=0
res=$(mktemp)
if make -s host-check HOST_RESULT="$res"; then :; fi
read -r host_pass host_fail host_skip < "$res" || true
host_pass=${host_pass:-0} host_fail=${host_fail:-1} host_skip=${host_skip:-0}

guest_pass=0 guest_fail=0 guest_skip=0
# One boot per list: the main one, then each special boot: fault injection
# (its QEMU arguments in the matching .qemu-args file, one per line), the
# emulated IOMMU (vm.sh options in the matching .vm-args file).
for list in selftests/tests.list selftests/tests-faults*.list selftests/tests-iommu*.list; do
	[ -f "$list" ] || continue
	list_qemu_args "$list"
	: > "$res"
	if scripts/vm.sh --tests "$list" --result "$res" "${qargs[@]}" "$@"; then :; fi
	p=0 f=1 s=0
	[ -s "$res" ] && read -r p f s < "$res"
	guest_pass=$((guest_pass + p)) guest_fail=$((guest_fail + f)) guest_skip=$((guest_skip + s))
done
rm -f "$res"

log "host unit tests: $host_pass passed, $host_fail failed, $host_skip skipped"
log "guest tests: $guest_pass passed, $guest_fail failed, $guest_skip skipped"
log "make check took $(( $(date +%s) - start )) s"
pass=$((host_pass + guest_pass))
fail=$((host_fail + guest_fail))
skip=$((host_skip + guest_skip))
echo "$pass passed, $fail failed, $skip skipped"
[ $fail = 0 ] && [ $guest_pass -gt 0 ] && [ $host_pass -gt 0 ]
