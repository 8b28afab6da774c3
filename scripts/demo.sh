#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make demo`: set everything up on a fresh machine, boot the bench, start a
# VM's I/O on VF 1 of the source subsystem, live-migrate it to VF 1 of the
# target subsystem while it runs, and print a short report: pre-copy rounds
# with the bytes of each, dirty extents, downtime, data verification.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$HMLM_TOP"

scripts/host-deps.sh
scripts/fetch-kernel.sh
scripts/build-qemu.sh > /dev/null
make -s all selftests
make -s -f selftests/e2e/e2e.mk

guest=$(mktemp)
trap 'rm -f "$guest"' EXIT
cat > "$guest" <<'GUEST'
#!/bin/sh
step() { printf '\n=== %s\n' "$*"; }
step "the two subsystems (hmlmctl list: the migratable controllers)"
insmod "$HMLM_MODULE" 2>/dev/null
for side in SRC DST; do
	eval pf=\$HMLM_${side}_PF
	echo "--- $side: $pf"
	hmlmctl list "$pf" 2>&1 | head -n 8
done
step "VM workload on source VF 1 ($(echo $HMLM_SRC_VFS | cut -d' ' -f1)), migrating it to target VF 1 ($(echo $HMLM_DST_VFS | cut -d' ' -f1))"
kv=/tmp/demo.kv
# a VM-like load (3000 commands/s, up to 48 in flight); DEMO_IOPS=0: flat out
/hmlm/selftests/hmlm_e2e_bench --engine lib --pattern sparse --region 32 --qdepth 48 \
	--iops "${DEMO_IOPS:-3000}" --warm 2000 --after 1000 --verify-fd --progress \
	--seed "${DEMO_SEED:-7}" --tag demo > "$kv"
rc=$?
step "report"
awk '
{ k = $1; sub(/^demo\.0\./, "", k); $1 = ""; sub(/^ /, ""); v[k] = $0 }
function mib(b) { return b >= 1048576 || b == 0 ? sprintf("%.1f MiB", b / 1048576) : sprintf("%.1f KiB", b / 1024) }
END {
	if (v["msg"] != "-") printf "FAILED: %s\n\n", v["msg"]
	printf "namespace          %s, %s allocated by the VM (pattern %s)\n", mib(v["ns_bytes"]), mib(v["allocated_bytes"]), v["pattern"]
	printf "VM workload        %d commands over 3 queues, up to %d in flight (%d reads, %d writes, %d deallocates)\n",
		v["wl_completed"], v["wl_max_inflight"], v["wl_reads"], v["wl_writes"], v["wl_deallocs"]
	printf "pre-copy           round 0 (allocated LBAs): %s\n", mib(v["round0_bytes"])
	for (i = 1; i <= v["rounds"]; i++)
		printf "                   round %d (dirty LBAs):     %s (dirty when it started: %s)\n", i, mib(v["round" i "_bytes"]), mib(v["round" i "_dirty"])
	printf "stop-and-copy      %s while suspended\n", mib(v["stopcopy_bytes"])
	printf "dirty extents      %d from %d migration-queue entries (%d queue-full events)\n", v["dirty_extents"], v["log_records"], v["queue_full_events"]
	printf "copied in all      %s = %.2f x (allocated + rewritten by the VM during pre-copy), %.2f x the capacity\n",
		mib(v["bytes_copied"]), v["bytes_copied"] / (v["allocated_bytes"] + v["workload_rewritten_bytes"] + 1), v["bytes_copied"] / v["ns_bytes"]
	printf "downtime           %.1f ms (suspend issued on the source .. resume done on the target) = %.0f admin round trips (%.2f ms each)\n",
		v["downtime_ns"] / 1e6, v["downtime_ns"] / (v["rtt_median_ns"] + 1), v["rtt_median_ns"] / 1e6
	printf "controller state   %d bytes (I/O queues + admin queue, features)\n", v["state_bytes"]
	printf "at suspend         %d commands in flight, %d queued but not fetched; all %d completed on the target exactly once\n",
		v["wl_inflight_at_suspend"], v["wl_unfetched_at_suspend"], v["wl_completed_on_target_of_those"]
	printf "memory tracking    %d dirty ranges reported; %d of %d pages the controller wrote missing, %d outside\n",
		v["mem_ranges_reported"], v["mem_pages_missing"], v["mem_pages_expected"], v["mem_pages_outside"]
	printf "data verification  %s: every LBA read back through the target VF (%d wrong) and the target PF (%d wrong), %d reads checked while running (%d wrong)\n",
		(v["rc"] == 0 ? "PASSED" : "FAILED"), v["verify_bad"], v["verify_fd_bad"], v["wl_read_checked_lbas"], v["wl_mismatches"]
}' "$kv"
exit $rc
GUEST
log "booting the bench guest: a VM's I/O moves from the src subsystem to the dst subsystem"
scripts/vm.sh --script "$guest" --timeout 900 | grep -av '^\[ *[0-9]'
