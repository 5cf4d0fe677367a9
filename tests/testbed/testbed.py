#!/usr/bin/python3
"""testbed.py - a real BitTorrent swarm on loopback, with ground truth.

Run it with Debian's /usr/bin/python3 (it has python3-libtorrent).  See
tests/testbed/README.md for the whole story; in short:

  testbed.py up     --dir DIR [--peers 60] [--clients aria2,transmission,...]
                    [--mix CLIENT=N,...] [--seeds-fraction 0.3] [--partial N]
                    [--trackers opentracker,bittorrent-tracker] [--slot S]
                    [--piece-size 8MiB] [--pieces 8] [--lifetime 1800]
                    [--hidden N [--hidden-role seed] [--pex-hosts 2]]
                    [--fakes N [--fake-modes ...]] [--hostile all|MODE[*N],...]
                    [--name NAME [--file FILE]]
  testbed.py down   --dir DIR        end exactly the processes DIR/pids names
  testbed.py scrape --dir DIR        direct scrape of every tracker URL (JSON)
  testbed.py probe  --dir DIR        direct announces: which (ip, port) each
                                     tracker hands out, compared with truth
  testbed.py status --dir DIR        what each client says it holds (JSON)
  testbed.py verify --dir DIR        scrape + probe + status against truth
  testbed.py pex    --dir DIR        connect to the PEX hosts: do their ut_pex
                                     messages name every hidden peer?
  testbed.py metadata --dir DIR      BEP 9: fetch the info dict from every
                                     peer and check its hash

`up` starts, each on its own loopback address inside 127.S.0.0/16 (S, the
"slot", is picked so that concurrent runs do not collide): opentracker
(HTTP+UDP) on 127.S.0.1, the npm bittorrent-tracker (HTTP+UDP) on 127.S.0.2,
and peers on 127.S.1.1, 127.S.1.2, ... each on its own port: aria2c,
transmission-daemon, qbittorrent-nox, rtorrent and python3-libtorrent
sessions (many per process).  It waits until every peer is registered with
every tracker, checks that with direct scrapes and announces, and writes
DIR/truth.json (the ground truth) and DIR/pids (what `down` ends).

--hidden N adds libtorrent peers on no tracker that reach the swarm through
a few tracked libtorrent seeds (the PEX hosts), which gossip them by ut_pex.
--fakes N and --hostile start fake_peer.py: addresses registered with every
tracker that are no real peer (127.S.250.x) or hostile ones (127.S.251.x).

Exit status: 0 success, 1 runtime failure (the message says what), 2 usage.
"""

import argparse
import base64
import concurrent.futures
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENTS = ("aria2", "transmission", "qbittorrent", "rtorrent", "libtorrent")
TRACKER_SOFTWARE = ("opentracker", "bittorrent-tracker")
LOCK_DIR = os.environ.get("SWARMWATCH_TESTBED_LOCKS",
                          "/tmp/swarmwatch-testbed-slots")
SLOTS = range(100, 240)      # second octet of 127.S.0.0/16
PEER_PORT_BASE = 20001       # peer i listens on PEER_PORT_BASE + i
CTRL_PORT_BASE = 30001       # its RPC / web UI (on its own address)
PROBE_PORT = 6881
TRACKER_PORT = {"opentracker": 6969, "bittorrent-tracker": 8000}
TRACKER_HOST = {"opentracker": 1, "bittorrent-tracker": 2}  # 127.S.0.x
PROBE_HOST = 9                                             # 127.S.0.9

QUIET = False


def log(msg):
    if not QUIET:
        sys.stderr.write("testbed: %s\n" % msg)
        sys.stderr.flush()


class Fail(Exception):
    """A runtime failure: printed as 'testbed: error: ...', exit 1."""


# --- bencode (tracker replies) ----------------------------------------------

def bdecode(data):
    def dec(i, depth):
        if depth > 64:
            raise ValueError("too deep")
        c = data[i:i + 1]
        if c == b"i":
            j = data.index(b"e", i)
            return int(data[i + 1:j]), j + 1
        if c == b"l":
            i += 1
            out = []
            while data[i:i + 1] != b"e":
                v, i = dec(i, depth + 1)
                out.append(v)
            return out, i + 1
        if c == b"d":
            i += 1
            out = {}
            while data[i:i + 1] != b"e":
                k, i = dec(i, depth + 1)
                v, i = dec(i, depth + 1)
                out[k] = v
            return out, i + 1
        if c.isdigit():
            j = data.index(b":", i)
            n = int(data[i:j])
            if j + 1 + n > len(data):
                raise ValueError("string past end")
            return data[j + 1:j + 1 + n], j + 1 + n
        raise ValueError("bad bencode at %d" % i)
    v, _ = dec(0, 0)
    return v


# --- tracker client (scrape, announce; HTTP and UDP) -------------------------

def _compact4(blob):
    return [(socket.inet_ntoa(blob[i:i + 4]),
             struct.unpack(">H", blob[i + 4:i + 6])[0])
            for i in range(0, len(blob) - len(blob) % 6, 6)]


def _http_get(url, path_query, src, timeout=5.0):
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=timeout,
                                   source_address=(src, 0) if src else None)
    try:
        c.request("GET", path_query, headers={"User-Agent": "swarmwatch-testbed-probe"})
        r = c.getresponse()
        body = r.read(4 << 20)
        if r.status != 200:
            raise Fail("%s: HTTP %d" % (url, r.status))
        return body
    finally:
        c.close()


def _udp_exchange(sock, addr, packet, want_action, txid, timeout):
    sock.settimeout(timeout)
    sock.sendto(packet, addr)
    deadline = time.time() + timeout
    while True:
        left = deadline - time.time()
        if left <= 0:
            raise socket.timeout()
        sock.settimeout(left)
        data, frm = sock.recvfrom(65536)
        if len(data) < 8:
            continue
        action, tx = struct.unpack(">II", data[:8])
        if tx != txid:
            continue
        if action == 3:
            raise Fail("UDP tracker %s:%d error: %r" % (addr[0], addr[1], data[8:200]))
        if action != want_action:
            raise Fail("UDP tracker %s:%d: action %d, wanted %d" % (addr[0], addr[1], action, want_action))
        return data


class UdpTracker:
    """A connected UDP tracker session (BEP 15) from a fixed source address."""

    def __init__(self, url, src, timeout=2.0, tries=3):
        u = urllib.parse.urlsplit(url)
        self.addr = (u.hostname, u.port)
        self.url = url
        self.timeout = timeout
        self.tries = tries
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if src:
            self.sock.bind((src, 0))
        self.cid = None

    def close(self):
        self.sock.close()

    def _request(self, build, want_action):
        last = None
        for _ in range(self.tries):
            try:
                if self.cid is None:
                    tx = random.getrandbits(32)
                    d = _udp_exchange(self.sock, self.addr,
                                      struct.pack(">QII", 0x41727101980, 0, tx),
                                      0, tx, self.timeout)
                    self.cid = struct.unpack(">Q", d[8:16])[0]
                tx = random.getrandbits(32)
                return _udp_exchange(self.sock, self.addr, build(self.cid, tx),
                                     want_action, tx, self.timeout)
            except socket.timeout as e:
                last = e
                self.cid = None
        raise Fail("UDP tracker %s: no answer (%d tries)" % (self.url, self.tries)) from last

    def scrape(self, ih):
        d = self._request(lambda cid, tx: struct.pack(">QII", cid, 2, tx) + ih, 2)
        seeders, completed, leechers = struct.unpack(">III", d[8:20])
        return {"complete": seeders, "incomplete": leechers, "downloaded": completed}

    def announce(self, ih, peer_id, port, event, left=1, numwant=1000):
        ev = {"": 0, "completed": 1, "started": 2, "stopped": 3}[event]
        key = random.getrandbits(32)

        def build(cid, tx):
            return (struct.pack(">QII", cid, 1, tx) + ih + peer_id +
                    struct.pack(">qqqIIIiH", 0, left, 0, ev, 0, key, numwant, port))
        d = self._request(build, 1)
        interval, leechers, seeders = struct.unpack(">III", d[8:20])
        return {"complete": seeders, "incomplete": leechers,
                "peers": _compact4(d[20:])}


def http_scrape_url(url):
    u = urllib.parse.urlsplit(url)
    head, _, last = u.path.rpartition("/")
    if not last.startswith("announce"):
        raise Fail("%s: cannot derive a scrape URL" % url)
    return head + "/scrape" + last[len("announce"):]


def scrape(url, ih, src=None):
    """{'complete', 'incomplete', 'downloaded'} from one tracker URL."""
    if url.startswith("udp://"):
        t = UdpTracker(url, src)
        try:
            return t.scrape(ih)
        finally:
            t.close()
    path = http_scrape_url(url)
    body = _http_get(url, path + "?info_hash=" + urllib.parse.quote_from_bytes(ih), src)
    d = bdecode(body)
    if b"failure reason" in d:
        raise Fail("%s: scrape failure: %r" % (url, d[b"failure reason"]))
    files = d.get(b"files", {})
    if ih in files:
        f = files[ih]
    else:
        # bittorrent-tracker 11 (npm) encodes the binary infohash key as
        # UTF-8 text: accept that spelling; an empty dict means no peers.
        f = None
        for k, v in files.items():
            try:
                if k.decode("utf-8").encode("latin-1") == ih:
                    f = v
            except (UnicodeDecodeError, UnicodeEncodeError):
                pass
        if f is None:
            if files:
                raise Fail("%s: scrape reply lacks our infohash: %r" % (url, list(files)))
            f = {}
    return {"complete": f.get(b"complete", 0), "incomplete": f.get(b"incomplete", 0),
            "downloaded": f.get(b"downloaded", 0)}


def http_announce(url, ih, peer_id, port, event, src, left=1, numwant=1000):
    q = ("info_hash=%s&peer_id=%s&port=%d&uploaded=0&downloaded=0&left=%d"
         "&compact=1&numwant=%d" % (urllib.parse.quote_from_bytes(ih),
                                    urllib.parse.quote_from_bytes(peer_id),
                                    port, left, numwant))
    if event:
        q += "&event=" + event
    u = urllib.parse.urlsplit(url)
    body = _http_get(url, u.path + ("&" if u.query else "?") + q, src)
    d = bdecode(body)
    if b"failure reason" in d:
        raise Fail("%s: announce failure: %r" % (url, d[b"failure reason"]))
    p = d.get(b"peers", b"")
    if isinstance(p, list):
        peers = [(x[b"ip"].decode(), x[b"port"]) for x in p]
    else:
        peers = _compact4(p)
    return {"complete": d.get(b"complete", -1), "incomplete": d.get(b"incomplete", -1),
            "peers": peers}


def probe(url, ih, src, port=PROBE_PORT, expect=None, max_rounds=400, settle=3):
    """Announce from (src, port) until the union of the peer lists stops
    growing (or covers `expect` plus `settle` more rounds), then announce
    event=stopped.  Returns the set of (ip, port) the tracker handed out,
    without the probe itself, and the number of announces made."""
    peer_id = b"-SWPROBE-" + bytes(random.getrandbits(8) for _ in range(11))
    seen = set()
    udp = UdpTracker(url, src) if url.startswith("udp://") else None
    rounds = 0
    quiet = 0
    try:
        def ann(event):
            if udp:
                return udp.announce(ih, peer_id, port, event)
            return http_announce(url, ih, peer_id, port, event, src)
        event = "started"
        while rounds < max_rounds:
            r = ann(event)
            event = ""
            rounds += 1
            new = set(r["peers"]) - seen
            seen |= new
            quiet = 0 if new else quiet + 1
            total = r["complete"] + r["incomplete"]
            if expect is not None:
                if expect <= seen and quiet >= settle:
                    break
            elif len(seen) >= total and quiet >= settle:
                break
            elif quiet >= 40:
                break
        ann("stopped")
    finally:
        if udp:
            udp.close()
    seen.discard((src, port))
    return seen, rounds


# --- small utilities -----------------------------------------------------------

def parse_size(s):
    """'4MiB', '4M', '256k', '65536' -> bytes."""
    m = re.fullmatch(r"\s*(\d+)\s*([kmg]?)(i?b?)\s*", s.lower())
    if not m:
        raise argparse.ArgumentTypeError("bad size %r (e.g. 4MiB, 256k, 65536)" % s)
    return int(m.group(1)) << {"": 0, "k": 10, "m": 20, "g": 30}[m.group(2)]


