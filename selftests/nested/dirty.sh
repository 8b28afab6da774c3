#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# DMA logging: QEMU gets the guest pages the VF's controller wrote from
# nvme-hmlm-vfio-pci (VFIO_DEVICE_FEATURE_DMA_LOGGING_*: Track Send, Track
# Memory Changes, Track Receive) instead of counting all guest RAM dirty.
# The VM moves VF1 -> VF2 with the device's DMA logging on, then back
# VF2 -> VF1 with it off (x-device-dirty-page-tracking=off: the type1
# container, which reports all of it dirty at every sync). Each time the
# workload verifies on the target what the controller wrote into its
# memory during the migration (completion queue entries and read buffers:
# pages the L2's CPU never writes, so only a dirty report brings them over
# again), and with logging on QEMU sends fewer bytes. A third move, with
# logging, from VF1 again shows that the first move's tracking ended.
. /nested/lib.sh

a=$SRC_VF1
b=$SRC_VF2
note "dirty: $a -> $b with device DMA logging, $b -> $a without"
# iova_bitmap_alloc() exists only with CONFIG_IOMMUFD_DRIVER; without it
# the driver offers no DMA logging (Documentation/vfio.rst).
if ! grep -q ' iova_bitmap_alloc$' /proc/kallsyms; then
	skip "device DMA logging: this kernel lacks CONFIG_IOMMUFD_DRIVER (make check-nested-debug has it)"
	summary
	exit
fi
setup_pair "$a" "$b" || exit
printf '%s\n' vfio_device_dirty_tracking_start vfio_get_dirty_bitmap > "$WORK/trace.events"
NESTED_TRACE="events=$WORK/trace.events"

# move FROM TO WHAT: migrates the VM of QEMU FROM to QEMU TO (waiting on
# the FIFO) and checks that the workload verifies two passes on TO. Sets
# RAM (bytes QEMU sent), SYNCS, DOWNTIME and DIRTY (the pages VFIO reported
# dirty to QEMU, from its vfio_get_dirty_bitmap trace).
move() {
	local from=$1 to=$2 what=$3 r g t0 st
	t0=$(now)
	r=$(qmp "$from" "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"$(mig_uri)\"}}")
	if [ $? != 0 ]; then
		not_ok "$what: QMP migrate accepted: $r"
		return 1
	fi
	if ! wait_migration "$from" 900; then
		not_ok "$what: migration completed: $MIG_REPLY"
		dmesg | grep -E 'nvme_hmlm|nvme-hmlm|DMAR' | tail -n 20 | sed 's/^/#   /'
		grep -v vfio_get_dirty_bitmap "$WORK/$from.log" | tail -n 20 | sed "s/^/#   $from: /"
		return 1
	fi
	ok "$what: migration completed ($(elapsed "$t0" "$(now)") s in L1)"
	note "$what: query-migrate: $MIG_REPLY"
	RAM=$(echo "$MIG_REPLY" | grep -o '"ram": *{[^}]*}' | grep -o '"transferred": *[0-9]*' | sed 's/.*: *//')
	SYNCS=$(json_num "$MIG_REPLY" dirty-sync-count)
	DOWNTIME=$(json_num "$MIG_REPLY" downtime)
	DIRTY=$(sed -n 's/.*vfio_get_dirty_bitmap .*dirty_pages=\([0-9]*\).*/\1/p' "$WORK/$from.log" |
		awk '{ s += $1 } END { print s + 0 }')
	g=$(last_gen "$from")
	st=$(qmp "$to" '{"execute":"query-status"}')
	if [ "$(json_str "$st" status)" = running ] && wait_serial "$to" "L2-PASS gen=$((g + 2))\$" 900; then
		ok "$what: the workload verifies every LBA and completion on the target (gen $g -> $((g + 2)))"
	else
		not_ok "$what: the workload continues on the target: $st"
		tail -n 5 "$WORK/$to.serial" | sed 's/^/#   /'
		return 1
	fi
}

