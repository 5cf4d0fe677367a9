#!/usr/bin/env bash
# test_testbed.sh - the real-client test bed (tests/testbed/) works and
# cleans up after itself.
#
#   1. In the background: a 6-peer run with --lifetime 15; its watchdog must
#      end every process of it by itself.
#   2. A run that fails on purpose (--fail-at clients) must exit 1 and leave
#      none of its processes behind.
#   3. The main run: 60 peers from all five clients (aria2, transmission,
#      qbittorrent, rtorrent, python3-libtorrent), on distinct 127.x
#      addresses, both trackers (opentracker, bittorrent-tracker; HTTP and
#      UDP), up in < 60 s.  Then, with code independent of testbed.py:
#        - truth.json is well formed: 60 distinct addresses, none 127.0.0.1,
#          five client kinds, every peer on both trackers, seeds have 1.0 and
#          leechers 0.0;
#        - direct announces (a probe address of our own, numwant 1000,
#          repeated until the peer list stops growing, then event=stopped) to
#          each of the 4 tracker URLs hand out exactly the truth's (ip, port)
#          set: none missing, none extra;
#        - a direct scrape of each URL counts exactly the truth's seeds and
#          leechers;
#      and `testbed.py verify` (scrape + probe + client status) passes.
#   4. `down` ends every recorded PID and everything in their sessions,
#      nothing listens on the run's addresses any more, and a second `down`
#      is a no-op.
#   5. Hidden peers, fakes, hostile fakes: a 10-peer run (libtorrent and
#      transmission) with --hidden 3 --fakes 20 --hostile all.  Then, with
#      code independent of testbed.py:
#        - truth.json: the hidden peers have no trackers and PEX hosts that
#          are tracked libtorrent seeds; 20 fakes cycle through the five fake
#          modes and the four hostile modes are there, each on an address of
#          its own, none a peer's;
#        - direct announces to one HTTP and one UDP tracker URL hand out
#          exactly the tracked peers plus the fakes (no hidden peer), and
#          their counts have the fakes as leechers;
#        - a fresh peer-wire connection to the PEX hosts (BEP 10, ut_pex)
#          receives ut_pex messages naming every hidden peer;
#        - each fake mode does what it says on the wire (refused, closed,
#          another infohash, garbage, a bitfield of the wrong length, a 4 GB
#          prefix, a byte a second, a have flood, a metadata offer);
#        - `fake_peer.py incoming-flood` opens 300 connections to a `close`
#          fake and sees every one closed;
#      and `testbed.py verify`, `pex` and `metadata` pass; `down` ends it all.
#
# Prints one line per check and the timings; exits 0 only if all passed.
# Needs root (opentracker's chroot) and scripts/deps.sh having run.
# Usage: bash tests/integration/test_testbed.sh   (from any cwd)
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
PY=/usr/bin/python3
TB="$PY $ROOT/tests/testbed/testbed.py"
PEERS=${TESTBED_PEERS:-60}
UP_LIMIT=${TESTBED_UP_LIMIT:-60}

