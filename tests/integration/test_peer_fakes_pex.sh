#!/usr/bin/env bash
# Two things a tracker-only count gets wrong, on one testbed:
#  - PEX: libtorrent peers known to no tracker join through a tracked peer;
#    count must learn them from ut_pex (source "pex") and verify them.
#  - The printer case: 20 addresses registered with the trackers that are
#    no peers (tests/testbed/fake_peer.py, named fakes: nothing listening,
#    a listener that closes at once, a handshake for another infohash,
#    garbage, a bitfield of the wrong length).  Every one must end `seen`
#    only, and the verified count must equal the ground truth exactly.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/integration/lib/testbed.sh"
work=$(mktemp -d)
TB_DIRS+=("$work")
D=$work/tb

tb_up "$D" --peers 20 --hidden 4 --fakes 20 || exit 1
echo "testbed: $(cat "$D.up.json")"
"$SWARMWATCH" count -v --allow-private --json --for 30s --reannounce 2s --udp-timeout 1s \
	"$D/swarm.torrent" >"$work/count.json" 2>"$work/count.err"
check "count exits 0" test $? -eq 0
$PY - "$D/truth.json" "$work/count.json" "$work/count.err" <<'PYEOF'
import json, sys
truth, count = (json.load(open(p)) for p in sys.argv[1:3])
log = open(sys.argv[3]).read()
ok = True
def check(name, cond, detail=""):
    global ok
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + detail))
    ok = ok and cond
got = {(p["ip"], p["port"]): p for p in count["peers"]}
fakes = truth["fakes"]
modes = sorted({f["mode"] for f in fakes})
check("%d fakes in %d modes %s" % (len(fakes), len(modes), modes), len(fakes) >= 20 and len(modes) >= 5)
for f in fakes:
    p = got.get((f["ip"], f["port"]))
    ep = "%s:%d" % (f["ip"], f["port"])
    check("fake %-15s %s ends seen, and its drop is logged" % (f["mode"], ep),
          p is not None and p["tier"] == "seen" and ep in log, json.dumps(p))
hidden = [t for t in truth["peers"] if t.get("hidden")]
check("%d hidden peers (no tracker)" % len(hidden), len(hidden) >= 4)
for t in hidden:
    p = got.get((t["ip"], t["port"]))
    want = "verified" if t["have"] > 0 else "connectable"
    check("hidden %s:%d learned by PEX and %s" % (t["ip"], t["port"], want),
          p is not None and "pex" in p["sources"] and p["tier"] == want, json.dumps(p))
real = truth["peers"]
want_verified = sum(1 for t in real if t["have"] > 0)
check("verified == truth exactly (%d)" % want_verified,
      count["unique_ips"]["verified"] == want_verified, str(count["unique_ips"]))
check("connectable == the real peers (%d)" % len(real),
      count["unique_ips"]["connectable"] == len(real), str(count["unique_ips"]))
check("seen == real peers + fakes (%d)" % (len(real) + len(fakes)),
      count["unique_ips"]["seen"] == len(real) + len(fakes), str(count["unique_ips"]))
check("by_source.pex counts the hidden peers", count["by_source"]["pex"] >= len(hidden),
      str(count["by_source"]))
sys.exit(0 if ok else 1)
PYEOF
[ $? -eq 0 ] || TB_FAILED=1

# The same swarm from a magnet: bitfields that arrive before the metadata
# are checked once it is known (fakes stay `seen`), and peers visited
# before it are visited again.
magnet=$($PY -c '
import json, sys, urllib.parse
t = json.load(open(sys.argv[1]))
print("magnet:?xt=urn:btih:" + t["infohash"] + "".join("&tr=" + urllib.parse.quote(x["url"], safe="") for x in t["trackers"]))' "$D/truth.json")
"$SWARMWATCH" count -v --allow-private --json --for 30s --reannounce 2s --udp-timeout 1s \
	"$magnet" >"$work/magnet.json" 2>"$work/magnet.err"
check "magnet count exits 0" test $? -eq 0
$PY - "$D/truth.json" "$work/magnet.json" <<'PYEOF'
import json, sys
truth, count = (json.load(open(p)) for p in sys.argv[1:3])
got = {(p["ip"], p["port"]): p for p in count["peers"]}
ok = True
def check(name, cond, detail=""):
    global ok
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + detail))
    ok = ok and cond
check("magnet: name from verified metadata", count["name"] == truth["name"], repr(count["name"]))
bad = [f for f in truth["fakes"] if got.get((f["ip"], f["port"]), {}).get("tier") != "seen"]
check("magnet: every fake seen only", not bad, json.dumps(bad[:3]))
# Not asserted yet: from a magnet, the connectable and verified counts fell
# short of the truth in some runs (22 of 24, 10 of 12); see the closing note
# of the peer-wire issue.  Nothing may be over-counted, though.
want = sum(1 for t in truth["peers"] if t["have"] > 0)
print("info magnet: verified %d of %d, connectable %d of %d" % (
    count["unique_ips"]["verified"], want, count["unique_ips"]["connectable"], len(truth["peers"])))
check("magnet: never more verified or connectable than the truth",
      count["unique_ips"]["verified"] <= want and
      count["unique_ips"]["connectable"] <= len(truth["peers"]), str(count["unique_ips"]))
sys.exit(0 if ok else 1)
PYEOF
[ $? -eq 0 ] || TB_FAILED=1
exit $TB_FAILED
