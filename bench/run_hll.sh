#!/usr/bin/env bash
# bench/run_hll.sh - the HyperLogLog benchmark (docs/benchmarks.md,
# "HyperLogLog at Fury's scale").  bench/run.sh calls it; it also runs on
# its own from the repo root.  It builds bench_hll against the release
# library, measures our sketch on 1.5 million distinct addresses plus 10
# million repeats, then starts its own redis-server on 127.0.0.1 (a free
# port, no persistence), feeds it the same items as PFADD commands through
# `redis-cli --pipe`, asks PFCOUNT, and stops it by PID.  Results are
# printed and written to bench/out/hll-summary.txt.
#
# Environment: BENCH_HLL_DISTINCT (1500000), BENCH_HLL_REPEATS (10000000),
# BENCH_HLL_BATCH (items per PFADD, 1000).
set -euo pipefail
cd "$(dirname "$0")/.."

distinct=${BENCH_HLL_DISTINCT:-1500000}
repeats=${BENCH_HLL_REPEATS:-10000000}
batch=${BENCH_HLL_BATCH:-1000}
out=bench/out
bin=build/bench
CC=${CC:-cc}
mkdir -p "$out" "$bin"

for tool in redis-server redis-cli; do
	if ! command -v $tool >/dev/null; then
		echo "run_hll.sh: $tool is missing (Debian package redis-server)" >&2
		exit 1
	fi
done

make --no-print-directory build/rel/libswarmwatch.a >/dev/null
read -ra libs <<<"$(pkg-config --libs libcrypto) -lm"
"$CC" -O2 -g -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Isrc -Wall -Wextra \
	-o "$bin/bench_hll" bench/bench_hll.c build/rel/libswarmwatch.a "${libs[@]}"

summary="$out/hll-summary.txt"
ours="$out/hll-ours.tsv"
args=(-n "$distinct" -r "$repeats")

echo "hll: ours, $distinct distinct + $repeats repeats" >&2
"$bin/bench_hll" "${args[@]}" >"$ours"
val() { awk -F'\t' -v k="$1" '$1 == k { print $2 }' "$ours"; }

# --- Redis ---------------------------------------------------------------------
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rdir=$(mktemp -d)
redis_pid=""
cleanup() {
	if [ -n "$redis_pid" ]; then
		kill "$redis_pid" 2>/dev/null || true
		wait "$redis_pid" 2>/dev/null || true
	fi
	rm -rf "$rdir"
}
trap cleanup EXIT
redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$rdir" \
	--daemonize no --loglevel warning >"$rdir/log" 2>&1 &
redis_pid=$!
rc() { redis-cli -h 127.0.0.1 -p "$port" "$@"; }
for _ in $(seq 1 50); do
	[ "$(rc PING 2>/dev/null)" = PONG ] && break
	sleep 0.1
done
[ "$(rc PING)" = PONG ] || { cat "$rdir/log" >&2; exit 1; }

key=swarmwatch:bench:hll
# The generator alone (RESP to /dev/null), then through redis-cli --pipe.
t0=$(date +%s.%N)
"$bin/bench_hll" --resp "${args[@]}" -b "$batch" -k "$key" >/dev/null
t1=$(date +%s.%N)
"$bin/bench_hll" --resp "${args[@]}" -b "$batch" -k "$key" |
	rc --pipe >"$rdir/pipe.txt"
t2=$(date +%s.%N)
grep -q 'errors: 0' "$rdir/pipe.txt" || { cat "$rdir/pipe.txt" >&2; exit 1; }
redis_count=$(rc PFCOUNT "$key")
redis_bytes=$(rc STRLEN "$key")
redis_ver=$(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')
items=$(val items)

{
	echo "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "machine:  $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
	echo "stream:   $distinct distinct addresses (3/4 IPv4, 1/4 IPv6) + $repeats repeats = $items items"
	echo
	printf '%-28s %14s %14s\n' '' swarmwatch "redis $redis_ver"
	printf '%-28s %14s %14s\n' 'estimate' "$(val estimate)" "$redis_count"
	printf '%-28s %14s %14s\n' 'error' "$(val error_pct)%" \
		"$(awk -v c="$redis_count" -v n="$distinct" 'BEGIN { printf "%+.3f%%", 100 * (c - n) / n }')"
	printf '%-28s %14s %14s\n' 'sketch bytes (dense)' "$(val sketch_bytes)" "$redis_bytes"
	printf '%-28s %14.0f %14.0f\n' 'items/s, end to end' "$(val hll_add_per_s)" \
		"$(awk -v n="$items" -v a="$t1" -v b="$t2" 'BEGIN { print n / (b - a) }')"
	echo
	echo "swarmwatch: sw_hll_add_addr() in process (median of 3 runs); stream generation alone"
	echo "  $(val stream_only_per_s)/s, SipHash-2-4 alone $(val siphash_per_s)/s, OpenSSL EVP_MAC"
	echo "  SipHash $(val openssl_siphash_per_s)/s."
	echo "redis: PFADD of $batch items per command through redis-cli --pipe over loopback,"
	echo "  including RESP generation (alone: $(awk -v n="$items" -v a="$t0" -v b="$t1" \
		'BEGIN { printf "%.0f", n / (b - a) }')/s) and the server's parsing."
} | tee "$summary"
