#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of the bench: load nvme, find the two PFs by serial, bring their
# VFs online with Virtualization Management (left unbound), write bench.env.
set -e
say() { echo "# setup: $*"; }

while read -r m; do
	insmod "/hmlm/modules/$m"
done < /hmlm/modules/load-order

# Which /dev/nvmeN is which subsystem's PF.
pf_by_serial() {
	local want=$1 i
	for i in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19; do
		for c in /sys/class/nvme/nvme*; do
			[ -e "$c/serial" ] || continue
			if [ "$(sed 's/ *$//' "$c/serial")" = "$want" ]; then
				echo "${c##*/}"
				return 0
			fi
		done
		sleep 0.5
	done
	return 1
}

ctrl_state_wait() {
	local c=$1 i
	for i in $(seq 1 40); do
		[ "$(cat /sys/class/nvme/$c/state)" = live ] && return 0
		sleep 0.25
	done
	return 1
}

# Virtualization Management per DESIGN.md section 5; QEMU's procedure.
bring_vfs_online() {
	local c=$1 pci=$2 n=$3 scid
	nvme virt-mgmt /dev/$c -c 0 -r 1 -a 1 -n 0 > /dev/null
	nvme virt-mgmt /dev/$c -c 0 -r 0 -a 1 -n 0 > /dev/null
	echo 1 > /sys/bus/pci/devices/$pci/reset
	ctrl_state_wait $c
	echo 0 > /sys/bus/pci/devices/$pci/sriov_drivers_autoprobe
	echo "$n" > /sys/bus/pci/devices/$pci/sriov_numvfs
	for scid in $(secondary_cntlids $c); do
		nvme virt-mgmt /dev/$c -c "$scid" -r 1 -a 8 -n 1 > /dev/null
		nvme virt-mgmt /dev/$c -c "$scid" -r 0 -a 8 -n "$VQ_PER_VF" > /dev/null
		nvme virt-mgmt /dev/$c -c "$scid" -r 0 -a 9 -n 0 > /dev/null
	done
}

# SCIDs of the secondary controller list, in VF order.
secondary_cntlids() {
	nvme list-secondary /dev/$1 -o json |
		awk -F'[:,]' '/"secondary-controller-identifier"/ { print $2 + 0 }'
}

secondary_online_count() {
	nvme list-secondary /dev/$1 -o json | grep -c '"secondary-controller-state":1' || true
}

vf_addrs() {
	local pci=$1 v out=""
	for v in /sys/bus/pci/devices/$pci/virtfn*; do
		[ -e "$v" ] || continue
		out="$out $(basename "$(readlink "$v")")"
	done
	echo $out
}

NUM_VFS=2
VQ_PER_VF=4
src=$(pf_by_serial HMLMSRC) || { say "no controller with serial HMLMSRC"; exit 1; }
dst=$(pf_by_serial HMLMDST) || { say "no controller with serial HMLMDST"; exit 1; }
ctrl_state_wait "$src"
ctrl_state_wait "$dst"
src_pci=$(basename "$(readlink /sys/class/nvme/$src/device)")
dst_pci=$(basename "$(readlink /sys/class/nvme/$dst/device)")
hmlm=0
grep -q 'hmlm=on' /proc/cmdline && hmlm=1

for side in src dst; do
	eval c=\$$side pci=\$${side}_pci
	bring_vfs_online "$c" "$pci" $NUM_VFS
	online=$(secondary_online_count "$c")
	[ "$online" = "$NUM_VFS" ] || { say "$c: $online of $NUM_VFS VFs online"; nvme list-secondary /dev/$c -o json; exit 1; }
done

# With the emulated IOMMU (vm.sh --iommu) every VF is a group of its own.
# The polled userspace driver hands the device physical addresses, so its
# VFs get identity domains (set while unbound); the PFs stay translated,
# and a DMA of theirs to memory that is not mapped is a DMAR fault.
if grep -q 'intel_iommu=on' /proc/cmdline; then
	for pci in $(vf_addrs "$src_pci") $(vf_addrs "$dst_pci"); do
		echo identity > /sys/bus/pci/devices/$pci/iommu_group/type ||
			{ say "$pci: cannot give its IOMMU group an identity domain"; exit 1; }
	done
	say "IOMMU on: VF groups identity, PF groups $(cat /sys/bus/pci/devices/$src_pci/iommu_group/type)"
fi

# The block device of NSID $2 on controller $1. With native multipath the
# disk name's number is the order of set-up, not the NSID: ask sysfs.
ns_bdev() {
	local c=$1 nsid=$2 d
	for d in /sys/class/nvme/$c/nvme*; do
		[ -e "$d/nsid" ] || continue
		[ "$(cat "$d/nsid")" = "$nsid" ] || continue
		d=${d##*/}
		case "$d" in
		nvme*c*n*) echo "/dev/${d%%c*}n${d##*n}" ;;
		*) echo "/dev/$d" ;;
		esac
		return 0
	done
	return 1
}

cat > /hmlm/bench.env <<ENV
HMLM_SRC_PF=/dev/$src
HMLM_DST_PF=/dev/$dst
HMLM_SRC_PCI=$src_pci
HMLM_DST_PCI=$dst_pci
HMLM_SRC_VFS="$(vf_addrs "$src_pci")"
HMLM_DST_VFS="$(vf_addrs "$dst_pci")"
HMLM_SRC_CNTLIDS="$(secondary_cntlids "$src" | tr '\n' ' ' | sed 's/ $//')"
HMLM_DST_CNTLIDS="$(secondary_cntlids "$dst" | tr '\n' ' ' | sed 's/ $//')"
HMLM_SRC_NS1=$(ns_bdev "$src" 1)
HMLM_SRC_NS2=$(ns_bdev "$src" 2)
HMLM_DST_NS1=$(ns_bdev "$dst" 1)
HMLM_DST_NS2=$(ns_bdev "$dst" 2)
HMLM_NUM_VFS=$NUM_VFS
HMLM_VQ_PER_VF=$VQ_PER_VF
HMLM_HMLM=$hmlm
HMLM_MODULE=/hmlm/driver/nvme-hmlm.ko
HMLM_ROOT=/hmlm
ENV
say "bench ready:"
sed 's/^/#   /' /hmlm/bench.env