def atomic_write(path, text):
    tmp = path + ".tmp.%d" % os.getpid()
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_json(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def proc_stat(pid):
    """(state, ppid, pgrp, session, starttime) or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rindex(")") + 2:].split()
    return rest[0], int(rest[1]), int(rest[2]), int(rest[3]), int(rest[19])


def alive(pid, starttime=None):
    st = proc_stat(pid)
    if st is None or st[0] in ("Z", "X"):
        return False
    return starttime is None or st[4] == starttime


def port_free(ip, port, udp=True, family=socket.AF_INET):
    kinds = [socket.SOCK_STREAM] + ([socket.SOCK_DGRAM] if udp else [])
    for kind in kinds:
        s = socket.socket(family, kind)
        try:
            s.bind((ip, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def pick_port(ip, start, used, udp=True):
    p = start
    while p < 65000:
        if p not in used and port_free(ip, p, udp):
            used.add(p)
            return p
        p += 1
    raise Fail("no free port on %s from %d" % (ip, start))


def pick_loopback_port(used):
    """A port free on both 127.0.0.1 and ::1 (aria2's RPC listens on both)."""
    for _ in range(500):
        p = random.randrange(32000, 32760)
        if p in used:
            continue
        if port_free("127.0.0.1", p, udp=False) and \
                port_free("::1", p, udp=False, family=socket.AF_INET6):
            used.add(p)
            return p
    raise Fail("no free port on 127.0.0.1 and ::1 in 32000-32760")


def wait_until(pred, timeout, step=0.2, what="condition"):
    deadline = time.time() + timeout
    last_exc = None
    while time.time() < deadline:
        try:
            v = pred()
            if v:
                return v
        except (OSError, Fail, ValueError, http.client.HTTPException) as e:
            last_exc = e
        time.sleep(step)
    raise Fail("timed out after %.0f s waiting for %s%s" %
               (timeout, what, (" (last error: %s)" % last_exc) if last_exc else ""))


def http_json(method, url, body=None, headers=None, timeout=5.0):
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        c.request(method, u.path + ("?" + u.query if u.query else ""), body=body,
                  headers=headers or {})
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        c.close()


# --- the run directory ----------------------------------------------------------

class Run:
    """DIR/pids, DIR/state.json, DIR/truth.json and friends."""

    def __init__(self, d):
        self.dir = os.path.abspath(d)
        self.pids_path = os.path.join(self.dir, "pids")
        self.state_path = os.path.join(self.dir, "state.json")
        self.truth_path = os.path.join(self.dir, "truth.json")
        self.logs = os.path.join(self.dir, "logs")
        self._lock = threading.Lock()
        self.children = {}   # pid -> Popen (reaped by us if we are the parent)

    def state(self):
        return read_json(self.state_path, {})

    def set_state(self, **kw):
        with self._lock:
            st = self.state()
            st.update(kw)
            atomic_write(self.state_path, json.dumps(st, indent=1) + "\n")

    def record(self, pid, name):
        st = proc_stat(pid)
        start = st[4] if st else 0
        with self._lock:
            with open(self.pids_path, "a") as f:
                f.write("%d %d %s\n" % (pid, start, name))
                f.flush()
                os.fsync(f.fileno())

    def records(self):
        out = []
        try:
            with open(self.pids_path) as f:
                for line in f:
                    parts = line.split(None, 2)
                    if len(parts) == 3:
                        out.append((int(parts[0]), int(parts[1]), parts[2].strip()))
        except OSError:
            pass
        return out

    def spawn(self, name, argv, cwd=None, env=None, stdout_path=None):
        if self.state().get("state") == "down":
            raise Fail("run was brought down while starting %s" % name)
        os.makedirs(self.logs, exist_ok=True)
        logf = open(os.path.join(self.logs, name + ".log"), "ab")
        out = open(stdout_path, "wb") if stdout_path else logf
        try:
            p = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                 stdout=out, stderr=logf, start_new_session=True,
                                 close_fds=True)
        except OSError as e:
            raise Fail("cannot start %s (%s): %s" % (name, argv[0], e))
        finally:
            logf.close()
            if stdout_path:
                out.close()
        self.children[p.pid] = p
        self.record(p.pid, name)
        return p


# --- slots: which 127.S.0.0/16 a run owns ------------------------------------

def _slot_stale(path):
    try:
        with open(path) as f:
            d = f.read().strip()
    except OSError:
        return True
    st = read_json(os.path.join(d, "state.json"))
    if not st or st.get("state") == "down":
        return True
    wd = st.get("watchdog")
    if wd and not alive(wd[0], wd[1]):
        return True
    if not wd and time.time() - os.path.getmtime(path) > 600:
        return True
    return False


def slots_in_use():
    """Second octets S of every 127.S.x.y that a socket on this machine is
    bound to (someone else's test may use addresses of a slot without
    holding its lock)."""
    out = set()
    for table in ("/proc/net/tcp", "/proc/net/udp"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    local = line.split()[1].split(":")[0]
                    b = bytes.fromhex(local)[::-1]
                    if b[0] == 127:
                        out.add(b[1])
        except (OSError, ValueError, IndexError, StopIteration):
            pass
    return out


def claim_slot(run_dir, want=None):
    os.makedirs(LOCK_DIR, exist_ok=True)
    try:
        os.chmod(LOCK_DIR, 0o1777)
    except OSError:
        pass
    if want is not None:
        cands = [want]
    else:
        busy = slots_in_use()
        cands = [s for s in random.sample(list(SLOTS), len(SLOTS)) if s not in busy]
    for s in cands:
        path = os.path.join(LOCK_DIR, "slot-%d" % s)
        for _ in range(2):
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                if _slot_stale(path):
                    try:
                        os.unlink(path)
                    except OSError:
                        pass
                    continue
                break
            os.write(fd, (run_dir + "\n").encode())
            os.close(fd)
            return s
    raise Fail("no free slot%s in %s" % ((" %d" % want) if want is not None else "", LOCK_DIR))


def release_slot(slot, run_dir):
    path = os.path.join(LOCK_DIR, "slot-%d" % slot)
    try:
        with open(path) as f:
            if f.read().strip() == run_dir:
                os.unlink(path)
    except OSError:
        pass


# --- down ------------------------------------------------------------------------

def _members(records, me):
    """Live processes we started: each record's session (we setsid every
    child, so its pid is its session id; opentracker and friends that drop
    privileges stay in it).  A record whose pid now names another process
    (different start time) is skipped."""
    sessions = {}
    for pid, start, name in records:
        st = proc_stat(pid)
        if st is not None and st[4] != start:
            continue             # pid reused by someone else
        sessions[pid] = start
    out = []
    for ent in os.listdir("/proc"):
        if not ent.isdigit():
            continue
        pid = int(ent)
        if pid == me:
            continue
        st = proc_stat(pid)
        if st is None or st[0] in ("Z", "X"):
            continue
        sid = st[3]
        if sid in sessions and st[4] >= sessions[sid]:
            out.append(pid)
    return out


def _reap(run):
    for pid, p in list(run.children.items()):
        if p.poll() is not None:
            del run.children[pid]


def down(run, grace=4.0, quiet=False, records=None, slot=None):
    """End the run's processes: those DIR/pids names, or `records` (the
    watchdog's copy, when DIR/pids is gone)."""
    me = os.getpid()
    records = run.records() if records is None else records
    st = run.state()
    if st:
        run.set_state(state="down", down_at=time.time())
    elif slot is not None:
        st = {"slot": slot}
    targets = _members(records, me)
    for pid in targets:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    deadline = time.time() + grace
    while time.time() < deadline:
        _reap(run)
        if not _members(records, me):
            break
        time.sleep(0.1)
    left = _members(records, me)
    names = {pid: name for pid, _, name in records}
    hard = sorted({names.get(proc_stat(pid)[3], "?") if proc_stat(pid) else "?" for pid in left})
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    deadline = time.time() + 5
    while time.time() < deadline:
        _reap(run)
        if not _members(records, me):
            break
        time.sleep(0.1)
    still = _members(records, me)
    if st and "slot" in st:
        release_slot(st["slot"], run.dir)
    res = {"dir": run.dir, "recorded": len(records), "signalled": len(targets),
           "killed_hard": len(left), "killed_hard_names": hard, "still_alive": still}
    if not quiet:
        print(json.dumps(res))
    if still:
        raise Fail("processes still alive after SIGKILL: %s" % still)
    return res


# --- the torrent --------------------------------------------------------------

def make_torrent(run, name, piece_size, pieces, tracker_urls, file=None):
    """One file of random bytes; with file, a directory name holding it
    (a multi-file torrent named like a release: --name, --file)."""
    import libtorrent as lt
    content = os.path.join(run.dir, "content")
    os.makedirs(content, exist_ok=True)
    rel = os.path.join(name, file) if file else name
    path = os.path.join(content, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    size = piece_size * pieces - piece_size // 3   # last piece short, on purpose
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 1 << 22)
            f.write(os.urandom(n))
            left -= n
    fs = lt.file_storage()
    lt.add_files(fs, os.path.join(content, name))
    ct = lt.create_torrent(fs, piece_size, flags=lt.create_torrent.v1_only)
    for tier, url in enumerate(tracker_urls):
        ct.add_tracker(url, tier)
    ct.set_creator("swarmwatch tests/testbed/testbed.py")
    lt.set_piece_hashes(ct, content)
    e = ct.generate()
    tpath = os.path.join(run.dir, "swarm.torrent")
    with open(tpath, "wb") as f:
        f.write(lt.bencode(e))
    ti = lt.torrent_info(tpath)
    return {"path": tpath, "entry": e, "infohash": str(ti.info_hashes().v1),
            "name": name, "total_size": size, "piece_length": piece_size,
            "num_pieces": ti.num_pieces(), "content": path, "root": content, "rel": rel}


def torrent_variant(tor, path, tiers):
    """The same torrent (same info dict, same infohash) with another
    announce-list: aria2 announces to one tier only."""
    import libtorrent as lt
    e = dict(tor["entry"])
    e[b"announce"] = tiers[0].encode()
    e[b"announce-list"] = [[u.encode()] for u in tiers]
    with open(path, "wb") as f:
        f.write(lt.bencode(e))
    if str(lt.torrent_info(path).info_hashes().v1) != tor["infohash"]:
        raise Fail("torrent variant %s changed the infohash" % path)


def torrent_no_trackers(tor, path):
    """The same torrent (same info dict, same infohash) with no tracker at
    all: what hidden peers load."""
    import libtorrent as lt
    e = {k: v for k, v in tor["entry"].items() if k not in (b"announce", b"announce-list")}
    with open(path, "wb") as f:
        f.write(lt.bencode(e))
    ti = lt.torrent_info(path)
    if str(ti.info_hashes().v1) != tor["infohash"] or list(ti.trackers()):
        raise Fail("torrent without trackers %s: wrong infohash or trackers left" % path)


def write_partial(tor, dst_dir, have_pieces):
    """A copy of the content holding only the pieces in have_pieces (the
    rest stays a hole): libtorrent finds exactly those when it checks."""
    dst = os.path.join(dst_dir, tor["rel"])
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    pl = tor["piece_length"]
    with open(tor["content"], "rb") as src, open(dst, "wb") as out:
        out.truncate(tor["total_size"])
        for i in have_pieces:
            src.seek(i * pl)
            out.seek(i * pl)
            out.write(src.read(pl))


def link_content(tor, dst_dir):
    dst = os.path.join(dst_dir, tor["rel"])
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if not os.path.exists(dst):
        try:
            os.link(tor["content"], dst)
        except OSError:
            shutil.copyfile(tor["content"], dst)


# --- trackers -------------------------------------------------------------------

def start_opentracker(run, ip, port, infohash):
    root = os.path.join(run.dir, "opentracker")
    os.makedirs(root, exist_ok=True)
    os.chmod(root, 0o755)
    wl = os.path.join(root, "wl.txt")
    with open(wl, "w") as f:
        f.write(infohash + "\n")
    os.chmod(wl, 0o644)
    argv = ["opentracker", "-i", ip, "-p", str(port), "-P", str(port)]
    if os.geteuid() == 0:
        # As root it insists on dropping privileges; it chroots into -d and
        # reads the whitelist relative to that root (Debian builds it with
        # WANT_ACCESSLIST_WHITE: only listed infohashes are tracked).
        argv += ["-d", root, "-u", "_opentracker", "-w", "/wl.txt"]
    else:
        # not root: it cannot chroot (and says nothing); give it the
        # whitelist's real path
        argv += ["-w", wl]
    run.spawn("opentracker", argv, cwd=root)
    return {"http": "http://%s:%d/announce" % (ip, port),
            "udp": "udp://%s:%d/announce" % (ip, port)}


def start_bt_tracker(run, ip, port, infohash, lifetime):
    script = os.path.join(HERE, "bt_tracker.mjs")
    if not os.path.isdir(os.path.join(HERE, "node_modules", "bittorrent-tracker")):
        raise Fail("tests/testbed/node_modules/bittorrent-tracker is missing: "
                   "run scripts/deps.sh (npm ci --ignore-scripts in tests/testbed)")
    out = os.path.join(run.logs, "bittorrent-tracker.json")
    run.spawn("bittorrent-tracker",
              ["node", script, "--host", ip, "--http-port", str(port),
               "--udp-port", str(port), "--infohash", infohash,
               "--interval", "1800", "--for", str(int(lifetime) + 30)],
              cwd=HERE, stdout_path=out)

    def ready():
        with open(out) as f:
            line = f.readline()
        return json.loads(line) if line.endswith("\n") else None
    info = wait_until(ready, 60, what="bittorrent-tracker to listen")  # node is slow to start on a loaded machine
    return {"http": info["http"], "udp": info["udp"]}


# --- clients ---------------------------------------------------------------------

def transmission_rpc(ip, port, method, args, timeout=5.0):
    url = "http://%s:%d/transmission/rpc" % (ip, port)
    body = json.dumps({"method": method, "arguments": args}).encode()
    hdr = {"Content-Type": "application/json"}
    for _ in range(3):
        status, headers, data = http_json("POST", url, body, hdr, timeout)
        if status == 409:
            hdr["X-Transmission-Session-Id"] = headers.get("X-Transmission-Session-Id", "")
            continue
        if status != 200:
            raise Fail("transmission %s:%d: HTTP %d" % (ip, port, status))
        r = json.loads(data)
        if r.get("result") != "success":
            raise Fail("transmission %s:%d %s: %s" % (ip, port, method, r.get("result")))
        return r.get("arguments", {})
    raise Fail("transmission %s:%d: no session id" % (ip, port))


def scgi_call(sock_path, method, *params, timeout=10.0):
    import xmlrpc.client
    body = xmlrpc.client.dumps(params, method).encode()
    hdr = b"CONTENT_LENGTH\0%d\0SCGI\x001\0" % len(body)
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    try:
        s.connect(sock_path)
        s.sendall(b"%d:%s," % (len(hdr), hdr) + body)
        data = b""
        while True:
            c = s.recv(65536)
            if not c:
                break
            data += c
    finally:
        s.close()
    xml = data.split(b"\r\n\r\n", 1)[1]
    return xmlrpc.client.loads(xml)[0][0]


def multipart(fields, files):
    boundary = "----swarmwatch%016x" % random.getrandbits(64)
    out = b""
    for k, v in fields.items():
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                % (boundary, k, v)).encode()
    for k, (fname, data) in files.items():
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                "Content-Type: application/x-bittorrent\r\n\r\n" % (boundary, k, fname)).encode()
        out += data + b"\r\n"
    out += ("--%s--\r\n" % boundary).encode()
    return out, "multipart/form-data; boundary=" + boundary


