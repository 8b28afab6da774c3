#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The test bench: boots the guest under QEMU (TCG) with the two-subsystem
# topology of DESIGN.md section 5 and runs the guest test list, a script of
# the user's, or an interactive shell. See Documentation/testing.rst.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<'USAGE'
usage: scripts/vm.sh [--tests LIST | --script FILE | --shell] [options]
  --tests LIST     run the programs listed in LIST (default selftests/tests.list)
  --script FILE    run FILE in the guest after set-up; exit with its status
  --shell          interactive shell in the guest (leave with 'poweroff -f' or Ctrl-a x)
  --timeout SEC    kill the guest after SEC seconds (default 1200)
  --ns-size SIZE   size of each namespace's sparse backing file (default 64M)
  --stock          run without the device model even if QEMU has it (hmlm=off)
  --iommu          emulated Intel IOMMU (each VF its own group); any DMAR fault fails the run
  --result FILE    write "pass fail skip" of the test run to FILE
  --log FILE       keep the whole console log in FILE
  --qemu-arg ARG   extra QEMU argument (repeatable)
  --append ARG     extra guest kernel argument (repeatable)
  --initrd-add F   append the (compressed) cpio archive F to the initramfs (repeatable)
  --kernel-env FILE boot the kernel an env file describes (format of
                   scripts/fetch-kernel.sh's; same as HMLM_KERNEL_ENV=FILE),
                   e.g. the debug kernel's (scripts/build-debug-kernel.sh)
USAGE
}

mode=tests
tests_list="$HMLM_TOP/selftests/tests.list"
script=""
timeout_s=1200
ns_size=64M
stock=0
iommu=0
result=""
logfile=""
extra=()
kargs=""
initrd_add=()
while [ $# -gt 0 ]; do
	case "$1" in
	--tests) mode=tests; tests_list=$(realpath "$2"); shift 2 ;;
	--script) mode=script; script=$(realpath "$2"); shift 2 ;;
	--shell) mode=shell; shift ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--ns-size) ns_size=$2; shift 2 ;;
	--stock) stock=1; shift ;;
	--iommu) iommu=1; shift ;;
	--result) result=$2; shift 2 ;;
	--log) logfile=$2; shift 2 ;;
	--qemu-arg) extra+=("$2"); shift 2 ;;
	--append) kargs="$kargs $2"; shift 2 ;;
	--initrd-add) initrd_add+=("$(realpath "$2")"); shift 2 ;;
	--kernel-env) HMLM_KERNEL_ENV=$(realpath "$2"); export HMLM_KERNEL_ENV; shift 2 ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done

"$HMLM_TOP/scripts/fetch-kernel.sh" >&2
qemu=$("$HMLM_TOP/scripts/build-qemu.sh")
eval "$(kernel_env)"

hmlm_prop=""
if [ $stock = 0 ] && "$qemu" -device nvme,help 2>/dev/null | grep -q '^  hmlm='; then
	hmlm_prop=",hmlm=on"
fi

run=$(mktemp -d "$HMLM_CACHE/run.XXXXXX")
# The namespace images go to tmpfs when it has room for all four, so a
# Flush costs what the device model does rather than an fsync of the
# host's shared disk (noise in every timing); HMLM_IMG_DIR picks another
# directory, and without room they stay in the run directory.
img_dir=$run
img_base=${HMLM_IMG_DIR:-/dev/shm}
img_need=$((4 * $(numfmt --from=iec "$ns_size")))
if [ -d "$img_base" ] && [ -w "$img_base" ] &&
   [ "$(df --output=avail -B1 "$img_base" | tail -n1)" -gt "$img_need" ]; then
	img_dir=$(mktemp -d "$img_base/nvme-hmlm.XXXXXX")
fi
cleanup() { rm -rf "$run" "$img_dir"; }
trap cleanup EXIT

initrd_args=(--tests "$tests_list")
[ -n "$script" ] && initrd_args+=(--script "$script")
"$HMLM_TOP/scripts/mkinitramfs.sh" "$run/initrd.gz" "${initrd_args[@]}"
# The kernel unpacks concatenated archives in order: later files win.
for f in "${initrd_add[@]}"; do
	cat "$f" >> "$run/initrd.gz"
done

# One subsystem: a PF with two VFs (flexible resources: 4 queues and 1
# vector per VF) and two shared namespaces on sparse files.
subsys_args() {
	local name=$1 serial=$2 slot=$3 i
	echo "-device pcie-root-port,id=rp-$name,chassis=$slot,slot=$slot"
	echo "-device nvme-subsys,id=subsys-$name,nqn=nqn.2026-11.io.nvme-hmlm:$name"
	echo "-device nvme,id=$name,bus=rp-$name,serial=$serial,subsys=subsys-$name,sriov_max_vfs=2,sriov_vq_flexible=8,sriov_vi_flexible=2,max_ioqpairs=12,msix_qsize=4$hmlm_prop"
	for i in 1 2; do
		truncate -s "$ns_size" "$img_dir/$name-ns$i.raw"
		echo "-drive file=$img_dir/$name-ns$i.raw,if=none,id=$name-ns$i,format=raw,discard=unmap"
		echo "-device nvme-ns,drive=$name-ns$i,bus=$name,nsid=$i,shared=on"
	done
}

