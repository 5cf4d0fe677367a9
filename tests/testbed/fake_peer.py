#!/usr/bin/python3
"""fake_peer.py - FAKE and HOSTILE BitTorrent peers for swarmwatch tests.

None of these is a real peer.  Each endpoint (an address and a port) behaves
in one way a peer-wire client must survive; one process serves many of them,
each on its own port (and, for the test bed, each on its own address), and
stops by itself.

  fake_peer.py --infohash HEX [--num-pieces N] [--metadata-size N]
               [--host IP] [--port-base 0] [--mode MODE]...
               [--peer IP:PORT:MODE]...
               [--announce URL]... [--reannounce SECONDS]
               [--for SECONDS] [--log FILE]

  fake_peer.py incoming-flood --target IP:PORT [--count 2000]
               [--sources IP,IP,...] [--hold 10] [--infohash HEX]
               [--for SECONDS]

Fakes (the "printer case": addresses a tracker hands out that are no peer):

  dead            nothing listens (the address is only announced)
  close           accepts and closes at once
  wrong-infohash  answers the handshake with a handshake for ANOTHER
                  infohash (SHA-1 of ours), then a full bitfield
  garbage         sends 16 KiB of random bytes at once, then holds
  bad-bitfield    a correct handshake, then a bitfield of the wrong length
                  (ceil(N/8) + 3 bytes, all ones)

Hostile peers:

  huge-prefix     a correct handshake, then a length prefix of 0xFFFFFFF0
                  and a few bytes, then holds
  slowloris       sends a correct handshake one byte per second (68 s)
  have-flood      a correct handshake, then `have` messages (indexes
                  cycling over 0..N-1) as fast as the socket takes them: at
                  most 10 s or 5,000,000 messages per connection, at most 4
                  flooding connections at a time per endpoint
  bad-metadata    a handshake with the BEP 10 bit and a BEP 10 handshake with
                  ut_metadata and metadata_size (--metadata-size), sent at
                  once on accept (before reading the peer's handshake, to be
                  the first metadata source on offer), and
                  answers every ut_metadata request with random bytes (the
                  same for the whole run) that do not hash to the infohash;
                  no bitfield
  incoming-flood  (a client, not a server) opens --count simultaneous TCP
                  connections to --target from the --sources addresses,
                  holds them --hold seconds (trickling a valid handshake, a
                  byte every 2 s, when --infohash is given) and closes them

Without --mode or --peer a server serves every fake and hostile mode once
on --host.  A mode that answers a handshake reads the peer's 68-byte
handshake first (at most 10 s).  After its act every connection "holds":
it reads and discards until the peer closes, at most 30 s (--hold-conn),
so the log tells whether and when the other side dropped it.  At most 64
connections at a time per endpoint (more are closed at once).

--announce URL (http:// or udp://, repeatable; the test bed gives one URL
per tracker) registers every endpoint with that tracker: an announce FROM
the endpoint's own address (the socket is bound to it; trackers record the
source address) with its port, event=started, left=1 (a leecher), and
again every --reannounce seconds (default 1200; opentracker forgets a peer
after 45 min).  The JSON line is printed after the first round of
announces has succeeded (exit 1 if one fails).

Output: ONE JSON line on stdout,
  {"pid", "until", "infohash", "endpoints": [{"ip", "port", "mode"}],
   "by_mode": {mode: ["ip:port", ...]}, "announced": {url: n}}
and, for incoming-flood, a first line {"pid", "mode", "target", "count",
"sources", "until"} and, at the end, a summary line (see README).  Events,
one JSON object per line, go to --log (default stderr):
  {"t", "mode", "endpoint", "peer", "event": "closed", "by": "peer" | "us"
   | "timeout", "secs", "sent", "received", ...}

It exits after --for SECONDS (default 60, at most 7200), on SIGTERM or
SIGINT.  It binds and connects only to loopback addresses (127.0.0.0/8).
"""

import argparse
import asyncio
import hashlib
import ipaddress
import json
import os
import random
import resource
import signal
import socket
import struct
import sys
import time
import urllib.parse

