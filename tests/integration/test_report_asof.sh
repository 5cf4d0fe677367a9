#!/usr/bin/env bash
# test_report_asof.sh - `report --as-of` on the testbed, two phases of peers.
#
# Phase 1: a swarm of Fury (testbed A, 6 libtorrent peers) is watched.
# Then T (the middle of the run) is taken, a second release of Fury appears
# (testbed B, 5 other peers) and is added to the watchlist, which the daemon
# reloads on SIGHUP.  At the end:
#   - `report --as-of T` counts exactly A's peers (per tier, as the truth
#     says: every peer connectable, those with pieces verified);
#   - `report` (now) counts A's and B's, one title, two torrents;
#   - `report --since T` counts only those seen again at or after T.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
. tests/integration/lib/testbed.sh

W=$(mktemp -d /tmp/test_report_asof.XXXXXX)
TB_DIRS+=("$W")
A=$W/a
B=$W/b
pid=
stop_watch() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; }
trap 'stop_watch; tb_cleanup' EXIT

tb_up "$A" --peers 6 --clients libtorrent --name "Fury.2014.DVDScr.XVID.AC3.HQ.Hive-CM8" || exit 1
SLOT=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["slot"])' "$A/truth.json")
wl() {
	printf '[swarmwatch]\ndatabase = %s/w.db\nlisten = 127.%s.0.30:0\n\n' "$W" "$SLOT"
	printf '[title "Fury"]\nyear = 2014\ntorrent = %s/swarm.torrent\n' "$A"
	[ "${1:-}" = both ] && printf 'torrent = %s/swarm.torrent\n' "$B"
}
wl >"$W/w.ini"
"$SWARMWATCH" watch "$W/w.ini" --allow-private --no-dht --linger 5s --evidence \
	>"$W/watch.out" 2>"$W/watch.log" &
pid=$!
sleep 25
T=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sleep 2
tb_up "$B" --peers 5 --clients libtorrent --name "Fury 2014 DVDSCR X264 AAC-P2P" || exit 1
wl both >"$W/w.ini"
kill -HUP "$pid"
sleep 30
kill -TERM "$pid"
wait "$pid"
check "watch exits 0 on SIGTERM" test $? -eq 0
pid=
check "the reload added the second release" grep -q "reloaded" "$W/watch.log"

for v in asof now since; do
	case $v in
	asof) args=(--as-of "$T") ;;
	now) args=() ;;
	since) args=(--since "$T") ;;
	esac
	"$SWARMWATCH" report --db "$W/w.db" --format json "${args[@]}" >"$W/$v.json" 2>"$W/$v.err"
	check "report ${args[*]} exits 0" test $? -eq 0
done
$PY - "$A/truth.json" "$B/truth.json" "$W" "$T" <<'EOF'
import json, sqlite3, sys
ta, tb, w, t = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3], sys.argv[4]
ok = True
def check(name, cond, detail=""):
    global ok
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + detail))
    ok = ok and cond
def tiers(*truths):
    peers = [p for tr in truths for p in tr["peers"]]
    return {"seen": len(peers), "connectable": len(peers),
            "verified": sum(1 for p in peers if p["have"] > 0)}
def fury(path):
    return {x["title"]: x for x in json.load(open(path))["titles"]}["Fury"]
a, n = fury(w + "/asof.json"), fury(w + "/now.json")
check("--as-of %s: phase 1 only, %s" % (t, tiers(ta)), a["unique_ips"] == tiers(ta),
      str(a["unique_ips"]))
check("now: both phases, %s" % tiers(ta, tb), n["unique_ips"] == tiers(ta, tb), str(n["unique_ips"]))
check("now: two torrents", n["torrents"] == 2, str(n["torrents"]))
# --since T: addresses last seen at or after T, exactly as the store says
db = sqlite3.connect(w + "/w.db")
from datetime import datetime
ms = int(datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=__import__("datetime").timezone.utc).timestamp() * 1000)
want = db.execute("SELECT count(*) FROM peers WHERE last_seen >= ?", (ms,)).fetchone()[0]
s = fury(w + "/since.json")
check("--since T: %d addresses last seen after T (>= phase 2's %d)" % (want, len(tb["peers"])),
      s["unique_ips"]["seen"] == want and want >= len(tb["peers"]), str(s["unique_ips"]))
sys.exit(0 if ok else 1)
EOF
[ $? -eq 0 ] || TB_FAILED=1
exit $TB_FAILED
