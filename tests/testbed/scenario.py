#!/usr/bin/python3
"""scenario.py - the Sony-2014 scenario: five titles, many releases, decoys,
a feed, a watchlist and a country database, on loopback, with ground truth.

  scenario.py up   --dir D [--scale 1.0] [--quick] [--lifetime 900]
  scenario.py down --dir D

`up` starts one testbed.py swarm per release (each its own slot
127.S.0.0/16, its own opentracker and bittorrent-tracker, its own peers and
fake peers), all at once, and writes:

  D/truth.json       per title: its releases (infohash, name, slot), the
                     exact unique IPs expected per tier (seen incl. fakes,
                     connectable, verified), per country and per ASN; the
                     decoys and the infohashes that must never be linked
  D/feed/feed.xml    an RSS 2.0 + Torznab feed listing every release and
                     decoy (one of them by .torrent link, the rest by
                     magnet), served over HTTP on 127.S0.0.11 (S0: the
                     first release's slot) by a process of ours
  D/watchlist.ini    examples/sony-2014.ini's titles, this run's store,
                     listen address (127.S0.0.10), feed and geo databases
  D/geo.json         country and ASN of every address range, and
  D/country.mmdb, D/asn.mmdb  written from it by make_geo_mmdb.pl
  D/scenario.json    what `down` needs: the testbed dirs; D/pids: our own
                     processes (the feed server, a watchdog)

The swarms are sized in the proportions the article reports (unique IPs:
Fury 1.2 M, Annie 206 k, Still Alice 104 k, Mr. Turner 63 k, To Write Love
on Her Arms 20 k): at --scale 1, 200 peers for Fury over three releases
down to 4 for To Write Love on Her Arms, 265 in all, plus the decoys'.
--quick: libtorrent peers only (no aria2, transmission, qbittorrent,
rtorrent), which start faster.

`down` brings every testbed down (each ends exactly the processes it
recorded) and ends our own processes by PID; idempotent.  A watchdog ends
everything after --lifetime seconds whatever happens.

Exit status: 0 success, 1 failure (the message says what), 2 usage.
Run it with /usr/bin/python3 (testbed.py needs python3-libtorrent).
"""

import argparse
import concurrent.futures
import html
import http.server
import ipaddress
import json
import os
import random
import re
import socketserver
import subprocess
import sys
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import testbed as tb  # noqa: E402  (Run, pids, down, ports, watchdog)

TESTBED = os.path.join(HERE, "testbed.py")
MAKE_MMDB = os.path.join(HERE, "make_geo_mmdb.pl")
GEO_LOOKUP = os.path.join(HERE, "geo_lookup.pl")
EXAMPLE = os.path.join(ROOT, "examples", "sony-2014.ini")

# The article: unique IP addresses per title, "as of 11 a.m. Pacific".
TITLES = [("Fury", 2014, 1200000), ("Annie", 2014, 206000), ("Still Alice", 2014, 104000),
          ("Mr. Turner", 2014, 63000), ("To Write Love on Her Arms", 2014, 20000)]
FURY_PEERS = 200           # Fury's peers at --scale 1; the others in proportion
MIN_PEERS = 2              # per swarm: one seed and one leecher at least
# Clients other than libtorrent only in swarms of at most this many peers:
# aria2 (bt-max-peers 55) and transmission (peer-limit-per-torrent 50) fill
# their connection slots in a 119-peer swarm and then turn swarmwatch away
# (seen in `count` and `watch` runs: one or two of them stay "seen"), so
# the truth's "every real peer is connectable" would not hold there.
MAX_MIXED = 40
PIECE_SIZE, PIECES = "256KiB", 8

