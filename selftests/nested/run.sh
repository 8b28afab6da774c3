#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# L1 entry of the nested bench (vm.sh --script): runs the scenarios named by
# nested.scenarios=a,b,... on the kernel command line, in order, and prints
# one NESTED-SUMMARY line totalling them.
scen=baseline
for arg in $(cat /proc/cmdline); do
	case "$arg" in nested.scenarios=*) scen=${arg#nested.scenarios=} ;; esac
done
pass=0 fail=0 skip=0
for s in $(echo "$scen" | tr ',' ' '); do
	echo "# scenario: $s"
	if [ ! -x "/nested/$s.sh" ]; then
		echo "not ok - unknown scenario $s"
		fail=$((fail + 1))
		continue
	fi
	/nested/$s.sh 2>&1 | tee /tmp/scenario-$s.log
	line=$(grep '^NESTED-SUMMARY' /tmp/scenario-$s.log | tail -n1)
	if [ -z "$line" ]; then
		echo "not ok - scenario $s ended without a summary"
		fail=$((fail + 1))
		continue
	fi
	p=$(echo "$line" | sed -n 's/.*pass=\([0-9]*\).*/\1/p')
	f=$(echo "$line" | sed -n 's/.*fail=\([0-9]*\).*/\1/p')
	k=$(echo "$line" | sed -n 's/.*skip=\([0-9]*\).*/\1/p')
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + k))
done
bad=$(dmesg | grep -E 'WARNING:|BUG:|Oops|Kernel panic|general protection|DMAR:.*fault' || true)
if [ -n "$bad" ]; then
	echo "not ok - the L1 kernel complained:"
	echo "$bad" | sed 's/^/#   /'
	fail=$((fail + 1))
fi
echo "NESTED-TOTAL pass=$pass fail=$fail skip=$skip"
[ $fail = 0 ] && [ $pass -gt 0 ]