FAKE_MODES = ("dead", "close", "wrong-infohash", "garbage", "bad-bitfield")
HOSTILE_MODES = ("huge-prefix", "slowloris", "have-flood", "bad-metadata")
SERVE_MODES = FAKE_MODES + HOSTILE_MODES
MAX_CONNS = 64                 # per endpoint
MAX_FLOODS = 4                 # have-flood connections at a time per endpoint
FLOOD_SECS = 10.0
FLOOD_MAX_MSGS = 5_000_000
HS_TIMEOUT = 10.0
PSTR = b"\x13BitTorrent protocol"
UT_METADATA_ID = 3             # our id for ut_metadata in the BEP 10 handshake


def die(msg, code=2):
    sys.stderr.write("fake_peer: %s\n" % msg)
    sys.exit(code)


def loopback(ip):
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


# --- bencode ----------------------------------------------------------------------

def benc(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(benc(x) for x in v) + b"e"
    if isinstance(v, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, x) for k, x in v.items())
        return b"d" + b"".join(benc(k) + benc(x) for k, x in items) + b"e"
    raise TypeError(type(v))


def bdec(data, i=0, depth=0):
    """(value, end) of the bencoded value at data[i:]; raises ValueError."""
    if depth > 32:
        raise ValueError("too deep")
    c = data[i:i + 1]
    if c == b"i":
        j = data.index(b"e", i)
        return int(data[i + 1:j]), j + 1
    if c == b"l":
        i += 1
        out = []
        while data[i:i + 1] != b"e":
            if i >= len(data):
                raise ValueError("unterminated list")
            v, i = bdec(data, i, depth + 1)
            out.append(v)
        return out, i + 1
    if c == b"d":
        i += 1
        out = {}
        while data[i:i + 1] != b"e":
            if i >= len(data):
                raise ValueError("unterminated dict")
            k, i = bdec(data, i, depth + 1)
            v, i = bdec(data, i, depth + 1)
            out[k] = v
        return out, i + 1
    if c.isdigit():
        j = data.index(b":", i)
        n = int(data[i:j])
        if j + 1 + n > len(data):
            raise ValueError("string past end")
        return data[j + 1:j + 1 + n], j + 1 + n
    raise ValueError("bad bencode at %d" % i)


# --- events -------------------------------------------------------------------------

LOG = sys.stderr


def event(**kw):
    kw["t"] = round(time.time(), 3)
    try:
        LOG.write(json.dumps(kw) + "\n")
        LOG.flush()
    except (OSError, ValueError):
        pass


class PeerClosed(Exception):
    pass


# --- the endpoints ------------------------------------------------------------------

