#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A running VM moves: the L2 workload runs on VF1 of the source subsystem
# bound to nvme-hmlm-vfio-pci; a second QEMU waits with -incoming on VF2 of
# the same subsystem (shared namespace: no data is copied); QMP migrate
# moves the VM, and the workload goes on verifying every LBA on VF2.
. /nested/lib.sh

src=$SRC_VF1
dst=$SRC_VF2
note "migrate: $src -> $dst (one subsystem, shared namespace)"
setup_pair "$src" "$dst" || exit

VF_PROPS=$MIG_PROPS
# QEMU's view of the device's migration, in src.log / dst.log.
printf '%s\n' 'vfio_migration_*' 'vfio_save_*' 'vfio_load_*' 'vfio_*dirty*' \
	'vfio_vmstate_change*' 'vfio_state_pending*' 'vfio_device_dirty*' > "$WORK/trace.events"
NESTED_TRACE="events=$WORK/trace.events"
t0=$(now)
start_l2 src "$src"
if wait_serial src 'L2-PASS gen=1$' 900; then
	ok "L2 runs on the source VF ($(elapsed "$t0" "$(now)") s to the first verified pass)"
else
	not_ok "L2 runs on the source VF"; stop_l2 src; summary; exit
fi
mig_fifo
start_l2 dst "$dst" -incoming "$(mig_incoming)"
# QMP answers once QEMU's main loop runs: it reads the FIFO then.
st=$(qmp dst '{"execute":"query-status"}')
if echo "$st" | grep -q '"inmigrate"'; then
	ok "the target QEMU waits for the migration"
else
	not_ok "the target QEMU waits for the migration: $st"
	sed 's/^/#   dst: /' "$WORK/dst.log"
	stop_l2 dst; stop_l2 src; summary; exit
fi

g0=$(last_gen src)
mig_params src
t1=$(now)
r=$(qmp src "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"$(mig_uri)\"}}")
if [ $? != 0 ]; then
	not_ok "QMP migrate accepted: $r"
	stop_l2 dst; stop_l2 src; summary; exit
fi
if wait_migration src 900; then
	t2=$(now)
	ok "migration completed ($(elapsed "$t1" "$t2") s in L1)"
else
	not_ok "migration completed: $MIG_REPLY"
	dmesg | grep -E 'nvme_hmlm|nvme-hmlm|DMAR' | tail -n 20 | sed 's/^/#   /'
	tail -n 40 "$WORK/src.log" | sed 's/^/#   src: /'
	sed 's/^/#   dst: /' "$WORK/dst.log"
	stop_l2 dst; stop_l2 src; summary; exit
fi
note "query-migrate: $MIG_REPLY"
downtime=$(json_num "$MIG_REPLY" downtime)
total=$(json_num "$MIG_REPLY" total-time)
ram=$(echo "$MIG_REPLY" | grep -o '"ram": *{[^}]*}' | grep -o '"transferred": *[0-9]*' | sed 's/.*: *//')
vfio=$(echo "$MIG_REPLY" | grep -o '"vfio": *{[^}]*}' | grep -o '"transferred": *[0-9]*' | sed 's/.*: *//')

st=$(qmp dst '{"execute":"query-status"}')
if echo "$st" | grep -q '"running"'; then ok "the target VM runs"; else not_ok "the target VM runs: $st"; fi
# Two full passes on the target: the first checks what the source wrote.
g1=$(last_gen src)
if wait_serial dst "L2-PASS gen=$((g1 + 2))\$" 900; then
	ok "the workload continues on the target VF and verifies every LBA (gen $g1 -> $((g1 + 2)))"
	verify=PASSED
else
	verify=FAILED
	not_ok "the workload continues on the target VF"
	tail -n 5 "$WORK/dst.serial" | sed 's/^/#   /'
fi
if grep -q 'L2-READY' "$WORK/dst.serial"; then
	not_ok "the target did not boot the workload anew"
else
	ok "the target did not boot the workload anew (no second L2-READY)"
fi
echo "NESTED-MIGRATION downtime_ms=${downtime:-?} total_ms=${total:-?} ram_bytes=${ram:-?} vfio_bytes=${vfio:-?} verify=${verify:-FAILED}"
stop_l2 dst
stop_l2 src
unbind_vf "$src"
unbind_vf "$dst"
summary