# Releases: (title, torrent name, file in it, share of the title's peers,
# feed link, extra clients when not --quick).  Names as 2014 indexes wrote
# them; each is one testbed swarm.
RELEASES = [
    ("Fury", "Fury.2014.DVDScr.XVID.AC3.HQ.Hive-CM8", "Fury.2014.DVDScr.XVID.AC3.HQ.Hive-CM8.avi",
     0.55, "magnet", ""),
    ("Fury", "Fury 2014 DVDSCR XviD-MAXSPEED", "Fury 2014 DVDSCR XviD-MAXSPEED.avi",
     0.30, "magnet", ""),
    ("Fury", "Herz.aus.Stahl.2014.German.DVDScr.XviD-PS", "ps-hastahl.avi",
     0.15, "magnet", "aria2=1,transmission=1,rtorrent=1"),
    ("Annie", "Annie 2014 DVDSCR X264 AAC-P2P", "Annie 2014 DVDSCR X264 AAC-P2P.mp4",
     0.65, "magnet", "qbittorrent=1,rtorrent=1,transmission=1"),
    ("Annie", "Annie.2014.DVDScr.XviD-EVO", "Annie.2014.DVDScr.XviD-EVO.avi",
     0.35, "magnet", ""),
    ("Still Alice", "[ www.Torrenting.com ] - Still.Alice.2014.DVDSCR.x264-COLLECTiVE",
     "Still.Alice.2014.DVDSCR.x264-COLLECTiVE.mkv", 0.65, "magnet", "aria2=1,qbittorrent=1"),
    ("Still Alice", "Still Alice (2014) DVDScr XviD-MAXSPEED",
     "Still Alice (2014) DVDScr XviD-MAXSPEED.avi", 0.35, "magnet", ""),
    ("Mr. Turner", "Mr Turner (2014) DVDScr 720p", "Mr Turner (2014) DVDScr 720p.mkv",
     0.60, "magnet", ""),
    ("Mr. Turner", "Mr.Turner.2014.DVDScr.XviD-EVO", "Mr.Turner.2014.DVDScr.XviD-EVO.avi",
     0.40, "torrent", ""),
    ("To Write Love on Her Arms", "To.Write.Love.on.Her.Arms.2014.DVDScr.XviD-EVO",
     "To.Write.Love.on.Her.Arms.2014.DVDScr.XviD-EVO.avi", 0.50, "magnet", ""),
    ("To Write Love on Her Arms", "Renee.2015.DVDRip.XviD-EVO", "Renee.2015.DVDRip.XviD-EVO.avi",
     0.50, "magnet", ""),
]

# Decoys: (name, file, peers at --scale 1, what swarmwatch must do, the
# title the name alone would match).  Furious 7 and Annie Hall are the
# confusers that make anti-piracy systems file false notices; the fake
# "Fury" matches by name but its payload is an executable.
DECOYS = [
    ("Furious 7 (2015) 720p HC HDRip x264-EVO", "Furious 7 (2015) 720p HC HDRip x264-EVO.mkv",
     8, "unmatched", None),
    ("Annie Hall 1977 720p BluRay x264-SiNNERS", "annie.hall.1977.720p.bluray.x264-sinners.mkv",
     4, "unmatched", None),
    ("Fury 2014 DVDScr", "Fury.2014.DVDScr.XviD.exe", 10, "rejected", "Fury"),
]

# Geography, per slot: 127.S.1.0/24 (the peers, 127.S.1.1 up) in /29
# blocks whose countries follow PATTERN (US the most), started at another
# place for each release of a title so that small swarms differ; US blocks
# alternate between two ASNs.  127.S.250.0/24 (the fakes): NL, a hosting
# ASN.  ASNs from the private range, organisations made up.
BLOCK_LEN = 29
PATTERN = ["US", "GB", "US", "DE", "FR", "US", "BR", "GB"]
ASNS = {"US": [(64512, "Testbed US Cable"), (64517, "Testbed US Wireless")],
        "GB": [(64513, "Testbed GB Broadband")], "DE": [(64514, "Testbed DE Telekom")],
        "FR": [(64515, "Testbed FR Fibre")], "BR": [(64516, "Testbed BR Movel")],
        "NL": [(64600, "Testbed NL Hosting")]}
ORG = {a: o for v in ASNS.values() for a, o in v}
FAKE_COUNTRY = "NL"
WATCH_HOST, FEED_HOST = 10, 11      # 127.S0.0.10 swarmwatch, 127.S0.0.11 the feed


Fail = tb.Fail


def log(msg):
    sys.stderr.write("scenario: %s\n" % msg)
    sys.stderr.flush()


def slug(name):
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()[:40]


# --- the plan --------------------------------------------------------------------

