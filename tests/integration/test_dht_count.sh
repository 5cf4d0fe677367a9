#!/usr/bin/env bash
# test_dht_count.sh - `swarmwatch count` finds swarms through the DHT alone.
#
# The DHT test bed (tests/testbed/dht_testbed.py: >= 200 real nodes,
# libtorrent and npm bittorrent-dht, swarms announced only in the DHT, a
# named liar next to swarm 0) is brought up, then:
#
#   1. swarm 0 (24 peers, the liar among its closest nodes):
#      `count MAGNET --no-trackers --dht-bootstrap BOOT --allow-private
#      --for 45s --db`: every announcing peer found (the issue asks >= 95%)
#      from source dht, all connectable, the seeds verified (peers with
#      pieces); none of the liar's 8 fake addresses counted; the liar
#      detected and its values discounted; the BEP 33 estimate within 20 %
#      of the true seeders and leechers, also stored as a "dht" scrape.
#   2. swarm 1 while fake_dht.py hostile (random bytes, bencode bombs,
#      wrong transaction ids, a 10,000 packet/s flood, bad nodes6) hits our
#      DHT port: still every peer found; the garbage dropped and counted;
#      our node still answers a ping from another address; max RSS bounded.
#   3. the watch daemon finds a title's torrent in the DHT: swarm 0 is named
#      "Fury.2014.DVDScr.XVID.AC3.HQ.Hive-CM8.avi" (a true release of Fury
#      2014), swarm 1 "Annie.Hall.1977.720p.BluRay.x264.mkv" (a confuser of
#      Annie 2014); `watch --crawl` with a watchlist of Fury and Annie (no
#      torrent, no feed) crawls the DHT (BEP 51), fetches names (BEP 9),
#      links the Fury release and only it, and counts its peers exactly.
#
# (One test bed for the three, to keep CI short.)
#
# Prints one line per check; exits 0 only if all passed.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
PY=/usr/bin/python3
SW=${SWARMWATCH:-$ROOT/swarmwatch}
DTB="$PY $ROOT/tests/testbed/dht_testbed.py"

fails=0
check() { # check NAME COND [DETAIL]
	if [ "$2" = 1 ]; then echo "ok   $1"; else echo "FAIL $1 ${3:-}"; fails=$((fails + 1)); fi
}

WORK=$(mktemp -d /tmp/test_dht_count.XXXXXX)
D=$WORK/dht
cleanup() {
	$DTB down --dir "$D" >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT

t0=$(date +%s)
if ! $DTB up --dir "$D" --quiet --swarm-name "Fury.2014.DVDScr.XVID.AC3.HQ.Hive-CM8.avi" \
	--swarm-name "Annie.Hall.1977.720p.BluRay.x264.mkv" >"$WORK/up.json" 2>"$WORK/up.err"; then
	echo "FAIL dht testbed up"; tail -20 "$WORK/up.err"; exit 1
fi
echo "dht testbed up in $(($(date +%s) - t0)) s: $(cat "$WORK/up.json")"
read -r SLOT BOOT <<<"$($PY -c 'import json,sys; t=json.load(open(sys.argv[1])); print(t["slot"], t["bootstrap"])' "$D/truth.json")"
magnet() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["swarms"][int(sys.argv[2])]["magnet"])' "$D/truth.json" "$1"; }

# --- 1. swarm 0, next to the liar ------------------------------------------------
# (--no-dht-announce: this run must not leave itself in the swarm for part 3)
"$SW" count "$(magnet 0)" --no-trackers --dht-bootstrap "$BOOT" --allow-private --for 45s \
	--no-dht-announce \
	--listen "127.$SLOT.0.10:0" --db "$WORK/c0.db" --json >"$WORK/c0.json" 2>"$WORK/c0.err"
