#!/usr/bin/env bash
# test_dht_crawl.sh - `swarmwatch crawl` against the DHT test bed
# (tests/testbed/dht_testbed.py, default sizes: ~267 real nodes, libtorrent
# and npm bittorrent-dht, 3 DHT-only swarms, 100 extra stored infohashes of
# which 20 are real torrents, a liar), compared with the bed's truth.json:
#
#   1. crawl --for 120s --json --db: at least 90% of the infohashes stored
#      in the DHT are reported, and how soon 90% were (issue 5: within 5
#      minutes); every infohash reported is one the DHT stores (a get_peers
#      we merely receive is no proof); every infohash whose peers are
#      reachable (real torrents, swarms) has the truth's name, and none of
#      the others has a name; no infohash has more peers than the truth
#      (the liar's fake peers are discounted); the store holds exactly the
#      reported infohashes, source "dht", with the same names.
#   2. crawl --no-metadata (text): one "HEX ?" line per infohash, the same
#      90% and nothing else.
#   3. SIGINT ends a 5-minute crawl at once, exit 0, output printed.
#   4. Usage errors exit 2.
#
# Prints one line per check and the figures; exits 0 only if all passed.
# Usage: bash tests/integration/test_dht_crawl.sh   (from any cwd)
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
TESTBED=$ROOT/tests/testbed/dht_testbed.py
. tests/integration/lib/testbed.sh
CRAWL_FOR=${CRAWL_FOR:-75s}

[ -x "$SWARMWATCH" ] || { echo "FAIL no $SWARMWATCH (run make)"; exit 1; }
W=$(mktemp -d /tmp/test_dht_crawl.XXXXXX)
TB_DIRS+=("$W")
D=$W/bed
mkdir -p "$D"
tb_up "$D" || exit 1
T=$D/truth.json
B=$(jq -r .bootstrap "$T")
S=$(jq -r .slot "$T")
echo "test bed: $(cat "$D.up.json")"

# --- 1. the crawl, with metadata and a store -----------------------------------------
t0=$(date +%s.%N)
"$SWARMWATCH" crawl --for "$CRAWL_FOR" --json --dht-bootstrap "$B" --allow-private \
	--listen "127.$S.0.10:0" --db "$W/crawl.db" >"$W/crawl.json" 2>"$W/crawl.err"
rc=$?
echo "crawl: exit $rc in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s; $(tail -1 "$W/crawl.err")"
check "crawl exits 0" test $rc -eq 0
sqlite3 -separator ' ' "$W/crawl.db" "select lower(hex(infohash)), source, coalesce(name, '?') from torrents" \
	>"$W/db.txt" 2>"$W/db.err" || echo "sqlite3: $(cat "$W/db.err")"

$PY - "$T" "$W/crawl.json" "$W/db.txt" <<'PYEOF'
import json, sys
truth = json.load(open(sys.argv[1]))
out = json.load(open(sys.argv[2]))
fails = 0
def check(cond, msg):
    global fails
    print(("ok   " if cond else "FAIL ") + msg)
    fails += 0 if cond else 1

