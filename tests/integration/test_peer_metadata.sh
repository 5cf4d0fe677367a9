#!/usr/bin/env bash
# Metadata from a magnet (no .torrent given), fetched with BEP 9 from real
# clients of several implementations, one swarm per implementation, and
# checked against the infohash before use: count must report the torrent's
# name and read the peers' bitfields (which needs the piece count from the
# metadata).  At least three implementations must serve it.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/integration/lib/testbed.sh"
work=$(mktemp -d)
TB_DIRS+=("$work")
served=()

for client in libtorrent qbittorrent transmission rtorrent aria2; do
	D=$work/$client
	tb_up "$D" --clients "$client" --peers 2 --seeds-fraction 1 || { TB_FAILED=1; continue; }
	magnet=$($PY -c '
import json, sys, urllib.parse
t = json.load(open(sys.argv[1]))
print("magnet:?xt=urn:btih:" + t["infohash"] + "".join("&tr=" + urllib.parse.quote(x["url"], safe="") for x in t["trackers"]))' "$D/truth.json")
	"$SWARMWATCH" count -v --allow-private --json --for 10s --reannounce 2s --udp-timeout 1s \
		"$magnet" >"$work/$client.json" 2>"$work/$client.err"
	if $PY - "$D/truth.json" "$work/$client.json" "$work/$client.err" "$client" <<'PYEOF'
import json, sys
truth, count = (json.load(open(p)) for p in sys.argv[1:3])
log, client = open(sys.argv[3]).read(), sys.argv[4]
fetched = "metadata: %s," % truth["name"] in log
verified = count["unique_ips"]["verified"] == len(truth["peers"])
good = count["name"] == truth["name"] and fetched and verified
print(("ok   " if good else "--   ") + "%-12s metadata from a magnet: name %r, %s, verified %d of %d"
      % (client, count["name"], "verified against the infohash" if fetched else "not fetched",
         count["unique_ips"]["verified"], len(truth["peers"])))
sys.exit(0 if good else 1)
PYEOF
	then
		served+=("$client")
	fi
	$PY "$TESTBED" down --dir "$D" >/dev/null 2>&1
done
check "metadata fetched from >= 3 implementations: ${served[*]}" test ${#served[@]} -ge 3
exit $TB_FAILED