check "count swarm 0 exits 0" "$([ $? = 0 ] && echo 1)" "$(tail -3 "$WORK/c0.err")"
$PY - "$D/truth.json" "$WORK/c0.json" 0 <<'EOF' >"$WORK/c0.checks"
import json, sys
t = json.load(open(sys.argv[1])); c = json.load(open(sys.argv[2])); i = int(sys.argv[3])
sw = t["swarms"][i]
want = {(p["ip"], p["port"]) for p in sw["peers"]}
got = {(p["ip"], p["port"]) for p in c["peers"]}
fakes = {(f["ip"], f["port"]) for f in t["fakes"]}
seeds = sum(1 for p in sw["peers"] if p["seed"])
d = c["dht"]
def out(name, cond, detail=""):
    print("%s\t%d\t%s" % (name, 1 if cond else 0, detail))
found = len(want & got)
out("found %d of %d announcing peers (>= 95%%)" % (found, len(want)), found >= 0.95 * len(want))
out("every announcing peer found", found == len(want), "missing %s" % sorted(want - got)[:5])
out("nothing counted that is not in the swarm", got <= want, "extra %s" % sorted(got - want)[:5])
out("no liar's fake address counted", not (got & fakes))
out("by_source.dht == %d" % len(want), c["by_source"]["dht"] == len(want), str(c["by_source"]))
out("connectable == %d" % len(want), c["unique_ips"]["connectable"] == len(want), str(c["unique_ips"]))
out("verified == %d seeds" % seeds, c["unique_ips"]["verified"] == seeds, str(c["unique_ips"]))
if i == 0:
    out("the liar detected (dht.liars >= 1)", d["liars"] >= 1, str(d))
    out("its values discounted (>= %d)" % len(fakes), d["values_discounted"] >= len(fakes), str(d))
es, el = d["estimated_seeders"], d["estimated_leechers"]
out("BEP 33 seeders %s within 20%% of %d" % (es, sw["seeders"]),
    es is not None and abs(es - sw["seeders"]) <= 0.2 * sw["seeders"])
out("BEP 33 leechers %s within 20%% of %d" % (el, sw["leechers"]),
    el is not None and abs(el - sw["leechers"]) <= 0.2 * sw["leechers"])
out("dht.nodes > 0 (%d)" % d["nodes"], d["nodes"] > 0)
EOF
check "swarm 0: the checks ran" "$([ $? = 0 ] && [ "$(wc -l <"$WORK/c0.checks")" -ge 12 ] && echo 1)"
while IFS=$'\t' read -r name ok detail; do check "swarm 0: $name" "$ok" "$detail"; done <"$WORK/c0.checks"
n=$(sqlite3 "$WORK/c0.db" "SELECT count(*) FROM scrapes WHERE tracker = 'dht' AND seeders IS NOT NULL")
check "--db: the BEP 33 estimate stored as a 'dht' scrape" "$([ "${n:-0}" -ge 1 ] && echo 1)" "rows: $n"
n=$(sqlite3 "$WORK/c0.db" "SELECT count(*) FROM swarm_peers")
check "--db: 24 addresses in swarm_peers" "$([ "${n:-0}" = 24 ] && echo 1)" "rows: $n"

# --- 2. swarm 1 under hostile input -------------------------------------------------
DPORT=$($PY -c 'import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' "127.$SLOT.0.11")
/usr/bin/time -f "%M" -o "$WORK/c1.rss" "$SW" count "$(magnet 1)" --no-trackers --no-dht-announce \
	--dht-bootstrap "$BOOT" --allow-private --for 40s --listen "127.$SLOT.0.11:0" \
	--dht-port "$DPORT" --json >"$WORK/c1.json" 2>"$WORK/c1.err" &
cpid=$!
sleep 4
$PY "$ROOT/tests/testbed/fake_dht.py" hostile --target "127.$SLOT.0.11:$DPORT" --mode all \
	--for 3 --source "127.$SLOT.0.12" --check-from "127.$SLOT.0.13" >"$WORK/hostile.json" 2>&1
