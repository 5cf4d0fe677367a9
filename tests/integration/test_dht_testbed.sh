#!/usr/bin/env bash
# test_dht_testbed.sh - the DHT test bed (tests/testbed/dht_testbed.py) works
# and cleans up after itself.
#
#   1. In the background: a tiny run (20 libtorrent nodes, one 2-peer swarm)
#      with --lifetime 30; its watchdog must end every process by itself.
#   2. The main run, default sizes (>= 200 nodes: libtorrent sessions, npm
#      bittorrent-dht nodes, swarm peers, a liar), up in < 120 s.  Then, with
#      code independent of dht_testbed.py (a fresh libtorrent session and raw
#      KRPC from an address of our own):
#        - truth.json is well formed: >= 200 nodes on distinct addresses of
#          the slot, both implementations, one bootstrap node, swarms whose
#          peers are on distinct addresses with the stated seed counts;
#        - a get_peers lookup (libtorrent's) finds every peer of every swarm,
#          and nothing else but the liar's fake addresses;
#        - the liar answers get_peers for a random infohash with exactly the
#          truth's fake list; a real libtorrent node answers it with none;
#        - BEP 33: get_peers scrape=1 (raw KRPC) to every libtorrent node; the merged BFsd/BFpe estimates are within
#          20 % of the true seeders and leechers;
#        - BEP 51: libtorrent's dht_sample_infohashes to every libtorrent
#          node: the samples are exactly the truth's stored infohashes;
#        - BEP 9: the info dict of 3 "real" stored torrents, fetched from the
#          peer the truth names, hashes to the infohash and has its name;
#        - fake_dht.py hostile, every mode for 2 s against a libtorrent node:
#          the reports add up (the flood reaches ~10,000 packets/s) and the
#          node still answers a ping from another address.
#   3. `down` ends every recorded process, nothing is bound on the slot's
#      addresses any more, and a second `down` is a no-op.
#
# Prints one line per check and the timings; exits 0 only if all passed.
# Needs scripts/deps.sh to have run (python3-libtorrent, node, npm ci).
# Usage: bash tests/integration/test_dht_testbed.sh   (from any cwd)
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
PY=/usr/bin/python3
DTB="$PY $ROOT/tests/testbed/dht_testbed.py"
UP_LIMIT=${DHT_TESTBED_UP_LIMIT:-120}

fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

WORK=$(mktemp -d /tmp/test_dht_testbed.XXXXXX)
D=$WORK/main
DW=$WORK/watchdog
cleanup() {
	$DTB down --dir "$D" >/dev/null 2>&1
	$DTB down --dir "$DW" >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT

# every recorded process (and its session) gone?  prints what is left
all_gone() {
	$PY - "$1" <<'PYEOF'
import os, sys
recs = []
try:
    for line in open(os.path.join(sys.argv[1], "pids")):
        pid, start, name = line.split(None, 2)
        recs.append((int(pid), int(start), name.strip()))
except OSError:
    pass
sids = {}
for pid, start, name in recs:
    sids[pid] = (start, name)
left = []
for e in os.listdir("/proc"):
    if not e.isdigit():
        continue
    try:
        s = open("/proc/%s/stat" % e).read()
    except OSError:
        continue
    f = s[s.rindex(")") + 2:].split()
    if f[0] in ("Z", "X"):
        continue
    sid, st = int(f[3]), int(f[19])
    if sid in sids and st >= sids[sid][0]:
        left.append("%s(%s)" % (e, sids[sid][1]))
print(" ".join(left))
sys.exit(1 if left else 0)
PYEOF
}

listening() { # sockets bound to 127.SLOT.* (TCP TIME-WAIT left aside: no process)
	local slot=$1
	$PY - "$slot" <<'PYEOF'
import sys
slot = int(sys.argv[1])
n = 0
for t in ("/proc/net/tcp", "/proc/net/udp"):
    for line in list(open(t))[1:]:
        f = line.split()
        b = bytes.fromhex(f[1].split(":")[0])[::-1]
        if b[0] == 127 and b[1] == slot and not (t.endswith("tcp") and f[3] == "06"):
            n += 1
print(n)
PYEOF
}

# --- 1. watchdog run, in the background ----------------------------------------------
mkdir -p "$DW"
t_w0=$(now)
$DTB up --dir "$DW" --lt-nodes 20 --js-nodes 0 --swarms 1 --swarm-peers 2 \
	--stored-infohashes 2 --stored-real 1 --announcers 1 --liars 0 --lifetime 30 --quiet \
	>"$WORK/w.out" 2>"$WORK/w.err" &
WPID=$!

# --- 2. the main run -----------------------------------------------------------------
t0=$(now)
if ! $DTB up --dir "$D" >"$WORK/up.json" 2>"$WORK/up.err"; then
	bad "up (default sizes): $(tail -5 "$WORK/up.err")"
	wait $WPID
	echo "test_dht_testbed: $fails check(s) failed"
	exit 1
fi
up_s=$(since "$t0")
if awk -v s="$up_s" -v l="$UP_LIMIT" 'BEGIN { exit !(s < l) }'; then
	ok "up with default sizes in ${up_s} s (< ${UP_LIMIT} s): $(cat "$WORK/up.json")"
else
	bad "up took ${up_s} s (limit ${UP_LIMIT} s)"
fi
SLOT=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["slot"])' "$D/truth.json")

