#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make fuzz-kernel DURATION=... [SEED=...]`: the structured ioctl fuzzer
# (selftests/fuzz/ioctl_fuzz.c) on the debug kernel, through check-debug.sh
# (so any KASAN, KFENCE, lockdep, UBSAN or DEBUG_OBJECTS report fails it,
# and a kmemleak scan follows). The duration is cut into chunks of at most
# FUZZ_CHUNK seconds (default 480: run-tests.sh gives a program 600 s),
# chunk i runs with -s SEED -i i; a failing chunk is replayed with
#   scripts/fuzz-kernel.sh SECONDS SEED        (all chunks), or in the guest
#   hmlm_ioctl_fuzz -s SEED -i CHUNK -d SECONDS
# FUZZ_ARGS adds arguments (e.g. "-p 3 -t 4", "-n" for no chaos).
#
# usage: fuzz-kernel.sh [DURATION [SEED]]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

duration=${1:-300}
seed=${2:-}
[ -n "$seed" ] || seed=$(od -An -N6 -tu8 /dev/urandom | tr -d ' ')
chunk=${FUZZ_CHUNK:-480}
list=$(mktemp --suffix=.list)
trap 'rm -f "$list"' EXIT
{
	echo "# make fuzz-kernel DURATION=$duration SEED=$seed"
	i=0 left=$duration
	while [ "$left" -gt 0 ]; do
		d=$(( left < chunk ? left : chunk ))
		echo "hmlm_ioctl_fuzz -s $seed -i $i -d $d ${FUZZ_ARGS:-}"
		left=$((left - d)) i=$((i + 1))
	done
} > "$list"
log "fuzzing for $duration s, seed $seed (replay: make fuzz-kernel DURATION=$duration SEED=$seed)"
HMLM_DEBUG_TIMEOUT=$((duration + 1800)) "$HMLM_TOP/scripts/check-debug.sh" --list "$list"
