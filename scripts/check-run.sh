# SPDX-License-Identifier: GPL-2.0
#
# check-run.sh - sourced by check.sh and check-debug.sh: run() runs one
# sandbox (scripts/sandbox.sh ARGS), keeps its output in build/$check/NAME.log
# and adds its "N passed, M failed" to $passed and $failed (a run that
# printed none counts as one failure); $rc becomes 1 when a run failed.
# run_hung_again() is run() with one more try for a sandbox that hung.
#
#   check=check-debug; . check-run.sh; run NAME ARGS...

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log=$repo/build/$check
mkdir -p "$log"

passed=0 failed=0 rc=0 hung=()
run() {
	local name=$1 out
	shift
	out=$log/$name.log
	"$repo/scripts/sandbox.sh" "$@" 2>&1 | tee "$out"
	((PIPESTATUS[0] == 0)) || rc=1
	sum "$out"
}

# run_hung_again NAME ARGS...: as run(), but a sandbox that hung (hit its
# time limit: its NMI report says where it was), or whose Linux guests
# stalled (linux_guest_test gave up waiting for one, after its report of
# both: "VMQ-LG: ... stalled"), runs once more, and only the second run
# counts. For the nested Linux guests, which TCG has been seen to wedge
# (Documentation/vmq/testing.rst); a test that fails otherwise is never run
# again. The first run's log stays in NAME.hung.log, and the summary names
# the run.
run_hung_again() {
	local name=$1 out=$log/$1.log
	shift
	local st
	"$repo/scripts/sandbox.sh" "$@" 2>&1 | tee "$out"
	st=${PIPESTATUS[0]}
	if grep -q -e '^FAIL guest timed out' -e '^[# ]*VMQ-LG: .* stalled' "$out"; then
		mv "$out" "$log/$name.hung.log"
		hung+=("$name")
		echo "$check: the $name sandbox hung or its guests stalled (its report:" \
			"${log#"$repo"/}/$name.hung.log); running it once more"
		"$repo/scripts/sandbox.sh" "$@" 2>&1 | tee "$out"
		st=${PIPESTATUS[0]}
	fi
	((st == 0)) || rc=1
	sum "$out"
}

# Before the summary, so that the end of a long log says it all: which
# sandboxes hung and ran again, and every failure of every run.
report() {
	local f
	((${#hung[@]})) &&
		echo "$check: ran again after a hang or a stall: ${hung[*]} (logs: ${log#"$repo"/}/*.hung.log)"
	((${#fails[@]})) || return 0
	echo "$check: what failed:"
	for f in "${fails[@]}"; do
		echo "  $f"
	done
}

# The FAIL lines of every run so far, "NAME: line" (report_fails()).
fails=()

sum() {
	local out=$1 line name
	name=$(basename "$out" .log)
	while IFS= read -r line; do
		fails+=("$name: $line")
	done < <(sed -n '/^== sandbox results/,$p' "$out" |
		 awk '/^FAIL/ { f = 1; print; next } /^    / && f { print; next } { f = 0 }')
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n1)
	if [[ -z $line ]]; then
		fails+=("$name: no summary (see ${out#"$repo"/})")
		failed=$((failed + 1))
		return
	fi
	passed=$((passed + ${line%% passed*}))
	line=${line#*, }
	failed=$((failed + ${line%% failed*}))
}