# no_timer_check: the IO-APIC timer test counts ticks in a fixed delay
# loop; under TCG on loaded cores it misses them, and with interrupt
# remapping (--iommu) that is a panic at boot ("timer doesn't work through
# Interrupt-remapped IO-APIC", seen at a load of 10). KVM guests skip the
# test the same way.
append="console=ttyS0 printk.time=1 loglevel=5 panic=-1 oops=panic hugepages=64 no_timer_check hmlm.mode=$mode"
[ -n "$hmlm_prop" ] && append="$append hmlm=on"
append="$append$kargs"
iommu_args=()
if [ $iommu = 1 ]; then
	# caching-mode lets the guest's unmaps reach the emulator, as with
	# VFIO-assigned devices; the IOMMU comes before the devices it serves.
	iommu_args=(-device intel-iommu,caching-mode=on)
	append="$append intel_iommu=on"
fi
args=(
	-machine q35 -cpu max -smp 2 -m 1024 -nodefaults -no-reboot
	"${iommu_args[@]}"
	-L /usr/share/qemu -L /usr/share/seabios
	-kernel "$VMLINUZ" -initrd "$run/initrd.gz" -append "$append"
	$(subsys_args src HMLMSRC 1)
	$(subsys_args dst HMLMDST 2)
	"${extra[@]}"
)

if [ $mode = shell ]; then
	# Ctrl-a x leaves, Ctrl-a c is the QEMU monitor.
	"$qemu" "${args[@]}" -display none -serial mon:stdio
	exit 0
fi

log="${logfile:-$run/console.log}"
# TCG (QEMU 7.2, -smp 2) now and then stops delivering a halted vCPU's
# timer interrupts: RCU says its kthread's timer wakeup did not happen,
# NVMe interrupts are lost and every command waits for its 60 s timeout.
# Nothing of ours is running then (the stalled CPU is idle), so such a
# boot is void: it is stopped and booted once more, and said so.
stall_re="rcu_preempt kthread timer wakeup didn't happen"
boot() {
	log "booting the guest (mode $mode, timeout ${timeout_s}s, device model: ${hmlm_prop:+on}${hmlm_prop:-off})"
	rm -f "$run/qemu.pid" "$run/qemu.rc"
	: > "$log"
	{
		timeout -k 5 "$timeout_s" "$qemu" "${args[@]}" -display none -serial stdio \
			-monitor none -pidfile "$run/qemu.pid" < /dev/null 2>&1
		echo $? > "$run/qemu.rc"
	} | tee "$log" &
	local pipe=$!
	stalled=0
	while kill -0 $pipe 2>/dev/null; do
		if grep -aq "$stall_re" "$log"; then
			stalled=1
			kill "$(cat "$run/qemu.pid" 2>/dev/null)" 2>/dev/null || true
			break
		fi
		sleep 1
	done
	wait $pipe || true
	qrc=$(cat "$run/qemu.rc" 2>/dev/null || echo 1)
	[ "$qrc" = 124 ] && log "guest timed out after ${timeout_s}s"
	[ $stalled = 0 ] || log "the emulator stopped a vCPU's timer (RCU: timer wakeup didn't happen): this boot is void"
	return 0
}
boot
# TCG occasionally crashes a guest kernel while it boots, before any of our
# code runs, or stalls a vCPU (above). Such a boot is retried once, and
# said so; a crash after the first test started is never retried.
if [ $stalled = 1 ]; then
	log "booting once more"
	boot
elif [ $mode = tests ] && ! grep -aq '^TAP version 13' "$log" &&
     ! grep -aq '^HMLM-SETUP-FAILED' "$log"; then
	log "the guest died before the first test started; booting once more"
	boot
fi
[ $stalled = 0 ] || log "the emulator stalled a vCPU twice in a row: the run failed"

status=0
# The debug kernel's checkers report as BUG: (KASAN, KFENCE, sleeping in
# atomic context), WARNING: (lockdep, DEBUG_OBJECTS), UBSAN:, ODEBUG: and
# lockdep's INFO: lines; a hung task is a failure too. A DMAR fault is a
# DMA to memory the device was not given (freed or unmapped): with an
# IOMMU that is what silent corruption looks like.
kbad_re='WARNING:|BUG:|Oops|Kernel panic|general protection fault|UBSAN:|ODEBUG:'
kbad_re="$kbad_re|INFO: (trying to register non-static key|task .* blocked for more than)"
kbad_re="$kbad_re|DMAR: \[DMA (Read|Write)|DMAR: DRHD: handling fault"
kbad=$(grep -aE "^\[ *[0-9]+\.[0-9]+\] .*($kbad_re)" "$log" || true)
if [ -n "$kbad" ]; then
	log "the guest kernel complained:"
	echo "$kbad" >&2
	status=1
fi
exit_line=$({ grep -a '^HMLM-EXIT=' "$log" || true; } | tail -n1 | tr -d '\r')
guest_rc=${exit_line#HMLM-EXIT=}
[ -n "$exit_line" ] || { log "the guest did not finish (no HMLM-EXIT line)"; status=1; guest_rc=1; }
[ "$guest_rc" = 0 ] || status=1

if [ $mode = tests ]; then
	summary=$({ grep -a '^HMLM-SUMMARY' "$log" || true; } | tail -n1 | tr -d '\r')
	pass=$(echo "$summary" | sed -n 's/.*pass=\([0-9]*\).*/\1/p')
	fail=$(echo "$summary" | sed -n 's/.*fail=\([0-9]*\).*/\1/p')
	skip=$(echo "$summary" | sed -n 's/.*skip=\([0-9]*\).*/\1/p')
	pass=${pass:-0} fail=${fail:-0} skip=${skip:-0}
	# A run that did not finish, or whose kernel complained, counts one more failure.
	[ $status != 0 ] && [ "$fail" = 0 ] && fail=1
	[ "$pass" = 0 ] && status=1
	[ -n "$result" ] && echo "$pass $fail $skip" > "$result"
	echo "guest: $pass passed, $fail failed, $skip skipped" >&2
fi
exit $status
