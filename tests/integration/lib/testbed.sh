# Shared by the integration tests that need a testbed: source it, then call
# tb_up DIR ARGS... ; the EXIT trap brings every testbed down (by the PIDs
# it recorded) and removes the scratch directories, even when a check fails.
TESTBED=${TESTBED:-$ROOT/tests/testbed/testbed.py}
PY=/usr/bin/python3
SWARMWATCH=${SWARMWATCH:-$ROOT/swarmwatch}
TB_DIRS=()
TB_FAILED=0

tb_cleanup() {
	local d
	# Every testbed down first (a scratch dir may hold a testbed's pids
	# file), then the directories.
	for d in "${TB_DIRS[@]}"; do
		[ -f "$d/pids" ] && $PY "$TESTBED" down --dir "$d" >/dev/null 2>&1
	done
	for d in "${TB_DIRS[@]}"; do
		rm -rf "$d"
	done
	return 0
}
trap tb_cleanup EXIT

tb_up() {
	local dir=$1
	shift
	TB_DIRS+=("$dir")
	$PY "$TESTBED" up --dir "$dir" "$@" >"$dir.up.json" 2>"$dir.up.log" || {
		echo "testbed up failed:"
		tail -20 "$dir.up.log"
		return 1
	}
}

check() { # check NAME COMMAND...: run a check, print ok/FAIL, remember failure
	local name=$1
	shift
	if "$@"; then
		echo "ok   $name"
	else
		echo "FAIL $name"
		TB_FAILED=1
	fi
}
