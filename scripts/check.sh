#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh [SANDBOX ARGS] - "make check": every selftest in the sandbox on
# Debian's kernel, with npt=1 and npt=0; then linux_guest_test, two Linux
# guests in nested QEMUs, in a sandbox of its own (sandbox.sh --linux-guest:
# one vCPU, npt=0). Ends with the sum of both: "N passed, M failed".
# SANDBOX ARGS go to the first run; with --test NAME (a quick run of a few
# tests) the second is left out unless NAME is linux_guest_test.
set -uo pipefail
check=check
. "$(dirname "$0")/check-run.sh"

args=() debug=() named=0 others=0 lg=0
while (($#)); do
	case $1 in
	--test)
		named=1
		if [[ ${2:-} == linux_guest_test ]]; then
			lg=1
		else
			others=1
			args+=("$1" "${2:-}")
		fi
		shift
		;;
	--debug) debug=(--debug) args+=("$1") ;;
	*) args+=("$1") ;;
	esac
	shift
done
# Without --test, everything; with it, only the tests it names.
((named)) || others=1 lg=1
((others)) && run tests --tests "${args[@]}"
((lg)) && run_hung_again linux-guest --linux-guest "${debug[@]}"
report
echo "check: selftests, then linux_guest_test"
echo "$passed passed, $failed failed"
((rc == 0 && failed == 0))
