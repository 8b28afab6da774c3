#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: end-to-end migration benchmarks on the bench (TCG, so every
# figure is a ratio of two things measured in the same run). See
# Documentation/benchmarks.rst for what each figure means.
#
#   scripts/bench.sh [--quick] [--sizes "64M 256M 1G"] [--runs N] [--no-long] [--no-build]
#   scripts/bench.sh --report DIR [--sizes ...]   # the table again from DIR's figures
#
# Boots the guest once per namespace size (selftests/hmlm_e2e_bench runs
# the migrations there and prints key/value lines), then once more for the
# long randomized migration set (selftests/hmlm_e2e_long_test). Prints the
# table and keeps the raw figures in $HMLM_CACHE/bench/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$HMLM_TOP"

sizes="64M 256M 1G"
runs=7
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

first=1
for size in $([ -n "$report" ] || echo "$sizes"); do
	# The full set of figures on the first size; the downtime alone on the others.
	cat > "$guest" <<GUEST
#!/bin/sh
cd /hmlm/selftests
B=./hmlm_e2e_bench
common="--pattern sparse --region 32 --qdepth 48 --queues 3 --warm 1500 --after 300 --rtt 21"
# a VM-like load the pre-copy can converge on, and the same load unthrottled
vm="\$common --iops 3000"
# the boot's first migration pays one-time costs (cold paths, first AIO
# context): it runs as a warm-up, reported on its own, not in the medians
\$B --engine lib \$vm --repeat 1 --seed 10 --tag warmup
\$B --engine lib \$vm --repeat $runs --alternate --seed 11 --tag lib
if [ $first = 1 ]; then
	\$B --engine cli \$vm --repeat $runs --alternate --seed 11 --tag cli
	\$B --engine raw \$vm --repeat 1 --seed 11 --tag raw
	\$B --engine lib \$vm --repeat 1 --no-alloc --seed 11 --tag noalloc
	\$B --engine stream \$vm --repeat 1 --seed 11 --tag stream
	\$B --engine lib \$common --repeat 1 --seed 11 --tag peak
	\$B --engine lib \$common --repeat 1 --log-entries 65536 --seed 11 --tag bigq
	\$B --engine lib --pattern hotspot --region 32 --iops 3000 --repeat 1 --seed 12 --tag hot
else
	\$B --engine cli \$vm --repeat 1 --seed 11 --tag cli