fails=0
ok() { echo "ok   $*"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

missing=()
for tool in opentracker aria2c transmission-daemon qbittorrent-nox rtorrent node; do
	command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
$PY -c 'import libtorrent' 2>/dev/null || missing+=(python3-libtorrent)
[ -d "$ROOT/tests/testbed/node_modules/bittorrent-tracker" ] || missing+=(tests/testbed/node_modules)
if [ ${#missing[@]} -gt 0 ]; then
	echo "FAIL missing: ${missing[*]} (run scripts/deps.sh)"
	exit 1
fi

WORK=$(mktemp -d /tmp/swarmwatch-test-testbed.XXXXXX)
D=$WORK/main
DW=$WORK/watchdog
DF=$WORK/fail
DX=$WORK/extra
cleanup() {
	for d in "$D" "$DW" "$DF" "$DX"; do
		[ -f "$d/pids" ] && $TB down --dir "$d" --grace 1 >/dev/null 2>&1
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# all_gone DIR: every PID in DIR/pids (same start time) and every process in
# its session has ended; prints the survivors.
all_gone() {
	$PY - "$1/pids" <<'EOF'
import os, sys
recs = [l.split(None, 2) for l in open(sys.argv[1]) if l.strip()]
def stat(pid):
    try:
        s = open("/proc/%s/stat" % pid).read()
    except OSError:
        return None
    r = s[s.rindex(")") + 2:].split()
    return r[0], int(r[3]), int(r[19])          # state, session, starttime
live = []
sids = set()
for pid, start, name in recs:
    st = stat(pid)
    if st and st[2] != int(start):
        continue                                # pid reused: ours is gone
    sids.add(int(pid))
for ent in os.listdir("/proc"):
    if ent.isdigit():
        st = stat(ent)
        if st and st[0] not in "ZX" and st[1] in sids:
            live.append(ent)
print(" ".join(live))
sys.exit(1 if live else 0)
EOF
}

# listening SLOT: sockets still bound on 127.SLOT.x.y
listening() {
	ss -Hltun 2>/dev/null | awk '{print $5}' | grep -c "^127\.$1\." || true
}

# --- 1. watchdog run, in the background -----------------------------------------
t_w0=$(now)
$TB up --dir "$DW" --peers 6 --lifetime 15 --quiet --no-verify >"$WORK/w.out" 2>"$WORK/w.err" &
WPID=$!

# --- 2. a run that fails on purpose ----------------------------------------------
$TB up --dir "$DF" --peers 8 --fail-at clients --quiet >"$WORK/f.out" 2>"$WORK/f.err"
rc=$?
if [ $rc -eq 1 ] && grep -q "failing on purpose" "$WORK/f.err"; then
	ok "failing run exits 1 and says why"
else
	bad "failing run: exit $rc, stderr: $(tail -2 "$WORK/f.err")"
fi
if [ -s "$DF/pids" ] && left=$(all_gone "$DF"); then
	ok "failing run left no process behind ($(wc -l <"$DF/pids") recorded)"
else
	bad "failing run left processes: ${left:-no pids file}"
fi

# --- 3. the main run -------------------------------------------------------------
t0=$(now)
$TB up --dir "$D" --peers "$PEERS" --quiet >"$WORK/up.out" 2>"$WORK/up.err"
rc=$?
up_s=$(since "$t0")
if [ $rc -ne 0 ]; then
	bad "up --peers $PEERS: exit $rc: $(tail -3 "$WORK/up.err")"
	echo "0 passed, 1 failed"
	exit 1
fi
ok "up --peers $PEERS in ${up_s} s"
if awk -v a="$up_s" -v b="$UP_LIMIT" 'BEGIN { exit !(a < b) }'; then ok "up took less than $UP_LIMIT s"; else bad "up took ${up_s} s (limit $UP_LIMIT)"; fi
SLOT=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["slot"])' "$D/truth.json")

# truth.json, and an independent probe + scrape of every tracker URL
$PY - "$D/truth.json" "$PEERS" <<'EOF'
import json, os, random, socket, struct, sys, time, urllib.parse, http.client
truth = json.load(open(sys.argv[1]))
npeers = int(sys.argv[2])
fails = 0
def check(cond, msg):
    global fails
    print(("ok   " if cond else "FAIL ") + msg)
    fails += 0 if cond else 1

peers = truth["peers"]
ips = [p["ip"] for p in peers]
check(len(peers) == npeers, "truth has %d peers" % len(peers))
check(len(set(ips)) == len(ips), "every peer has its own address")
check(all(ip.startswith("127.") and ip != "127.0.0.1" for ip in ips),
      "all addresses in 127.0.0.0/8, none 127.0.0.1")
kinds = sorted({p["client"] for p in peers})
check(len(kinds) >= 4, "client implementations: %s" % ",".join(kinds))
check(all(sorted(p["trackers"]) == ["bittorrent-tracker", "opentracker"] for p in peers),
      "every peer registered on both trackers")
check(all((p["role"] == "seed" and p["have"] == 1.0) or (p["role"] == "leecher" and p["have"] == 0.0)
          for p in peers), "seeds have 1.0, leechers 0.0")
for k in kinds:
    roles = {p["role"] for p in peers if p["client"] == k}
    check(roles == {"seed", "leecher"}, "%s has seeds and leechers" % k)
check(len(truth["trackers"]) == 4 and
      {t["name"] for t in truth["trackers"]} == {"opentracker-http", "opentracker-udp",
                                                   "bittorrent-tracker-http", "bittorrent-tracker-udp"},
      "four tracker URLs")

# --- independent tracker client -------------------------------------------------
ih = bytes.fromhex(truth["infohash"])
slot = truth["slot"]
src = "127.%d.0.10" % slot          # not the test bed's own probe address
port = 7777
pid = b"-SWTEST0-" + os.urandom(11)
def bdec(b, i=0):
    c = b[i:i+1]
    if c == b"i":
        j = b.index(b"e", i); return int(b[i+1:j]), j + 1
    if c in (b"l", b"d"):
        i += 1; out = [] if c == b"l" else {}
        while b[i:i+1] != b"e":
            if c == b"l":
                v, i = bdec(b, i); out.append(v)
            else:
                k, i = bdec(b, i); v, i = bdec(b, i); out[k] = v
        return out, i + 1
    j = b.index(b":", i); n = int(b[i:j]); return b[j+1:j+1+n], j + 1 + n
def compact(b):
    return {(socket.inet_ntoa(b[i:i+4]), struct.unpack(">H", b[i+4:i+6])[0])
            for i in range(0, len(b) // 6 * 6, 6)}
def hget(url, path):
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=5, source_address=(src, 0))
    c.request("GET", path); r = c.getresponse().read(); c.close()
    return bdec(r)[0]
def http_announce(url, event):
    q = "info_hash=%s&peer_id=%s&port=%d&uploaded=0&downloaded=0&left=1000&compact=1&numwant=1000%s" % (
        urllib.parse.quote_from_bytes(ih), urllib.parse.quote_from_bytes(pid), port,
        "&event=" + event if event else "")
    d = hget(url, urllib.parse.urlsplit(url).path + "?" + q)
    assert b"failure reason" not in d, d
    return compact(d.get(b"peers", b""))
def http_scrape(url):
    path = urllib.parse.urlsplit(url).path.replace("/announce", "/scrape")
    d = hget(url, path + "?info_hash=" + urllib.parse.quote_from_bytes(ih))
    files = d.get(b"files", {})
    # bittorrent-tracker (npm) spells the key as UTF-8 of the binary string
    for k, v in files.items():
        if k == ih or k.decode("utf-8", "replace").encode("latin-1", "replace") == ih:
            return v[b"complete"], v[b"incomplete"]
    return 0, 0
class Udp:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url); self.a = (u.hostname, u.port)
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); self.s.bind((src, 0))
        self.s.settimeout(2)
        tx = random.getrandbits(32)
        d = self.x(struct.pack(">QII", 0x41727101980, 0, tx), tx)
        self.cid = struct.unpack(">Q", d[8:16])[0]
    def x(self, pkt, tx):
        for _ in range(3):
            self.s.sendto(pkt, self.a)
            try:
                while True:
                    d = self.s.recv(65536)
                    if struct.unpack(">I", d[4:8])[0] == tx:
                        assert struct.unpack(">I", d[:4])[0] != 3, d
                        return d
            except socket.timeout:
                pass
        raise RuntimeError("UDP tracker %s: no answer" % (self.a,))
    def announce(self, event):
        tx = random.getrandbits(32)
        ev = {"": 0, "started": 2, "stopped": 3}[event]
        d = self.x(struct.pack(">QII", self.cid, 1, tx) + ih + pid +
                   struct.pack(">qqqIIIiH", 0, 1000, 0, ev, 0, 0, 1000, port), tx)
        return compact(d[20:])
    def scrape(self):
        tx = random.getrandbits(32)
        d = self.x(struct.pack(">QII", self.cid, 2, tx) + ih, tx)
        s, c, l = struct.unpack(">III", d[8:20]); return s, l

want = {(p["ip"], p["port"]) for p in peers}
nseed = sum(1 for p in peers if p["role"] == "seed")
for t in truth["trackers"]:
    url = t["url"]
    udp = Udp(url) if url.startswith("udp") else None
    ann = (lambda ev: udp.announce(ev)) if udp else (lambda ev: http_announce(url, ev))
    seen = set(); quiet = 0; n = 0; ev = "started"
    while quiet < 5 and n < 200:
        new = ann(ev) - seen; ev = ""; n += 1
        seen |= new; quiet = 0 if new else quiet + 1
    ann("stopped")
    seen.discard((src, port))
    check(seen == want, "%s: %d announces hand out exactly the truth's %d (ip, port)%s" % (
        t["name"], n, len(want),
        "" if seen == want else " (missing %s, extra %s)" % (sorted(want - seen)[:5], sorted(seen - want)[:5])))
    check({ip for ip, _ in seen} == set(ips), "%s: same IP set as the truth" % t["name"])
    sc = udp.scrape() if udp else http_scrape(url)
    check(sc == (nseed, len(peers) - nseed), "%s: scrape says %d seeds, %d leechers (truth %d, %d)" % (
        t["name"], sc[0], sc[1], nseed, len(peers) - nseed))
sys.exit(1 if fails else 0)
EOF
[ $? -eq 0 ] || fails=$((fails + 1))

t2=$(now)
if $TB verify --dir "$D" >"$WORK/verify.json" 2>"$WORK/verify.err"; then
	ok "testbed.py verify (scrape + probe + client status) in $(since "$t2") s"
else
	bad "testbed.py verify: $(head -c 600 "$WORK/verify.json") $(tail -2 "$WORK/verify.err")"
fi

# --- 4. down -----------------------------------------------------------------------
n_pids=$(wc -l <"$D/pids")
t3=$(now)
if $TB down --dir "$D" >"$WORK/down.json" 2>"$WORK/down.err"; then
	ok "down in $(since "$t3") s: $(cat "$WORK/down.json")"
else
	bad "down: $(cat "$WORK/down.json" "$WORK/down.err")"
fi
if left=$(all_gone "$D"); then ok "all $n_pids recorded processes are gone"; else bad "still alive after down: $left"; fi
n=$(listening "$SLOT")
if [ "$n" = 0 ]; then ok "nothing listens on 127.$SLOT.*"; else bad "$n sockets still bound on 127.$SLOT.*"; fi
if out=$($TB down --dir "$D" 2>&1); then ok "second down is a no-op: $out"; else bad "second down: $out"; fi

# --- 5. hidden peers (PEX), fakes, hostile fakes ------------------------------------
t5=$(now)
$TB up --dir "$DX" --peers 10 --clients libtorrent,transmission --hidden 3 --fakes 20 \
	--hostile all --quiet >"$WORK/x.out" 2>"$WORK/x.err"
rc=$?
x_s=$(since "$t5")
if [ $rc -ne 0 ]; then
	bad "up --hidden 3 --fakes 20 --hostile all: exit $rc: $(tail -3 "$WORK/x.err")"
else
	ok "up --peers 10 --hidden 3 --fakes 20 --hostile all in ${x_s} s"
	XSLOT=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["slot"])' "$DX/truth.json")
	$PY - "$DX/truth.json" "$ROOT/tests/testbed/fake_peer.py" <<'PYEOF'
import json, os, random, select, socket, struct, subprocess, sys, time, urllib.parse, http.client
truth = json.load(open(sys.argv[1]))
fails = 0
def check(cond, msg):
    global fails
    print(("ok   " if cond else "FAIL ") + msg)
    fails += 0 if cond else 1

slot = truth["slot"]
ih = bytes.fromhex(truth["infohash"])
npieces = truth["num_pieces"]
peers = truth["peers"]
hidden = [p for p in peers if p.get("hidden")]
tracked = [p for p in peers if not p.get("hidden")]
fakes = truth["fakes"]
hosts = {"%s:%d" % (p["ip"], p["port"]): p for p in peers if p.get("pex_host")}
check(len(hidden) == 3 and all(p["trackers"] == [] and p["pex_hosts"] for p in hidden),
      "3 hidden peers, registered with no tracker, each with PEX hosts")
check(bool(hosts) and all(p["client"] == "libtorrent" and p["role"] == "seed" and p["trackers"]
                          for p in hosts.values())
      and all(h in hosts for p in hidden for h in p["pex_hosts"]),
      "PEX hosts are tracked libtorrent seeds (%d)" % len(hosts))
modes = [f["mode"] for f in fakes if not f["hostile"]]
hmodes = sorted(f["mode"] for f in fakes if f["hostile"])
check(len(modes) == 20 and set(modes) == {"dead", "close", "wrong-infohash", "garbage", "bad-bitfield"},
      "20 fakes over the five fake modes")
check(hmodes == sorted(["huge-prefix", "slowloris", "have-flood", "bad-metadata"]),
      "hostile fakes: %s" % ",".join(hmodes))
fips = [f["ip"] for f in fakes]
check(len(set(fips)) == len(fips) and not set(fips) & {p["ip"] for p in peers}
      and all(ip.startswith("127.%d." % slot) for ip in fips),
      "every fake on its own address in the slot, none a peer's")

# --- direct announces (an independent tracker client) ---
src, port = "127.%d.0.13" % slot, 7778
pid = b"-SWTEST5-" + os.urandom(11)
def bdec(b, i=0):
    c = b[i:i+1]
    if c == b"i":
        j = b.index(b"e", i); return int(b[i+1:j]), j + 1
    if c in (b"l", b"d"):
        i += 1; out = [] if c == b"l" else {}
        while b[i:i+1] != b"e":
            if c == b"l":
                v, i = bdec(b, i); out.append(v)
            else:
                k, i = bdec(b, i); v, i = bdec(b, i); out[k] = v
        return out, i + 1
    j = b.index(b":", i); n = int(b[i:j]); return b[j+1:j+1+n], j + 1 + n
def compact(b):
    return {(socket.inet_ntoa(b[i:i+4]), struct.unpack(">H", b[i+4:i+6])[0])
            for i in range(0, len(b) // 6 * 6, 6)}
def http_ann(url, ev):
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=5, source_address=(src, 0))
    q = "info_hash=%s&peer_id=%s&port=%d&uploaded=0&downloaded=0&left=1&compact=1&numwant=1000%s" % (
        urllib.parse.quote_from_bytes(ih), urllib.parse.quote_from_bytes(pid), port,
        "&event=" + ev if ev else "")
    c.request("GET", u.path + "?" + q); d = bdec(c.getresponse().read())[0]; c.close()
    return compact(d.get(b"peers", b"")), (d.get(b"complete"), d.get(b"incomplete"))
def udp_ann(url, ev):
    u = urllib.parse.urlsplit(url)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((src, 0)); s.settimeout(2)
    def x(pkt, tx):
        for _ in range(3):
            s.sendto(pkt, (u.hostname, u.port))
            try:
                while True:
                    d = s.recv(65536)
                    if d[4:8] == struct.pack(">I", tx):
                        return d
            except socket.timeout:
                pass
        raise RuntimeError("no answer from %s" % url)
    tx = random.getrandbits(32)
    cid = x(struct.pack(">QII", 0x41727101980, 0, tx), tx)[8:16]
    tx = random.getrandbits(32)
    d = x(cid + struct.pack(">II", 1, tx) + ih + pid + struct.pack(
        ">qqqIIIiH", 0, 1, 0, {"": 0, "started": 2, "stopped": 3}[ev], 0, 0, 1000, port), tx)
    s.close()
    _, le, se = struct.unpack(">III", d[8:20])
    return compact(d[20:]), (se, le)
want = {(p["ip"], p["port"]) for p in tracked} | {(f["ip"], f["port"]) for f in fakes}
nseed = sum(1 for p in tracked if p["role"] == "seed")
for t in truth["trackers"]:
    if t["name"] not in ("opentracker-udp", "bittorrent-tracker-http"):
        continue
    ann = udp_ann if t["url"].startswith("udp") else http_ann
    seen, quiet, ev, n = set(), 0, "started", 0
    while quiet < 4 and n < 100:
        got, counts = ann(t["url"], ev); ev = ""; n += 1
        new = got - seen; seen |= new; quiet = 0 if new else quiet + 1
    ann(t["url"], "stopped")
    seen.discard((src, port))
    check(seen == want, "%s hands out the %d tracked peers + %d fakes, no hidden peer%s" % (
        t["name"], len(tracked), len(fakes), "" if seen == want else " (missing %s, extra %s)" % (
            sorted(want - seen)[:4], sorted(seen - want)[:4])))
    # the counts include our own `started` (a leecher)
    check(counts == (nseed, len(tracked) - nseed + len(fakes) + 1),
          "%s counts (seeds, leechers) = %s: the fakes are leechers" % (t["name"], counts))

# --- PEX: a fresh connection to the hosts hears of every hidden peer ---
me = "127.%d.0.14" % slot
def wire(ip, port_):
    s = socket.create_connection((ip, port_), timeout=5, source_address=(me, 0))
    res = bytearray(8); res[5] = 0x10
    s.sendall(b"\x13BitTorrent protocol" + bytes(res) + ih + b"-SWTEST5" + os.urandom(12))
    return s
want_h = {(p["ip"], p["port"]) for p in hidden}
heard = set()
t0 = time.time()
conns = []
for hk in hosts:
    ip, pt = hk.rsplit(":", 1)
    s = wire(ip, int(pt))
    buf = b""
    while len(buf) < 68:
        buf += s.recv(65536)
    ext = b"d1:md6:ut_pexi1eee"
    s.sendall(struct.pack(">IBB", 2 + len(ext), 20, 0) + ext)
    conns.append([s, buf[68:]])
while time.time() - t0 < 30 and not want_h <= heard:
    r, _, _ = select.select([c[0] for c in conns], [], [], 1)
    for c in conns:
        if c[0] not in r:
            continue
        d = c[0].recv(65536)
        if not d:
            continue
        c[1] += d
        while len(c[1]) >= 4:
            n = struct.unpack(">I", c[1][:4])[0]
            if len(c[1]) < 4 + n:
                break
            m = c[1][4:4 + n]; c[1] = c[1][4 + n:]
            if n >= 2 and m[0] == 20 and m[1] == 1:
                heard |= compact(bdec(m, 2)[0].get(b"added", b""))
for c in conns:
    c[0].close()
check(want_h <= heard, "ut_pex from the PEX hosts names every hidden peer (%.1f s)%s" % (
    time.time() - t0, "" if want_h <= heard else " (missing %s)" % sorted(want_h - heard)))

# --- each fake mode on the wire ---
by_mode = {}
for f in fakes:
    by_mode.setdefault(f["mode"], f)
def talk(mode, send_hs=True, want=200, secs=2.0):
    f = by_mode[mode]
    s = socket.create_connection((f["ip"], f["port"]), timeout=secs, source_address=(me, 0))
    if send_hs:
        s.sendall(b"\x13BitTorrent protocol" + bytes(8) + ih + b"-SWTEST5" + os.urandom(12))
    got, t0 = b"", time.time()
    try:
        while len(got) < want and time.time() - t0 < secs:
            d = s.recv(65536)
            if not d:
                return got, True
            got += d
    except socket.timeout:
        pass
    finally:
        s.close()
    return got, False
try:
    socket.create_connection((by_mode["dead"]["ip"], by_mode["dead"]["port"]), timeout=2).close()
    check(False, "dead: nothing listens")
except ConnectionRefusedError:
    check(True, "dead: connection refused")
g, eof = talk("close")
check(g == b"" and eof, "close: closed at once, not a byte")
g, _ = talk("wrong-infohash", want=68)
check(len(g) >= 68 and g[:20] == b"\x13BitTorrent protocol" and g[28:48] != ih,
      "wrong-infohash: a handshake for another infohash")
g, _ = talk("garbage", send_hs=False, want=1000)
check(len(g) >= 1000 and g[:20] != b"\x13BitTorrent protocol", "garbage: random bytes")
g, _ = talk("bad-bitfield", want=73)
bl = struct.unpack(">I", g[68:72])[0] - 1 if len(g) >= 73 else -1
check(g[28:48] == ih and g[72:73] == b"\x05" and bl != (npieces + 7) // 8,
      "bad-bitfield: right handshake, a bitfield of %d bytes for %d pieces" % (bl, npieces))
g, _ = talk("huge-prefix", want=72)
check(g[28:48] == ih and g[68:72] == b"\xff\xff\xff\xf0", "huge-prefix: length prefix 0xFFFFFFF0")
g, _ = talk("slowloris", want=68, secs=2.5)
check(1 <= len(g) <= 5, "slowloris: %d bytes of handshake in 2.5 s" % len(g))
g, _ = talk("have-flood", want=68 + 9 * 1000, secs=3)
check(len(g) >= 68 + 9 * 1000 and g[68:73] == b"\x00\x00\x00\x05\x04",
      "have-flood: >= 1000 have messages at once")
g, _ = talk("bad-metadata", want=100)
check(b"ut_metadata" in g and b"metadata_size" in g, "bad-metadata: offers ut_metadata and a metadata_size")
c = by_mode["close"]
r = subprocess.run([sys.executable, sys.argv[2], "incoming-flood", "--target",
                    "%s:%d" % (c["ip"], c["port"]), "--count", "300", "--hold", "1",
                    "--sources", "127.%d.0.15,127.%d.0.16" % (slot, slot), "--for", "20"],
                   capture_output=True, text=True, timeout=40)
lines = r.stdout.strip().splitlines()
summ = json.loads(lines[-1]) if len(lines) == 2 else {}
check(r.returncode == 0 and summ.get("connected") == 300 and summ.get("closed_by_target") == 300,
      "incoming-flood: 300 connections, all closed by the target: %s" % (
          lines[-1] if lines else r.stderr[-200:]))
sys.exit(1 if fails else 0)
PYEOF
	[ $? -eq 0 ] || fails=$((fails + 1))
	for cmd in verify pex metadata; do
		t6=$(now)
		if $TB $cmd --dir "$DX" >"$WORK/x.$cmd.json" 2>"$WORK/x.$cmd.err"; then
			ok "testbed.py $cmd in $(since "$t6") s"
		else
			bad "testbed.py $cmd: $(head -c 600 "$WORK/x.$cmd.json") $(tail -2 "$WORK/x.$cmd.err")"
		fi
	done
	if $TB down --dir "$DX" >"$WORK/x.down.json" 2>&1 && left=$(all_gone "$DX"); then
		ok "down: every process of the run is gone"
	else
		bad "down: $(cat "$WORK/x.down.json") ${left:-}"
	fi
	n=$(listening "$XSLOT")
	if [ "$n" = 0 ]; then ok "nothing listens on 127.$XSLOT.*"; else bad "$n sockets still bound on 127.$XSLOT.*"; fi
fi

# --- 1, continued: the watchdog run must have ended by itself ------------------------
wait $WPID
wrc=$?
if [ $wrc -ne 0 ]; then
	bad "watchdog run: up exit $wrc: $(tail -2 "$WORK/w.err")"
else
	deadline=$(( $(date +%s) + 40 ))
	while ! all_gone "$DW" >/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 1; done
	if left=$(all_gone "$DW"); then
		ok "--lifetime 15: the watchdog ended all $(wc -l <"$DW/pids") processes by itself ($(since "$t_w0") s after start)"
	else
		bad "--lifetime 15: still alive: $left"
	fi
fi

echo "timings: up ${up_s} s for $PEERS peers; ${x_s:-?} s for 10 peers + 3 hidden + 24 fakes"
if [ $fails -eq 0 ]; then
	echo "test_testbed: all checks passed"
	exit 0
fi
echo "test_testbed: $fails check(s) failed"
exit 1
