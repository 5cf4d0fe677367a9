#!/usr/bin/env bash
# `swarmwatch watch` on the Sony-2014 scenario (tests/testbed/scenario.py):
# five titles in eleven releases, each a live swarm with real peers and fake
# ones, plus three decoys (Furious 7, Annie Hall, a "Fury 2014 DVDScr" whose
# payload is an .exe), all listed in an RSS/Torznab feed served over HTTP on
# loopback (one release by .torrent link, the rest by magnet).
#
#   1. watch --for 90s: every release linked to its title and no decoy (the
#      .exe rejected after its metadata, Furious 7 and Annie Hall never
#      matched); observations for every linked swarm; per title and tier
#      the store's unique addresses are exactly the truth's (as pseudonym
#      sets, not just counts: seen = peers and fakes, connectable = peers,
#      verified = peers holding pieces), and so are the countries; so are
#      the --json summary and `report --format json`.
#   2. restart: watch again, SIGKILL it after 12 s (flushed every 2 s),
#      count the committed observations, start it for 20 s: the count never
#      decreases (sampled every second), every linked swarm is resumed
#      ("resume") and gets new observations, the counts stay the truth's.
#
# SCALE (0.25) and WATCH_FOR (90s) override the defaults.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/integration/lib/testbed.sh"
SCENARIO=$ROOT/tests/testbed/scenario.py
work=$(mktemp -d)
TB_DIRS+=("$work")
D=$work/sc
WATCH_PID=

cleanup() {
	if [ -n "$WATCH_PID" ]; then
		kill -KILL "$WATCH_PID" 2>/dev/null
		wait "$WATCH_PID" 2>/dev/null
	fi
	[ -f "$D/scenario.json" ] && $PY "$SCENARIO" down --dir "$D" >/dev/null 2>&1
	tb_cleanup
}
trap cleanup EXIT

SECONDS=0
if ! $PY "$SCENARIO" up --dir "$D" --scale "${SCALE:-0.25}" --lifetime 600 \
	>"$work/up.json" 2>"$work/up.log"; then
	echo "FAIL scenario up:"
	tail -20 "$work/up.log"
	exit 1
fi
echo "scenario: $(cat "$work/up.json")"
grep "^scenario: up " "$work/up.log" | sed 's/^scenario: /    /'
GEO=(--geoip-country "$D/country.mmdb" --geoip-asn "$D/asn.mmdb")

# watch in the background so that the EXIT trap can end it by its PID
watch() { # watch OUT ARGS...
	local out=$1
	shift
	"$SWARMWATCH" watch "$D/watchlist.ini" --allow-private --no-dht "${GEO[@]}" "$@" \
		>"$out.json" 2>"$out.log" &
	WATCH_PID=$!
}
obs_count() { sqlite3 "$D/swarmwatch.db" "SELECT count(*) FROM observations"; }

# --- 1. one run -------------------------------------------------------------------
watch "$work/w1" --for "${WATCH_FOR:-90s}" --json
wait "$WATCH_PID"
rc=$?
WATCH_PID=
check "watch --for ${WATCH_FOR:-90s} exits 0" test $rc -eq 0
grep -E "linked|rejected|no title" "$work/w1.log" | sed 's/^/    /'
"$SWARMWATCH" report --db "$D/swarmwatch.db" --format json >"$work/report.json" 2>"$work/report.err"
check "report --format json exits 0" test $? -eq 0

cat >"$work/check.py" <<'PYEOF'
import hashlib, hmac, json, socket, sqlite3, sys

mode, d, summary_path = sys.argv[1:4]
truth = json.load(open(d + "/truth.json"))
secret = bytes.fromhex(open(d + "/swarmwatch.secret").read().strip())
db = sqlite3.connect("file:%s/swarmwatch.db?mode=ro" % d, uri=True)
summary = json.load(open(summary_path))
ok = True


def check(name, cond, detail=""):
    global ok
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + detail))
    ok = ok and bool(cond)


def pn(ip):
    return hmac.new(secret, socket.inet_aton(ip), hashlib.sha256).digest()