class Endpoint:
    def __init__(self, ip, port, mode, cfg):
        self.ip, self.port, self.mode, self.cfg = ip, port, mode, cfg
        self.conns = 0
        self.floods = 0
        self.accepted = 0
        self.server = None
        self.peer_id = b"-FK0001-" + os.urandom(12)

    @property
    def name(self):
        return "%s:%d" % (self.ip, self.port)

    async def start(self):
        if self.mode == "dead":
            return
        self.server = await asyncio.start_server(self.handle, host=self.ip, port=self.port,
                                                 reuse_address=True, backlog=128)
        self.port = self.server.sockets[0].getsockname()[1]

    async def handle(self, reader, writer):
        peer = writer.get_extra_info("peername")
        peer = "%s:%d" % (peer[0], peer[1]) if peer else "?"
        self.accepted += 1
        if not loopback(peer.rsplit(":", 1)[0]) or self.conns >= MAX_CONNS:
            writer.close()
            event(mode=self.mode, endpoint=self.name, peer=peer, event="refused",
                  why="not loopback" if self.conns < MAX_CONNS else "too many connections")
            return
        self.conns += 1
        st = {"sent": 0, "received": 0}
        t0 = time.monotonic()
        by = "us"
        extra = {}
        try:
            r = await asyncio.wait_for(ACTS[self.mode](self, reader, writer, st),
                                       timeout=self.cfg.conn_max)
            if isinstance(r, dict):
                extra.update(r)
        except PeerClosed:
            by = "peer"
        except (ConnectionError, BrokenPipeError, asyncio.IncompleteReadError):
            by = "peer"
        except asyncio.TimeoutError:
            by = "timeout"
        except asyncio.CancelledError:
            by = "exit"         # the run is over
            raise
        except Exception as e:   # a bug here must not end the whole fake
            by = "error"
            extra["error"] = "%s: %s" % (type(e).__name__, e)
        finally:
            self.conns -= 1
            try:
                writer.close()
            except Exception:
                pass
        ev = dict(mode=self.mode, endpoint=self.name, peer=peer, event="closed", by=by,
                  secs=round(time.monotonic() - t0, 3), sent=st["sent"],
                  received=st["received"])
        ev.update(st.get("extra", {}))
        ev.update(extra)
        event(**ev)

    # helpers
    async def send(self, writer, st, data):
        writer.write(data)
        st["sent"] += len(data)
        await writer.drain()

    async def read_handshake(self, reader, st):
        try:
            hs = await asyncio.wait_for(reader.readexactly(68), HS_TIMEOUT)
        except asyncio.IncompleteReadError as e:
            st["received"] += len(e.partial)
            raise PeerClosed()
        st["received"] += 68
        return hs

    def handshake(self, infohash, ext=False):
        res = bytearray(8)
        if ext:
            res[5] |= 0x10
        return PSTR + bytes(res) + infohash + self.peer_id

    async def hold(self, reader, st, secs=None):
        """Read and discard until the peer closes (PeerClosed) or secs pass."""
        secs = self.cfg.hold_conn if secs is None else secs
        end = time.monotonic() + secs
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            try:
                d = await asyncio.wait_for(reader.read(65536), left)
            except asyncio.TimeoutError:
                return
            if not d:
                raise PeerClosed()
            st["received"] += len(d)


async def act_close(ep, reader, writer, st):
    return


async def act_wrong_infohash(ep, reader, writer, st):
    await ep.read_handshake(reader, st)
    other = hashlib.sha1(ep.cfg.infohash).digest()
    nbytes = (ep.cfg.num_pieces + 7) // 8
    bf = bytearray(b"\xff" * nbytes)
    if ep.cfg.num_pieces % 8:
        bf[-1] = (0xff << (8 - ep.cfg.num_pieces % 8)) & 0xff
    await ep.send(writer, st, ep.handshake(other, ext=True) +
                  struct.pack(">IB", 1 + nbytes, 5) + bytes(bf))
    await ep.hold(reader, st)


async def act_garbage(ep, reader, writer, st):
    await ep.send(writer, st, os.urandom(16384))
    await ep.hold(reader, st)


async def act_bad_bitfield(ep, reader, writer, st):
    await ep.read_handshake(reader, st)
    nbytes = (ep.cfg.num_pieces + 7) // 8 + 3
    await ep.send(writer, st, ep.handshake(ep.cfg.infohash) +
                  struct.pack(">IB", 1 + nbytes, 5) + b"\xff" * nbytes)
    await ep.hold(reader, st)


async def act_huge_prefix(ep, reader, writer, st):
    await ep.read_handshake(reader, st)
    await ep.send(writer, st, ep.handshake(ep.cfg.infohash) + struct.pack(">I", 0xFFFFFFF0) +
                  b"\x07" + os.urandom(1023))
    await ep.hold(reader, st)


async def act_slowloris(ep, reader, writer, st):
    hs = ep.handshake(ep.cfg.infohash)
    for i in range(len(hs)):
        await ep.send(writer, st, hs[i:i + 1])
        await ep.hold(reader, st, 1.0)      # raises PeerClosed when dropped
    st["extra"] = {"handshake_complete": True}
    await ep.hold(reader, st)


