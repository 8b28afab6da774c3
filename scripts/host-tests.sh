#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds and runs the host unit tests (selftests/host, sanitizers on), the
# same stream and extent tests built for s390x under qemu-s390x (a
# big-endian host), and a short run of each libFuzzer harness over its
# seeds (selftests/fuzz); writes "pass fail skip" to $1, counting each
# program's "# Totals:" line.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
result=${1:-/dev/null}
pass=0 fail=0 skip=0

# run NAME CMD...: runs a kselftest-harness program, adds its totals.
run() {
	local name=$1 out rc totals p f s
	shift
	log "host: $name"
	out=$("$@" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/  /'
	totals=$(echo "$out" | grep '^# Totals:' | tail -n1)
	if [ -z "$totals" ]; then
		fail=$((fail + 1))
		return
	fi
	p=$(echo "$totals" | sed -n 's/.* pass:\([0-9]*\).*/\1/p')
	f=$(echo "$totals" | sed -n 's/.* fail:\([0-9]*\).*/\1/p')
	s=$(echo "$totals" | sed -n 's/.* skip:\([0-9]*\).*/\1/p')
	[ $rc != 0 ] && [ "$f" = 0 ] && f=1
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

if ! make -s -C "$HMLM_TOP" lib tools || ! make -s -C "$HMLM_TOP/selftests" host; then
	echo "0 1 0" > "$result"
	die "host unit tests do not build"
fi
for t in "$HMLM_TOP"/selftests/host/*_test; do
	[ -x "$t" ] || continue
	run "$(basename "$t")" "$t"
done

# hmlmctl against the scripted device (LD_PRELOAD), JSON through python3
run "hmlmctl_cli_test.sh" "$HMLM_TOP/selftests/host/hmlmctl_cli_test.sh"

# serts, the nested bench's serial stamper, under ASan and UBSan
run "serts-test" "$HMLM_TOP/selftests/nested/serts-test"

# Big-endian: scripts/host-deps.sh installs the cross compiler and qemu-user.
if command -v s390x-linux-gnu-gcc > /dev/null && command -v qemu-s390x > /dev/null; then
	if make -s -f "$HMLM_TOP/selftests/host/host.mk" cross; then
		for t in "$HMLM_TOP"/selftests/host/*_test.s390x; do
			run "$(basename "$t") (qemu-s390x)" qemu-s390x "$t"
		done
	else
		log "host: the s390x builds failed"
		fail=$((fail + 1))
	fi
else
	log "host: SKIP big-endian tests: no s390x-linux-gnu-gcc or qemu-s390x (scripts/host-deps.sh)"
	skip=$((skip + 1))
fi

# libFuzzer harnesses over their seeds (and FUZZ_SECONDS each, default 0).
if command -v clang > /dev/null; then
	if make -s -C "$HMLM_TOP/selftests/fuzz"; then
		run "fuzz (seeds)" "$HMLM_TOP/selftests/fuzz/run.sh" \
			"${FUZZ_SECONDS:-0}"
	else
		log "host: the fuzz harnesses do not build"
		fail=$((fail + 1))
	fi
else
	log "host: SKIP fuzz harnesses: no clang (scripts/host-deps.sh)"
	skip=$((skip + 1))
fi

echo "$pass $fail $skip" > "$result"
[ $fail = 0 ] && [ $pass -gt 0 ]
