#!/usr/bin/python3
"""bench/metadata_lt.py - time to fetch a torrent's metadata from a magnet:
swarmwatch count side by side with libtorrent, the anchor, in the same run
(docs/benchmarks.md, "10,000 peer connections and metadata from a magnet").

Run it with Debian's /usr/bin/python3 (python3-libtorrent).  bench/run_peers.sh
calls it on a loopback /16 it has claimed:

    /usr/bin/python3 bench/metadata_lt.py --net 127.S --work DIR \\
        --swarmwatch ./swarmwatch [--rounds 5] [--timeout 20] [--out TSV]

What it sets up, all on 127.S.0.x and torn down before it returns:

* two torrents (--set NAME:FILES:FILE_KIB), v1, sparse files of zeros (no
  disk used) in 16 KiB pieces, made with libtorrent's create_torrent and
  set_piece_hashes: `big`, 1,000 files of 160 KiB, 10,000 pieces, an info
  dictionary of 247 KB (16 metadata pieces), and `small`, 1,000 files of
  32 KiB, 2,000 pieces, 86 KB (6 metadata pieces).  Two sizes because
  libtorrent serves at most 160 KiB of metadata at once to a peer and
  queues further requests until its once-a-second peer tick
  (ut_metadata.cpp, send_buffer_limit), so a fetcher that asks for every
  piece at once waits for that tick when the info dict is larger;
* a seed: one libtorrent session on 127.S.0.2 with both torrents in seed
  mode (it serves the metadata over BEP 9 like any libtorrent peer);
* a tracker: a bench-only HTTP tracker on 127.S.0.1 (a few lines below)
  that answers every announce with the seed's compact address (BEP 23)
  and every scrape with one seed, so both fetchers find the seed the same
  way, through the `tr` of the magnet.

Each round then times both on each torrent, alternating which goes first:

* swarmwatch: `swarmwatch count --allow-private --json -v --for Ts
  --listen 127.S.0.4:0 MAGNET` from just before the process is started to
  the moment its stderr says "swarmwatch: metadata: NAME, N pieces" (logged
  once the metadata hashed to the infohash); then SIGTERM, and its JSON must
  show the seed as `verified` with have 1.0.
* libtorrent: from just before a fresh lt.session (on 127.S.0.3) is created
  to its metadata_received_alert, for the same magnet; then the session is
  destroyed.

Times come from time.monotonic() in this process, which reads every line of
swarmwatch's stderr as it is written (stderr is unbuffered), sees every
libtorrent alert as it is posted, and runs the tracker.  The TSV has one
row per set, side and round, with two steps on the way: when the tracker
got the side's first announce, and (libtorrent only) its peer_connect_alert.
A summary with medians and the median of the per-round ratios (libtorrent
seconds / swarmwatch seconds: above 1, swarmwatch was faster) is printed at
the end.  Exit status 1 if any fetch failed.
"""
import argparse
import http.server
import os
import selectors
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
import urllib.parse

import libtorrent as lt

NAME = "swarmwatch-bench-metadata"


def bencode(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, dict):
        return b"d" + b"".join(bencode(k) + bencode(v[k]) for k in sorted(v)) + b"e"
    raise TypeError(type(v))


# --- the torrent ----------------------------------------------------------------

