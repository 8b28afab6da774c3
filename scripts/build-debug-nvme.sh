#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The project's nvme-core series on a self-built kernel tree (the debug
# kernel): drivers/nvme/host of KDIR plus driver/nvme-core/patches/*.patch,
# built as external modules against KDIR, and a copy of the kernel's module
# tree with those nvme modules in place of its own. Writes an env file like
# the kernel's, with NVME_SRC (the patched source), KMODDIR (the new tree)
# and NVME_SYMVERS (their Module.symvers, KBUILD_EXTRA_SYMBOLS for
# nvme-hmlm.ko), and prints its path. Cached next to the kernel, keyed by
# the patches.
#
# usage: build-debug-nvme.sh KERNEL_ENV
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kenv=$(realpath "$1")
eval "$(cat "$kenv")"
patches=("$HMLM_TOP"/driver/nvme-core/patches/*.patch)
[ -e "${patches[0]}" ] || patches=()
key=$( { cat "$kenv"; cat "$0"; [ ${#patches[@]} = 0 ] || cat "${patches[@]}"; } |
	sha256sum | cut -c1-12)
out="$(dirname "$kenv")/nvme-$key"
[ -f "$out/env" ] && { echo "$out/env"; exit 0; }

exec 9> "$(dirname "$kenv")/.lock-nvme-$key"
flock 9
[ -f "$out/env" ] && { echo "$out/env"; exit 0; }
rm -rf "$out"
mkdir -p "$out/src/drivers/nvme"
cp -r "$KDIR/drivers/nvme/host" "$out/src/drivers/nvme/host"
find "$out/src/drivers/nvme/host" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' \
	-o -name '*.mod' -o -name '*.mod.c' -o -name 'modules.order' \) -delete
# driver/Makefile reads the kernel version from the tree's top Makefile.
cp "$KDIR/Makefile" "$out/src/Makefile"
for p in "${patches[@]}"; do
	log "nvme-core: applying $(basename "$p")"
	patch -s -p1 -d "$out/src" < "$p" || die "$(basename "$p") does not apply to $KDIR"
done
log "building the patched nvme modules against $KDIR"
make -s -C "$KDIR" M="$out/src/drivers/nvme/host" modules > "$out/build.log" 2>&1 ||
	{ tail -n 30 "$out/build.log" >&2; die "nvme modules do not build (log: $out/build.log)"; }

mkdir -p "$out/root/lib/modules"
cp -a "$KMODDIR" "$out/root/lib/modules/$KVER"
for ko in "$out"/src/drivers/nvme/host/*.ko; do
	dst="$out/root/lib/modules/$KVER/kernel/drivers/nvme/host/$(basename "$ko").xz"
	[ -f "$dst" ] || die "$(basename "$ko") is not a module of $KVER"
	xz -c --check=crc32 "$ko" > "$dst"
done
depmod -b "$out/root" "$KVER"

sed -e "s|^NVME_SRC=.*|NVME_SRC=$out/src/drivers/nvme/host|" \
	-e "s|^KMODDIR=.*|KMODDIR=$out/root/lib/modules/$KVER|" \
	-e "s|^KPKGVER=\(.*\)|KPKGVER=\1-nvme-$key|" "$kenv" > "$out/env.tmp"
echo "NVME_SYMVERS=$out/src/drivers/nvme/host/Module.symvers" >> "$out/env.tmp"
printf 'NVME_PATCHES="%s"\n' "$(for p in "${patches[@]}"; do basename "$p"; done | tr '\n' ' ')" >> "$out/env.tmp"
mv "$out/env.tmp" "$out/env"
log "patched nvme modules ready: $out"
echo "$out/env"
