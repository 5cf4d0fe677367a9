#!/usr/bin/python3
"""fake_dht.py - hand-written hostile DHT nodes for swarmwatch's tests.

No real DHT implementation behaves like these; they exist for the cases the
real nodes of the test bed (dht_testbed.py) never produce.  Loopback only.

  fake_dht.py liar --bind IP:PORT [--bind IP:PORT]... --bootstrap IP:PORT
                   --fake-peer IP:PORT [--fake-peer IP:PORT]...
                   [--near HEX] [--status FILE] [--for SEC]

    A LIAR node per --bind address.  It joins the DHT like a real node
    (find_node toward its own id through --bootstrap and the nodes it
    learns, answers ping/find_node/get_peers/announce_peer/sample_infohashes
    properly, so real nodes put it in their routing tables) but answers
    EVERY get_peers, for any infohash, with the same --fake-peer list
    (addresses with nothing behind them) plus its closest known nodes.
    --near HEX gives liar k the node id HEX with its last byte XOR (k+1):
    it sits among the closest nodes of that infohash, so every lookup of it
    meets a liar.  Prints one JSON line when listening:
    {"pid", "liars": [{"ip", "port", "id"}], "fake_peers": ["ip:port"]};
    writes --status every 2 s (queries by type, distinct askers, known
    nodes, distinct infohashes lied about).

  fake_dht.py hostile --target IP:PORT --mode MODE[,MODE...] [--for SEC]
                      [--source IP] [--rate PPS] [--join IP:PORT]

    A HOSTILE sender.  Each mode runs --for seconds (at most 120), one after
    the other, all from --source (default 127.X.253.1, X the target's second
    octet) and one UDP port:
      random      random datagrams (1-1400 bytes, half of them starting
                  with 'd' so that they reach a KRPC decoder), 1,000/s
      bomb        bencode bombs: nesting 10,000 deep (lists, dicts), string
                  lengths far past the datagram (and 2^64), integers of
                  100 digits, a 60 KB datagram, 5,000 keys, unsorted and
                  duplicate keys, unterminated containers; 200/s
      wrong-txid  replies (y=r, y=e) whose transaction id the target never
                  sent (random, empty, 64 bytes); and every query the target
                  sends us is answered with its transaction id altered;
                  1,000/s
      flood       valid queries (ping, find_node, get_peers, random targets)
                  at --rate (default 10,000) per second
      bad-nodes   replies with `nodes` of 25, 27 and 209 bytes and `nodes6`
                  of 37, 39 and 77 bytes, `values` entries of 5 and 19 bytes:
                  sent as the answer to every query the target sends us (so
                  the transaction id is right), and we ping/find_node the
                  target 20 times a second so that it queries us back
    --join IP:PORT first pings that node and asks it for nodes near the
    target (the hostile then also answers whoever queries it, per mode).
    Prints one JSON object per mode (what was sent, what came back, rate
    reached) and a final {"summary": ...} with whether the target still
    answers a ping from another address after all of it.

Exit status: 0, 1 runtime failure, 2 usage.
"""

import argparse
import hashlib
import ipaddress
import json
import os
import random
import select
import signal
import socket
import struct
import sys
import time

MAX_FOR = 120.0              # hostile: seconds per mode, at most
LIAR_MAX_FOR = 7200.0
MAX_NODES = 4096             # liar: known nodes kept
NODE4_LEN = 26               # compact node info (BEP 5)
TXN_LEN = 2


class Usage(Exception):
    pass


# --- bencode: strict and bounded -------------------------------------------------

class BError(ValueError):
    pass


