#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds the debug guest kernel: linux-source-6.12 of the bench kernel's
# Debian version, x86_64 defconfig + scripts/debug-kernel.config (KASAN,
# KFENCE, lockdep, kmemleak, UBSAN, DEBUG_OBJECTS, fault injection; nvme and
# VFIO as modules). Cached in $HMLM_CACHE/debug-kernel/<version>-<key>/, key =
# hash of the version and the fragment; the build tree stays there as KDIR
# (and KSRC) for out-of-tree modules. Writes an `env` file in the format of
# scripts/fetch-kernel.sh's, and prints its path on stdout.
#
# usage: build-debug-kernel.sh [--print-env]
#   --print-env  only print the env path if the kernel is built; exit 1 if not
# HMLM_DEBUG_FLAVOR=iommufd adds scripts/debug-kernel-iommufd.config (its
# own cache key): the kernel the nested DMA-logging scenario needs.
# HMLM_JOBS (default 2) is make's -j. An interrupted build resumes where it
# stopped when run again.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ver=$(kernel_pkg_version)
frags=("$HMLM_TOP/scripts/debug-kernel.config")
if [ -n "${HMLM_DEBUG_FLAVOR:-}" ]; then
	f="$HMLM_TOP/scripts/debug-kernel-$HMLM_DEBUG_FLAVOR.config"
	[ -f "$f" ] || die "no debug kernel flavour $HMLM_DEBUG_FLAVOR ($f)"
	frags+=("$f")
fi
frag_all=$(cat "${frags[@]}")
key=$( { echo "$ver"; echo "$frag_all"; } | sha256sum | cut -c1-12)
top="$HMLM_CACHE/debug-kernel"
dir="$top/$ver-$key"

if [ "${1:-}" = --print-env ]; then
	[ -f "$dir/env" ] && { echo "$dir/env"; exit 0; }
	exit 1
fi
[ -f "$dir/env" ] && { log "debug kernel $ver-$key ready"; echo "$dir/env"; exit 0; }

mkdir -p "$top"
exec 9> "$top/.lock-$ver-$key"
flock 9
[ -f "$dir/env" ] && { log "debug kernel $ver-$key ready"; echo "$dir/env"; exit 0; }

mkdir -p "$dir"
src="$dir/build"
# A fragment change on a machine that built another one: start from a copy
# of that build tree. Kbuild rebuilds only the objects whose CONFIG_ options
# changed (fixdep); how many that is depends on the options.
if [ ! -f "$src/Makefile" ]; then
	seed=$(ls -dt "$top/$ver"-*/build 2>/dev/null | while read -r d; do
		[ -f "$(dirname "$d")/env" ] && { echo "$d"; break; }; done)
	if [ -n "$seed" ]; then
		log "seeding the build from $seed"
		rm -rf "$src"
		cp -a "$seed" "$src.tmp" && mv "$src.tmp" "$src"
		rm -f "$dir/fragment.config"
	fi
fi
if [ ! -f "$src/Makefile" ]; then
	log "fetching linux-source-6.12 $ver"
	rm -rf "$dir/dl" "$dir/linux-source-6.12" "$src"
	mkdir -p "$dir/dl"
	(cd "$dir/dl" && apt-get download -q "linux-source-6.12=$ver" >/dev/null 2>&1) ||
		die "apt-get download linux-source-6.12=$ver failed"
	log "extracting linux-source-6.12"
	dpkg-deb --fsys-tarfile "$dir"/dl/linux-source-6.12_*.deb |
		tar -xO ./usr/src/linux-source-6.12.tar.xz | xz -dc | tar -x -C "$dir"
	mv "$dir/linux-source-6.12" "$src"
	rm -rf "$dir/dl"
fi

cd "$src"
if [ "$frag_all" != "$(cat "$dir/fragment.config" 2>/dev/null)" ] || [ ! -f .config ]; then
	log "configuring: x86_64_defconfig + ${frags[*]##*/}"
	make -s x86_64_defconfig
	scripts/kconfig/merge_config.sh -m -O . .config "${frags[@]}" >/dev/null
	make -s olddefconfig
	# Every option the fragment sets must have survived olddefconfig.
	bad=0
	while IFS= read -r line; do
		case "$line" in CONFIG_*=*) ;; *) continue ;; esac
		grep -qxF "$line" .config || { log "Kconfig dropped: $line (got: $(grep "^${line%%=*}=" .config || echo unset))"; bad=1; }
	done <<< "$frag_all"
	[ $bad = 0 ] || die "the debug config is not what ${frags[*]##*/} ask for"
	echo "$frag_all" > "$dir/fragment.config"
fi

jobs=${HMLM_JOBS:-2}
log "building the debug kernel (make -j$jobs bzImage modules; about 15-40 min on 2 shared cores)"
start=$(date +%s)
# make and its sub-makes in a process group of their own, ended with this
# script: an orphaned sub-make would go on building and hold the lock.
setsid make -s -j"$jobs" bzImage modules > "$dir/build.log" 2>&1 &
mpid=$!
trap 'kill -TERM -- -$mpid 2>/dev/null; exit 143' INT TERM HUP
wait $mpid || { tail -n 40 "$dir/build.log" >&2; die "debug kernel build failed (log: $dir/build.log)"; }
trap - INT TERM HUP
secs=$(( $(date +%s) - start ))
kver=$(make -s kernelrelease)
rm -rf "$dir/root"
make -s INSTALL_MOD_PATH="$dir/root" modules_install >> "$dir/build.log" 2>&1 ||
	die "modules_install failed (log: $dir/build.log)"
# The build/source links point into this tree; KDIR below says it directly.
rm -f "$dir/root/lib/modules/$kver/build" "$dir/root/lib/modules/$kver/source"
install -D -m 0644 arch/x86/boot/bzImage "$dir/root/boot/vmlinuz-$kver"
echo "$secs" > "$dir/build-seconds"
log "debug kernel $kver built in $((secs / 60)) min $((secs % 60)) s (make -j$jobs; the cores are shared)"

cat > "$dir/env.tmp" <<ENV
KVER=$kver
KPKGVER=$ver-debug-$key
KDIR=$src
NVME_SRC=$src/drivers/nvme/host
KSRC=$src
VMLINUZ=$dir/root/boot/vmlinuz-$kver
KMODDIR=$dir/root/lib/modules/$kver
KCONFIG=$src/.config
ENV
mv "$dir/env.tmp" "$dir/env"
echo "$dir/env"
