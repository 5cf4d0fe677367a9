#!/usr/bin/python3
"""make_torrents.py - real .torrent files from three implementations, with
ground truth computed by libtorrent.

Usage:  /usr/bin/python3 tests/testbed/make_torrents.py OUTDIR
        /usr/bin/python3 tests/testbed/make_torrents.py --export REPO_ROOT

--export rewrites the static copies under REPO_ROOT/tests: the fixtures in
tests/fixtures/torrents/ (a dozen torrents and their truth.json) and the
libFuzzer seeds in tests/fuzz/corpus/{metainfo,magnet,bencode}/ (the latter
also takes the KRPC captures in tests/fixtures/dht/*.bin; run
tests/fixtures/dht/capture_krpc.py first to refresh those).

Run it with Debian's /usr/bin/python3: that is the interpreter that has the
python3-libtorrent module (libtorrent 2.0.8).

Writes into OUTDIR (created if missing):

  content/          deterministic files: nested dirs, non-ASCII names
                    ("Ünïcode 日本語/файл.bin"), an empty file, files larger
                    than a piece, odd sizes that force BEP 47 pad files in
                    hybrid torrents, an executable file (libtorrent writes
                    attr "x" for it, which is NOT a pad file)
  torrents/*.torrent  made by mktorrent (mk_*), transmission-create (tr_*)
                    and python3-libtorrent (lt_v1_*, lt_v2_*, lt_hybrid_*)
  truth.json        {"_note": "...", "<file>.torrent": RECORD, ...}
  magnets.json      {"_note": "...", "<id>": {"uri": ..., "expect": RECORD}}

RECORD has exactly the shape of `swarmwatch info --json`:

  {"infohash": 40 hex (v1, or the v2 hash truncated to 20 bytes),
   "infohash_v1": 40 hex | null, "infohash_v2": 64 hex | null,
   "name": str, "total_size": int | null, "piece_length": int | null,
   "num_pieces": int | null, "private": bool,
   "files": [{"path": str, "size": int}], "trackers": [[url, ...], ...]}

plus informational keys that start with "_" (callers skip them).

How the truth is derived (all from libtorrent's own parse of the file,
lt.torrent_info, except where noted):

  * infohash_v1 / infohash_v2: info_hashes().v1 / .v2 (null when absent).
  * name, piece_length, num_pieces, private: torrent_info's accessors.
  * files: libtorrent's file list minus pad files (file_flags & pad_file),
    in libtorrent's order (the v1 "files" order; for v2-only torrents the
    file-tree order).  files[].path is the path INSIDE the torrent, "/"
    separated, WITHOUT the torrent's root name: "sub/dir/file.bin", not
    "swarmwatch-multi/sub/dir/file.bin".  A single-file torrent has one
    entry whose path is the name.
  * total_size: libtorrent's total_size(), which COUNTS pad files: the
    BEP 47 pad files of v1/hybrid torrents and, for v2-only torrents, the
    padding of every file but the last to a piece boundary that libtorrent
    synthesises (BEP 52 pieces never span files), e.g. a 100000-byte v2
    single-file torrent with 16 KiB pieces reports 114688.  So total_size
    can exceed the sum of files[].size; that sum (content bytes) is kept as
    "_content_size".
  * trackers: the tiers libtorrent reports (announce_entry.tier), with the
    URLs of each tier in the order the FILE lists them.  libtorrent shuffles
    URLs within a tier when it loads a torrent (BEP 12), so its own order is
    random; the script checks that its per-tier sets equal the file's.
  * magnets: each tr= is its own tier, as lt.parse_magnet_uri reports;
    total_size, piece_length and num_pieces are null, files is [], private
    is false.  The script checks its expectations against parse_magnet_uri.

Determinism: content bytes, names and the libtorrent and mktorrent (-d)
outputs are byte-for-byte reproducible; transmission-create always writes a
"creation date", which is outside the info dict, so its infohashes are
stable too.
"""

import base64
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import urllib.parse

import libtorrent as lt

# --- content -----------------------------------------------------------------

