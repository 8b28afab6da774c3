# SPDX-License-Identifier: GPL-2.0
# Helpers of the nested bench's L1 scenario scripts (sourced; busybox sh).
# The L1 is the bench guest (scripts/guest/setup.sh ran: VFs online and
# unbound, /hmlm/bench.env) with an emulated IOMMU, QEMU 10 in /nested.

NESTED=/nested
WORK=/tmp/nested
mkdir -p $WORK
T_PASS=0
T_FAIL=0
T_SKIP=0
T_N=0

now() { cut -d' ' -f1 /proc/uptime; }
# Whole seconds of uptime, for deadlines.
now_s() { cut -d. -f1 /proc/uptime; }
# Seconds between two now() values, two decimals.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
note() { echo "# $*"; }

ok() {
	T_N=$((T_N + 1)); T_PASS=$((T_PASS + 1))
	echo "ok $T_N $*"
}
not_ok() {
	T_N=$((T_N + 1)); T_FAIL=$((T_FAIL + 1))
	echo "not ok $T_N $*"
}
skip() {
	T_N=$((T_N + 1)); T_SKIP=$((T_SKIP + 1))
	echo "ok $T_N # SKIP $*"
}
# The line the host runner (scripts/nested.sh) counts.
summary() {
	echo "NESTED-SUMMARY pass=$T_PASS fail=$T_FAIL skip=$T_SKIP"
	[ $T_FAIL = 0 ] && [ $T_PASS -gt 0 ]
}

qemu10() {
	LD_LIBRARY_PATH=$NESTED/lib $NESTED/bin/qemu-system-x86_64 "$@"
}

# qmp NAME JSON: one QMP command to the L2 QEMU NAME (its monitor is a pair
# of FIFOs, $WORK/NAME.qmp.{in,out}: the debug kernel has no AF_UNIX).
qmp() {
	local pid
	pid=$(cat "$WORK/$1.pid" 2>/dev/null || cat "$WORK/$1.shpid" 2>/dev/null)
	QMP_PID=$pid $NESTED/bin/qmp "$WORK/$1.qmp" "$2"
}

load_vfio() {
	local m
	[ -e /sys/module/vfio_pci ] && return 0
	while read -r m; do
		insmod "$NESTED/modules/$m" || return 1
	done < $NESTED/modules/load-order
}

# bind_vf BDF DRIVER: binds the VF to DRIVER through driver_override.
bind_vf() {
	local bdf=$1 drv=$2 dev=/sys/bus/pci/devices/$1
	if [ -e "$dev/driver" ]; then
		echo "$bdf" > "$dev/driver/unbind" || return 1
	fi
	echo "$drv" > "$dev/driver_override"
	echo "$bdf" > /sys/bus/pci/drivers_probe 2>/dev/null
	[ "$(basename "$(readlink "$dev/driver")")" = "$drv" ]
}

unbind_vf() {
	local dev=/sys/bus/pci/devices/$1
	[ -e "$dev/driver" ] && echo "$1" > "$dev/driver/unbind"
	echo > "$dev/driver_override"
}

# start_l2 NAME BDF [QEMU ARGS...]: the L2 VM with BDF assigned, serial in
# $WORK/NAME.serial, QMP on the FIFOs $WORK/NAME.qmp.{in,out}, its pid in
# $WORK/NAME.pid. The serial goes through the FIFO $WORK/NAME.ser to serts,
# which writes each line to NAME.serial stamped with L1's wall clock in ms
# ("<ms> <line>", see serts.c; the greps below are not anchored at ^).
# L2_APPEND: the L2's command line (tick=N).
start_l2() {
	local name=$1 bdf=$2
	shift 2
	rm -f "$WORK/$name".*
	mkfifo "$WORK/$name.qmp.in" "$WORK/$name.qmp.out" "$WORK/$name.ser"
	$NESTED/bin/serts "$WORK/$name.ser" "$WORK/$name.serial" 2> "$WORK/$name.serts.log" &
	echo $! > "$WORK/$name.serts"
	qemu10 -machine q35 -accel tcg,tb-size=64 -m 32 -nodefaults -no-user-config \
		-display none -L $NESTED/share -kernel $NESTED/l2.elf \
		${L2_APPEND:+-append "$L2_APPEND"} \
		-device "vfio-pci,host=$bdf,id=vf0${VF_PROPS:+,$VF_PROPS}" \
		-serial "file:$WORK/$name.ser" \
		-qmp "pipe:$WORK/$name.qmp" \
		-pidfile "$WORK/$name.pid" ${NESTED_TRACE:+-trace "$NESTED_TRACE"} \
		"$@" > "$WORK/$name.log" 2>&1 &
	echo $! > "$WORK/$name.shpid"
}

