#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A running VM moves between two subsystems with its namespace data: the L2
# workload runs on VF1 of the source subsystem, the target QEMU waits on
# VF1 of the other subsystem, whose namespace 1 is another namespace.
# QEMU moves the VM and the controller state (nvme-hmlm-vfio-pci); beside
# it, hmlmctl migrate-data on a data session moves namespace 1 (the
# allocated LBAs, then what the migration queue reports). QEMU pauses
# before switchover (the VM stopped, the VF suspended); the data's last
# copy goes to the target's media; then migrate-continue. The workload's
# first pass on the target checks every LBA the source wrote.
#  1. Without migrate-data, the same move leaves the target's workload
#     reading another namespace's data: it must fail its verification
#     (the check of part 2 can fail).
#  2. With it: the migration completes and the workload verifies every
#     LBA on the target.
. /nested/lib.sh

src=$SRC_VF1
dst=$DST_VF1
set -- $HMLM_SRC_CNTLIDS
src_cntlid=$1
note "xsub: $src -> $dst (two subsystems; hmlmctl migrate-data moves namespace 1)"
setup_pair "$src" "$dst" || exit
VF_PROPS=$MIG_PROPS
printf '%s\n' 'vfio_vmstate_change' 'vmstate_downtime_checkpoint' > "$WORK/trace.events"
NESTED_TRACE="events=$WORK/trace.events"

# The VM paused and continued while migrate-data copies: the driver's
# Suspend and Resume reach the data session's queue as "suspended" and
# "first" records; the copy must go on (the workload's writes after the
# pause are then checked on the target like all others).
pause_during_copy() {
	local g
	sleep 1
	qmp src '{"execute":"stop"}' > /dev/null
	sleep 1
	paused=$(grep -c 'vfio_vmstate_change.*running 0' "$WORK/src.log")
	qmp src '{"execute":"cont"}' > /dev/null
	g=$(last_gen src)
	if [ "$paused" -ge 1 ] && wait_serial src "L2-PASS gen=$((g + 1))\$" 300 &&
	   kill -0 "$copier" 2>/dev/null; then
		ok "$what: the VM paused (the VF suspended) and continued during the copy; migrate-data goes on"
	else
		not_ok "$what: the VM paused and continued during the copy (VF state changes seen: $paused)"
		sed 's/^/#   hmlmctl: /' "$WORK/data.err"
	fi
}

# boot_and_migrate WITH_DATA: the L2 on the source VF, the target waiting;
# WITH_DATA=1 also starts hmlmctl migrate-data (its pid in $copier) and
# has QEMU pause before switchover. Returns once QMP migrate was sent.
boot_and_migrate() {
	start_l2 src "$src" -msg timestamp=on
	if ! wait_serial src 'L2-PASS gen=1$' 900; then
		not_ok "$what: L2 runs on the source VF"
		return 1
	fi
	if [ "$1" = 1 ]; then
		rm -f "$WORK/stop.fifo"
		mkfifo "$WORK/stop.fifo"
		# read-write: the open does not wait for a writer; readable
		# once the line below is written
		hmlmctl --json migrate-data --stopped-fd 3 "$HMLM_SRC_PF" "$src_cntlid" \
			"$HMLM_DST_PF" 3<> "$WORK/stop.fifo" > "$WORK/data.json" 2> "$WORK/data.err" &
		copier=$!
		pause_during_copy
	fi
	mig_fifo
	start_l2 dst "$dst" -msg timestamp=on -incoming "$(mig_incoming)"
	if [ "$1" = 1 ]; then
		qmp src '{"execute":"migrate-set-capabilities","arguments":{"capabilities":[{"capability":"pause-before-switchover","state":true}]}}' > /dev/null
	fi
	mig_params src
	G0=$(last_gen src)
	qmp src "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"$(mig_uri)\"}}" > /dev/null
}

