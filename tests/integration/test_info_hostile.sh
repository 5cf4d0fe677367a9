#!/usr/bin/env bash
# test_info_hostile.sh - `swarmwatch info --json` on hostile input.
#
# Builds malformed torrents, bencode and magnets in a temp dir (truncated
# real torrents, huge string lengths, 64-bit overflows, 100,000-deep
# nesting, an 'info' that is not a dict, path traversal, trailing bytes,
# bad magnet hashes, /dev/zero, ...) and checks for each:
#   - the exit status (2 = bad input; a few valid controls expect 0),
#   - never a crash (status >= 128) and never a hang (timeout 10 s),
#   - no sanitizer report on stderr,
#   - stderr names the input (the file name as given, or "magnet"),
#   - stderr matches the case's expected phrase (an extended regex below),
#   - nothing on stdout when the input is rejected.
# One line per case; exit status nonzero if any case failed.
#
# Usage: bash tests/integration/test_info_hostile.sh   (from any cwd)
# Env:   SWARMWATCH  binary to test (default ./swarmwatch at the repo root)
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
PY=/usr/bin/python3
SWARMWATCH=${SWARMWATCH:-./swarmwatch}
case "$SWARMWATCH" in /*) ;; *) SWARMWATCH=$ROOT/$SWARMWATCH ;; esac

# --- expected phrases (extended regexes matched against stderr) ----------
# The bencode decoder's messages are "invalid bencode at byte N: REASON".
P_BENCODE='invalid bencode at byte [0-9]+'
P_TRUNC='invalid bencode at byte [0-9]+: (input ends inside a value|string length exceeds input)'
P_STRLEN='invalid bencode at byte [0-9]+: string length (exceeds input|too large)'
P_STRLEN_HUGE='invalid bencode at byte [0-9]+: (string length (exceeds input|too large)|.*overflow)'
P_INTOVF='invalid bencode at byte [0-9]+: integer overflows 64 bits'
P_LEADZERO='invalid bencode at byte [0-9]+: .*leading zero'
P_NEGZERO='invalid bencode at byte [0-9]+: negative zero'
P_DEPTH='invalid bencode at byte [0-9]+: nesting too deep'
P_MANY='too many values|not a (bencoded )?dict'
P_TRAILING='invalid bencode at byte [0-9]+: trailing bytes after value'
P_EMPTY='invalid bencode at byte 0|empty'
# The metainfo layer.
P_ROOT_NOT_DICT='not a (bencoded )?dict'
P_INFO_NOT_DICT="'info' is not a dictionary"
P_MISSING_INFO="missing 'info'"
P_PIECES="'pieces'"
P_PIECE_LEN="'piece length'"
P_LENGTH="'length'"
P_TOTAL="'length'|total size|overflow"
P_PATH="'files' entry [0-9]+|'path'|'file tree'|in file '"
P_NAME="'name'"
P_NO_FILES="'length'|'files'|'file tree'"
P_HYBRID="disagree|do not match|mismatch|'pieces'"
P_META_VERSION="'meta version'"
P_PIECES_ROOT="'pieces root'"
P_FILE_TREE="'file tree'|no data|no files"
# Magnets.
P_BTIH='invalid btih hash'
P_BTMH='btmh'
P_NO_XT="xt|info ?hash"
# Files that cannot be read as a torrent.
P_NOENT='[Nn]o such file|not found|does not exist'
P_ISDIR='[Ii]s a directory|not a regular file'
P_DEVZERO='invalid bencode at byte 0|too (big|large)|larger than|not a regular file'
# -------------------------------------------------------------------------

if [ ! -x "$SWARMWATCH" ]; then
	echo "FAIL no executable $SWARMWATCH (run make, or set SWARMWATCH)"
	exit 1
fi
FX=$ROOT/tests/fixtures/torrents
for f in lt_hybrid_multi.torrent lt_v2_multi.torrent; do
	[ -f "$FX/$f" ] || { echo "FAIL missing fixture $FX/$f"; exit 1; }
done

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1

# Build the cases.  Each manifest line: ID <TAB> ARG <TAB> EXIT <TAB>
# PHRASE-VARIABLE <TAB> MAX-BYTE (the "at byte N" bound, or -).
$PY - "$FX/lt_hybrid_multi.torrent" "$FX/lt_v2_multi.torrent" >manifest <<'EOF'
import copy, hashlib, os, sys

import libtorrent as lt

real = open(sys.argv[1], "rb").read()
hybrid = lt.bdecode(real)
v2 = lt.bdecode(open(sys.argv[2], "rb").read())
cases = []


def enc(v):
    """bencode, keeping dict order as given (so we can write anything)."""
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(enc(x) for x in v) + b"e"
    if isinstance(v, dict):
        return b"d" + b"".join(enc(k) + enc(x) for k, x in sorted(v.items())) + b"e"
    raise TypeError(v)


def case(cid, data, rc, phrase, maxbyte="-"):
    name = cid + ".torrent"
    with open(name, "wb") as f:
        f.write(data)
    cases.append((cid, name, rc, phrase, maxbyte))


def arg(cid, argument, rc, phrase):
    cases.append((cid, argument, rc, phrase, "-"))


def single(**over):
    info = {"length": 100000, "name": "x.bin", "piece length": 32768,
            "pieces": hashlib.sha1(b"p").digest() * 4}
    info.update(over)
    for k, v in list(info.items()):
        if v is None:
            del info[k]
    return {"announce": "http://tracker.example/announce", "info": info}


def multi(files, **over):
    size = sum(f["length"] for f in files if f["length"] > 0)
    n = max(1, -(-size // 16384)) if size < 1 << 40 else 1
    info = {"files": files, "name": "dir", "piece length": 16384,
            "pieces": hashlib.sha1(b"p").digest() * n}
    info.update(over)
    return {"info": info}


# Controls: valid, must be accepted, so the cases below fail for one reason.
case("control_real_torrent", real, 0, "")
case("control_single", enc(single()), 0, "")
case("control_multi", enc(multi([{"length": 10, "path": ["a", "b"]},
                                  {"length": 5, "path": ["c"]}])), 0, "")

# Truncated real torrent.
L = len(real)
info_at = real.index(b"4:infod") + 6
pieces_at = real.index(b"6:pieces") + 12
for cut in sorted({1, 2, 10, info_at, info_at + 5, L // 2, pieces_at, L - 2, L - 1}):
    case("truncated_at_%d_of_%d" % (cut, L), real[:cut], 2, "P_TRUNC", cut)
case("empty_file", b"", 2, "P_EMPTY")

# String lengths that do not fit, or wrap when truncated to 32/64 bits.
case("strlen_2p63", b"9223372036854775808:abc", 2, "P_STRLEN_HUGE")
case("strlen_2p63_minus_1", b"9223372036854775807:abc", 2, "P_STRLEN")
case("strlen_2p64", b"18446744073709551616:abc", 2, "P_STRLEN_HUGE")
case("strlen_99_digits", b"9" * 99 + b":abc", 2, "P_STRLEN_HUGE")
case("strlen_2p32", b"4294967296:abc", 2, "P_STRLEN")
good = enc(single(name="abc"))
case("strlen_2p32_plus_3_name", good.replace(b"4:name3:abc", b"4:name4294967299:abc"),
     2, "P_STRLEN")
case("strlen_2p64_plus_3_name", good.replace(b"4:name3:abc", b"4:name18446744073709551619:abc"),
     2, "P_STRLEN_HUGE")
case("strlen_2p63_in_info", b"d4:infod4:name9223372036854775808:abcee", 2, "P_STRLEN_HUGE")

# Integers.
case("int_100_digits_length", enc(single()).replace(b"6:lengthi100000e",
     b"6:lengthi" + b"1" * 100 + b"e"), 2, "P_INTOVF")
case("int_2p63", b"i9223372036854775808e", 2, "P_INTOVF")
case("int_minus_2p63_minus_1", b"i-9223372036854775809e", 2, "P_INTOVF")
case("int_2p64_plus_piece_length", enc(single()).replace(b"12:piece lengthi32768e",
     b"12:piece lengthi18446744073709584384e"), 2, "P_INTOVF")
case("int_leading_zero", enc(single()).replace(b"i32768e", b"i032768e"), 2, "P_LEADZERO")
case("strlen_leading_zero", enc(single()).replace(b"4:name5:x.bin", b"4:name05:x.bin"),
     2, "P_LEADZERO")
case("int_negative_zero", b"d1:ai-0e4:infod4:name1:xee", 2, "P_NEGZERO")

# Nesting and size.
case("nested_lists_100000", b"l" * 100000 + b"e" * 100000, 2, "P_DEPTH")
case("nested_dicts_100000", b"d1:a" * 100000 + b"e" * 100000, 2, "P_DEPTH")
case("nested_in_info_100000", b"d4:infod1:a" + b"l" * 100000 + b"e" * 100000 + b"ee",
     2, "P_DEPTH")
case("nested_unterminated", b"l" * 100000, 2, "P_BENCODE")
case("many_values_1M", b"l" + b"i0e" * 1000000 + b"e", 2, "P_MANY")

# Structure: the root and 'info'.
case("root_is_list", b"l4:infod4:name1:xee", 2, "P_ROOT_NOT_DICT")
case("root_is_int", b"i42e", 2, "P_ROOT_NOT_DICT")
case("info_is_int", b"d4:infoi1ee", 2, "P_INFO_NOT_DICT")
case("info_is_list", b"d4:infol4:name1:xee", 2, "P_INFO_NOT_DICT")
case("info_is_string", b"d4:info4:infoe", 2, "P_INFO_NOT_DICT")
case("missing_info", enc({"announce": "http://tracker.example/announce"}), 2,
     "P_MISSING_INFO")
case("dict_key_not_string", b"di1ei2ee", 2, "P_BENCODE")
case("lone_e", b"e", 2, "P_BENCODE")
case("trailing_garbage", real + b"garbage", 2, "P_TRAILING")
case("trailing_newline", real + b"\n", 2, "P_TRAILING")
case("trailing_second_torrent", real + real, 2, "P_TRAILING")
for i, size in enumerate((1, 64, 4096)):
    data = b"".join(hashlib.sha256(b"random %d %d" % (i, j)).digest() for j in range(size // 32 + 1))[:size]
    data = b"\xff" + data[1:]  # never a valid start of a bencode value
    case("random_bytes_%d" % size, data, 2, "P_BENCODE")

# Metainfo fields.
case("pieces_not_multiple_of_20", enc(single(pieces=b"x" * 41)), 2, "P_PIECES")
case("pieces_too_few", enc(single(pieces=b"x" * 60)), 2, "P_PIECES")
case("pieces_missing", enc(single(pieces=None)), 2, "P_PIECES")
case("piece_length_negative", enc(single(**{"piece length": -32768})), 2, "P_PIECE_LEN")
case("piece_length_zero", enc(single(**{"piece length": 0})), 2, "P_PIECE_LEN")
case("piece_length_missing", enc(single(**{"piece length": None})), 2, "P_PIECE_LEN")
case("length_negative", enc(single(length=-5)), 2, "P_LENGTH")
case("no_length_no_files", enc(single(length=None)), 2, "P_NO_FILES")
case("total_size_overflows", enc(multi([{"length": 2**63 - 1, "path": ["a"]},
                                        {"length": 2**63 - 1, "path": ["b"]}])),
     2, "P_TOTAL")
case("file_length_negative", enc(multi([{"length": -1, "path": ["a"]},
                                        {"length": 10, "path": ["b"]}])), 2, "P_LENGTH")
case("path_traversal_dotdot", enc(multi([{"length": 10, "path": ["..", "..", "etc", "passwd"]}])),
     2, "P_PATH")
case("path_traversal_inner", enc(multi([{"length": 10, "path": ["sub", "..", "..", "x"]}])),
     2, "P_PATH")
case("path_component_with_slash", enc(multi([{"length": 10, "path": ["a/../../b"]}])),
     2, "P_PATH")
case("path_empty_list", enc(multi([{"length": 10, "path": []}])), 2, "P_PATH")
case("path_not_a_list", enc(multi([{"length": 10, "path": "a"}])), 2, "P_PATH")
case("name_dotdot", enc(single(name="..")), 2, "P_NAME")
case("name_with_slash_traversal", enc(single(name="../evil.bin")), 2, "P_NAME")
case("name_missing", enc(single(name=None)), 2, "P_NAME")

# v2 (BEP 52) and hybrid torrents, mutated from the libtorrent fixtures.
def mutate(cid, base, fn, phrase):
    e = copy.deepcopy(base)
    fn(e[b"info"])
    case(cid, lt.bencode(e), 2, phrase)


def tree_file(info, *path):
    node = info[b"file tree"]
    for p in path:
        node = node[p.encode()]
    return node[b""]


def rename(tree, old, new):
    tree[new] = tree.pop(old)


NESTED = ("sub", "dir", "deep", "nested.dat")
mutate("hybrid_v1_length_differs", hybrid,
       lambda i: i[b"files"][0].update({b"length": 2}), "P_HYBRID")
mutate("hybrid_v1_path_differs", hybrid,
       lambda i: i[b"files"][0].update({b"path": [b"zzz.txt"]}), "P_HYBRID")
mutate("hybrid_v1_pad_file_dropped", hybrid, lambda i: i[b"files"].pop(1), "P_HYBRID")
mutate("v2_tree_key_dotdot", v2, lambda i: rename(i[b"file tree"], b"a.txt", b".."), "P_PATH")
mutate("v2_tree_key_with_slash", v2,
       lambda i: rename(i[b"file tree"], b"a.txt", b"../../a.txt"), "P_PATH")
mutate("v2_meta_version_3", v2, lambda i: i.update({b"meta version": 3}), "P_META_VERSION")
mutate("v2_no_meta_version", v2, lambda i: i.pop(b"meta version"), "P_META_VERSION")
mutate("v2_piece_length_not_power_of_2", v2, lambda i: i.update({b"piece length": 24576}),
       "P_PIECE_LEN")
mutate("v2_piece_length_8k", v2, lambda i: i.update({b"piece length": 8192}), "P_PIECE_LEN")
mutate("v2_pieces_root_31_bytes", v2,
       lambda i: tree_file(i, *NESTED).update({b"pieces root": b"x" * 31}), "P_PIECES_ROOT")
mutate("v2_file_length_missing", v2, lambda i: tree_file(i, *NESTED).pop(b"length"), "P_LENGTH")
mutate("v2_file_length_negative", v2,
       lambda i: tree_file(i, *NESTED).update({b"length": -1}), "P_LENGTH")
mutate("v2_file_tree_empty", v2, lambda i: i.update({b"file tree": {}}), "P_FILE_TREE")
mutate("v2_file_tree_entry_int", v2, lambda i: i[b"file tree"].update({b"a.txt": 5}),
       "P_FILE_TREE")
deep = {b"": {b"length": 3, b"pieces root": b"r" * 32}}
for level in range(200):
    deep = {b"d%d" % level: deep}
mutate("v2_file_tree_200_deep", v2, lambda i: i.update({b"file tree": deep}), "P_DEPTH")

# Magnets.
h40 = hashlib.sha1(b"magnet").hexdigest()
arg("magnet_btih_39_hex", "magnet:?xt=urn:btih:" + h40[:39] + "&dn=x", 2, "P_BTIH")
arg("magnet_btih_41_hex", "magnet:?xt=urn:btih:" + h40 + "a&dn=x", 2, "P_BTIH")
arg("magnet_btih_not_hex", "magnet:?xt=urn:btih:" + "g" * 40, 2, "P_BTIH")
arg("magnet_btih_base32_bad_alphabet", "magnet:?xt=urn:btih:" + "ABCDEFGH01890189ABCDEFGHABCDEFGH",
    2, "P_BTIH")
arg("magnet_btih_base32_31_chars", "magnet:?xt=urn:btih:" + "A" * 31, 2, "P_BTIH")
arg("magnet_btih_empty", "magnet:?xt=urn:btih:&dn=x", 2, "P_BTIH")
arg("magnet_btmh_sha1_multihash", "magnet:?xt=urn:btmh:1114" + h40, 2, "P_BTMH")
arg("magnet_btmh_short", "magnet:?xt=urn:btmh:1220" + "ab" * 31, 2, "P_BTMH")
arg("magnet_no_xt", "magnet:?dn=x&tr=http%3A%2F%2Ftracker.example%2Fannounce", 2, "P_NO_XT")
arg("magnet_empty_query", "magnet:?", 2, "P_NO_XT")

# Things that are not torrent files.
arg("nonexistent_file", "does-not-exist.torrent", 2, "P_NOENT")
os.mkdir("a-directory.torrent")
arg("directory", "a-directory.torrent", 2, "P_ISDIR")
arg("dev_zero", "/dev/zero", 2, "P_DEVZERO")
arg("dev_null", "/dev/null", 2, "P_EMPTY")

for c in cases:
    print("\t".join(str(x) for x in c))
EOF
[ -s manifest ] || { echo "FAIL could not build the cases"; exit 1; }

pass=0
fail=0
while IFS=$'\t' read -r id arg want pvar maxbyte; do
	timeout 10 "$SWARMWATCH" info --json "$arg" >out 2>err </dev/null
	rc=$?
	problems=()
	if [ "$rc" -eq 124 ]; then
		problems+=("hang: killed after 10 s")
	elif [ "$rc" -ge 128 ]; then
		problems+=("crash: exit $rc (signal $((rc - 128)))")
	elif [ "$rc" -ne "$want" ]; then
		problems+=("exit $rc, want $want")
	fi
	if grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error' err; then
		problems+=("sanitizer report on stderr")
	fi
	if [ "$want" -ne 0 ] && [ "$rc" -ne 124 ]; then
		phrase=${!pvar}
		case "$arg" in
		magnet:*) named=magnet ;;
		*) named=$arg ;;
		esac
		grep -qF -- "$named" err || problems+=("stderr does not name '$named'")
		grep -qE -- "$phrase" err || problems+=("stderr does not match /$phrase/ ($pvar)")
		if [ "$maxbyte" != "-" ]; then
			at=$(grep -oE 'at byte [0-9]+' err | head -1 | grep -oE '[0-9]+')
			if [ -n "$at" ] && [ "$at" -gt "$maxbyte" ]; then
				problems+=("reports byte $at, past the end of the $maxbyte-byte input")
			fi
		fi
		[ -s out ] && problems+=("stdout not empty on rejected input")
	fi
	if [ ${#problems[@]} -eq 0 ]; then
		pass=$((pass + 1))
		echo "ok   $id (exit $rc)${want:+}$([ "$want" -ne 0 ] && printf ': %s' "$(head -c 160 err | head -1)")"
	else
		fail=$((fail + 1))
		msg=$(printf '%s; ' "${problems[@]}")
		echo "FAIL $id: ${msg%; }"
		echo "     stderr: $(head -c 300 err | head -3 | tr '\n' ' ')"
	fi
done <manifest

# Command-line usage: exit 2 and a usage message, except --help (exit 0).
usage_case() {
	local id=$1 want=$2
	shift 2
	timeout 10 "$SWARMWATCH" "$@" >out 2>err </dev/null
	local rc=$?
	if [ "$rc" -eq "$want" ] && grep -qiE 'usage' out err; then
		pass=$((pass + 1))
		echo "ok   $id (exit $rc)"
	else
		fail=$((fail + 1))
		echo "FAIL $id: exit $rc (want $want), usage text shown: $(grep -qiE usage out err && echo yes || echo no)"
	fi
}
usage_case usage_no_argument 2 info
usage_case usage_two_arguments 2 info a.torrent b.torrent
usage_case usage_unknown_option 2 info --no-such-option x.torrent
usage_case usage_help 0 info --help

echo "$((pass + fail)) cases, $fail failed"
[ "$fail" -eq 0 ]