def popcount_b64(b64):
    return sum(bin(x).count("1") for x in base64.b64decode(b64))


def popcount_hex(h):
    return sum(bin(int(c, 16)).count("1") for c in h)


class Client:
    """One non-libtorrent peer: a process of its own."""

    def __init__(self, run, peer, tor, trackers):
        self.run = run
        self.peer = peer
        self.tor = tor
        self.trackers = trackers      # list of tracker dicts, in tier order
        self.pdir = os.path.join(run.dir, "peers", "%03d-%s" % (peer["index"], peer["client"]))
        self.dl = os.path.join(self.pdir, "dl")
        os.makedirs(self.dl, exist_ok=True)
        if peer["role"] == "seed":
            link_content(tor, self.dl)
        self.proc = None

    @property
    def ip(self):
        return self.peer["ip"]

    def name(self, suffix=""):
        return "%03d-%s%s" % (self.peer["index"], self.peer["client"], suffix)

    def start(self):
        raise NotImplementedError

    def configure(self):
        """Add the torrent and make sure it announces to every tracker."""

    def status(self):
        raise NotImplementedError


class Transmission(Client):
    def start(self):
        cfg = os.path.join(self.pdir, "cfg")
        os.makedirs(cfg, exist_ok=True)
        seed = self.peer["role"] == "seed"
        settings = {
            "bind-address-ipv4": self.ip, "bind-address-ipv6": "::1",
            "peer-port": self.peer["port"], "peer-port-random-on-start": False,
            "rpc-bind-address": self.ip, "rpc-port": self.peer["ctrl_port"],
            "rpc-authentication-required": False, "rpc-whitelist-enabled": False,
            "rpc-host-whitelist-enabled": False,
            "dht-enabled": False, "lpd-enabled": False, "pex-enabled": False,
            "utp-enabled": False, "port-forwarding-enabled": False,
            "blocklist-enabled": False, "start-added-torrents": True,
            # 0 with the limit enabled: transmission moves no payload at all
            "speed-limit-up": 0, "speed-limit-up-enabled": seed,
            "speed-limit-down": 0, "speed-limit-down-enabled": not seed,
            "ratio-limit-enabled": False, "idle-seeding-limit-enabled": False,
            "download-queue-enabled": False, "seed-queue-enabled": False,
            "preallocation": 0, "download-dir": self.dl,
            "incomplete-dir-enabled": False, "watch-dir-enabled": False,
            "message-level": 1, "cache-size-mb": 1,
        }
        with open(os.path.join(cfg, "settings.json"), "w") as f:
            json.dump(settings, f, indent=1)
        self.proc = self.run.spawn(self.name(), [
            "transmission-daemon", "-f", "-g", cfg, "-w", self.dl,
            "--bind-address-ipv4", self.ip, "-p", str(self.peer["ctrl_port"]),
            "-P", str(self.peer["port"]), "--no-dht", "--no-lpd"])

    def rpc(self, method, args):
        return transmission_rpc(self.ip, self.peer["ctrl_port"], method, args)

    def configure(self):
        wait_until(lambda: self.rpc("session-get", {}), 20, what="transmission RPC on %s" % self.ip)
        with open(self.tor["path"], "rb") as f:
            meta = base64.b64encode(f.read()).decode()
        self.rpc("torrent-add", {"metainfo": meta, "download-dir": self.dl, "paused": False})

    def status(self):
        r = self.rpc("torrent-get", {"ids": [self.tor["infohash"]], "fields": ["pieces", "pieceCount", "percentDone", "status",
                                                "peersConnected", "error", "errorString", "downloadedEver",
                                                "trackerStats"]})
        t = r["torrents"][0]
        return {"pieces": popcount_b64(t["pieces"]), "num_pieces": t["pieceCount"],
                "downloaded": t["downloadedEver"],
                "peers": t["peersConnected"],
                "error": t["errorString"] if t["error"] else "",
                "trackers": {ts["announce"]: {"ok": bool(ts["lastAnnounceSucceeded"]),
                                              "msg": ts["lastAnnounceResult"]}
                             for ts in t["trackerStats"]}}


class QBittorrent(Client):
    def start(self):
        conf_dir = os.path.join(self.pdir, "profile", "qBittorrent", "config")
        os.makedirs(conf_dir, exist_ok=True)
        conf = """[LegalNotice]
Accepted=true

[BitTorrent]
Session\\Interface=lo
Session\\InterfaceName=lo
Session\\InterfaceAddress={ip}
Session\\Port={port}
Session\\DHTEnabled=false
Session\\LSDEnabled=false
Session\\PeXEnabled=false
Session\\AnnounceToAllTiers=true
Session\\AnnounceToAllTrackers=true
Session\\BTProtocol=TCP
Session\\DefaultSavePath={dl}
Session\\IgnoreLimitsOnLAN=false
Session\\QueueingSystemEnabled=false
Session\\Preallocation=false
Session\\AddTorrentPaused=false
Session\\SSRFMitigation=false
Session\\ValidateHTTPSTrackerCertificate=false
Session\\AddTrackersEnabled=false

[Preferences]
WebUI\\Address={ip}
WebUI\\Port={ctrl}
WebUI\\LocalHostAuth=false
WebUI\\AuthSubnetWhitelistEnabled=true
WebUI\\AuthSubnetWhitelist=127.0.0.0/8
WebUI\\CSRFProtection=false
WebUI\\HostHeaderValidation=false
WebUI\\ClickjackingProtection=false
Connection\\UPnP=false
General\\Locale=en
""".format(ip=self.ip, port=self.peer["port"], ctrl=self.peer["ctrl_port"], dl=self.dl)
        with open(os.path.join(conf_dir, "qBittorrent.conf"), "w") as f:
            f.write(conf)
        env = dict(os.environ)
        env.update({"HOME": self.pdir, "XDG_CONFIG_HOME": os.path.join(self.pdir, "xdg"),
                    "QT_QPA_PLATFORM": "offscreen"})
        self.proc = self.run.spawn(self.name(), [
            "qbittorrent-nox", "--profile=" + os.path.join(self.pdir, "profile")], env=env)

    def api(self, method, path, body=None, ctype=None):
        url = "http://%s:%d/api/v2/%s" % (self.ip, self.peer["ctrl_port"], path)
        hdr = {"Referer": "http://%s:%d" % (self.ip, self.peer["ctrl_port"])}
        if ctype:
            hdr["Content-Type"] = ctype
        status, _, data = http_json(method, url, body, hdr)
        if status != 200:
            raise Fail("qbittorrent %s %s: HTTP %d %r" % (self.ip, path, status, data[:200]))
        return data

    def configure(self):
        wait_until(lambda: self.api("GET", "app/version"), 30,
                   what="qbittorrent web API on %s" % self.ip)
        with open(self.tor["path"], "rb") as f:
            data = f.read()
        seed = self.peer["role"] == "seed"
        fields = {"savepath": self.dl, "paused": "false",
                  "skip_checking": "true" if seed else "false",
                  "upLimit": "0", "dlLimit": "0" if seed else "1"}
        body, ctype = multipart(fields, {"torrents": ("swarm.torrent", data)})
        r = self.api("POST", "torrents/add", body, ctype)
        if r.strip() != b"Ok.":
            raise Fail("qbittorrent %s: add said %r" % (self.ip, r))
        if not seed and getattr(self, "hold", "limit") == "priorities":
            # like libtorrent leechers: "do not download" the file, then lift
            # the 1 B/s limit, which also throttles reading the peer wire
            ih = self.tor["infohash"]
            wait_until(lambda: json.loads(self.api("GET", "torrents/files?hash=" + ih)), 20,
                       what="qbittorrent on %s to list the torrent's files" % self.ip)
            form = "application/x-www-form-urlencoded"
            self.api("POST", "torrents/filePrio",
                     urllib.parse.urlencode({"hash": ih, "id": "0", "priority": "0"}).encode(), form)
            self.api("POST", "torrents/setDownloadLimit",
                     urllib.parse.urlencode({"hashes": ih, "limit": "0"}).encode(), form)

    def status(self):
        ih = self.tor["infohash"]
        states = json.loads(self.api("GET", "torrents/pieceStates?hash=" + ih))
        info = json.loads(self.api("GET", "torrents/info?hashes=" + ih))[0]
        trk = json.loads(self.api("GET", "torrents/trackers?hash=" + ih))
        return {"pieces": sum(1 for s in states if s == 2), "num_pieces": len(states),
                "peers": info.get("num_seeds", 0) + info.get("num_leechs", 0),
                "downloaded": info.get("downloaded", 0),
                "state": info.get("state"),
                "trackers": {t["url"]: {"ok": t["status"] == 2, "msg": t["msg"]}
                             for t in trk if t["tier"] != -1}}


