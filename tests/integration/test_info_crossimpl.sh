#!/usr/bin/env bash
# test_info_crossimpl.sh - `swarmwatch info --json` against libtorrent's
# reading of real torrents made by three implementations.
#
# tests/testbed/make_torrents.py makes content and torrents with mktorrent,
# transmission-create and python3-libtorrent (v1, v2, hybrid) into a temp
# dir, with a truth file computed by libtorrent and magnet links built from
# those torrents.  Every torrent and magnet is run through
# `$SWARMWATCH info --json`, and every field of the JSON contract is
# compared.  The static fixtures in tests/fixtures/torrents/ are checked
# against their truth.json as well.  One line per check; exit status is
# nonzero if any check failed.
#
# Usage: bash tests/integration/test_info_crossimpl.sh   (from any cwd)
# Env:   SWARMWATCH  binary to test (default ./swarmwatch at the repo root;
#                    a relative path is taken relative to the repo root)
# Needs: mktorrent, transmission-create, python3-libtorrent (/usr/bin/python3)
set -u
cd "$(dirname "$0")/../.." || exit 1
PY=/usr/bin/python3
SWARMWATCH=${SWARMWATCH:-./swarmwatch}
case "$SWARMWATCH" in /*) ;; *) SWARMWATCH=$PWD/$SWARMWATCH ;; esac
export SWARMWATCH

if [ ! -x "$SWARMWATCH" ]; then
	echo "FAIL no executable $SWARMWATCH (run make, or set SWARMWATCH)"
	exit 1
fi
for tool in mktorrent transmission-create; do
	command -v "$tool" >/dev/null || { echo "FAIL missing tool $tool"; exit 1; }
done

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if ! $PY tests/testbed/make_torrents.py "$TMP/gen" >"$TMP/gen.log" 2>&1; then
	echo "FAIL make_torrents.py:"
	cat "$TMP/gen.log"
	exit 1
fi

$PY - "$TMP" <<'EOF'
import json, os, re, shutil, subprocess, sys

tmp = sys.argv[1]
sw = os.environ["SWARMWATCH"]
FIELDS = ["infohash", "infohash_v1", "infohash_v2", "name", "total_size",
          "piece_length", "num_pieces", "private", "files", "trackers"]
SANITIZER = re.compile(r"AddressSanitizer|LeakSanitizer|runtime error|"
                       r"UndefinedBehaviorSanitizer")
failed = 0
checks = 0


def report(ok, what, detail=""):
    global failed, checks
    checks += 1
    if not ok:
        failed += 1
    print("%s %s%s" % ("ok  " if ok else "FAIL", what,
                       (": " + detail) if detail else ""))


def run(args):
    try:
        p = subprocess.run([sw] + args, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=10, cwd=tmp)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return "timeout", b"", b""


def type_ok(field, v):
    """The JSON type the contract gives each field."""
    nullable_int = lambda x: x is None or (type(x) is int and x >= 0)
    hexn = lambda n: lambda x: isinstance(x, str) and re.fullmatch(
        "[0-9a-f]{%d}" % n, x) is not None
    return {
        "infohash": hexn(40),
        "infohash_v1": lambda x: x is None or hexn(40)(x),
        "infohash_v2": lambda x: x is None or hexn(64)(x),
        "name": lambda x: isinstance(x, str),
        "total_size": nullable_int, "piece_length": nullable_int,
        "num_pieces": nullable_int,
        "private": lambda x: type(x) is bool,
        "files": lambda x: isinstance(x, list) and all(
            isinstance(f, dict) and set(f) >= {"path", "size"} and
            isinstance(f["path"], str) and type(f["size"]) is int for f in x),
        "trackers": lambda x: isinstance(x, list) and all(
            isinstance(t, list) and t and all(isinstance(u, str) for u in t)
            for t in x),
    }[field](v)


def short(v):
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= 300 else s[:300] + "..."


def check(label, args, want, skip=()):
    rc, out, err = run(args)
    if SANITIZER.search(err.decode("utf-8", "replace")):
        report(False, label, "sanitizer report on stderr:\n" +
               err.decode("utf-8", "replace"))
        return
    if rc != 0:
        report(False, label, "exit %s, stderr: %s" %
               (rc, err.decode("utf-8", "replace").strip()))
        return
    try:
        text = out.decode("utf-8")
        dec = json.JSONDecoder()
        got, end = dec.raw_decode(text.lstrip())
        if text.lstrip()[end:].strip():
            raise ValueError("bytes after the JSON object: %r" %
                             text.lstrip()[end:][:80])
        if not isinstance(got, dict):
            raise ValueError("not a JSON object")
    except ValueError as e:  # includes UnicodeDecodeError, JSONDecodeError
        report(False, label, "stdout is not exactly one JSON object (%s): %r"
               % (e, out[:200]))
        return
    problems = []
    for f in FIELDS:
        if f in skip:
            continue
        if f not in got:
            problems.append("missing field %s" % f)
        elif not type_ok(f, got[f]):
            problems.append("%s has the wrong type or format: %s" %
                            (f, short(got[f])))
        elif got[f] != want[f]:
            problems.append("%s: got %s, want %s" %
                            (f, short(got[f]), short(want[f])))
    extra = sorted(set(got) - set(FIELDS))
    report(not problems, label, "; ".join(problems))
    if extra:
        print("note %s: extra fields %s (not in the contract)" %
              (label, ", ".join(extra)))


def check_set(tdir, truth_path, tag):
    with open(truth_path, encoding="utf-8") as f:
        truth = json.load(f)
    names = sorted(k for k in truth if not k.startswith("_"))
    on_disk = sorted(n for n in os.listdir(tdir) if n.endswith(".torrent"))
    report(names == on_disk, "%s: truth covers every torrent" % tag,
           "" if names == on_disk else "truth %s vs files %s" % (names, on_disk))
    for n in names:
        check("%s %s [%s]" % (tag, n, truth[n].get("_generator", "")),
              ["info", "--json", os.path.join(tdir, n)], truth[n])
    return truth


gen = os.path.join(tmp, "gen")
truth = check_set(os.path.join(gen, "torrents"), os.path.join(gen, "truth.json"),
                  "torrent")

# Argument handling: a relative path with spaces and non-ASCII characters.
odd = "Ünïcode name 日本 (copy).torrent"
shutil.copy(os.path.join(gen, "torrents", "lt_hybrid_multi.torrent"),
            os.path.join(tmp, odd))
check("torrent relative path with spaces and non-ASCII: %s" % odd,
      ["info", "--json", odd], truth["lt_hybrid_multi.torrent"])

# Human-readable output: not a contract beyond "exit 0 and shows the hash".
for n in ("mk_multi.torrent", "lt_v2_single.torrent"):
    rc, out, err = run(["info", os.path.join(gen, "torrents", n)])
    ih = truth[n]["infohash"]  # v1, or the start of the v2 hash
    report(rc == 0 and ih in out.decode("utf-8", "replace").lower(),
           "plain (no --json) output of %s shows the infohash" % n,
           "" if rc == 0 else "exit %s: %s" % (rc, err.decode("utf-8", "replace")))

with open(os.path.join(gen, "magnets.json"), encoding="utf-8") as f:
    magnets = json.load(f)
for mid in sorted(k for k in magnets if not k.startswith("_")):
    m = magnets[mid]
    skip = ("name",) if m["expect"].get("_name_unchecked") else ()
    check("magnet %s %s" % (mid, m["uri"][:70] + "..."),
          ["info", "--json", m["uri"]], m["expect"], skip)

fx = "tests/fixtures/torrents"
if os.path.isdir(fx):
    check_set(os.path.abspath(fx), os.path.join(fx, "truth.json"), "fixture")

print("%d checks, %d failed" % (checks, failed))
sys.exit(1 if failed else 0)
EOF