def bdecode(data, max_depth=32, max_items=2048):
    """Decode one whole datagram; raises BError on anything malformed."""
    n = len(data)
    items = [0]

    def dec(i, depth):
        if depth > max_depth:
            raise BError("nesting deeper than %d at byte %d" % (max_depth, i))
        items[0] += 1
        if items[0] > max_items:
            raise BError("more than %d items" % max_items)
        if i >= n:
            raise BError("truncated at byte %d" % i)
        c = data[i]
        if c == 0x69:                                   # i
            j = data.find(b"e", i + 1, i + 24)
            if j < 0:
                raise BError("bad integer at byte %d" % i)
            return int(data[i + 1:j]), j + 1
        if c == 0x6c or c == 0x64:                      # l d
            out = [] if c == 0x6c else {}
            i += 1
            while True:
                if i >= n:
                    raise BError("unterminated container")
                if data[i] == 0x65:
                    return out, i + 1
                if c == 0x6c:
                    v, i = dec(i, depth + 1)
                    out.append(v)
                else:
                    k, i = dec(i, depth + 1)
                    if not isinstance(k, bytes):
                        raise BError("non-string key")
                    v, i = dec(i, depth + 1)
                    out[k] = v
        if 0x30 <= c <= 0x39:
            j = data.find(b":", i, i + 8)
            if j < 0:
                raise BError("bad string length at byte %d" % i)
            ln = int(data[i:j])
            if j + 1 + ln > n:
                raise BError("string past the end at byte %d" % i)
            return data[j + 1:j + 1 + ln], j + 1 + ln
        raise BError("unexpected byte 0x%02x at %d" % (c, i))
    try:
        v, end = dec(0, 0)
    except (ValueError, IndexError) as e:
        raise BError(str(e))
    if end != n:
        raise BError("trailing bytes after %d" % end)
    return v


def bencode(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, dict):
        ks = sorted((k.encode() if isinstance(k, str) else k, val) for k, val in v.items())
        return b"d" + b"".join(bencode(k) + bencode(val) for k, val in ks) + b"e"
    if isinstance(v, (list, tuple)):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    raise TypeError(type(v))


def compact_node(nid, ip, port):
    return nid + socket.inet_aton(ip) + struct.pack(">H", port)


def compact_peer(ip, port):
    return socket.inet_aton(ip) + struct.pack(">H", port)


def parse_nodes(blob):
    out = []
    for k in range(0, len(blob) - len(blob) % NODE4_LEN, NODE4_LEN):
        nid = blob[k:k + 20]
        ip = socket.inet_ntoa(blob[k + 20:k + 24])
        port = struct.unpack(">H", blob[k + 24:k + 26])[0]
        if port:
            out.append((nid, ip, port))
    return out


def hostport(s):
    host, _, port = s.rpartition(":")
    try:
        ip = str(ipaddress.IPv4Address(host))
        p = int(port)
    except ValueError:
        raise Usage("bad address %r (IPv4:PORT)" % s)
    if not ipaddress.IPv4Address(ip).is_loopback:
        raise Usage("%s is not a loopback address: fake_dht.py talks to loopback only" % ip)
    if not 0 < p < 65536:
        raise Usage("bad port in %r" % s)
    return ip, p


def xor(a, b):
    return int.from_bytes(a, "big") ^ int.from_bytes(b, "big")


def write_atomic(path, obj):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        json.dump(obj, f)
    os.replace(tmp, path)


# --- liar ------------------------------------------------------------------------

