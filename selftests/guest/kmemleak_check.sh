#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The last program of a debug-kernel boot (scripts/check-debug.sh): unload
# nvme-hmlm, so that whatever it leaked is referenced by nothing, let
# kmemleak scan twice and fail if any object is reported. Each reported
# object is printed with its backtrace.
#
# usage: kmemleak_check.sh [--require]
#   --require  fail (rather than skip) on a kernel without kmemleak
k=/sys/kernel/debug/kmemleak
echo "TAP version 13"
echo "1..1"
if [ ! -w "$k" ]; then
	if [ "$1" = --require ]; then
		echo "not ok 1 kmemleak # no $k: not the debug kernel?"
		echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
		exit 1
	fi
	echo "ok 1 kmemleak # SKIP no $k"
	echo "# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:1 error:0"
	exit 0
fi
if grep -q '^nvme_hmlm ' /proc/modules; then
	rmmod nvme_hmlm && echo "# nvme_hmlm unloaded" ||
		echo "# nvme_hmlm could not be unloaded (still in use?)"
fi
# kmemleak reports only objects older than 5 s, and an object needs to be
# found unreferenced by a scan after that.
sleep 6
# kmemleak turns itself off when it cannot track an allocation (its
# emergency pool is empty, e.g. after much fault injection); then it finds
# nothing, which must not pass.
if ! { echo scan > "$k"; } 2>/dev/null || ! sleep 1 || ! { echo scan > "$k"; } 2>/dev/null; then
	dmesg | grep -i kmemleak | tail -n 5 | sed 's/^/# /'
	echo "not ok 1 kmemleak is off: nothing was checked"
	echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
	exit 1
fi
n=$(grep -c '^unreferenced object' "$k")
if [ "$n" = 0 ]; then
	echo "ok 1 kmemleak: no unreferenced object"
	echo "# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0"
	exit 0
fi
sed 's/^/# /' "$k"
echo "not ok 1 kmemleak: $n unreferenced objects"
echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
exit 1
