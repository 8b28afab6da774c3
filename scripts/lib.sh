# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the nvme-hmlm set-up and test-bench scripts. Sourced, not run.

HMLM_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HMLM_CACHE=${HMLM_CACHE:-$HOME/.cache/nvme-hmlm}
mkdir -p "$HMLM_CACHE"

log() { printf '[hmlm] %s\n' "$*" >&2; }
die() { printf '[hmlm] error: %s\n' "$*" >&2; exit 1; }

need_root() {
	[ "$(id -u)" = 0 ] || die "$1 needs root (apt-get); run it as root"
}

# The Debian kernel this project targets: the candidate version of
# linux-source-6.12 decides it, so a point release moves everything together.
kernel_pkg_version() {
	local v
	v=$(apt-cache policy linux-source-6.12 2>/dev/null | awk '/Candidate:/ {print $2}')
	[ -n "$v" ] && [ "$v" != "(none)" ] ||
		die "linux-source-6.12 has no candidate; run scripts/host-deps.sh (apt-get update)"
	echo "$v"
}

# 6.12.117-1~deb12u1 -> 6.12.117+deb12 (the ABI name in the binary package names)
kernel_abi() {
	local v=${1%%-*}
	echo "${v}+deb12"
}

kernel_dir() {
	echo "$HMLM_CACHE/kernel/$(kernel_pkg_version)"
}

# Echoes KEY=VALUE lines describing the prepared guest kernel, or those of
# the env file HMLM_KERNEL_ENV names (another kernel: the debug kernel of
# scripts/build-debug-kernel.sh, a kernel of the user's).
kernel_env() {
	local d
	if [ -n "${HMLM_KERNEL_ENV:-}" ]; then
		[ -f "$HMLM_KERNEL_ENV" ] || die "HMLM_KERNEL_ENV=$HMLM_KERNEL_ENV: no such env file"
		cat "$HMLM_KERNEL_ENV"
		return
	fi
	d=$(kernel_dir)
	[ -f "$d/env" ] || die "guest kernel not prepared; run scripts/fetch-kernel.sh"
	cat "$d/env"
}

# Sets the array qargs to the vm.sh options for the guest list LIST: a
# --qemu-arg for each line of LIST's .qemu-args file (one QEMU argument a
# line), then the lines of its .vm-args file (vm.sh's own options, e.g.
# --iommu), if they exist.
list_qemu_args() {
	local a f="${1%.list}.qemu-args" v="${1%.list}.vm-args"

	qargs=()
	if [ -f "$f" ]; then
		while read -r a; do
			if [ -n "$a" ]; then qargs+=(--qemu-arg "$a"); fi
		done < "$f"
	fi
	if [ -f "$v" ]; then
		while read -r a; do
			if [ -n "$a" ]; then qargs+=("$a"); fi
		done < "$v"
	fi
}

# Runs "$@" while QEMU builds in the background (minutes on a cold cache);
# fails if either fails.
while_building_qemu() {
	local qlog qpid

	qlog=$(mktemp)
	"$HMLM_TOP/scripts/build-qemu.sh" > "$qlog" 2>&1 &
	qpid=$!
	if ! "$@"; then
		wait $qpid || true
		rm -f "$qlog"
		return 1
	fi
	wait $qpid || { cat "$qlog" >&2; rm -f "$qlog"; die "QEMU build failed"; }
	rm -f "$qlog"
}