class Liar:
    def __init__(self, ip, port, nid, fake_values, bootstrap):
        self.ip, self.port, self.id = ip, port, nid
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((ip, port))
        self.sock.setblocking(False)
        self.values = fake_values
        self.bootstrap = bootstrap
        self.known = {}              # (ip, port) -> [id, last_heard, responded]
        self.asked = set()           # nodes we sent find_node this round
        self.queries = {}
        self.askers = set()
        self.lied_about = set()
        self.answered_get_peers = 0
        self.bad_packets = 0
        self.secret = os.urandom(8)

    def token(self, ip):
        return hashlib.sha1(self.secret + socket.inet_aton(ip)).digest()[:4]

    def learn(self, nid, ip, port, responded=False):
        if nid == self.id or (ip, port) == (self.ip, self.port):
            return
        e = self.known.get((ip, port))
        if e is None:
            if len(self.known) >= MAX_NODES:
                return
            e = self.known[(ip, port)] = [nid, 0.0, False]
        e[0] = nid
        e[1] = time.time()
        e[2] = e[2] or responded

    def closest(self, target, k=8):
        cands = sorted(((xor(e[0], target), ep, e[0]) for ep, e in self.known.items()
                        if e[2]), key=lambda x: x[0])[:k]
        return b"".join(compact_node(nid, ep[0], ep[1]) for _, ep, nid in cands)

    def send(self, msg, addr):
        try:
            self.sock.sendto(bencode(msg), addr)
        except OSError:
            pass

    def join_round(self):
        """find_node toward our own id: the bootstrap, then the closest
        nodes we know (learned from earlier answers)."""
        targets = [self.bootstrap]
        targets += [ep for _, ep in sorted((xor(e[0], self.id), ep)
                                           for ep, e in self.known.items())[:16]]
        for ep in targets:
            self.send({"t": os.urandom(TXN_LEN), "y": "q", "q": "find_node",
                       "a": {"id": self.id, "target": self.id}}, ep)

    def on_packet(self, data, addr):
        try:
            m = bdecode(data)
        except BError:
            self.bad_packets += 1
            return
        if not isinstance(m, dict):
            self.bad_packets += 1
            return
        y = m.get(b"y")
        t = m.get(b"t", b"")
        if y == b"r":
            r = m.get(b"r")
            if isinstance(r, dict) and isinstance(r.get(b"id"), bytes) and len(r[b"id"]) == 20:
                self.learn(r[b"id"], addr[0], addr[1], responded=True)
                n = r.get(b"nodes")
                if isinstance(n, bytes):
                    for nid, ip, port in parse_nodes(n):
                        if ipaddress.IPv4Address(ip).is_loopback:
                            self.learn(nid, ip, port)
            return
        if y != b"q" or not isinstance(t, bytes):
            return
        q = m.get(b"q", b"")
        a = m.get(b"a") if isinstance(m.get(b"a"), dict) else {}
        qn = q.decode("latin-1") if isinstance(q, bytes) else "?"
        self.queries[qn] = self.queries.get(qn, 0) + 1
        if len(self.askers) < 100000:
            self.askers.add(addr[0])
        nid = a.get(b"id")
        if not (isinstance(nid, bytes) and len(nid) == 20):
            self.send({"t": t, "y": "e", "e": [203, "missing or bad id"]}, addr)
            return
        self.learn(nid, addr[0], addr[1])
        r = {"id": self.id}
        if q == b"ping":
            pass
        elif q == b"find_node":
            tgt = a.get(b"target")
            r["nodes"] = self.closest(tgt if isinstance(tgt, bytes) and len(tgt) == 20 else nid)
        elif q == b"get_peers":
            ih = a.get(b"info_hash")
            if not (isinstance(ih, bytes) and len(ih) == 20):
                self.send({"t": t, "y": "e", "e": [203, "bad info_hash"]}, addr)
                return
            # the lie: the same peers for every infohash
            r["values"] = list(self.values)
            r["token"] = self.token(addr[0])
            r["nodes"] = self.closest(ih)
            self.answered_get_peers += 1
            if len(self.lied_about) < 100000:
                self.lied_about.add(ih)
        elif q == b"announce_peer":
            if a.get(b"token") != self.token(addr[0]):
                self.send({"t": t, "y": "e", "e": [203, "bad token"]}, addr)
                return
        elif q == b"sample_infohashes":
            tgt = a.get(b"target")
            r.update({"interval": 21600, "num": 0, "samples": b"",
                      "nodes": self.closest(tgt if isinstance(tgt, bytes) and len(tgt) == 20
                                            else nid)})
        else:
            self.send({"t": t, "y": "e", "e": [204, "Method Unknown"]}, addr)
            return
        self.send({"t": t, "y": "r", "r": r, "ip": compact_peer(addr[0], addr[1])}, addr)

    def status(self):
        return {"ip": self.ip, "port": self.port, "id": self.id.hex(), "queries": self.queries,
                "askers": len(self.askers), "known_nodes": len(self.known),
                "responsive_nodes": sum(1 for e in self.known.values() if e[2]),
                "get_peers_answered": self.answered_get_peers,
                "infohashes_lied_about": len(self.lied_about),
                "bad_packets": self.bad_packets}