def make_torrent(work, name, files, file_kib, piece_kib):
    root = os.path.join(work, "seed")
    fs = lt.file_storage()
    for i in range(files):
        rel = os.path.join(name, "d%02d" % (i // 100), "file-%04d.bin" % i)
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.truncate(file_kib * 1024)  # sparse zeros
        fs.add_file(rel, file_kib * 1024)
    ct = lt.create_torrent(fs, piece_kib * 1024, flags=lt.create_torrent.v1_only)
    ct.set_creator("swarmwatch bench/metadata_lt.py")
    lt.set_piece_hashes(ct, root)
    return lt.torrent_info(lt.bencode(ct.generate())), root


# --- a bench-only HTTP tracker: every announce gets the seed ------------------

class Tracker(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, ip, seed):
        self.seed_compact = socket.inet_aton(seed[0]) + struct.pack(">H", seed[1])
        self.announces = []  # (time.monotonic(), peer id's first 8 bytes, event)
        super().__init__((ip, 0), TrackerHandler)


class TrackerHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        if u.path == "/announce":
            q = urllib.parse.parse_qs(u.query, encoding="latin-1")
            self.server.announces.append((time.monotonic(), q.get("peer_id", [""])[0][:8],
                                          q.get("event", [""])[0]))
            body = bencode({"interval": 1800, "min interval": 1800, "complete": 1,
                            "incomplete": 0, "peers": self.server.seed_compact})
        elif u.path == "/scrape":
            ihs = urllib.parse.parse_qs(u.query, encoding="latin-1").get("info_hash", [])
            body = bencode({"files": {ih.encode("latin-1"): {
                "complete": 1, "incomplete": 0, "downloaded": 0} for ih in ihs}})
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError):
            pass  # libtorrent's event=stopped, abandoned while it shuts down


# --- libtorrent sessions ----------------------------------------------------------

def lt_settings(ip, port):
    return {
        "listen_interfaces": "%s:%d" % (ip, port),
        "outgoing_interfaces": ip,
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False,
        "enable_natpmp": False, "enable_incoming_utp": False,
        "enable_outgoing_utp": False, "enable_ip_notifier": False,
        "ssrf_mitigation": False, "max_retry_port_bind": 0,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": (lt.alert.category_t.status_notification |
                       lt.alert.category_t.tracker_notification |
                       lt.alert.category_t.connect_notification |
                       lt.alert.category_t.error_notification),
    }


def start_seed(ip, torrents):
    s = lt.session(lt_settings(ip, 0))
    hs = []
    for ti, root in torrents:
        atp = lt.add_torrent_params()
        atp.ti = ti
        atp.save_path = root
        atp.flags &= ~(lt.torrent_flags.paused | lt.torrent_flags.auto_managed)
        atp.flags |= lt.torrent_flags.seed_mode
        hs.append(s.add_torrent(atp))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if s.is_listening() and all(h.status().is_seeding for h in hs):
            return s, s.listen_port()
        time.sleep(0.05)
    raise SystemExit("metadata_lt.py: the libtorrent seed did not start")


def fetch_lt(ip, magnet, save, timeout):
    """Seconds from session creation to metadata_received_alert, and steps."""
    t0 = time.monotonic()
    steps = {"t0": t0}
    settings = lt_settings(ip, 0)
    settings["stop_tracker_timeout"] = 1  # shutting down waits for it (5 s by default)
    s = lt.session(settings)
    atp = lt.parse_magnet_uri(magnet)
    atp.save_path = save
    atp.flags &= ~(lt.torrent_flags.paused | lt.torrent_flags.auto_managed)
    atp.flags |= lt.torrent_flags.upload_mode  # no piece downloads once it has metadata
    s.add_torrent(atp)
    done = None
    while done is None and time.monotonic() - t0 < timeout:
        s.wait_for_alert(100)
        for a in s.pop_alerts():
            t = time.monotonic() - t0
            if isinstance(a, lt.peer_connect_alert):
                steps.setdefault("connected", t)
            elif isinstance(a, lt.metadata_received_alert):
                done = t
            elif isinstance(a, lt.metadata_failed_alert):
                steps.setdefault("error", a.message())
    s.pause()
    t = time.monotonic()
    del s  # its destructor waits for the session's threads to end
    steps["teardown"] = time.monotonic() - t
    return done, steps


