#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds the guest initramfs: busybox, the nvme modules of the guest kernel,
# nvme-cli with its shared libraries (cached per kernel version), plus the
# project's artifacts (module, libhmlm, hmlmctl, selftests; rebuilt each run).
#
# usage: mkinitramfs.sh OUTPUT [--script FILE] [--tests LIST]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$1; shift
user_script=""
tests_list="$HMLM_TOP/selftests/tests.list"
while [ $# -gt 0 ]; do
	case "$1" in
	--script) user_script=$2; shift 2 ;;
	--tests) tests_list=$2; shift 2 ;;
	*) die "mkinitramfs.sh: unknown argument $1" ;;
	esac
done
eval "$(kernel_env)"

# The base image depends only on the kernel and the host's busybox/nvme-cli.
base_key=$( { echo "$KPKGVER $KMODDIR"; sha256sum /bin/busybox /usr/sbin/nvme "$0"; } | sha256sum | cut -c1-12)
base="$HMLM_CACHE/initramfs/base-$base_key.cpio"
if [ ! -f "$base" ]; then
	log "building the initramfs base (busybox, nvme modules, nvme-cli)"
	stage=$(mktemp -d)
	trap 'rm -rf "$stage"' EXIT
	mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,proc,sys,dev,tmp,run,hmlm/modules}
	cp /bin/busybox "$stage/bin/busybox"

	# nvme and what it needs, in load order, decompressed so busybox insmod
	# needs no xz support.
	mod_order() {
		awk -F: -v want="$1" '
		{ dep[$1] = $2 }
		function visit(m,   n, i, d) {
			if (seen[m]++) return
			n = split(dep[m], d, " ")
			for (i = n; i >= 1; i--) visit(d[i])
			print m
		}
		END { visit(want) }' "$KMODDIR/modules.dep"
	}
	# load-order: loaded at boot; loop-order: nvmet and nvme-loop, loaded
	# by hmlm_fabrics_test for a loop-back fabrics controller.
	for list in load-order:kernel/drivers/nvme/host/nvme.ko.xz \
		    loop-order:kernel/drivers/nvme/target/nvme-loop.ko.xz; do
		: > "$stage/hmlm/modules/${list%%:*}"
		for m in $(mod_order "${list#*:}"); do
			b=$(basename "$m" .xz)
			[ -f "$stage/hmlm/modules/$b" ] ||
				xz -dc "$KMODDIR/$m" > "$stage/hmlm/modules/$b"
			echo "$b" >> "$stage/hmlm/modules/${list%%:*}"
		done
	done

	cp /usr/sbin/nvme "$stage/usr/sbin/nvme"
	for lib in $(ldd /usr/sbin/nvme /bin/busybox 2>/dev/null | awk '/=>/ {print $3} /ld-linux/ {print $1}' | sort -u); do
		[ -f "$lib" ] || continue
		mkdir -p "$stage$(dirname "$lib")"
		cp -L "$lib" "$stage$lib"
	done
	mkdir -p "$(dirname "$base")"
	(cd "$stage" && find . | sort | cpio -o -H newc --quiet) > "$base.tmp"
	mv "$base.tmp" "$base"
	rm -rf "$stage"
	trap - EXIT
fi

# The project's part, fresh every time.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/hmlm"/{driver,selftests,bin,lib}
install -m 0755 "$HMLM_TOP/scripts/guest/init" "$stage/init"
install -m 0755 "$HMLM_TOP/scripts/guest/setup.sh" "$stage/hmlm/setup.sh"
install -m 0755 "$HMLM_TOP/scripts/guest/run-tests.sh" "$stage/hmlm/run-tests.sh"
# HMLM_MODULE_KO: a module built elsewhere (against another kernel).
hmlm_ko=${HMLM_MODULE_KO:-$HMLM_TOP/driver/nvme-hmlm.ko}
[ -f "$hmlm_ko" ] && cp "$hmlm_ko" "$stage/hmlm/driver/nvme-hmlm.ko"
# The patched nvme-core series (driver/nvme-core) for the same kernel
# replaces the distro's modules of the same name in the base image; later
# cpio entries win.
ncore_env=$("$HMLM_TOP/scripts/build-nvme-core.sh" ${HMLM_KERNEL_ENV:+"$HMLM_KERNEL_ENV"})
NVME_CORE_SRC=$(sed -n 's/^NVME_CORE_SRC=//p' "$ncore_env")
mkdir -p "$stage/hmlm/modules"
for m in nvme-core nvme nvme-fabrics; do
	strip --strip-debug -o "$stage/hmlm/modules/$m.ko" "$NVME_CORE_SRC/$m.ko"
done
# The distribution's nvme-core, for the test that nvme-hmlm refuses it.
mkdir -p "$stage/hmlm/modules/stock"
for f in "$KMODDIR"/kernel/drivers/nvme/host/nvme-core.ko*; do
	case "$f" in
	*.xz) xz -dc "$f" > "$stage/hmlm/modules/stock/nvme-core.ko" ;;
	*) cp "$f" "$stage/hmlm/modules/stock/nvme-core.ko" ;;
	esac
done
[ -f "$tests_list" ] && cp "$tests_list" "$stage/hmlm/tests.list"
for f in "$HMLM_TOP"/selftests/*; do
	[ -f "$f" ] && [ -x "$f" ] && cp "$f" "$stage/hmlm/selftests/"
done
[ -d "$HMLM_TOP/selftests/guest" ] && cp -r "$HMLM_TOP/selftests/guest/." "$stage/hmlm/selftests/"
[ -x "$HMLM_TOP/tools/hmlmctl/hmlmctl" ] && cp "$HMLM_TOP/tools/hmlmctl/hmlmctl" "$stage/hmlm/bin/"
for so in "$HMLM_TOP"/lib/libhmlm.so*; do
	[ -e "$so" ] && cp -P "$so" "$stage/hmlm/lib/"
done
# The shared libraries hmlmctl and libhmlm need (ISA-L, json-c, ...), at
# their host paths; the base image has only nvme-cli's and busybox's.
for bin in "$HMLM_TOP/tools/hmlmctl/hmlmctl" "$HMLM_TOP"/lib/libhmlm.so; do
	[ -e "$bin" ] || continue
	for lib in $(LD_LIBRARY_PATH="$HMLM_TOP/lib" ldd "$bin" 2>/dev/null |
		     awk '/=>/ && $3 !~ /libhmlm/ {print $3}'); do
		[ -f "$lib" ] && [ ! -e "$stage$lib" ] || continue
		mkdir -p "$stage$(dirname "$lib")"
		cp -L "$lib" "$stage$lib"
	done
done
[ -n "$user_script" ] && install -m 0755 "$user_script" "$stage/hmlm/user-script"

{
	cat "$base"
	(cd "$stage" && find . | sort | cpio -o -H newc --quiet)
} | gzip -1 > "$out"
