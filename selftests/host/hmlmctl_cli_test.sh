#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# hmlmctl as a user meets it, on the host: the commands run against the
# scripted device of fakedev.h (hmlmctl_fake.so, LD_PRELOADed), so every
# command, its help, its argument checks, its errors and every --json
# output (through python3 -m json.tool) are tested without a guest.
# Prints TAP and a kselftest "# Totals:" line (scripts/host-tests.sh).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
ctl="$top/tools/hmlmctl/hmlmctl"
fake="$top/selftests/host/hmlmctl_fake.so"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
MMC=/dev/null	# a character device; the fake answers for it
SRC=2 DST=3	# fakedev.h's CNTLIDs

run() { LD_LIBRARY_PATH="$top/lib" LD_PRELOAD="$fake" "$ctl" "$@"; }
valid_json() { python3 -m json.tool "$1" > /dev/null 2> "$T/jerr" || { cat "$T/jerr"; false; }; }

n=0 pass=0 fail=0
check() {
	local desc=$1
	shift
	n=$((n + 1))
	if "$@" > "$T/log" 2>&1; then
		echo "ok $n $desc"
		pass=$((pass + 1))
	else
		sed 's/^/# /' "$T/log"
		echo "not ok $n $desc"
		fail=$((fail + 1))
	fi
}

# 1 MiB namespaces as files, the source with data in the fake's
# allocated ranges (LBAs 0..63, 512..639 of 512 bytes)
head -c 1048576 /dev/urandom > "$T/src"
head -c 1048576 /dev/zero > "$T/dst"