class RTorrent(Client):
    def start(self):
        sess = os.path.join(self.pdir, "session")
        os.makedirs(sess, exist_ok=True)
        self.sock = os.path.join(self.pdir, "scgi.sock")
        seed = self.peer["role"] == "seed"
        rc = "\n".join([
            "system.daemon.set = true",
            "network.bind_address.set = %s" % self.ip,
            "network.port_range.set = %d-%d" % (self.peer["port"], self.peer["port"]),
            "network.port_random.set = no",
            "session.path.set = %s" % sess,
            "directory.default.set = %s" % self.dl,
            "network.scgi.open_local = %s" % self.sock,
            "dht.mode.set = disable",
            "protocol.pex.set = no",
            "trackers.use_udp.set = yes",
            "pieces.hash.on_completion.set = no",
            # 1 KiB/s, its smallest limit: the plain .set takes bytes but
            # shifts them to KiB, so 1 would become 0, which means unlimited
            "throttle.global_up.max_rate.set_kb = %d" % (1 if seed else 0),
            "throttle.global_down.max_rate.set_kb = %d" % (0 if seed else 1),
            "log.open_file = \"main\", %s" % os.path.join(self.pdir, "rtorrent.log"),
            "log.add_output = \"info\", \"main\"",
            ""])
        rcpath = os.path.join(self.pdir, "rtorrent.rc")
        with open(rcpath, "w") as f:
            f.write(rc)
        env = dict(os.environ)
        env.update({"HOME": self.pdir, "TERM": "dumb"})
        self.proc = self.run.spawn(self.name(), ["rtorrent", "-n", "-o", "import=" + rcpath],
                                   env=env)

    def call(self, method, *params):
        return scgi_call(self.sock, method, *params)

    def configure(self):
        wait_until(lambda: os.path.exists(self.sock) and self.call("system.client_version"),
                   20, what="rtorrent SCGI socket on %s" % self.ip)
        self.call("load.start", "", self.tor["path"], "d.directory.set=" + self.dl)
        ih = self.tor["infohash"].upper()
        self.hash = ih
        want = self.tor["num_pieces"] if self.peer["role"] == "seed" else None

        def loaded():
            if ih not in self.call("download_list"):
                return False
            if self.call("d.hashing", ih):
                return False
            if want is not None and self.call("d.completed_chunks", ih) != want:
                return False
            return self.call("d.is_active", ih) == 1
        wait_until(loaded, 30, what="rtorrent on %s to load and check the torrent" % self.ip)

    def trackers_list(self):
        return self.call("t.multicall", self.hash, "", "t.url=", "t.is_enabled=",
                         "t.success_counter=", "t.failed_counter=")

    def announce_everywhere(self, want_software):
        """rtorrent sends `started` to the first tracker that answers and
        stays with it.  Announce to one URL of every other tracker by
        enabling only that URL and asking for an announce, then enable all."""
        urls = [t["url"] for t in self.trackers]
        done = set()
        for i, u in enumerate(urls):
            tl = self.trackers_list()
            if tl[i][2] > 0:
                done.add(self.trackers[i]["software"])
        order = list(range(len(urls)))
        # alternate HTTP/UDP between peers for coverage of both protocols
        if self.peer["index"] % 2:
            order.reverse()
        for sw in want_software:
            if sw in done:
                continue
            idx = [i for i in order if self.trackers[i]["software"] == sw][0]
            before = self.trackers_list()[idx][2]
            for j in range(len(urls)):
                self.call("t.is_enabled.set", "%s:t%d" % (self.hash, j), 1 if j == idx else 0)
            self.call("d.tracker_announce", self.hash)
            wait_until(lambda: self.trackers_list()[idx][2] > before, 20,
                       what="rtorrent on %s to announce to %s" % (self.ip, urls[idx]))
            done.add(sw)
        for j in range(len(urls)):
            self.call("t.is_enabled.set", "%s:t%d" % (self.hash, j), 1)

    def status(self):
        tl = self.trackers_list()
        return {"pieces": self.call("d.completed_chunks", self.hash),
                "num_pieces": self.call("d.size_chunks", self.hash),
                "peers": self.call("d.peers_connected", self.hash),
                "downloaded": self.call("d.down.total", self.hash),
                "trackers": {t[0]: {"ok": t[2] > 0, "announces": t[2], "fails": t[3]}
                             for t in tl}}


