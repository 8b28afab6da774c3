#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs every program of /hmlm/tests.list, counts the kselftest "# Totals:"
# lines, checks dmesg after each program and prints one summary line that
# the host runner reads: HMLM-SUMMARY pass=N fail=N skip=N.
cd /hmlm/selftests || exit 1
pass=0 fail=0 skip=0 n=0 total=0
[ -f /hmlm/tests.list ] && total=$(grep -cv '^[[:space:]]*\(#\|$\)' /hmlm/tests.list)
echo "TAP version 13"
echo "1..$total"
# A program's time limit: hmlm.prog_timeout= on the kernel command line
# (check-debug.sh raises it for the debug kernel), else 600 s.
ptmo=$(sed -n 's/.*hmlm\.prog_timeout=\([0-9][0-9]*\).*/\1/p' /proc/cmdline)
ptmo=${ptmo:-600}
dmesg -c > /dev/null
while read -r cmd; do
	case "$cmd" in ''|'#'*) continue ;; esac
	n=$((n + 1))
	echo "# running: $cmd"
	log=/tmp/test-$n.log
	timeout "$ptmo" sh -c "./$cmd" < /dev/null > "$log" 2>&1
	rc=$?
	sed 's/^/  /' "$log"
	totals=$(grep '^# Totals:' "$log" | tail -n 1)
	if [ -n "$totals" ]; then
		p=$(echo "$totals" | sed -n 's/.* pass:\([0-9]*\).*/\1/p')
		f=$(echo "$totals" | sed -n 's/.* fail:\([0-9]*\).*/\1/p')
		s=$(echo "$totals" | sed -n 's/.* skip:\([0-9]*\).*/\1/p')
		e=$(echo "$totals" | sed -n 's/.* error:\([0-9]*\).*/\1/p')
		f=$((f + ${e:-0}))
	else
		p=0 f=1 s=0
		echo "# $cmd exited $rc without a Totals line: counted as one failure"
	fi
	if [ $rc -ne 0 ] && [ "$f" = 0 ]; then
		f=1
		echo "# $cmd exited $rc although no test failed: counted as one failure"
	fi
	bad=$(dmesg -c | grep -E 'WARNING:|BUG:|Oops|Kernel panic|general protection|UBSAN|KASAN|KFENCE|ODEBUG:|refcount_t|INFO: trying to register non-static key|INFO: task .* blocked for more than' || true)
	if [ -n "$bad" ]; then
		echo "# kernel complained during $cmd:"
		echo "$bad" | sed 's/^/#   /'
		f=$((f + 1))
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	if [ "$f" = 0 ]; then echo "ok $n $cmd"; else echo "not ok $n $cmd"; fi
done < /hmlm/tests.list
echo "HMLM-SUMMARY pass=$pass fail=$fail skip=$skip"
[ $fail = 0 ] && [ $pass -gt 0 ]
