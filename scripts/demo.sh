#!/usr/bin/env bash
# The demo (`make demo`).  Until the testbed issues land, it creates a small
# multi-file torrent with mktorrent and shows what `swarmwatch info` makes of
# it, as a summary and as JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
SWARMWATCH=${SWARMWATCH:-$PWD/swarmwatch}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

mkdir -p "$dir/Fury.2014.DVDScr.XVID.AC3.HQ.Hive-CM8/Sample"
head -c 3000000 /dev/urandom >"$dir/Fury.2014.DVDScr.XVID.AC3.HQ.Hive-CM8/Fury.2014.DVDScr.avi"
head -c 200000 /dev/urandom >"$dir/Fury.2014.DVDScr.XVID.AC3.HQ.Hive-CM8/Sample/sample.avi"
echo "Encoded by CM8" >"$dir/Fury.2014.DVDScr.XVID.AC3.HQ.Hive-CM8/CM8.nfo"
mktorrent -l 18 -a udp://127.0.0.1:6969/announce -a http://127.0.0.1:8000/announce \
	-o "$dir/fury.torrent" "$dir/Fury.2014.DVDScr.XVID.AC3.HQ.Hive-CM8" >/dev/null

echo "\$ swarmwatch info fury.torrent"
"$SWARMWATCH" info "$dir/fury.torrent"
echo
echo "\$ swarmwatch info --json fury.torrent"
"$SWARMWATCH" info --json "$dir/fury.torrent"