class Aria2(Client):
    """aria2 announces to one tracker only (the first tier that answers;
    see README).  With mode 'restart' it is started once per tracker, each
    time with that tracker's tier first; every run but the last is ended
    with SIGKILL, so it sends no `stopped` and the tracker keeps the
    registration of this very address and port, where the last run
    listens."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.phase = 0
        self.rpc_port = None

    def start_phase(self, first_software, rpc_port):
        # tiers: the first software's URLs first (HTTP or UDP first
        # alternating between peers), the others after.
        urls = [t for t in self.trackers if t["software"] == first_software]
        if self.peer["index"] % 2:
            urls.reverse()
        rest = [t for t in self.trackers if t["software"] != first_software]
        tiers = [t["url"] for t in urls + rest]
        tpath = os.path.join(self.pdir, "swarm-%d.torrent" % self.phase)
        torrent_variant(self.tor, tpath, tiers)
        self.first_url = tiers[0]
        self.rpc_port = rpc_port
        seed = self.peer["role"] == "seed"
        if not seed and self.phase > 0:
            # the killed run left a file without aria2's control file (it
            # saves none: --auto-save-interval=0); a leecher holds nothing,
            # so start it afresh
            for f in (self.tor["rel"], self.tor["name"] + ".aria2"):
                try:
                    os.unlink(os.path.join(self.dl, f))
                except OSError:
                    pass
        if not hasattr(self, "secret"):
            self.secret = "%032x" % random.getrandbits(128)
        argv = ["aria2c", "--no-conf=true", "--interface=" + self.ip,
                "--listen-port=%d" % self.peer["port"],
                "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
                "--enable-peer-exchange=false", "--file-allocation=none",
                "--seed-ratio=0.0", "--bt-stop-timeout=0", "--auto-save-interval=0",
                "--enable-rpc=true", "--rpc-listen-port=%d" % rpc_port,
                "--rpc-secret=" + self.secret,
                "--rpc-listen-all=false", "--console-log-level=warn",
                "--summary-interval=0", "--dir=" + self.dl,
                "--log=" + os.path.join(self.pdir, "aria2-%d.log" % self.phase),
                "--log-level=info"]
        if seed:
            argv += ["--bt-seed-unverified=true", "--check-integrity=false",
                     "--max-upload-limit=1"]
        else:
            argv += ["--max-download-limit=1"]
        argv.append(tpath)
        self.proc = self.run.spawn(self.name("-%d" % self.phase), argv)
        self.phase += 1

    def kill_phase(self):
        p = self.proc
        p.kill()
        p.wait(10)

    def rpc(self, method, params):
        body = json.dumps({"jsonrpc": "2.0", "id": "tb", "method": method,
                           "params": ["token:" + self.secret] + params}).encode()
        status, _, data = http_json("POST", "http://127.0.0.1:%d/jsonrpc" % self.rpc_port, body,
                                    {"Content-Type": "application/json"})
        if status != 200:
            raise Fail("aria2 %s: HTTP %d" % (self.ip, status))
        return json.loads(data)["result"]

    def configure(self):
        wait_until(lambda: self.rpc("aria2.tellActive", [["gid"]]), 20,
                   what="aria2 RPC for %s to show the download" % self.ip)

    def status(self):
        r = self.rpc("aria2.tellActive", [["bitfield", "numPieces", "connections",
                                            "status", "completedLength"]])
        if not r:
            raise Fail("aria2 %s: no active download" % self.ip)
        t = r[0]
        return {"pieces": popcount_hex(t.get("bitfield", "")),
                "num_pieces": int(t["numPieces"]), "peers": int(t["connections"]),
                "downloaded": int(t["completedLength"]),
                "state": t["status"]}


CLIENT_CLASS = {"transmission": Transmission, "qbittorrent": QBittorrent,
                "rtorrent": RTorrent, "aria2": Aria2}


# --- libtorrent sessions: many per process --------------------------------------

def lt_settings(ip, port, extra=None):
    s = {
        "listen_interfaces": "%s:%d" % (ip, port),
        # bind outgoing peer connections to our own address too (otherwise
        # they come from 127.0.0.1)
        "outgoing_interfaces": ip,
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False,
        "enable_natpmp": False, "enable_incoming_utp": False,
        "enable_outgoing_utp": False, "enable_ip_notifier": False,
        "announce_to_all_trackers": True, "announce_to_all_tiers": True,
        # libtorrent caches UDP tracker connection ids per process, keyed by
        # tracker address; opentracker binds them to the source address, so
        # sessions sharing a process must not reuse each other's ids.
        "udp_tracker_token_expiry": 0,
        "allow_multiple_connections_per_ip": True,
        "max_retry_port_bind": 0,
        "ssrf_mitigation": False,
        "connections_limit": 60, "num_want": 50,
        "aio_threads": 1, "hashing_threads": 1,
        "alert_mask": 0,
    }
    if extra:
        s.update(extra)
    return s


def lt_group_main(spec_path):
    """`testbed.py _ltgroup SPEC`: run the libtorrent sessions SPEC lists,
    write their status to SPEC's status file every 2 s, exit after the
    lifetime or on SIGTERM."""
    import libtorrent as lt
    spec = read_json(spec_path)
    deadline = time.time() + spec["lifetime"]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    ti = lt.torrent_info(spec["torrent"])
    tis = {spec["torrent"]: ti}
    sessions = []
    for p in spec["peers"]:
        extra = None
        if p.get("keep_redundant"):
            # PEX hosts and hidden peers: a seed keeps its connection to
            # another seed (libtorrent closes such "redundant" connections
            # by default, and a closed connection is not gossiped), and
            # room for everyone: a host at its connection limit would turn
            # a hidden peer (or swarmwatch) away
            extra = {"close_redundant_connections": False, "connections_limit": 400}
        s = lt.session(lt_settings(p["ip"], p["port"], extra))
        atp = lt.add_torrent_params()
        tpath = p.get("torrent", spec["torrent"])
        if tpath not in tis:
            tis[tpath] = lt.torrent_info(tpath)
        atp.ti = tis[tpath]
        atp.save_path = p["save_path"]
        atp.flags &= ~(lt.torrent_flags.paused | lt.torrent_flags.auto_managed)
        # Leechers are held back by their download limit alone.  An upload
        # limit would also throttle libtorrent's handshake and BEP 10
        # messages (it counts every byte sent for the torrent), and a peer
        # that takes a minute to answer a handshake is not what we test.
        # Hidden leechers ("no_download") are held back by piece priorities
        # instead: the download limit also throttles reading the peer wire
        # (handshakes included), and a host that cannot read a hidden
        # peer's handshake never gossips it.
        if p["role"] == "seed":
            atp.flags |= lt.torrent_flags.seed_mode
        elif not p.get("no_download"):
            atp.download_limit = 1
        else:
            # Set before the torrent starts: priorities applied after
            # add_torrent leave a moment in which an unthrottled seed can
            # hand a leecher a whole piece (seen once in a 500-peer swarm).
            held = set(p.get("have_pieces", []))
            atp.piece_priorities = [4 if i in held else 0 for i in range(atp.ti.num_pieces())]
        h = s.add_torrent(atp)
        if p["role"] != "seed" and p.get("no_download"):
            held = set(p.get("have_pieces", []))
            h.prioritize_pieces([4 if i in held else 0 for i in range(ti.num_pieces())])
        sessions.append((p, s, h))
        if stop.is_set():
            break

    def reconnect():
        # hidden peers: (re)connect to their PEX hosts; they have no tracker
        for p, s, h in sessions:
            if not p.get("connect"):
                continue
            try:
                have = {pi.ip[0] for pi in h.get_peer_info()}
                for ip, port in p["connect"]:
                    if ip not in have:
                        h.connect_peer((ip, port))
            except RuntimeError:
                pass

    def snapshot():
        out = []
        for p, s, h in sessions:
            st = h.status()
            # peers past the BitTorrent handshake: what a PEX host gossips
            busy = lt.peer_info.connecting | lt.peer_info.handshake
            connected = sorted({pi.ip[0] for pi in h.get_peer_info() if not pi.flags & busy})
            trk = {}
            for ae in h.trackers():
                ok = False
                msg = ""
                fails = 0
                for ep in ae.get("endpoints", []):
                    ihs = ep["info_hashes"][0]
                    if ihs["start_sent"] and ihs["fails"] == 0 and not ihs["updating"]:
                        ok = True
                    fails = max(fails, ihs["fails"])
                    msg = ihs["message"] or msg
                    if ihs["last_error"]["value"]:
                        msg = msg or "error %d" % ihs["last_error"]["value"]
                trk[ae["url"]] = {"ok": ok, "fails": fails, "msg": msg}
            out.append({"index": p["index"], "ip": p["ip"], "port": p["port"],
                        "listen_port": s.listen_port() if s.is_listening() else None,
                        "pieces": st.num_pieces, "num_pieces": ti.num_pieces(),
                        "state": str(st.state), "peers": st.num_peers,
                        "downloaded": st.total_payload_download,
                        "error": str(st.errc.message()) if st.errc.value() else "",
                        "trackers": trk, "connected_ips": connected})
        return out

    while not stop.is_set() and time.time() < deadline:
        reconnect()
        try:
            atomic_write(spec["status"], json.dumps({"time": time.time(), "pid": os.getpid(),
                                                     "peers": snapshot()}))
        except OSError:
            pass
        stop.wait(2.0)
    # Exit at once: a graceful session teardown sends `stopped` to every
    # tracker and takes seconds per session; the trackers go down too.
    sys.stdout.flush()
    os._exit(0)


class LtGroup:
    SPEC_KEYS = ("index", "ip", "port", "role", "save_path", "torrent", "keep_redundant",
                 "no_download", "have_pieces", "connect")

    def __init__(self, run, gid, peers, tor, lifetime, kind=""):
        self.run = run
        self.gid = gid
        self.peers = peers
        self.kind = kind            # "", "pexhost" or "hidden": part of the process name
        self.spec = os.path.join(run.dir, "lt", "group-%02d.json" % gid)
        self.status_path = os.path.join(run.dir, "lt", "group-%02d.status.json" % gid)
        os.makedirs(os.path.dirname(self.spec), exist_ok=True)
        atomic_write(self.spec, json.dumps({
            "torrent": tor["path"], "lifetime": lifetime, "status": self.status_path,
            "peers": [{k: p[k] for k in self.SPEC_KEYS if k in p} for p in peers]}))
        self.proc = None

    def start(self):
        self.proc = self.run.spawn("libtorrent-%s%02d" % (self.kind + "-" if self.kind else "",
                                                          self.gid),
                                   [sys.executable, os.path.abspath(__file__), "_ltgroup",
                                    self.spec])
        for p in self.peers:
            p["pid"] = self.proc.pid

    def statuses(self):
        st = read_json(self.status_path, {})
        return {p["index"]: p for p in st.get("peers", [])}


# --- planning ---------------------------------------------------------------------

def plan_mix(n, clients, mix):
    counts = {}
    if mix:
        for part in mix.split(","):
            k, _, v = part.partition("=")
            k = k.strip()
            if k not in CLIENTS:
                raise ValueError("unknown client %r in --mix" % k)
            counts[k] = int(v)
        if sum(counts.values()) != n:
            # --mix given for some clients: libtorrent (or the last client)
            # takes the rest
            rest = [c for c in clients if c not in counts]
            filler = "libtorrent" if "libtorrent" in rest else (rest[-1] if rest else None)
            if filler is None or n - sum(counts.values()) < 0:
                raise ValueError("--mix adds up to %d, not --peers %d" % (sum(counts.values()), n))
            counts[filler] = n - sum(counts.values())
        return counts
    others = [c for c in clients if c != "libtorrent"]
    if "libtorrent" in clients:
        k = min(8, max(1, n // 8)) if others else 0
        while k and k * len(others) > n:
            k -= 1
        for c in others:
            counts[c] = k
        counts["libtorrent"] = n - k * len(others)
    else:
        for i, c in enumerate(others):
            counts[c] = n // len(others) + (1 if i < n % len(others) else 0)
    return counts


def peer_ip(slot, i):
    return "127.%d.%d.%d" % (slot, 1 + i // 250, 1 + i % 250)


# --- fake peers, PEX, metadata ----------------------------------------------------

FAKE_MODES = ("dead", "close", "wrong-infohash", "garbage", "bad-bitfield")
HOSTILE_MODES = ("huge-prefix", "slowloris", "have-flood", "bad-metadata")
FAKE_NET, HOSTILE_NET = 250, 251           # 127.S.250.x fakes, 127.S.251.x hostile
FAKE_PORT_BASE, HOSTILE_PORT_BASE = 40001, 41001
PEX_PROBE_HOST = 7                         # 127.S.0.7: `pex` connects from there
META_PROBE_HOST = 8                        # 127.S.0.8: `metadata` connects from there


def start_fakes(run, args, slot, tor, tracker_list, softwares, lifetime):
    """Start fake_peer.py serving --fakes and --hostile endpoints, each on
    its own address, registered with every tracker URL.  Returns the truth's
    "fakes" list and its "fake_peer" note."""
    import libtorrent as lt
    eps = []
    for k in range(args.fakes):
        ip = "127.%d.%d.%d" % (slot, FAKE_NET, 1 + k)
        eps.append({"ip": ip, "port": pick_port(ip, FAKE_PORT_BASE + k, set(), udp=False),
                    "mode": args.fake_modes[k % len(args.fake_modes)], "hostile": False})
    for k, m in enumerate(args.hostile):
        ip = "127.%d.%d.%d" % (slot, HOSTILE_NET, 1 + k)
        eps.append({"ip": ip, "port": pick_port(ip, HOSTILE_PORT_BASE + k, set(), udp=False),
                    "mode": m, "hostile": True})
    if not eps:
        return [], None
    info_len = len(lt.bencode(tor["entry"][b"info"]))
    events = os.path.join(run.logs, "fake-peers.events.jsonl")
    out = os.path.join(run.logs, "fake-peers.json")
    argv = [sys.executable, os.path.join(HERE, "fake_peer.py"), "--infohash", tor["infohash"],
            "--num-pieces", str(tor["num_pieces"]), "--metadata-size", str(info_len),
            "--for", str(int(lifetime) + 30), "--log", events]
    for t in tracker_list:
        argv += ["--announce", t["url"]]
    for e in eps:
        argv += ["--peer", "%s:%d:%s" % (e["ip"], e["port"], e["mode"])]
    proc = run.spawn("fake-peers", argv, stdout_path=out)

    def ready():
        if proc.poll() is not None:
            with open(os.path.join(run.logs, "fake-peers.log"), errors="replace") as f:
                raise Fail("fake_peer.py exited %s: %s" % (proc.returncode, f.read()[-500:]))
        with open(out) as f:
            line = f.readline()
        return json.loads(line) if line.endswith("\n") else None
    info = wait_until(ready, 60, what="fake_peer.py to listen and register")
    got = {(e["ip"], e["port"], e["mode"]) for e in info["endpoints"]}
    if got != {(e["ip"], e["port"], e["mode"]) for e in eps}:
        raise Fail("fake_peer.py serves other endpoints than asked: %s" % info["endpoints"])
    for e in eps:
        e["trackers"] = list(softwares)
        e["pid"] = proc.pid
    return eps, {"pid": proc.pid, "events": events, "endpoints": out,
                 "metadata_size": info_len}


def hidden_problems(truth, statuses, every_host=False):
    """Hidden peers that none of their PEX hosts (every_host: not every one
    of them) reports as connected."""
    conn = {}
    for p in truth["peers"]:
        if p.get("pex_host"):
            conn["%s:%d" % (p["ip"], p["port"])] = set(
                (statuses.get(p["index"]) or {}).get("connected_ips", []))
    out = []
    for p in truth["peers"]:
        if not p.get("hidden"):
            continue
        ok = [p["ip"] in conn.get(h, ()) for h in p["pex_hosts"]]
        if not (all(ok) if every_host else any(ok)):
            out.append("hidden libtorrent %s:%d: not connected to %s of its PEX hosts %s" % (
                p["ip"], p["port"], "every one" if every_host else "any",
                ",".join(p["pex_hosts"])))
    return out


class Wire:
    """A minimal peer-wire client (for the pex and metadata probes)."""

    def __init__(self, ip, port, src, infohash, timeout):
        self.s = socket.create_connection((ip, port), timeout=min(timeout, 10),
                                          source_address=(src, 0))
        self.buf = b""
        self.ih = infohash
        res = bytearray(8)
        res[5] |= 0x10                      # BEP 10
        self.s.sendall(b"\x13BitTorrent protocol" + bytes(res) + infohash +
                       b"-SWTBPR-" + os.urandom(12))

    def close(self):
        self.s.close()

    def _need(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.time()
            if left <= 0:
                raise socket.timeout()
            self.s.settimeout(left)
            d = self.s.recv(65536)
            if not d:
                raise Fail("connection closed by the peer")
            self.buf += d
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def handshake(self, deadline):
        hs = self._need(68, deadline)
        if hs[:20] != b"\x13BitTorrent protocol" or hs[28:48] != self.ih:
            raise Fail("bad handshake %r" % hs[:48])
        return hs

    def send_ext(self, ext_id, payload):
        self.s.sendall(struct.pack(">IBB", 2 + len(payload), 20, ext_id) + payload)

    def msg(self, deadline):
        """(id, body) of the next message; (None, b'') for a keep-alive."""
        (n,) = struct.unpack(">I", self._need(4, deadline))
        if n > (1 << 21):
            raise Fail("message of %d bytes" % n)
        if n == 0:
            return None, b""
        b = self._need(n, deadline)
        return b[0], b[1:]


def bencode(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, dict):
        return b"d" + b"".join(bencode(k) + bencode(v[k]) for k in sorted(
            v, key=lambda k: k.encode() if isinstance(k, str) else k)) + b"e"
    if isinstance(v, list):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    raise TypeError(type(v))


def bdecode_prefix(data):
    """(value, length) of the bencoded value at the start of data."""
    end = [0]

    def dec(i, depth):
        if depth > 64:
            raise ValueError("too deep")
        c = data[i:i + 1]
        if c == b"i":
            j = data.index(b"e", i)
            return int(data[i + 1:j]), j + 1
        if c in (b"l", b"d"):
            i += 1
            out = [] if c == b"l" else {}
            while data[i:i + 1] != b"e":
                if i >= len(data):
                    raise ValueError("unterminated")
                if c == b"l":
                    v, i = dec(i, depth + 1)
                    out.append(v)
                else:
                    k, i = dec(i, depth + 1)
                    v, i = dec(i, depth + 1)
                    out[k] = v
            return out, i + 1
        if c.isdigit():
            j = data.index(b":", i)
            n = int(data[i:j])
            if j + 1 + n > len(data):
                raise ValueError("string past end")
            return data[j + 1:j + 1 + n], j + 1 + n
        raise ValueError("bad bencode at %d" % i)
    v, n = dec(0, 0)
    end[0] = n
    return v, n


def pex_probe(truth, timeout=90.0, src=None):
    """Connect to every PEX host as a fresh peer (BEP 10 handshake with
    ut_pex, no listen port) and read its ut_pex messages until they name
    every hidden peer that host was given, or `timeout` passes."""
    ih = bytes.fromhex(truth["infohash"])
    src = src or "127.%d.0.%d" % (truth["slot"], PEX_PROBE_HOST)
    hosts = [p for p in truth["peers"] if p.get("pex_host")]
    hidden = {(p["ip"], p["port"]) for p in truth["peers"] if p.get("hidden")}
    union = set()                 # every host's gossip so far
    lock = threading.Lock()

    def one(h):
        hk = "%s:%d" % (h["ip"], h["port"])
        expect = {(p["ip"], p["port"]) for p in truth["peers"]
                  if p.get("hidden") and hk in p["pex_hosts"]}
        r = {"host": hk, "expected": len(expect), "first_pex_s": None, "complete_s": None,
             "pex_messages": 0, "added": [], "missing": [], "error": None}
        t0 = time.time()
        deadline = t0 + timeout
        added = set()
        w = None
        try:
            w = Wire(h["ip"], h["port"], src, ih, timeout)
            # BEP 10 handshake only after theirs: aria2 closes a connection
            # whose extension handshake arrives before it has sent its own
            w.handshake(deadline)
            w.send_ext(0, bencode({"m": {"ut_pex": 1}, "v": "swarmwatch-testbed pex probe"}))
            last_ka = time.time()

            def done():
                with lock:
                    return (expect and expect <= added) or (hidden and hidden <= union)
            while not done() and time.time() < deadline:
                if time.time() - last_ka > 30:
                    w.s.sendall(b"\0\0\0\0")
                    last_ka = time.time()
                try:
                    mid, body = w.msg(min(deadline, time.time() + 5))
                except socket.timeout:
                    continue
                if mid != 20 or not body or body[0] != 1:   # 1: our ut_pex id
                    continue
                d, _ = bdecode_prefix(body[1:])
                r["pex_messages"] += 1
                if r["first_pex_s"] is None:
                    r["first_pex_s"] = round(time.time() - t0, 2)
                a = d.get(b"added", b"") if isinstance(d, dict) else b""
                with lock:
                    added |= set(_compact4(a))
                    union.update(added)
            if expect and expect <= added:
                r["complete_s"] = round(time.time() - t0, 2)
        except (OSError, Fail, ValueError) as e:
            r["error"] = "%s: %s" % (type(e).__name__, e)
        finally:
            if w:
                w.close()
        r["added"] = sorted("%s:%d" % x for x in added)
        r["missing"] = sorted("%s:%d" % x for x in expect - added)
        return r
    with concurrent.futures.ThreadPoolExecutor(max(1, len(hosts))) as ex:
        res = list(ex.map(one, hosts))
    # a hidden peer counts as gossiped when any host named it
    for r in res:
        r["unreached"] = sorted("%s:%d" % x for x in hidden - union)
    return res


def metadata_probe(truth, timeout=20.0, src=None):
    """BEP 9: fetch the info dict from every peer of the truth and check that
    it hashes to the infohash."""
    import hashlib
    ih = bytes.fromhex(truth["infohash"])
    src = src or "127.%d.0.%d" % (truth["slot"], META_PROBE_HOST)

    def one(p):
        r = {"ip": p["ip"], "port": p["port"], "client": p["client"], "role": p["role"],
             "ok": False, "metadata_size": None, "secs": None, "error": None}
        if p.get("hidden"):
            r["hidden"] = True
        t0 = time.time()
        deadline = t0 + timeout
        w = None
        try:
            w = Wire(p["ip"], p["port"], src, ih, timeout)
            hs = w.handshake(deadline)
            if not hs[25] & 0x10:
                raise Fail("no BEP 10 bit in its handshake")
            w.send_ext(0, bencode({"m": {"ut_metadata": 3}, "v": "swarmwatch-testbed metadata probe"}))
            their = size = None
            pieces = {}
            while time.time() < deadline:
                mid, body = w.msg(deadline)
                if mid != 20 or not body:
                    continue
                d, n = bdecode_prefix(body[1:])
                if body[0] == 0:
                    m = d.get(b"m", {})
                    their = m.get(b"ut_metadata")
                    size = d.get(b"metadata_size")
                    r["v"] = (d.get(b"v") or b"").decode("utf-8", "replace")
                    if not their:
                        raise Fail("its BEP 10 handshake has no ut_metadata")
                    if not isinstance(size, int) or not 0 < size < (10 << 20):
                        raise Fail("metadata_size %r" % size)
                    r["metadata_size"] = size
                    for k in range((size + 16383) // 16384):
                        w.send_ext(their, bencode({"msg_type": 0, "piece": k}))
                elif body[0] == 3:
                    if d.get(b"msg_type") == 2:
                        raise Fail("rejected piece %r" % d.get(b"piece"))
                    if d.get(b"msg_type") == 1:
                        pieces[d[b"piece"]] = body[1 + n:]
                        if size and sum(len(x) for x in pieces.values()) >= size:
                            break
            else:
                raise socket.timeout()
            blob = b"".join(pieces[k] for k in sorted(pieces))
            if hashlib.sha1(blob).digest() != ih:
                raise Fail("metadata (%d bytes) does not hash to the infohash" % len(blob))
            r["ok"] = True
            r["secs"] = round(time.time() - t0, 2)
        except socket.timeout:
            r["error"] = "timed out after %.0f s" % timeout
        except (OSError, Fail, ValueError, KeyError) as e:
            r["error"] = "%s: %s" % (type(e).__name__, e)
        finally:
            if w:
                w.close()
        return r
    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        return list(ex.map(one, truth["peers"]))


# --- up ---------------------------------------------------------------------------

def tracked_entries(truth):
    """Everything the trackers should know: the peers with trackers (not
    the hidden ones) and the fakes (leechers, announced left=1)."""
    return list(truth["peers"]) + [dict(f, role="leecher") for f in truth.get("fakes", [])]


def tracker_sets(truth):
    """software -> set of (ip, port) that should be registered there."""
    out = {sw: set() for sw in {t["software"] for t in truth["trackers"]}}
    for p in tracked_entries(truth):
        for sw in p["trackers"]:
            out[sw].add((p["ip"], p["port"]))
    return out


def expected_counts(truth):
    out = {}
    for sw in {t["software"] for t in truth["trackers"]}:
        peers = [p for p in tracked_entries(truth) if sw in p["trackers"]]
        out[sw] = {"complete": sum(1 for p in peers if p["role"] == "seed"),
                   "incomplete": sum(1 for p in peers if p["role"] != "seed")}
    return out


def scrape_all(truth, src=None):
    ih = bytes.fromhex(truth["infohash"])
    out = []
    for t in truth["trackers"]:
        try:
            r = scrape(t["url"], ih, src)
            r.update(name=t["name"], url=t["url"], software=t["software"])
        except (Fail, OSError, ValueError) as e:
            r = {"name": t["name"], "url": t["url"], "software": t["software"], "error": str(e)}
        out.append(r)
    return out


def counts_ok(truth, scrapes):
    exp = expected_counts(truth)
    for r in scrapes:
        e = exp[r["software"]]
        if "error" in r or r["complete"] != e["complete"] or r["incomplete"] != e["incomplete"]:
            return False
    return True


def probe_all(truth):
    ih = bytes.fromhex(truth["infohash"])
    want = tracker_sets(truth)
    res = []
    for t in truth["trackers"]:
        exp = want[t["software"]]
        got, rounds = probe(t["url"], ih, truth["probe_ip"], expect=exp)
        res.append({"name": t["name"], "url": t["url"], "software": t["software"],
                    "announces": rounds, "expected": len(exp), "got": len(got),
                    "missing": sorted("%s:%d" % x for x in exp - got),
                    "extra": sorted("%s:%d" % x for x in got - exp)})
    return res


def collect_status(run, truth, objs=None):
    """peer index -> status dict, asking each client."""
    out = {}
    groups = {}
    for gpath in sorted(os.listdir(os.path.join(run.dir, "lt"))) if \
            os.path.isdir(os.path.join(run.dir, "lt")) else []:
        if gpath.endswith(".status.json"):
            st = read_json(os.path.join(run.dir, "lt", gpath), {})
            for p in st.get("peers", []):
                groups[p["index"]] = p
    clients = objs or {}

    def one(p):
        i = p["index"]
        if p["client"] == "libtorrent":
            return i, groups.get(i, {"error": "no status yet"})
        c = clients.get(i) or rebuild_client(run, truth, p)
        try:
            return i, c.status()
        except (Fail, OSError, ValueError, KeyError, IndexError,
                http.client.HTTPException) as e:
            return i, {"error": "%s: %s" % (type(e).__name__, e)}
    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        for i, st in ex.map(one, truth["peers"]):
            out[i] = st
    return out


def rebuild_client(run, truth, p):
    """A Client object for a running peer, from truth.json alone."""
    tor = {"path": truth["torrent"], "infohash": truth["infohash"], "name": truth["name"],
           "num_pieces": truth["num_pieces"]}
    c = CLIENT_CLASS[p["client"]].__new__(CLIENT_CLASS[p["client"]])
    c.run, c.peer, c.tor, c.trackers = run, p, tor, truth["trackers"]
    c.pdir = os.path.join(run.dir, "peers", "%03d-%s" % (p["index"], p["client"]))
    c.dl = os.path.join(c.pdir, "dl")
    c.sock = os.path.join(c.pdir, "scgi.sock")
    c.hash = truth["infohash"].upper()
    c.rpc_port = p.get("rpc_port")
    c.secret = p.get("rpc_secret", "")
    return c


def status_problems(truth, statuses):
    bad = []
    for p in truth["peers"]:
        st = statuses.get(p["index"], {})
        if "pieces" not in st:
            bad.append("%s %s:%d: no status (%s)" % (p["client"], p["ip"], p["port"],
                                                     st.get("error", "?")))
            continue
        if st["pieces"] != p["pieces"]:
            bad.append("%s %s:%d (%s): holds %d pieces, truth says %d" % (
                p["client"], p["ip"], p["port"], p["role"], st["pieces"], p["pieces"]))
    bad += hidden_problems(truth, statuses)
    fp = truth.get("fake_peer")
    if fp and not alive(fp["pid"]):
        bad.append("fake_peer.py (pid %d) is not running: the fakes are gone" % fp["pid"])
    return bad


def validate_up(args):
    if args.peers < 1 or args.peers > 250 * 50:
        raise UsageError("--peers must be 1..12500")
    clients = [c.strip() for c in args.clients.split(",") if c.strip()]
    for c in clients:
        if c not in CLIENTS:
            raise UsageError("unknown client %r (known: %s)" % (c, ",".join(CLIENTS)))
    softwares = [t.strip() for t in args.trackers.split(",") if t.strip()]
    for t in softwares:
        if t not in TRACKER_SOFTWARE:
            raise UsageError("unknown tracker %r (known: %s)" % (t, ",".join(TRACKER_SOFTWARE)))
    if not softwares:
        raise UsageError("--trackers: at least one")
    if args.pieces < 1 or args.piece_size < 16384 or args.piece_size & (args.piece_size - 1):
        raise UsageError("--piece-size must be a power of two >= 16KiB, --pieces >= 1")
    try:
        counts = plan_mix(args.peers, clients, args.mix)
    except ValueError as e:
        raise UsageError(str(e))
    if args.hidden < 0 or args.peers + args.hidden > 250 * 50:
        raise UsageError("--hidden must be >= 0, and --peers + --hidden <= 12500")
    if args.hidden and not counts.get("libtorrent"):
        raise UsageError("--hidden needs libtorrent peers among the tracked ones (its seeds "
                         "are the PEX hosts): add libtorrent to --clients")
    if args.pex_hosts < 1:
        raise UsageError("--pex-hosts must be >= 1")
    for opt, v in (("--name", args.name), ("--file", args.file)):
        if v is not None and (not v.strip() or "/" in v or "\0" in v or v in (".", "..")):
            raise UsageError("%s %r: a file name (no '/'), not empty" % (opt, v))
    if args.file and not args.name:
        raise UsageError("--file needs --name (the directory that holds it)")
    if not (0 <= args.fakes <= 250):
        raise UsageError("--fakes must be 0..250")
    if isinstance(args.fake_modes, str):
        args.fake_modes = [m.strip() for m in args.fake_modes.split(",") if m.strip()]
    for m in args.fake_modes:
        if m not in FAKE_MODES:
            raise UsageError("unknown fake mode %r (known: %s)" % (m, ",".join(FAKE_MODES)))
    if args.fakes and not args.fake_modes:
        raise UsageError("--fake-modes: at least one")
    if isinstance(args.hostile, str):
        h = []
        for m in (x.strip() for x in args.hostile.split(",")):
            if m == "all":
                h += HOSTILE_MODES
            elif m:
                name, _, n = m.partition("*")       # "have-flood*3": three of them
                if n and not (n.isdigit() and 1 <= int(n) <= 50):
                    raise UsageError("--hostile %s: the count after * must be 1..50" % m)
                h += [name] * (int(n) if n else 1)
        args.hostile = h
    for m in args.hostile:
        if m not in HOSTILE_MODES:
            raise UsageError("unknown hostile mode %r (known: all, %s)" % (m, ",".join(HOSTILE_MODES)))
    clients = [c for c in CLIENTS if counts.get(c)]
    return clients, softwares, counts


def cmd_up(args):
    t0 = time.time()
    run = Run(args.dir)
    validate_up(args)
    os.makedirs(run.dir, exist_ok=True)
    if run.state().get("state") in ("starting", "up"):
        # refuse to clobber a live run in the same dir
        recs = run.records()
        if any(alive(pid, start) for pid, start, _ in recs):
            raise Fail("%s holds a live run: `testbed.py down --dir %s` first" % (run.dir, run.dir))
    # a previous run's leftovers (clients would reload their old torrents)
    for f in ("pids", "state.json", "truth.json", "truth.json.partial"):
        try:
            os.unlink(os.path.join(run.dir, f))
        except OSError:
            pass
    for sub in ("peers", "lt", "logs", "content", "opentracker"):
        shutil.rmtree(os.path.join(run.dir, sub), ignore_errors=True)
    clients, softwares, counts = validate_up(args)

    slot = claim_slot(run.dir, args.slot)
    run.set_state(state="starting", slot=slot, started=t0)
    log("slot %d: 127.%d.0.0/16, dir %s" % (slot, slot, run.dir))
    try:
        truth = _up(run, args, slot, clients, softwares, counts, t0)
    except BaseException as e:
        if args.keep_on_failure:
            log("failed; --keep-on-failure: leaving the processes running (down --dir %s)" % run.dir)
        else:
            log("failed: bringing down what was started")
            try:
                down(run, quiet=True)
            except Fail as e2:
                log("down: %s" % e2)
        raise e
    el = time.time() - t0
    print(json.dumps({"dir": run.dir, "truth": run.truth_path, "peers": len(truth["peers"]),
                      "infohash": truth["infohash"], "slot": slot, "seconds": round(el, 1)}))


def _up(run, args, slot, clients, softwares, counts, t0):
    lifetime = args.lifetime
    # watchdog first: whatever happens, the run ends after --lifetime
    wd = run.spawn("watchdog", [sys.executable, os.path.abspath(__file__), "_watchdog",
                                "--dir", run.dir, "--deadline", str(t0 + lifetime)])
    run.set_state(watchdog=[wd.pid, proc_stat(wd.pid)[4]], deadline=t0 + lifetime)

    # trackers' addresses and ports
    tr_ip = {sw: "127.%d.0.%d" % (slot, TRACKER_HOST[sw]) for sw in softwares}
    used = set()
    tr_port = {sw: pick_port(tr_ip[sw], TRACKER_PORT[sw], used) for sw in softwares}
    tracker_list = []
    for sw in softwares:
        for proto in ("http", "udp"):
            tracker_list.append({"name": "%s-%s" % (sw, proto), "software": sw,
                                 "protocol": proto,
                                 "url": "%s://%s:%d/announce" % (proto, tr_ip[sw], tr_port[sw])})
    # torrent
    name = "swarmwatch-testbed-%d-%08x.bin" % (slot, random.getrandbits(32))
    if args.name:
        name = args.name
    tor = make_torrent(run, name, args.piece_size, args.pieces, [t["url"] for t in tracker_list],
                       file=(args.file or args.name + ".avi") if args.name else None)
    log("torrent %s: %s, %d pieces of %d bytes" % (tor["infohash"], name,
                                                  tor["num_pieces"], tor["piece_length"]))
    # start trackers
    for sw in softwares:
        if sw == "opentracker":
            start_opentracker(run, tr_ip[sw], tr_port[sw], tor["infohash"])
        else:
            start_bt_tracker(run, tr_ip[sw], tr_port[sw], tor["infohash"], lifetime)
    ih = bytes.fromhex(tor["infohash"])
    for t in tracker_list:
        wait_until(lambda: scrape(t["url"], ih) is not None, 15, what="%s to answer" % t["url"])
    log("trackers up: %s" % ", ".join(t["url"] for t in tracker_list))
    fail_at(args, "trackers")

    # fake and hostile peers (--fakes, --hostile), registered with every
    # tracker from their own addresses
    fakes, fake_info = start_fakes(run, args, slot, tor, tracker_list, softwares, lifetime)
    if fakes:
        log("%d fake peers registered with every tracker (%s)" % (
            len(fakes), ", ".join(sorted({f["mode"] for f in fakes}))))

    # plan peers
    peers = []
    i = 0
    order = [c for c in CLIENTS if c in counts and counts[c] > 0]
    partial_left = args.partial
    for c in order:
        n = counts[c]
        nseed = int(round(n * args.seeds_fraction))
        if n >= 2 and 0 < args.seeds_fraction < 1:
            nseed = min(max(nseed, 1), n - 1)
        for k in range(n):
            ip = peer_ip(slot, i)
            p = {"index": i, "ip": ip, "client": c, "role": "seed" if k < nseed else "leecher"}
            p["port"] = pick_port(ip, PEER_PORT_BASE + i, set())
            p["ctrl_port"] = pick_port(ip, CTRL_PORT_BASE + i, {p["port"]}, udp=False)
            p["pieces"] = tor["num_pieces"] if p["role"] == "seed" else 0
            if c == "libtorrent" and p["role"] == "leecher" and partial_left > 0:
                p["role"] = "partial"
                partial_left -= 1
                have = list(range(0, tor["num_pieces"], 2))
                p["pieces"] = len(have)
                p["have_pieces"] = have
            peers.append(p)
            i += 1
    if partial_left > 0:
        raise Fail("--partial %d: only %d libtorrent leechers" % (args.partial, args.partial - partial_left))

    # hidden peers (--hidden): libtorrent sessions on no tracker, which
    # connect to a few tracked libtorrent seeds ("PEX hosts") so that those
    # gossip them by ut_pex (see README, "PEX")
    hosts = []
    if args.hidden:
        hosts = [p for p in peers if p["client"] == "libtorrent" and p["role"] == "seed"]
        hosts = hosts[:max(1, args.pex_hosts)]
        if not hosts:
            raise UsageError("--hidden needs a libtorrent seed among the tracked peers (the "
                             "PEX host): add libtorrent to --clients and a --seeds-fraction > 0")
        for h in hosts:
            h["pex_host"] = True
            h["keep_redundant"] = True
        hidden_torrent = os.path.join(run.dir, "hidden.torrent")
        torrent_no_trackers(tor, hidden_torrent)
        roles = {"seed": ["seed"], "partial": ["partial"], "leecher": ["leecher"],
                 "mix": ["seed", "partial", "leecher"]}[args.hidden_role]
        for k in range(args.hidden):
            ip = peer_ip(slot, i)
            role = roles[k % len(roles)]
            p = {"index": i, "ip": ip, "client": "libtorrent", "role": role, "hidden": True,
                 "port": pick_port(ip, PEER_PORT_BASE + i, set()), "trackers": [],
                 "torrent": hidden_torrent, "keep_redundant": True,
                 "connect": [[h["ip"], h["port"]] for h in hosts]}
            p["pieces"] = tor["num_pieces"] if role == "seed" else 0
            if role != "seed":
                p["no_download"] = True
            if role == "partial":
                p["have_pieces"] = list(range(0, tor["num_pieces"], 2))
                p["pieces"] = len(p["have_pieces"])
            p["ctrl_port"] = 0
            peers.append(p)
            i += 1

    # start clients
    objs = {}
    rpc_used = set()
    groups = []
    ltpeers = [p for p in peers if p["client"] == "libtorrent"]
    for p in ltpeers:
        if p["role"] == "seed":
            p["save_path"] = tor["root"]
        else:
            p["save_path"] = os.path.join(run.dir, "peers", "%03d-libtorrent" % p["index"])
            os.makedirs(p["save_path"], exist_ok=True)
            if p["role"] == "partial":
                write_partial(tor, p["save_path"], p["have_pieces"])
            if args.lt_hold == "priorities":
                p["no_download"] = True
    per = max(1, args.lt_per_process)
    # PEX hosts each in a process of its own: libtorrent paces ut_pex
    # messages with ONE process-wide clock (at most one message per
    # min(3 s, 60 s / the torrent's peer count)), so in a shared process a
    # host's first PEX message to a new connection could wait minutes
    plain = [p for p in ltpeers if not p.get("pex_host") and not p.get("hidden")]
    hidden = [p for p in ltpeers if p.get("hidden")]
    ngroups = (len(plain) + per - 1) // per
    for g in range(ngroups):
        chunk = plain[g::ngroups]
        groups.append(LtGroup(run, g, chunk, tor, lifetime + 30))
    for h in hosts:
        groups.append(LtGroup(run, len(groups), [h], tor, lifetime + 30, kind="pexhost"))
    nh = (len(hidden) + per - 1) // per
    for g in range(nh):
        groups.append(LtGroup(run, len(groups), hidden[g::nh], tor, lifetime + 30,
                              kind="hidden"))
    for g in groups:
        g.start()
    aria = []
    for p in peers:
        if p["client"] == "libtorrent":
            continue
        c = CLIENT_CLASS[p["client"]](run, p, tor, tracker_list)
        c.hold = args.lt_hold
        objs[p["index"]] = c
        if isinstance(c, Aria2):
            c.softwares = list(softwares)
            rot = p["index"] % len(softwares)
            c.order = softwares[rot:] + softwares[:rot]
            c.start_phase(c.order[0], pick_loopback_port(rpc_used))
            p["rpc_port"] = c.rpc_port
            aria.append(c)
        else:
            c.start()
        p["pid"] = c.proc.pid
    log("started %d processes for %d peers (%s%s)" % (
        len(objs) + len(groups), len(peers),
        ", ".join("%s %d" % (c, counts[c]) for c in order),
        (", %d hidden libtorrent" % args.hidden) if args.hidden else ""))

    # configure: add torrents, rtorrent tracker dance
    def conf(c):
        c.configure()
        if isinstance(c, RTorrent):
            c.announce_everywhere(softwares)
        return True
    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        futs = {ex.submit(conf, c): c for c in objs.values()}
        for f in concurrent.futures.as_completed(futs):
            try:
                f.result()
            except Exception as e:
                c = futs[f]
                raise Fail("%s %s: %s" % (c.peer["client"], c.ip, e))
    log("clients configured (%.1f s)" % (time.time() - t0))
    fail_at(args, "clients")

    # aria2: one more run per further tracker
    if aria and args.aria2_mode == "restart" and len(softwares) > 1:
        probe_ip = "127.%d.0.%d" % (slot, PROBE_HOST)
        for ph in range(1, len(softwares)):
            # every aria2 peer must have reached the tracker it announced to
            # in the previous phase before that process is killed
            for sw in softwares:
                want = {(c.ip, c.peer["port"]) for c in aria if c.order[ph - 1] == sw}
                if not want:
                    continue
                url = [t for t in tracker_list if t["software"] == sw][0]["url"]

                def reached(url=url, want=want):
                    got, _ = probe(url, ih, probe_ip, expect=want, max_rounds=60)
                    return want <= got
                wait_until(reached, args.timeout, step=0.5,
                           what="aria2 peers to announce to %s" % url)
            for c in aria:
                c.kill_phase()
            for c in aria:
                c.start_phase(c.order[ph], c.rpc_port)
                c.peer["pid"] = c.proc.pid
            for c in aria:
                c.configure()
        log("aria2 peers re-started once per tracker (%.1f s)" % (time.time() - t0))
    for c in aria:
        if args.aria2_mode == "single" or len(softwares) == 1:
            c.peer["trackers"] = [c.order[0]]
        else:
            c.peer["trackers"] = list(softwares)
    for p in peers:
        p.setdefault("trackers", list(softwares))

    truth = {
        "_note": "Ground truth of a swarmwatch test bed run; see tests/testbed/README.md",
        "infohash": tor["infohash"], "torrent": tor["path"], "name": tor["name"],
        "total_size": tor["total_size"], "piece_length": tor["piece_length"],
        "num_pieces": tor["num_pieces"], "slot": slot,
        "probe_ip": "127.%d.0.%d" % (slot, PROBE_HOST),
        "trackers": tracker_list,
        "peers": [], "started": t0, "ready": None, "deadline": t0 + lifetime,
    }
    versions = client_versions(clients)
    for p in peers:
        e = {"ip": p["ip"], "port": p["port"], "client": p["client"],
             "client_version": versions.get(p["client"], ""),
             "role": "seed" if p["role"] == "seed" else "leecher",
             "have": round(p["pieces"] / tor["num_pieces"], 6), "pieces": p["pieces"],
             "pid": p["pid"], "trackers": p["trackers"], "index": p["index"]}
        if p["role"] == "partial":
            e["have_pieces"] = p["have_pieces"]
        if p["client"] in ("transmission", "qbittorrent"):
            e["ctrl_port"] = p["ctrl_port"]   # RPC / web API on ip:ctrl_port
        if p["client"] == "aria2":
            e["rpc_port"] = p["rpc_port"]
            e["rpc_secret"] = objs[p["index"]].secret
        if p.get("hidden"):
            e["hidden"] = True
            e["pex_hosts"] = ["%s:%d" % tuple(x) for x in p["connect"]]
        if p.get("pex_host"):
            e["pex_host"] = True
        truth["peers"].append(e)
    truth["fakes"] = fakes
    if fake_info:
        truth["fake_peer"] = fake_info
    atomic_write(run.truth_path + ".partial", json.dumps(truth, indent=1) + "\n")

    # wait for every tracker to count every peer
    last = [None]

    def registered():
        sc = scrape_all(truth)
        last[0] = sc
        return counts_ok(truth, sc)
    try:
        wait_until(registered, args.timeout, step=0.5, what="every peer to register")
    except Fail:
        exp = expected_counts(truth)
        raise Fail("trackers do not count the expected peers: expected %s, scraped %s" % (
            json.dumps(exp), json.dumps(last[0])))
    log("all %d tracked peers%s counted by every tracker (%.1f s)" % (
        len(peers) - args.hidden, (" and %d fakes" % len(fakes)) if fakes else "",
        time.time() - t0))
    fail_at(args, "registered")

    if not args.no_verify:
        res = probe_all(truth)
        bad = [r for r in res if r["missing"] or r["extra"]]
        if bad:
            raise Fail("probe announces disagree with the truth: %s" % json.dumps(bad))
        log("probe: every tracker hands out exactly the truth's (ip, port) set "
            "(%s announces)" % "+".join(str(r["announces"]) for r in res))
        sc = scrape_all(truth)
        if not counts_ok(truth, sc):
            raise Fail("scrape after the probe's `stopped` disagrees: %s" % json.dumps(sc))
        # clients: seeds hold everything, leechers what the truth says
        objs_by_index = objs

        def st_ok():
            stt = collect_status(run, truth, objs_by_index)
            probs = status_problems(truth, stt)
            last[0] = probs
            return not probs
        try:
            wait_until(st_ok, 30, step=1.0, what="client status to match")
        except Fail:
            raise Fail("clients disagree with the truth: %s" % "; ".join(last[0][:20]))
        log("status: every client holds what the truth says")
    if args.hidden:
        # every hidden peer is connected to (past the handshake with) its
        # PEX hosts, as the hosts themselves report: all of them within
        # 20 s, else at least one
        def hidden_ok(every):
            probs = hidden_problems(truth, collect_status(run, truth, objs), every)
            last[0] = probs
            return not probs
        try:
            wait_until(lambda: hidden_ok(True), 20, step=1.0,
                       what="hidden peers to reach every PEX host")
        except Fail:
            log("hidden: %s" % "; ".join(last[0][:5]))
        try:
            wait_until(lambda: hidden_ok(False), 30, step=1.0,
                       what="hidden peers to reach their PEX hosts")
        except Fail:
            raise Fail("hidden peers: %s" % "; ".join(last[0][:10]))
        log("hidden: all %d hidden peers connected to a PEX host (%.1f s)" % (
            args.hidden, time.time() - t0))
        if not args.no_pex_check:
            res = pex_probe(truth, timeout=args.pex_timeout)
            bad = [r for r in res if r["unreached"]]
            if bad:
                raise Fail("PEX hosts did not gossip every hidden peer within %.0f s: %s" % (
                    args.pex_timeout, json.dumps(bad)))
            log("pex: every hidden peer gossiped by ut_pex to a fresh connection "
                "(first message after %s s)" % "/".join("%.1f" % r["first_pex_s"] for r in res))
    truth["ready"] = time.time()
    atomic_write(run.truth_path, json.dumps(truth, indent=1) + "\n")
    os.unlink(run.truth_path + ".partial")
    run.set_state(state="up", ready=truth["ready"])
    log("up in %.1f s: %s" % (time.time() - t0, run.truth_path))
    return truth


def fail_at(args, stage):
    if args.fail_at == stage:
        raise Fail("--fail-at %s: failing on purpose (tests the clean-up)" % stage)


def client_versions(clients):
    v = {}
    cmds = {"aria2": ["aria2c", "--version"], "transmission": ["transmission-daemon", "-V"],
            "qbittorrent": ["qbittorrent-nox", "--version"], "rtorrent": ["rtorrent", "-h"]}
    for c in clients:
        if c == "libtorrent":
            import libtorrent as lt
            v[c] = "libtorrent " + lt.__version__
            continue
        try:
            r = subprocess.run(cmds[c], capture_output=True, text=True, timeout=10)
            line = (r.stdout or r.stderr).strip().splitlines()[0]
            v[c] = line
        except (OSError, IndexError, subprocess.TimeoutExpired):
            v[c] = ""
    return v


# --- other commands ------------------------------------------------------------

def load_truth(run):
    t = read_json(run.truth_path)
    if t is None:
        t = read_json(run.truth_path + ".partial")
    if t is None:
        raise Fail("%s: no truth.json (is the run up?)" % run.dir)
    return t


def cmd_down(args):
    run = Run(args.dir)
    if not os.path.exists(run.pids_path):
        print(json.dumps({"dir": run.dir, "recorded": 0, "signalled": 0, "killed_hard": 0,
                          "killed_hard_names": [], "still_alive": []}))
        return
    down(run, grace=args.grace)


def cmd_scrape(args):
    run = Run(args.dir)
    truth = load_truth(run)
    sc = scrape_all(truth)
    print(json.dumps({"infohash": truth["infohash"], "expected": expected_counts(truth),
                      "trackers": sc}, indent=1))
    if any("error" in r for r in sc):
        return 1
    return 0


def cmd_probe(args):
    run = Run(args.dir)
    truth = load_truth(run)
    res = probe_all(truth)
    print(json.dumps({"infohash": truth["infohash"], "trackers": res}, indent=1))
    return 1 if any(r["missing"] or r["extra"] for r in res) else 0


def cmd_status(args):
    run = Run(args.dir)
    truth = load_truth(run)
    st = collect_status(run, truth)
    probs = status_problems(truth, st)
    print(json.dumps({"peers": [dict(p, status=st.get(p["index"])) for p in truth["peers"]],
                      "problems": probs}, indent=1))
    return 1 if probs else 0


def cmd_verify(args):
    run = Run(args.dir)
    truth = load_truth(run)
    sc = scrape_all(truth)
    pr = probe_all(truth)
    st = collect_status(run, truth)
    probs = status_problems(truth, st)
    ok = counts_ok(truth, sc) and not any(r["missing"] or r["extra"] for r in pr) and not probs
    print(json.dumps({"ok": ok, "expected": expected_counts(truth), "scrape": sc, "probe": pr,
                      "status_problems": probs}, indent=1))
    return 0 if ok else 1


def cmd_pex(args):
    run = Run(args.dir)
    truth = load_truth(run)
    if not any(p.get("pex_host") for p in truth["peers"]):
        raise UsageError("%s: the run has no hidden peers (up --hidden N)" % run.dir)
    res = pex_probe(truth, timeout=args.timeout)
    unreached = res[0]["unreached"] if res else []
    print(json.dumps({"infohash": truth["infohash"], "ok": not unreached,
                      "unreached": unreached, "hosts": res}, indent=1))
    return 1 if unreached else 0


def cmd_metadata(args):
    run = Run(args.dir)
    truth = load_truth(run)
    res = metadata_probe(truth, timeout=args.timeout)
    by_client = {}
    for r in res:
        c = by_client.setdefault(r["client"], {"peers": 0, "served": 0})
        c["peers"] += 1
        c["served"] += 1 if r["ok"] else 0
    print(json.dumps({"infohash": truth["infohash"], "by_client": by_client, "peers": res},
                     indent=1))
    # Leechers are held back by download limits, which also throttle how
    # fast libtorrent, qbittorrent and aria2 read the peer wire (requests
    # included): they may not answer in time.  Every seed must, and every
    # implementation of the swarm must serve it from at least one peer.
    ok = all(r["ok"] for r in res if r["role"] == "seed") and \
        all(c["served"] for c in by_client.values())
    return 0 if ok else 1


def cmd_watchdog(args):
    """Bring the run down after its lifetime, or at once if its directory
    (DIR/pids, DIR/state.json) is removed while the run is live: a test
    that deletes its scratch directory before `down` would otherwise leave
    every process behind, since `down` finds them through DIR/pids.  The
    watchdog keeps its own copy of DIR/pids for that."""
    run = Run(args.dir)
    cached = {}
    slot = None
    while time.time() < args.deadline:
        st = run.state()
        if st.get("state") == "down":
            return 0
        slot = st.get("slot", slot)
        recs = run.records()
        for r in recs:
            cached[r[0]] = r
        if cached and not recs and not st:
            sys.stderr.write("testbed watchdog: %s was removed while the run was live: "
                             "ending its %d recorded processes\n" % (run.dir, len(cached)))
            down(run, quiet=True, records=list(cached.values()), slot=slot)
            return 0
        time.sleep(min(2.0, max(0.1, args.deadline - time.time())))
    if run.state().get("state") != "down":
        sys.stderr.write("testbed watchdog: lifetime over, bringing %s down\n" % run.dir)
        down(run, quiet=True, records=run.records() or list(cached.values()), slot=slot)
    return 0


class UsageError(Exception):
    pass


def ensure_libtorrent():
    """Run under an interpreter that has libtorrent: re-exec with Debian's
    /usr/bin/python3 when started by another python3 (pyenv's, say)."""
    try:
        import libtorrent  # noqa: F401
    except ImportError:
        if os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") and \
                os.path.exists("/usr/bin/python3"):
            os.execv("/usr/bin/python3", ["/usr/bin/python3", os.path.abspath(__file__)] + sys.argv[1:])
        raise Fail("python3-libtorrent is missing (run scripts/deps.sh; use /usr/bin/python3)")


def main(argv=None):
    global QUIET
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] in (["up"], ["_ltgroup"]):
        try:
            ensure_libtorrent()
        except Fail as e:
            sys.stderr.write("testbed: error: %s\n" % e)
            return 1
    if argv[:1] == ["_ltgroup"]:
        lt_group_main(argv[1])
        return 0
    ap = argparse.ArgumentParser(prog="testbed.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up", help="start trackers and a swarm; write DIR/truth.json")
    up.add_argument("--dir", required=True)
    up.add_argument("--peers", type=int, default=60)
    up.add_argument("--clients", default=",".join(CLIENTS),
                    help="comma-separated subset of " + ",".join(CLIENTS))
    up.add_argument("--mix", default="",
                    help="CLIENT=N,... (libtorrent takes the rest of --peers)")
    up.add_argument("--seeds-fraction", type=float, default=0.3)
    up.add_argument("--partial", type=int, default=0,
                    help="N libtorrent leechers that hold every other piece")
    up.add_argument("--trackers", default=",".join(TRACKER_SOFTWARE))
    up.add_argument("--piece-size", type=parse_size, default=8 << 20)
    up.add_argument("--pieces", type=int, default=8)
    up.add_argument("--slot", type=int, default=None, help="use 127.SLOT.0.0/16")
    up.add_argument("--lifetime", type=float, default=1800,
                    help="seconds after which a watchdog brings the run down")
    up.add_argument("--timeout", type=float, default=150,
                    help="seconds to wait for every peer to register")
    up.add_argument("--lt-per-process", type=int, default=100)
    up.add_argument("--aria2-mode", choices=("restart", "single"), default="restart")
    up.add_argument("--lt-hold", choices=("priorities", "limit"), default="priorities",
                    help="how libtorrent and qbittorrent leechers are kept from "
                         "downloading: piece/file priorities 0 (default) or a 1 B/s download "
                         "limit (which also throttles reading the peer wire)")
    up.add_argument("--no-verify", action="store_true",
                    help="skip the probe announces and client status check")
    up.add_argument("--keep-on-failure", action="store_true")
    up.add_argument("--fail-at", choices=("trackers", "clients", "registered"),
                    help="fail on purpose after that stage (tests the clean-up)")
    up.add_argument("--quiet", action="store_true")
    up.add_argument("--hidden", type=int, default=0,
                    help="N more libtorrent peers on no tracker, gossiped by ut_pex")
    up.add_argument("--hidden-role", choices=("seed", "partial", "leecher", "mix"),
                    default="seed", help="what the hidden peers hold (default seed)")
    up.add_argument("--pex-hosts", type=int, default=2,
                    help="tracked libtorrent seeds the hidden peers connect to (default 2)")
    up.add_argument("--no-pex-check", action="store_true",
                    help="do not wait for the hosts' ut_pex messages to name the hidden peers")
    up.add_argument("--pex-timeout", type=float, default=90,
                    help="how long `up` waits for that (default 90 s)")
    up.add_argument("--name", default=None,
                    help="the torrent is a directory NAME holding one file (a release name; "
                         "default: one file swarmwatch-testbed-S-xxxxxxxx.bin)")
    up.add_argument("--file", default=None,
                    help="with --name: the file in it (default NAME.avi)")
    up.add_argument("--fakes", type=int, default=0,
                    help="N fake peers (nothing behind them) registered with every tracker")
    up.add_argument("--fake-modes", default=",".join(FAKE_MODES),
                    help="modes the fakes cycle through (default all: %s)" % ",".join(FAKE_MODES))
    up.add_argument("--hostile", default="",
                    help="hostile fake peers registered with every tracker: comma-separated "
                         "modes, each once, or MODE*N for N of them, or 'all' (one of each "
                         "of " + ",".join(HOSTILE_MODES) + ")")
    for name, hlp in (("down", "end every process the run started"),
                      ("scrape", "scrape every tracker URL directly (JSON)"),
                      ("probe", "announce to every tracker and compare peers with truth"),
                      ("status", "ask every client what it holds"),
                      ("verify", "scrape + probe + status against truth"),
                      ("pex", "connect to every PEX host; report the hidden peers it gossips"),
                      ("metadata", "fetch the metadata (BEP 9) from every peer; check its hash")):
        p = sub.add_parser(name, help=hlp)
        p.add_argument("--dir", required=True)
        if name == "down":
            p.add_argument("--grace", type=float, default=4.0,
                           help="seconds between SIGTERM and SIGKILL")
        if name in ("pex", "metadata"):
            p.add_argument("--timeout", type=float, default=90 if name == "pex" else 20)
    wd = sub.add_parser("_watchdog")
    wd.add_argument("--dir", required=True)
    wd.add_argument("--deadline", type=float, required=True)
    args = ap.parse_args(argv)
    QUIET = getattr(args, "quiet", False)
    if args.cmd == "up" and not (0 <= args.seeds_fraction <= 1):
        ap.error("--seeds-fraction must be in [0, 1]")
    if args.cmd == "up" and args.slot is not None and args.slot not in SLOTS and \
            not (1 <= args.slot <= 254):
        ap.error("--slot must be 1..254")
    try:
        fn = {"up": cmd_up, "down": cmd_down, "scrape": cmd_scrape, "probe": cmd_probe,
              "status": cmd_status, "verify": cmd_verify, "pex": cmd_pex,
              "metadata": cmd_metadata, "_watchdog": cmd_watchdog}[args.cmd]
        return fn(args) or 0
    except UsageError as e:
        sys.stderr.write("testbed: %s\n" % e)
        return 2
    except Fail as e:
        sys.stderr.write("testbed: error: %s\n" % e)
        return 1
    except KeyboardInterrupt:
        return 1


if __name__ == "__main__":
    sys.exit(main())
