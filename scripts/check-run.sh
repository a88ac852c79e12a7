# SPDX-License-Identifier: GPL-2.0
#
# check-run.sh - sourced by check.sh and check-debug.sh: run() runs one
# sandbox (scripts/sandbox.sh ARGS), keeps its output in build/$check/NAME.log
# and adds its "N passed, M failed" to $passed and $failed (a run that
# printed none counts as one failure); $rc becomes 1 when a run failed.
#
#   check=check-debug; . check-run.sh; run NAME ARGS...

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log=$repo/build/$check
mkdir -p "$log"

passed=0 failed=0 rc=0
run() {
	local name=$1 out line
	shift
	out=$log/$name.log
	"$repo/scripts/sandbox.sh" "$@" 2>&1 | tee "$out"
	((PIPESTATUS[0] == 0)) || rc=1
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n1)
	if [[ -z $line ]]; then
		failed=$((failed + 1))
		return
	fi
	passed=$((passed + ${line%% passed*}))
	line=${line#*, }
	failed=$((failed + ${line%% failed*}))
}