def want_sets(rels):
    """Per tier, {pseudonym: ip} the truth expects for these releases."""
    seen, conn, ver = {}, {}, {}
    for r in rels:
        tb = json.load(open(r["dir"] + "/truth.json"))
        for p in tb["peers"]:
            seen[pn(p["ip"])] = conn[pn(p["ip"])] = "%s (%s %s)" % (p["ip"], p["client"], p["role"])
            if p["have"] > 0:
                ver[pn(p["ip"])] = seen[pn(p["ip"])]
        for f in tb["fakes"]:
            seen[pn(f["ip"])] = "%s (fake %s)" % (f["ip"], f["mode"])
    return seen, conn, ver


titles = {n: i for i, n in db.execute("SELECT id, name FROM titles")}
title_of = {i: n for n, i in titles.items()}
linked = {bytes(ih).hex(): title_of.get(t) for ih, t in
          db.execute("SELECT infohash, title_id FROM torrents WHERE title_id IS NOT NULL")}
stored = {bytes(ih).hex() for (ih,) in db.execute("SELECT infohash FROM torrents")}
obs = {bytes(ih).hex(): n for ih, n in
       db.execute("SELECT infohash, count(*) FROM observations GROUP BY infohash")}
by_ih = {t["infohash"]: t for t in summary.get("torrents", [])}

# links and decoys
for t in truth["titles"]:
    for r in t["releases"]:
        check("%-28s <- %s (%s)" % (t["title"], r["name"], r["feed_link"]),
              linked.get(r["infohash"]) == t["title"],
              "store links it to %r" % linked.get(r["infohash"]))
        check("   observations of %s: %d" % (r["infohash"][:12], obs.get(r["infohash"], 0)),
              obs.get(r["infohash"], 0) > 0)
        if mode == "restart":
            e = by_ih.get(r["infohash"], {})
            check("   resumed after the restart (source %s, %s)" % (e.get("source"), e.get("state")),
                  e.get("source") == "resume" and e.get("state") == "linked")
for x in truth["decoys"]:
    check("decoy never linked: %s" % x["name"], x["infohash"] not in linked,
          "linked to %r" % linked.get(x["infohash"]))
    if mode == "first" and x["expect"] == "rejected":
        e = by_ih.get(x["infohash"], {})
        check("   matched %s by name, rejected after its metadata (state %s)"
              % (x["matches_by_name"], e.get("state")),
              e.get("state") == "rejected" and x["infohash"] in stored)
    elif mode == "first":
        check("   never matched, never added", x["infohash"] not in stored and
              x["infohash"] not in by_ih)
if mode == "first":
    nrel = sum(len(t["releases"]) for t in truth["titles"])
    check("summary: linked %s == %d releases, rejected %s == 1, unmatched items %s == 2"
          % (summary.get("linked"), nrel, summary.get("rejected"),
             summary.get("feed_items_unmatched")),
          summary.get("linked") == nrel and summary.get("rejected") == 1 and
          summary.get("feed_items_unmatched") == 2)

# pseudonyms on: no raw testbed address anywhere in the database files
raw = b""
for suffix in ("", "-wal"):
    try:
        raw += open(d + "/swarmwatch.db" + suffix, "rb").read()
    except OSError:
        pass
addrs = set()
for t in truth["titles"]:
    for r in t["releases"]:
        tb = json.load(open(r["dir"] + "/truth.json"))
        addrs |= {p["ip"] for p in tb["peers"]} | {f["ip"] for f in tb["fakes"]}
leaked = sorted(ip for ip in addrs if socket.inet_aton(ip) in raw)
# (a 4-byte pattern turns up by chance in random pseudonym bytes with odds of
# about size/2^32 per address: a stray one or two is noise, raw storage would
# show every address)
check("no raw address of the %d testbed peers in the %d bytes of the database files"
      % (len(addrs), len(raw)), len(leaked) <= 2, "found %d: %s" % (len(leaked), leaked[:5]))

