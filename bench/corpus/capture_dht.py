#!/usr/bin/python3
"""capture_dht.py - the DHT half of the bencode benchmark corpus: real KRPC
messages written by libtorrent's DHT node.

Usage:  /usr/bin/python3 bench/corpus/capture_dht.py [OUTDIR]
        (default OUTDIR: bench/corpus/dht)

Run it with Debian's /usr/bin/python3 (python3-libtorrent 2.0.8; the
mutable BEP 44 items are signed with python3-cryptography).

Every message in OUTDIR was sent by libtorrent; none is written by hand.
Two libtorrent sessions with the DHT on (A on 127.0.0.2, B on 127.0.0.3)
know a swarm of small Python nodes, one UDP socket each on 127.0.0.4 and
127.0.0.10-49.  The Python nodes

  * answer whatever libtorrent asks them (ping, find_node, get_peers,
    announce_peer, get, put, sample_infohashes) with well-formed replies
    that carry 8 compact nodes, tokens and peers, as a real DHT would, so
    that libtorrent's lookups keep going;  libtorrent's QUERIES are recorded
    (files q_<method>_NNNN.bin);
  * ask A and B: ping, find_node (with and without want=n4), get_peers for
    unknown and for announced infohashes (values) and with scrape=1 (BEP 33
    bloom filters), announce_peer from 40 source addresses, BEP 44 put/get
    of immutable and signed mutable items, sample_infohashes (BEP 51), an
    unknown method ("vote", which libtorrent answers like find_node), and
    malformed queries;  libtorrent's RESPONSES and ERRORS are recorded as
    r_<method>[_values|_scrape|_item]_NNNN.bin and e_<method>_NNNN.bin.

At most MAX_PER_KIND messages of each kind are kept, evenly spaced over
the capture, so that no kind swamps the mix.  libtorrent is driven to
query the Python nodes with dht_get_peers, magnet torrents (which
get_peers and announce_peer), dht_put/get_immutable_item,
dht_get_mutable_item and dht_sample_infohashes; it sends no ping or
find_node of its own in so short a run (it bootstraps with get_peers).
The Python side is single-threaded and starts no child process;
libtorrent's sessions live inside this process and end with it.  Node
ids, infohashes and keys come from a fixed seed, but transaction ids,
tokens and timing are libtorrent's, so two runs differ: the captured
messages (~1,040, ~300 KB) are checked in.  Runs in ~35 s.
"""
import hashlib
import os
import random
import select
import socket
import struct
import shutil
import sys
import tempfile
import time

import libtorrent as lt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

HERE = os.path.dirname(os.path.abspath(__file__))
RND = random.Random(20240601)
N_PY_NODES = 40  # 127.0.0.10 .. 127.0.0.49, plus 127.0.0.4
MAX_PER_KIND = 120  # keep the mix balanced and the corpus small


def rbytes(n):
    return bytes(RND.getrandbits(8) for _ in range(n))


def compact(ip, port):
    return socket.inet_aton(ip) + struct.pack(">H", port)


class Recorder:
    """Keeps every message, then writes at most MAX_PER_KIND of each kind,
    evenly spaced over the capture."""

    def __init__(self):
        self.kinds = {}

    def add(self, kind, data):
        self.kinds.setdefault(kind, []).append(data)

    def write(self, outdir):
        count = {}
        for kind, msgs in sorted(self.kinds.items()):
            step = max(1.0, len(msgs) / MAX_PER_KIND)
            picked = [msgs[int(i * step)] for i in range(min(len(msgs), MAX_PER_KIND))]
            for n, data in enumerate(picked):
                with open(os.path.join(outdir, "%s_%04d.bin" % (kind, n)), "wb") as f:
                    f.write(data)
            count[kind] = (len(picked), len(msgs))
        return count