stop_all() {
	[ -n "${copier:-}" ] && kill "$copier" 2>/dev/null && wait "$copier" 2>/dev/null
	copier=
	stop_l2 dst
	stop_l2 src
}

# --- 1. no data moved: the verification must catch it ---
what=nocopy
if boot_and_migrate 0 && wait_migration src 900; then
	g1=$(last_gen src)
	wait_serial dst "L2-PASS gen=$((g1 + 2))\$" 300 > /dev/null 2>&1
	if grep -q 'L2-FAIL verify' "$WORK/dst.serial"; then
		ok "nocopy: without the namespace data the target's workload fails its verification ($(grep -o 'L2-FAIL.*' "$WORK/dst.serial" | tr -d '\r' | head -n1))"
	else
		not_ok "nocopy: without the namespace data the target's workload fails its verification"
		tail -n 3 "$WORK/dst.serial" | sed 's/^/#   /'
	fi
else
	not_ok "nocopy: migration completed: ${MIG_REPLY:-}"
fi
stop_all

# --- 2. the data moved beside QEMU ---
what=xsub
if ! boot_and_migrate 1; then stop_all; summary; exit; fi
if wait_status src pre-switchover 900; then
	ok "xsub: the migration pauses before switchover (the VM stopped, the VF suspended)"
else
	not_ok "xsub: the migration pauses before switchover: $MIG_REPLY"
	sed 's/^/#   hmlmctl: /' "$WORK/data.err"
	stop_all; summary; exit
fi
h0=$(now_ms)
echo stopped > "$WORK/stop.fifo"
wait "$copier"
rc=$?
copier=
h1=$(now_ms)
dj=$(tr -d '\n' < "$WORK/data.json")
if [ $rc = 0 ]; then
	ok "xsub: hmlmctl migrate-data put the namespace data on the target's media ($((h1 - h0)) ms from the stop request, $(json_num "$dj" bytes_copied) bytes in all, $(json_num "$dj" stopcopy_bytes) while stopped)"
else
	# the target lacks data: it must not run the VM (vfio.rst, step 5)
	not_ok "xsub: hmlmctl migrate-data exited $rc"
	sed 's/^/#   hmlmctl: /' "$WORK/data.err"
	note "report: $dj"
	qmp src '{"execute":"migrate_cancel"}' > /dev/null
	stop_all; summary; exit
fi
qmp src '{"execute":"migrate-continue","arguments":{"state":"pre-switchover"}}' > /dev/null
if wait_migration src 900; then
	ok "xsub: migration completed"
else
	not_ok "xsub: migration completed: $MIG_REPLY"
	tail -n 20 "$WORK/src.log" | sed 's/^/#   src: /'
	stop_all; summary; exit
fi
downtime=$(json_num "$MIG_REPLY" downtime)
st=$(qmp dst '{"execute":"query-status"}')
if [ "$(json_str "$st" status)" = running ]; then ok "xsub: the target VM runs"; else not_ok "xsub: the target VM runs: $st"; fi
g1=$(last_gen src)
if wait_serial dst "L2-PASS gen=$((g1 + 2))\$" 900; then
	ok "xsub: the workload continues on the other subsystem's VF and verifies every LBA (gen $g1 -> $((g1 + 2)))"
	verify=PASSED
else
	not_ok "xsub: the workload continues on the other subsystem's VF"
	tail -n 3 "$WORK/dst.serial" | sed 's/^/#   /'
	verify=FAILED
fi
note "QEMU downtime ${downtime:-?} ms (it includes the hold before switchover, $((h1 - h0)) ms); migrate-data: $dj"
echo "NESTED-XSUB downtime_ms=${downtime:-?} hold_ms=$((h1 - h0)) data_bytes=$(json_num "$dj" bytes_copied) stopcopy_bytes=$(json_num "$dj" stopcopy_bytes) rounds=$(json_num "$dj" rounds) verify=$verify"
stop_all
unbind_vf "$src"
unbind_vf "$dst"
summary
