#!/usr/bin/python3
"""fake_tracker.py - a HOSTILE FAKE BitTorrent tracker for swarmwatch tests.

It is not a tracker: every mode answers (or fails to answer) in a way a
robust tracker client must survive.  One process serves several modes, each
on its own port, on one loopback address, and stops by itself.

  /usr/bin/python3 tests/testbed/fake_tracker.py [--host 127.0.0.1]
        [--mode MODE]... [--port-base 0] [--for SECONDS] [--huge-mb 50]

Modes (default: all of them):

  html                    HTTP 200, Content-Type text/html, an HTML page
  truncated-compact       HTTP 200, bencoded reply whose compact `peers`
                          string is 13 bytes long (not a multiple of 6);
                          the two whole entries are 127.254.0.1:6881 and
                          127.254.0.2:6881 (loopback: nothing listens)
  huge                    HTTP 200 with Content-Length: 50 MB (--huge-mb),
                          streamed: a bencoded dict whose `peers` string is
                          50 MB of compact entries (all 127.254.x.y)
  huge-nolength           the same body, no Content-Length, connection
                          close delimits it
  udp-wrong-txid          UDP: connect replies carry a transaction id that
                          is not the one sent (txid + 1)
  udp-wrong-txid-announce UDP: connect is answered properly, announce and
                          scrape replies carry a wrong transaction id
  silent                  HTTP (TCP) and UDP on the same port number:
                          accepts / reads, never answers a byte

On start it prints ONE JSON line on stdout, then nothing more:

  {"pid": N, "host": "127.0.0.1", "until": EPOCH,
   "urls": {"html": "http://H:P/announce", ...,
            "udp-wrong-txid": "udp://H:P/announce",
            "silent": "http://H:P/announce", "silent-udp": "udp://H:P/announce"}}

It exits 0 after --for SECONDS (default 60, at most 3600), on SIGTERM or
SIGINT.  It binds only to the --host address, which must be a loopback
address (127.0.0.0/8 or ::1), and answers only loopback sources.  Counters
(requests per mode) go to stderr when it exits.
"""

import argparse
import asyncio
import ipaddress
import json
import os
import signal
import socket
import struct
import sys
import time

MODES = ("html", "truncated-compact", "huge", "huge-nolength", "udp-wrong-txid",
         "udp-wrong-txid-announce", "silent")
UDP_MODES = ("udp-wrong-txid", "udp-wrong-txid-announce")
MAX_CONNS = 512            # per HTTP mode; the oldest is dropped beyond that
UDP_MAGIC = 0x41727101980

counts = {}


def bump(mode):
    counts[mode] = counts.get(mode, 0) + 1


def loopback(addr):
    try:
        return ipaddress.ip_address(addr.split("%")[0]).is_loopback
    except ValueError:
        return False


def benc_peers_reply(peers_blob):
    return (b"d8:completei1e10:incompletei1e8:intervali1800e5:peers%d:" % len(peers_blob)
            + peers_blob + b"e")


HTML = (b"<!DOCTYPE html>\n<html><head><title>FAKE tracker</title></head>\n"
        b"<body><h1>This is not a tracker</h1>\n<p>swarmwatch fake_tracker.py, mode html: "
        b"a captive portal or a parked domain answers like this.</p></body></html>\n")