$PY - "$D/truth.json" "$ROOT/tests/testbed" <<'PYEOF'
import hashlib, json, math, os, socket, struct, subprocess, sys, time
import libtorrent as lt
truth = json.load(open(sys.argv[1]))
TBDIR = sys.argv[2]
sys.path.insert(0, TBDIR)
import testbed   # only its peer-wire client (Wire) and bencode, for BEP 9
fails = 0
def check(cond, msg):
    global fails
    print(("ok   " if cond else "FAIL ") + msg)
    fails += 0 if cond else 1

slot = truth["slot"]
pre = "127.%d." % slot
nodes = truth["nodes"]
addrs = [(n["ip"], n["port"]) for n in nodes]
impls = {}
for n in nodes:
    impls[n["impl"]] = impls.get(n["impl"], 0) + 1
check(len(nodes) >= 200, "%d DHT nodes (>= 200): %s" % (len(nodes), impls))
check(len({a[0] for a in addrs}) == len(addrs) and all(a[0].startswith(pre) for a in addrs),
      "every node on its own address in 127.%d.0.0/16" % slot)
check(impls.get("libtorrent", 0) >= 100 and impls.get("bittorrent-dht", 0) >= 20,
      "both real implementations")
bip, bport = truth["bootstrap"].rsplit(":", 1)
check([n for n in nodes if n["role"] == "boot"] == [n for n in nodes if n["ip"] == bip]
      and len([n for n in nodes if n["role"] == "boot"]) == 1,
      "one bootstrap node, %s, is in the node list" % truth["bootstrap"])
sw_ok = True
for sw in truth["swarms"]:
    ps = sw["peers"]
    sw_ok &= len({p["ip"] for p in ps}) == len(ps)
    sw_ok &= sum(p["seed"] for p in ps) == sw["seeders"] and len(ps) - sw["seeders"] == sw["leechers"]
    sw_ok &= all(p["ip"].startswith(pre + "1.") for p in ps)
    sw_ok &= sw["magnet"].startswith("magnet:?xt=urn:btih:" + sw["infohash"]) and "&tr=" not in sw["magnet"]
    ti = lt.torrent_info(sw["torrent"])
    sw_ok &= str(ti.info_hashes().v1) == sw["infohash"] and not list(ti.trackers()) and ti.name() == sw["name"]
check(sw_ok and len(truth["swarms"]) == 3,
      "3 swarms (%s peers): distinct 127.S.1.x addresses, seed counts, torrents without trackers"
      % ",".join(str(len(s["peers"])) for s in truth["swarms"]))

# --- a fresh libtorrent probe ---
src = pre + "0.21"
A = lt.alert.category_t
s = lt.session({"listen_interfaces": src + ":6881", "outgoing_interfaces": src,
                "enable_dht": True, "dht_bootstrap_nodes": truth["bootstrap"],
                "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
                "dht_restrict_routing_ips": False, "dht_restrict_search_ips": False,
                "dht_prefer_verified_node_ids": False, "dht_ignore_dark_internet": False,
                "dht_enforce_node_id": False,
                "alert_mask": A.dht_operation_notification | A.dht_notification})
time.sleep(3)
fakes = {(f["ip"], f["port"]) for f in truth["fakes"]}
t0 = time.time()
for sw in truth["swarms"]:
    want = {(p["ip"], p["port"]) for p in sw["peers"]}
    got = set()
    for attempt in range(4):
        s.dht_get_peers(lt.sha1_hash(bytes.fromhex(sw["infohash"])))
        end = time.time() + 4
        while time.time() < end:
            s.wait_for_alert(200)
            for a in s.pop_alerts():
                if isinstance(a, lt.dht_get_peers_reply_alert) and str(a.info_hash) == sw["infohash"]:
                    got |= set(a.peers())
        if want <= got:
            break
    check(want <= got and not (got - want - fakes),
          "lookup of swarm %s: %d/%d peers found, %d of the liar's fakes, %d others (%d lookups)"
          % (sw["infohash"][:8], len(want & got), len(want), len(got & fakes),
             len(got - want - fakes), attempt + 1))

