#!/usr/bin/env bash
# The demo (`make demo`): the article's table, reproduced on loopback.
#
# 1. tests/testbed/scenario.py starts the Sony-2014 scenario: the five
#    leaked films in eleven releases, swarms sized in the article's
#    proportions (Fury the largest, To Write Love on Her Arms the smallest,
#    a few hundred real peers: libtorrent, aria2, transmission, qbittorrent,
#    rtorrent), fake peers, three decoys (Furious 7, Annie Hall, a "Fury"
#    whose payload is an .exe), an RSS feed listing them all, a watchlist
#    and a country/ASN database of the test bed's addresses.
# 2. `swarmwatch watch` reads the feed, matches names to titles, fetches
#    metadata, links the releases, rejects the decoy, and monitors every
#    swarm for about two minutes.
# 3. `swarmwatch report` prints the table and writes the HTML report; the
#    ground truth is printed next to it.
# Everything is stopped and removed on exit, whatever happens.
#
# DEMO_SCALE (1), DEMO_WATCH (2m) and DEMO_REPORT (build/demo-report.html)
# override the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
SWARMWATCH=${SWARMWATCH:-$PWD/swarmwatch}
PY=/usr/bin/python3
SCENARIO=$PWD/tests/testbed/scenario.py
REPORT_OUT=${DEMO_REPORT:-$PWD/build/demo-report.html}
dir=$(mktemp -d)
watch_pid=

cleanup() {
	if [ -n "$watch_pid" ]; then
		kill -TERM "$watch_pid" 2>/dev/null || true
		wait "$watch_pid" 2>/dev/null || true
	fi
	if [ -f "$dir/sc/scenario.json" ]; then
		echo "Stopping the test bed..."
		$PY "$SCENARIO" down --dir "$dir/sc" >/dev/null 2>&1 || true
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== 1. The test bed: the Sony-2014 scenario on 127.0.0.0/8"
if ! $PY "$SCENARIO" up --dir "$dir/sc" --scale "${DEMO_SCALE:-1}" --lifetime 900 \
	>"$dir/up.json" 2>"$dir/up.log"; then
	echo "scenario up failed:" >&2
	tail -20 "$dir/up.log" >&2
	exit 1
fi
D=$dir/sc
$PY - "$D/truth.json" <<'PYEOF'
import json, sys
t = json.load(open(sys.argv[1]))
print("%d swarms up in %.0f s: %d real peers, %d fake ones; feed %s" % (
    sum(len(x["releases"]) for x in t["titles"]) + len(t["decoys"]), t["up_seconds"],
    t["total_peers"], t["total_fakes"], t["feed_url"]))
print()
print("%-34s %5s  %s" % ("title (article: unique IPs)", "peers", "releases in the feed"))
for x in t["titles"]:
    for i, r in enumerate(x["releases"]):
        head = ("%s (%s)" % (x["title"], "{:,}".format(x["article_unique_ips"]))) if i == 0 else ""
        print("%-34s %5s  %s%s" % (head[:34], r["peers"], r["name"],
                                   "  [.torrent link]" if r["feed_link"] == "torrent" else ""))
print("decoys")
for d in t["decoys"]:
    print("%-34s %5s  %s" % ("", d["peers"], d["name"] + ("  [payload: %s]" % d["file"]
                                                          if d["expect"] == "rejected" else "")))
PYEOF

echo
echo "== 2. swarmwatch watch $D/watchlist.ini --for ${DEMO_WATCH:-2m}"
"$SWARMWATCH" watch "$D/watchlist.ini" --for "${DEMO_WATCH:-2m}" --allow-private --no-dht \
	--json >"$dir/watch.json" 2>"$dir/watch.log" &
watch_pid=$!
start=$SECONDS
while kill -0 "$watch_pid" 2>/dev/null; do
	if [ -f "$D/swarmwatch.db" ]; then
		line=$(sqlite3 "$D/swarmwatch.db" "SELECT (SELECT count(*) FROM torrents WHERE
			title_id IS NOT NULL) || ' torrents linked, ' || (SELECT count(*) FROM
			observations) || ' observations, ' || (SELECT count(*) FROM peers) ||
			' addresses'" 2>/dev/null || true)
		printf '\r  %3d s: %s   ' $((SECONDS - start)) "$line"
	fi
	sleep 5
done
echo
status=0
wait "$watch_pid" || status=$?
watch_pid=
if [ $status -ne 0 ]; then
	echo "swarmwatch watch failed ($status):" >&2
	tail -20 "$dir/watch.log" >&2
	exit 1
fi
echo "What it decided:"
grep -E "linked|rejected|no title" "$dir/watch.log" | sed -e 's/^swarmwatch: /  /' \
	-e 's/\(linked\|rejected\) \([0-9a-f]\{8\}\)[0-9a-f]*/\1 \2/' | cut -c1-150

echo
echo "== 3. swarmwatch report --db swarmwatch.db"
"$SWARMWATCH" report --db "$D/swarmwatch.db"
echo
echo "Ground truth (what the test bed started; tiers: seen = every address the"
echo "trackers handed out, fakes included; connectable = the real peers;"
echo "verified = the real peers holding pieces):"
"$SWARMWATCH" report --db "$D/swarmwatch.db" --format json >"$dir/report.json"
$PY - "$D/truth.json" "$dir/report.json" <<'PYEOF'
import json, sys
t = json.load(open(sys.argv[1]))
r = {x["title"]: x for x in json.load(open(sys.argv[2]))["titles"]}
print("%-27s %17s %17s %17s  %s" % ("", "seen", "connectable", "verified", ""))
print("%-27s %17s %17s %17s" % ("title", "report / truth", "report / truth", "report / truth"))
bad = 0
for x in t["titles"]:
    got = r.get(x["title"], {}).get("unique_ips", {})
    cells = []
    for k in ("seen", "connectable", "verified"):
        cells.append("%7s / %-7s" % (got.get(k, "-"), x["unique_ips"][k]))
    same = got == x["unique_ips"] and r.get(x["title"], {}).get("countries") == x["countries"]
    bad += not same
    print("%-27s %s  %s" % (x["title"][:27], " ".join(cells), "= truth" if same else "differs"))
print()
print("every title, tier and country equals the truth" if not bad else
      "%d title(s) differ from the truth (see above)" % bad)
PYEOF

mkdir -p "$(dirname "$REPORT_OUT")"
"$SWARMWATCH" report --db "$D/swarmwatch.db" --format html --output "$REPORT_OUT"
echo
echo "HTML report (self-contained, charts as inline SVG): $REPORT_OUT"
