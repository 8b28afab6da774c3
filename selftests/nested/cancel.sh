#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A migration cancelled from QMP while QEMU is copying RAM (the VF in
# PRE_COPY) leaves the VM running on the source, its workload verifying.
. /nested/lib.sh

src=$SRC_VF1
dst=$SRC_VF2
note "cancel: $src, migration to $dst cancelled"
setup_pair "$src" "$dst" || exit
VF_PROPS=$MIG_PROPS
start_l2 src "$src"
mig_fifo
start_l2 dst "$dst" -incoming "$(mig_incoming)"
if ! wait_serial src 'L2-PASS gen=1$' 900 || ! qmp dst '{"execute":"query-status"}' > /dev/null; then
	not_ok "source and target QEMU start"; stop_l2 src; stop_l2 dst; summary; exit
fi
# The migration must still be copying when it is cancelled. Most of the
# L2's 32 MiB are zero pages, which cost next to nothing at any bandwidth,
# and with the device's DMA logging (the debug kernel) little is dirty: it
# converged within the 2 s below. 1 MiB/s and a 1 ms downtime limit (the
# VF's 1204 bytes of state alone take longer at that rate) keep it in
# PRE_COPY.
qmp src '{"execute":"migrate-set-parameters","arguments":{"max-bandwidth":1048576,"downtime-limit":1}}' > /dev/null
qmp src "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"$(mig_uri)\"}}" > /dev/null
sleep 2
r=$(qmp src '{"execute":"query-migrate"}')
before=$(json_str "$r" status)
note "before cancel: $before"
if [ "$before" = active ]; then
	ok "the migration is copying RAM (VF in PRE_COPY) when it is cancelled"
else
	not_ok "the migration is copying RAM when it is cancelled: $before"
fi
qmp src '{"execute":"migrate_cancel"}' > /dev/null
end=$(($(now_s) + 120))
while [ "$(now_s)" -lt $end ]; do
	r=$(qmp src '{"execute":"query-migrate"}')
	[ "$(json_str "$r" status)" = cancelled ] && break
	sleep 0.5
done
if [ "$(json_str "$r" status)" = cancelled ]; then ok "the migration is cancelled"; else not_ok "the migration is cancelled: $r"; fi
st=$(qmp src '{"execute":"query-status"}')
g=$(last_gen src)
if [ "$(json_str "$st" status)" = running ] && wait_serial src "L2-PASS gen=$((g + 2))\$" 600; then
	ok "the VM runs on the source and verifies every LBA (gen $g -> $((g + 2)))"
else
	not_ok "the VM runs on the source after the cancel: $st"
fi
stop_l2 dst
stop_l2 src
unbind_vf "$src"
unbind_vf "$dst"
summary
