#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# hmlmctl's session and migration commands against the module and the
# device model: suspend/resume, state save/load, track, migrate (same host),
# migrate-out | migrate-in through a pipe, and corrupt or truncated streams
# rejected before anything is written. VF1 of "src" moves to VF1 of "dst";
# namespace 1 of each subsystem carries the data.
. ./ktap.sh

lsmod | grep -q '^nvme_hmlm' || insmod "$HMLM_MODULE"
export PATH=/hmlm/bin:$PATH

first() { echo $1; }
S1=$(first $HMLM_SRC_CNTLIDS)
D1=$(first $HMLM_DST_CNTLIDS)
SRC=$HMLM_SRC_PF
DST=$HMLM_DST_PF
T=/tmp/libmig
mkdir -p $T

# The disk of namespace $2 of controller $1: with native multipath it is
# named nvme<subsystem>n<instance>; neither number need match the
# controller's or the NSID, so sysfs decides.
nsdev() {
	for e in /sys/class/nvme/$(basename $1)/nvme*n*; do
		[ "$(cat $e/nsid 2> /dev/null)" = "$2" ] || continue
		echo /dev/$(basename $e | sed 's/c[0-9]*n/n/')
		return
	done
	echo ${1}n$2
}
SNS=$(nsdev $SRC 1)
DNS=$(nsdev $DST 1)

# A function-level reset of both VF1s: a target must have no I/O queues
# when a state is set (a VM would bring a fresh VF); the source too, so
# every migration starts alike.
SVF=$(first $HMLM_SRC_VFS)
DVF=$(first $HMLM_DST_VFS)
reset_vfs() {
	hmlmctl resume $SRC $S1 > /dev/null 2>&1
	hmlmctl resume $DST $D1 > /dev/null 2>&1
	echo 1 > /sys/bus/pci/devices/$SVF/reset &&
	echo 1 > /sys/bus/pci/devices/$DVF/reset
}

sum() { echo 3 > /proc/sys/vm/drop_caches; md5sum < $1 | cut -d' ' -f1; }
same_ns() { [ "$(sum $SNS)" = "$(sum $DNS)" ]; }
# a pattern in three places of the source namespace, the target cleared
prefill() {
	reset_vfs || return 1
	dd if=/dev/urandom of=$T/pat bs=1M count=2 2>/dev/null &&
	dd if=$T/pat of=$SNS bs=1M seek=1 oflag=direct 2>/dev/null &&
	dd if=$T/pat of=$SNS bs=4k seek=9000 count=37 oflag=direct 2>/dev/null &&
	dd if=$T/pat of=$SNS bs=512 seek=120001 count=3 oflag=direct 2>/dev/null &&
	dd if=/dev/zero of=$DNS bs=1M count=8 oflag=direct 2>/dev/null
}
# after a migration the source stays suspended (KEEP): let it run again
src_runs() { hmlmctl resume $SRC $S1 > /dev/null 2>&1; true; }

