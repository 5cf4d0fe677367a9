#!/usr/bin/env bash
# Run each libFuzzer target given on the command line for FUZZ_SECONDS
# (default 30) over a scratch copy of its checked-in seed corpus
# (tests/fuzz/corpus/<name>/), so the repository is never written to.
# A crash, leak, timeout or sanitizer report fails the run; the crashing
# input is left in tests/fuzz/work/ for a regression seed.
set -u
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-30}
status=0
passed=0
failed=0
mkdir -p tests/fuzz/work
for bin in "$@"; do
	name=$(basename "$bin")
	name=${name#fuzz_}
	seeds=tests/fuzz/corpus/$name
	work=$(mktemp -d tests/fuzz/work/$name.XXXXXX)
	[ -d "$seeds" ] && cp -r "$seeds"/. "$work"/ 2>/dev/null
	echo "=== fuzz $name for ${secs}s ($(ls "$work" | wc -l) seeds)"
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=1048576 \
		-artifact_prefix=tests/fuzz/work/"$name"- -print_final_stats=1 "$work" \
		>"$work.log" 2>&1; then
		grep -E "^stat::number_of_executed_runs|^#[0-9]+.*DONE" "$work.log" | tail -2
		passed=$((passed + 1))
		rm -rf "$work" "$work.log"
	else
		tail -40 "$work.log"
		echo "--- FAILED: fuzz $name (log: $work.log)"
		failed=$((failed + 1))
		status=1
	fi
done
echo "fuzz: $passed passed, $failed failed"
exit $status
