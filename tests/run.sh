#!/usr/bin/env bash
# Run every test: the cmocka unit tests (built by `make unit` into
# $BUILD/tests/) and the integration scripts in tests/integration/.
# Each test's output goes to the terminal; the last line is the summary
# "N passed, N failed" and the exit status is 0 only if none failed.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/rel}
export SWARMWATCH=${SWARMWATCH:-$PWD/swarmwatch}

passed=0
failed=0
failures=()

run_one() {
	local name=$1
	shift
	echo "=== $name"
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures+=("$name")
		echo "--- FAILED: $name"
	fi
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	case "$t" in *.d) continue ;; esac
	run_one "unit/$(basename "$t")" "$t"
done

for t in tests/integration/test_*.sh; do
	[ -f "$t" ] || continue
	run_one "integration/$(basename "$t" .sh)" bash "$t"
done

echo
if [ ${#failures[@]} -gt 0 ]; then
	printf 'failed: %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