SINGLE_LARGE = "single-large.bin"          # 100000 bytes: several pieces
SINGLE_TINY = "tiny.txt"                   # 13 bytes
SINGLE_UNICODE = "Ünïcode 日本語 файл.bin"  # 4000 bytes
MULTI = "swarmwatch-multi"
UNICODE_ROOT = "Фильм.2014.DVDScr.XVID-日本"

# (path relative to content/, size, executable)
CONTENT = [
    (SINGLE_LARGE, 100000, False),
    (SINGLE_TINY, 13, False),
    (SINGLE_UNICODE, 4000, False),
    (MULTI + "/a.txt", 1, False),
    (MULTI + "/empty.txt", 0, False),
    (MULTI + "/Ünïcode 日本語/файл.bin", 3000, False),
    (MULTI + "/sizes/odd-12345.bin", 12345, False),
    (MULTI + "/sizes/odd-40001.bin", 40001, False),
    (MULTI + "/sub/dir/deep/nested.dat", 70000, False),
    (MULTI + "/tools/run.sh", 200, True),
    (UNICODE_ROOT + "/Фильм.avi", 50000, False),
    (UNICODE_ROOT + "/subs/日本語.srt", 777, False),
]

TRACKERS_3TIERS = [
    ["http://tracker-a.example:6969/announce",
     "udp://tracker-b.example:1337/announce"],
    ["udp://[::1]:6969/announce"],
    ["https://tracker-c.example/announce?passkey=abc123&x=1",
     "http://tracker-d.example/an%C3%BCnce",
     "udp://127.0.0.1:6881/announce"],
]
WEB_SEEDS = ["http://seed.example/files/", "https://seed2.example/x/"]


def det_bytes(label, size):
    """size deterministic pseudo-random bytes derived from label."""
    out = bytearray()
    ctr = 0
    seed = label.encode()
    while len(out) < size:
        out += hashlib.sha256(seed + ctr.to_bytes(8, "big")).digest()
        ctr += 1
    return bytes(out[:size])


def make_content(root):
    for rel, size, exe in CONTENT:
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(det_bytes(rel, size))
        os.chmod(p, 0o755 if exe else 0o644)


# --- the three implementations ------------------------------------------------

def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def mktorrent(out, target, tiers=(), webseeds=(), private=False, log2=15):
    cmd = ["mktorrent", "-d", "-l", str(log2), "-o", out]
    for tier in tiers:
        cmd += ["-a", ",".join(tier)]
    for w in webseeds:
        cmd += ["-w", w]
    if private:
        cmd.append("-p")
    cmd.append(target)
    run(cmd)


def transmission(out, target, trackers=(), private=False, kib=None):
    cmd = ["transmission-create", "-o", out]
    for t in trackers:
        cmd += ["-t", t]
    if private:
        cmd.append("-p")
    if kib:
        cmd += ["-s", str(kib)]
    cmd.append(target)
    run(cmd)


LT_FLAGS = {"v1": lt.create_torrent.v1_only, "v2": lt.create_torrent.v2_only,
            "hybrid": 0}


def libtorrent_create(out, content_root, rel, kind, piece, tiers=(),
                      webseeds=(), private=False):
    fs = lt.file_storage()
    lt.add_files(fs, os.path.join(content_root, rel))
    ct = lt.create_torrent(fs, piece, flags=LT_FLAGS[kind])
    for tier_idx, tier in enumerate(tiers):
        for url in tier:
            ct.add_tracker(url, tier_idx)
    for w in webseeds:
        ct.add_url_seed(w)
    ct.set_priv(private)
    ct.set_creator("swarmwatch tests/testbed/make_torrents.py")
    ct.set_comment("fixture for swarmwatch: Ünïcode 日本語")
    lt.set_piece_hashes(ct, os.path.dirname(os.path.join(content_root, rel)))
    e = ct.generate()
    e.pop(b"creation date", None)  # outside info: keeps the file reproducible
    with open(out, "wb") as f:
        f.write(lt.bencode(e))


# --- truth ---------------------------------------------------------------------