def response_kind(y, method, msg):
    """r_<method>[_values|_scrape|_item], e_<method>."""
    kind = y + "_" + method
    r = msg.get(b"r")
    if y == "r" and isinstance(r, dict):
        if b"values" in r:
            kind += "_values"
        elif b"BFsd" in r:
            kind += "_scrape"
        elif method == "get" and b"v" in r:
            kind += "_item"
    return kind


class PyNode:
    """One UDP socket acting as a DHT node towards libtorrent."""

    def __init__(self, ip):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((ip, 0))
        self.ip, self.port = self.sock.getsockname()
        self.id = hashlib.sha1(b"swarmwatch-bench-node-" + ip.encode()).digest()
        self.pending = {}  # tid -> method name
        self.tokens = {}  # (lt addr) -> last token

    def send_query(self, addr, method, args):
        tid = rbytes(2)
        args = dict(args)
        args[b"id"] = self.id
        self.pending[tid] = method
        msg = {b"t": tid, b"y": b"q", b"q": method.encode(), b"a": args}
        self.sock.sendto(lt.bencode(msg), addr)

    def send_raw(self, addr, method, raw_msg, tid):
        self.pending[tid] = method
        self.sock.sendto(raw_msg, addr)


class Capture:
    def __init__(self, outdir):
        self.rec = Recorder()
        self.nodes = [PyNode("127.0.0.4")] + [PyNode("127.0.0.%d" % i)
                                              for i in range(10, 10 + N_PY_NODES)]
        self.sessions = [self.make_session("127.0.0.2"), self.make_session("127.0.0.3")]
        self.lt_addrs = [("127.0.0.%d" % (2 + i), s.listen_port())
                         for i, s in enumerate(self.sessions)]
        self.stored_peers = {}  # infohash -> [compact peer] (what our nodes return)
        self.infohashes = [rbytes(20) for _ in range(12)]
        self.tmp = tempfile.mkdtemp(prefix="sw-bench-dht-")

    @staticmethod
    def make_session(ip):
        s = lt.session({
            "listen_interfaces": ip + ":0",
            "enable_dht": True, "enable_lsd": False, "enable_upnp": False,
            "enable_natpmp": False, "dht_bootstrap_nodes": "",
            "dht_ignore_dark_internet": False,
            "dht_restrict_routing_ips": False,
            "dht_restrict_search_ips": False,
            "dht_enforce_node_id": False,
            "dht_prefer_verified_node_ids": False,
            "dht_block_ratelimit": 100000,
            "dht_upload_rate_limit": 10000000,
            "dht_sample_infohashes_interval": 0,
            "alert_mask": 0,
        })
        return s

    def add_torrent(self, s, ih):
        """A magnet-style torrent: libtorrent get_peers + announce_peer it.
        (The Python binding cannot call dht_announce: its flags type is not
        exported.)"""
        atp = lt.add_torrent_params()
        atp.info_hashes = lt.info_hash_t(lt.sha1_hash(ih))
        atp.save_path = self.tmp
        s.add_torrent(atp)

    # --- the Python side answering libtorrent ---------------------------

    def eight_nodes(self, exclude):
        pool = [(n.id, n.ip, n.port) for n in self.nodes if n is not exclude]
        picked = RND.sample(pool, 6)
        out = b"".join(i + compact(ip, p) for i, ip, p in picked)
        for s, (ip, port) in zip(self.sessions, self.lt_addrs):
            nid = hashlib.sha1(b"lt" + ip.encode()).digest()  # any id: lt does not enforce
            out += nid + compact(ip, port)
        return out

    def answer(self, node, addr, msg):
        q = msg.get(b"q", b"?").decode("latin-1")
        a = msg.get(b"a", {})
        r = {b"id": node.id}
        if q == "ping" or q == "announce_peer" or q == "put":
            pass
        elif q == "find_node":
            r[b"nodes"] = self.eight_nodes(node)
        elif q == "get_peers":
            r[b"token"] = rbytes(8)
            r[b"nodes"] = self.eight_nodes(node)
            ih = a.get(b"info_hash", b"")
            if RND.random() < 0.5:
                peers = self.stored_peers.setdefault(
                    ih, [compact("127.1.%d.%d" % (RND.randrange(256), RND.randrange(1, 255)),
                                 RND.randrange(1024, 65535)) for _ in range(RND.randrange(1, 30))])
                r[b"values"] = peers
        elif q == "get":
            r[b"token"] = rbytes(8)
            r[b"nodes"] = self.eight_nodes(node)
        elif q == "sample_infohashes":
            r[b"interval"] = 21600
            r[b"num"] = 57
            r[b"samples"] = b"".join(rbytes(20) for _ in range(RND.randrange(1, 20)))
            r[b"nodes"] = self.eight_nodes(node)
        else:
            node.sock.sendto(lt.bencode({b"t": msg.get(b"t", b""), b"y": b"e",
                                         b"e": [204, b"Method Unknown"]}), addr)
            return
        node.sock.sendto(lt.bencode({b"t": msg.get(b"t", b""), b"y": b"r", b"r": r}), addr)

    def pump(self, seconds):
        """Receive (and answer, and record) for up to seconds."""
        end = time.monotonic() + seconds
        by_fd = {n.sock.fileno(): n for n in self.nodes}
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            ready, _, _ = select.select(list(by_fd), [], [], left)
            for fd in ready:
                node = by_fd[fd]
                data, addr = node.sock.recvfrom(65536)
                try:
                    msg = lt.bdecode(data)
                except Exception:
                    msg = None
                if not isinstance(msg, dict):
                    continue
                y = msg.get(b"y")
                if y == b"q":
                    self.rec.add("q_" + msg.get(b"q", b"x").decode("latin-1"), data)
                    self.answer(node, addr, msg)
                elif y in (b"r", b"e"):
                    method = node.pending.pop(msg.get(b"t", b""), "unknown")
                    self.rec.add(response_kind(y.decode(), method, msg), data)
                    if y == b"r" and isinstance(msg.get(b"r"), dict):
                        tok = msg[b"r"].get(b"token")
                        if tok:
                            node.tokens[addr] = tok

    # --- the Python side asking libtorrent -----------------------------

    def ask_all(self, method, args_fn, nodes=None):
        for node in nodes or self.nodes[:8]:
            for addr in self.lt_addrs:
                node.send_query(addr, method, args_fn(node, addr))
        self.pump(0.3)

    def run(self):
        for s in self.sessions:
            for n in self.nodes:
                s.add_dht_node((n.ip, n.port))
        for s, (ip, port) in zip(self.sessions, self.lt_addrs):
            for other in self.lt_addrs:
                if other[0] != ip:
                    s.add_dht_node(other)
        self.pump(4.0)  # bootstrap: libtorrent pings and find_nodes our nodes

        a, b = self.sessions
        self.ask_all("ping", lambda n, ad: {})
        self.ask_all("find_node", lambda n, ad: {b"target": rbytes(20)})
        self.ask_all("find_node", lambda n, ad: {b"target": rbytes(20), b"want": [b"n4"]})
        self.ask_all("get_peers", lambda n, ad: {b"info_hash": rbytes(20)})

        # Announcements: libtorrent's own, and ours from 40 addresses.
        for ih in self.infohashes[:6]:
            self.add_torrent(a, ih)
            self.add_torrent(b, ih)
        for ih in self.infohashes:
            a.dht_get_peers(lt.sha1_hash(ih))
        self.pump(3.0)
        for ih in self.infohashes[:6]:
            self.ask_all("get_peers", lambda n, ad: {b"info_hash": ih}, self.nodes)
            self.ask_all("announce_peer", lambda n, ad: {
                b"info_hash": ih, b"port": 10000 + n.port % 50000,
                b"token": n.tokens.get(ad, b"x"),
                **({b"seed": 1} if n.port % 3 == 0 else {}),
                **({b"implied_port": 1} if n.port % 5 == 0 else {})}, self.nodes)
        for ih in self.infohashes[:6]:
            self.ask_all("get_peers", lambda n, ad: {b"info_hash": ih})
            self.ask_all("get_peers", lambda n, ad: {b"info_hash": ih, b"scrape": 1},
                         self.nodes[:4])
            self.ask_all("get_peers", lambda n, ad: {b"info_hash": ih, b"noseed": 1},
                         self.nodes[:2])

        # BEP 44: libtorrent's puts and gets, then ours.
        a.dht_put_immutable_item({"name": "swarmwatch", "list": [1, 2, 3]})
        b.dht_put_immutable_item("a plain string item")
        pk_seed = hashlib.sha256(b"swarmwatch-bench-key").digest()
        key = Ed25519PrivateKey.from_private_bytes(pk_seed)
        pub = key.public_key().public_bytes(serialization.Encoding.Raw,
                                            serialization.PublicFormat.Raw)
        a.dht_get_mutable_item(pub, b"")
        a.dht_get_immutable_item(lt.sha1_hash(hashlib.sha1(lt.bencode(b"nothing")).digest()))
        self.pump(3.0)
        values = [b"hello", {b"peers": [b"x" * 6] * 8, b"n": 7},
                  [b"a" * 200, 12345, {b"k": b"v"}]]
        for v in values:
            target = hashlib.sha1(lt.bencode(v)).digest()
            self.ask_all("get", lambda n, ad: {b"target": target})
            self.ask_all("put", lambda n, ad: {b"token": n.tokens.get(ad, b"x"), b"v": v})
            self.ask_all("get", lambda n, ad: {b"target": target})
        for seq, (salt, v) in enumerate([(b"", b"mutable one"), (b"salty", {b"x": 1}),
                                         (b"", [b"y" * 300])], start=1):
            sigbuf = (b"4:salt%d:%s" % (len(salt), salt) if salt else b"") + \
                b"3:seqi%de1:v" % seq + lt.bencode(v)
            args = {b"k": pub, b"seq": seq, b"sig": key.sign(sigbuf), b"v": v}
            if salt:
                args[b"salt"] = salt
            target = hashlib.sha1(pub + salt).digest()
            self.ask_all("get", lambda n, ad: {b"target": target})
            self.ask_all("put", lambda n, ad: dict(args, token=n.tokens.get(ad, b"x")))
            self.ask_all("get", lambda n, ad: {b"target": target})
            self.ask_all("get", lambda n, ad: {b"target": target, b"seq": 0})

        # BEP 51, libtorrent's and ours.
        for n in self.nodes[:10]:
            a.dht_sample_infohashes((n.ip, n.port), lt.sha1_hash(rbytes(20)))
        self.ask_all("sample_infohashes", lambda n, ad: {b"target": rbytes(20)})

        # Errors: missing arguments, bad token, unknown method.
        self.ask_all("get_peers", lambda n, ad: {}, self.nodes[:4])
        self.ask_all("announce_peer", lambda n, ad: {b"info_hash": rbytes(20), b"port": 1,
                                                     b"token": b"bad"}, self.nodes[:4])
        self.ask_all("vote", lambda n, ad: {b"target": rbytes(20)}, self.nodes[:4])

        # A last round of libtorrent lookups to balance queries and replies.
        for ih in self.infohashes[6:]:
            b.dht_get_peers(lt.sha1_hash(ih))
            self.add_torrent(b, ih)
        self.pump(4.0)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "dht")
    os.makedirs(outdir, exist_ok=True)
    for f in os.listdir(outdir):
        if f.endswith(".bin"):
            os.remove(os.path.join(outdir, f))
    cap = Capture(outdir)
    cap.run()
    count = cap.rec.write(outdir)
    for k, (kept, seen) in sorted(count.items()):
        print("%5d of %5d  %s" % (kept, seen, k))
    print("%5d          total" % sum(k for k, _ in count.values()))
    for s in cap.sessions:
        s.pause()
    del cap.sessions
    shutil.rmtree(cap.tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
