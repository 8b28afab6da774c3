#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# hmlmctl (and through it libhmlm) against the module and the device model:
# what an operator types and reads.
. ./ktap.sh

lsmod | grep -q '^nvme_hmlm' || insmod "$HMLM_MODULE"

first() { echo $1; }
second() { echo $2; }

info_reports_hmlm() {
	out=$(hmlmctl info "$HMLM_SRC_PF") || return 1
	if [ "$HMLM_HMLM" = 1 ]; then
		echo "$out" | grep -q 'Host Managed Live Migration: supported'
	else
		echo "$out" | grep -q 'not supported'
	fi
}
info_json() {
	out=$(hmlmctl --json info "$HMLM_DST_PF") || return 1
	echo "$out" | grep -q '"cntlid":0,' &&
	echo "$out" | grep -q "\"hmlm\":$([ "$HMLM_HMLM" = 1 ] && echo true || echo false)"
}
list_matches_bench() {
	out=$(hmlmctl list "$HMLM_SRC_PF") || return 1
	[ "$(echo "$out" | grep -c ' online ')" = "$HMLM_NUM_VFS" ] &&
	echo "$out" | awk 'NR > 1 { print $1 }' | tr '\n' ' ' | grep -qx "$HMLM_SRC_CNTLIDS "
}
list_json() {
	hmlmctl --json list "$HMLM_DST_PF" | grep -q "\"cntlid\":$(first $HMLM_DST_CNTLIDS),\"vf\":1,\"online\":true"
}
cntlid_by_number() { [ "$(hmlmctl cntlid "$HMLM_SRC_PF" 2)" = "$(second $HMLM_SRC_CNTLIDS)" ]; }
cntlid_by_address() { [ "$(hmlmctl cntlid "$HMLM_SRC_PF" "$(first $HMLM_SRC_VFS)")" = "$(first $HMLM_SRC_CNTLIDS)" ]; }
unknown_vf_fails() {
	hmlmctl cntlid "$HMLM_SRC_PF" 9 > /tmp/o 2> /tmp/e && return 1
	grep -q 'No such file or directory' /tmp/e
}
foreign_vf_fails() {
	# a VF of the other PF is not a VF of this one
	! hmlmctl cntlid "$HMLM_SRC_PF" "$(first $HMLM_DST_VFS)" 2> /dev/null
}
missing_device_fails() {
	hmlmctl info /dev/nvme99 2> /tmp/e
	[ $? = 1 ] && grep -q '/dev/nvme99' /tmp/e
}
not_nvme_fails() {
	hmlmctl info /dev/null 2> /tmp/e
	[ $? = 1 ] && grep -q 'Invalid argument' /tmp/e
}
usage_error() {
	hmlmctl frobnicate 2> /dev/null
	[ $? = 2 ]
}

help_exits_0() {
	hmlmctl info --help > /tmp/o && grep -q '^usage: hmlmctl info DEV' /tmp/o &&
	hmlmctl migrate-in --help | grep -q -- '--ns'
}
cntlid_abc_exits_2() {
	hmlmctl cntlid "$HMLM_SRC_PF" abc 2> /tmp/e
	[ $? = 2 ] && grep -q "'abc'" /tmp/e
}
no_octal_cntlid() {
	hmlmctl resume "$HMLM_SRC_PF" 010 2> /tmp/e
	[ $? = 2 ] && grep -q "CNTLID '010'" /tmp/e
}
json_after_args() {
	hmlmctl list "$HMLM_DST_PF" --json | grep -q '^\[{"cntlid":'
}
resume_running_decoded() {
	# a running VF: Controller Not Suspended, decoded and the command named
	hmlmctl resume "$HMLM_SRC_PF" "$(first $HMLM_SRC_CNTLIDS)" 2> /tmp/e
	[ $? = 1 ] && grep -q 'Migration Send (Resume): NVMe status 0x[0-9a-f]*3a: Controller Not Suspended' /tmp/e
}
formats_token() {
	[ "$HMLM_HMLM" = 1 ] || return 0
	hmlmctl formats "$HMLM_DST_PF" | grep -q '^nvme:[0-9]'
}

ktap_plan 17
ktap_check "info reports the MMC capability" info_reports_hmlm
ktap_check "info --json" info_json
ktap_check "list shows the bench's VFs online" list_matches_bench
ktap_check "list --json" list_json
ktap_check "cntlid by VF number" cntlid_by_number
ktap_check "cntlid by PCI address" cntlid_by_address
ktap_check "an unknown VF is an error" unknown_vf_fails
ktap_check "another PF's VF is not ours" foreign_vf_fails
ktap_check "a missing device is an error naming it" missing_device_fails
ktap_check "a non-NVMe device is EINVAL" not_nvme_fails
ktap_check "an unknown command is a usage error" usage_error
ktap_check "info --help exits 0" help_exits_0
ktap_check "cntlid DEV abc exits 2 naming the argument" cntlid_abc_exits_2
ktap_check "a CNTLID 010 is refused, never octal" no_octal_cntlid
ktap_check "--json after the arguments" json_after_args
ktap_check "an NVMe status is decoded" resume_running_decoded
ktap_check "formats prints the target's token" formats_token
ktap_finish
