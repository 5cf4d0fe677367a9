#!/usr/bin/env bash
# Hostile trackers (tests/testbed/fake_tracker.py, a named fake) next to the
# real ones of a real swarm: an HTML page, a compact peer string whose length
# is not a multiple of 6, a 50 MB reply (with and without Content-Length),
# UDP replies with a wrong transaction id (to connect, and to announce), and
# a tracker that never answers (HTTP and UDP).  Each must get a clear error
# of its own in the JSON, the run must end on time, and the real trackers'
# peers must all be counted, and nothing else.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/integration/lib/testbed.sh"
work=$(mktemp -d)
TB_DIRS+=("$work")
D=$work/tb
FOR=30

tb_up "$D" --peers 20 || exit 1
slot=$($PY -c "import json,sys; print(json.load(open(sys.argv[1]))['slot'])" "$D/truth.json")
$PY "$ROOT/tests/testbed/fake_tracker.py" --host "127.$slot.0.20" --for $((FOR + 30)) \
	>"$work/fake.json" 2>"$work/fake.err" &
fake_pid=$!
trap 'kill $fake_pid 2>/dev/null; wait $fake_pid 2>/dev/null; tb_cleanup' EXIT
for _ in $(seq 50); do [ -s "$work/fake.json" ] && break; sleep 0.1; done
urls=$($PY -c "import json,sys; print(' '.join('--tracker ' + u for u in json.load(open(sys.argv[1]))['urls'].values()))" "$work/fake.json")

start=$(date +%s.%N)
# shellcheck disable=SC2086
"$SWARMWATCH" count --allow-private --json --for ${FOR}s --reannounce 2s --udp-timeout 1s \
	$urls "$D/swarm.torrent" >"$work/count.json" 2>"$work/count.err"
status=$?
end=$(date +%s.%N)
check "count exits 0" test "$status" -eq 0
$PY - "$D/truth.json" "$work/count.json" "$work/fake.json" "$start" "$end" "$FOR" <<'PYEOF'
import json, sys
truth, count, fake = (json.load(open(p)) for p in sys.argv[1:4])
start, end, dur = float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
ok = True
def check(name, cond, detail=""):
    global ok
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + detail))
    ok = ok and cond
expect = {  # fake mode -> a phrase its error must contain
    "html": "not bencode",
    "truncated-compact": "not a multiple of 6",
    "huge": "larger than",
    "huge-nolength": "larger than",
    "udp-wrong-txid": "wrong transaction id",
    "udp-wrong-txid-announce": "wrong transaction id",
    "silent": "imed out",
    "silent-udp": "no reply after",
}
by_url = {t["url"]: t for t in count["trackers"]}
for mode, url in fake["urls"].items():
    t = by_url.get(url)
    phrase = expect.get(mode, "")
    check("fake %-24s: %s" % (mode, t and t["error"]),
          t is not None and not t["ok"] and t["error"] and phrase in t["error"],
          json.dumps(t))
for t in truth["trackers"]:
    r = by_url.get(t["url"], {})
    check("real tracker answered: " + t["url"], r.get("ok") is True, json.dumps(r))
want = {(p["ip"], p["port"]) for p in truth["peers"]}
got = {(p["ip"], p["port"]) for p in count["peers"]}
check("every real peer counted, nothing else (%d)" % len(want), got == want,
      "missing %s extra %s" % (sorted(want - got)[:5], sorted(got - want)[:5]))
check("run ended on time (%.1f s for --for %.0fs)" % (end - start, dur), end - start < dur + 8)
sys.exit(0 if ok else 1)
PYEOF
[ $? -eq 0 ] || TB_FAILED=1
exit $TB_FAILED
