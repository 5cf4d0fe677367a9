#!/usr/bin/env bash
# `swarmwatch count` against real trackers and a swarm of real clients.
#
# A 60-peer swarm of all five client implementations, registered on
# opentracker and bittorrent-tracker (HTTP and UDP each):
#   1. --allow-private: unique_ips.seen equals the ground truth exactly (no
#      peer missing, none extra); every tracker answered; each tracker's
#      scrape equals a direct scrape taken after the run; --db holds the
#      same unique addresses.
#   2. without --allow-private: every peer is rejected, none is seen, and a
#      syscall trace shows that nothing was sent to any peer's address.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/integration/lib/testbed.sh"
work=$(mktemp -d)
TB_DIRS+=("$work")
D=$work/tb

tb_up "$D" --peers 60 || exit 1
echo "testbed: $(cat "$D.up.json")"

"$SWARMWATCH" count -v --allow-private --json --for 60s --reannounce 2s --udp-timeout 1s \
	--db "$work/sw.db" "$D/swarm.torrent" >"$work/count.json" 2>"$work/count.err"
status=$?
$PY "$TESTBED" scrape --dir "$D" >"$work/scrape.json" 2>/dev/null
check "count exits 0" test "$status" -eq 0

$PY - "$D/truth.json" "$work/count.json" "$work/scrape.json" "$work/sw.db" <<'PYEOF'
import json, sqlite3, sys
truth, count, scrape = (json.load(open(p)) for p in sys.argv[1:4])
db = sqlite3.connect(sys.argv[4])
ok = True
def check(name, cond, detail=""):
    global ok
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + detail))
    ok = ok and cond

want = {p["ip"] for p in truth["peers"]}
got = {p["ip"] for p in count["peers"]}
clients = {p["client"] for p in truth["peers"]}
check("swarm of >= 60 peers from >= 4 implementations",
      len(want) >= 60 and len(clients) >= 4, "%d peers, %s" % (len(want), clients))
check("unique_ips.seen == truth (%d)" % len(want), count["unique_ips"]["seen"] == len(want),
      "got %d" % count["unique_ips"]["seen"])
nets = {ip if ":" not in ip else ":".join(ip.split(":")[:4]) for ip in want}
check("unique_networks.seen == the truth's networks (%d)" % len(nets),
      count["unique_networks"]["seen"] == len(nets), str(count.get("unique_networks")))
check("no peer missing", not (want - got), str(sorted(want - got)))
check("no peer extra", not (got - want), str(sorted(got - want)))
check("every (ip, port) as in truth",
      {(p["ip"], p["port"]) for p in count["peers"]} == {(p["ip"], p["port"]) for p in truth["peers"]})
check("by_source.tracker == seen", count["by_source"]["tracker"] == len(want))
check("nothing rejected with --allow-private", count["rejected"] == 0)
check("infohash", count["infohash"] == truth["infohash"])
check("name", count["name"] == truth["name"], repr(count["name"]))
direct = {t["url"]: t for t in scrape["trackers"]}
check("one entry per tracker URL", {t["url"] for t in count["trackers"]} == set(direct))
for t in count["trackers"]:
    d = direct.get(t["url"], {})
    check("tracker answered: " + t["url"], t["ok"] and t["error"] is None, str(t))
    same = (t["seeders"], t["leechers"], t["completed"]) == \
           (d.get("complete"), d.get("incomplete"), d.get("downloaded"))
    check("scrape equals direct scrape: " + t["url"], same,
          "swarmwatch %s vs direct %s" % ((t["seeders"], t["leechers"], t["completed"]),
                                          (d.get("complete"), d.get("incomplete"), d.get("downloaded"))))
n = db.execute("select count(distinct addr) from swarm_peers where infohash = ?",
               (bytes.fromhex(truth["infohash"]),)).fetchone()[0]
check("--db: unique addresses in swarm_peers == truth", n == len(want), "got %d" % n)
s = db.execute("select count(*) from scrapes").fetchone()[0]
check("--db: one scrape row per tracker", s == len(count["trackers"]), "got %d" % s)
sys.exit(0 if ok else 1)
PYEOF
if [ $? -ne 0 ]; then
	TB_FAILED=1
	echo "--- count's tracker log:"
	grep -E "tracker " "$work/count.err" | tail -40
fi

# 2. Without --allow-private: rejected, and never contacted.
# LeakSanitizer stops the world with ptrace, which strace already holds.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	strace -f -qq -e trace=connect,sendto,sendmsg,sendmmsg -o "$work/strace.txt" \
	"$SWARMWATCH" count --json --for 10s --reannounce 1s --udp-timeout 1s \
	"$D/swarm.torrent" >"$work/count2.json" 2>"$work/count2.err"
status=$?
check "count without --allow-private exits 0" test "$status" -eq 0 ||
	tail -5 "$work/count2.err"
$PY - "$D/truth.json" "$work/count2.json" "$work/strace.txt" <<'PYEOF'
import json, re, sys
truth, count = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
trace = open(sys.argv[3]).read()
ok = True
def check(name, cond, detail=""):
    global ok
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + detail))
    ok = ok and cond
peers = {p["ip"] for p in truth["peers"]}
trackers = {re.match(r"\w+://([^:/]+)", t["url"]).group(1) for t in truth["trackers"]}
dests = set(re.findall(r'inet_addr\("([0-9.]+)"\)', trace))
check("every peer rejected (%d)" % len(peers), count["rejected"] == len(peers), str(count["rejected"]))
check("none seen", count["unique_ips"]["seen"] == 0 and count["peers"] == [])
check("trackers were asked", trackers <= dests, "%s not in %s" % (trackers, dests))
check("no packet or connection to any peer", not (dests & peers), str(sorted(dests & peers)))
sys.exit(0 if ok else 1)
PYEOF
[ $? -eq 0 ] || TB_FAILED=1
exit $TB_FAILED
