#!/usr/bin/env bash
# bench/run_dht.sh - the DHT benchmark (docs/benchmarks.md, "DHT node:
# KRPC queries answered per second per core").  bench/run.sh calls it; it
# also runs on its own from the repo root.  It builds bench/bench_dht.c
# against the release library and runs it: a bounded loopback flood
# (BENCH_DHT_ROUNDS rounds of BENCH_DHT_SECONDS per side, both sides in
# every round, alternating which goes first), raw recvfrom() and the
# swarmwatch node in turn.  Results are printed and written to bench/out/.
#
# Environment: BENCH_DHT_SECONDS (1.0), BENCH_DHT_ROUNDS (5),
# BENCH_DHT_SOCKETS (sender addresses, 64), BENCH_DHT_BACKLOG (queries
# queued before each side starts, 200000).
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${BENCH_DHT_SECONDS:-1.0}
rounds=${BENCH_DHT_ROUNDS:-5}
sockets=${BENCH_DHT_SOCKETS:-64}
backlog=${BENCH_DHT_BACKLOG:-200000}
out=bench/out
bin=build/bench
CC=${CC:-cc}
mkdir -p "$out" "$bin"

make --no-print-directory build/rel/libswarmwatch.a >/dev/null
mvar() { make -pn SANITIZE=0 help 2>/dev/null | sed -n "s/^$1 := //p" | head -1; }
read -ra ldlibs <<<"$(mvar LDLIBS)"
"$CC" -O2 -g -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Isrc -Ibench -Wall -Wextra \
	-Wshadow -pthread -o "$bin/bench_dht" bench/bench_dht.c build/rel/libswarmwatch.a \
	"${ldlibs[@]}"

raw="$out/dht-raw.tsv"
summary="$out/dht-summary.txt"
{
	echo "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "machine:  $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(uname -sr)"
	echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the start"
} | tee "$out/dht-machine.txt"
"$bin/bench_dht" -t "$secs" -r "$rounds" -s "$sockets" -p "$backlog" | tee "$raw"

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -F'\t' -v side="$1" -v c="$2" '$2 == side { print $c }' "$raw"; }
status=0
{
	echo
	echo "DHT node vs raw recvfrom, medians of $rounds rounds"
	printf '%-5s %14s %16s %14s %10s %10s\n' side 'msgs/s (wall)' 'answered/s' 'msgs/cpu-s' \
		'cpu/wall' saturated
	for side in raw node; do
		busy=$(paste <(col $side 4) <(col $side 3) | awk '{ printf "%.3f\n", $1 / $2 }' | median)
		sat=$(col $side 11 | grep -c yes || true)
		printf '%-5s %14.0f %16.0f %14.0f %10s %7s/%s\n' $side "$(col $side 8 | median)" \
			"$(col $side 9 | median)" "$(col $side 10 | median)" "$busy" "$sat" "$rounds"
	done
	node=$(col node 10 | median)
	rawc=$(col raw 10 | median)
	printf 'node / raw (per cpu-second): %.3f\n' "$(awk -v a="$node" -v b="$rawc" 'BEGIN { print a / b }')"
	printf 'goal: >= 200000 messages decoded and answered per second per core: %s\n' \
		"$(awk -v a="$node" 'BEGIN { print (a >= 200000 ? "met" : "NOT met") }')"
	echo "msgs/cpu-s: messages over the receiver thread's CPU time, the per-core rate; the wall"
	echo "rates are lower when the machine preempts the receiver (cpu/wall < 1)."
} | tee "$summary"
awk -v a="$(col node 10 | median)" 'BEGIN { exit !(a >= 200000) }' || status=1
echo "raw figures: $raw; summary: $summary"
exit $status
