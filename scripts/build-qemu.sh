#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds the test bench's QEMU: Debian's qemu source package with every patch
# of qemu/patches/ applied in order, x86_64-softmmu only. Cached under
# $HMLM_CACHE/qemu/<source version>-<patch hash>; prints the binary's path.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

srcver=$(apt-cache showsrc qemu 2>/dev/null | awk '/^Version:/ {print $2}' | sort -V | tail -n1)
[ -n "$srcver" ] || die "no qemu source package; run scripts/host-deps.sh (needs deb-src)"
patches=$(find "$HMLM_TOP/qemu/patches" -name '*.patch' 2>/dev/null | sort)
phash=$( { echo "$srcver"; for p in $patches; do sha256sum < "$p"; done; } | sha256sum | cut -c1-12)
key="${srcver//[:~]/_}-$phash"
out="$HMLM_CACHE/qemu/$key"
bin="$out/qemu-system-x86_64"
if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi

# Two runs (a developer's and a test's) must not build in one directory.
mkdir -p "$HMLM_CACHE/qemu"
exec 9> "$HMLM_CACHE/qemu/.lock"
flock 9
if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi

srcroot="$HMLM_CACHE/qemu/src-${srcver//[:~]/_}"
if [ ! -f "$srcroot/.fetched" ]; then
	log "fetching the qemu $srcver source package"
	rm -rf "$srcroot"
	mkdir -p "$srcroot"
	(cd "$srcroot" && apt-get source -q --download-only "qemu=$srcver" >/dev/null 2>&1) ||
		die "apt-get source qemu=$srcver failed"
	touch "$srcroot/.fetched"
fi

work="$HMLM_CACHE/qemu/build-$key"
rm -rf "$work"
mkdir -p "$work"
log "unpacking qemu $srcver (with Debian's patches)"
dpkg-source -x "$srcroot"/qemu_*.dsc "$work/src" >/dev/null ||
	die "dpkg-source could not unpack qemu $srcver"
for p in $patches; do
	log "applying $(basename "$p")"
	patch -d "$work/src" -p1 --quiet --no-backup-if-mismatch < "$p" ||
		die "$(basename "$p") does not apply to qemu $srcver"
done

# Debian's dfsg source drops the prebuilt firmware; the bench takes SeaBIOS
# and the option ROMs from Debian's seabios and qemu-system-data instead.
sed -i 's/unpack_edk2_blobs = bzip2.found()/unpack_edk2_blobs = false/' "$work/src/meson.build"

# Every patch set builds in a directory of its own, from the same source:
# with ccache (host-deps.sh) another set recompiles only the files its
# patches change. Paths under $work are hashed relative to it.
if [ -d /usr/lib/ccache ]; then
	export PATH="/usr/lib/ccache:$PATH" CCACHE_DIR="$HMLM_CACHE/ccache" \
		CCACHE_BASEDIR="$work" CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE=2G
fi

log "configuring qemu (x86_64-softmmu)"
mkdir -p "$work/build"
(cd "$work/build" && ../src/configure --target-list=x86_64-softmmu \
	--without-default-features --enable-tcg --disable-docs --disable-werror \
	--disable-user --disable-install-blobs >"$work/configure.log" 2>&1) ||
	{ tail -n 30 "$work/configure.log" >&2; die "qemu configure failed ($work/configure.log)"; }
log "building qemu (a few minutes on 2 cores)"
ninja -C "$work/build" -j"$(nproc)" qemu-system-x86_64 >"$work/build.log" 2>&1 ||
	{ grep -m20 -B2 -A6 'error' "$work/build.log" >&2; die "qemu build failed ($work/build.log)"; }
mkdir -p "$out"
cp "$work/build/qemu-system-x86_64" "$bin"
rm -rf "$work"
log "qemu ready: $bin"
echo "$bin"
