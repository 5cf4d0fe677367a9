#!/usr/bin/env bash
# `swarmwatch serve` on a loopback port, against `swarmwatch report`.
#
# On the known store of tests/unit/test_report.c:
#   1. /api/report equals `report --format json` byte for byte for the
#      same options (as_of in a zone, since, title, by, tier), and holds
#      the hand-counted truth (Fury: 7 seen as of the cut, 10 at the end);
#   2. bad parameters are a 400 with a JSON error, an unknown title a 404,
#      an unknown path a 404, POST a 405;
#   3. /metrics parses as Prometheus text (prometheus_client's own parser,
#      and a line-by-line check of the format) and holds the store's counts;
#   4. / is the HTML report, reloading itself, with a CSP that forbids
#      loading anything;
#   5. a writer holding a write transaction does not block the server (WAL),
#      and what it commits shows up in the next answer;
#   6. a non-loopback --listen without --token is refused before binding;
#      with --token, requests without it get 401 and with it (header or
#      query) 200.
# The server is started by this script, recorded by PID and killed by PID.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/integration/lib/report_store.sh"
work=$(mktemp -d)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT

free_port() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server PORT ARGS...: serve in the background; wait until it answers.
start_server() {
	local port=$1
	shift
	"$SWARMWATCH" serve --db "$work/s.db" --listen "127.0.0.1:$port" "$@" \
		>"$work/serve.$port.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$port/metrics" && return 0
		kill -0 "${PIDS[-1]}" 2>/dev/null || break
		sleep 0.1
	done
	echo "serve did not come up:"
	cat "$work/serve.$port.log"
	return 1
}

make_store "$work/s.db" || exit 1
PORT=$(free_port)
start_server "$PORT" || exit 1
BASE="http://127.0.0.1:$PORT"

# 1. the API against the command, for several option sets (each a
#    ;-separated list of key=value, as the query string takes them).
n=0
while IFS= read -r opts; do
	n=$((n + 1))
	args=()
	curl_args=()
	IFS=';' read -ra kvs <<<"$opts"
	for kv in "${kvs[@]}"; do
		key=${kv%%=*}
		args+=("--${key//_/-}" "${kv#*=}")
		curl_args+=(--data-urlencode "$kv")
	done
	"$SWARMWATCH" report --db "$work/s.db" --format json "${args[@]}" >"$work/cli.$n.json"
	curl -s -G "${curl_args[@]}" "$BASE/api/report" >"$work/api.$n.json"
	check "api == cli: $opts" cmp -s "$work/cli.$n.json" "$work/api.$n.json"
done <<'EOF'
as_of=2014-12-01 11:00 America/Los_Angeles
as_of=2014-12-03T00:00:00Z
as_of=2014-12-03T00:00:00Z;since=2014-12-02T00:00:00Z;by=day
as_of=2014-12-03T00:00:00Z;title=Fury;by=torrent
as_of=2014-12-03T00:00:00Z;tier=verified;by=asn
as_of=2014-12-03T00:00:00Z;title=Annie (2014);by=country
EOF

$PY - "$work/api.1.json" "$work/api.2.json" <<'PYEOF' || FAILED=1
import json, sys
cut, end = (json.load(open(p)) for p in sys.argv[1:3])
ok = True
def check(name, cond, detail=""):
    global ok
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + detail))
    ok = ok and cond
check("as_of is the cut in UTC", cut["as_of"] == "2014-12-01T19:00:00Z", cut["as_of"])
t = {x["title"]: x for x in cut["titles"]}
check("Fury as of the cut: 7 seen, 2 connectable, 1 verified",
      t["Fury"]["unique_ips"] == {"seen": 7, "connectable": 2, "verified": 1}, str(t["Fury"]))
t = {x["title"]: x for x in end["titles"]}
check("Fury at the end: 10 seen, 3 connectable, 2 verified",
      t["Fury"]["unique_ips"] == {"seen": 10, "connectable": 3, "verified": 2}, str(t["Fury"]))
check("titles ordered by seen", [x["title"] for x in end["titles"]] == ["Fury", "Annie", "Still Alice"])
check("a title with no peers has zeros", t["Still Alice"]["unique_ips"]["seen"] == 0)
sys.exit(0 if ok else 1)
PYEOF

# 2. errors
status_of() { curl -s -o "$work/body" -w '%{http_code}' "$@"; }
json_error_has() { $PY -c 'import json,sys; e=json.load(open(sys.argv[1]))["error"]; sys.exit(0 if sys.argv[2] in e else 1)' "$work/body" "$1"; }
check "bad as_of: 400" test "$(status_of -G --data-urlencode 'as_of=2014-02-30' "$BASE/api/report")" = 400
check "bad as_of: JSON error names it" json_error_has "as_of"
check "DST gap: 400" test "$(status_of -G --data-urlencode 'as_of=2014-03-09 02:30 America/Los_Angeles' "$BASE/api/report")" = 400
check "DST gap: JSON error says so" json_error_has "does not exist"
check "bad by: 400" test "$(status_of "$BASE/api/report?by=city")" = 400
check "bad tier: 400" test "$(status_of "$BASE/api/report?tier=proven")" = 400
check "unknown parameter: 400" test "$(status_of "$BASE/api/report?colour=red")" = 400
check "unknown parameter: JSON error names it" json_error_has "colour"
check "since after as_of: 400" test "$(status_of "$BASE/api/report?as_of=2014-12-01T00:00Z&since=2014-12-02T00:00Z")" = 400
check "unknown title: 404" test "$(status_of "$BASE/api/report?title=Gone+Girl")" = 404
check "unknown title: JSON error" json_error_has "Gone Girl"
check "unknown path: 404" test "$(status_of "$BASE/nope")" = 404
check "POST: 405" test "$(status_of -X POST "$BASE/api/report")" = 405