# unique addresses per title and tier, as sets; countries
print("%-28s %-22s %-22s %-22s" % ("title", "seen got/truth", "connectable", "verified"))
sumt = {x["title"]: x for x in summary.get("titles", [])}
for t in truth["titles"]:
    tid = titles.get(t["title"])
    want = want_sets(t["releases"])
    got = [set(), set(), set()]
    countries = {}
    for addr, tier, cc in db.execute(
            "SELECT addr, best_tier, country FROM peers WHERE title_id = ?", (tid,)):
        for k in range(min(tier, 2) + 1):
            got[k].add(bytes(addr))
        c = countries.setdefault(cc, {"country": cc, "seen": 0, "verified": 0})
        c["seen"] += 1
        c["verified"] += tier >= 2
    print("%-28s %-22s %-22s %-22s" % (t["title"], *("%d / %d" % (len(g), len(w))
                                                      for g, w in zip(got, want))))
    for name, g, w in zip(("seen", "connectable", "verified"), got, want):
        check("   %s: the store's set is the truth's" % name, g == set(w),
              "missing %s; extra %d" % (sorted(w[a] for a in set(w) - g), len(g - set(w))))
    gc = sorted(countries.values(), key=lambda e: (-e["seen"], e["country"] or ""))
    check("   countries %s" % " ".join("%s:%d/%d" % (c["country"], c["seen"], c["verified"])
                                       for c in t["countries"]),
          gc == t["countries"], "store: %s" % gc)
    s = sumt.get(t["title"], {})
    check("   --json summary unique_ips", s.get("unique_ips") == t["unique_ips"],
          "%s, truth %s" % (s.get("unique_ips"), t["unique_ips"]))
if mode == "first" and len(sys.argv) > 4:
    rep = {x["title"]: x for x in json.load(open(sys.argv[4]))["titles"]}
    for t in truth["titles"]:
        r = rep.get(t["title"], {})
        check("report --format json: %s" % t["title"],
              r.get("unique_ips") == t["unique_ips"] and r.get("countries") == t["countries"]
              and r.get("torrents") == t["torrents"],
              "report %s %s, truth %s %s" % (r.get("unique_ips"), r.get("countries"),
                                            t["unique_ips"], t["countries"]))
sys.exit(0 if ok else 1)
PYEOF
$PY "$work/check.py" first "$D" "$work/w1.json" "$work/report.json" || TB_FAILED=1

# --- 2. SIGKILL and restart --------------------------------------------------------
c1=$(obs_count)
watch "$work/w2"
sleep 12
kill -KILL "$WATCH_PID"
wait "$WATCH_PID" 2>/dev/null
WATCH_PID=
kill_ms=$(date +%s%3N)
c2=$(obs_count)
check "SIGKILLed run committed observations ($c1 before it, $c2 after)" test "$c2" -gt "$c1"
check "store intact after SIGKILL" test "$(sqlite3 "$D/swarmwatch.db" 'PRAGMA integrity_check')" = ok
watch "$work/w3" --for 20s --json
mono=1
last=$c2
samples=""
while kill -0 "$WATCH_PID" 2>/dev/null; do
	n=$(obs_count 2>/dev/null) || n=$last
	samples="$samples $n"
	[ "$n" -lt "$last" ] && mono=0
	last=$n
	sleep 1
done
wait "$WATCH_PID"
rc=$?
WATCH_PID=
c3=$(obs_count)
echo "    observations: $c1 after run 1, $c2 after the SIGKILL, then$samples, $c3 at the end"
check "restarted watch exits 0" test $rc -eq 0
check "observation count never decreased ($c2 -> $c3)" test $mono -eq 1 -a "$c3" -ge "$c2"
new=$(sqlite3 "$D/swarmwatch.db" "SELECT count(DISTINCT hex(o.infohash)) FROM observations o
	JOIN torrents t ON t.infohash = o.infohash WHERE t.title_id IS NOT NULL AND o.ts > $kill_ms")
want=$(jq '[.titles[].releases[]] | length' "$D/truth.json")
check "new observations after the restart for every linked swarm ($new of $want)" \
	test "$new" -eq "$want"
sqlite3 "$D/swarmwatch.db" "SELECT '    none since the restart: ' || name FROM torrents t
	WHERE title_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM observations o
	WHERE o.infohash = t.infohash AND o.ts > $kill_ms)"
$PY "$work/check.py" restart "$D" "$work/w3.json" || TB_FAILED=1
echo "test took $SECONDS s"
exit $TB_FAILED