def cmd_liar(args):
    boot = hostport(args.bootstrap)
    fakes = [hostport(x) for x in args.fake_peer]
    if not fakes:
        raise Usage("liar: at least one --fake-peer")
    binds = [hostport(x) for x in args.bind]
    if not binds:
        raise Usage("liar: at least one --bind")
    near = bytes.fromhex(args.near) if args.near else None
    if near is not None and len(near) != 20:
        raise Usage("--near: 40 hex digits")
    values = [compact_peer(ip, p) for ip, p in fakes]
    liars = []
    for k, (ip, port) in enumerate(binds):
        if near is not None:
            nid = near[:19] + bytes([near[19] ^ (k + 1)])
        else:
            nid = os.urandom(20)
        try:
            liars.append(Liar(ip, port, nid, values, boot))
        except OSError as e:
            raise RuntimeError("cannot bind %s:%d: %s" % (ip, port, e))
    until = time.time() + min(args.for_, LIAR_MAX_FOR)
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *a: stop.__setitem__(0, True))
    signal.signal(signal.SIGINT, lambda *a: stop.__setitem__(0, True))
    print(json.dumps({"pid": os.getpid(), "until": until,
                      "liars": [{"ip": l.ip, "port": l.port, "id": l.id.hex()} for l in liars],
                      "fake_peers": ["%s:%d" % f for f in fakes]}), flush=True)
    t0 = time.time()
    next_join = 0.0
    next_status = 0.0
    by_fd = {l.sock.fileno(): l for l in liars}
    while not stop[0] and time.time() < until:
        now = time.time()
        if now >= next_join:
            for l in liars:
                l.join_round()
            # every 3 s in the first 2 minutes, then every minute
            next_join = now + (3.0 if now - t0 < 120 else 60.0)
        if args.status and now >= next_status:
            write_atomic(args.status, {"time": now, "pid": os.getpid(),
                                       "liars": [l.status() for l in liars]})
            next_status = now + 2.0
        r, _, _ = select.select(list(by_fd), [], [], 0.5)
        for fd in r:
            l = by_fd[fd]
            for _ in range(256):
                try:
                    data, addr = l.sock.recvfrom(65536)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    break
                l.on_packet(data, addr)
    if args.status:
        write_atomic(args.status, {"time": time.time(), "pid": os.getpid(), "done": True,
                                   "liars": [l.status() for l in liars]})
    return 0


# --- hostile -----------------------------------------------------------------------

HOSTILE_MODES = ("random", "bomb", "wrong-txid", "flood", "bad-nodes")