# The serial stamper of NAME: it ends at the FIFO's end of file, when QEMU
# is gone; killed if QEMU never opened the FIFO.
stop_serts() {
	local pid i
	[ -f "$WORK/$1.serts" ] || return 0
	pid=$(cat "$WORK/$1.serts")
	for i in $(seq 1 10); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$WORK/$1.serts"
}

stop_l2() {
	local name=$1 pid i
	if [ -f "$WORK/$name.shpid" ]; then
		pid=$(cat "$WORK/$name.shpid")
		qmp "$name" '{"execute":"quit"}' > /dev/null 2>&1
		for i in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		rm -f "$WORK/$name.shpid" "$WORK/$name.pid"
	fi
	stop_serts "$name"
}

# L1's wall clock (CLOCK_REALTIME) in ms, the clock of the serial stamps.
now_ms() { $NESTED/bin/serts --now; }

# ticks NAME: "<ms> <n>" of every complete L2-T progress line of NAME.
ticks() {
	sed -n 's/^\([0-9][0-9]*\) L2-T \([0-9][0-9]*\)$/\1 \2/p' "$WORK/$1.serial" 2>/dev/null
}

# trace_ms NAME PATTERN: the time (ms, L1 wall clock) of the last line of
# NAME's QEMU log matching PATTERN, for a QEMU started with
# -msg timestamp=on (trace lines "pid@sec.usec:event ...").
trace_ms() {
	grep "$2" "$WORK/$1.log" 2>/dev/null | tail -n 1 |
		sed -n 's/^[0-9]*@\([0-9]*\)\.\([0-9][0-9][0-9]\).*/\1\2/p'
}

# Live migration between two QEMUs of L1 through a FIFO (QEMU's exec:
# transport; no sockets, see qmp above): the target gets
# -incoming "$(mig_incoming)", the source migrates to $(mig_uri).
mig_fifo() {
	rm -f "$WORK/mig.fifo"
	mkfifo "$WORK/mig.fifo"
}
mig_incoming() { echo "exec:cat $WORK/mig.fifo"; }
mig_uri() { echo "exec:cat > $WORK/mig.fifo"; }

# wait_serial NAME REGEX TIMEOUT: waits for a line matching REGEX on the
# L2's serial; fails at once on L2-FAIL or when QEMU exited.
wait_serial() {
	local name=$1 re=$2 t=$3 pid end
	pid=$(cat "$WORK/$name.shpid")
	end=$(($(now_s) + t))
	while [ "$(now_s)" -lt $end ]; do
		# The L2 ends its lines with CR LF.
		tr -d '\r' 2>/dev/null < "$WORK/$name.serial" | grep -qE "$re" && return 0
		if grep -q 'L2-FAIL' "$WORK/$name.serial" 2>/dev/null; then
			grep 'L2-FAIL' "$WORK/$name.serial" | sed 's/^/#   /'
			return 1
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			note "$name: QEMU exited:"
			sed 's/^/#   /' "$WORK/$name.log"
			return 1
		fi
		sleep 0.5
	done
	note "$name: no '$re' on the serial within ${t}s; last lines:"
	tail -n 3 "$WORK/$name.serial" 2>/dev/null | sed 's/^/#   /'
	return 1
}

# The last generation the L2 reported as verified.
last_gen() {
	grep -o 'L2-PASS gen=[0-9]*' "$WORK/$1.serial" 2>/dev/null | tail -n1 | sed 's/.*=//'
}

. /hmlm/bench.env
set -- $HMLM_SRC_VFS
SRC_VF1=$1
SRC_VF2=$2
set -- $HMLM_DST_VFS
DST_VF1=$1
DST_VF2=$2

