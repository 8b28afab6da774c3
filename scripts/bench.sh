#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: end-to-end migration benchmarks on the bench (TCG, so every
# figure is a ratio of two things measured in the same run). See
# Documentation/benchmarks.rst for what each figure means.
#
#   scripts/bench.sh [--quick] [--sizes "64M 1G"] [--runs N] [--no-long] [--no-build]
#   scripts/bench.sh --report DIR [--sizes ...]   # the table again from DIR's figures
#
# Boots the guest once per namespace size; there selftests/hmlm_e2e_bench
# runs every engine --runs times (default 5) and prints key/value lines.
# Then one more boot for the long randomized migration set
# (selftests/hmlm_e2e_long_test). Prints the tables and keeps the raw
# figures, the consoles and the host's load in $HMLM_CACHE/bench/<date>/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$HMLM_TOP"

sizes="64M 1G"
runs=5
long=1
build=1
report=""
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) sizes="64M"; runs=2; long=0; shift ;;
	--sizes) sizes=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--no-long) long=0; shift ;;
	--no-build) build=0; shift ;;
	--report) report=$2; shift 2 ;;
	-h|--help) sed -n '2,14p' "$0"; exit 0 ;;
	*) die "unknown option $1" ;;
	esac
done

if [ -n "$report" ]; then
	[ -f "$report/kv.txt" ] || die "no $report/kv.txt"
	out=$report
	long=0
	sizes=$(for s in $sizes; do [ -f "$out/kv-$s.txt" ] && echo "$s"; done | xargs)
fi
if [ $build = 1 ] && [ -z "$report" ]; then
	scripts/host-deps.sh
	scripts/fetch-kernel.sh
	scripts/build-qemu.sh > /dev/null
	make -s all selftests
	make -s -f selftests/e2e/e2e.mk
fi
[ -n "$report" ] || [ -x selftests/hmlm_e2e_bench ] ||
	die "selftests/hmlm_e2e_bench was not built (selftests/e2e/e2e.mk)"

[ -n "$report" ] || out="$HMLM_CACHE/bench/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
guest=$(mktemp)
trap 'rm -f "$guest"' EXIT

t_bench=$(date +%s)
first=1
for size in $([ -n "$report" ] || echo "$sizes"); do
	# Every migrating engine --runs times at every size; the baselines
	# (stock tools, raw passthrough) fewer: their downtime is a whole copy.
	cli_runs=1
	[ $first = 1 ] && cli_runs=$(( runs < 3 ? runs : 3 ))
	cat > "$guest" <<GUEST
#!/bin/sh
cd /hmlm/selftests
B=./hmlm_e2e_bench
common="--region 32 --qdepth 48 --queues 3 --warm 1500 --after 300 --rtt 21 --alternate"
# a VM-like load the pre-copy can converge on, and the same load unthrottled
vm="--pattern sparse \$common --iops 3000"
peak="--pattern sparse \$common"
# the boot's first migration pays one-time costs (cold paths, first AIO
# context): it runs as a warm-up, reported on its own, not in the medians
\$B --engine lib \$vm --repeat 1 --seed 10 --tag warmup
\$B --engine lib \$vm --repeat $runs --seed 11 --tag lib
\$B --engine lib \$vm --repeat $runs --no-alloc --seed 21 --tag noalloc
\$B --engine stream \$vm --repeat $runs --seed 31 --tag stream
\$B --engine lib \$peak --repeat $runs --seed 41 --tag peak
\$B --engine lib \$peak --repeat $runs --log-entries 65536 --seed 51 --tag bigq
\$B --engine lib --pattern hotspot \$common --iops 3000 --repeat $runs --seed 61 --tag hot
\$B --engine raw \$vm --repeat 1 --seed 71 --tag raw
\$B --engine cli \$vm --repeat $cli_runs --seed 81 --tag cli
exit 0
GUEST
	log "bench: namespace size $size ($runs runs per engine)"
	t0=$(date +%s)
	echo "$size start $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/load.txt"
	# A boot the emulator crashed (TCG, now and then, under load) or that
	# ended before the last engine's figures is booted once more.
	for try in 1 2; do
		scripts/vm.sh --script "$guest" --ns-size "$size" --timeout 3000 \
			--log "$out/console-$size.log" | tr -d '\r' | grep -aE '^[a-z]+\.[0-9]+\.|^[a-z]+\.(runs|failed) ' \
			| sed "s/^/$size./" > "$out/kv-$size.txt" || true
		grep -q "^$size\.cli\.runs " "$out/kv-$size.txt" && break
		[ $try = 2 ] && break
		mv "$out/console-$size.log" "$out/console-$size-void.log"
		log "bench: the $size boot ended early (console-$size-void.log); booting once more"
		echo "$size void $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/load.txt"
	done
	echo "$size end $(cut -d' ' -f1-3 /proc/loadavg) wall $(( $(date +%s) - t0 ))" >> "$out/load.txt"
	first=0