def bombs():
    """(name, datagram) pairs: malformed or oversized bencode."""
    t = b"1:t2:aa"
    out = [
        ("deep-list", b"d1:ad2:id20:" + os.urandom(20) + b"6:target" + b"l" * 10000 +
         b"e" * 10000 + b"e1:q9:find_node" + t + b"1:y1:qe"),
        ("deep-dict", b"d1:a" + b"d1:x" * 5000 + b"i0e" + b"e" * 5000 + b"e"),
        ("deep-list-open", b"d1:a" + b"l" * 60000),
        ("huge-string", b"d1:ad2:id99999999999:" + os.urandom(20) + b"ee"),
        ("string-2^64", b"d1:rd2:id18446744073709551616:xxee" + t + b"1:y1:re"),
        ("string-past-end", b"d1:rd2:id20:" + os.urandom(20) + b"5:nodes9000:" +
         os.urandom(200) + b"ee"),
        ("huge-int", b"d1:ad2:id20:" + os.urandom(20) + b"4:porti" + b"9" * 100 +
         b"ee1:q13:announce_peer" + t + b"1:y1:qe"),
        ("int-neg-zero", b"d1:ad2:id20:" + os.urandom(20) + b"4:porti-0ee1:q4:ping" + t +
         b"1:y1:qe"),
        ("int-leading-zero", b"d1:ad2:id20:" + os.urandom(20) + b"4:porti0042ee1:q4:ping" +
         t + b"1:y1:qe"),
        ("many-keys", b"d1:ad" + b"".join(b"5:k%04di0e" % k for k in range(5000)) + b"e" +
         b"1:q4:ping" + t + b"1:y1:qe"),
        ("unsorted-keys", b"d1:y1:q1:q4:ping1:ad2:id20:" + os.urandom(20) + b"e" + t + b"e"),
        ("duplicate-keys", b"d1:ad2:id20:" + os.urandom(20) + b"e1:q4:ping1:q9:find_node" +
         t + b"1:y1:q1:y1:re"),
        ("unterminated", b"d1:ad2:id20:" + os.urandom(20) + b"e1:q4:ping" + t + b"1:y1:q"),
        ("non-string-key", b"di1ei2e1:q4:ping" + t + b"1:y1:qe"),
        ("60KB", b"d1:ad2:id20:" + os.urandom(20) + b"1:x60000:" + os.urandom(60000) +
         b"e1:q4:ping" + t + b"1:y1:qe"),
        ("trailing-garbage", b"d1:ad2:id20:" + os.urandom(20) + b"e1:q4:ping" + t +
         b"1:y1:qe" + os.urandom(100)),
        ("id-wrong-length", b"d1:ad2:id5:abcdee1:q4:ping" + t + b"1:y1:qe"),
    ]
    return out


