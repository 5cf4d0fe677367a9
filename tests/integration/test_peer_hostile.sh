#!/usr/bin/env bash
# Hostile peers (tests/testbed/fake_peer.py, named fakes), next to a real
# swarm: a 4 GB length prefix, a slowloris handshake (a byte a second), a
# flood of have messages, and 2,000 simultaneous incoming connections to
# count's listen port.  Each must be dropped with a logged reason, memory
# must stay bounded, and the real peers must be counted exactly as without
# them.  Then metadata that does not hash to the infohash: count, given a
# magnet whose only peers lie, must never accept it, and drop the liars.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/integration/lib/testbed.sh"
work=$(mktemp -d)
[ -n "${KEEP:-}" ] || TB_DIRS+=("$work")
echo "work: $work"
D=$work/tb
FAKE=$ROOT/tests/testbed/fake_peer.py

tb_up "$D" --peers 12 --hostile huge-prefix,slowloris,have-flood || exit 1
echo "testbed: $(cat "$D.up.json")"
slot=$($PY -c "import json,sys; print(json.load(open(sys.argv[1]))['slot'])" "$D/truth.json")
listen="127.$slot.0.10:$((42000 + slot))"

# The flood starts 3 s into the run, from two source addresses.
(sleep 3; exec $PY "$FAKE" incoming-flood --target "$listen" --count 2000 --hold 10 \
	--sources "127.$slot.0.11,127.$slot.0.12" --for 40) >"$work/flood.json" 2>"$work/flood.err" &
flood_pid=$!
trap 'kill $flood_pid 2>/dev/null; tb_cleanup' EXIT
/usr/bin/time -v "$SWARMWATCH" count -v --allow-private --json --for 30s --reannounce 2s \
	--udp-timeout 1s --listen "$listen" "$D/swarm.torrent" >"$work/count.json" 2>"$work/count.err"
check "count exits 0" test $? -eq 0
wait $flood_pid 2>/dev/null
$PY - "$D/truth.json" "$work/count.json" "$work/count.err" "$work/flood.json" <<'PYEOF'
import json, re, sys
truth, count = (json.load(open(p)) for p in sys.argv[1:3])
log = open(sys.argv[3]).read()
flood = [json.loads(l) for l in open(sys.argv[4]) if l.strip()]
ok = True
def check(name, cond, detail=""):
    global ok
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + detail))
    ok = ok and cond
got = {(p["ip"], p["port"]): p for p in count["peers"]}
reason = {"huge-prefix": "length prefix too large", "slowloris": "handshake not complete in time",
          "have-flood": "have flood"}
for f in truth["fakes"]:
    ep = "%s:%d" % (f["ip"], f["port"])
    p = got.get((f["ip"], f["port"]))
    lines = [l for l in log.splitlines() if ep in l and "dropped" in l]
    check("hostile %-12s %s: seen only, dropped: %s" % (f["mode"], ep, lines[0].split(": ", 2)[-1] if lines else None),
          p is not None and p["tier"] == "seen" and any(reason[f["mode"]] in l for l in lines),
          json.dumps(p))
real = truth["peers"]
want_verified = sum(1 for t in real if t["have"] > 0)
check("real peers unaffected: verified == truth (%d)" % want_verified,
      count["unique_ips"]["verified"] == want_verified, str(count["unique_ips"]))
check("real peers unaffected: connectable == truth (%d)" % len(real),
      count["unique_ips"]["connectable"] == len(real), str(count["unique_ips"]))
refused = len(re.findall(r"incoming .*refused", log))
summary = flood[-1] if flood else {}
check("incoming flood ran (%s)" % {k: summary.get(k) for k in ("attempted", "connected", "closed_by_target")},
      summary.get("attempted", 0) >= 2000 and summary.get("connected", 0) > 0, json.dumps(summary))
check("incoming flood refused with logged reasons (%d lines)" % refused, refused > 0)
sources = set(summary.get("sources", []) or [])
if not sources and flood:
    sources = set(flood[0].get("sources", []))
flooders = [p for p in count["peers"] if p["ip"] in sources]
check("incoming flood not counted (sources %s)" % sorted(sources), sources and not flooders,
      json.dumps(flooders[:3]))
own = [p for p in count["peers"] if p["client"] and p["client"].startswith("swarmwatch")]
check("we never count ourselves", not own, json.dumps(own))
m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", log)
rss = int(m.group(1)) // 1024 if m else -1
check("memory bounded: max RSS %d MB < 400 MB (ASan build included)" % rss, 0 < rss < 400)
sys.exit(0 if ok else 1)
PYEOF
[ $? -eq 0 ] || TB_FAILED=1

# Metadata liars: a magnet for an infohash whose only peers serve metadata
# that does not hash to it.  A minimal HTTP tracker (below) names them.
ih=$($PY -c "import os; print(os.urandom(20).hex())")
$PY "$FAKE" --infohash "$ih" --host "127.$slot.0.20" --mode bad-metadata --mode bad-metadata \
	--metadata-size 40000 --for 60 >"$work/liars.json" 2>"$work/liars.err" &
liars_pid=$!
for _ in $(seq 100); do [ -s "$work/liars.json" ] && break; sleep 0.1; done
tport=$((43000 + slot))
$PY - "$work/liars.json" "127.$slot.0.21" "$tport" >"$work/tracker.log" 2>&1 <<'PYEOF' &
# A tracker for this test only: every announce gets the liars, nothing else.
import http.server, json, socket, struct, sys, threading
eps = json.loads(open(sys.argv[1]).readline())["endpoints"]
peers = b"".join(socket.inet_aton(e["ip"]) + struct.pack(">H", e["port"]) for e in eps)
body = b"d8:intervali1800e5:peers%d:%se" % (len(peers), peers)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", str(len(body)))
        self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
srv = http.server.HTTPServer((sys.argv[2], int(sys.argv[3])), H)
threading.Timer(60, srv.shutdown).start()
srv.serve_forever()
PYEOF
tracker_pid=$!
trap 'kill $flood_pid $liars_pid $tracker_pid 2>/dev/null; tb_cleanup' EXIT
tracker="http://127.$slot.0.21:$tport/announce"
sleep 1
"$SWARMWATCH" count -v --allow-private --json --for 15s --reannounce 2s --udp-timeout 1s \
	"magnet:?xt=urn:btih:$ih&tr=$tracker" >"$work/count2.json" 2>"$work/count2.err"
check "magnet count exits 0" test $? -eq 0
$PY - "$work/liars.json" "$work/count2.json" "$work/count2.err" <<'PYEOF'
import json, sys
liars = json.loads(open(sys.argv[1]).readline())
count = json.load(open(sys.argv[2]))
log = open(sys.argv[3]).read()
ok = True
def check(name, cond, detail=""):
    global ok
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + detail))
    ok = ok and cond
check("metadata from liars never accepted (name null)", count["name"] is None, repr(count["name"]))
got = {(p["ip"], p["port"]): p for p in count["peers"]}
for e in liars["endpoints"]:
    ep = "%s:%d" % (e["ip"], e["port"])
    p = got.get((e["ip"], e["port"]))
    lied = any(ep in l and "does not hash" in l and "peer dropped" in l for l in log.splitlines())
    check("liar %s: 'does not hash', dropped, seen only" % ep,
          lied and p is not None and p["tier"] == "seen", json.dumps(p))
sys.exit(0 if ok else 1)
PYEOF
[ $? -eq 0 ] || TB_FAILED=1
kill $liars_pid $tracker_pid 2>/dev/null
exit $TB_FAILED