done

if [ $long = 1 ]; then
	printf 'hmlm_e2e_long_test\n' > "$guest.list"
	log "bench: long randomized migration set (hmlm_e2e_long_test, 60 migrations)"
	scripts/vm.sh --tests "$guest.list" --ns-size 64M --timeout 5400 \
		--log "$out/console-long.log" > /dev/null 2>&1 || true
	rm -f "$guest.list"
fi

[ -n "$report" ] || cat "$out"/kv-*.txt > "$out/kv.txt"
awk -v long_log="$out/console-long.log" -v load_log="$out/load.txt" -v order="$sizes" '
# the median of @key over the verified runs of @tag ("SIZE.engine")
function med(tag, key,    n, i, j, t, v) {
	n = 0
	for (i = 0; i < nrun[tag]; i++)
		if (ok[tag, i] && (tag, i, key) in val) v[++n] = val[tag, i, key]
	if (!n) return 0
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
{
	# SIZE.tag.i.key value
	split($1, a, ".")
	tag = a[1] "." a[2]; key = a[4]
	if (a[3] !~ /^[0-9]+$/) next
	val[tag, a[3], key] = $2
	if (a[3] + 1 > nrun[tag]) nrun[tag] = a[3] + 1
	if (key == "rc" && $2 == 0) ok[tag, a[3]] = 1
	if (key == "rc") runs[tag]++
	if (key == "rc" && $2 != 0) bad[tag]++
}
END {
	for (k in val) {
		split(k, p, SUBSEP)
		if (p[3] != "downtime_ns" || !val[p[1], p[2], "rtt_median_ns"]) continue
		t = p[1] SUBSEP p[2]
		# the downtime of each run over the admin round trip of that run
		val[t, "dt_ratio"] = val[k] / val[t, "rtt_median_ns"]
		# where it went: the KEEP Suspend (and what else runs between the
		# state read and the Resume) from the callbacks, what no phase holds
		if (val[t, "at_resumed_ns"] && val[t, "at_state_ns"] && val[t, "engine"] == "lib")
			val[t, "keep_ns"] = val[t, "at_resumed_ns"] - val[t, "at_state_ns"] - \
				val[t, "state_set_ns"] - val[t, "resume_ns"]
		val[t, "stopcopy_kib"] = val[t, "stopcopy_bytes"] / 1024
		# the library'"'"'s share: less the time in the caller'"'"'s callbacks (the
		# workload'"'"'s detach, which a VMM does by stopping its vCPUs)
		if (val[t, "callback_ns"] < val[k])
			val[t, "lib_ratio"] = (val[k] - val[t, "callback_ns"]) / val[t, "rtt_median_ns"]
	}
	while ((getline line < load_log) > 0) loadl = loadl "  " line "\n"
	printf "\n=== nvme-hmlm benchmarks (TCG: ratios of figures measured in one run) ===\n"
	if (loadl != "") printf "host load (1/5/15 min) and wall seconds per boot:\n%s", loadl
	printf "\n%-8s %-8s %6s %10s %9s %7s %5s %6s %6s  %s\n", "ns size", "engine", "runs", "downtime", "admin RTT", "ratio", "bar", "-cb", "best", "ratio of each run (in run order)"
	nsz = split(order, so, " ")
	ne = split("lib noalloc stream peak bigq hot warmup raw cli", eo, " ")
	for (i = 1; i <= nsz; i++) for (j = 1; j <= ne; j++) {
		k = so[i] "." eo[j]
		if (!(k in runs)) continue
		each = ""
		best = 0
		for (x = 0; x < nrun[k]; x++)
			if (!((k, x, "dt_ratio") in val)) each = each "- "
			else {
				each = each sprintf(ok[k, x] ? "%.1f " : "(%.1f failed) ", val[k, x, "dt_ratio"])
				if (ok[k, x] && (!best || val[k, x, "dt_ratio"] < best)) best = val[k, x, "dt_ratio"]
			}
		r = med(k, "dt_ratio")
		bar = eo[j] == "raw" || eo[j] == "cli" ? "" : eo[j] == "warmup" ? (r <= 12 ? "<=12" : "MISS") : (r <= 8 ? "<=8" : "MISS")
		lr = med(k, "lib_ratio")
		printf "%-8s %-8s %3d/%-2d %7.2f ms %6.2f ms %7.1f %5s %6s %6.1f  %s\n", so[i], eo[j], runs[k] - bad[k], runs[k],
			med(k, "downtime_ns") / 1e6, med(k, "rtt_median_ns") / 1e6, r, bar, lr ? sprintf("%.1f", lr) : "", best, each
	}
	printf "(downtime and RTT: medians over the verified runs; ratio: the median of each run'"'"'s\n"
	printf " downtime over its own admin RTT; bar: at most 8, the first migration of a boot 12;\n"
	printf " -cb: the same less the time in the caller'"'"'s callbacks, the library'"'"'s share;\n"
	printf " best: the lowest run, what the chain costs when no step lost the host)\n"

	if (nsz > 1) {
		printf "\nratio of the medians, %s over %s (flat: 1; bar: at most 1.25):\n", so[nsz], so[1]
		for (j = 1; j <= ne; j++) {
			f = so[1] "." eo[j]; l = so[nsz] "." eo[j]
			if (!med(f, "dt_ratio") || !med(l, "dt_ratio")) continue
			q = med(l, "dt_ratio") / med(f, "dt_ratio")
			printf "  %-8s %5.2f  %s\n", eo[j], q, eo[j] == "raw" || eo[j] == "cli" ? "(baseline: a whole copy)" : q <= 1.25 ? "" : "MISS"
		}
	}

	printf "\nwhere the downtime goes, medians in ms (hmlm_migrate_report; keep: the\n"
	printf "KEEP Suspend and the gaps between the state read and the Resume, from\n"
	printf "the callbacks; stopcopy holds the Track Receive and the Get State its\n"
	printf "I/O overlaps when it fits one batch):\n"
	printf "%-8s %-8s %6s %6s %6s %6s %8s %6s %6s %6s %6s %6s %7s\n", "ns size", "engine", "susp", "callbk", "drain", "memdr", "stopcopy", "KiB", "get", "set", "keep", "resume", "total"
	nph = split("suspend_ns callback_ns log_drain_ns mem_drain_ns stopcopy_ns stopcopy_kib state_get_ns state_set_ns keep_ns resume_ns downtime_ns", ph, " ")
	for (i = 1; i <= nsz; i++) for (j = 1; j <= ne; j++) {
		k = so[i] "." eo[j]
		if (!(k in runs) || eo[j] == "raw" || eo[j] == "cli" || eo[j] == "stream") continue
		printf "%-8s %-8s", so[i], eo[j]
		for (x = 1; x <= nph; x++)
			if (ph[x] == "stopcopy_kib")
				printf " %6.0f", med(k, ph[x])
			else
				printf " %*.2f", ph[x] == "stopcopy_ns" ? 8 : ph[x] == "downtime_ns" ? 7 : 6, med(k, ph[x]) / 1e6
		printf "\n"
	}
	printf "\nthe same from the callbacks, medians in ms from the Suspend issued: when the\n"
	printf "STOPCOPY, STATE (state read) and RESUMED callbacks came, and the spans between:\n"
	printf "%-8s %-8s %9s %9s %9s %11s %11s\n", "ns size", "engine", "stopcopy", "state", "resumed", "stop..state", "state..res"
	for (i = 1; i <= nsz; i++) for (j = 1; j <= ne; j++) {
		k = so[i] "." eo[j]
		if (!(k in runs) || eo[j] == "raw" || eo[j] == "cli" || eo[j] == "stream") continue
		for (x = 0; x < nrun[k]; x++) if (val[k, x, "at_state_ns"]) {
			val[k, x, "span1_ns"] = val[k, x, "at_state_ns"] - val[k, x, "at_stopcopy_ns"]
			val[k, x, "span2_ns"] = val[k, x, "at_resumed_ns"] - val[k, x, "at_state_ns"]
		}
		printf "%-8s %-8s %9.2f %9.2f %9.2f %11.2f %11.2f\n", so[i], eo[j], med(k, "at_stopcopy_ns") / 1e6,
			med(k, "at_state_ns") / 1e6, med(k, "at_resumed_ns") / 1e6, med(k, "span1_ns") / 1e6, med(k, "span2_ns") / 1e6
	}
	for (i = 1; i <= nsz; i++) {
		k = so[i] ".stream"
		if (!(k in runs)) continue
		printf "%s stream: %.0f KiB in the stop-and-copy after %.0f rounds; source: Suspend %.2f, END written at %.2f;\n", so[i],
			med(k, "stopcopy_kib"), med(k, "rounds"), med(k, "suspend_ns") / 1e6, med(k, "out_downtime_ns") / 1e6
		printf "   target: FINAL round read at %.2f,", med(k, "at_in_stopcopy_ns") / 1e6
		printf "   END verified and flushed at %.2f, Suspend + Set State + Resume %.2f, resumed at %.2f ms\n",
			med(k, "at_in_state_ns") / 1e6, med(k, "state_set_ns") / 1e6, med(k, "at_in_resumed_ns") / 1e6
	}

	for (i = 1; i <= nsz; i++) {
		s = so[i]
		lib = s ".lib"; cli = s ".cli"
		if (med(cli, "downtime_ns") && med(lib, "downtime_ns"))
			printf "\n%s: stock tools (nvme-cli + dd) downtime / libhmlm downtime = %.1f\n", s, med(cli, "downtime_ns") / med(lib, "downtime_ns")
		if (med(lib, "bytes_copied")) {
			al = med(lib, "allocated_bytes"); rw = med(lib, "workload_rewritten_bytes")
			cp = med(lib, "bytes_copied"); ns = med(lib, "ns_bytes")
			if (al + rw) printf "%s: bytes read from the source / (allocated + rewritten during pre-copy) = %.2f  (%d / (%d + %d))\n", s, cp / (al + rw), cp, al, rw
			if (ns) printf "%s: bytes read from the source / namespace capacity = %.3f\n", s, cp / ns
			na = s ".noalloc"
			if (med(na, "bytes_copied") && ns) printf "%s: bytes read without allocation tracking (--no-alloc) / capacity = %.3f\n", s, med(na, "bytes_copied") / ns
		}
		for (j = 1; j <= ne; j++) {
			t = s "." eo[j]
			if (eo[j] != "lib" && eo[j] != "peak" && eo[j] != "bigq") continue
			lr = med(t, "log_records"); pc = med(t, "precopy_ns"); pk = med(t, "wl_peak_modify_per_s")
			qf = med(t, "queue_full_events"); m0 = med(t, "wl_modify_at_precopy"); m1 = med(t, "wl_modify_at_suspend")
			if (pc && pk && m1 > m0)
				printf "%s %s: migration queue: %.0f entries/s consumed, %.0f modifying cmds/s produced while logging (ratio %.2f), %.0f at the peak (ratio %.2f), %d queue-full events\n", s, eo[j], lr * 1e9 / pc, (m1 - m0) * 1e9 / pc, lr / (m1 - m0), pk, lr * 1e9 / pc / pk, qf
		}
	}
	while ((getline line < long_log) > 0)
		if (line ~ /# Totals:/) printf "\nlong randomized set: %s\n", line
}' "$out/kv.txt" | tee "$out/summary.txt"
[ -n "$report" ] || echo "bench wall time: $(( $(date +%s) - t_bench )) s" | tee -a "$out/summary.txt"
log "raw figures: $out/kv.txt, consoles: $out/console-*.log"