class Hostile:
    def __init__(self, target, source, join):
        self.target = target
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind((source, 0))
        self.sock.setblocking(False)
        self.id = os.urandom(20)
        self.join = join
        self.received = 0
        self.queries_from_target = 0

    def send(self, data, addr=None):
        try:
            self.sock.sendto(data, addr or self.target)
            return len(data)
        except (BlockingIOError, InterruptedError):
            return -1
        except OSError as e:
            if e.errno in (90, 105):      # EMSGSIZE, ENOBUFS
                return -1
            raise

    def query(self, q, a):
        a = dict(a, id=self.id)
        return bencode({"t": os.urandom(TXN_LEN), "y": "q", "q": q, "a": a})

    def drain(self, on_query=None, limit=4096):
        got = 0
        for _ in range(limit):
            try:
                data, addr = self.sock.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                break
            got += 1
            self.received += 1
            if on_query is None:
                continue
            try:
                m = bdecode(data)
            except BError:
                continue
            if isinstance(m, dict) and m.get(b"y") == b"q":
                self.queries_from_target += 1
                on_query(m, addr)
        return got

    def run(self, mode, secs, rate):
        fn = getattr(self, "mode_" + mode.replace("-", "_"))
        rep = {"mode": mode, "target": "%s:%d" % self.target,
               "source": "%s:%d" % self.sock.getsockname(), "sent": 0, "bytes": 0,
               "send_dropped": 0, "received": 0, "queries_from_target": 0}
        r0, q0 = self.received, self.queries_from_target
        t0 = time.time()
        fn(rep, t0 + secs, rate)
        rep["secs"] = round(time.time() - t0, 2)
        rep["received"] = self.received - r0
        rep["queries_from_target"] = self.queries_from_target - q0
        rep["rate_pps"] = round(rep["sent"] / max(rep["secs"], 1e-3))
        return rep

    def paced(self, rep, deadline, rate, make, on_query=None):
        """Send make() `rate` times a second until deadline, in 10 ms slices."""
        slice_s = max(0.01, 1.0 / rate)
        per = max(1, int(round(rate * slice_s)))
        nxt = time.time()
        while True:
            now = time.time()
            if now >= deadline:
                break
            if now < nxt:
                self.drain(on_query)
                time.sleep(min(nxt - now, deadline - now))
                continue
            for _ in range(per):
                d = make()
                n = self.send(d)
                if n < 0:
                    rep["send_dropped"] += 1
                else:
                    rep["sent"] += 1
                    rep["bytes"] += n
            nxt += slice_s
            if nxt < now - 0.5:          # fell far behind: do not burst
                nxt = now
            self.drain(on_query)
        self.drain(on_query)

    def mode_random(self, rep, deadline, rate):
        def make():
            d = os.urandom(random.randint(1, 1400))
            return (b"d" + d[1:]) if random.random() < 0.5 else d
        self.paced(rep, deadline, min(rate, 1000), make)

    def mode_bomb(self, rep, deadline, rate):
        bs = bombs()
        counts = {}
        k = [0]

        def make():
            name, d = bs[k[0] % len(bs)]
            k[0] += 1
            counts[name] = counts.get(name, 0) + 1
            return d
        self.paced(rep, deadline, min(rate, 200), make)
        rep["variants"] = counts

    def mode_wrong_txid(self, rep, deadline, rate):
        answered = [0]

        def on_query(m, addr):
            t = m.get(b"t", b"")
            t = bytes(b ^ 0xff for b in t) if t else b"x"
            self.send(bencode({"t": t, "y": "r", "r": {"id": self.id}}), addr)
            answered[0] += 1
        k = [0]
        tids = [lambda: os.urandom(TXN_LEN), lambda: b"", lambda: os.urandom(64),
                lambda: os.urandom(4)]

        def make():
            k[0] += 1
            if k[0] % 50 == 1:          # keep the target aware of us
                return self.query("ping", {})
            t = tids[k[0] % len(tids)]()
            if k[0] % 7 == 0:
                return bencode({"t": t, "y": "e", "e": [201, "Generic Error"]})
            return bencode({"t": t, "y": "r", "r": {"id": self.id, "nodes": b"",
                                                     "token": b"abcd"}})
        self.paced(rep, deadline, min(rate, 1000), make, on_query)
        rep["target_queries_answered_with_wrong_txid"] = answered[0]

    def mode_flood(self, rep, deadline, rate):
        qs = [lambda: self.query("ping", {}),
              lambda: self.query("find_node", {"target": os.urandom(20)}),
              lambda: self.query("get_peers", {"info_hash": os.urandom(20)})]
        k = [0]

        def make():
            k[0] += 1
            return qs[k[0] % 3]()
        self.paced(rep, deadline, rate, make)
        rep["rate_asked"] = rate

    def mode_bad_nodes(self, rep, deadline, rate):
        variants = [("nodes", 25), ("nodes", 27), ("nodes", 209),
                    ("nodes6", 37), ("nodes6", 39), ("nodes6", 77)]
        answered = {}
        k = [0]

        def bad_reply(t):
            key, ln = variants[k[0] % len(variants)]
            k[0] += 1
            r = {"id": self.id, key: os.urandom(ln), "token": b"abcd"}
            if k[0] % 3 == 0:
                r["values"] = [os.urandom(5), os.urandom(19), compact_peer("127.0.0.1", 1)]
            answered["%s-%d" % (key, ln)] = answered.get("%s-%d" % (key, ln), 0) + 1
            return bencode({"t": t, "y": "r", "r": r})

        def on_query(m, addr):
            self.send(bad_reply(m.get(b"t", b"")), addr)
        j = [0]

        def make():
            j[0] += 1
            if j[0] % 2:
                return self.query("ping", {})
            return self.query("find_node", {"target": os.urandom(20)})
        self.paced(rep, deadline, min(rate, 20), make, on_query)
        rep["bad_replies_to_target_queries"] = answered

    def target_alive(self, src_ip):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind((src_ip, 0))
            s.settimeout(1.0)
            t = os.urandom(TXN_LEN)
            for _ in range(3):
                t0 = time.time()
                s.sendto(bencode({"t": t, "y": "q", "q": "ping", "a": {"id": os.urandom(20)}}),
                         self.target)
                try:
                    while True:
                        d, _ = s.recvfrom(65536)
                        try:
                            m = bdecode(d)
                        except BError:
                            continue
                        if isinstance(m, dict) and m.get(b"t") == t and m.get(b"y") == b"r":
                            return True, round((time.time() - t0) * 1000, 2)
                except socket.timeout:
                    continue
            return False, None
        finally:
            s.close()


