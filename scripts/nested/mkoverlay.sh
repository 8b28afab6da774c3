#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The nested bench's addition to the L1 initramfs (vm.sh --initrd-add):
#   /nested/bin    QEMU 10 (qemu-system-x86_64), the QMP client, serts
#   /nested/lib    every shared library QEMU 10 loads
#   /nested/share  firmware: SeaBIOS, the multiboot/linuxboot option ROMs
#   /nested/modules  the Debian kernel's vfio modules (+ load-order),
#                  and nvme-hmlm-vfio-pci.ko when it is built (NESTED_VFIO_KO:
#                  one built against another kernel, scripts/nested.sh)
#   /nested/l2.elf the L2 workload; /nested/*.sh the L1 scenario scripts
# The QEMU part is cached per QEMU and kernel version; the rest is fresh.
#
# usage: mkoverlay.sh OUTPUT.cpio.gz
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

out=$1
eval "$(kernel_env)"
qroot=$("$HMLM_TOP/scripts/nested/fetch-qemu10.sh")
qbin=$qroot/usr/bin/qemu-system-x86_64
libpath="$qroot/usr/lib/x86_64-linux-gnu:$qroot/lib/x86_64-linux-gnu"

key=$( { echo "$KPKGVER"; echo "$qroot"; sha256sum "$qbin" "$0"; } | sha256sum | cut -c1-12)
base="$HMLM_CACHE/nested/overlay-$key.cpio.gz"
if [ ! -f "$base" ]; then
	log "building the nested overlay base (QEMU 10, libraries, firmware, vfio modules)"
	stage=$(mktemp -d)
	trap 'rm -rf "$stage"' EXIT
	mkdir -p "$stage/nested"/{bin,lib,share,modules}
	cp "$qbin" "$stage/nested/bin/"
	LD_LIBRARY_PATH=$libpath ldd "$qbin" | awk '/=>/ { print $3 }' | while read -r l; do
		case "$l" in */ld-linux*) continue ;; esac
		cp -L "$l" "$stage/nested/lib/"
	done
	for f in "$qroot"/usr/share/seabios/bios-256k.bin \
		 "$qroot"/usr/share/qemu/{kvmvapic,linuxboot_dma,multiboot_dma,pvh}.bin; do
		cp -L "$f" "$stage/nested/share/"
	done
	: > "$stage/nested/modules/load-order"
	for m in virt/lib/irqbypass drivers/vfio/vfio drivers/vfio/vfio_iommu_type1 \
		 drivers/vfio/pci/vfio-pci-core drivers/vfio/pci/vfio-pci; do
		b=$(basename "$m").ko
		xz -dc "$KMODDIR/kernel/$m.ko.xz" > "$stage/nested/modules/$b"
		echo "$b" >> "$stage/nested/modules/load-order"
	done
	(cd "$stage" && find . | sort | cpio -o -H newc --quiet) | gzip -1 > "$base.tmp"
	mv "$base.tmp" "$base"
	rm -rf "$stage"
	trap - EXIT
fi

make -s -C "$HMLM_TOP/selftests/nested/l2"
for t in qmp serts nvvf-corrupt; do
	gcc -O2 -Wall -Wextra -Werror -o "$HMLM_TOP/selftests/nested/$t" "$HMLM_TOP/selftests/nested/$t.c"
done
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/nested/bin" "$stage/nested/modules"
cp "$HMLM_TOP/selftests/nested/l2/l2.elf" "$stage/nested/"
cp "$HMLM_TOP"/selftests/nested/{qmp,serts,nvvf-corrupt} "$stage/nested/bin/"
install -m 0755 "$HMLM_TOP"/selftests/nested/*.sh "$stage/nested/"
# NESTED_VFIO_KO: the module built elsewhere (against another kernel).
vfio_ko=${NESTED_VFIO_KO:-$HMLM_TOP/driver/vfio/nvme-hmlm-vfio-pci.ko}
[ -f "$vfio_ko" ] && cp "$vfio_ko" "$stage/nested/modules/nvme-hmlm-vfio-pci.ko"
{
	cat "$base"
	(cd "$stage" && find . | sort | cpio -o -H newc --quiet) | gzip -1
} > "$out"
