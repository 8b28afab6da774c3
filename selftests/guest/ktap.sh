# SPDX-License-Identifier: GPL-2.0
# Minimal kselftest-compatible TAP for guest shell tests. Sourced.
# Prints the same "# Totals:" line as kselftest_harness.h so the runner
# counts shell and C tests alike.
_kt_n=0 _kt_pass=0 _kt_fail=0 _kt_skip=0
ktap_plan() { echo "TAP version 13"; echo "1..$1"; }
ktap_ok() { _kt_n=$((_kt_n + 1)); _kt_pass=$((_kt_pass + 1)); echo "ok $_kt_n $1"; }
ktap_fail() { _kt_n=$((_kt_n + 1)); _kt_fail=$((_kt_fail + 1)); echo "not ok $_kt_n $1"; }
ktap_skip() { _kt_n=$((_kt_n + 1)); _kt_skip=$((_kt_skip + 1)); echo "ok $_kt_n $1 # SKIP $2"; }
# ktap_check NAME COMMAND...: one test, passes when COMMAND succeeds.
ktap_check() {
	local name=$1
	shift
	if "$@" > /tmp/ktap.out 2>&1; then
		ktap_ok "$name"
	else
		sed 's/^/# /' /tmp/ktap.out
		ktap_fail "$name"
	fi
}
ktap_finish() {
	echo "# Totals: pass:$_kt_pass fail:$_kt_fail xfail:0 xpass:0 skip:$_kt_skip error:0"
	[ $_kt_fail = 0 ]
}