def cmd_hostile(args):
    target = hostport(args.target)
    modes = [m.strip() for m in args.mode.split(",") if m.strip()]
    if modes == ["all"]:
        modes = list(HOSTILE_MODES)
    for m in modes:
        if m not in HOSTILE_MODES:
            raise Usage("unknown mode %r (known: all, %s)" % (m, ",".join(HOSTILE_MODES)))
    if not modes:
        raise Usage("--mode: at least one")
    secs = max(0.1, min(args.for_, MAX_FOR))
    if not 1 <= args.rate <= 100000:
        raise Usage("--rate must be 1..100000")
    oct2 = int(target[0].split(".")[1])
    source = args.source or "127.%d.253.1" % oct2
    hostport(source + ":1")
    h = Hostile(target, source, hostport(args.join) if args.join else None)
    if h.join:
        h.send(h.query("ping", {}), h.join)
        h.send(h.query("find_node", {"target": h.id}), h.join)
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *a: stop.__setitem__(0, True))
    reps = []
    for m in modes:
        if stop[0]:
            break
        rep = h.run(m, secs, args.rate)
        reps.append(rep)
        print(json.dumps(rep), flush=True)
    alive_src = args.check_from or "127.%d.253.2" % oct2
    ok, rtt = h.target_alive(alive_src)
    print(json.dumps({"summary": {"target": args.target, "modes": [r["mode"] for r in reps],
                                  "sent": sum(r["sent"] for r in reps),
                                  "bytes": sum(r["bytes"] for r in reps),
                                  "target_answers_ping_after": ok, "ping_rtt_ms": rtt,
                                  "ping_from": alive_src}}), flush=True)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(prog="fake_dht.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    li = sub.add_parser("liar", help="DHT nodes that answer every get_peers with the same peers")
    li.add_argument("--bind", action="append", default=[], help="IP:PORT (repeatable)")
    li.add_argument("--bootstrap", required=True)
    li.add_argument("--fake-peer", action="append", default=[])
    li.add_argument("--near", default="", help="infohash (hex) to sit next to")
    li.add_argument("--status", default="")
    li.add_argument("--for", dest="for_", type=float, default=3600)
    ho = sub.add_parser("hostile", help="send hostile KRPC traffic to one node")
    ho.add_argument("--target", required=True)
    ho.add_argument("--mode", required=True, help="all or a comma list of " + ",".join(HOSTILE_MODES))
    ho.add_argument("--for", dest="for_", type=float, default=10)
    ho.add_argument("--source", default="")
    ho.add_argument("--check-from", default="")
    ho.add_argument("--rate", type=int, default=10000)
    ho.add_argument("--join", default="")
    args = ap.parse_args(argv)
    try:
        return cmd_liar(args) if args.cmd == "liar" else cmd_hostile(args)
    except Usage as e:
        sys.stderr.write("fake_dht.py: %s\n" % e)
        return 2
    except (RuntimeError, OSError) as e:
        sys.stderr.write("fake_dht.py: error: %s\n" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
