#!/usr/bin/python3
"""dht_testbed.py - a real Mainline DHT on loopback, with ground truth.

Run it with Debian's /usr/bin/python3 (it has python3-libtorrent).  See the
"DHT" section of tests/testbed/README.md; in short:

  dht_testbed.py up    --dir DIR [--slot S] [--lt-nodes 160] [--js-nodes 60]
                       [--swarms 3] [--swarm-peers 24,12,6] [--seeds-fraction 0.5]
                       [--stored-infohashes 100] [--stored-real 20]
                       [--liars 1] [--lifetime 1800] [--timeout 110]
  dht_testbed.py down  --dir DIR      end exactly the processes DIR/pids names
  dht_testbed.py check --dir DIR      a fresh probe: lookups, BEP 33, BEP 51 (JSON)

`up` starts, each on its own loopback address in 127.S.0.0/16: a libtorrent
bootstrap node (127.S.2.1), libtorrent DHT nodes (python3-libtorrent
sessions with only the DHT, many per process), npm bittorrent-dht nodes,
libtorrent peers of swarms that exist only in the DHT (torrents without
trackers: seeds with real data and leechers), libtorrent sessions that
announce the extra "stored" infohashes (some real torrents they seed, the
rest announced only), and fake_dht.py liars.  Every node's only bootstrap
node is 127.S.2.1.  It returns (one JSON line on stdout) when a probe
session finds every swarm's peers by get_peers and every stored infohash is
in some node's sample_infohashes, and writes DIR/truth.json.

The slot, DIR/pids, the watchdog and `down` are testbed.py's (imported).
Exit status: 0 success, 1 runtime failure (the message says what), 2 usage.
"""

import argparse
import json
import math
import os
import random
import select
import signal
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import testbed as tb          # noqa: E402  (slot, Run, pids, watchdog, down)
import fake_dht               # noqa: E402  (bencode, strict bdecode)

Fail = tb.Fail
DHT_PORT = 6881                # every DHT node's UDP port (TCP too for libtorrent)
SWARM_PORT_BASE = 20001        # swarm peer i listens on 20001 + i
ANNOUNCER_PORT = 6881
PROBE_HOST = 5                 # 127.S.0.5: up's probe; 127.S.0.6: `check`'s
CHECK_HOST = 6
LIAR_NET = 252                 # 127.S.252.1.. liars; 127.S.252.101.. their fake peers
FAKE_PEER_PORT = 51413
N_FAKE_PEERS = 8
LT_PER_PROCESS = 60
JS_PER_PROCESS = 30
BLOOM_BITS = 2048              # BEP 33: m = 256 * 8, k = 2

QUIET = False


def log(msg):
    if not QUIET:
        sys.stderr.write("dht_testbed: %s\n" % msg)
        sys.stderr.flush()


class UsageError(Exception):
    pass


# --- addresses ------------------------------------------------------------------

