#!/usr/bin/env bash
# test_watch_crawl.sh - the watch daemon finds a title's torrent in the DHT.
#
# The DHT test bed (>= 200 real nodes) holds three DHT-only swarms, named
# "Fury.2014.DVDScr.XVID.AC3.HQ.Hive-CM8.avi" (a true release of Fury
# 2014), "Annie.Hall.1977.720p.BluRay.x264.mkv" (a confuser of Annie 2014)
# and a random name, plus 100 other stored infohashes.  `watch --crawl`
# with a watchlist of Fury and Annie (no torrent, no feed) must crawl the
# DHT (BEP 51), fetch names (BEP 9), link the Fury release and only it, and
# count its peers exactly (24 seen and connectable, 12 seeds verified).
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
PY=/usr/bin/python3
SW=${SWARMWATCH:-$ROOT/swarmwatch}
DTB="$PY $ROOT/tests/testbed/dht_testbed.py"

fails=0
check() { if [ "$2" = 1 ]; then echo "ok   $1"; else echo "FAIL $1 ${3:-}"; fails=$((fails + 1)); fi; }

WORK=$(mktemp -d /tmp/test_watch_crawl.XXXXXX)
D=$WORK/dht
cleanup() {
	$DTB down --dir "$D" >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT

if ! $DTB up --dir "$D" --quiet --swarm-name "Fury.2014.DVDScr.XVID.AC3.HQ.Hive-CM8.avi" \
	--swarm-name "Annie.Hall.1977.720p.BluRay.x264.mkv" >"$WORK/up.json" 2>"$WORK/up.err"; then
	echo "FAIL dht testbed up"; tail -20 "$WORK/up.err"; exit 1
fi
read -r SLOT BOOT <<<"$($PY -c 'import json,sys; t=json.load(open(sys.argv[1])); print(t["slot"], t["bootstrap"])' "$D/truth.json")"
cat >"$WORK/w.ini" <<EOF
[swarmwatch]
database = w.db

[title "Fury"]
year = 2014

[title "Annie"]
year = 2014
EOF
"$SW" watch "$WORK/w.ini" --crawl 50 --for 75s --allow-private --dht-bootstrap "$BOOT" \
	--listen "127.$SLOT.0.10:0" --json >"$WORK/w.json" 2>"$WORK/w.err"
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