help_exits_0() {
	local c
	for c in info list cntlid formats suspend resume state track \
		 migrate migrate-out migrate-in migrate-data; do
		run "$c" --help > "$T/o" || { echo "$c --help failed"; return 1; }
		grep -q "^usage: hmlmctl $c" "$T/o" || { echo "$c: no usage"; return 1; }
	done
	run --help | grep -q 'COMMAND --help' && run help migrate | grep -q -- '--max-rounds'
}
cntlid_not_a_number() {
	run cntlid /dev/nvme0 abc 2> "$T/e"
	[ $? = 2 ] && grep -q "'abc'" "$T/e"
}
no_octal() {
	run suspend $MMC 010 2> "$T/e"
	[ $? = 2 ] && grep -q "CNTLID '010'" "$T/e" &&
	[ "$(run --json suspend $MMC 0x2 | python3 -c 'import json,sys; print(json.load(sys.stdin)["cntlid"])')" = 2 ]
}
max_rounds_range() {
	run migrate --max-rounds 99 $MMC $SRC $MMC $DST 2> "$T/e"
	[ $? = 2 ] && grep -q -- "--max-rounds '99': out of range 1..16" "$T/e" &&
	run migrate --max-rounds 0 $MMC $SRC $MMC $DST 2> /dev/null
	[ $? = 2 ]
}
migrate_in_ns_form() {
	run migrate-in --ns 1:/some/path $MMC $DST < /dev/null 2> "$T/e"
	[ $? = 2 ] && grep -q "its disk goes after '='" "$T/e" &&
	{ run migrate-out --ns 1=2 $MMC $SRC > /dev/null 2> "$T/e"; [ $? = 2 ]; } &&
	grep -q 'no target side' "$T/e"
}
migrate_data_options() {
	# rounds run until the stop, nothing is resumed; the stop fd is its own
	run migrate-data --max-rounds 3 $MMC $SRC $MMC 2> "$T/e"
	[ $? = 2 ] && grep -q 'do not apply' "$T/e" &&
	{ run migrate-data --no-resume $MMC $SRC $MMC 2> /dev/null; [ $? = 2 ]; } &&
	{ run migrate --stopped-fd 3 $MMC $SRC $MMC $DST 2> "$T/e"; [ $? = 2 ]; } &&
	grep -q 'migrate-data only' "$T/e" &&
	{ run migrate-data $MMC $SRC 2> /dev/null; [ $? = 2 ]; }
}
options_anywhere() {
	run info $MMC --json > "$T/o" && valid_json "$T/o" &&
	run suspend $MMC $SRC --no-keep --json > "$T/o" && valid_json "$T/o"
}
nvme_status_decoded() {
	# a resume of a running controller: Controller Not Suspended
	run resume $MMC $SRC 2> "$T/e"
	[ $? = 1 ] && grep -q 'Migration Send (Resume): NVMe status 0x13a: Controller Not Suspended' "$T/e"
}
missing_module_named() {
	LD_LIBRARY_PATH="$top/lib" "$ctl" list $MMC 2> "$T/e"
	[ $? = 1 ] && grep -q '/dev/nvme-hmlm' "$T/e" && ! grep -q '^hmlmctl: /dev/null' "$T/e"
}
not_a_char_device() {
	run info "$T/src" 2> "$T/e"
	[ $? = 1 ] && grep -q "$T/src (an NVMe controller is a character device" "$T/e"
}
json_everywhere() {
	run --json info $MMC > "$T/1" && valid_json "$T/1" &&
	run --json formats $MMC > "$T/2" && valid_json "$T/2" &&
	run --json list $MMC > "$T/3" && valid_json "$T/3" &&
	run --json suspend $MMC $SRC > "$T/4" && valid_json "$T/4" &&
	run --json track --timeout 100 $MMC $SRC > "$T/5" && valid_json "$T/5" &&
	{ run --json resume $MMC $SRC > "$T/6"; valid_json "$T/6"; } &&
	grep -q '"nvme_status_text":"Controller Not Suspended"' "$T/6" &&
	{ run --json info /dev/nvme-nonexistent > "$T/7"; valid_json "$T/7"; } &&
	{ run --json cntlid $MMC 1 > "$T/8"; valid_json "$T/8"; } &&
	run --json migrate --ns 1:"$T/src"=1:"$T/dst" $MMC $SRC $MMC $DST > "$T/9" &&
	valid_json "$T/9" && grep -q '"result":0' "$T/9" &&
	run --json migrate-out --ns 1:"$T/src" $MMC $SRC > "$T/stream" 2> "$T/10" &&
	valid_json "$T/10" &&
	run --json migrate-in --ns 1=1:"$T/dst" $MMC $DST < "$T/stream" > "$T/11" &&
	valid_json "$T/11" &&
	{ run --json migrate-in --ns 1=1:"$T/dst" $MMC $DST < /dev/null > "$T/12"; valid_json "$T/12"; }
}
json_escapes_strings() {
	# a device name that needs escaping in JSON
	run --json info "$T/a\"b" > "$T/o"
	valid_json "$T/o" && grep -q 'a\\"b' "$T/o"
}
pipe_migrates_data() {
	head -c 1048576 /dev/zero > "$T/dst"
	run migrate-out --ns 1:"$T/src" $MMC $SRC 2> "$T/e1" |
		run migrate-in --ns 1=1:"$T/dst" $MMC $DST 2> "$T/e2" || { cat "$T/e1" "$T/e2"; return 1; }
	cmp -n 32768 "$T/src" "$T/dst" && cmp -i 262144 -n 65536 "$T/src" "$T/dst"
}
migrate_in_reports_downtime() {
	run migrate-out --ns 1:"$T/src" $MMC $SRC > "$T/stream" 2> /dev/null &&
	run --json migrate-in --ns 1=1:"$T/dst" $MMC $DST < "$T/stream" > "$T/o" &&
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(not (r["downtime_ns"] > 0 and r["result"] == 0))' "$T/o"
}
migrate_in_progress_moves() {
	run migrate-out --ns 1:"$T/src" $MMC $SRC > "$T/stream" 2> /dev/null &&
	run migrate-in --progress --ns 1=1:"$T/dst" $MMC $DST < "$T/stream" 2> "$T/e" || return 1
	# the bar is drawn from what the stream announces: not 100% throughout
	tr '\r' '\n' < "$T/e" | grep -q ' [0-9]\{1,2\}% ' && grep -q '100%' "$T/e"
}
target_formats_refused_before_suspend() {
	run migrate-out --target-formats nvme:5 --ns 1:"$T/src" $MMC $SRC > "$T/stream" 2> "$T/e"
	[ $? = 1 ] && grep -q "the target takes none of the source's controller state formats" "$T/e" &&
	[ ! -s "$T/stream" ] &&
	run migrate-out --target-formats "$(run formats $MMC)" --ns 1:"$T/src" $MMC $SRC > "$T/stream" 2> /dev/null
}
target_refuses_announced_format() {
	run migrate-out --ns 1:"$T/src" $MMC $SRC > "$T/stream" 2> /dev/null || return 1
	head -c 1048576 /dev/zero > "$T/dst"
	HMLM_FAKE_DST_VERSIONS=5 run migrate-in --ns 1=1:"$T/dst" $MMC $DST < "$T/stream" 2> "$T/e"
	[ $? = 1 ] && grep -q "state format is not one this controller lists" "$T/e" &&
	cmp -s "$T/dst" <(head -c 1048576 /dev/zero)
}
stream_errors_named() {
	printf 'not a stream at all, no' > "$T/junk"
	run migrate-in --ns 1=1:"$T/dst" $MMC $DST < "$T/junk" 2> "$T/e"
	[ $? = 1 ] && grep -q 'not a migration stream' "$T/e" &&
	run migrate-out --ns 1:"$T/src" $MMC $SRC 2> /dev/null | head -c 5000 > "$T/short"
	run migrate-in --ns 1=1:"$T/dst" $MMC $DST < "$T/short" 2> "$T/e"
	[ $? = 1 ] && grep -q 'ended early' "$T/e"
}
unmapped_namespace_named() {
	run migrate-out --ns 1:"$T/src" $MMC $SRC > "$T/stream" 2> /dev/null || return 1
	run migrate-in --ns 2=1:"$T/dst" $MMC $DST < "$T/stream" 2> "$T/e"
	[ $? = 1 ] && grep -q "namespaces do not match --ns" "$T/e" && ! grep -q 'No such file' "$T/e"
}
stalled_source_times_out() {
	local t0 t1 w rc
	run migrate-out --ns 1:"$T/src" $MMC $SRC > "$T/stream" 2> /dev/null || return 1
	rm -f "$T/fifo" && mkfifo "$T/fifo" || return 1
	# the source sends 5000 bytes, then nothing while it holds the channel
	{ head -c 5000 "$T/stream"; sleep 10; } > "$T/fifo" &
	w=$!
	t0=$(date +%s%N)
	run --json migrate-in --recv-timeout-us 300000 --ns 1=1:"$T/dst" \
		$MMC $DST < "$T/fifo" > "$T/o"
	rc=$?
	t1=$(date +%s%N)
	pkill -P $w sleep; wait $w 2> /dev/null
	echo "rc $rc after $(( (t1 - t0) / 1000000 )) ms"; cat "$T/o"
	[ $rc = 1 ] && [ $(( (t1 - t0) / 1000000 )) -lt 5000 ] && valid_json "$T/o" &&
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(not (r["result"] == -110 and r["deadline"]))' "$T/o" &&
	{ head -c 5000 "$T/stream"; sleep 10; } > "$T/fifo" &
	w=$!
	run migrate-in --recv-timeout-us 300000 --ns 1=1:"$T/dst" $MMC $DST \
		< "$T/fifo" 2> "$T/e"
	rc=$?
	pkill -P $w sleep; wait $w 2> /dev/null
	[ $rc = 1 ] && grep -q 'the source stalled' "$T/e" &&
	{ run migrate --recv-timeout-us 5 $MMC $SRC $MMC $DST 2> "$T/e"; [ $? = 2 ]; } &&
	grep -q -- '--recv-timeout-us: migrate-in only' "$T/e"
}
unknown_command() {
	run frobnicate 2> "$T/e"
	[ $? = 2 ] && grep -q "unknown command 'frobnicate'" "$T/e"
}

