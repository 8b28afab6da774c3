#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs each libFuzzer harness over its seed corpus (every seed once), then,
# with SECONDS > 0, fuzzes each for that long from a copy of the seeds (the
# seeds stay as generated). A crash leaves its reproducer in
# selftests/fuzz/crashes/. Prints TAP and a kselftest "# Totals:" line.
#
# usage: run.sh [SECONDS]     (make fuzz DURATION=SECONDS from the top)
set -u
dir=$(cd "$(dirname "$0")" && pwd)
secs=${1:-0}
pass=0 fail=0 n=0
mkdir -p "$dir/crashes"
echo "TAP version 13"
echo "1..3"
for h in stream migrate_in extents; do
	n=$((n + 1))
	prog="$dir/fuzz_$h" seeds="$dir/seeds/$h"
	log=$(mktemp)
	ok=1
	nseeds=$(ls "$seeds" | wc -l)
	"$prog" -runs=0 "$seeds" > "$log" 2>&1 || ok=0
	if [ $ok = 1 ] && [ "$secs" -gt 0 ]; then
		corpus=$(mktemp -d)
		cp "$seeds"/* "$corpus"/
		"$prog" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
			-artifact_prefix="$dir/crashes/$h-" "$corpus" >> "$log" 2>&1 || ok=0
		echo "# $h: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$log" | tail -n1), corpus $(ls "$corpus" | wc -l)"
		rm -rf "$corpus"
	fi
	if [ $ok = 1 ] && [ "$nseeds" -gt 0 ]; then
		extra=""
		[ "$secs" -gt 0 ] && extra=", ${secs}s of fuzzing"
		echo "ok $n fuzz_$h: $nseeds seeds$extra"
		pass=$((pass + 1))
	else
		sed 's/^/# /' "$log" | tail -n 40
		echo "not ok $n fuzz_$h"
		fail=$((fail + 1))
	fi
	rm -f "$log"
done
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ $fail = 0 ]
