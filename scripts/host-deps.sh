#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Installs the Debian packages the build and the test bench need, and adds a
# deb-src entry so `apt-get source qemu` works. Idempotent; quick when done.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PKGS=(
	build-essential bc flex bison libelf-dev libssl-dev dwarves kmod xz-utils
	sparse cpio busybox-static nvme-cli pciutils
	dpkg-dev ninja-build meson pkg-config python3-venv
	libglib2.0-dev libpixman-1-dev libslirp-dev zlib1g-dev libfdt-dev
	valgrind seabios qemu-system-data
	libisal-dev libjson-c-dev libnvme-dev liburing-dev
	clang qemu-user gcc-s390x-linux-gnu libc6-dev-s390x-cross
	ccache
)

stamp="$HMLM_CACHE/host-deps.stamp"
want=$(printf '%s\n' "${PKGS[@]}" | sha256sum | cut -c1-16)

have_src=0
if grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ ||
   grep -qs '^deb-src' /etc/apt/sources.list; then
	have_src=1
fi

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ $have_src = 1 ]; then
	log "host packages present"
	exit 0
fi

need_root "installing host packages"
if [ $have_src = 0 ]; then
	log "adding a deb-src entry for Debian bookworm"
	cat > /etc/apt/sources.list.d/nvme-hmlm-src.sources <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
log "apt-get update"
apt-get -o DPkg::Lock::Timeout=600 update -qq
log "installing ${#PKGS[@]} packages"
# another apt-get (another checkout's make check) may hold the lock
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
	--no-install-recommends "${PKGS[@]}" >/dev/null
echo "$want" > "$stamp"
log "host packages installed"
