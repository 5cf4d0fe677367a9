#!/usr/bin/env bash
# test_watch_reload.sh - the watch daemon's signals and its watchlist errors.
#
#   - A feed (a local file) lists Fury, Annie (2014) and Annie Hall (1977).
#     The watchlist first holds Fury only: Fury matches, both Annies do not.
#     Then Annie (2014) is added to the file and the daemon gets SIGHUP: it
#     reloads, judges the feed's items again, and Annie 2014 matches; Annie
#     Hall still does not.
#   - A broken watchlist on SIGHUP is refused with file:line and the daemon
#     keeps running with the one it has.
#   - SIGTERM stops it cleanly (exit 0, the JSON summary printed).
#   - `serve`'s /metrics shows the daemon's counters it left in the store.
#   - A bad watchlist at start exits 2 naming file and line.
# No peer is involved (magnets of nobody, --no-dht): nothing leaves the host.
set -u
cd "$(dirname "$0")/../.." || exit 1
SW=${SWARMWATCH:-$PWD/swarmwatch}
W=$(mktemp -d /tmp/test_watch_reload.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
fails=0
check() { if [ "$2" = 1 ]; then echo "ok   $1"; else echo "FAIL $1 ${3:-}"; fails=$((fails + 1)); fi; }
yes_if() { "$@" && echo 1; }

cat >"$W/feed.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>hot</title>
<item><title>Fury.2014.DVDScr.XVID.AC3.HQ.Hive-CM8</title><link>magnet:?xt=urn:btih:1111111111111111111111111111111111111111&amp;dn=Fury.2014.DVDScr.XVID.AC3.HQ.Hive-CM8</link></item>
<item><title>Annie 2014 DVDSCR X264 AAC-P2P</title><link>magnet:?xt=urn:btih:2222222222222222222222222222222222222222&amp;dn=Annie+2014+DVDSCR+X264+AAC-P2P</link></item>
<item><title>Annie Hall 1977 720p BluRay</title><link>magnet:?xt=urn:btih:3333333333333333333333333333333333333333&amp;dn=Annie+Hall+1977</link></item>
</channel></rss>
EOF
base() {
	cat <<'EOF'
[swarmwatch]
database = w.db
listen = 127.0.0.79:0

[feed "hot"]
url = feed.xml
interval = 1s

[title "Fury"]
year = 2014
EOF
}
base >"$W/w.ini"
"$SW" watch "$W/w.ini" --no-dht --json >"$W/out.json" 2>"$W/err.log" &
pid=$!
sleep 2
{ base; printf '\n[title "Annie"]\nyear = 2014\n'; } >"$W/w.ini"
kill -HUP "$pid"
sleep 2
{ base; printf '\n[title "Annie"]\nyaer = 2014\n'; } >"$W/w.ini"
kill -HUP "$pid"
sleep 1.5
check "the daemon is still running after a bad reload" "$(yes_if kill -0 "$pid")"
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check "SIGTERM: exit 0" "$(yes_if [ $rc = 0 ])" "rc $rc; $(tail -3 "$W/err.log")"
check "reloaded on SIGHUP" "$(yes_if grep -q 'reloaded .*w.ini: 2 titles, 1 feeds' "$W/err.log")"
check "the bad reload refused with file:line" \
	"$(yes_if grep -q "reload: .*w.ini:1[0-9]: unknown key 'yaer'.*keeping the watchlist in use" "$W/err.log")"
check "Annie 2014 unmatched before the reload, matched after" \
	"$([ "$(grep -c '"Annie 2014 DVDSCR X264 AAC-P2P": no title' "$W/err.log")" = 1 ] &&
		grep -q '"Annie 2014 DVDSCR X264 AAC-P2P" matches Annie' "$W/err.log" && echo 1)"
check "Annie Hall never matched" "$(yes_if [ "$(grep -c 'Annie Hall.*matches' "$W/err.log")" = 0 ])"
check "summary: Fury and Annie torrents, nothing else" "$(yes_if python3 - "$W/out.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
got = sorted((t["name"], t["title"]) for t in d["torrents"])
sys.exit(0 if got == [("Annie 2014 DVDSCR X264 AAC-P2P", "Annie"),
                      ("Fury.2014.DVDScr.XVID.AC3.HQ.Hive-CM8", "Fury")] else 1)
EOF
)"
# The daemon's counters, written into the store at each flush and on exit,
# are what `serve`'s /metrics shows of it (Prometheus text, parsed by the
# client library's own parser).
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$SW" serve --db "$W/w.db" --listen "127.0.0.1:$port" 2>"$W/serve.log" &
pid=$!
for _ in $(seq 100); do
	curl -s -o "$W/metrics.txt" "http://127.0.0.1:$port/metrics" && break
	sleep 0.1
done
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
pid=
check "/metrics: the daemon's swarms, polls and errors, as the summary says" "$(yes_if /usr/bin/python3 - "$W/metrics.txt" "$W/out.json" <<'EOF'
import json, sys
from prometheus_client.parser import text_string_to_metric_families
summary = json.load(open(sys.argv[2]))
got = {}
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in fam.samples:
        got[(s.name, tuple(sorted(s.labels.items())))] = s.value
def v(name, **labels):
    return got.get((name, tuple(sorted(labels.items()))))
ok = (v("swarmwatch_daemon_swarms", state="watched") == summary["swarms"]
      and v("swarmwatch_daemon_swarms", state="linked") == summary["linked"]
      and sum(v("swarmwatch_daemon_swarms", state=k) for k in ("linked", "pending", "rejected"))
          == summary["swarms"] == 2
      and v("swarmwatch_daemon_messages_total", kind="feed_polls") >= 2
      and v("swarmwatch_daemon_errors_total", kind="store") == 0
      and v("swarmwatch_daemon_errors_total", kind="feed") == 0
      and v("swarmwatch_daemon_uptime_seconds") >= 5
      and v("swarmwatch_daemon_stats_timestamp_seconds") > 1.7e9)
if not ok:
    print({k: x for k, x in got.items() if "daemon" in k[0]}, file=sys.stderr)
sys.exit(0 if ok else 1)
EOF
)"
printf '[swarmwatch]\ndatabase = x.db\n\n[title "Fury"]\nyaer = 2014\n' >"$W/bad.ini"
"$SW" watch "$W/bad.ini" --no-dht --for 1s >/dev/null 2>"$W/bad.err"
rc=$?
check "a bad watchlist at start: exit 2 with file:line" \
	"$([ $rc = 2 ] && grep -q "bad.ini:5: unknown key 'yaer'" "$W/bad.err" && echo 1)" "rc $rc: $(cat "$W/bad.err")"
echo "$fails failed"
[ "$fails" = 0 ]
