#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The nested bench: boots the bench guest (L1) with an emulated IOMMU and
# QEMU 10 inside, and runs L1 scenario scripts (selftests/nested/*.sh) that
# start the L2 workload VM on a VF through VFIO and migrate it with QMP.
# Closing line: "nested: N passed, N failed, N skipped". See
# Documentation/testing.rst (The nested bench) and Documentation/vfio.rst.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<'USAGE'
usage: scripts/nested.sh [--scenarios LIST] [--timeout SEC] [--log FILE] [--shell]
  --scenarios LIST  comma-separated L1 scenarios of selftests/nested (default: all four)
  --timeout SEC     kill L1 after SEC seconds (default 1800)
  --log FILE        keep L1's console log
  --shell           an L1 shell with the nested bench loaded (/nested)
USAGE
}

scenarios=baseline,migrate,stream,cancel
timeout_s=1800
logfile=""
shell=0
while [ $# -gt 0 ]; do
	case "$1" in
	--scenarios) scenarios=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--log) logfile=$(realpath "$2"); shift 2 ;;
	--shell) shell=1; shift ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done

"$HMLM_TOP/scripts/fetch-kernel.sh" >&2
eval "$(kernel_env)"
# nvme-hmlm.ko on the patched nvme-core, then the variant driver on both.
ncore_env=$("$HMLM_TOP/scripts/build-nvme-core.sh")
. "$ncore_env"
make -s -C "$HMLM_TOP/driver" NVME_SRC="$NVME_CORE_SRC" >&2
make -s -C "$HMLM_TOP/driver/vfio" NVME_SRC="$NVME_CORE_SRC" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
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
		total_ms=*) echo "  total time (QEMU):              ${f#*=} ms" ;;
		ram_bytes=*) echo "  RAM sent:                       ${f#*=} bytes" ;;
		vfio_bytes=*) echo "  VFIO device state sent:         ${f#*=} bytes" ;;
		gap_s=*) echo "  workload's longest silence:     ${f#*=} s (L1 time, serial progress lines)" ;;
		verify=*) echo "  data verification:              ${f#*=}" ;;
		esac
	done
done
echo "nested: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
