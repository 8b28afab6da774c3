#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make demo`: set everything up, boot the bench and show, through the
# module and hmlmctl, what both subsystems offer for live migration.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$HMLM_TOP"

scripts/host-deps.sh
scripts/fetch-kernel.sh
scripts/build-qemu.sh > /dev/null
make -s all

guest=$(mktemp)
trap 'rm -f "$guest"' EXIT
cat > "$guest" <<'GUEST'
#!/bin/sh
set -e
step() { printf '\n=== %s\n' "$*"; }
step "loading nvme-hmlm.ko"
insmod "$HMLM_MODULE"
ls -l /dev/nvme-hmlm
for side in SRC DST; do
	eval pf=\$HMLM_${side}_PF
	step "$side subsystem: hmlmctl info $pf"
	hmlmctl info "$pf"
	step "$side subsystem: hmlmctl list $pf (the migratable controllers)"
	hmlmctl list "$pf"
done
step "the same as JSON, for a management daemon: hmlmctl --json list $HMLM_SRC_PF"
hmlmctl --json list "$HMLM_SRC_PF"
GUEST
log "booting the bench guest to show the migration capabilities of both subsystems"
scripts/vm.sh --script "$guest" --timeout 600 | grep -v '^\[ *[0-9]'
