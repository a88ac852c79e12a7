#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-debug.sh [SANDBOX ARGS] - "make check-debug": first the harness
# self-test (the canary module's use-after-free and leak must be reported),
# then every selftest on the debug kernel with npt=1 and npt=0, a kmemleak
# scan after vmq is unloaded, then linux_guest_test (sandbox.sh
# --linux-guest, also on the debug kernel; left out when SANDBOX ARGS name
# tests). Ends with the sum of all: "N passed, M failed".
set -uo pipefail
check=check-debug
. "$(dirname "$0")/check-run.sh"

# SANDBOX_ARGS may carry --test NAME or --npt N; the canary ignores them.
run canary --canary
run tests --tests --debug "$@"
[[ " $* " == *" --test "* ]] || run_hung_again linux-guest --linux-guest --debug
report
echo "check-debug: harness self-test, selftests and linux_guest_test on the debug kernel"
echo "$passed passed, $failed failed"
((rc == 0 && failed == 0))