def fetch_sw(exe, listen_ip, magnet, timeout, log_path):
    """Seconds from exec to swarmwatch's "metadata:" line, steps, its JSON."""
    cmd = [exe, "count", "--allow-private", "--json", "-v", "--for", "%ds" % timeout,
           "--listen", "%s:0" % listen_ip, magnet]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    steps = {}
    done = None
    sel = selectors.DefaultSelector()
    sel.register(p.stderr, selectors.EVENT_READ)
    buf = b""
    with open(log_path, "ab") as log:
        log.write(b"# %s\n" % " ".join(cmd).encode())
        while done is None and time.monotonic() - t0 < timeout:
            if not sel.select(0.5):
                continue
            chunk = os.read(p.stderr.fileno(), 65536)
            t = time.monotonic() - t0
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                log.write(b"%.4f %s\n" % (t, line))
                if b": metadata: " in line:
                    done = t
        # Stop it; reading both pipes to the end keeps it from blocking.
        steps["teardown"] = time.monotonic()
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        try:
            out, err = p.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        log.write(err)
    steps["teardown"] = time.monotonic() - steps["teardown"]
    sel.close()
    steps["t0"] = t0
    return done, steps, out


def check_sw_json(out, seed_ip, name):
    import json
    try:
        j = json.loads(out)
    except ValueError:
        return "no JSON"
    if j.get("name") != name:
        return "name %r" % j.get("name")
    for p in j.get("peers", []):
        if p["ip"] == seed_ip:
            if p["tier"] != "verified" or p["have"] != 1.0:
                return "seed is %s, have %s" % (p["tier"], p["have"])
            return ""
    return "seed not in the peers"


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def parse_set(text):
    name, files, kib = text.split(":")
    return name, int(files), int(kib)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--net", required=True, help="127.S: the /16 to use")
    ap.add_argument("--work", required=True, help="scratch directory")
    ap.add_argument("--swarmwatch", default="./swarmwatch")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--timeout", type=int, default=20, help="seconds per fetch")
    ap.add_argument("--set", dest="sets", action="append", type=parse_set,
                    help="NAME:FILES:FILE_KIB, a torrent to fetch (repeatable; default "
                         "big:1000:160 and small:1000:32)")
    ap.add_argument("--piece-kib", type=int, default=16)
    ap.add_argument("--out", default="bench/out/peers-metadata.tsv")
    a = ap.parse_args()
    sets = a.sets or [("big", 1000, 160), ("small", 1000, 32)]

    tracker_ip, seed_ip, lt_ip, sw_ip = ("%s.0.%d" % (a.net, i) for i in (1, 2, 3, 4))
    torrents = {}
    for name, files, kib in sets:
        t = time.monotonic()
        ti, root = make_torrent(a.work, "%s-%s" % (NAME, name), files, kib, a.piece_kib)
        size = len(ti.info_section())
        torrents[name] = (ti, root, size)
        print("torrent %-6s %s: %d files, %d pieces of %d KiB, info dict %d bytes "
              "(%d metadata pieces), made in %.1f s" % (
                  name, ti.info_hashes().v1, ti.num_files(), ti.num_pieces(), a.piece_kib,
                  size, (size + 16383) // 16384, time.monotonic() - t), flush=True)

    seed, seed_port = start_seed(seed_ip, [(ti, root) for ti, root, _ in torrents.values()])
    tr = Tracker(tracker_ip, (seed_ip, seed_port))
    threading.Thread(target=tr.serve_forever, daemon=True).start()
    url = "http://%s:%d/announce" % (tracker_ip, tr.server_address[1])
    print("seed:    libtorrent %s on %s:%d; tracker %s" % (lt.__version__, seed_ip,
                                                            seed_port, url), flush=True)

    # What exec and start-up alone cost swarmwatch (no network).
    execs = []
    for _ in range(5):
        t = time.monotonic()
        subprocess.run([a.swarmwatch, "--version"], stdout=subprocess.DEVNULL, check=True)
        execs.append(time.monotonic() - t)

    rows = []
    failed = 0
    log_path = os.path.splitext(a.out)[0] + "-swarmwatch.log"
    os.makedirs(os.path.dirname(log_path) or ".", exist_ok=True)
    open(log_path, "w").close()
    for r in range(1, a.rounds + 1):
        for name, _files, _kib in sets:
            ti = torrents[name][0]
            magnet = "magnet:?xt=urn:btih:%s&tr=%s" % (ti.info_hashes().v1,
                                                      urllib.parse.quote(url, safe=""))
            order = ("swarmwatch", "libtorrent") if r % 2 else ("libtorrent", "swarmwatch")
            for side in order:
                if side == "swarmwatch":
                    secs, steps, out = fetch_sw(a.swarmwatch, sw_ip, magnet, a.timeout,
                                                log_path)
                    note = (check_sw_json(out, seed_ip, ti.name()) if secs is not None
                            else "no metadata")
                else:
                    save = os.path.join(a.work, "lt-%s-%d" % (name, r))
                    secs, steps = fetch_lt(lt_ip, magnet, save, a.timeout)
                    note = steps.get("error", "") if secs is None else ""
                # Its first announce (by peer id: "-SW0100-" or "-LT2080-").
                asked = [t - steps["t0"] for t, pid, ev in tr.announces
                         if t >= steps["t0"] and ev != "stopped" and
                         pid.startswith("-SW" if side == "swarmwatch" else "-LT")]
                if asked and (secs is None or asked[0] <= secs):
                    steps["tracker"] = asked[0]
                if secs is None or note:
                    failed += 1
                rows.append((r, name, side, secs, steps.get("tracker"), steps.get("connected"),
                             note))
                print("round %d %-6s %-10s %s  (then %.1f s to stop)%s" % (
                    r, name, side, "%.3f s" % secs if secs else "FAILED", steps["teardown"],
                    ("  (%s)" % note) if note else ""), flush=True)
    seed.pause()
    tr.shutdown()

    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    with open(a.out, "w") as f:
        f.write("round\tset\tinfo_bytes\tside\tseconds\tannounced_s\tpeer_connected_s\tnote\n")
        for r, name, side, secs, trk, con, note in rows:
            f.write("%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n" % (
                r, name, torrents[name][2], side, "%.4f" % secs if secs else "",
                "%.4f" % trk if trk else "", "%.4f" % con if con else "", note))

    def col(name, side, i):
        return [row[i] for row in rows
                if row[1] == name and row[2] == side and row[i] is not None]

    print()
    print("metadata from a magnet, %d rounds: seconds from start to verified metadata" % a.rounds)
    print("  %-6s %9s  %-10s %8s %8s %8s %10s  %s" % (
        "set", "info", "side", "median", "min", "max", "announced", "ratio lt/sw (rounds)"))
    for name, _files, _kib in sets:
        ratios = []
        for r in range(1, a.rounds + 1):
            x = [row[3] for row in rows if row[:3] == (r, name, "swarmwatch")]
            y = [row[3] for row in rows if row[:3] == (r, name, "libtorrent")]
            if x and y and x[0] and y[0]:
                ratios.append(y[0] / x[0])
        for side in ("swarmwatch", "libtorrent"):
            xs = col(name, side, 3)
            if not xs:
                continue
            tail = ""
            if side == "libtorrent" and ratios:
                tail = "%.2fx (%s)" % (median(ratios), " ".join("%.2f" % x for x in ratios))
            print("  %-6s %7d B  %-10s %8.3f %8.3f %8.3f %10s  %s" % (
                name, torrents[name][2], side, median(xs), min(xs), max(xs),
                "%.3f" % median(col(name, side, 4)) if col(name, side, 4) else "-", tail))
    print("  ratio: libtorrent's time / swarmwatch's in the same round (> 1: swarmwatch faster)")
    print("  swarmwatch --version (exec and start-up alone): median %.3f s" % median(execs))
    print("raw: %s; swarmwatch's log: %s" % (a.out, log_path))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