fi
exit 0
GUEST
	log "bench: namespace size $size"
	scripts/vm.sh --script "$guest" --ns-size "$size" --timeout 3000 \
		--log "$out/console-$size.log" | tr -d '\r' | grep -aE '^[a-z]+\.[0-9]+\.|^[a-z]+\.(runs|failed) ' \
		| sed "s/^/$size./" > "$out/kv-$size.txt" || true
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
awk -v long_log="$out/console-long.log" -v order="$sizes" '
function med(tag, key,    n, i, j, t, v, k, p) {
	n = 0
	for (k in val) {
		split(k, p, SUBSEP)
		if (p[1] == tag && p[3] == key && ok[p[1], p[2]]) v[++n] = val[k]
	}
	if (!n) return 0
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
	return v[int((n + 1) / 2)]
}
{
	# SIZE.tag.i.key value
	split($1, a, ".")
	tag = a[1] "." a[2]; key = a[4]
	val[tag, a[3], key] = $2
	if (key == "rc" && $2 == 0) ok[tag, a[3]] = 1
	if (key == "rc") runs[tag]++
	if (key == "rc" && $2 != 0) bad[tag]++
	sizes[a[1]] = 1
}
END {
	# the downtime of each run over the admin round trip of that run
	for (k in val) {
		split(k, p, SUBSEP)
		if (p[3] == "downtime_ns" && val[p[1], p[2], "rtt_median_ns"])
			ratio[p[1], p[2]] = val[k] / val[p[1], p[2], "rtt_median_ns"]
	}
	for (k in ratio) {
		split(k, p, SUBSEP)
		val[p[1], p[2], "dt_ratio"] = ratio[k]
	}
	printf "\n=== nvme-hmlm benchmarks (TCG: ratios of figures measured in one run) ===\n\n"
	printf "%-8s %-8s %6s %12s %12s %10s  %s\n", "ns size", "engine", "runs", "downtime ms", "admin RTT ms", "ratio", "ratio of each run"
	nsz = split(order, so, " ")
	ne = split("lib warmup stream hot noalloc peak bigq raw cli", eo, " ")
	for (i = 1; i <= nsz; i++) for (j = 1; j <= ne; j++) {
		k = so[i] "." eo[j]
		if (!(k in runs)) continue
		d = med(k, "downtime_ns"); r = med(k, "rtt_median_ns")
		each = ""
		n = 0
		for (x in ratio) {
			split(x, p, SUBSEP)
			if (p[1] == k && ok[p[1], p[2]]) e[++n] = ratio[x]
		}
		for (a1 = 1; a1 <= n; a1++) for (a2 = a1 + 1; a2 <= n; a2++) if (e[a2] < e[a1]) { t = e[a1]; e[a1] = e[a2]; e[a2] = t }
		for (a1 = 1; a1 <= n; a1++) each = each sprintf("%.1f ", e[a1])
		printf "%-8s %-8s %3d/%-2d %12.1f %12.2f %10.1f  %s\n", so[i], eo[j], runs[k] - bad[k], runs[k], d / 1e6, r / 1e6, med(k, "dt_ratio"), each
	}
	printf "(downtime and RTT: medians over the runs; ratio: the median of each run'"'"'s downtime over its own RTT)\n"

	for (i = 1; i <= nsz; i++) {
		s = so[i]
		lib = s ".lib"; cli = s ".cli"
		if ((cli, "0", "rc") in val && med(lib, "downtime_ns"))
			printf "\n%s: stock tools (nvme-cli + dd) downtime / libhmlm downtime = %.1f\n", s, med(cli, "downtime_ns") / med(lib, "downtime_ns")
		if ((lib, "0", "rc") in val) {
			al = med(lib, "allocated_bytes"); rw = med(lib, "workload_rewritten_bytes")
			cp = med(lib, "bytes_copied"); ns = med(lib, "ns_bytes")
			if (al + rw) printf "%s: bytes read from the source / (allocated + rewritten during pre-copy) = %.2f  (%d / (%d + %d))\n", s, cp / (al + rw), cp, al, rw
			if (ns) printf "%s: bytes read from the source / namespace capacity = %.3f\n", s, cp / ns
			na = s ".noalloc"
			if ((na, "0", "rc") in val) printf "%s: bytes read without allocation tracking (--no-alloc) / capacity = %.3f\n", s, med(na, "bytes_copied") / ns
		}
		for (t in runs) {
			split(t, q, ".")
			if (q[1] != s || (q[2] != "lib" && q[2] != "peak" && q[2] != "bigq")) continue
			lr = med(t, "log_records"); pc = med(t, "precopy_ns"); pk = med(t, "wl_peak_modify_per_s")
			qf = med(t, "queue_full_events"); m0 = med(t, "wl_modify_at_precopy"); m1 = med(t, "wl_modify_at_suspend")
			if (pc && pk && m1 > m0)
				printf "%s %s: migration queue: %.0f entries/s consumed, %.0f modifying cmds/s produced while logging (ratio %.2f), %.0f at the peak (ratio %.2f), %d queue-full events\n", s, q[2], lr * 1e9 / pc, (m1 - m0) * 1e9 / pc, lr / (m1 - m0), pk, lr * 1e9 / pc / pk, qf
		}
	}
	first = so[1] ".lib"; last = so[nsz] ".lib"
	if (nsz > 1 && med(first, "downtime_ns") && med(first, "rtt_median_ns") && med(last, "rtt_median_ns"))
		printf "\nlibhmlm downtime ratio at %s over the ratio at %s: %.2f (flat: 1)\n", so[nsz], so[1],
			med(last, "dt_ratio") / med(first, "dt_ratio")
	first = so[1] ".cli"; last = so[nsz] ".cli"
	if (nsz > 1 && med(first, "downtime_ns") && med(last, "downtime_ns") && med(first, "rtt_median_ns") && med(last, "rtt_median_ns"))
		printf "stock tools downtime ratio at %s over the ratio at %s: %.2f\n", so[nsz], so[1],
			med(last, "dt_ratio") / med(first, "dt_ratio")
	while ((getline line < long_log) > 0)
		if (line ~ /# Totals:/) printf "\nlong randomized set: %s\n", line
}' "$out/kv.txt" | tee "$out/summary.txt"
log "raw figures: $out/kv.txt, consoles: $out/console-*.log"