async def act_have_flood(ep, reader, writer, st):
    await ep.read_handshake(reader, st)
    await ep.send(writer, st, ep.handshake(ep.cfg.infohash))
    if ep.floods >= MAX_FLOODS:
        st["extra"] = {"flood": "skipped: too many floods at once"}
        await ep.hold(reader, st)
        return
    ep.floods += 1
    n = 0
    t0 = time.monotonic()
    try:
        np_ = max(1, ep.cfg.num_pieces)
        chunk = b"".join(struct.pack(">IBI", 5, 4, i % np_) for i in range(1024))
        # drain the peer's bytes alongside, so its close is seen
        while n < FLOOD_MAX_MSGS and time.monotonic() - t0 < FLOOD_SECS:
            writer.write(chunk)
            st["sent"] += len(chunk)
            n += 1024
            await writer.drain()
            if reader.at_eof():
                raise PeerClosed()
    finally:
        ep.floods -= 1
        st["extra"] = {"have_messages": n, "flood_secs": round(time.monotonic() - t0, 3)}
    await ep.hold(reader, st)


async def act_bad_metadata(ep, reader, writer, st):
    # eager: its handshakes go out at once, before the peer's handshake is
    # read, so that it is the first to offer the metadata
    size = ep.cfg.metadata_size
    hs = benc({"m": {"ut_metadata": UT_METADATA_ID}, "metadata_size": size,
               "v": "fake_peer bad-metadata", "reqq": 250})
    await ep.send(writer, st, ep.handshake(ep.cfg.infohash, ext=True) +
                  struct.pack(">IBB", 2 + len(hs), 20, 0) + hs)
    await ep.read_handshake(reader, st)
    their_id = None
    served = 0
    end = time.monotonic() + ep.cfg.hold_conn
    while time.monotonic() < end:
        try:
            hdr = await asyncio.wait_for(reader.readexactly(4), end - time.monotonic())
        except asyncio.TimeoutError:
            break
        except asyncio.IncompleteReadError:
            raise PeerClosed()
        (ln,) = struct.unpack(">I", hdr)
        if ln > (1 << 20):
            st["extra"] = {"served": served, "stopped": "peer sent a %d-byte message" % ln}
            return
        body = await reader.readexactly(ln) if ln else b""
        st["received"] += 4 + ln
        if ln < 2 or body[0] != 20:
            continue
        try:
            d, _ = bdec(body, 2)
        except (ValueError, IndexError):
            continue
        if not isinstance(d, dict):
            continue
        if body[1] == 0:
            m = d.get(b"m", {})
            if isinstance(m, dict) and isinstance(m.get(b"ut_metadata"), int):
                their_id = m[b"ut_metadata"]
        elif body[1] == UT_METADATA_ID and d.get(b"msg_type") == 0 and their_id:
            piece = d.get(b"piece", -1)
            if not isinstance(piece, int) or piece < 0 or piece * 16384 >= size:
                rej = benc({"msg_type": 2, "piece": piece if isinstance(piece, int) else 0})
                await ep.send(writer, st, struct.pack(">IBB", 2 + len(rej), 20, their_id) + rej)
                continue
            data = ep.cfg.bad_metadata[piece * 16384:(piece + 1) * 16384]
            msg = benc({"msg_type": 1, "piece": piece, "total_size": size}) + data
            await ep.send(writer, st, struct.pack(">IBB", 2 + len(msg), 20, their_id) + msg)
            served += 1
    st["extra"] = {"served": served}


ACTS = {"close": act_close, "wrong-infohash": act_wrong_infohash, "garbage": act_garbage,
        "bad-bitfield": act_bad_bitfield, "huge-prefix": act_huge_prefix,
        "slowloris": act_slowloris, "have-flood": act_have_flood,
        "bad-metadata": act_bad_metadata}


# --- registering with trackers ------------------------------------------------------

def _compact_count(blob):
    return len(blob) // 6


