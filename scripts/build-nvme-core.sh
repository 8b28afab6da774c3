#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds the replacement nvme-core.ko/nvme.ko (driver/nvme-core: the
# distro's drivers/nvme/host + our patch series) for the guest kernel, or
# for the kernel whose env file is given (same format as fetch-kernel.sh's),
# cached under $HMLM_CACHE/nvme-core/<release>-<hash>/ by the kernel, the
# patches and this build's own files. Prints the path of the build's env
# file (NVME_CORE_SRC: the patched tree, with Module.symvers and the .ko).
#
# usage: build-nvme-core.sh [KERNEL_ENV_FILE]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if [ $# -gt 0 ]; then
	eval "$(cat "$1")"
else
	"$HMLM_TOP/scripts/fetch-kernel.sh" >&2
	eval "$(kernel_env)"
fi
nc="$HMLM_TOP/driver/nvme-core"
krel=$(cat "$KDIR/include/config/kernel.release")
# Contents only (not paths), so every clone of the project shares a build.
key=$( { echo "$krel"; cat "$KDIR/Module.symvers" "$nc"/Makefile "$nc"/patches/*.patch \
	"$HMLM_TOP/driver/kdir.mk" "$0"; } | sha256sum | cut -c1-12)
out="$HMLM_CACHE/nvme-core/$krel-$key"

mkdir -p "$HMLM_CACHE/nvme-core"
exec 9> "$HMLM_CACHE/nvme-core/.lock"
flock 9
if [ ! -f "$out/env" ]; then
	log "building the patched nvme-core/nvme modules for $krel ($(ls "$nc"/patches/*.patch | wc -l) patches)"
	rm -rf "$out"
	start=$(date +%s)
	make -s -C "$nc" KDIR="$KDIR" NVME_SRC="$NVME_SRC" OUT="$out" -j"$(nproc)" >&2 ||
		die "the nvme-core series does not build against $KDIR"
	host="$out/src/drivers/nvme/host"
	for m in nvme-core nvme; do
		[ -f "$host/$m.ko" ] || die "the nvme-core build made no $m.ko"
	done
	cat > "$out/env.tmp" <<ENV
NVME_CORE_SRC=$host
NVME_CORE_KREL=$krel
ENV
	mv "$out/env.tmp" "$out/env"
	log "patched nvme modules built in $(( $(date +%s) - start )) s: $out"
fi
echo "$out/env"