def split(total, shares, minimum):
    """total peers over swarms in proportion to shares, each >= minimum
    (largest remainders)."""
    total = max(total, minimum * len(shares))
    raw = [total * s / sum(shares) for s in shares]
    out = [max(minimum, int(r)) for r in raw]
    order = sorted(range(len(shares)), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    k = 0
    while sum(out) < total:
        out[order[k % len(order)]] += 1
        k += 1
    return out


def plan(scale, quick):
    swarms = []
    for title, year, article in TITLES:
        rels = [r for r in RELEASES if r[0] == title]
        want = int(round(FURY_PEERS * scale * article / TITLES[0][2]))
        for r, n in zip(rels, split(want, [r[3] for r in rels], MIN_PEERS)):
            swarms.append({"kind": "release", "title": title, "name": r[1], "file": r[2],
                           "peers": n, "link": r[4], "mix": r[5]})
    for name, file, n, expect, matches in DECOYS:
        swarms.append({"kind": "decoy", "title": None, "name": name, "file": file,
                       "peers": max(MIN_PEERS, int(round(n * scale))), "link": "magnet",
                       "mix": "", "expect": expect, "matches_by_name": matches})
    for i, s in enumerate(swarms):
        n = s["peers"]
        mix = s.pop("mix")
        if quick or not mix or n > MAX_MIXED or \
                sum(int(x.split("=")[1]) for x in mix.split(",")) + 3 > n:
            mix = ""
        modes = tb.FAKE_MODES[i % 5:] + tb.FAKE_MODES[:i % 5]   # each swarm its own first
        s["args"] = ["--peers", str(n), "--fakes", str(min(10, max(1, int(round(n * 0.08))))),
                     "--fake-modes", ",".join(modes)]
        s["args"] += ["--mix", mix] if mix else ["--clients", "libtorrent"]
        if s["title"] == "Fury" and n >= 20:      # downloading peers: half the pieces
            s["args"] += ["--partial", str(max(1, n // 20))]
        s["dir_name"] = "%02d-%s" % (i, slug(s["name"]))
        same = [x for x in swarms[:i] if x["title"] == s["title"]]
        s["geo_offset"] = len(same) if s["title"] else 3 * i
    return swarms


# --- geography ------------------------------------------------------------------

def geo_mapping(swarms):
    m = {}
    size = 1 << (32 - BLOCK_LEN)
    for s in swarms:
        S = s["slot"]
        for b in range(256 // size):
            cc = PATTERN[(b + s["geo_offset"]) % len(PATTERN)]
            asn, org = ASNS[cc][b % len(ASNS[cc])]
            m["127.%d.1.%d/%d" % (S, b * size, BLOCK_LEN)] = {"country": cc, "asn": asn,
                                                              "org": org}
        asn, org = ASNS[FAKE_COUNTRY][0]
        m["127.%d.250.0/24" % S] = {"country": FAKE_COUNTRY, "asn": asn, "org": org}
    return m


def geo_of(mapping, ip):
    """Most specific network holding ip: (country, asn), or (None, 0)."""
    a = ipaddress.ip_address(ip)
    best = None
    for cidr, v in mapping.items():
        n = ipaddress.ip_network(cidr)
        if a in n and (best is None or n.prefixlen > best[0]):
            best = (n.prefixlen, v)
    return (best[1]["country"], best[1]["asn"]) if best else (None, 0)


def check_mmdb(d, addrs, mapping):
    """Look every address up with the pure-Perl reader: the databases say
    what the truth says."""
    r = subprocess.run(["perl", GEO_LOOKUP, os.path.join(d, "country.mmdb"),
                        os.path.join(d, "asn.mmdb")], input="\n".join(addrs) + "\n",
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise Fail("geo_lookup.pl: %s" % r.stderr.strip()[-300:])
    for ip, line in zip(addrs, r.stdout.splitlines()):
        cc, asn, _ = (line.split("\t") + ["", "", ""])[:3]
        want = geo_of(mapping, ip)
        if (cc or None, int(asn or 0)) != want:
            raise Fail("mmdb says %s is %s/%s, the mapping %s/%s" % (ip, cc, asn, *want))


# --- truth ------------------------------------------------------------------------

def tally(peers, fakes, mapping):
    """Expected unique IPs per tier, per country and per ASN."""
    seen = {p["ip"] for p in peers} | {f["ip"] for f in fakes}
    conn = {p["ip"] for p in peers}
    ver = {p["ip"] for p in peers if p["have"] > 0}
    by_c, by_a = {}, {}
    for ip in seen:
        cc, asn = geo_of(mapping, ip)
        for key, table in ((cc, by_c), (asn, by_a)):
            e = table.setdefault(key, {"seen": 0, "connectable": 0, "verified": 0})
            e["seen"] += 1
            e["connectable"] += ip in conn
            e["verified"] += ip in ver
    countries = [{"country": k, "seen": v["seen"], "verified": v["verified"]}
                 for k, v in by_c.items()]
    countries.sort(key=lambda e: (-e["seen"], e["country"] or ""))
    asns = [dict(asn=k, org=ORG.get(k), **v) for k, v in by_a.items()]
    asns.sort(key=lambda e: (-e["seen"], e["asn"]))
    return {"unique_ips": {"seen": len(seen), "connectable": len(conn), "verified": len(ver)},
            "countries": countries, "asns": asns}


def build_truth(d, swarms, mapping, feed_url, listen, args):
    titles = []
    for name, year, article in TITLES:
        rels = [s for s in swarms if s["title"] == name]
        peers = [p for s in rels for p in s["truth"]["peers"]]
        fakes = [f for s in rels for f in s["truth"]["fakes"]]
        t = {"title": name, "year": year, "article_unique_ips": article, "torrents": len(rels),
             "releases": [release_entry(s, mapping) for s in rels]}
        t.update(tally(peers, fakes, mapping))
        titles.append(t)
    titles.sort(key=lambda t: -t["unique_ips"]["seen"])
    decoys = []
    for s in swarms:
        if s["kind"] != "decoy":
            continue
        e = release_entry(s, mapping)
        e.update(expect=s["expect"], matches_by_name=s["matches_by_name"])
        decoys.append(e)
    return {
        "_note": "Ground truth of tests/testbed/scenario.py (the Sony-2014 scenario); "
                 "tiers are cumulative: connectable includes verified, seen includes all",
        "scenario": "sony-2014", "scale": args.scale, "quick": args.quick,
        "dir": d, "watchlist": os.path.join(d, "watchlist.ini"),
        "database": os.path.join(d, "swarmwatch.db"),
        "country_mmdb": os.path.join(d, "country.mmdb"), "asn_mmdb": os.path.join(d, "asn.mmdb"),
        "geo": os.path.join(d, "geo.json"), "feed_url": feed_url, "listen": listen,
        "titles": titles, "decoys": decoys,
        "must_not_link": [e["infohash"] for e in decoys],
        "release_infohashes": {s["truth"]["infohash"]: s["title"] for s in swarms
                               if s["kind"] == "release"},
        "total_peers": sum(len(s["truth"]["peers"]) for s in swarms),
        "total_fakes": sum(len(s["truth"]["fakes"]) for s in swarms),
    }


def release_entry(s, mapping):
    t = s["truth"]
    e = {"infohash": t["infohash"], "name": t["name"], "file": s["file"], "slot": t["slot"],
         "dir": s["dir"], "feed_link": s["link"], "peers": len(t["peers"]),
         "fakes": len(t["fakes"]),
         "clients": sorted({p["client"] for p in t["peers"]}),
         "trackers": [x["url"] for x in t["trackers"]]}
    e.update(tally(t["peers"], t["fakes"], mapping))
    return e


# --- the feed ---------------------------------------------------------------------

RFC822 = "%a, %d %b %Y %H:%M:%S +0000"


def magnet(t):
    q = ["xt=urn:btih:" + t["infohash"], "dn=" + urllib.parse.quote(t["name"], safe="")]
    q += ["tr=" + urllib.parse.quote(x["url"], safe="") for x in t["trackers"]]
    return "magnet:?" + "&".join(q)


def feed_xml(swarms, base_url):
    x = html.escape
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<!-- swarmwatch test bed (tests/testbed/scenario.py): the Sony-2014 scenario\'s '
           'releases and decoys, each a live swarm on loopback. -->',
           '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" '
           'xmlns:torznab="http://torznab.com/schemas/2015/feed">',
           '<channel>',
           '  <title>Hot XVID DIVX torrents - swarmwatch test bed</title>',
           '  <link>%s/</link>' % x(base_url),
           '  <description>Hot XVID DIVX torrents (test bed)</description>',
           '  <atom:link href="%s/feed.xml" rel="self" type="application/rss+xml" />' % x(base_url),
           '  <language>en-us</language>', '  <ttl>1</ttl>']
    t0 = time.mktime((2014, 11, 29, 9, 0, 0, 0, 0, 0))
    for i, s in enumerate(swarms):
        t = s["truth"]
        seeds = sum(1 for p in t["peers"] if p["role"] == "seed")
        registered = len(t["peers"]) + len(t["fakes"])
        date = time.strftime(RFC822, time.gmtime(t0 + i * 5437))
        out += ['  <item>', '    <title>%s</title>' % x(t["name"]),
                '    <guid isPermaLink="false">swarmwatch-testbed-%s</guid>' % t["infohash"],
                '    <pubDate>%s</pubDate>' % date, '    <category>Movies / XviD</category>',
                '    <size>%d</size>' % t["total_size"]]
        if s["link"] == "torrent":
            # A .torrent link only, as an index without magnets writes it.
            # No infohash attribute: `watch` takes an item's infohash before
            # its .torrent link and would never fetch the file.
            url = "%s/torrents/%s.torrent" % (base_url, t["infohash"])
            out += ['    <link>%s</link>' % x(url),
                    '    <enclosure url="%s" length="%d" type="application/x-bittorrent" />'
                    % (x(url), t["total_size"])]
        else:
            m = magnet(t)
            out += ['    <link>%s</link>' % x(m),
                    '    <enclosure url="%s" length="%d" type="application/x-bittorrent" />'
                    % (x(m), t["total_size"]),
                    '    <torznab:attr name="infohash" value="%s" />' % t["infohash"],
                    '    <torznab:attr name="magneturl" value="%s" />' % x(m)]
        out += ['    <torznab:attr name="size" value="%d" />' % t["total_size"],
                '    <torznab:attr name="seeders" value="%d" />' % seeds,
                '    <torznab:attr name="peers" value="%d" />' % registered,
                '  </item>']
    out += ['</channel>', '</rss>', '']
    return "\n".join(out)


class FeedHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *a):
        sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"), fmt % a))

    def guess_type(self, path):
        if path.endswith(".xml"):
            return "application/rss+xml"
        if path.endswith(".torrent"):
            return "application/x-bittorrent"
        return super().guess_type(path)


class FeedServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def cmd_serve(args):
    """The feed server (started by `up` as a process of its own): serves
    DIR/feed/ on HOST:PORT until --until (epoch seconds) or a signal."""
    os.chdir(os.path.join(args.dir, "feed"))
    srv = FeedServer((args.host, args.port), FeedHandler)
    srv.timeout = 1.0
    sys.stderr.write("feed server on http://%s:%d/ until %.0f\n" % (args.host, args.port,
                                                                    args.until))
    sys.stderr.flush()
    while time.time() < args.until:
        srv.handle_request()
    return 0


# --- the watchlist ----------------------------------------------------------------

def example_titles():
    """The [title] sections of examples/sony-2014.ini, their keys as written
    (comments and commented-out keys dropped)."""
    out, cur = [], None
    with open(EXAMPLE) as f:
        for line in f:
            s = line.rstrip("\n")
            if s.startswith("["):
                cur = s if s.startswith("[title ") else None
                if cur:
                    out.append([cur])
                continue
            if cur and s.strip() and not s.lstrip().startswith((";", "#")):
                out[-1].append(s)
    if len(out) != len(TITLES):
        raise Fail("%s: %d [title] sections, expected %d" % (EXAMPLE, len(out), len(TITLES)))
    return out


def watchlist_ini(d, listen, feed_url):
    lines = [
        "; Generated by tests/testbed/scenario.py: the titles of examples/sony-2014.ini,",
        "; this scenario's store, feed and country database.  Loopback peers need",
        "; `swarmwatch watch --allow-private` (the allow_private key below is about",
        "; BEP 27 private torrents, which the scenario has none of).",
        "[swarmwatch]",
        "database = %s" % os.path.join(d, "swarmwatch.db"),
        "listen = %s" % listen,
        "secret = %s" % os.path.join(d, "swarmwatch.secret"),
        "retention = 90d",
        "feed_interval = 30s",
        "evidence = no",
        "allow_private = no",
        "; no DHT: the scenario has none, and the default routers are not on loopback",
        "dht = no",
        "geoip_country = %s" % os.path.join(d, "country.mmdb"),
        "geoip_asn = %s" % os.path.join(d, "asn.mmdb"),
        "",
    ]
    for sec in example_titles():
        lines += sec + [""]
    lines += ['[feed "demo"]', "url = %s" % feed_url, "interval = 30s", ""]
    for ln in lines:
        if len(ln) > 198:
            raise Fail("watchlist line over 198 bytes: %s" % ln[:60])
    return "\n".join(lines)


# --- up and down ------------------------------------------------------------------

def free_slots(n):
    """n distinct slots with no lock and no bound address.  Each testbed is
    given its own with --slot: testbeds that pick one themselves at the same
    instant can both take the same (claim_slot deems a lock whose run has
    no state.json yet stale, and the window between the two is wide when a
    dozen start at once)."""
    busy = tb.slots_in_use()
    free = [x for x in tb.SLOTS if x not in busy and
            not os.path.exists(os.path.join(tb.LOCK_DIR, "slot-%d" % x))]
    if len(free) < n:
        raise Fail("only %d free slots in %s, %d needed" % (len(free), tb.LOCK_DIR, n))
    return random.sample(free, n)


def testbed_up(s, lifetime, timeout):
    argv = ["/usr/bin/python3", TESTBED, "up", "--dir", s["dir"], "--name", s["name"],
            "--slot", str(s["want_slot"]),
            "--file", s["file"], "--piece-size", PIECE_SIZE, "--pieces", str(PIECES),
            "--lifetime", str(int(lifetime)), "--timeout", str(int(timeout))] + s["args"]
    t0 = time.time()
    with open(s["dir"] + ".up.log", "w") as errf:
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=errf, text=True,
                           timeout=timeout + 120)
    if r.returncode != 0:
        with open(s["dir"] + ".up.log") as f:
            tail = f.read()[-600:]
        raise Fail("testbed up %s (%s) failed:\n%s" % (s["dir_name"], s["name"], tail))
    s["up_seconds"] = round(time.time() - t0, 1)
    s["truth"] = tb.read_json(os.path.join(s["dir"], "truth.json"))
    s["slot"] = s["truth"]["slot"]
    return s


def cmd_up(args):
    t0 = time.time()
    d = os.path.abspath(args.dir)
    if args.scale <= 0 or args.scale > 4:
        raise tb.UsageError("--scale must be in (0, 4]")
    os.makedirs(d, exist_ok=True)
    st = tb.read_json(os.path.join(d, "scenario.json"), {})
    if st.get("state") in ("starting", "up"):
        raise Fail("%s holds a scenario that is not down: `scenario.py down --dir %s` first"
                   % (d, d))
    for f in ("truth.json", "pids", "state.json", "swarmwatch.db", "swarmwatch.db-wal",
              "swarmwatch.db-shm"):
        try:
            os.unlink(os.path.join(d, f))
        except OSError:
            pass
    swarms = plan(args.scale, args.quick)
    tbdir = os.path.join(d, "tb")
    os.makedirs(tbdir, exist_ok=True)
    for s in swarms:
        s["dir"] = os.path.join(tbdir, s["dir_name"])
    state = {"state": "starting", "started": t0, "testbeds": [s["dir"] for s in swarms]}
    tb.atomic_write(os.path.join(d, "scenario.json"), json.dumps(state, indent=1) + "\n")
    run = tb.Run(d)
    run.set_state(state="starting", started=t0)
    deadline = t0 + args.lifetime
    try:
        wd = run.spawn("watchdog", ["/usr/bin/python3", TESTBED, "_watchdog", "--dir", d,
                                    "--deadline", str(deadline)])
        run.set_state(watchdog=[wd.pid, tb.proc_stat(wd.pid)[4]], deadline=deadline)
        return _up(args, d, run, swarms, state, t0)
    except BaseException:
        log("failed: bringing down what was started")
        try:
            do_down(d, quiet=True)
        except Exception as e:       # noqa: BLE001 (report, then the first error)
            log("down: %s" % e)
        raise


def _up(args, d, run, swarms, state, t0):
    n = len(swarms)
    log("%d swarms (%d releases, %d decoys), %d peers, scale %g%s" % (
        n, sum(s["kind"] == "release" for s in swarms), sum(s["kind"] == "decoy" for s in swarms),
        sum(s["peers"] for s in swarms), args.scale, ", quick" if args.quick else ""))
    for s, slot in zip(swarms, free_slots(n)):
        s["want_slot"] = slot
    with concurrent.futures.ThreadPoolExecutor(args.parallel) as ex:
        futs = [ex.submit(testbed_up, s, args.lifetime, args.timeout) for s in swarms]
        errors = []
        for f in concurrent.futures.as_completed(futs):
            try:
                s = f.result()
                log("up %-62s slot %3d  %3d peers %2d fakes  %5.1f s" % (
                    s["name"][:62], s["slot"], len(s["truth"]["peers"]),
                    len(s["truth"]["fakes"]), s["up_seconds"]))
            except Exception as e:   # noqa: BLE001 (collected, raised below)
                errors.append(str(e))
    if errors:
        raise Fail("; ".join(errors))
    t_swarms = time.time() - t0
    log("every swarm up in %.1f s" % t_swarms)

    s0 = swarms[0]["slot"]
    listen_ip, feed_ip = "127.%d.0.%d" % (s0, WATCH_HOST), "127.%d.0.%d" % (s0, FEED_HOST)
    listen = "%s:%d" % (listen_ip, tb.pick_port(listen_ip, 6881, set()))
    feed_port = tb.pick_port(feed_ip, 8080, set(), udp=False)
    base = "http://%s:%d" % (feed_ip, feed_port)
    feed_url = base + "/feed.xml"

    # geography
    mapping = geo_mapping(swarms)
    geo_path = os.path.join(d, "geo.json")
    tb.atomic_write(geo_path, json.dumps(mapping, indent=1, sort_keys=True) + "\n")
    if not os.path.exists(MAKE_MMDB):
        raise Fail("%s is missing: cannot write the country and ASN databases" % MAKE_MMDB)
    r = subprocess.run(["perl", MAKE_MMDB, "--mapping", geo_path,
                        "--country", os.path.join(d, "country.mmdb"),
                        "--asn", os.path.join(d, "asn.mmdb")],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise Fail("make_geo_mmdb.pl: %s" % r.stderr.strip()[-400:])
    addrs = [p["ip"] for s in swarms for p in s["truth"]["peers"]]
    addrs += [f["ip"] for s in swarms for f in s["truth"]["fakes"]]
    check_mmdb(d, addrs, mapping)

    # the feed, its .torrent files, the server
    fdir = os.path.join(d, "feed")
    os.makedirs(os.path.join(fdir, "torrents"), exist_ok=True)
    for s in swarms:
        with open(s["truth"]["torrent"], "rb") as f:
            data = f.read()
        with open(os.path.join(fdir, "torrents", s["truth"]["infohash"] + ".torrent"), "wb") as f:
            f.write(data)
    tb.atomic_write(os.path.join(fdir, "feed.xml"), feed_xml(swarms, base))
    srv = run.spawn("feed-server", ["/usr/bin/python3", os.path.abspath(__file__), "_serve",
                                    "--dir", d, "--host", feed_ip, "--port", str(feed_port),
                                    "--until", str(t0 + args.lifetime)])

    def feed_ok():
        if srv.poll() is not None:
            raise Fail("the feed server exited (%s): see %s/logs/feed-server.log"
                       % (srv.returncode, d))
        try:
            with urllib.request.urlopen(feed_url, timeout=2) as resp:
                return resp.status == 200 and b"<rss" in resp.read(4096)
        except OSError:
            return False
    tb.wait_until(feed_ok, 20, what="the feed server to answer")

    # the watchlist and the truth
    tb.atomic_write(os.path.join(d, "watchlist.ini"), watchlist_ini(d, listen, feed_url))
    truth = build_truth(d, swarms, mapping, feed_url, listen, args)
    truth["feed_server_pid"] = srv.pid
    truth["up_seconds"] = round(time.time() - t0, 1)
    truth["swarms_up_seconds"] = round(t_swarms, 1)
    truth["started"], truth["deadline"] = t0, t0 + args.lifetime
    tb.atomic_write(os.path.join(d, "truth.json"), json.dumps(truth, indent=1) + "\n")
    state.update(state="up", ready=time.time(), feed_url=feed_url, listen=listen)
    tb.atomic_write(os.path.join(d, "scenario.json"), json.dumps(state, indent=1) + "\n")
    run.set_state(state="up")
    log("up in %.1f s: %s" % (time.time() - t0, os.path.join(d, "truth.json")))
    print(json.dumps({"dir": d, "truth": os.path.join(d, "truth.json"),
                      "watchlist": truth["watchlist"], "feed": feed_url, "listen": listen,
                      "swarms": n, "peers": truth["total_peers"], "fakes": truth["total_fakes"],
                      "seconds": truth["up_seconds"]}))
    return 0


def do_down(d, quiet=False):
    d = os.path.abspath(d)
    st = tb.read_json(os.path.join(d, "scenario.json"), {})
    dirs = st.get("testbeds", [])
    if not dirs and os.path.isdir(os.path.join(d, "tb")):
        dirs = [os.path.join(d, "tb", x) for x in sorted(os.listdir(os.path.join(d, "tb")))
                if os.path.isdir(os.path.join(d, "tb", x))]
    res = {"dir": d, "testbeds": 0, "recorded": 0, "killed_hard": 0, "still_alive": []}

    def one(x):
        if not os.path.exists(os.path.join(x, "pids")):
            return None
        r = subprocess.run(["/usr/bin/python3", TESTBED, "down", "--dir", x],
                           capture_output=True, text=True, timeout=120)
        try:
            return json.loads(r.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return {"still_alive": ["? %s: %s" % (x, r.stderr.strip()[-200:])]}
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        for r in ex.map(one, dirs):
            if r is None:
                continue
            res["testbeds"] += 1
            res["recorded"] += r.get("recorded", 0)
            res["killed_hard"] += r.get("killed_hard", 0)
            res["still_alive"] += r.get("still_alive", [])
    own = tb.down(tb.Run(d), quiet=True) if os.path.exists(os.path.join(d, "pids")) else {}
    res["own_processes"] = own.get("recorded", 0)
    res["still_alive"] += own.get("still_alive", [])
    if st:
        st["state"] = "down"
        tb.atomic_write(os.path.join(d, "scenario.json"), json.dumps(st, indent=1) + "\n")
    if not quiet:
        print(json.dumps(res))
    if res["still_alive"]:
        raise Fail("processes still alive: %s" % res["still_alive"])
    return res


def cmd_down(args):
    do_down(args.dir)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(prog="scenario.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up", help="start every swarm, the feed; write truth and watchlist")
    up.add_argument("--dir", required=True)
    up.add_argument("--scale", type=float, default=1.0,
                    help="peers relative to the default (Fury 200, 265 in all)")
    up.add_argument("--quick", action="store_true", help="libtorrent peers only")
    up.add_argument("--lifetime", type=float, default=900,
                    help="everything ends after this many seconds (default 900)")
    up.add_argument("--timeout", type=float, default=150,
                    help="each testbed's wait for its peers to register")
    up.add_argument("--parallel", type=int, default=16,
                    help="testbeds started at once (default 16: all)")
    dn = sub.add_parser("down", help="end every process of the scenario")
    dn.add_argument("--dir", required=True)
    sv = sub.add_parser("_serve")
    sv.add_argument("--dir", required=True)
    sv.add_argument("--host", required=True)
    sv.add_argument("--port", type=int, required=True)
    sv.add_argument("--until", type=float, required=True)
    args = ap.parse_args(argv)
    try:
        if args.cmd == "up":
            return cmd_up(args)
        if args.cmd == "down":
            return cmd_down(args)
        return cmd_serve(args)
    except tb.UsageError as e:
        log(str(e))
        return 2
    except (Fail, tb.Fail) as e:
        log(str(e))
        return 1


if __name__ == "__main__":
    sys.exit(main())
