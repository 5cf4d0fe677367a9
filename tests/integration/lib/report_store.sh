# Shared by the report and serve tests: source it after setting ROOT, then
# call make_store FILE.  The store is written through the real sink API by
# the unit test binary (tests/unit/test_report.c, `--make-store`), whose
# content and expected counts are documented there.
PY=/usr/bin/python3
SWARMWATCH=${SWARMWATCH:-$ROOT/swarmwatch}

make_store() {
	local maker
	for maker in "$ROOT/${BUILD:-build/rel}/tests/test_report" "$ROOT/build/rel/tests/test_report" \
		"$ROOT/build/san/tests/test_report"; do
		if [ -x "$maker" ]; then
			"$maker" --make-store "$1"
			return
		fi
	done
	echo "no test_report binary: run 'make unit' first" >&2
	return 1
}

check() { # check NAME COMMAND...: run a check, print ok/FAIL, remember failure
	local name=$1
	shift
	if "$@"; then
		echo "ok   $name"
	else
		echo "FAIL $name"
		FAILED=1
	fi
}
FAILED=0