async def read_request(reader):
    """Read up to the end of the request head (bounded)."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 16384:
        chunk = await reader.read(4096)
        if not chunk:
            break
        data += chunk
    return data


class HttpMode:
    def __init__(self, mode, args):
        self.mode = mode
        self.args = args
        self.conns = []

    async def handle(self, reader, writer):
        peer = writer.get_extra_info("peername")
        if not peer or not loopback(peer[0]):
            writer.close()
            return
        self.conns.append(writer)
        if len(self.conns) > MAX_CONNS:
            old = self.conns.pop(0)
            old.close()
        try:
            await self.serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            pass
        finally:
            if writer in self.conns:
                self.conns.remove(writer)
            try:
                writer.close()
            except (ConnectionError, OSError, RuntimeError):
                pass

    async def serve(self, reader, writer):
        m = self.mode
        if m == "silent":
            bump(m)
            # read and discard whatever comes, never answer
            while True:
                chunk = await reader.read(4096)
                if not chunk:
                    return
        req = await read_request(reader)
        if not req:
            return
        bump(m)
        if m == "html":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                         b"Server: swarmwatch-fake-tracker\r\nConnection: close\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(HTML) + HTML)
        elif m == "truncated-compact":
            blob = (socket.inet_aton("127.254.0.1") + struct.pack(">H", 6881) +
                    socket.inet_aton("127.254.0.2") + struct.pack(">H", 6881) + b"\x7f")
            body = benc_peers_reply(blob)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                         b"Server: swarmwatch-fake-tracker\r\nConnection: close\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body) + body)
        elif m in ("huge", "huge-nolength"):
            total = self.args.huge_mb * 1000 * 1000
            head = b"d8:intervali1800e5:peers"
            tail = b"e"
            # peers string length so that the body is exactly `total` bytes
            n = total - len(head) - len(tail)
            n -= len(b"%d:" % n)
            n -= n % 6
            prefix = head + b"%d:" % n
            size = len(prefix) + n + len(tail)
            hdr = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                   b"Server: swarmwatch-fake-tracker\r\nConnection: close\r\n")
            if m == "huge":
                hdr += b"Content-Length: %d\r\n" % size
            writer.write(hdr + b"\r\n" + prefix)
            chunk = b"".join(socket.inet_aton("127.254.%d.%d" % (i // 250, 1 + i % 250)) +
                             struct.pack(">H", 6881) for i in range(10922))  # 65532 bytes
            sent = 0
            while sent < n:
                part = chunk[:min(len(chunk), n - sent)]
                writer.write(part)
                sent += len(part)
                await writer.drain()
            writer.write(tail)
        await writer.drain()


class UdpMode(asyncio.DatagramProtocol):
    def __init__(self, mode):
        self.mode = mode
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        if not loopback(addr[0]) or len(data) < 16:
            return
        bump(self.mode)
        if self.mode == "silent-udp":
            return
        cid_or_magic, action, txid = struct.unpack(">QII", data[:16])
        wrong = (txid + 1) & 0xFFFFFFFF
        if action == 0 and cid_or_magic == UDP_MAGIC:
            tx = wrong if self.mode == "udp-wrong-txid" else txid
            # never answer with more bytes than were sent (16 in, 16 out)
            self.transport.sendto(struct.pack(">IIQ", 0, tx, 0x5357464b45544b4e), addr)
        elif action == 1 and len(data) >= 98:
            peers = socket.inet_aton("127.254.0.1") + struct.pack(">H", 6881)
            self.transport.sendto(struct.pack(">IIIII", 1, wrong, 1800, 1, 1) + peers, addr)
        elif action == 2 and len(data) >= 36:
            self.transport.sendto(struct.pack(">IIIII", 2, wrong, 1, 1, 1), addr)


async def amain(args):
    host = args.host
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    urls = {}
    servers = []
    transports = []
    loop = asyncio.get_running_loop()
    hostpart = "[%s]" % host if fam == socket.AF_INET6 else host
    port = args.port_base
    modes = args.mode or list(MODES)

    def next_port():
        nonlocal port
        if port == 0:
            return 0
        p = port
        port += 1
        return p

    for m in modes:
        if m in UDP_MODES:
            tr, _ = await loop.create_datagram_endpoint(lambda m=m: UdpMode(m),
                                                        local_addr=(host, next_port()),
                                                        family=fam)
            transports.append(tr)
            urls[m] = "udp://%s:%d/announce" % (hostpart, tr.get_extra_info("sockname")[1])
        elif m == "silent":
            # TCP and UDP on the same port number
            for _ in range(50):
                srv = await asyncio.start_server(HttpMode(m, args).handle, host, next_port(),
                                                 family=fam, reuse_address=True)
                p = srv.sockets[0].getsockname()[1]
                try:
                    tr, _ = await loop.create_datagram_endpoint(lambda: UdpMode("silent-udp"),
                                                                local_addr=(host, p), family=fam)
                    break
                except OSError:
                    srv.close()
            else:
                raise OSError("no port free for both TCP and UDP")
            servers.append(srv)
            transports.append(tr)
            urls["silent"] = "http://%s:%d/announce" % (hostpart, p)
            urls["silent-udp"] = "udp://%s:%d/announce" % (hostpart, p)
        else:
            srv = await asyncio.start_server(HttpMode(m, args).handle, host, next_port(),
                                             family=fam, reuse_address=True)
            servers.append(srv)
            urls[m] = "http://%s:%d/announce" % (hostpart, srv.sockets[0].getsockname()[1])
    until = time.time() + args.for_seconds
    sys.stdout.write(json.dumps({"pid": os.getpid(), "host": host, "until": round(until, 3),
                                 "urls": urls}) + "\n")
    sys.stdout.flush()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), timeout=args.for_seconds)
    except asyncio.TimeoutError:
        pass
    for s in servers:
        s.close()
    for t in transports:
        t.close()
    sys.stderr.write("fake_tracker: requests per mode: %s\n" % json.dumps(counts))


def main():
    ap = argparse.ArgumentParser(description="a HOSTILE FAKE tracker for swarmwatch tests")
    ap.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    ap.add_argument("--mode", action="append", choices=MODES,
                    help="a mode to serve (repeatable; default all)")
    ap.add_argument("--port-base", type=int, default=0,
                    help="first port (modes take consecutive ports); 0: any free port")
    ap.add_argument("--for", dest="for_seconds", type=float, default=60.0,
                    help="exit after this many seconds (default 60, max 3600)")
    ap.add_argument("--huge-mb", type=int, default=50, help="size of the huge reply, MB")
    args = ap.parse_args()
    if not loopback(args.host):
        ap.error("--host must be a loopback address (127.0.0.0/8 or ::1)")
    if not (0 < args.for_seconds <= 3600):
        ap.error("--for must be in (0, 3600]")
    if not (1 <= args.huge_mb <= 1000):
        ap.error("--huge-mb must be 1..1000")
    try:
        asyncio.run(amain(args))
    except OSError as e:
        sys.stderr.write("fake_tracker: %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