# --- raw KRPC: the liar lies, a real node does not ---
def krpc(ep, q, a, timeout=2.0):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((pre + "0.22", 0))
    u.settimeout(timeout)
    t = os.urandom(2)
    u.sendto(testbed.bencode({"t": t, "y": "q", "q": q, "a": dict(a, id=os.urandom(20))}), ep)
    try:
        while True:
            d, _ = u.recvfrom(65536)
            m, _ = testbed.bdecode_prefix(d)
            if m.get(b"t") == t:
                return m
    except socket.timeout:
        return None
    finally:
        u.close()
ih = os.urandom(20)
if truth["liars"]:
    L = truth["liars"][0]
    m = krpc((L["ip"], L["port"]), "get_peers", {"info_hash": ih})
    vals = {(socket.inet_ntoa(v[:4]), struct.unpack(">H", v[4:6])[0])
            for v in (m or {}).get(b"r", {}).get(b"values", [])}
    check(m is not None and vals == fakes,
          "the liar answers get_peers for a random infohash with the truth's %d fakes" % len(fakes))
real = [n for n in nodes if n["impl"] == "libtorrent" and n["role"] == "node"][5]
m = krpc((real["ip"], real["port"]), "get_peers", {"info_hash": ih})
check(m is not None and b"values" not in m.get(b"r", {}) and b"token" in m.get(b"r", {}),
      "a libtorrent node answers it with a token and no values")

# --- BEP 33: get_peers scrape=1 to every libtorrent node (raw KRPC; the
# Python binding has no dht_direct_request) ---
ltn = [n for n in nodes if n["impl"] == "libtorrent"]
def zeros(bf):
    return sum(8 - bin(b).count("1") for b in bf)
for sw in truth["swarms"]:
    ihb = bytes.fromhex(sw["infohash"])
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    u.bind((pre + "0.24", 0))
    myid = os.urandom(20)
    for k, n in enumerate(ltn):
        u.sendto(testbed.bencode({"t": struct.pack(">H", k), "y": "q", "q": "get_peers",
                                  "a": {"id": myid, "info_hash": ihb, "scrape": 1}}),
                 (n["ip"], n["port"]))
        time.sleep(0.001)
    sd, pe = bytearray(256), bytearray(256)
    nf = got = 0
    u.settimeout(0.5)
    end = time.time() + 4
    while time.time() < end and got < len(ltn):
        try:
            d, _ = u.recvfrom(65536)
        except socket.timeout:
            continue
        m, _ = testbed.bdecode_prefix(d)
        r = m.get(b"r", {})
        got += 1
        x, y = r.get(b"BFsd"), r.get(b"BFpe")
        if isinstance(x, bytes) and len(x) == 256 and isinstance(y, bytes) and len(y) == 256:
            nf += 1
            for i in range(256):
                sd[i] |= x[i]
                pe[i] |= y[i]
    u.close()
    est = []
    for bf in (sd, pe):
        c = zeros(bf)
        est.append(math.log(c / 2048) / (2 * math.log(1 - 1 / 2048)) if c else float("inf"))
    check(nf >= 1 and abs(est[0] - sw["seeders"]) <= 0.2 * sw["seeders"] + 0.5
          and abs(est[1] - sw["leechers"]) <= 0.2 * sw["leechers"] + 0.5,
          "BEP 33 swarm %s: %d of %d nodes sent filters; estimated %.1f seeders / %.1f leechers, "
          "truth %d / %d" % (sw["infohash"][:8], nf, got, est[0], est[1], sw["seeders"],
                             sw["leechers"]))

# --- BEP 51 through libtorrent's dht_sample_infohashes ---
for n in ltn:
    s.dht_sample_infohashes((n["ip"], n["port"]), lt.sha1_hash(os.urandom(20)))
samples = set()
answered = 0
end = time.time() + 6
while time.time() < end and answered < len(ltn):
    s.wait_for_alert(200)
    for a in s.pop_alerts():
        if isinstance(a, lt.dht_sample_infohashes_alert):
            answered += 1
            smp = a.samples() if callable(a.samples) else a.samples
            samples |= {str(h) for h in smp}
want = {x["infohash"] for x in truth["stored_infohashes"]}
check(samples == want, "BEP 51: %d of %d libtorrent nodes answered; samples = the truth's %d stored "
      "infohashes (missing %d, unknown %d)" % (answered, len(ltn), len(want), len(want - samples),
                                               len(samples - want)))
del s