fail_out() {
	stop_l2 one; stop_l2 two; stop_l2 three; stop_l2 four
	unbind_vf "$a"; unbind_vf "$b"
	summary
	exit
}

# Only enable-migration: with the device's DMA logging QEMU asks the
# device, not the container, for the dirty pages, and the BAR0 mmap with
# the MSI-X table over it is no trouble (lib.sh, MIG_PROPS).
VF_PROPS=enable-migration=on
start_l2 one "$a"
if wait_serial one 'L2-PASS gen=1$' 900; then
	ok "L2 runs on $a (enable-migration=on alone: device DMA logging, BAR0 mmapped)"
else
	not_ok "L2 runs on $a"; fail_out
fi
# The next host of the VM has its logging off: the way back runs without,
# so it needs lib.sh's workaround for the container's bitmap of the BAR0
# mmap; x-no-mmap, as x-msix-relocation would change what the guest sees
# (the MSI-X capability) from what the source had.
VF_PROPS=enable-migration=on,x-no-mmap=on,x-device-dirty-page-tracking=off
mig_fifo
start_l2 two "$b" -incoming "$(mig_incoming)"
# QEMU's default downtime limit (300 ms): only the pages written since the
# last sync are left at the end.
move one two "logging on ($a -> $b)" || fail_out
ram_on=$RAM syncs_on=$SYNCS down_on=$DOWNTIME dirty_on=$DIRTY
if grep -q vfio_device_dirty_tracking_start "$WORK/one.log" && [ "$dirty_on" -gt 0 ]; then
	ok "logging on: QEMU used the device's DMA logging; it reported $dirty_on dirty pages over $syncs_on syncs"
else
	not_ok "logging on: QEMU used the device's DMA logging (pages reported: $dirty_on)"
fi
stop_l2 one

mig_fifo
VF_PROPS=enable-migration=on
start_l2 three "$a" -incoming "$(mig_incoming)"
# All RAM is dirty at every sync without logging: it converges only once
# all of it fits in the downtime limit (mig_params).
mig_params two
move two three "logging off ($b -> $a)" || fail_out
ram_off=$RAM syncs_off=$SYNCS down_off=$DOWNTIME dirty_off=$DIRTY
if grep -q vfio_device_dirty_tracking_start "$WORK/two.log"; then
	not_ok "logging off: QEMU did not start the device's DMA logging"
else
	ok "logging off: QEMU did not start the device's DMA logging; the container reported $dirty_off dirty pages over $syncs_off syncs"
fi
note "RAM sent: $ram_on bytes with device DMA logging, $ram_off without"
if [ -n "$ram_on" ] && [ -n "$ram_off" ] && [ "$ram_on" -lt "$ram_off" ]; then
	ok "QEMU sends fewer bytes with device DMA logging ($ram_on < $ram_off)"
else
	not_ok "QEMU sends fewer bytes with device DMA logging ($ram_on vs $ram_off)"
fi
# Once more with logging, from the VF the first move left: its source QEMU
# stopped logging with the controller suspended (which refuses Track
# Send), so the driver owed the stop until the VF's reset at close; had
# the device kept tracking the controller, this start would fail (1Fh).
stop_l2 two
mig_fifo
VF_PROPS=enable-migration=on
start_l2 four "$b" -incoming "$(mig_incoming)"
if move three four "logging on again ($a -> $b)"; then
	if grep -q vfio_device_dirty_tracking_start "$WORK/three.log"; then
		ok "logging on again: the device tracks the VF a logged migration left ($DIRTY dirty pages)"
	else
		not_ok "logging on again: QEMU used the device's DMA logging"
	fi
fi
echo "NESTED-DIRTY on_ram_bytes=$ram_on on_dirty_pages=$dirty_on on_syncs=$syncs_on on_downtime_ms=$down_on off_ram_bytes=$ram_off off_dirty_pages=$dirty_off off_syncs=$syncs_off off_downtime_ms=$down_off"
stop_l2 three
stop_l2 four
unbind_vf "$a"
unbind_vf "$b"
summary