VFIO_DRV=nvme_hmlm_vfio_pci
# The vfio-pci properties of a migratable VF. x-msix-relocation: without
# the device's DMA logging QEMU 10 asks the type1 container for a dirty
# bitmap of every RAM section, the VF's BAR0 mmap included. The kernel lets
# the MSI-X table be mmapped (MSIX_MAPPABLE), so QEMU maps all of BAR0
# (16 KiB) and lays the 16-byte table at 0x2000 over it as MMIO: the mmap
# after the table is a section of 0x1ff0 bytes, the container refuses a
# bitmap of that size (EINVAL) and the migration fails in ram_save_setup.
# With the table moved to a BAR of its own (bar2) every section of BAR0 is
# page-sized; x-no-mmap=on avoids it too, at the price of trapping every
# doorbell. Testing.rst, "The nested bench", has the runs that showed it.
MIG_PROPS=enable-migration=on,x-msix-relocation=bar2

# Loads vfio, nvme-hmlm and nvme-hmlm-vfio-pci.
load_variant() {
	load_vfio || return 1
	[ -e /sys/module/nvme_hmlm ] || insmod "$HMLM_MODULE" || return 1
	[ -e /sys/module/$VFIO_DRV ] || insmod $NESTED/modules/nvme-hmlm-vfio-pci.ko
}

# A field of a one-line QMP reply: json_num REPLY KEY (first match).
json_num() {
	echo "$1" | grep -o "\"$2\": *[0-9]*" | head -n1 | sed 's/.*: *//'
}
json_str() {
	echo "$1" | grep -o "\"$2\": *\"[^\"]*\"" | head -n1 | sed 's/.*: *"//; s/"$//'
}

# wait_migration NAME TIMEOUT: polls query-migrate until it completed or
# failed; MIG_REPLY holds the last reply. Returns 0 for "completed".
wait_migration() {
	local name=$1 t=$2 st end next
	end=$(($(now_s) + t))
	next=$(($(now_s) + 20))
	while [ "$(now_s)" -lt $end ]; do
		MIG_REPLY=$(qmp "$name" '{"execute":"query-migrate"}')
		st=$(json_str "$MIG_REPLY" status)
		case "$st" in
		completed) return 0 ;;
		failed|cancelled) return 1 ;;
		esac
		if [ "$(now_s)" -ge $next ]; then
			note "$name: migration $st, RAM remaining $(json_num "$MIG_REPLY" remaining) bytes, $(json_num "$MIG_REPLY" dirty-sync-count) syncs"
			next=$(($(now_s) + 20))
		fi
		sleep 0.5
	done
	return 1
}

# wait_status NAME STATUS TIMEOUT: query-migrate until STATUS.
wait_status() {
	local end st
	end=$(($(now_s) + $3))
	while [ "$(now_s)" -lt $end ]; do
		MIG_REPLY=$(qmp "$1" '{"execute":"query-migrate"}')
		st=$(json_str "$MIG_REPLY" status)
		[ "$st" = "$2" ] && return 0
		case "$st" in failed|completed) return 1 ;; esac
		# pre-switchover holds the VM stopped: a slow poll adds to it
		sleep 0.1
	done
	return 1
}

# Without the device's DMA logging QEMU counts all guest RAM dirty at every
# sync (the type1 container, no IOMMU dirty tracking): the migration
# converges only once all of the L2's 32 MiB fits in the downtime limit,
# which at the pipe bandwidth QEMU measures here is 10-20 s (with the
# default 300 ms it ran 120 s, 168 syncs, 107 MB, without converging).
mig_params() {
	qmp "$1" '{"execute":"migrate-set-parameters","arguments":{"downtime-limit":20000}}' > /dev/null
}

# setup_pair SRC DST: the variant driver loaded, both VFs bound to it.
# Prints the ok/not ok line; returns non-zero (after summary) on failure.
setup_pair() {
	if load_variant && bind_vf "$1" $VFIO_DRV && bind_vf "$2" $VFIO_DRV; then
		ok "nvme-hmlm and nvme-hmlm-vfio-pci load, $1 and $2 bound to $VFIO_DRV"
		return 0
	fi
	not_ok "nvme-hmlm and nvme-hmlm-vfio-pci load, $1 and $2 bound to $VFIO_DRV"
	dmesg | tail -n 10 | sed 's/^/#   /'
	summary
	return 1
}
