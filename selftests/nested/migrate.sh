#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A running VM moves: the L2 workload runs on VF1 of the source subsystem
# bound to nvme-hmlm-vfio-pci; a second QEMU waits with -incoming on VF2 of
# the same subsystem (shared namespace: no data is copied); QMP migrate
# moves the VM, and the workload goes on verifying every LBA on VF2.
# The downtime as the workload saw it: L1's wall-clock gap between the last
# I/O progress line (L2-T) the source L2 printed and the first the target
# printed (serts stamps them, lib.sh), beside QEMU's downtime and the
# VM's pause from QEMU's own trace (source stop to target start).
. /nested/lib.sh

src=$SRC_VF1
dst=$SRC_VF2
note "migrate: $src -> $dst (one subsystem, shared namespace)"
setup_pair "$src" "$dst" || exit

VF_PROPS=$MIG_PROPS
# QEMU's view of the device's migration, in src.log / dst.log.
# vmstate_downtime_checkpoint: where the VM stops and starts, time-stamped
# (-msg timestamp=on) with the clock serts stamps the serial with.
printf '%s\n' 'vfio_migration_*' 'vfio_save_*' 'vfio_load_*' 'vfio_*dirty*' \
	'vfio_vmstate_change*' 'vfio_state_pending*' 'vfio_device_dirty*' \
	'vmstate_downtime_checkpoint' > "$WORK/trace.events"
NESTED_TRACE="events=$WORK/trace.events"
t0=$(now)
start_l2 src "$src" -msg timestamp=on
if wait_serial src 'L2-PASS gen=1$' 900; then
	ok "L2 runs on the source VF ($(elapsed "$t0" "$(now)") s to the first verified pass)"
else
	not_ok "L2 runs on the source VF"; stop_l2 src; summary; exit
fi
mig_fifo
start_l2 dst "$dst" -msg timestamp=on -incoming "$(mig_incoming)"
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
t1_ms=$(now_ms)
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
if [ "$(json_str "$st" status)" = running ]; then ok "the target VM runs"; else not_ok "the target VM runs: $st"; fi
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

# The downtime as the workload saw it. The VM's pause: QEMU's downtime
# starts at src-downtime-start (the source stops the VM right after it);
# the target runs it from dst-precopy-bh-vm-started. QEMU's downtime ends
# when the source has sent everything, before the target has loaded it.
tick=$(sed -n 's/.*L2-READY .* tick=\([0-9]*\).*/\1/p' "$WORK/src.serial")
p0=$(trace_ms src 'vmstate_downtime_checkpoint src-downtime-start')
p1=$(trace_ms dst 'vmstate_downtime_checkpoint dst-precopy-bh-vm-started')
ticks src > "$WORK/src.ticks"
ticks dst > "$WORK/dst.ticks"
note "progress lines (L2-T, every ${tick:-?} commands): $(wc -l < "$WORK/src.ticks") on the source, $(wc -l < "$WORK/dst.ticks") on the target"
# gap: last source line to first target line; res_pre: the largest gap
# between consecutive lines on the source before the migrate command (the
# resolution a reader should see); res: the largest between consecutive
# lines on either side, switchover aside (the source is slower while it
# sends its RAM, the target's TCG translates anew). n_src/n_dst: the
# command counts of the two lines: the target continues the count.
eval "$(awk -v t1="$t1_ms" '
	FILENAME == ARGV[1] {
		if (last != "") { d = $1 - last; if (d > res) res = d; if ($1 <= t1 && d > pre) pre = d }
		last = $1; n_src = $2; next
	}
	{
		if (prev != "") { d = $1 - prev; if (d > res) res = d }
		else { first = $1; n_dst = $2 }
		prev = $1
	}
	END { if (last != "" && first != "")
		printf "gap=%d res=%d res_pre=%d n_src=%d n_dst=%d\n", first - last, res, pre, n_src, n_dst }