wait $cpid
check "count swarm 1 under attack exits 0" "$([ $? = 0 ] && echo 1)" "$(tail -3 "$WORK/c1.err")"
$PY - "$D/truth.json" "$WORK/c1.json" 1 <<'EOF' >"$WORK/c1.checks"
import json, sys
t = json.load(open(sys.argv[1])); c = json.load(open(sys.argv[2])); i = int(sys.argv[3])
want = {(p["ip"], p["port"]) for p in t["swarms"][i]["peers"]}
got = {(p["ip"], p["port"]) for p in c["peers"]}
print("every announcing peer found (%d)\t%d\tmissing %s" % (len(want), int(want <= got), sorted(want - got)[:5]))
print("nothing else counted\t%d\textra %s" % (int(got <= want), sorted(got - want)[:5]))
dr = c["dht"]["dropped"]
print("garbage dropped and counted (parse + rate limit + transaction = %d)\t%d\t%s" % (
    dr["parse"] + dr["rate_limit"] + dr["transaction"],
    int(dr["parse"] + dr["rate_limit"] + dr["transaction"] >= 10000), str(dr)))
EOF
check "swarm 1: the checks ran" "$([ $? = 0 ] && [ "$(wc -l <"$WORK/c1.checks")" = 3 ] && echo 1)"
while IFS=$'\t' read -r name ok detail; do check "swarm 1: $name" "$ok" "$detail"; done <"$WORK/c1.checks"
alive=$($PY -c 'import json,sys
for l in open(sys.argv[1]):
    try: j = json.loads(l)
    except ValueError: continue
    if "summary" in j: print(1 if j["summary"].get("target_answers_ping_after") else 0)' "$WORK/hostile.json")
check "our node answered a ping from another address after the attack" "${alive:-0}" "$(tail -2 "$WORK/hostile.json")"
rss=$(tail -1 "$WORK/c1.rss")
check "max RSS under attack ${rss} KB < 100 MB" "$([ "${rss:-999999}" -lt 102400 ] && echo 1)"


# --- 3. watch --crawl ------------------------------------------------------------
cat >"$WORK/w.ini" <<EOF
[swarmwatch]
database = w.db

[title "Fury"]
year = 2014

[title "Annie"]
year = 2014
EOF
"$SW" watch "$WORK/w.ini" --crawl 50 --for 90s --allow-private --dht-bootstrap "$BOOT" \
	--listen "127.$SLOT.0.14:0" --json >"$WORK/w.json" 2>"$WORK/w.err"
check "watch --crawl exits 0" "$([ $? = 0 ] && echo 1)" "$(tail -3 "$WORK/w.err")"
grep "dht crawl:" "$WORK/w.err" | sed 's/^/    /'
$PY - "$D/truth.json" "$WORK/w.json" "$WORK/w.db" <<'EOF' >"$WORK/checks"
import json, sqlite3, sys
t = json.load(open(sys.argv[1])); w = json.load(open(sys.argv[2]))
db = sqlite3.connect(sys.argv[3])
fury, annie_hall = t["swarms"][0], t["swarms"][1]
def out(name, cond, detail=""):
    print("%s\t%d\t%s" % (name, 1 if cond else 0, detail))
linked = {bytes(ih).hex(): tid for ih, tid in
          db.execute("SELECT infohash, title_id FROM torrents WHERE title_id IS NOT NULL")}
titles = {i: n for i, n in db.execute("SELECT id, name FROM titles")}
out("the crawl found >= 90%% of the stored infohashes (%d of %d)" % (
    w["crawl_found"], len(t["stored_infohashes"])),
    w["crawl_found"] >= 0.9 * len(t["stored_infohashes"]))
out("the Fury release is linked to Fury", titles.get(linked.get(fury["infohash"])) == "Fury",
    str(linked))
out("Annie Hall (1977) is not linked", annie_hall["infohash"] not in linked)
out("nothing else is linked", len(linked) == 1, str(linked))
f = {x["title"]: x for x in w["titles"]}["Fury"]["unique_ips"]
n, seeds = len(fury["peers"]), sum(1 for p in fury["peers"] if p["seed"])
out("Fury: seen %d == %d, connectable %d == %d, verified %d == %d seeds" % (
    f["seen"], n, f["connectable"], n, f["verified"], seeds),
    f == {"seen": n, "connectable": n, "verified": seeds})
EOF
check "the checks ran" "$([ $? = 0 ] && [ "$(wc -l <"$WORK/checks")" = 5 ] && echo 1)"
while IFS=$'\t' read -r name ok detail; do check "$name" "$ok" "$detail"; done <"$WORK/checks"
echo "$fails failed"
[ "$fails" = 0 ]