suspend_resume() {
	hmlmctl suspend $SRC $S1 || return 1
	hmlmctl resume $SRC $S1 || return 1
	hmlmctl resume $SRC $S1 2> $T/e && return 1
	grep -q 'NVMe status 0x[0-9a-f]*3a' $T/e
}
suspend_json() {
	hmlmctl --json suspend $SRC $S1 > $T/o || return 1
	grep -q '"suspended":true' $T/o || return 1
	hmlmctl --json resume $SRC $S1 | grep -q '"resumed":true'
}
state_save_load() {
	reset_vfs || return 1
	hmlmctl suspend $SRC $S1 &&
	hmlmctl state save $SRC $S1 $T/state > $T/o &&
	hmlmctl resume $SRC $S1 &&
	grep -q 'consistent' $T/o &&
	hmlmctl suspend $DST $D1 &&
	hmlmctl state load $DST $D1 $T/state &&
	hmlmctl resume $DST $D1
}
state_load_garbage() {
	dd if=/dev/urandom of=$T/junk bs=1k count=2 2>/dev/null
	hmlmctl suspend $DST $D1 || return 1
	hmlmctl state load $DST $D1 $T/junk 2> $T/e && return 1
	hmlmctl resume $DST $D1
	grep -q 'read state file' $T/e
}
track_markers() {
	hmlmctl --json track --timeout 300 $SRC $S1 > $T/o || return 1
	grep -q '"marker":"first"' $T/o && grep -q '"marker":"stopped"' $T/o
}
track_extents() {
	hmlmctl track --extents 1 --timeout 300 $SRC $S1 > $T/o 2> $T/e || return 1
	grep -q '0 dirty extents, 0 bytes' $T/e && [ ! -s $T/o ]
}
migrate_prefilled() {
	prefill || return 1
	hmlmctl migrate $SRC $S1 $DST $D1 --ns 1 2> $T/e || { cat $T/e; return 1; }
	src_runs
	same_ns
}
migrate_json() {
	prefill || return 1
	hmlmctl --json migrate $SRC $S1 $DST $D1 > $T/o 2> /dev/null
	rc=$?
	src_runs
	[ $rc = 0 ] || { cat $T/o; return 1; }
	grep -q '"result":0,' $T/o && ! grep -q '"bytes_copied":0,' $T/o &&
	grep -q '"source_resumed":false' $T/o && same_ns
}
migrate_progress() {
	reset_vfs || return 1
	hmlmctl migrate --progress $SRC $S1 $DST $D1 > /dev/null 2> $T/e
	rc=$?
	src_runs
	[ $rc = 0 ] && grep -q 'done' $T/e
}
migrate_pipe() {
	prefill || return 1
	{ hmlmctl migrate-out $SRC $S1; echo $? > $T/rc_out; } |
		hmlmctl migrate-in $DST $D1 2> $T/e
	rc=$?
	src_runs
	[ $rc = 0 ] && [ "$(cat $T/rc_out)" = 0 ] || { cat $T/e; return 1; }
	same_ns
}
stream_out() {
	prefill || return 1
	hmlmctl migrate-out $SRC $S1 > $T/stream
	rc=$?
	src_runs
	[ $rc = 0 ] && [ -s $T/stream ]
}
corrupt_stream_rejected() {
	stream_out || return 1
	printf 'X' | dd of=$T/stream bs=1 seek=4096 conv=notrunc 2>/dev/null
	before=$(sum $DNS)
	hmlmctl migrate-in $DST $D1 < $T/stream 2> $T/e && return 1
	[ "$(sum $DNS)" = "$before" ] || { echo "target changed"; return 1; }
	cat $T/e
}
truncated_stream_rejected() {
	stream_out || return 1
	head -c 2000000 $T/stream > $T/short
	hmlmctl migrate-in $DST $D1 < $T/short 2> $T/e && return 1
	cat $T/e
}
unmapped_namespace_rejected() {
	stream_out || return 1
	before=$(sum $DNS)
	hmlmctl migrate-in --ns 2 $DST $D1 < $T/stream 2> $T/e && return 1
	[ "$(sum $DNS)" = "$before" ]
}
stream_then_in() {
	stream_out || return 1
	hmlmctl --json migrate-in $DST $D1 < $T/stream > $T/o || return 1
	grep -q '"result":0,' $T/o && same_ns
}
bad_cntlid() {
	hmlmctl suspend $SRC 999 2> $T/e
	[ $? = 1 ] && grep -q 'bind' $T/e
}
wrong_disk_refused() {
	# the target's disk given as the source's namespace
	hmlmctl migrate --ns 1:$DNS=1:$SNS $SRC $S1 $DST $D1 2> $T/e
	rc=$?
	src_runs
	[ $rc = 1 ] && grep -q 'cross-device\|Invalid cross' $T/e
}

example_migrates() {
	prefill || return 1
	./lib_example_migrate $SRC $S1 $SNS $DST $D1 $DNS > $T/o 2>&1
	rc=$?
	src_runs
	cat $T/o
	[ $rc = 0 ] && grep -q '^migrated' $T/o && same_ns
}

ktap_plan 17
ktap_check "suspend and resume a VF" suspend_resume
ktap_check "suspend/resume --json" suspend_json
ktap_check "state save, state load on the target" state_save_load
ktap_check "state load rejects a file that is no state" state_load_garbage
ktap_check "track prints the first and stopped markers" track_markers
ktap_check "track --extents of an idle VF: none" track_extents
ktap_check "migrate VF1 with a pre-filled namespace: target identical" migrate_prefilled
ktap_check "migrate --json reports the copy" migrate_json
ktap_check "migrate --progress draws on stderr" migrate_progress
ktap_check "migrate-out | migrate-in: target identical" migrate_pipe
ktap_check "migrate-in of a saved stream" stream_then_in
ktap_check "a corrupted stream is rejected, nothing written" corrupt_stream_rejected
ktap_check "a truncated stream is rejected" truncated_stream_rejected
ktap_check "a stream namespace without a mapping is rejected" unmapped_namespace_rejected
ktap_check "an unknown CNTLID is an error" bad_cntlid
ktap_check "a disk of the wrong subsystem is refused" wrong_disk_refused
ktap_check "lib/examples/migrate.c migrates" example_migrates
ktap_finish