# --- BEP 9: names of real stored torrents ---
reals = [x for x in truth["stored_infohashes"] if x["kind"] == "torrent"][:3]
good = 0
for x in reals:
    ip, port = x["peers"][0].rsplit(":", 1)
    ihb = bytes.fromhex(x["infohash"])
    w = None
    try:
        w = testbed.Wire(ip, int(port), pre + "0.23", ihb, 10)
        dl = time.time() + 10
        w.handshake(dl)
        w.send_ext(0, testbed.bencode({"m": {"ut_metadata": 3}}))
        blob = b""
        size = None
        while time.time() < dl:
            mid, body = w.msg(dl)
            if mid != 20:
                continue
            d, k = testbed.bdecode_prefix(body[1:])
            if body[0] == 0:
                size = d[b"metadata_size"]
                w.send_ext(d[b"m"][b"ut_metadata"], testbed.bencode({"msg_type": 0, "piece": 0}))
            elif body[0] == 3 and d.get(b"msg_type") == 1:
                blob = body[1 + k:]
                break
        info, _ = testbed.bdecode_prefix(blob)
        if hashlib.sha1(blob).digest() == ihb and info[b"name"].decode() == x["name"]:
            good += 1
    except Exception as e:
        print("     BEP 9 %s: %s" % (x["peers"][0], e))
    finally:
        if w:
            w.close()
check(len(reals) == 3 and good == 3, "BEP 9: %d/%d real stored torrents serve metadata with the truth's name"
      % (good, len(reals)))

# --- hostile sender against a real node ---
tgt = [n for n in nodes if n["impl"] == "libtorrent" and n["role"] == "node"][7]
r = subprocess.run([sys.executable, os.path.join(TBDIR, "fake_dht.py"), "hostile", "--target",
                    "%s:%d" % (tgt["ip"], tgt["port"]), "--mode", "all", "--for", "2"],
                   capture_output=True, text=True, timeout=60)
reps = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
by = {x["mode"]: x for x in reps if "mode" in x}
summ = reps[-1].get("summary", {}) if reps else {}
check(r.returncode == 0 and set(by) == {"random", "bomb", "wrong-txid", "flood", "bad-nodes"}
      and by["flood"]["sent"] >= 18000 and by["bomb"]["sent"] >= 300
      and summ.get("target_answers_ping_after") is True,
      "fake_dht.py hostile all (2 s each) at libtorrent %s: flood %d packets (%d/s), bombs %d, "
      "node still answers: %s" % (tgt["ip"], by.get("flood", {}).get("sent", -1),
                                  by.get("flood", {}).get("rate_pps", -1),
                                  by.get("bomb", {}).get("sent", -1),
                                  summ.get("target_answers_ping_after")))
sys.exit(1 if fails else 0)
PYEOF
[ $? -eq 0 ] || fails=$((fails + 1))

t1=$(now)
if $DTB check --dir "$D" >"$WORK/check.json" 2>"$WORK/check.err"; then
	ok "dht_testbed.py check in $(since "$t1") s"
else
	bad "dht_testbed.py check: $(head -c 800 "$WORK/check.json") $(tail -2 "$WORK/check.err")"
fi
RSS=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["rss_kb"] // 1024)' "$D/truth.json")

# --- 3. down --------------------------------------------------------------------------
if $DTB down --dir "$D" >"$WORK/down.json" 2>&1 && left=$(all_gone "$D"); then
	ok "down: every process of the run is gone ($(cat "$WORK/down.json"))"
else
	bad "down: $(cat "$WORK/down.json") ${left:-}"
fi
n=$(listening "$SLOT")
if [ "$n" = 0 ]; then ok "nothing bound on 127.$SLOT.*"; else bad "$n sockets still bound on 127.$SLOT.*"; fi
if out=$($DTB down --dir "$D" 2>&1); then ok "second down is a no-op"; else bad "second down: $out"; fi

# --- 1, continued: the watchdog run ends by itself -------------------------------------
wait $WPID
wrc=$?
if [ $wrc -ne 0 ]; then
	bad "watchdog run: up exit $wrc: $(tail -3 "$WORK/w.err")"
else
	deadline=$(($(date +%s) + 60))
	while ! all_gone "$DW" >/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 1; done
	if left=$(all_gone "$DW"); then
		ok "--lifetime 30: the watchdog ended all $(wc -l <"$DW/pids") processes by itself ($(since "$t_w0") s after start)"
	else
		bad "--lifetime 30: still alive: $left"
	fi
fi

echo "timings: up ${up_s} s (default sizes), testbed RSS ${RSS} MB at ready"
if [ $fails -eq 0 ]; then
	echo "test_dht_testbed: all checks passed"
	exit 0
fi
echo "test_dht_testbed: $fails check(s) failed"
exit 1
