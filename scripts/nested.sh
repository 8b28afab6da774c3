#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The nested bench: boots the bench guest (L1) with an emulated IOMMU and
# QEMU 10 inside, and runs L1 scenario scripts (selftests/nested/*.sh) that
# start the L2 workload VM on a VF through VFIO and migrate it with QMP.
# Closing line: "nested: N passed, N failed, N skipped". See
# Documentation/testing.rst (The nested bench) and Documentation/vfio.rst.
# L1 runs the bench kernel (Debian's), or with --kernel debug (or
# NESTED_KERNEL=debug) the iommufd flavour of the debug kernel
# (HMLM_DEBUG_FLAVOR=iommufd scripts/build-debug-kernel.sh), the only one
# with CONFIG_IOMMUFD_DRIVER (device DMA logging); any other kernel through
# HMLM_KERNEL_ENV, as for scripts/vm.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<'USAGE'
usage: scripts/nested.sh [--kernel debug] [--scenarios LIST] [--timeout SEC] [--log FILE] [--shell]
  --kernel debug    L1 on the iommufd flavour of the debug kernel (built if it is not)
  --scenarios LIST  comma-separated L1 scenarios of selftests/nested (default: all)
  --timeout SEC     kill L1 after SEC seconds (default 1800)
  --log FILE        keep L1's console log
  --shell           an L1 shell with the nested bench loaded (/nested)
USAGE
}

scenarios=baseline,migrate,xsub,dirty,stream,cancel,stopcopy
timeout_s=1800
kernel=${NESTED_KERNEL:-}
logfile=""
shell=0
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2 ;;
	--scenarios) scenarios=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--log) logfile=$(realpath "$2"); shift 2 ;;
	--shell) shell=1; shift ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done

"$HMLM_TOP/scripts/fetch-kernel.sh" >&2
case "$kernel" in
"") ;;
debug)
	# The iommufd flavour: debug-kernel.config + debug-kernel-iommufd.config.
	export HMLM_DEBUG_FLAVOR=iommufd
	"$HMLM_TOP/scripts/build-debug-kernel.sh" > /dev/null
	HMLM_KERNEL_ENV=$("$HMLM_TOP/scripts/build-debug-kernel.sh" --print-env)
	export HMLM_KERNEL_ENV ;;
*) die "--kernel $kernel: only 'debug' (or HMLM_KERNEL_ENV=FILE for another kernel)" ;;
esac
eval "$(kernel_env)"
log "L1 kernel: $KVER"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# nvme-hmlm.ko on the patched nvme-core, then the variant driver on both.
ncore_env=$("$HMLM_TOP/scripts/build-nvme-core.sh" ${HMLM_KERNEL_ENV:+"$HMLM_KERNEL_ENV"} | tail -n 1)
. "$ncore_env"
if [ -z "${HMLM_KERNEL_ENV:-}" ]; then
	make -s -C "$HMLM_TOP/driver" NVME_SRC="$NVME_CORE_SRC" >&2
	make -s -C "$HMLM_TOP/driver/vfio" NVME_SRC="$NVME_CORE_SRC" >&2
else
	# Another kernel: both modules in a copy of driver/ and include/, so
	# that the ones `make` built for the bench kernel stay as they are.
	tar -C "$HMLM_TOP" -c --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
		--exclude='*.mod*' --exclude='Module.symvers' --exclude='modules.order' \
		driver include | tar -x -C "$tmp"
	log "building nvme-hmlm.ko and nvme-hmlm-vfio-pci.ko against $KDIR"
	make -s -C "$tmp/driver" KDIR="$KDIR" NVME_SRC="$NVME_CORE_SRC" \
		NVME_SYMVERS="$NVME_CORE_SRC/Module.symvers" modules >&2 ||
		die "nvme-hmlm.ko does not build against $KDIR"
	make -s -C "$tmp/driver/vfio" KDIR="$KDIR" NVME_SRC="$NVME_CORE_SRC" >&2 ||
		die "nvme-hmlm-vfio-pci.ko does not build against $KDIR"
	export HMLM_MODULE_KO="$tmp/driver/nvme-hmlm.ko"
	export NESTED_VFIO_KO="$tmp/driver/vfio/nvme-hmlm-vfio-pci.ko"
fi
"$HMLM_TOP/scripts/nested/mkoverlay.sh" "$tmp/overlay.cpio.gz"