TRUTH_NOTE = (
    "Made by tests/testbed/make_torrents.py; values computed by libtorrent "
    "2.0.8 (lt.torrent_info). Keys starting with '_' are informational. "
    "files: pad files (BEP 47) excluded; path is the path inside the "
    "torrent, '/'-separated, WITHOUT the torrent's root name for multi-file "
    "torrents (\"sub/dir/file.bin\"); for a single-file torrent it is the "
    "name. total_size: libtorrent's total_size(), which counts padding "
    "(BEP 47 pad files; for v2, files padded to piece boundaries), so it can "
    "exceed the sum of files[].size; that sum is _content_size. trackers: "
    "libtorrent's tiers, URLs within a tier in file order (libtorrent itself "
    "shuffles them). infohash: v1, or the v2 hash truncated to 40 hex digits "
    "for v2-only torrents.")


def file_tiers(raw):
    """Tiers as the file lists them (BEP 12: announce-list wins)."""
    al = raw.get(b"announce-list")
    tiers = []
    if isinstance(al, list):
        tiers = [[u.decode() for u in tier if isinstance(u, bytes)]
                 for tier in al if isinstance(tier, list)]
        tiers = [t for t in tiers if t]
    if not tiers and isinstance(raw.get(b"announce"), bytes):
        tiers = [[raw[b"announce"].decode()]]
    return tiers


def truth_for(path):
    with open(path, "rb") as f:
        data = f.read()
    raw = lt.bdecode(data)
    info = raw[b"info"]
    ti = lt.torrent_info(path)
    ih = ti.info_hashes()
    v1 = str(ih.v1) if ih.has_v1() else None
    v2 = str(ih.v2) if ih.has_v2() else None
    name = ti.name()

    if b"files" in info:
        multi = True
    elif b"length" in info:
        multi = False
    else:  # v2-only: single file iff the tree is {name: {"": {...}}}
        tree = info[b"file tree"]
        multi = not (len(tree) == 1 and b"" in next(iter(tree.values())))

    fs = ti.files()
    files = []
    for i in range(fs.num_files()):
        if fs.file_flags(i) & lt.file_storage.flag_pad_file:
            continue
        p = fs.file_path(i).replace(os.sep, "/")
        if multi:
            assert p.startswith(name + "/"), (path, p)
            p = p[len(name) + 1:]
        else:
            assert p == name, (path, p, name)
        files.append({"path": p, "size": fs.file_size(i)})

    # libtorrent's tiers, ordered within each tier as in the file.
    lt_tiers = {}
    for ae in ti.trackers():
        lt_tiers.setdefault(ae.tier, []).append(ae.url)
    ordered = [lt_tiers[k] for k in sorted(lt_tiers)]
    ftiers = file_tiers(raw)
    assert [sorted(t) for t in ordered] == [sorted(t) for t in ftiers], \
        (path, ordered, ftiers)

    return {
        "infohash": v1 if v1 else v2[:40],
        "infohash_v1": v1,
        "infohash_v2": v2,
        "name": name,
        "total_size": ti.total_size(),
        "piece_length": ti.piece_length(),
        "num_pieces": ti.num_pieces(),
        "private": bool(ti.priv()),
        "files": files,
        "trackers": ftiers,
        "_content_size": sum(f["size"] for f in files),
    }


# --- magnets -------------------------------------------------------------------

def q(s):
    return urllib.parse.quote(s, safe="")


def magnet_record(ih_v1, ih_v2, name, trackers):
    return {
        "infohash": ih_v1 if ih_v1 else ih_v2[:40],
        "infohash_v1": ih_v1,
        "infohash_v2": ih_v2,
        "name": name,
        "total_size": None,
        "piece_length": None,
        "num_pieces": None,
        "private": False,
        "files": [],
        "trackers": [[t] for t in trackers],
    }