def lt_node_ip(slot, k):
    """k = 0 is the bootstrap node (127.S.2.1); then 127.S.2.2 .. 127.S.3.250."""
    return "127.%d.%d.%d" % (slot, 2 + k // 250, 1 + k % 250)


def js_node_ip(slot, k):
    return "127.%d.%d.%d" % (slot, 4 + k // 250, 1 + k % 250)


def swarm_peer_ip(slot, i):
    return "127.%d.1.%d" % (slot, 1 + i)


def announcer_ip(slot, k):
    return "127.%d.6.%d" % (slot, 1 + k)


# --- libtorrent sessions ----------------------------------------------------------

def lt_dht_settings(ip, port, routers, extra=None):
    """A session whose DHT works between loopback addresses (see README)."""
    s = {
        "listen_interfaces": "%s:%d" % (ip, port),
        "outgoing_interfaces": ip,
        "enable_dht": True, "dht_bootstrap_nodes": routers,
        "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "enable_ip_notifier": False,
        "enable_incoming_utp": False, "enable_outgoing_utp": False,
        # libtorrent's defaults refuse what a loopback DHT is made of:
        "dht_restrict_routing_ips": False,      # one node per /24 in the table
        "dht_restrict_search_ips": False,       # one node per /24 in a lookup
        "dht_enforce_node_id": False,           # BEP 42 ids only
        "dht_prefer_verified_node_ids": False,  # BEP 42 ids first
        "dht_ignore_dark_internet": False,      # unallocated/private ranges
        # 200+ nodes answer each other at once during the bootstrap
        "dht_upload_rate_limit": 200000,
        # libtorrent blocks an address for 5 min past 5 queries/s (default);
        # swarmwatch's lookups and crawl must not trip that on loopback
        "dht_block_ratelimit": 50,
        "allow_multiple_connections_per_ip": True,
        "ssrf_mitigation": False, "max_retry_port_bind": 0,
        "connections_limit": 60, "aio_threads": 1, "hashing_threads": 1,
        "alert_mask": 0,
    }
    if extra:
        s.update(extra)
    return s


def ltdht_main(spec_path):
    """`dht_testbed.py _ltdht SPEC`: run SPEC's sessions, obey DIR/dht/cmd.json,
    write SPEC's status file every 2 s, exit after the lifetime or SIGTERM."""
    import libtorrent as lt
    spec = tb.read_json(spec_path)
    deadline = time.time() + spec["lifetime"]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    extra = spec.get("settings") or {}
    tis = {}
    sess = []
    for p in spec["sessions"]:
        s = lt.session(lt_dht_settings(p["ip"], p["port"], p["routers"], extra))
        handles = []
        for t in p.get("torrents", []):
            if t["torrent"] not in tis:
                tis[t["torrent"]] = lt.torrent_info(t["torrent"])
            atp = lt.add_torrent_params()
            atp.ti = tis[t["torrent"]]
            atp.save_path = t["save_path"]
            atp.flags &= ~(lt.torrent_flags.paused | lt.torrent_flags.auto_managed)
            if t["seed"]:
                atp.flags |= lt.torrent_flags.seed_mode
            else:
                # a leecher that never downloads: priority 0 for every piece
                atp.piece_priorities = [0] * atp.ti.num_pieces()
            handles.append((t, s.add_torrent(atp)))
        for ih in p.get("announce", []):
            # announced only: a magnet (no metadata) that libtorrent
            # announces to the DHT while it looks for peers.  (The binding's
            # session.dht_announce() cannot be called: its flags type is not
            # exposed to Python.)
            atp = lt.parse_magnet_uri("magnet:?xt=urn:btih:" + ih)
            atp.save_path = p["magnet_dir"]
            atp.flags &= ~(lt.torrent_flags.paused | lt.torrent_flags.auto_managed)
            handles.append(({"infohash": ih, "seed": False}, s.add_torrent(atp)))
        sess.append({"p": p, "s": s, "h": handles, "nodes": 0})
        if stop.is_set():
            break

    def act(a):
        who = set(a.get("who", []))
        only = set(a.get("only", []))
        picked = [x for x in sess if x["p"]["role"] in who and
                  (not only or x["p"]["name"] in only)]
        if a["do"] == "add_nodes":
            for x in picked:
                for ip, port in a["nodes"]:
                    x["s"].add_dht_node((ip, port))
        elif a["do"] == "rebootstrap":
            # restarting the DHT re-runs its bootstrap (a lookup of our own
            # id through the router, which now knows everyone)
            for x in picked:
                x["s"].apply_settings({"enable_dht": False})
            time.sleep(0.2)
            for x in picked:
                x["s"].apply_settings({"enable_dht": True})
        elif a["do"] == "lookups":
            for x in picked:
                for _ in range(a.get("n", 1)):
                    x["s"].dht_get_peers(lt.sha1_hash(os.urandom(20)))
        elif a["do"] == "announce":
            for x in picked:
                for t, h in x["h"]:
                    h.force_dht_announce()

    seen_gen = 0
    next_status = 0.0
    while not stop.is_set() and time.time() < deadline:
        c = tb.read_json(spec["cmd"], {})
        if isinstance(c, dict) and c.get("gen", 0) > seen_gen:
            seen_gen = c["gen"]
            for a in c.get("actions", []):
                try:
                    act(a)
                except (RuntimeError, KeyError, ValueError, TypeError) as e:
                    sys.stderr.write("_ltdht: action %r: %s\n" % (a, e))
        for x in sess:
            for al in x["s"].pop_alerts():
                if isinstance(al, lt.dht_stats_alert):
                    x["nodes"] = sum(b["num_nodes"] for b in al.routing_table)
        now = time.time()
        if now >= next_status:
            out = []
            for x in sess:
                s = x["s"]
                tor = []
                for t, h in x["h"]:
                    st = h.status()
                    tor.append({"infohash": t["infohash"], "seed": t["seed"],
                                "state": str(st.state), "pieces": st.num_pieces,
                                "peers": st.num_peers, "is_seeding": st.is_seeding})
                out.append({"name": x["p"]["name"], "role": x["p"]["role"],
                            "ip": x["p"]["ip"], "port": x["p"]["port"],
                            "listening": s.is_listening(),
                            "listen_port": s.listen_port() if s.is_listening() else None,
                            "dht_running": s.is_dht_running(), "dht_nodes": x["nodes"],
                            "torrents": tor})
                s.post_dht_stats()
            try:
                tb.atomic_write(spec["status"], json.dumps({"time": now, "pid": os.getpid(),
                                                            "gen": seen_gen, "sessions": out}))
            except OSError:
                pass
            next_status = now + 2.0
        stop.wait(0.5)
    sys.stdout.flush()
    os._exit(0)


# --- torrents ----------------------------------------------------------------------

def make_torrent(run, sub, name, size, piece_len):
    """A v1 torrent with no tracker at all; content of random bytes in
    DIR/content/SUB/NAME.  Returns a dict with its infohash and paths."""
    import libtorrent as lt
    cdir = os.path.join(run.dir, "content", sub)
    os.makedirs(cdir, exist_ok=True)
    path = os.path.join(cdir, name)
    with open(path, "wb") as f:
        f.write(os.urandom(size))
    fs = lt.file_storage()
    lt.add_files(fs, path)
    ct = lt.create_torrent(fs, piece_len, flags=lt.create_torrent.v1_only)
    ct.set_creator("swarmwatch tests/testbed/dht_testbed.py")
    lt.set_piece_hashes(ct, cdir)
    e = ct.generate()
    tdir = os.path.join(run.dir, "torrents")
    os.makedirs(tdir, exist_ok=True)
    tpath = os.path.join(tdir, name + ".torrent")
    with open(tpath, "wb") as f:
        f.write(lt.bencode(e))
    ti = lt.torrent_info(tpath)
    if list(ti.trackers()):
        raise Fail("%s: the torrent has a tracker" % tpath)
    ih = str(ti.info_hashes().v1)
    return {"infohash": ih, "name": name, "torrent": tpath, "content_dir": cdir,
            "total_size": size, "piece_length": piece_len, "num_pieces": ti.num_pieces(),
            "magnet": "magnet:?xt=urn:btih:%s&dn=%s" % (ih, name)}


# --- KRPC probe (direct queries: sample_infohashes, BEP 33 scrape) ----------------

def krpc_multi(src_ip, queries, timeout=3.0, tries=2):
    """queries: {(ip, port): (q, args)}.  Sends each from one socket bound to
    src_ip, resends once, returns {(ip, port): reply dict 'r'}."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((src_ip, 0))
    s.setblocking(False)
    myid = os.urandom(20)
    tids = {}
    out = {}
    try:
        for _ in range(tries):
            pending = [ep for ep in queries if ep not in out]
            if not pending:
                break
            for ep in pending:
                q, a = queries[ep]
                t = os.urandom(4)
                tids[t] = ep
                msg = fake_dht.bencode({"t": t, "y": "q", "q": q, "a": dict(a, id=myid)})
                try:
                    s.sendto(msg, ep)
                except OSError:
                    pass
                time.sleep(0.0005)      # do not trip per-address rate limits
            end = time.time() + timeout
            while time.time() < end and len(out) < len(queries):
                r, _, _ = select.select([s], [], [], 0.1)
                if not r:
                    continue
                while True:
                    try:
                        d, addr = s.recvfrom(65536)
                    except (BlockingIOError, InterruptedError):
                        break
                    try:
                        m = fake_dht.bdecode(d)
                    except fake_dht.BError:
                        continue
                    if not isinstance(m, dict) or m.get(b"y") != b"r":
                        continue
                    ep = tids.get(m.get(b"t"))
                    if ep is not None and isinstance(m.get(b"r"), dict):
                        out[ep] = m[b"r"]
    finally:
        s.close()
    return out


def bloom_estimate(bits):
    """BEP 33: the number of items in a 2048-bit, k=2 bloom filter; None
    when the filter is saturated (no zero bit: log(0))."""
    zeros = sum(8 - bin(b).count("1") for b in bits)
    if zeros == 0:
        return None
    return math.log(zeros / BLOOM_BITS) / (2 * math.log(1 - 1 / BLOOM_BITS))


def bep33_scrape(src_ip, nodes, ih):
    """get_peers scrape=1 to every node; OR their BFsd/BFpe blooms."""
    rep = krpc_multi(src_ip, {tuple(n): ("get_peers", {"info_hash": ih, "scrape": 1})
                              for n in nodes})
    sd = bytearray(256)
    pe = bytearray(256)
    answered = 0
    for r in rep.values():
        a, b = r.get(b"BFsd"), r.get(b"BFpe")
        if isinstance(a, bytes) and isinstance(b, bytes) and len(a) == 256 and len(b) == 256:
            answered += 1
            for i in range(256):
                sd[i] |= a[i]
                pe[i] |= b[i]
    es, el = bloom_estimate(sd), bloom_estimate(pe)
    return {"nodes_with_filters": answered, "replies": len(rep),
            "estimated_seeders": None if es is None else round(es, 2),
            "estimated_leechers": None if el is None else round(el, 2)}


def sample_all(src_ip, nodes):
    """sample_infohashes to every node: {infohash hex: number of nodes}, and
    how many nodes answered with samples."""
    rep = krpc_multi(src_ip, {tuple(n): ("sample_infohashes", {"target": os.urandom(20)})
                              for n in nodes})
    seen = {}
    answered = 0
    for r in rep.values():
        smp = r.get(b"samples")
        if not isinstance(smp, bytes):
            continue
        answered += 1
        for k in range(0, len(smp) - len(smp) % 20, 20):
            h = smp[k:k + 20].hex()
            seen[h] = seen.get(h, 0) + 1
    return seen, answered, len(rep)


class LtProbe:
    """A libtorrent session with only the DHT, on its own address, that
    looks swarms up with get_peers (libtorrent's own iterative lookup)."""

    def __init__(self, ip, boot, port=DHT_PORT):
        import libtorrent as lt
        self.lt = lt
        A = lt.alert.category_t
        self.s = lt.session(lt_dht_settings(ip, tb.pick_port(ip, port, set()), boot,
                                            {"alert_mask": A.dht_operation_notification |
                                             A.dht_notification}))
        self.ip = ip

    def wait_bootstrapped(self, timeout=15):
        end = time.time() + timeout
        while time.time() < end:
            self.s.post_dht_stats()
            time.sleep(0.3)
            for a in self.s.pop_alerts():
                if isinstance(a, self.lt.dht_stats_alert):
                    if sum(b["num_nodes"] for b in a.routing_table) >= 8:
                        return True
        return False

    def lookup(self, ihs, secs=4.0):
        """{infohash hex: set of (ip, port)} from get_peers lookups."""
        lt = self.lt
        out = {h: set() for h in ihs}
        for h in ihs:
            self.s.dht_get_peers(lt.sha1_hash(bytes.fromhex(h)))
        end = time.time() + secs
        while time.time() < end:
            self.s.wait_for_alert(200)
            for a in self.s.pop_alerts():
                if isinstance(a, lt.dht_get_peers_reply_alert):
                    h = str(a.info_hash)
                    if h in out:
                        for ip, port in a.peers():
                            out[h].add((ip, port))
        return out

    def close(self):
        del self.s


# --- up --------------------------------------------------------------------------

def parse_counts(s):
    try:
        v = [int(x) for x in s.split(",") if x.strip()]
    except ValueError:
        raise UsageError("--swarm-peers: comma-separated integers")
    if any(x < 1 for x in v):
        raise UsageError("--swarm-peers: each swarm needs at least one peer")
    return v


def validate(args):
    if not 20 <= args.lt_nodes <= 500:
        raise UsageError("--lt-nodes must be 20..500 (the bootstrap node included)")
    if not 0 <= args.js_nodes <= 500:
        raise UsageError("--js-nodes must be 0..500")
    counts = parse_counts(args.swarm_peers)
    if args.swarms < 0:
        raise UsageError("--swarms must be >= 0")
    counts = (counts + [counts[-1]] * args.swarms)[:args.swarms] if counts else \
        [10] * args.swarms
    if sum(counts) > 250:
        raise UsageError("at most 250 swarm peers in all (127.S.1.1-250)")
    if not 0 <= args.seeds_fraction <= 1:
        raise UsageError("--seeds-fraction must be in [0, 1]")
    if not 0 <= args.stored_real <= args.stored_infohashes <= 5000:
        raise UsageError("need 0 <= --stored-real <= --stored-infohashes <= 5000")
    if not 1 <= args.announcers <= 250:
        raise UsageError("--announcers must be 1..250")
    if not 0 <= args.liars <= 50:
        raise UsageError("--liars must be 0..50")
    return counts


def cmd_up(args):
    t0 = time.time()
    counts = validate(args)
    run = tb.Run(args.dir)
    os.makedirs(run.dir, exist_ok=True)
    if run.state().get("state") in ("starting", "up"):
        if any(tb.alive(pid, start) for pid, start, _ in run.records()):
            raise Fail("%s holds a live run: `dht_testbed.py down --dir %s` first" % (
                run.dir, run.dir))
    for f in ("pids", "state.json", "truth.json", "truth.json.partial"):
        try:
            os.unlink(os.path.join(run.dir, f))
        except OSError:
            pass
    import shutil
    for sub in ("dht", "logs", "content", "torrents", "magnets", "peers"):
        shutil.rmtree(os.path.join(run.dir, sub), ignore_errors=True)
    slot = tb.claim_slot(run.dir, args.slot)
    run.set_state(state="starting", slot=slot, started=t0, kind="dht")
    log("slot %d: 127.%d.0.0/16, dir %s" % (slot, slot, run.dir))
    try:
        truth = _up(run, args, slot, counts, t0)
    except BaseException:
        if args.keep_on_failure:
            log("failed; --keep-on-failure: leaving the processes running")
        else:
            log("failed: bringing down what was started")
            try:
                tb.down(run, quiet=True)
            except Fail as e2:
                log("down: %s" % e2)
        raise
    print(json.dumps({"dir": run.dir, "truth": run.truth_path, "slot": slot,
                      "bootstrap": truth["bootstrap"], "nodes": truth["counts"]["nodes"],
                      "swarms": len(truth["swarms"]),
                      "stored_infohashes": len(truth["stored_infohashes"]),
                      "seconds": truth["ready_seconds"]}))


def write_cmd(run, gen, actions):
    tb.atomic_write(os.path.join(run.dir, "dht", "cmd.json"),
                    json.dumps({"gen": gen, "actions": actions}))


def _up(run, args, slot, counts, t0):
    lifetime = args.lifetime
    wd = run.spawn("watchdog", [sys.executable, os.path.join(HERE, "testbed.py"), "_watchdog",
                                "--dir", run.dir, "--deadline", str(t0 + lifetime)])
    run.set_state(watchdog=[wd.pid, tb.proc_stat(wd.pid)[4]], deadline=t0 + lifetime)
    ddir = os.path.join(run.dir, "dht")
    os.makedirs(ddir, exist_ok=True)
    os.makedirs(run.logs, exist_ok=True)
    cmd_path = os.path.join(ddir, "cmd.json")
    write_cmd(run, 0, [])
    boot_ip = lt_node_ip(slot, 0)
    boot_port = tb.pick_port(boot_ip, DHT_PORT, set())
    boot = "%s:%d" % (boot_ip, boot_port)
    extra = {}
    for kv in args.lt_setting:
        k, _, v = kv.partition("=")
        extra[k] = (v.lower() == "true") if v.lower() in ("true", "false") else \
            (int(v) if v.lstrip("-").isdigit() else v)

    # --- plan: swarms ---
    swarms = []
    sessions = []              # libtorrent sessions (dicts for the group specs)
    pi = 0
    for k, n in enumerate(counts):
        name = "swarmwatch-dht-%d-swarm%d-%08x.bin" % (slot, k, random.getrandbits(32))
        if k < len(args.swarm_name):   # release-like names, for the watch daemon's crawl
            name = args.swarm_name[k]
        tor = make_torrent(run, "swarm%d" % k, name, args.swarm_size, 16384 * 4)
        nseed = int(round(n * args.seeds_fraction))
        if n >= 2 and 0 < args.seeds_fraction < 1:
            nseed = min(max(nseed, 1), n - 1)
        peers = []
        for j in range(n):
            ip = swarm_peer_ip(slot, pi)
            seed = j < nseed
            port = tb.pick_port(ip, SWARM_PORT_BASE + pi, set())
            save = tor["content_dir"] if seed else os.path.join(run.dir, "peers",
                                                                 "%03d" % pi)
            os.makedirs(save, exist_ok=True)
            peers.append({"ip": ip, "port": port, "seed": seed,
                          "role": "seed" if seed else "leecher", "index": pi})
            sessions.append({"name": "peer-%03d" % pi, "role": "peer", "ip": ip, "port": port,
                             "routers": boot, "torrents": [{
                                 "torrent": tor["torrent"], "save_path": save, "seed": seed,
                                 "infohash": tor["infohash"]}]})
            pi += 1
        swarms.append(dict(tor, peers=peers, seeders=nseed, leechers=n - nseed))

    # --- plan: stored infohashes (BEP 51) ---
    stored = []
    ann = []
    for k in range(args.announcers):
        ip = announcer_ip(slot, k)
        ann.append({"name": "announcer-%02d" % k, "role": "announcer", "ip": ip,
                    "port": tb.pick_port(ip, ANNOUNCER_PORT, set()), "routers": boot,
                    "torrents": [], "announce": [],
                    "magnet_dir": os.path.join(run.dir, "magnets", "%02d" % k)})
        os.makedirs(ann[-1]["magnet_dir"], exist_ok=True)
    for k in range(args.stored_infohashes):
        a = ann[k % len(ann)]
        if k < args.stored_real:
            name = "swarmwatch-dht-%d-stored%03d-%08x.bin" % (slot, k, random.getrandbits(32))
            tor = make_torrent(run, "stored", name, 16384 + k, 16384)
            a["torrents"].append({"torrent": tor["torrent"], "save_path": tor["content_dir"],
                                  "seed": True, "infohash": tor["infohash"]})
            stored.append({"infohash": tor["infohash"], "kind": "torrent", "name": name,
                           "torrent": tor["torrent"], "magnet": tor["magnet"],
                           "reachable": True, "peers": ["%s:%d" % (a["ip"], a["port"])]})
        else:
            ih = os.urandom(20).hex()
            a["announce"].append(ih)
            stored.append({"infohash": ih, "kind": "announced", "name": None, "torrent": None,
                           "magnet": "magnet:?xt=urn:btih:" + ih, "reachable": False,
                           "peers": ["%s:%d" % (a["ip"], a["port"])]})
    sessions += ann

    # --- plan: plain libtorrent DHT nodes (k = 0 is the bootstrap) ---
    nodes_lt = [{"name": "boot", "role": "boot", "ip": boot_ip, "port": boot_port,
                 "routers": ""}]
    for k in range(1, args.lt_nodes):
        ip = lt_node_ip(slot, k)
        nodes_lt.append({"name": "lt-%03d" % k, "role": "node", "ip": ip,
                         "port": tb.pick_port(ip, DHT_PORT, set()), "routers": boot})
    all_lt = nodes_lt + sessions
    js = []
    for k in range(args.js_nodes):
        ip = js_node_ip(slot, k)
        js.append({"name": "js-%03d" % k, "ip": ip, "port": tb.pick_port(ip, DHT_PORT, set())})

    # --- start: libtorrent groups, js processes, liars ---
    groups = []

    def start_group(name, sess):
        spec = os.path.join(ddir, "%s.json" % name)
        status = os.path.join(ddir, "%s.status.json" % name)
        tb.atomic_write(spec, json.dumps({"lifetime": lifetime + 30, "cmd": cmd_path,
                                          "status": status, "settings": extra,
                                          "sessions": sess}))
        p = run.spawn(name, [sys.executable, os.path.abspath(__file__), "_ltdht", spec])
        for x in sess:
            x["pid"] = p.pid
        groups.append({"name": name, "status": status, "n": len(sess), "proc": p})
    start_group("lt-boot", nodes_lt[:1])
    rest = nodes_lt[1:] + sessions
    ng = max(1, (len(rest) + LT_PER_PROCESS - 1) // LT_PER_PROCESS)
    for g in range(ng):
        start_group("lt-%02d" % g, rest[g::ng])
    js_procs = []
    if js:
        if not os.path.isdir(os.path.join(HERE, "node_modules", "bittorrent-dht")):
            raise Fail("tests/testbed/node_modules/bittorrent-dht is missing: run "
                       "scripts/deps.sh (npm ci --ignore-scripts in tests/testbed)")
        nj = (len(js) + JS_PER_PROCESS - 1) // JS_PER_PROCESS
        for g in range(nj):
            chunk = js[g::nj]
            name = "js-%02d" % g
            out = os.path.join(run.logs, name + ".json")
            argv = ["node", os.path.join(HERE, "dht_nodes.mjs"), "--bootstrap", boot,
                    "--status", os.path.join(ddir, name + ".status.json"), "--cmd", cmd_path,
                    "--for", str(int(lifetime) + 30)]
            for x in chunk:
                argv += ["--node", "%s:%d" % (x["ip"], x["port"])]
            p = run.spawn(name, argv, cwd=HERE, stdout_path=out)
            for x in chunk:
                x["pid"] = p.pid
            js_procs.append({"name": name, "out": out, "proc": p, "nodes": chunk})
    liars = []
    fake_peers = []
    liar_info = None
    if args.liars:
        fake_peers = ["127.%d.%d.%d:%d" % (slot, LIAR_NET, 101 + j, FAKE_PEER_PORT)
                      for j in range(N_FAKE_PEERS)]
        near = swarms[0]["infohash"] if swarms and not args.liars_random_id else ""
        argv = [sys.executable, os.path.join(HERE, "fake_dht.py"), "liar", "--bootstrap", boot,
                "--status", os.path.join(ddir, "liars.status.json"),
                "--for", str(int(lifetime) + 30)]
        if near:
            argv += ["--near", near]
        for k in range(args.liars):
            ip = "127.%d.%d.%d" % (slot, LIAR_NET, 1 + k)
            argv += ["--bind", "%s:%d" % (ip, tb.pick_port(ip, DHT_PORT, set()))]
        for f in fake_peers:
            argv += ["--fake-peer", f]
        out = os.path.join(run.logs, "liars.json")
        lp = run.spawn("liars", argv, stdout_path=out)

        def liar_up():
            if lp.poll() is not None:
                raise Fail("fake_dht.py liar exited %s: %s" % (
                    lp.returncode, open(os.path.join(run.logs, "liars.log")).read()[-400:]))
            line = open(out).readline()
            return json.loads(line) if line.endswith("\n") else None
        liar_info = tb.wait_until(liar_up, 20, what="fake_dht.py liars to listen")
        for l in liar_info["liars"]:
            liars.append({"ip": l["ip"], "port": l["port"], "id": l["id"], "pid": lp.pid,
                          "near_infohash": near or None})
    n_all = len(all_lt) + len(js) + len(liars)
    log("started %d libtorrent sessions in %d processes, %d bittorrent-dht nodes in %d, "
        "%d liars (%.1f s)" % (len(all_lt), len(groups), len(js), len(js_procs), len(liars),
                               time.time() - t0))

    # --- wait: every session listens ---
    def statuses():
        out = {}
        for g in groups:
            if g["proc"].poll() is not None:
                raise Fail("%s exited %s: %s" % (g["name"], g["proc"].returncode, open(
                    os.path.join(run.logs, g["name"] + ".log"), errors="replace").read()[-600:]))
            st = tb.read_json(g["status"], {})
            for x in st.get("sessions", []):
                out[x["name"]] = x
        return out

    def all_listening():
        st = statuses()
        if len(st) < len(all_lt) or not all(x["listening"] and x["listen_port"] == x["port"]
                                             for x in st.values()):
            return False
        for j in js_procs:
            if j["proc"].poll() is not None:
                raise Fail("%s exited %s: %s" % (j["name"], j["proc"].returncode, open(
                    os.path.join(run.logs, j["name"] + ".log"), errors="replace").read()[-600:]))
            line = open(j["out"]).readline()
            if not line.endswith("\n"):
                return False
            info = json.loads(line)
            for x, y in zip(j["nodes"], info["nodes"]):
                x["id"] = y["id"]
        return True
    tb.wait_until(all_listening, 60, step=0.3, what="every DHT node to listen")
    log("all %d nodes listen (%.1f s)" % (n_all, time.time() - t0))

    # --- the bootstrap node learns everyone (as a public router would) ---
    gen = 1
    others = [[x["ip"], x["port"]] for x in all_lt[1:]] + [[x["ip"], x["port"]] for x in js]
    write_cmd(run, gen, [{"do": "add_nodes", "who": ["boot"], "nodes": others}])

    def boot_full():
        n = statuses().get("boot", {}).get("dht_nodes", 0)
        return n >= 0.9 * len(others)
    try:
        tb.wait_until(boot_full, 20, step=0.5, what="the bootstrap node's table")
    except Fail:
        log("warning: the bootstrap node knows %d of %d nodes" % (
            statuses().get("boot", {}).get("dht_nodes", 0), len(others)))
    log("bootstrap node knows %d nodes (%.1f s)" % (
        statuses().get("boot", {}).get("dht_nodes", 0), time.time() - t0))
    gen += 1
    write_cmd(run, gen, [{"do": "rebootstrap", "who": ["node", "peer", "announcer", "js"]}])
    time.sleep(3)
    gen += 1
    write_cmd(run, gen, [{"do": "lookups", "who": ["node", "peer", "announcer", "js"], "n": 2}])

    def tables_ok():
        st = [x["dht_nodes"] for x in statuses().values() if x["role"] != "boot"]
        return len(st) and sorted(st)[len(st) // 20] >= 8      # 95 % know >= 8 nodes
    try:
        tb.wait_until(tables_ok, 30, step=1.0, what="routing tables")
    except Fail:
        log("warning: routing tables still small")
    tabs = sorted(x["dht_nodes"] for x in statuses().values() if x["role"] != "boot")
    log("routing tables: min %d, median %d, max %d (%.1f s)" % (
        tabs[0], tabs[len(tabs) // 2], tabs[-1], time.time() - t0))

    # --- announce, then check with a probe ---
    gen += 1
    write_cmd(run, gen, [{"do": "announce", "who": ["peer", "announcer"]}])
    truth = {
        "_note": "Ground truth of a swarmwatch DHT test bed run; see tests/testbed/README.md",
        "kind": "dht", "slot": slot, "bootstrap": boot,
        "bootstrap_node": {"ip": boot_ip, "port": boot_port},
        "probe_ip": "127.%d.0.%d" % (slot, PROBE_HOST),
        "swarms": [], "stored_infohashes": [], "nodes": [], "liars": liars,
        "fakes": [{"ip": f.rsplit(":", 1)[0], "port": int(f.rsplit(":", 1)[1]), "liar": True}
                  for f in fake_peers],
        "started": t0, "ready": None, "deadline": t0 + lifetime,
    }
    for x in all_lt:
        truth["nodes"].append({"ip": x["ip"], "port": x["port"], "impl": "libtorrent",
                               "role": x["role"], "pid": x["pid"]})
    for x in js:
        truth["nodes"].append({"ip": x["ip"], "port": x["port"], "impl": "bittorrent-dht",
                               "role": "node", "pid": x["pid"], "id": x.get("id")})
    for l in liars:
        truth["nodes"].append({"ip": l["ip"], "port": l["port"], "impl": "fake_dht-liar",
                               "role": "liar", "pid": l["pid"], "id": l["id"]})
    tb.atomic_write(run.truth_path + ".partial", json.dumps(truth, indent=1) + "\n")

    probe = LtProbe(truth["probe_ip"], boot)
    try:
        if not probe.wait_bootstrapped():
            log("warning: the probe's routing table is small")
        res = readiness(run, args, truth, swarms, stored, sessions, statuses, gen, probe, t0)
    finally:
        probe.close()
    sampled = res.pop("_sampled")
    lookups = res.pop("_lookups")
    truth.update(res)
    lt_eps = [[x["ip"], x["port"]] for x in all_lt]
    for sw in swarms:
        b = bep33_scrape(truth["probe_ip"], lt_eps, bytes.fromhex(sw["infohash"]))
        truth["swarms"].append({
            "infohash": sw["infohash"], "name": sw["name"], "magnet": sw["magnet"],
            "torrent": sw["torrent"], "total_size": sw["total_size"],
            "piece_length": sw["piece_length"], "num_pieces": sw["num_pieces"],
            "seeders": sw["seeders"], "leechers": sw["leechers"],
            "peers": [{"ip": p["ip"], "port": p["port"], "seed": p["seed"], "role": p["role"],
                       "client": "libtorrent", "pid": sessions[p["index"]]["pid"]}
                      for p in sw["peers"]],
            "bep33_at_ready": b,
            "lookup_at_ready": lookups.get(sw["infohash"])})
    for x in stored + [{"infohash": sw["infohash"], "kind": "swarm", "name": sw["name"],
                        "torrent": sw["torrent"], "magnet": sw["magnet"], "reachable": True,
                        "peers": ["%s:%d" % (p["ip"], p["port"]) for p in sw["peers"]]}
                       for sw in swarms]:
        x["sampled_on"] = sampled.get(x["infohash"], 0)
        truth["stored_infohashes"].append(x)
    n_js, n_lt = len(js), len(all_lt)
    truth["counts"] = {"nodes": n_lt + n_js + len(liars), "libtorrent": n_lt,
                       "libtorrent_plain": len(nodes_lt), "swarm_peers": pi,
                       "announcers": len(ann), "bittorrent_dht": n_js, "liars": len(liars)}
    truth["ready"] = time.time()
    truth["ready_seconds"] = round(truth["ready"] - t0, 1)
    truth["rss_kb"] = rss_total(run)
    tb.atomic_write(run.truth_path, json.dumps(truth, indent=1) + "\n")
    os.unlink(run.truth_path + ".partial")
    run.set_state(state="up", ready=truth["ready"])
    log("up in %.1f s: %d nodes, RSS %.0f MB: %s" % (
        truth["ready_seconds"], truth["counts"]["nodes"], truth["rss_kb"] / 1024,
        run.truth_path))
    return truth


def readiness(run, args, truth, swarms, stored, sessions, statuses, gen, probe, t0):
    """Probe until every swarm's peers come back from get_peers lookups and
    every stored infohash is in some node's sample_infohashes; re-announce
    what is missing."""
    lt_eps = [[n["ip"], n["port"]] for n in truth["nodes"] if n["impl"] == "libtorrent"]
    want_peers = {sw["infohash"]: {(p["ip"], p["port"]) for p in sw["peers"]} for sw in swarms}
    by_ih = {}
    for sw in swarms:
        for p in sw["peers"]:
            by_ih.setdefault(sw["infohash"], []).append("peer-%03d" % p["index"])
    for x in sessions:
        for t in x.get("torrents", []):
            if x["role"] == "announcer":
                by_ih.setdefault(t["infohash"], []).append(x["name"])
        for ih in x.get("announce", []):
            by_ih.setdefault(ih, []).append(x["name"])
    want_stored = {x["infohash"] for x in stored} | set(want_peers)
    found = {h: set() for h in want_peers}
    fakes = {(f["ip"], f["port"]) for f in truth["fakes"]}
    liar_seen = not truth["liars"] or not truth["liars"][0].get("near_infohash")
    deadline = t0 + args.timeout
    rounds = 0
    sampled = {}
    while True:
        rounds += 1
        todo = [h for h in want_peers if not want_peers[h] <= found[h]]
        if todo or not liar_seen:
            got = probe.lookup(todo or [truth["liars"][0]["near_infohash"]])
            for h, ps in got.items():
                if h in found:
                    found[h] |= ps
                if ps & fakes:
                    liar_seen = True
        sampled, answered, replies = sample_all(truth["probe_ip"], lt_eps)
        missing_s = want_stored - set(sampled)
        todo = [h for h in want_peers if not want_peers[h] <= found[h]]
        log("probe round %d: swarms %d/%d found in full, stored %d/%d sampled (%d nodes "
            "answered), liar %s (%.1f s)" % (
                rounds, len(want_peers) - len(todo), len(want_peers),
                len(want_stored) - len(missing_s), len(want_stored), answered,
                "seen" if liar_seen else "not yet", time.time() - t0))
        if not todo and not missing_s and liar_seen:
            break
        if time.time() > deadline:
            raise Fail("not ready after %.0f s: swarms missing peers %s; stored infohashes "
                       "not sampled: %d %s; liar values seen: %s" % (
                           args.timeout, {h[:8]: len(want_peers[h] - found[h]) for h in todo},
                           len(missing_s), sorted(missing_s)[:5], liar_seen))
        if rounds % 2 == 0:
            names = sorted({n for h in list(missing_s) + todo for n in by_ih.get(h, [])})
            if names:
                gen += 1
                write_cmd(run, gen, [{"do": "announce", "who": ["peer", "announcer"],
                                      "only": names}])
        time.sleep(1.0)
    return {"_lookups": {h: {"found": len(want_peers[h] & found[h]),
                             "extra": sorted("%s:%d" % x for x in found[h] - want_peers[h])}
                         for h in want_peers},
            "_sampled": sampled, "probe_rounds": rounds, "liar_values_seen": liar_seen}


def rss_total(run):
    """KB of resident memory of every live process the run started."""
    total = 0
    for pid in tb._members(run.records(), os.getpid()):
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


# --- check: an independent probe of a live run -----------------------------------

def cmd_check(args):
    run = tb.Run(args.dir)
    truth = tb.read_json(run.truth_path)
    if not truth:
        raise Fail("%s: no truth.json (is the run up?)" % run.dir)
    src = "127.%d.0.%d" % (truth["slot"], CHECK_HOST)
    probe = LtProbe(src, truth["bootstrap"])
    out = {"swarms": [], "ok": True}
    try:
        probe.wait_bootstrapped()
        want = {sw["infohash"]: {(p["ip"], p["port"]) for p in sw["peers"]}
                for sw in truth["swarms"]}
        found = {h: set() for h in want}
        for _ in range(3):
            for h, ps in probe.lookup([h for h in want if not want[h] <= found[h]]).items():
                found[h] |= ps
            if all(want[h] <= found[h] for h in want):
                break
    finally:
        probe.close()
    lt_eps = [[n["ip"], n["port"]] for n in truth["nodes"] if n["impl"] == "libtorrent"]
    fakes = {(f["ip"], f["port"]) for f in truth["fakes"]}
    for sw in truth["swarms"]:
        h = sw["infohash"]
        b = bep33_scrape(src, lt_eps, bytes.fromhex(h))
        r = {"infohash": h, "peers": len(want[h]), "found": len(want[h] & found[h]),
             "missing": sorted("%s:%d" % x for x in want[h] - found[h]),
             "fake_values": len(found[h] & fakes),
             "other_extra": sorted("%s:%d" % x for x in found[h] - want[h] - fakes),
             "seeders": sw["seeders"], "leechers": sw["leechers"], "bep33": b}
        out["swarms"].append(r)
        out["ok"] = out["ok"] and not r["missing"]
    sampled, answered, replies = sample_all(src, lt_eps)
    want_s = {x["infohash"] for x in truth["stored_infohashes"]}
    out["stored"] = {"expected": len(want_s), "sampled": len(want_s & set(sampled)),
                     "missing": sorted(want_s - set(sampled)),
                     "unknown_sampled": len(set(sampled) - want_s),
                     "nodes_answered": answered}
    out["ok"] = out["ok"] and not out["stored"]["missing"]
    print(json.dumps(out, indent=1))
    return 0 if out["ok"] else 1


def cmd_down(args):
    run = tb.Run(args.dir)
    if not os.path.exists(run.pids_path):
        print(json.dumps({"dir": run.dir, "recorded": 0, "signalled": 0, "killed_hard": 0,
                          "killed_hard_names": [], "still_alive": []}))
        return 0
    tb.down(run, grace=args.grace)
    return 0


def ensure_libtorrent():
    try:
        import libtorrent  # noqa: F401
    except ImportError:
        if os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") and \
                os.path.exists("/usr/bin/python3"):
            os.execv("/usr/bin/python3", ["/usr/bin/python3", os.path.abspath(__file__)] +
                     sys.argv[1:])
        raise Fail("python3-libtorrent is missing (run scripts/deps.sh; use /usr/bin/python3)")


def main(argv=None):
    global QUIET
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] in (["up"], ["_ltdht"], ["check"]):
        try:
            ensure_libtorrent()
        except Fail as e:
            sys.stderr.write("dht_testbed: error: %s\n" % e)
            return 1
    if argv[:1] == ["_ltdht"]:
        ltdht_main(argv[1])
        return 0
    ap = argparse.ArgumentParser(prog="dht_testbed.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up", help="start a DHT with swarms and stored infohashes")
    up.add_argument("--dir", required=True)
    up.add_argument("--slot", type=int, default=None)
    up.add_argument("--lt-nodes", type=int, default=160,
                    help="plain libtorrent DHT nodes, the bootstrap node included")
    up.add_argument("--js-nodes", type=int, default=60, help="npm bittorrent-dht nodes")
    up.add_argument("--swarms", type=int, default=3)
    up.add_argument("--swarm-name", action="append", default=[],
                    help="file name of swarm K's single-file torrent (repeat, in order)")
    up.add_argument("--swarm-peers", default="24,12,6",
                    help="peers per swarm (the last number repeats)")
    up.add_argument("--seeds-fraction", type=float, default=0.5)
    up.add_argument("--swarm-size", type=int, default=4 * 65536 - 1000,
                    help="bytes of each swarm's content (pieces of 64 KiB)")
    up.add_argument("--stored-infohashes", type=int, default=100)
    up.add_argument("--stored-real", type=int, default=20,
                    help="how many of them are real torrents seeded by the announcers")
    up.add_argument("--announcers", type=int, default=4)
    up.add_argument("--liars", type=int, default=1)
    up.add_argument("--liars-random-id", action="store_true",
                    help="liars take random ids (default: next to swarm 0's infohash)")
    up.add_argument("--lt-setting", action="append", default=[],
                    help="KEY=VALUE libtorrent setting for every DHT session (repeatable)")
    up.add_argument("--lifetime", type=float, default=1800)
    up.add_argument("--timeout", type=float, default=110,
                    help="seconds after start by which the DHT must be ready")
    up.add_argument("--keep-on-failure", action="store_true")
    up.add_argument("--quiet", action="store_true")
    dn = sub.add_parser("down", help="end every process the run started")
    dn.add_argument("--dir", required=True)
    dn.add_argument("--grace", type=float, default=4.0)
    ck = sub.add_parser("check", help="a fresh probe: lookups, BEP 33, BEP 51 against truth")
    ck.add_argument("--dir", required=True)
    args = ap.parse_args(argv)
    QUIET = getattr(args, "quiet", False)
    try:
        fn = {"up": cmd_up, "down": cmd_down, "check": cmd_check}[args.cmd]
        return fn(args) or 0
    except UsageError as e:
        sys.stderr.write("dht_testbed: %s\n" % e)
        return 2
    except Fail as e:
        sys.stderr.write("dht_testbed: error: %s\n" % e)
        return 1
    except KeyboardInterrupt:
        return 1


if __name__ == "__main__":
    sys.exit(main())
