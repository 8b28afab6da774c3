#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The VF in STOP_COPY: the migration pauses before switchover (QEMU's
# pause-before-switchover capability: the VM is stopped, QEMU moved the
# device PRE_COPY -> STOP_COPY, the device state not yet read).
#  1. QMP migrate_cancel there: the VF goes back to RUNNING, the VM runs on
#     the source and the workload keeps verifying every LBA.
#  2. The source QEMU SIGKILLed there: VFIO releases and resets the VF; a
#     new QEMU on the same VF boots the workload and it verifies, and so
#     does one on the target's VF (left in RESUMING by its killed stream).
. /nested/lib.sh

src=$SRC_VF1
dst=$SRC_VF2
note "stopcopy: $src -> $dst, cancelled and then killed in STOP_COPY"
setup_pair "$src" "$dst" || exit
VF_PROPS=$MIG_PROPS
printf '%s\n' 'vfio_vmstate_change' 'vfio_migration_set_state' > "$WORK/trace.events"
NESTED_TRACE="events=$WORK/trace.events"

# pause_in_stopcopy WHAT: a migration src -> dst that stops at
# pre-switchover, the VF in STOP_COPY (QEMU's trace says so).
pause_in_stopcopy() {
	mig_fifo
	start_l2 dst "$dst" -incoming "$(mig_incoming)"
	qmp src '{"execute":"migrate-set-capabilities","arguments":{"capabilities":[{"capability":"pause-before-switchover","state":true}]}}' > /dev/null
	mig_params src
	qmp src "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"$(mig_uri)\"}}" > /dev/null
	if wait_status src pre-switchover 600 &&
	   grep 'vfio_vmstate_change' "$WORK/src.log" | tail -n1 | grep -q 'running 0 .*STOP_COPY'; then
		ok "$1: the migration pauses before switchover, the VM stopped and the VF in STOP_COPY"
		return 0
	fi
	not_ok "$1: the migration pauses before switchover with the VF in STOP_COPY: $MIG_REPLY"
	grep vfio_vmstate_change "$WORK/src.log" | tail -n 3 | sed 's/^/#   /'
	return 1
}

fail_out() {
	stop_l2 src; stop_l2 dst; stop_l2 again
	unbind_vf "$src"; unbind_vf "$dst"
	summary
	exit
}

start_l2 src "$src"
wait_serial src 'L2-PASS gen=1$' 900 || { not_ok "L2 runs on the source VF"; fail_out; }

pause_in_stopcopy "cancel" || fail_out
qmp src '{"execute":"migrate_cancel"}' > /dev/null
if wait_status src cancelled 120; then ok "cancel: the migration is cancelled"; else not_ok "cancel: the migration is cancelled: $MIG_REPLY"; fi
st=$(qmp src '{"execute":"query-status"}')
g=$(last_gen src)
if [ "$(json_str "$st" status)" = running ] && wait_serial src "L2-PASS gen=$((g + 2))\$" 600; then
	ok "cancel: the VM runs on the source and verifies every LBA (gen $g -> $((g + 2)))"
	grep 'vfio_vmstate_change' "$WORK/src.log" | tail -n 1 | sed 's/^/#   src: /'
else
	not_ok "cancel: the VM runs on the source after the cancel in STOP_COPY: $st"
	tail -n 3 "$WORK/src.serial" | sed 's/^/#   /'
	fail_out
fi
stop_l2 dst

pause_in_stopcopy "kill" || fail_out
pid=$(cat "$WORK/src.pid")
kill -9 "$pid"
end=$(($(now_s) + 60))
while kill -0 "$pid" 2>/dev/null && [ "$(now_s)" -lt $end ]; do sleep 0.2; done
if kill -0 "$pid" 2>/dev/null; then not_ok "kill: the source QEMU is gone after SIGKILL"; fail_out; fi
ok "kill: the source QEMU SIGKILLed in STOP_COPY"
stop_l2 src
# The target saw its stream end: it fails the load and exits.
end=$(($(now_s) + 120))
while [ -f "$WORK/dst.shpid" ] && kill -0 "$(cat "$WORK/dst.shpid")" 2>/dev/null &&
      [ "$(now_s)" -lt $end ]; do
	sleep 0.5
done
stop_l2 dst

VF_PROPS=$MIG_PROPS
start_l2 again "$src"
if wait_serial again 'L2-PASS gen=2$' 900; then
	ok "kill: a new QEMU on the same VF boots the workload and it verifies every LBA (2 passes)"
else
	not_ok "kill: the VF is usable again after the killed QEMU"
	sed 's/^/#   again: /' "$WORK/again.log" | tail -n 10
	dmesg | grep -E 'nvme_hmlm|nvme-hmlm|vfio' | tail -n 10 | sed 's/^/#   /'
fi
stop_l2 again
start_l2 again "$dst"
if wait_serial again 'L2-PASS gen=2$' 900; then
	ok "kill: the target's VF (its stream cut in RESUMING) runs the workload too (2 passes)"
else
	not_ok "kill: the target's VF is usable again"
	sed 's/^/#   again: /' "$WORK/again.log" | tail -n 10
fi
stop_l2 again
unbind_vf "$src"
unbind_vf "$dst"
summary