echo "TAP version 13"
echo "1..20"
check "every command's --help exits 0" help_exits_0
check "cntlid DEV abc exits 2 naming the argument" cntlid_not_a_number
check "010 is refused, 0x2 is 2 (never octal)" no_octal
check "--max-rounds out of 1..16 is refused" max_rounds_range
check "migrate-in --ns SRC:BDEV and migrate-out --ns A=B are refused" migrate_in_ns_form
check "migrate-data refuses what does not apply to it" migrate_data_options
check "options after the arguments (--json too)" options_anywhere
check "an NVMe status is decoded and names the command" nvme_status_decoded
check "a missing module names /dev/nvme-hmlm, not DEV" missing_module_named
check "a DEV that is no character device is named" not_a_char_device
check "every --json output passes python3 -m json.tool" json_everywhere
check "JSON strings are escaped" json_escapes_strings
check "migrate-out | migrate-in moves the data" pipe_migrates_data
check "migrate-in reports the downtime it saw" migrate_in_reports_downtime
check "migrate-in --progress is a true progress" migrate_in_progress_moves
check "--target-formats: refused before anything is written" target_formats_refused_before_suspend
check "migrate-in refuses an announced format it cannot take" target_refuses_announced_format
check "stream errors say what is wrong with the stream" stream_errors_named
check "a namespace map mismatch is named, not ENOENT" unmapped_namespace_named
check "migrate-in --recv-timeout-us gives up on a stalled source" stalled_source_times_out
check "an unknown command is a usage error" unknown_command
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ $fail = 0 ]
