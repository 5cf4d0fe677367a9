#!/usr/bin/python3
"""make_torrents.py - the .torrent half of the bencode benchmark corpus.

Usage:  /usr/bin/python3 bench/corpus/make_torrents.py [OUTDIR]
        (default OUTDIR: bench/corpus/torrents)

Run it with Debian's /usr/bin/python3, the interpreter that has
python3-libtorrent (2.0.8).  It also needs mktorrent and
transmission-create (both Debian packages).

The torrents are real: made by the three tools people use, over
deterministic content (a seeded PRNG) written to a temporary directory and
deleted afterwards.  The mix is chosen to cover what a decoder meets:

  lt_v1_single_small   one 300 KB file, trackers, web seeds, comment
  lt_v1_single_large   one 48 MiB file, 16 KiB pieces: a 60 KB "pieces"
  lt_v1_multi_many     1,500 small files in nested dirs: token-heavy
  lt_v2_multi          v2-only, 24 files up to 6 MiB: file tree + piece layers
  lt_v2_single_large   v2-only, one 48 MiB file: a 96 KB piece layer
  lt_hybrid_multi      v1+v2, 400 files (pad files, file tree, piece layers)
  lt_hybrid_mixed      v1+v2, a few large and many small files
  mk_single, mk_multi_many   mktorrent 1.1 (-d: no date)
  tr_single, tr_multi_many   transmission-create 3.00

libtorrent and mktorrent outputs are byte-for-byte reproducible ("creation
date" is dropped); transmission-create always stamps the date, so its two
files differ between runs by those bytes only.  Runs in ~5 s; the output
is ~840 KB and is checked in, so the benchmark does not need to run this.
"""
import os
import random
import shutil
import subprocess
import sys
import tempfile

import libtorrent as lt

HERE = os.path.dirname(os.path.abspath(__file__))
TRACKERS = [["udp://tracker.example.org:6969/announce",
             "http://tracker.example.org/announce"],
            ["udp://backup.example.net:1337/announce"]]
WEBSEEDS = ["http://mirror.example.com/pub/"]
MiB = 1 << 20


def det_bytes(seed, size):
    return random.Random(seed).randbytes(size)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def make_many(root, name, nfiles, seed, lo=1000, hi=50000, big=()):
    """nfiles small files spread over nested dirs, plus the sizes in big."""
    rnd = random.Random(seed)
    base = os.path.join(root, name)
    for i in range(nfiles):
        d = "disc%d/part-%02d" % (i % 3, (i // 3) % 17)
        size = rnd.randrange(lo, hi)
        write(os.path.join(base, d, "track %04d - item.flac" % i),
              det_bytes(seed * 100000 + i, size))
    for j, size in enumerate(big):
        write(os.path.join(base, "video", "episode.%02d.mkv" % j),
              det_bytes(seed * 100000 + 90000 + j, size))
    return base


def make_content(root):
    write(os.path.join(root, "small.iso"), det_bytes(1, 300_000))
    write(os.path.join(root, "large.img"), det_bytes(2, 48 * MiB))
    make_many(root, "Collection 1500", 1500, 3)
    make_many(root, "Series v2", 0, 4,
              big=[(k * 251_003) % (6 * MiB) + 100_000 for k in range(1, 25)])
    make_many(root, "Hybrid Album", 400, 5, lo=500, hi=40000)
    make_many(root, "Hybrid Mixed", 120, 6, big=[9 * MiB, 5 * MiB + 12345, 3 * MiB])


LT_FLAGS = {"v1": lt.create_torrent.v1_only, "v2": lt.create_torrent.v2_only,
            "hybrid": 0}


def lt_create(out, root, rel, kind, piece, comment=None, webseeds=()):
    fs = lt.file_storage()
    lt.add_files(fs, os.path.join(root, rel))
    ct = lt.create_torrent(fs, piece, flags=LT_FLAGS[kind])
    for tier, urls in enumerate(TRACKERS):
        for u in urls:
            ct.add_tracker(u, tier)
    for w in webseeds:
        ct.add_url_seed(w)
    if comment:
        ct.set_comment(comment)
    ct.set_creator("libtorrent 2.0.8")
    lt.set_piece_hashes(ct, root)
    e = ct.generate()
    e.pop(b"creation date", None)
    with open(out, "wb") as f:
        f.write(lt.bencode(e))


def run(cmd):
    out = cmd[cmd.index("-o") + 1]
    if os.path.exists(out):  # mktorrent refuses to overwrite
        os.remove(out)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def mktorrent(out, target, log2):
    cmd = ["mktorrent", "-d", "-l", str(log2), "-o", out]
    for urls in TRACKERS:
        cmd += ["-a", ",".join(urls)]
    run(cmd + ["-c", "made by mktorrent", target])


def transmission(out, target, kib):
    cmd = ["transmission-create", "-o", out, "-s", str(kib), "-c", "made by transmission"]
    for urls in TRACKERS:
        for u in urls:
            cmd += ["-t", u]
    run(cmd + [target])


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "torrents")
    os.makedirs(outdir, exist_ok=True)
    root = tempfile.mkdtemp(prefix="sw-bench-content-")
    try:
        make_content(root)
        O = lambda n: os.path.join(outdir, n)  # noqa: E731
        lt_create(O("lt_v1_single_small.torrent"), root, "small.iso", "v1", 16384,
                  comment="a small single-file torrent", webseeds=WEBSEEDS)
        lt_create(O("lt_v1_single_large.torrent"), root, "large.img", "v1", 16384)
        lt_create(O("lt_v1_multi_many.torrent"), root, "Collection 1500", "v1", 65536)
        lt_create(O("lt_v2_multi.torrent"), root, "Series v2", "v2", 16384)
        lt_create(O("lt_v2_single_large.torrent"), root, "large.img", "v2", 16384)
        lt_create(O("lt_hybrid_multi.torrent"), root, "Hybrid Album", "hybrid", 32768)
        lt_create(O("lt_hybrid_mixed.torrent"), root, "Hybrid Mixed", "hybrid", 16384,
                  webseeds=WEBSEEDS)
        mktorrent(O("mk_single.torrent"), os.path.join(root, "large.img"), 16)
        mktorrent(O("mk_multi_many.torrent"), os.path.join(root, "Collection 1500"), 15)
        transmission(O("tr_single.torrent"), os.path.join(root, "large.img"), 32)
        transmission(O("tr_multi_many.torrent"), os.path.join(root, "Hybrid Album"), 16)
    finally:
        shutil.rmtree(root)
    for n in sorted(os.listdir(outdir)):
        print("%8d  %s" % (os.path.getsize(os.path.join(outdir, n)), n))


if __name__ == "__main__":
    main()