args=(
	--initrd-add "$tmp/overlay.cpio.gz"
	--iommu --append "nested.scenarios=$scenarios"
	--timeout "$timeout_s"
)
if [ $shell = 1 ]; then
	exec "$HMLM_TOP/scripts/vm.sh" --shell "${args[@]}"
fi
log=${logfile:-$tmp/console.log}
t0=$(date +%s)
rc=0
"$HMLM_TOP/scripts/vm.sh" --script "$HMLM_TOP/selftests/nested/run.sh" --log "$log" "${args[@]}" || rc=$?
total=$({ grep -a '^NESTED-TOTAL' "$log" || true; } | tail -n1 | tr -d '\r')
pass=$(echo "$total" | sed -n 's/.*pass=\([0-9]*\).*/\1/p')
fail=$(echo "$total" | sed -n 's/.*fail=\([0-9]*\).*/\1/p')
skip=$(echo "$total" | sed -n 's/.*skip=\([0-9]*\).*/\1/p')
pass=${pass:-0} fail=${fail:-0} skip=${skip:-0}
# A run that did not finish, or whose L1 kernel complained, is one more failure.
[ $rc != 0 ] && [ "$fail" = 0 ] && fail=1
log "nested bench took $(( $(date +%s) - t0 )) s"
# The migrations' report (make demo-vm): QEMU's figures and the workload's.
{ grep -a '^NESTED-MIGRATION' "$log" || true; } | tr -d '\r' | while read -r _ kv; do
	echo "VM migration (QEMU 10, nvme-hmlm-vfio-pci):"
	for f in $kv; do
		case "$f" in
		downtime_ms=*) echo "  downtime (QEMU query-migrate):  ${f#*=} ms" ;;
		pause_ms=*) echo "  VM stopped (QEMU trace):        ${f#*=} ms (source stop to target start)" ;;
		workload_gap_ms=*) echo "  downtime the workload saw:      ${f#*=} ms (no I/O from its last progress line on the source to its first on the target, L1 wall clock)" ;;
		before_ms=*) echo "    last line before the stop:    ${f#*=} ms earlier" ;;
		after_ms=*) echo "    first line after the start:   ${f#*=} ms later" ;;
		tick_max_ms=*) echo "    resolution:                   ${f#*=} ms (largest gap between its progress lines before the migration)" ;;
		total_ms=*) echo "  total time (QEMU):              ${f#*=} ms" ;;
		ram_bytes=*) echo "  RAM sent:                       ${f#*=} bytes" ;;
		vfio_bytes=*) echo "  VFIO device state sent:         ${f#*=} bytes" ;;
		verify=*) echo "  data verification:              ${f#*=}" ;;
		esac
	done
done
# The move between subsystems: the namespace data beside QEMU.
{ grep -a '^NESTED-XSUB' "$log" || true; } | tr -d '\r' | while read -r _ kv; do
	echo "VM migration between two subsystems (QEMU 10 + hmlmctl migrate-data):"
	for f in $kv; do
		case "$f" in
		downtime_ms=*) echo "  downtime (QEMU query-migrate):  ${f#*=} ms (with the hold before switchover)" ;;
		hold_ms=*) echo "  hold before switchover:         ${f#*=} ms (the last data copy and its flush)" ;;
		data_bytes=*) echo "  namespace data copied:          ${f#*=} bytes" ;;
		stopcopy_bytes=*) echo "    of them while stopped:        ${f#*=} bytes" ;;
		rounds=*) echo "  dirty rounds while it ran:      ${f#*=}" ;;
		verify=*) echo "  data verification:              ${f#*=}" ;;
		esac
	done
done
# The dirty scenario's comparison: device DMA logging on and off.
{ grep -a '^NESTED-DIRTY' "$log" || true; } | tr -d '\r' | while read -r _ kv; do
	echo "Device DMA logging (dirty scenario):"
	for f in $kv; do
		case "$f" in
		on_ram_bytes=*) echo "  logging on:  RAM sent ${f#*=} bytes" ;;
		on_dirty_pages=*) echo "               dirty pages reported by the device ${f#*=}" ;;
		on_downtime_ms=*) echo "               downtime ${f#*=} ms" ;;
		off_ram_bytes=*) echo "  logging off: RAM sent ${f#*=} bytes" ;;
		off_dirty_pages=*) echo "               dirty pages reported by the container ${f#*=}" ;;
		off_downtime_ms=*) echo "               downtime ${f#*=} ms" ;;
		esac
	done
done
echo "nested: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
