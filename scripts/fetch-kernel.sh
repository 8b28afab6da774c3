#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fetches the guest kernel: Debian's linux-image-<abi>-amd64-unsigned, the
# matching headers (the module's KDIR) and linux-source-6.12 of the same
# version, from which only what the project needs is extracted: nvme-core's
# private headers (NVME_SRC), the kselftest headers, checkpatch.pl and
# kernel-doc. Writes $HMLM_CACHE/kernel/<version>/env.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ver=$(kernel_pkg_version)
abi=$(kernel_abi "$ver")
dir=$(kernel_dir)
[ -f "$dir/env" ] && { log "guest kernel $ver ready"; exit 0; }

pkgs=(
	"linux-image-${abi}-amd64-unsigned"
	"linux-headers-${abi}-amd64"
	"linux-headers-${abi}-common"
	"linux-kbuild-${abi}"
	"linux-source-6.12"
)
for p in "${pkgs[@]}"; do
	pv=$(apt-cache policy "$p" | awk '/Candidate:/ {print $2}')
	[ "$pv" = "$ver" ] ||
		die "$p has candidate '${pv:-none}', not $ver: the archive is between point releases; apt-get update and retry"
done

log "fetching kernel $ver packages"
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp/debs" "$dir.tmp/root"
(cd "$dir.tmp/debs" && apt-get download -q "${pkgs[@]/%/=$ver}" >/dev/null 2>&1) ||
	die "apt-get download of the kernel packages failed"
for d in "$dir.tmp"/debs/*.deb; do
	case "$d" in *linux-source-*) continue ;; esac
	dpkg-deb -x "$d" "$dir.tmp/root"
done

# The image package leaves modules.dep to depmod at install time.
depmod -b "$dir.tmp/root" "${abi}-amd64"

log "extracting the needed parts of linux-source-6.12"
dpkg-deb --fsys-tarfile "$dir.tmp"/debs/linux-source-6.12_*.deb |
	tar -xO ./usr/src/linux-source-6.12.tar.xz |
	xz -dc | tar -x -C "$dir.tmp" \
		--wildcards \
		'linux-source-6.12/drivers/nvme/host/*' \
		'linux-source-6.12/tools/testing/selftests/kselftest*.h' \
		'linux-source-6.12/scripts/checkpatch.pl' \
		'linux-source-6.12/scripts/spelling.txt' \
		'linux-source-6.12/scripts/const_structs.checkpatch' \
		'linux-source-6.12/scripts/kernel-doc' \
		'linux-source-6.12/Makefile'
mv "$dir.tmp/linux-source-6.12" "$dir.tmp/src"
rm -rf "$dir.tmp/debs"

kdir="$dir/root/usr/src/linux-headers-${abi}-amd64"
cat > "$dir.tmp/env" <<ENV
KVER=${abi}-amd64
KPKGVER=$ver
KDIR=$kdir
NVME_SRC=$dir/src/drivers/nvme/host
KSRC=$dir/src
VMLINUZ=$dir/root/boot/vmlinuz-${abi}-amd64
KMODDIR=$dir/root/lib/modules/${abi}-amd64
ENV
rm -rf "$dir"
mv "$dir.tmp" "$dir"
log "guest kernel $ver ready in $dir"
