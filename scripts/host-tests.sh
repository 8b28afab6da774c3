#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds and runs the host unit tests (selftests/host, sanitizers on) and
# writes "pass fail skip" to $1, counting each program's "# Totals:" line.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
result=${1:-/dev/null}
pass=0 fail=0 skip=0
if ! make -s -C "$HMLM_TOP/selftests" host; then
	echo "0 1 0" > "$result"
	die "host unit tests do not build"
fi
for t in "$HMLM_TOP"/selftests/host/*_test; do
	[ -x "$t" ] || continue
	log "host: $(basename "$t")"
	out=$("$t" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/  /'
	totals=$(echo "$out" | grep '^# Totals:' | tail -n1)
	if [ -z "$totals" ]; then
		fail=$((fail + 1))
		continue
	fi
	p=$(echo "$totals" | sed -n 's/.* pass:\([0-9]*\).*/\1/p')
	f=$(echo "$totals" | sed -n 's/.* fail:\([0-9]*\).*/\1/p')
	s=$(echo "$totals" | sed -n 's/.* skip:\([0-9]*\).*/\1/p')
	[ $rc != 0 ] && [ "$f" = 0 ] && f=1
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
done
echo "$pass $fail $skip" > "$result"
[ $fail = 0 ] && [ $pass -gt 0 ]
