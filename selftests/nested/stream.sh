#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The target refuses a damaged stream: the VM is migrated to a file, one
# bit of the device's STATE record is flipped in a copy, and a target QEMU
# loading the copy fails in RESUMING -> STOP before anything reaches the
# controller (QEMU then resets the VF). The intact file then loads on the
# same VF and the workload continues there, verifying every LBA.
. /nested/lib.sh

src=$SRC_VF1
dst=$SRC_VF2
note "stream: $src -> file -> $dst"
setup_pair "$src" "$dst" || exit
VF_PROPS=$MIG_PROPS
start_l2 src "$src"
if ! wait_serial src 'L2-PASS gen=1$' 900; then
	not_ok "L2 runs on the source VF"; stop_l2 src; summary; exit
fi
mig_params src
r=$(qmp src "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"file:$WORK/vm.bin\"}}")
if [ $? = 0 ] && wait_migration src 900; then
	ok "the VM is saved to a file ($(stat -c %s "$WORK/vm.bin") bytes)"
else
	not_ok "the VM is saved to a file: $r $MIG_REPLY"; stop_l2 src; summary; exit
fi
g=$(last_gen src)
stop_l2 src

cp "$WORK/vm.bin" "$WORK/damaged-stream.bin"
off=$($NESTED/bin/nvvf-corrupt "$WORK/damaged-stream.bin" 2)
if [ -n "$off" ]; then ok "one bit of the STATE record flipped at byte $off"; else not_ok "the STATE record is in the file"; summary; exit; fi

n0=$(dmesg | grep -c 'damaged STATE record')
start_l2 bad "$dst" -incoming "file:$WORK/damaged-stream.bin"
# QEMU asks for RUNNING_P2P once the stream is in (RESUMING -> STOP ->
# RUNNING_P2P); when that fails it resets the device and lets the VM run
# (its choice, hw/vfio/migration.c): the VF is then a reset controller,
# not one holding the damaged state.
end=$(($(now_s) + 300))
while [ "$(now_s)" -lt $end ] && ! grep -q 'Failed setting device state' "$WORK/bad.log"; do
	sleep 1
done
if [ "$(dmesg | grep -c 'damaged STATE record')" -gt "$n0" ] &&
   grep -q 'Failed setting device state to RUNNING_P2P' "$WORK/bad.log"; then
	ok "the target refuses the damaged stream before the controller sees it (kernel: $(dmesg | grep -o 'migration stream: damaged STATE record' | tail -n1); QEMU resets the VF)"
else
	not_ok "the target refuses the damaged stream"
	dmesg | tail -n 5 | sed 's/^/#   /'
	sed 's/^/#   bad: /' "$WORK/bad.log"
fi
stop_l2 bad

start_l2 dst "$dst" -incoming "file:$WORK/vm.bin"
if wait_serial dst "L2-PASS gen=$((g + 2))\$" 900; then
	ok "the intact stream loads on the same VF; the workload verifies every LBA there (gen $g -> $((g + 2)))"
else
	not_ok "the intact stream loads on the same VF afterwards"
	sed 's/^/#   dst: /' "$WORK/dst.log"
fi
stop_l2 dst
unbind_vf "$src"
unbind_vf "$dst"
summary