# 3. metrics
curl -s -D "$work/metrics.h" "$BASE/metrics" >"$work/metrics.txt"
check "metrics: text/plain version 0.0.4" grep -qi '^content-type: text/plain; version=0.0.4' "$work/metrics.h"
$PY - "$work/metrics.txt" <<'PYEOF' || FAILED=1
import re, sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
ok = True
def check(name, cond, detail=""):
    global ok
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + detail))
    ok = ok and cond
name = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
label = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
sample = re.compile(r"^(%s)(\{%s(?:,%s)*\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$" % (name, label, label))
typed, bad = {}, []
for ln in text.splitlines():
    m = re.match(r"^# (HELP|TYPE) (%s) (.+)$" % name, ln)
    if m:
        if m.group(1) == "TYPE":
            if m.group(3) not in ("counter", "gauge", "histogram", "summary", "untyped"): bad.append(ln)
            typed[m.group(2)] = m.group(3)
        continue
    m = sample.match(ln)
    if not m or m.group(1) not in typed: bad.append(ln)
check("every line is HELP, TYPE or a sample of a typed family", not bad, str(bad[:3]))
check("text ends with a newline", text.endswith("\n"))
fams = {f.name: f for f in text_string_to_metric_families(text)}
def value(fam, **labels):
    for s in fams[fam].samples:
        if all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
check("prometheus_client parses it", len(fams) >= 10, str(sorted(fams)))
check("swarms watched 5", value("swarmwatch_swarms_watched") == 5)
check("Fury seen 10", value("swarmwatch_unique_peers", title="Fury", tier="seen") == 10)
check("Annie verified 3", value("swarmwatch_unique_peers", title="Annie", tier="verified") == 3)
check("observations 28", value("swarmwatch_observations") == 28, str(value("swarmwatch_observations")))
check("store lag reported", value("swarmwatch_store_lag_seconds") > 0)
check("requests counted", value("swarmwatch_http_requests", path="/api/report") >= 6)
check("4xx counted (8 so far)", value("swarmwatch_http_responses", code="4xx") >= 8,
      str(value("swarmwatch_http_responses", code="4xx")))
sys.exit(0 if ok else 1)
PYEOF

# 4. the page
curl -s -D "$work/page.h" "$BASE/?as_of=2014-12-03T00:00:00Z" >"$work/page.html"
check "page: 200 HTML" grep -qi '^content-type: text/html' "$work/page.h"
check "page: refreshes itself" grep -q '<meta http-equiv="refresh" content="30">' "$work/page.html"
check "page: CSP forbids loading" grep -qi "^content-security-policy: default-src 'none'" "$work/page.h"
check "page: no http(s) references" bash -c "! grep -qiE 'https?://' '$work/page.html'"
check "page: has the charts" test "$(grep -o '<svg class="chart"' "$work/page.html" | wc -l)" -eq 9

# 5. a writer holding the write lock; its commit shows up after
$PY - "$work/s.db" "$BASE" <<'PYEOF' || FAILED=1
import json, sqlite3, sys, urllib.request
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
db.execute("INSERT INTO titles(name, year) VALUES ('Gone Girl', 2014)")
get = lambda: json.load(urllib.request.urlopen(sys.argv[2] + "/api/report", timeout=5))
before = [t["title"] for t in get()["titles"]]
db.execute("COMMIT")
after = [t["title"] for t in get()["titles"]]
ok = "Gone Girl" not in before and "Gone Girl" in after
print(("ok   " if ok else "FAIL ") + "served during a write transaction; the commit shows up next (%s -> %s)" % (before, after))
sys.exit(0 if ok else 1)
PYEOF

# 6. exposure
"$SWARMWATCH" serve --db "$work/s.db" --listen 0.0.0.0:"$(free_port)" >"$work/refused.out" 2>"$work/refused.err"
check "0.0.0.0 without --token: exit 2" test $? -eq 2
check "0.0.0.0 without --token: says why" grep -q "refusing to listen on 0.0.0.0:.* without --token" "$work/refused.err"
"$SWARMWATCH" serve --db "$work/s.db" --listen "[::]:$(free_port)" 2>/dev/null
check "[::] without --token: exit 2" test $? -eq 2
"$SWARMWATCH" serve --db "$work/s.db" --listen 192.0.2.1:8080 2>/dev/null
check "192.0.2.1 without --token: exit 2" test $? -eq 2
"$SWARMWATCH" serve --db "$work/s.db" --listen 127.0.0.1:1 --token short 2>/dev/null
check "a short token: exit 2" test $? -eq 2
TOKEN=0123456789abcdef-test-token
PORT2=$(free_port)
"$SWARMWATCH" serve --db "$work/s.db" --listen "127.0.0.1:$PORT2" --token "$TOKEN" >"$work/tok.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT2/metrics")" = 401 ] && break
	sleep 0.1
done
B2="http://127.0.0.1:$PORT2"
check "token: none gives 401" test "$(status_of "$B2/api/report")" = 401
check "token: wrong gives 401" test "$(status_of -H "Authorization: Bearer ${TOKEN}x" "$B2/api/report")" = 401
check "token: Bearer gives 200" test "$(status_of -H "Authorization: Bearer $TOKEN" "$B2/api/report")" = 200
check "token: ?token= gives 200" test "$(status_of "$B2/metrics?token=$TOKEN")" = 200
check "token: ?token= on the page gives 200" test "$(status_of "$B2/?token=$TOKEN")" = 200

exit $FAILED
