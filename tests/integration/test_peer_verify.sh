#!/usr/bin/env bash
# Verification against real clients: every peer of a swarm of aria2c,
# transmission, qbittorrent-nox, rtorrent and libtorrent peers is connected
# to; seeds end `verified` with have 1.0, fresh leechers `connectable` with
# have 0.0 (not verified), and leechers holding half the pieces `verified`
# with a fraction within one piece of the ground truth.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/integration/lib/testbed.sh"
work=$(mktemp -d)
TB_DIRS+=("$work")
D=$work/tb

tb_up "$D" --peers 30 --partial 4 || exit 1
echo "testbed: $(cat "$D.up.json")"
"$SWARMWATCH" count -v --allow-private --json --for 30s --reannounce 2s --udp-timeout 1s \
	--db "$work/sw.db" "$D/swarm.torrent" >"$work/count.json" 2>"$work/count.err"
check "count exits 0" test $? -eq 0
$PY - "$D/truth.json" "$work/count.json" "$work/sw.db" <<'PYEOF'
import json, sqlite3, sys
truth, count = (json.load(open(p)) for p in sys.argv[1:3])
ok = True
def check(name, cond, detail=""):
    global ok
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + detail))
    ok = ok and cond
piece = 1.0 / truth["num_pieces"]
got = {(p["ip"], p["port"]): p for p in count["peers"]}
verified_clients = set()
for t in truth["peers"]:
    p = got.get((t["ip"], t["port"]))
    label = "%s %s %s:%d (have %.2f)" % (t["client"], t["role"], t["ip"], t["port"], t["have"])
    if p is None:
        check(label + " found", False, "missing")
        continue
    if t["have"] > 0:
        good = p["tier"] == "verified" and p["have"] is not None and abs(p["have"] - t["have"]) <= piece
        if good:
            verified_clients.add(t["client"])
    else:
        good = p["tier"] == "connectable" and p["have"] == 0
    check("%-60s -> %s have %s client %s" % (label, p["tier"], p["have"], p["client"]),
          good and p["client"] is not None, json.dumps(p))
want_verified = sum(1 for t in truth["peers"] if t["have"] > 0)
check("unique_ips.verified == truth (%d)" % want_verified,
      count["unique_ips"]["verified"] == want_verified, str(count["unique_ips"]))
check("unique_ips.connectable == every peer (%d)" % len(truth["peers"]),
      count["unique_ips"]["connectable"] == len(truth["peers"]), str(count["unique_ips"]))
clients = {t["client"] for t in truth["peers"]}
check("every implementation verified: %s" % sorted(verified_clients), verified_clients == clients,
      "missing %s" % sorted(clients - verified_clients))
db = sqlite3.connect(sys.argv[3])
n = db.execute("select count(*) from swarm_peers where best_tier >= 2").fetchone()[0]
check("--db: verified addresses in swarm_peers == truth", n == want_verified, "got %d" % n)
sys.exit(0 if ok else 1)
PYEOF
[ $? -eq 0 ] || TB_FAILED=1
exit $TB_FAILED