stored = {x["infohash"]: x for x in truth["stored_infohashes"]}
swarm_peers = {s["infohash"]: len(s["peers"]) for s in truth["swarms"]}
got = {x["infohash"].lower(): x for x in out["infohashes"]}
found = set(stored) & set(got)
extra = set(got) - set(stored)
times = sorted(got[h]["found_s"] for h in found)
need = -(-9 * len(stored) // 10)  # 90 %, rounded up
t90 = times[need - 1] if len(times) >= need else None
check(len(found) >= need,
      "discovered %d of the %d stored infohashes (>= 90%%: %d); 90%% reached %s s after the start"
      % (len(found), len(stored), need, "%.1f" % t90 if t90 is not None else "never"))
check(t90 is not None and t90 <= 300, "90% within 5 minutes")
check(not extra, "nothing reported that the DHT does not store (%d extra; %d infohashes only "
      "asked for were left out)" % (len(extra), out["unconfirmed"]))
reach = [h for h, x in stored.items() if x["reachable"]]
right = [h for h in reach if h in got and got[h]["name"] == stored[h]["name"]]
wrong = [h for h in got if h in stored and got[h]["name"] not in (None, stored[h]["name"])]
check(len(right) == len(reach) and not wrong,
      "names of every infohash with reachable peers: %d/%d right, %d wrong"
      % (len(right), len(reach), len(wrong)))
check(all(got[h]["name"] is None for h in found if not stored[h]["reachable"]),
      "no name for the %d announced-only infohashes (no peer has their metadata)"
      % sum(1 for h in stored if not stored[h]["reachable"]))
over = [h for h in found if got[h]["peers"] > len(stored[h]["peers"])]
check(not over and all(got[h]["peers"] >= 1 for h in found if got[h]["name"]),
      "peers per infohash never above the truth's (the liar's %d fakes discounted; %d liar(s) "
      "found, %d values discounted); swarms: %s"
      % (len(truth["fakes"]), out["dht"]["liars"], out["dht"]["values_discounted"],
         ", ".join("%d/%d" % (got.get(h, {}).get("peers", 0), n) for h, n in swarm_peers.items())))
rows = [l.split(" ", 2) for l in open(sys.argv[3]).read().splitlines()]
db = {r[0]: r for r in rows}
check(set(db) == set(got) and all(r[1] == "dht" for r in rows)
      and all((got[h]["name"] or "?") == db[h][2] for h in got),
      "--db: %d torrents, source dht, the same names (%d named)"
      % (len(db), sum(1 for r in rows if r[2] != "?")))
print("figures: %d/%d discovered, 90%% at %s s, %d/%d named, %d passive-only left out, "
      "dht: %d nodes, %d sample queries, %d samples"
      % (len(found), len(stored), t90, len(right), len(reach), out["unconfirmed"],
         out["dht"]["nodes"], out["dht"]["sample_queries"], out["dht"]["samples"]))
sys.exit(1 if fails else 0)
PYEOF
[ $? -eq 0 ] || TB_FAILED=1

# --- 2. without metadata, text output ------------------------------------------------
"$SWARMWATCH" crawl --for 20s --no-metadata --dht-bootstrap "$B" --allow-private \
	--listen "127.$S.0.11:0" >"$W/crawl.txt" 2>"$W/crawl2.err"
rc=$?
$PY - "$T" "$W/crawl.txt" "$rc" <<'PYEOF'
import json, re, sys
truth = json.load(open(sys.argv[1]))
stored = {x["infohash"] for x in truth["stored_infohashes"]}
lines = open(sys.argv[2]).read().splitlines()
ok_form = all(re.fullmatch(r"[0-9a-f]{40} \?", l) for l in lines)
ihs = {l[:40] for l in lines}
need = -(-9 * len(stored) // 10)
good = sys.argv[3] == "0" and ok_form and len(ihs) == len(lines) and ihs <= stored \
    and len(ihs & stored) >= need
print(("ok   " if good else "FAIL ") + "--no-metadata --for 20s: exit %s, %d lines \"HEX ?\" "
      "(well formed: %s), %d of %d stored, %d not stored"
      % (sys.argv[3], len(lines), ok_form, len(ihs & stored), len(stored), len(ihs - stored)))
sys.exit(0 if good else 1)
PYEOF
[ $? -eq 0 ] || TB_FAILED=1

# --- 3. SIGINT -----------------------------------------------------------------------
"$SWARMWATCH" crawl --for 5m --no-metadata --dht-bootstrap "$B" --allow-private \
	--listen "127.$S.0.12:0" >"$W/int.txt" 2>"$W/int.err" &
P=$!
sleep 8
ts=$(date +%s.%N)
kill -INT $P
wait $P
rc=$?
el=$(awk -v a="$ts" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
check "SIGINT: exit $rc after ${el} s, $(wc -l <"$W/int.txt") lines, summary says interrupted" \
	test $rc -eq 0 -a "$(wc -l <"$W/int.txt")" -gt 0 -a "$(grep -c interrupted "$W/int.err")" = 1 \
	-a "$(awk -v e="$el" 'BEGIN { print (e < 3) }')" = 1

# --- 4. usage ------------------------------------------------------------------------
usage_rc() { "$SWARMWATCH" crawl "$@" >/dev/null 2>&1; echo $?; }
check "usage errors exit 2 (--qps 0, an argument, --listen nope, --for x, bad bootstrap)" \
	test "$(usage_rc --qps 0)$(usage_rc extra)$(usage_rc --listen nope)$(usage_rc --for x)$(usage_rc --dht-bootstrap 'no port' --for 1s)" = 22222

if [ $TB_FAILED -eq 0 ]; then
	echo "test_dht_crawl: all checks passed"
	exit 0
fi
echo "test_dht_crawl: some checks failed"
exit 1