' "$WORK/src.ticks" "$WORK/dst.ticks")"
if [ -n "$p0" ] && [ -n "$p1" ]; then pause=$(awk -v a="$p0" -v b="$p1" 'BEGIN { printf "%d", b - a }'); fi
note "workload: last progress line on the source (L2-T ${n_src:-?}), first on the target (L2-T ${n_dst:-?}) ${gap:-?} ms later; largest gap between lines before the migration ${res_pre:-?} ms, on either side ${res:-?} ms"
note "QEMU: downtime ${downtime:-?} ms; the VM stopped on the source to running on the target ${pause:-?} ms (vmstate_downtime_checkpoint)"
# Where the gap beyond the pause went: before the source stopped the VM
# (its last line stamped that long before), after the target started it.
if [ -n "${gap:-}" ] && [ -n "$p0" ] && [ -n "$p1" ]; then
	before=$(awk -v a="$(tail -n 1 "$WORK/src.ticks" | cut -d' ' -f1)" -v b="$p0" 'BEGIN { printf "%d", b - a }')
	after=$(awk -v a="$p1" -v b="$(head -n 1 "$WORK/dst.ticks" | cut -d' ' -f1)" 'BEGIN { printf "%d", b - a }')
	note "the source's last line $before ms before it stopped the VM, the target's first $after ms after it started it"
	grep -h vmstate_downtime_checkpoint "$WORK/src.log" "$WORK/dst.log" | sed 's/^/#   /'
fi
# The bounds. The workload can do no I/O while the VM is stopped, and
# QEMU's downtime and the pause are parts of that stop: the gap is no
# shorter, less one resolution (a late stamp of the source's last line).
# The stop cuts one interval between two lines in two, one part before
# the source stopped, one after the target started: with I/O working at
# once on the target the gap is at most the pause plus that interval (one
# resolution) plus the target's own start (its vCPU and TCG cache cold:
# 60-170 ms here before its first serial byte) and stamping jitter,
# bounded by one more resolution. The lines come in bursts (L1's two
# vCPUs run both QEMUs, serts and this script): silences of 55 to 759 ms
# between the lines of a running workload were measured, and the
# resolution before the migration need not catch the switchover's load
# (the gap exceeded the pause by 115-420 ms in seven runs, one of them
# with a 55 ms resolution), so the resolution counts as at least 500 ms.
# A longer gap is I/O stalled on the target after the VM runs again (a
# slow resume of the VF; a target QEMU stopped for 2 s after it started
# the VM fails this).
# The count: the first target line is the next one of the source's, or
# the one after it if the stop cut a line in two (in neither file whole).
r=${res:-0}
[ "$r" -ge 500 ] || r=500
if [ -z "${gap:-}" ] || [ -z "${pause:-}" ] || [ -z "$downtime" ] || [ -z "$tick" ]; then
	not_ok "the workload's downtime is measured (gap '${gap:-}', pause '${pause:-}', downtime '$downtime', tick '$tick')"
	tail -n 3 "$WORK/src.serial" "$WORK/dst.serial" | sed 's/^/#   /'
	grep vmstate_downtime_checkpoint "$WORK/src.log" "$WORK/dst.log" | sed 's/^/#   /'
elif [ "$gap" -ge $((downtime - res)) ] && [ "$gap" -ge $((pause - res)) ] &&
	[ "$gap" -le $((pause + 2 * r)) ] &&
	{ [ "$n_dst" = $((n_src + tick)) ] || [ "$n_dst" = $((n_src + 2 * tick)) ]; }; then
	ok "the workload's I/O stopped $gap ms: not less than QEMU's downtime ($downtime ms) or the VM's pause ($pause ms) minus $res ms, at most $pause + 2 x $r ms, and its count went on ($n_src -> $n_dst)"
else
	not_ok "the workload's I/O stopped $gap ms: QEMU's downtime $downtime ms, the VM's pause $pause ms, resolution $res ms (bound $r), count $n_src -> $n_dst (tick $tick)"
fi
echo "NESTED-MIGRATION downtime_ms=${downtime:-?} pause_ms=${pause:-?} workload_gap_ms=${gap:-?} before_ms=${before:-?} after_ms=${after:-?} tick_max_ms=${res_pre:-?} total_ms=${total:-?} ram_bytes=${ram:-?} vfio_bytes=${vfio:-?} verify=${verify:-FAILED}"
stop_l2 dst
stop_l2 src
unbind_vf "$src"
unbind_vf "$dst"
summary