def announce(url, ih, peer_id, ip, port, event_name, timeout=5.0):
    """One announce from (ip, any port) claiming `port`; returns the number of
    peers in the reply.  Raises on failure."""
    u = urllib.parse.urlsplit(url)
    if u.scheme == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind((ip, 0))
            s.settimeout(timeout / 3)
            addr = (u.hostname, u.port)

            def x(pkt, tx):
                for _ in range(3):
                    s.sendto(pkt, addr)
                    try:
                        while True:
                            d = s.recv(65536)
                            if len(d) >= 8 and struct.unpack(">I", d[4:8])[0] == tx:
                                if struct.unpack(">I", d[:4])[0] == 3:
                                    raise RuntimeError("tracker error %r" % d[8:200])
                                return d
                    except socket.timeout:
                        pass
                raise RuntimeError("no answer from %s" % url)
            tx = random.getrandbits(32)
            d = x(struct.pack(">QII", 0x41727101980, 0, tx), tx)
            cid = struct.unpack(">Q", d[8:16])[0]
            tx = random.getrandbits(32)
            ev = {"": 0, "completed": 1, "started": 2, "stopped": 3}[event_name]
            d = x(struct.pack(">QII", cid, 1, tx) + ih + peer_id +
                  struct.pack(">qqqIIIiH", 0, 1, 0, ev, 0, random.getrandbits(32), 50, port), tx)
            if struct.unpack(">I", d[:4])[0] != 1:
                raise RuntimeError("UDP announce: unexpected action")
            return _compact_count(d[20:])
        finally:
            s.close()
    import http.client
    q = ("info_hash=%s&peer_id=%s&port=%d&uploaded=0&downloaded=0&left=1&compact=1"
         "&numwant=50" % (urllib.parse.quote_from_bytes(ih), urllib.parse.quote_from_bytes(peer_id),
                          port))
    if event_name:
        q += "&event=" + event_name
    c = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=timeout,
                                   source_address=(ip, 0))
    try:
        c.request("GET", u.path + ("&" if u.query else "?") + q,
                  headers={"User-Agent": "swarmwatch-fake-peer"})
        r = c.getresponse()
        body = r.read(1 << 20)
    finally:
        c.close()
    if r.status != 200:
        raise RuntimeError("HTTP %d" % r.status)
    d, _ = bdec(body)
    if b"failure reason" in d:
        raise RuntimeError("failure reason %r" % d[b"failure reason"])
    p = d.get(b"peers", b"")
    return _compact_count(p) if isinstance(p, bytes) else len(p)


async def register_all(cfg, endpoints, event_name):
    loop = asyncio.get_running_loop()
    out = {u: 0 for u in cfg.announce}

    def one(ep, url):
        return url, announce(url, cfg.infohash, ep.peer_id, ep.ip, ep.port, event_name)
    futs = [loop.run_in_executor(None, one, ep, url) for ep in endpoints for url in cfg.announce]
    for f in asyncio.as_completed(futs):
        url, _ = await f
        out[url] += 1
    return out


# --- incoming-flood ------------------------------------------------------------------

