#!/usr/bin/env bash
# A swarm larger than one announce reply: 500 peers (opentracker hands out
# at most 200 per announce, bittorrent-tracker 82, each a random sample).
# With a lowered --reannounce, count must find every one of them within
# the run: unique_ips.seen equals the ground truth exactly.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/integration/lib/testbed.sh"
work=$(mktemp -d)
TB_DIRS+=("$work")
D=$work/tb

tb_up "$D" --peers 500 || exit 1
echo "testbed: $(cat "$D.up.json")"
"$SWARMWATCH" count --allow-private --json --for 60s --reannounce 1s --udp-timeout 1s \
	"$D/swarm.torrent" >"$work/count.json" 2>"$work/count.err"
check "count exits 0" test $? -eq 0
$PY - "$D/truth.json" "$work/count.json" <<'PYEOF'
import json, sys
truth, count = (json.load(open(p)) for p in sys.argv[1:3])
want = {(p["ip"], p["port"]) for p in truth["peers"]}
got = {(p["ip"], p["port"]) for p in count["peers"]}
ok = len(want) == 500 and got == want and count["unique_ips"]["seen"] == 500
print(("ok   " if ok else "FAIL ") + "500-peer swarm found exactly: seen %d, missing %d, extra %d"
      % (count["unique_ips"]["seen"], len(want - got), len(got - want)))
sys.exit(0 if ok else 1)
PYEOF
[ $? -eq 0 ] || TB_FAILED=1
exit $TB_FAILED
