#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The bench is what DESIGN.md section 5 promises: two live PFs of distinct
# subsystems, their VFs online but unbound, shared namespaces, hugepages.
. ./ktap.sh

pf_live() { [ "$(cat /sys/class/nvme/${1#/dev/}/state)" = live ]; }
subsysnqn() { cat /sys/class/nvme/${1#/dev/}/subsysnqn; }
distinct_subsystems() {
	case "$(subsysnqn "$HMLM_SRC_PF")" in *nvme-hmlm:src) ;; *) return 1 ;; esac
	case "$(subsysnqn "$HMLM_DST_PF")" in *nvme-hmlm:dst) ;; *) return 1 ;; esac
}
vfs_unbound() {
	local v
	[ "$(echo $1 | wc -w)" = "$HMLM_NUM_VFS" ] || return 1
	for v in $1; do
		[ -e /sys/bus/pci/devices/$v ] || return 1
		[ ! -e /sys/bus/pci/devices/$v/driver ] || { echo "$v is bound"; return 1; }
	done
}
vfs_online() {
	[ "$(nvme list-secondary "$1" -o json | grep -c '"secondary-controller-state":1')" = "$HMLM_NUM_VFS" ]
}
vf_resources() {
	nvme list-secondary "$1" -o json | grep -q "\"num-virtual-queues\":$HMLM_VQ_PER_VF"
}
# $1 $2: the block devices bench.env names for NSID 1 and 2.
namespaces() {
	[ -b "$1" ] && [ -b "$2" ] &&
	[ "$(cat /sys/block/${1#/dev/}/nsid)" = 1 ] &&
	[ "$(cat /sys/block/${2#/dev/}/nsid)" = 2 ]
}
hugepages() {
	[ "$(cat /proc/sys/vm/nr_hugepages)" -ge 32 ]
}
cntlids_match_vfn() {
	# QEMU numbers secondary controllers after the primary: VF n is CNTLID n.
	[ "$1" = "1 2" ]
}

ktap_plan 13
ktap_check "src PF live" pf_live "$HMLM_SRC_PF"
ktap_check "dst PF live" pf_live "$HMLM_DST_PF"
ktap_check "PFs are in distinct subsystems" distinct_subsystems
ktap_check "src VFs exist and are unbound" vfs_unbound "$HMLM_SRC_VFS"
ktap_check "dst VFs exist and are unbound" vfs_unbound "$HMLM_DST_VFS"
ktap_check "src VFs online" vfs_online "$HMLM_SRC_PF"
ktap_check "dst VFs online" vfs_online "$HMLM_DST_PF"
ktap_check "src VFs have their queues" vf_resources "$HMLM_SRC_PF"
ktap_check "dst VFs have their queues" vf_resources "$HMLM_DST_PF"
ktap_check "src namespaces present with their NSIDs" namespaces "$HMLM_SRC_NS1" "$HMLM_SRC_NS2"
ktap_check "dst namespaces present with their NSIDs" namespaces "$HMLM_DST_NS1" "$HMLM_DST_NS2"
ktap_check "hugepages reserved for the polled driver" hugepages
ktap_check "secondary CNTLIDs are 1 and 2" cntlids_match_vfn "$HMLM_SRC_CNTLIDS"
ktap_finish
