#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A slice of the migration soak (selftests/tests-soak.list): the 20
# randomized, per-LBA verified live migrations of hmlm_e2e_test, seeded
# with SEED + SLICE so the slices of one soak differ and each replays.
#
# usage: e2e_soak.sh SEED SLICE
seed=${1:?seed}
slice=${2:?slice}
export HMLM_E2E_SEED=$((seed + slice * 1000003))
echo "# soak slice $slice: HMLM_E2E_SEED=$HMLM_E2E_SEED"
exec ./hmlm_e2e_test
