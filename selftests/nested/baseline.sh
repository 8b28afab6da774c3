#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Nested bench baseline: the L2 workload runs in QEMU 10 on a VF bound to
# stock vfio-pci, and QEMU refuses to migrate it (vfio-pci has no migration
# support). This is what nvme-hmlm-vfio-pci changes.
. /nested/lib.sh

vf=$SRC_VF1
note "baseline: $vf on stock vfio-pci"
if load_vfio; then ok "vfio modules of the Debian kernel load"; else not_ok "vfio modules load"; summary; exit; fi

grp=/sys/bus/pci/devices/$vf/iommu_group/devices
if [ -d "$grp" ] && [ "$(ls "$grp" | wc -l)" = 1 ]; then
	ok "the VF is alone in its IOMMU group ($(basename "$(readlink /sys/bus/pci/devices/$vf/iommu_group)"))"
else
	not_ok "the VF is alone in its IOMMU group: $(ls "$grp" 2>/dev/null | tr '\n' ' ')"
fi

if bind_vf "$vf" vfio-pci; then ok "VF binds to vfio-pci"; else not_ok "VF binds to vfio-pci"; summary; exit; fi

t0=$(now)
start_l2 base "$vf"
if wait_serial base 'L2-READY' 600; then
	t1=$(now)
	ok "L2 boots on the assigned VF ($(elapsed "$t0" "$t1") s to L2-READY)"
else
	not_ok "L2 boots on the assigned VF"
	stop_l2 base; summary; exit
fi
if wait_serial base 'L2-PASS gen=2$' 600; then
	t2=$(now)
	ok "L2 verifies its LBAs through the VF (2 passes, $(elapsed "$t1" "$t2") s)"
else
	not_ok "L2 verifies its LBAs through the VF"
fi

reply=$(qmp base '{"execute":"migrate","arguments":{"uri":"file:/tmp/nested/nowhere.bin"}}')
rc=$?
note "migrate: $reply"
if [ $rc = 1 ] && echo "$reply" | grep -qi 'migrat'; then
	ok "QMP migrate is refused for a VF on stock vfio-pci"
else
	not_ok "QMP migrate is refused for a VF on stock vfio-pci (rc=$rc)"
fi
st=$(qmp base '{"execute":"query-status"}')
g=$(last_gen base)
if [ "$(json_str "$st" status)" = running ] && wait_serial base "L2-PASS gen=$((g + 1))\$" 600; then
	ok "the VM keeps running and verifying after the refusal"
else
	not_ok "the VM keeps running after the refusal: $st"
fi
stop_l2 base
unbind_vf "$vf"
summary
