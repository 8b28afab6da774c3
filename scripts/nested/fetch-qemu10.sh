#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The hypervisor of the nested bench: Debian's QEMU 10 from bookworm-backports
# (VFIO migration v2, PRE_COPY, device dirty tracking), unpacked without
# installing it, with every shared library it needs that the host lacks.
# Prints the root directory of the unpacked tree; cached per version under
# $HMLM_CACHE/nested/<version>/. See Documentation/testing.rst (nested bench).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

QEMU10_VERSION=${QEMU10_VERSION:-1:10.0.2+ds-2+deb13u1~bpo12+1}
dir="$HMLM_CACHE/nested/${QEMU10_VERSION//[:~]/_}"
root="$dir/root"

if [ -f "$dir/done" ]; then
	echo "$root"
	exit 0
fi

exec 9> "$HMLM_CACHE/nested.lock"
flock 9
if [ -f "$dir/done" ]; then
	echo "$root"
	exit 0
fi

need_root "fetching QEMU 10 from bookworm-backports"
has_version() { apt-cache policy qemu-system-x86 2>/dev/null | grep -cF "$QEMU10_VERSION" > /dev/null; }
if ! has_version; then
	if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		log "adding bookworm-backports (priority 100: nothing is upgraded from it)"
		cat > /etc/apt/sources.list.d/nvme-hmlm-backports.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	fi
	log "apt-get update"
	apt-get update -qq
	has_version || die "qemu-system-x86 $QEMU10_VERSION is not in the archive"
fi

rm -rf "$dir"
mkdir -p "$dir/debs" "$root"
cd "$dir/debs"
log "downloading qemu-system-x86 $QEMU10_VERSION"
apt-get download -qq -o APT::Sandbox::User=root "qemu-system-x86=$QEMU10_VERSION" "qemu-system-common=$QEMU10_VERSION" \
	"qemu-system-data=$QEMU10_VERSION" seabios ipxe-qemu

# The libraries: every lib* dependency the host does not have installed,
# and theirs, two levels deep (libpmem1 -> libndctl6 -> ...).
installed() { dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed; }
libdeps() {
	apt-cache depends "$@" 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^lib/ { print $2 }' | sort -u
}
want=$(libdeps "qemu-system-x86=$QEMU10_VERSION")
fetched=""
for round in 1 2 3; do
	next=""
	for p in $want; do
		installed "$p" && continue
		case " $fetched " in *" $p "*) continue ;; esac
		apt-get download -qq -o APT::Sandbox::User=root "$p"
		fetched="$fetched $p"
		next="$next $p"
	done
	[ -n "$next" ] || break
	want=$(libdeps $next)
done
log "libraries the host lacks:${fetched:- none}"
for d in *.deb; do
	dpkg-deb -x "$d" "$root"
done

# Everything resolves with the unpacked libraries first.
libpath="$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu"
missing=$(LD_LIBRARY_PATH=$libpath ldd "$root/usr/bin/qemu-system-x86_64" | grep 'not found' || true)
[ -z "$missing" ] || die "QEMU 10 still misses libraries: $missing"
LD_LIBRARY_PATH=$libpath "$root/usr/bin/qemu-system-x86_64" --version | head -n1 >&2
touch "$dir/done"
echo "$root"