def make_magnets(truth):
    def t(fname):
        return truth[fname]

    v1m = t("lt_v1_multi.torrent")
    v1s = t("mk_single_unicode.torrent")
    v2m = t("lt_v2_multi.torrent")
    v2s = t("lt_v2_single.torrent")
    hy = t("lt_hybrid_unicode_root.torrent")
    trm = t("tr_multi.torrent")
    tr3 = ["http://tracker-a.example:6969/announce",
           "udp://tracker-b.example:1337/announce",
           "udp://[::1]:6969/announce"]
    b32 = lambda h: base64.b32encode(bytes.fromhex(h)).decode()

    m = {}

    def add(mid, uri, v1, v2, name, trackers, check_name=True):
        rec = magnet_record(v1, v2, name, trackers)
        # Self-check against libtorrent's magnet parser.
        p = lt.parse_magnet_uri(uri)
        assert (str(p.info_hashes.v1) if p.info_hashes.has_v1() else None) == v1, mid
        assert (str(p.info_hashes.v2) if p.info_hashes.has_v2() else None) == v2, mid
        assert list(p.trackers) == list(trackers), (mid, p.trackers)
        assert list(p.tracker_tiers) == list(range(len(trackers))) or \
            not trackers, (mid, p.tracker_tiers)
        if check_name:
            assert p.name == name, (mid, p.name, name)
        else:
            rec["_name_unchecked"] = True
        m[mid] = {"uri": uri, "expect": rec}

    h = v1m["infohash_v1"]
    add("m01_hex_v1", "magnet:?xt=urn:btih:%s&dn=%s&tr=%s&tr=%s" %
        (h, q(v1m["name"]), q(tr3[0]), q(tr3[1])),
        h, None, v1m["name"], tr3[:2])
    add("m02_base32_v1", "magnet:?xt=urn:btih:%s&dn=%s&tr=%s" %
        (b32(h), q(v1m["name"]), q(tr3[2])),
        h, None, v1m["name"], tr3[2:3])
    h = v1s["infohash_v1"]
    add("m03_hex_upper_unicode_dn", "magnet:?xt=urn:btih:%s&dn=%s" %
        (h.upper(), q(v1s["name"])), h, None, v1s["name"], [])
    add("m04_base32_unicode_dn_3tr", "magnet:?xt=urn:btih:%s&dn=%s&tr=%s&tr=%s&tr=%s" %
        (b32(h), q(v1s["name"]), q(tr3[0]), q(tr3[1]), q(tr3[2])),
        h, None, v1s["name"], tr3)
    h = v2m["infohash_v2"]
    add("m05_btmh_v2", "magnet:?xt=urn:btmh:1220%s&dn=%s&tr=%s" %
        (h, q(v2m["name"]), q(tr3[0])), None, h, v2m["name"], tr3[:1])
    h = v2s["infohash_v2"]
    add("m06_btmh_v2_single", "magnet:?xt=urn:btmh:1220%s&dn=%s" %
        (h, q(v2s["name"])), None, h, v2s["name"], [])
    add("m07_hybrid_btih_btmh", "magnet:?xt=urn:btih:%s&xt=urn:btmh:1220%s&dn=%s&tr=%s&tr=%s" %
        (hy["infohash_v1"], hy["infohash_v2"], q(hy["name"]), q(tr3[1]), q(tr3[2])),
        hy["infohash_v1"], hy["infohash_v2"], hy["name"], tr3[1:])
    add("m08_hybrid_btmh_first", "magnet:?xt=urn:btmh:1220%s&xt=urn:btih:%s&dn=%s" %
        (hy["infohash_v2"], hy["infohash_v1"], q(hy["name"])),
        hy["infohash_v1"], hy["infohash_v2"], hy["name"], [])
    h = trm["infohash_v1"]
    # tr before xt, unencoded tracker URLs (common in the wild), and a ws=.
    add("m09_tr_first_raw_urls", "magnet:?tr=%s&tr=%s&xt=urn:btih:%s&dn=%s&ws=%s" %
        ("http://tracker-a.example:6969/announce", "udp://tracker-b.example:1337/announce",
         h, q(trm["name"]), q(WEB_SEEDS[0])),
        h, None, trm["name"], ["http://tracker-a.example:6969/announce",
                                "udp://tracker-b.example:1337/announce"])
    add("m10_no_dn", "magnet:?xt=urn:btih:%s&tr=%s" % (h, q(tr3[0])),
        h, None, "", tr3[:1], check_name=False)
    return m


# --- the set of torrents ---------------------------------------------------------