async def incoming_flood(args):
    host, _, port = args.target.rpartition(":")
    port = int(port)
    if not loopback(host):
        die("--target must be a loopback address")
    if args.sources:
        sources = [s.strip() for s in args.sources.split(",") if s.strip()]
    else:
        o = host.split(".")
        sources = ["127.%s.0.%d" % (o[1], 200 + k) for k in range(4)]
    for s in sources:
        if not loopback(s):
            die("--sources must be loopback addresses")
    count = args.count
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = count + 256
    if soft < need:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
        except (ValueError, OSError):
            pass
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        if soft < need:
            die("RLIMIT_NOFILE %d is too small for --count %d" % (soft, count), 1)
    until = time.time() + args.for_
    print(json.dumps({"pid": os.getpid(), "mode": "incoming-flood", "target": args.target,
                      "count": count, "sources": sources, "hold": args.hold,
                      "until": round(until, 3)}), flush=True)
    t0 = time.monotonic()
    deadline = t0 + args.for_
    hs = None
    if args.infohash:
        hs = PSTR + bytes(8) + args.infohash + b"-FKFLOOD" + os.urandom(12)
    stats = {"attempted": 0, "connected": 0, "connect_failed": 0, "connect_errors": {},
             "closed_by_target": 0, "closed_by_target_secs": [], "open_at_end": 0}
    conns = []
    sem = asyncio.Semaphore(512)          # connects in flight at a time

    async def connect(i):
        src = sources[i % len(sources)]
        async with sem:
            stats["attempted"] += 1
            try:
                r, w = await asyncio.wait_for(
                    asyncio.open_connection(host, port, local_addr=(src, 0)),
                    max(0.1, min(10.0, deadline - time.monotonic())))
            except (OSError, asyncio.TimeoutError) as e:
                stats["connect_failed"] += 1
                k = type(e).__name__ if not getattr(e, "errno", None) else os.strerror(e.errno)
                stats["connect_errors"][k] = stats["connect_errors"].get(k, 0) + 1
                return
        stats["connected"] += 1
        conns.append((r, w, time.monotonic()))

    await asyncio.gather(*(connect(i) for i in range(count)))
    t_connected = time.monotonic()
    hold_end = min(deadline, t_connected + args.hold)

    async def hold(r, w, tc):
        sent = 0
        try:
            while True:
                left = hold_end - time.monotonic()
                if left <= 0:
                    stats["open_at_end"] += 1
                    return
                if hs is not None and sent < len(hs):
                    w.write(hs[sent:sent + 1])
                    sent += 1
                try:
                    d = await asyncio.wait_for(r.read(65536), min(left, 2.0))
                except asyncio.TimeoutError:
                    continue
                if not d:
                    raise ConnectionResetError()
        except (ConnectionError, OSError):
            stats["closed_by_target"] += 1
            stats["closed_by_target_secs"].append(round(time.monotonic() - tc, 2))
        finally:
            w.close()

    await asyncio.gather(*(hold(r, w, tc) for r, w, tc in conns))
    secs = sorted(stats.pop("closed_by_target_secs"))
    if secs:
        stats["closed_by_target_after"] = {"min": secs[0], "median": secs[len(secs) // 2],
                                           "max": secs[-1]}
    stats.update(mode="incoming-flood", target=args.target,
                 connect_phase_secs=round(t_connected - t0, 2),
                 total_secs=round(time.monotonic() - t0, 2))
    print(json.dumps(stats), flush=True)


# --- main --------------------------------------------------------------------------------

def parse_peer(s):
    try:
        ip, port, mode = s.rsplit(":", 2)
        port = int(port)
    except ValueError:
        raise argparse.ArgumentTypeError("--peer wants IP:PORT:MODE, got %r" % s)
    if mode not in SERVE_MODES:
        raise argparse.ArgumentTypeError("unknown mode %r (known: %s)" % (mode, ", ".join(SERVE_MODES)))
    if not loopback(ip):
        raise argparse.ArgumentTypeError("%s is not a loopback address" % ip)
    return ip, port, mode


def hexhash(s):
    try:
        b = bytes.fromhex(s)
    except ValueError:
        b = b""
    if len(b) != 20:
        raise argparse.ArgumentTypeError("--infohash wants 40 hex digits")
    return b


async def serve(args):
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    endpoints = []
    for ip, port, mode in args.peer:
        endpoints.append(Endpoint(ip, port, mode, args))
    if not args.peer:
        modes = args.mode or list(SERVE_MODES)
        for k, mode in enumerate(modes):
            port = args.port_base + k if args.port_base else 0
            endpoints.append(Endpoint(args.host, port, mode, args))
    for ep in endpoints:
        if ep.mode == "dead" and ep.port == 0:
            # a port where nothing listens: bind, note the port, close
            s = socket.socket()
            s.bind((ep.ip, 0))
            ep.port = s.getsockname()[1]
            s.close()
        try:
            await ep.start()
        except OSError as e:
            die("cannot listen on %s:%d (%s): %s" % (ep.ip, ep.port, ep.mode, e), 1)
    announced = {}
    if args.announce:
        try:
            announced = await register_all(args, endpoints, "started")
        except Exception as e:
            die("registering with the trackers failed: %s" % e, 1)
    until = time.time() + args.for_
    by_mode = {}
    for ep in endpoints:
        by_mode.setdefault(ep.mode, []).append(ep.name)
    print(json.dumps({"pid": os.getpid(), "until": round(until, 3),
                      "infohash": args.infohash.hex(),
                      "endpoints": [{"ip": ep.ip, "port": ep.port, "mode": ep.mode}
                                    for ep in endpoints],
                      "by_mode": by_mode, "announced": announced}), flush=True)
    next_ann = time.monotonic() + args.reannounce
    end = time.monotonic() + args.for_
    while not stop.is_set():
        now = time.monotonic()
        if now >= end:
            break
        if args.announce and now >= next_ann:
            next_ann = now + args.reannounce
            try:
                await register_all(args, endpoints, "")
                event(event="reannounced", endpoints=len(endpoints), urls=args.announce)
            except Exception as e:
                event(event="reannounce failed", error=str(e))
        try:
            await asyncio.wait_for(stop.wait(), min(5.0, end - now))
        except asyncio.TimeoutError:
            pass
    for ep in endpoints:
        if ep.server:
            ep.server.close()
    event(event="exit", accepted={ep.name: ep.accepted for ep in endpoints})


def main(argv=None):
    global LOG
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["incoming-flood"]:
        argv = ["--mode", "incoming-flood"] + argv[1:]
    ap = argparse.ArgumentParser(prog="fake_peer.py",
                                 description="FAKE and HOSTILE BitTorrent peers (tests only)")
    ap.add_argument("--mode", action="append", default=[],
                    choices=SERVE_MODES + ("incoming-flood",))
    ap.add_argument("--peer", action="append", default=[], type=parse_peer,
                    help="IP:PORT:MODE (repeatable); instead of --host/--mode")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port-base", type=int, default=0,
                    help="first port for --mode endpoints (0: any free port)")
    ap.add_argument("--infohash", type=hexhash)
    ap.add_argument("--num-pieces", type=int, default=8)
    ap.add_argument("--metadata-size", type=int, default=0,
                    help="bad-metadata: the metadata_size it claims (the real info dict's "
                         "length makes the lie plausible)")
    ap.add_argument("--announce", action="append", default=[],
                    help="register every endpoint with this tracker URL (repeatable)")
    ap.add_argument("--reannounce", type=float, default=1200)
    ap.add_argument("--hold-conn", type=float, default=30.0,
                    help="how long a connection is held after the act")
    ap.add_argument("--for", dest="for_", type=float, default=60.0)
    ap.add_argument("--log", help="events file (default stderr)")
    # incoming-flood
    ap.add_argument("--target", help="incoming-flood: IP:PORT to connect to")
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--sources", default="",
                    help="incoming-flood: source addresses, comma-separated "
                         "(default 127.X.0.200-203, X from --target)")
    ap.add_argument("--hold", type=float, default=10.0)
    args = ap.parse_args(argv)
    if not (0 < args.for_ <= 7200):
        ap.error("--for must be in (0, 7200]")
    args.conn_max = max(5.0, args.hold_conn + 80.0)   # slowloris: 68 s + hold
    if args.log:
        LOG = open(args.log, "a", buffering=1)
    if "incoming-flood" in args.mode:
        if len(args.mode) != 1 or args.peer:
            ap.error("incoming-flood is a mode of its own")
        if not args.target:
            ap.error("incoming-flood needs --target IP:PORT")
        if not (1 <= args.count <= 20000):
            ap.error("--count must be 1..20000")
        if not (0 <= args.hold <= 120):
            ap.error("--hold must be 0..120")
        asyncio.run(asyncio.wait_for(incoming_flood(args), args.for_ + 30))
        return 0
    if not loopback(args.host):
        ap.error("--host must be a loopback address")
    if args.infohash is None:
        ap.error("--infohash is required")
    if args.num_pieces < 1:
        ap.error("--num-pieces must be >= 1")
    if not (0 <= args.metadata_size <= 10 << 20):
        ap.error("--metadata-size must be 0..10 MiB")
    if args.metadata_size == 0:
        args.metadata_size = 1000 + 20 * args.num_pieces
    args.bad_metadata = os.urandom(args.metadata_size)
    if hashlib.sha1(args.bad_metadata).digest() == args.infohash:   # never
        args.bad_metadata = bytes(args.metadata_size)
    for u in args.announce:
        h = urllib.parse.urlsplit(u).hostname or ""
        if not loopback(h):
            ap.error("--announce %s: not a loopback tracker" % u)
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(1)
