#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The migration soak: 100 randomized, per-LBA verified live migrations
# under I/O (selftests/tests-soak.list: 5 slices of hmlm_e2e_test's 20),
# in one boot of the bench on Debian's kernel; with --debug, on the debug
# kernel through check-debug.sh (KASAN, lockdep, kmemleak; far slower).
#
# usage: scripts/soak.sh [--debug] [SEED]
# SEED (default: the list's) derives the slices' seeds; a failing slice
# replays in the guest with "e2e_soak.sh SEED SLICE".
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$HMLM_TOP"

debug=0
if [ "${1:-}" = --debug ]; then debug=1; shift; fi
seed=${1:-}
list=selftests/tests-soak.list
if [ -n "$seed" ]; then
	case $seed in *[!0-9]*) die "SEED must be a decimal number: $seed" ;; esac
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	sed "s/^e2e_soak.sh [0-9]* /e2e_soak.sh $seed /" "$list" > "$tmp/tests-soak.list"
	list=$tmp/tests-soak.list
fi
log "soak: $(grep -c '^e2e_soak.sh' "$list") slices of 20 migrations, $(grep -m1 -o '^e2e_soak.sh [0-9]*' "$list")"
if [ $debug = 1 ]; then
	exec scripts/check-debug.sh --list "$list"
fi
make -s all selftests || die "build failed"
res=$(mktemp)
start=$(date +%s)
if scripts/vm.sh --tests "$list" --result "$res"; then :; fi
p=0 f=1 s=0
[ -s "$res" ] && read -r p f s < "$res"
rm -f "$res"
log "make soak took $(( $(date +%s) - start )) s"
echo "$p passed, $f failed, $s skipped"
[ "$f" = 0 ] && [ "$p" -gt 0 ]
