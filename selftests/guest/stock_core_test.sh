#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# nvme-hmlm refuses to load on the distribution's nvme-core (without the
# driver/nvme-core series): -ENOPKG and a message naming the patched
# nvme-core, never a module that frees DMA memory at the wrong time.
# Destructive: unloads every NVMe module; keep it the last program.
. "$(dirname "$0")/ktap.sh"
. /hmlm/bench.env

ktap_plan 3
rmmod nvme_hmlm 2>/dev/null
for m in nvme_loop nvmet nvme_fabrics nvme nvme_core; do
	[ -d /sys/module/$m ] && rmmod $m
done
ktap_check stock_nvme_core_loads insmod /hmlm/modules/stock/nvme-core.ko
if grep -q ' nvme_register_mig_host' /proc/kallsyms; then
	echo "# the stock nvme-core has the series' symbols"
	ktap_fail stock_nvme_core_has_no_series
else
	ktap_ok stock_nvme_core_has_no_series
fi
dmesg -c > /dev/null
if insmod "$HMLM_MODULE" 2> /tmp/insmod.err; then
	echo "# nvme-hmlm loaded on a stock nvme-core"
	rmmod nvme_hmlm
	ktap_fail refused_with_message
elif grep -q 'Package not installed' /tmp/insmod.err &&
     dmesg | grep -q 'nvme-hmlm: nvme-core lacks nvme_register_mig_host()'; then
	ktap_ok refused_with_message
else
	sed 's/^/# insmod: /' /tmp/insmod.err
	dmesg | sed 's/^/# dmesg: /'
	ktap_fail refused_with_message
fi
ktap_finish