def build(outdir):
    content = os.path.join(outdir, "content")
    tdir = os.path.join(outdir, "torrents")
    if os.path.exists(content):
        shutil.rmtree(content)
    os.makedirs(tdir, exist_ok=True)
    make_content(content)

    C = lambda rel: os.path.join(content, rel)
    T = lambda name: os.path.join(tdir, name)
    gen = {}

    # mktorrent: -a A,B is one tier, each -a another tier; -d no date.
    mktorrent(T("mk_single_tiers.torrent"), C(SINGLE_LARGE),
              tiers=TRACKERS_3TIERS[:2], webseeds=WEB_SEEDS, log2=15)
    mktorrent(T("mk_single_one_tracker.torrent"), C(SINGLE_TINY),
              tiers=[TRACKERS_3TIERS[0][:1]])
    mktorrent(T("mk_single_unicode.torrent"), C(SINGLE_UNICODE),
              tiers=[[TRACKERS_3TIERS[0][0]], [TRACKERS_3TIERS[1][0]]])
    mktorrent(T("mk_multi.torrent"), C(MULTI), tiers=TRACKERS_3TIERS,
              webseeds=WEB_SEEDS[:1], log2=15)
    mktorrent(T("mk_multi_private.torrent"), C(MULTI),
              tiers=[TRACKERS_3TIERS[0]], private=True, log2=16)
    mktorrent(T("mk_multi_unicode_root.torrent"), C(UNICODE_ROOT),
              tiers=[TRACKERS_3TIERS[2]], log2=15)
    for n in list(os.listdir(tdir)):
        gen[n] = "mktorrent 1.1"

    # transmission-create: each -t is its own tier.
    transmission(T("tr_single.torrent"), C(SINGLE_LARGE),
                 trackers=[TRACKERS_3TIERS[0][0], TRACKERS_3TIERS[1][0]])
    transmission(T("tr_single_no_tracker.torrent"), C(SINGLE_TINY))
    transmission(T("tr_multi.torrent"), C(MULTI),
                 trackers=[u for tier in TRACKERS_3TIERS for u in tier][:3])
    transmission(T("tr_multi_private.torrent"), C(MULTI),
                 trackers=[TRACKERS_3TIERS[2][0]], private=True, kib=16)
    transmission(T("tr_multi_unicode_root.torrent"), C(UNICODE_ROOT),
                 trackers=[TRACKERS_3TIERS[0][1]])
    for n in os.listdir(tdir):
        gen.setdefault(n, "transmission-create 3.00")

    # python3-libtorrent: v1-only, v2-only and hybrid.
    for kind in ("v1", "v2", "hybrid"):
        libtorrent_create(T("lt_%s_single.torrent" % kind), content,
                          SINGLE_LARGE, kind, 16384, tiers=TRACKERS_3TIERS,
                          webseeds=WEB_SEEDS)
        libtorrent_create(T("lt_%s_multi.torrent" % kind), content, MULTI,
                          kind, 16384, tiers=TRACKERS_3TIERS,
                          webseeds=WEB_SEEDS[:1])
        libtorrent_create(T("lt_%s_multi_private.torrent" % kind), content,
                          MULTI, kind, 32768, tiers=TRACKERS_3TIERS[:1],
                          private=True)
    libtorrent_create(T("lt_v1_no_tracker.torrent"), content, SINGLE_TINY,
                      "v1", 16384)
    libtorrent_create(T("lt_v2_unicode_single.torrent"), content,
                      SINGLE_UNICODE, "v2", 16384, tiers=TRACKERS_3TIERS[1:])
    libtorrent_create(T("lt_hybrid_unicode_root.torrent"), content,
                      UNICODE_ROOT, "hybrid", 16384,
                      tiers=[TRACKERS_3TIERS[0], TRACKERS_3TIERS[2]])
    for n in os.listdir(tdir):
        gen.setdefault(n, "python3-libtorrent %s" % lt.__version__)

    truth = {"_note": TRUTH_NOTE}
    for n in sorted(os.listdir(tdir)):
        if not n.endswith(".torrent"):
            continue
        rec = truth_for(T(n))
        rec["_generator"] = gen.get(n, "?")
        truth[n] = rec
    with open(os.path.join(outdir, "truth.json"), "w", encoding="utf-8") as f:
        json.dump(truth, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")

    magnets = {"_note": "each entry: uri, and expect in the shape of "
               "`swarmwatch info --json`; each tr= is its own tier; "
               "_name_unchecked means the magnet has no dn"}
    magnets.update(make_magnets(truth))
    with open(os.path.join(outdir, "magnets.json"), "w", encoding="utf-8") as f:
        json.dump(magnets, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")
    return truth, magnets


# --- static fixtures and fuzz seeds (--export) ------------------------------------

FIXTURES = [
    "mk_single_tiers.torrent", "mk_multi.torrent", "mk_multi_unicode_root.torrent",
    "tr_multi.torrent", "tr_multi_private.torrent", "tr_single_no_tracker.torrent",
    "lt_v1_multi.torrent", "lt_v2_single.torrent", "lt_v2_multi.torrent",
    "lt_v2_multi_private.torrent", "lt_hybrid_multi.torrent",
    "lt_hybrid_unicode_root.torrent",
]


def benc(v):
    """bencode keeping the given dict order (seeds may be unsorted)."""
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(benc(x) for x in v) + b"e"
    return b"d" + b"".join(benc(k) + benc(x) for k, x in v.items()) + b"e"


def handmade_metainfo():
    """Small hand-made torrents for code paths the generators never take."""
    p20 = hashlib.sha1(b"piece").digest()
    one = {"length": 5, "name": "a.txt", "piece length": 16384, "pieces": p20}
    return {
        "hm_minimal_v1.torrent": {"info": one},
        "hm_announce_only.torrent": {"announce": "udp://t.example:80", "info": one},
        "hm_announce_list_empty_tier.torrent": {
            "announce": "http://not-in-list.example/a",
            "announce-list": [[], ["http://a.example/a", "http://b.example/a"], []],
            "info": one},
        "hm_unsorted_keys_extras.torrent": {
            "info": {"piece length": 16384, "pieces": p20, "name": "a.txt",
                     "length": 5, "private": 0, "source": "SW"},
            "announce": "http://a.example/a", "url-list": "http://ws.example/a.txt",
            "httpseeds": ["http://hs.example/seed"], "comment": "unsorted",
            "nodes": [["127.0.0.1", 6881], ["::1", 6882]],
            "encoding": "UTF-8"},
        "hm_utf8_keys.torrent": {"info": {
            "files": [{"length": 3, "path": ["d", "f"], "path.utf-8": ["д", "ф"]}],
            "name": "n", "name.utf-8": "名前", "piece length": 16384, "pieces": p20}},
        "hm_attrs.torrent": {"info": {
            "files": [{"length": 3, "path": ["x"], "attr": "x"},
                      {"length": 2, "path": ["h"], "attr": "h"},
                      {"length": 16379, "path": [".pad", "16379"], "attr": "p"},
                      {"length": 0, "path": ["l"], "attr": "l",
                       "symlink path": ["x"]},
                      {"length": 4, "path": ["m"], "md5sum": "0" * 32}],
            "name": "attrs", "piece length": 16384, "pieces": p20 * 2}},
    }


EXTRA_MAGNETS = [
    "magnet:?xt=urn:btih:{v1}",
    "magnet:?xt=urn:btih:{b32lower}&dn=lower+case+base32",
    "magnet:?xt=urn:btih:{v1}&dn=a%2Bb+c%20d&xl=125547&tr=udp%3A%2F%2Ft.example%3A80",
    "magnet:?xt=urn:btih:{v1}&x.pe=127.0.0.2:6881&x.pe=[::1]:6881&ws=http%3A%2F%2Fws.example%2F",
    "magnet:?xt=urn:btih:{v1}&tr.1=http%3A%2F%2Fa.example%2Fa&tr.2=http%3A%2F%2Fb.example%2Fa",
    "magnet:?xt.1=urn:btih:{v1}&xt.2=urn:btih:{v1b}",
    "magnet:?xt=urn:btih:{v1}&so=0,2,4-6&kt=fury+2014&as=http%3A%2F%2Fx.example%2Ff",
    "magnet:?xt=urn:btmh:1220{v2}&xt=urn:btih:{v1}&dn=%E6%97%A5%E6%9C%AC",
    "magnet:?xt=urn:btih:{v1}&dn=%E6%97%A5%",
    "magnet:?xt=urn:btih:{v1}&dn=%zz%00",
    "magnet:?xt=urn:btih:{v1_39}",
    "magnet:?xt=urn:btmh:1114{v1}",
    "magnet:?dn=no+xt&tr=http%3A%2F%2Fa.example%2Fa",
    "magnet:?xt=urn:sha1:{v1}&xt=urn:btih:{v1}&&&dn=&tr=",
]


def handmade_bencode():
    return {
        "int_zero.ben": b"i0e", "int_min.ben": b"i-9223372036854775808e",
        "int_max.ben": b"i9223372036854775807e", "empty_list.ben": b"le",
        "empty_dict.ben": b"de", "empty_string.ben": b"0:",
        "nested_10.ben": b"l" * 10 + b"i1e" + b"e" * 10,
        "mixed.ben": b"d1:ai1e1:bli1ei2e3:xyze1:cd1:dde1:el0:0:ee",
        "binary_string.ben": b"20:" + hashlib.sha1(b"bin").digest(),
    }


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def export(repo):
    """(Re)write the static fixtures and the seed corpora under repo/tests."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        truth, magnets = build(tmp)
        src = os.path.join(tmp, "torrents")
        fx = os.path.join(repo, "tests", "fixtures", "torrents")
        os.makedirs(fx, exist_ok=True)
        sub = {"_note": TRUTH_NOTE}
        for n in FIXTURES:
            shutil.copy(os.path.join(src, n), os.path.join(fx, n))
            sub[n] = truth[n]
        with open(os.path.join(fx, "truth.json"), "w", encoding="utf-8") as f:
            json.dump(sub, f, ensure_ascii=False, indent=1, sort_keys=True)
            f.write("\n")

        corpus = os.path.join(repo, "tests", "fuzz", "corpus")
        meta = os.path.join(corpus, "metainfo")
        for n in sorted(os.listdir(src)):
            with open(os.path.join(src, n), "rb") as f:
                data = f.read()
            assert len(data) < 65536, n
            write(os.path.join(meta, n), data)
        for n, v in handmade_metainfo().items():
            write(os.path.join(meta, n), benc(v))

        mag = os.path.join(corpus, "magnet")
        uris = [m["uri"] for k, m in sorted(magnets.items()) if not k.startswith("_")]
        v1 = truth["mk_multi.torrent"]["infohash_v1"]
        fill = {"v1": v1, "v1b": truth["tr_multi.torrent"]["infohash_v1"],
                "v1_39": v1[:39], "v2": truth["lt_v2_multi.torrent"]["infohash_v2"],
                "b32lower": base64.b32encode(bytes.fromhex(v1)).decode().lower()}
        uris += [u.format(**fill) for u in EXTRA_MAGNETS]
        for i, u in enumerate(uris, 1):
            write(os.path.join(mag, "magnet_%02d.txt" % i), u.encode() + b"\n")

        ben = os.path.join(corpus, "bencode")
        os.makedirs(ben, exist_ok=True)
        for n in ("mk_single_tiers.torrent", "mk_multi.torrent", "tr_multi.torrent",
                  "lt_v1_single.torrent", "lt_v2_multi.torrent",
                  "lt_hybrid_unicode_root.torrent"):
            shutil.copy(os.path.join(src, n), os.path.join(ben, n))
        for n, data in handmade_bencode().items():
            write(os.path.join(ben, n), data)
        dht = os.path.join(repo, "tests", "fixtures", "dht")
        ndht = 0
        for n in sorted(os.listdir(dht)) if os.path.isdir(dht) else []:
            if n.endswith(".bin"):
                shutil.copy(os.path.join(dht, n), os.path.join(ben, "krpc_" + n))
                ndht += 1
    print("fixtures: %d torrents; corpus: %d metainfo, %d magnet, bencode with %d KRPC"
          % (len(FIXTURES), len(os.listdir(meta)), len(uris), ndht))


def main(argv):
    if len(argv) == 3 and argv[1] == "--export":
        export(argv[2])
        return 0
    if len(argv) != 2 or argv[1].startswith("-"):
        sys.stderr.write("usage: /usr/bin/python3 %s OUTDIR\n"
                         "       /usr/bin/python3 %s --export REPO_ROOT\n"
                         % (argv[0], argv[0]))
        return 2
    truth, magnets = build(argv[1])
    print("%d torrents, %d magnets in %s" % (len(truth) - 1, len(magnets) - 1,
                                              argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
