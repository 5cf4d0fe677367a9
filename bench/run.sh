#!/usr/bin/env bash
# bench/run.sh - the benchmarks.  `make bench` runs it from the repo root
# after building ./swarmwatch; it builds what it needs itself.  Results are
# printed and written to bench/out/ (not checked in); docs/benchmarks.md
# records the figures and how they were measured.
#
# bencode: decode throughput of sw_bencode_decode() against libtorrent's
# lt::bdecode() over the same corpus in the same run: real .torrent files
# (bench/corpus/torrents, made by bench/corpus/make_torrents.py) and real
# libtorrent KRPC messages (bench/corpus/dht, captured by
# bench/corpus/capture_dht.py), plus tests/fixtures/{torrents,dht} when
# they exist.  Each round runs both sides on each set, alternating which
# goes first; the summary gives medians over the rounds and the median of
# the per-round ratios.
#
# Environment: BENCH_SECONDS (timed seconds per side per set, default 2.5),
# BENCH_ROUNDS (default 3), BENCH_VALGRIND=1 (also count swarmwatch's heap
# allocations with valgrind, independently of the built-in counter).
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${BENCH_SECONDS:-2.5}
rounds=${BENCH_ROUNDS:-3}
out=bench/out
bin=build/bench
CC=${CC:-cc}
CXX=${CXX:-g++}
mkdir -p "$out" "$bin"

# --- build ---------------------------------------------------------------
# Both sides at -O2, like build/rel/libswarmwatch.a itself.
make --no-print-directory build/rel/libswarmwatch.a >/dev/null
read -ra sw_libs <<<"$(pkg-config --libs libcrypto sqlite3 2>/dev/null) -lm -pthread"
read -ra lt_cflags <<<"$(pkg-config --cflags libtorrent-rasterbar)"
read -ra lt_libs <<<"$(pkg-config --libs libtorrent-rasterbar)"
cflags=(-O2 -g -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Isrc -Ibench -Wall -Wextra)
"$CC" "${cflags[@]}" -c -o "$bin/bench.o" bench/bench.c
"$CC" "${cflags[@]}" -c -o "$bin/alloc_count.o" bench/alloc_count.c
"$CC" "${cflags[@]}" -o "$bin/bench_bencode" bench/bench_bencode.c "$bin/bench.o" \
	"$bin/alloc_count.o" build/rel/libswarmwatch.a "${sw_libs[@]}"
"$CXX" -O2 -g -std=c++17 -Wall -Wextra -Ibench "${lt_cflags[@]}" -o "$bin/lt_bdecode" \
	bench/lt_bdecode.cpp "$bin/bench.o" "$bin/alloc_count.o" "${lt_libs[@]}"

# --- corpus ----------------------------------------------------------------
torrents=bench/corpus/torrents
dht=bench/corpus/dht
[ -d tests/fixtures/torrents ] && torrents="$torrents,tests/fixtures/torrents"
[ -d tests/fixtures/dht ] && dht="$dht,tests/fixtures/dht"

# --- machine ---------------------------------------------------------------
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
ltver=$(pkg-config --modversion libtorrent-rasterbar)
{
	echo "date:     $stamp"
	echo "machine:  $(nproc) cpus, $cpu, $(uname -sr)"
	echo "compiler: $($CC --version | head -1); $($CXX --version | head -1); -O2 both"
	echo "anchor:   libtorrent-rasterbar $ltver (lt::bdecode)"
	echo "corpus:   torrents=$torrents dht=$dht"
	echo "timing:   $rounds rounds x ${secs}s per side per set, CLOCK_MONOTONIC"
} | tee "$out/bencode-machine.txt"

# --- measure ---------------------------------------------------------------
raw="$out/bencode-raw.tsv"
err="$out/bencode-stderr.txt"
: >"$err"
printf 'round\tside\tset\tmsgs\tbytes\tpasses\tseconds\tmb_per_s\tmsgs_per_s\tallocs\tallocs_per_msg\tcpu_seconds\n' >"$raw"
for r in $(seq 1 "$rounds"); do
	for set in "torrents=$torrents" "dht=$dht"; do
		if [ $((r % 2)) -eq 1 ]; then order="bench_bencode lt_bdecode"; else order="lt_bdecode bench_bencode"; fi
		for b in $order; do
			if ! "$bin/$b" -t "$secs" "$set" 2>>"$err" | sed "s/^/$r\t/" >>"$raw"; then
				grep -v '^#' "$err" >&2
				exit 1
			fi
		done
	done
	echo "round $r/$rounds done" >&2
done

# --- summarise -------------------------------------------------------------
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -F'\t' -v side="$1" -v set="$2" -v c="$3" '$2 == side && $3 == set { print $c }' "$raw"; }

summary="$out/bencode-summary.txt"
status=0
{
	echo
	echo "bencode decode, medians of $rounds rounds (MB = 10^6 bytes)"
	printf '%-9s %6s %9s  %-11s %9s %12s %11s %9s\n' set msgs bytes side 'MB/s' 'msgs/s' \
		'allocs/msg' 'cpu/wall'
	for set in torrents dht; do
		msgs=$(col swarmwatch $set 4 | head -1)
		bytes=$(col swarmwatch $set 5 | head -1)
		for side in swarmwatch libtorrent; do
			mbps=$(col $side $set 8 | median)
			mps=$(col $side $set 9 | median)
			apm=$(col $side $set 11 | sort -g | tail -1)
			busy=$(paste <(col $side $set 12) <(col $side $set 7) |
				awk '{ printf "%.3f\n", $1 / $2 }' | median)
			printf '%-9s %6s %9s  %-11s %9.1f %12.0f %11s %9s\n' $set "$msgs" "$bytes" $side \
				"$mbps" "$mps" "$apm" "$busy"
		done
		ratio=$(paste <(col swarmwatch $set 8) <(col libtorrent $set 8) |
			awk '{ printf "%.3f\n", $1 / $2 }' | median)
		rr=$(paste <(col swarmwatch $set 8) <(col libtorrent $set 8) |
			awk '{ printf "%s%.2f", (NR > 1 ? " " : ""), $1 / $2 }')
		printf '%-9s %6s %9s  %-11s %9sx  (rounds: %s; goal >= 1.5x)\n' $set '' '' ratio \
			"$(printf '%.2f' "$ratio")" "$rr"
		# The same ratio from CPU time, which preemption does not inflate.
		cratio=$(paste <(col swarmwatch $set 6) <(col swarmwatch $set 12) \
			<(col libtorrent $set 6) <(col libtorrent $set 12) |
			awk '{ printf "%.3f\n", ($1 / $2) / ($3 / $4) }' | median)
		printf '%-9s %6s %9s  %-11s %9sx\n' $set '' '' 'ratio (cpu)' "$(printf '%.2f' "$cratio")"
	done
	allocs=$(col swarmwatch torrents 10; col swarmwatch dht 10)
	total=$(echo "$allocs" | awk '{ s += $1 } END { print s + 0 }')
	echo "cpu/wall: the thread's CPU time over wall time in the timed loop (< 0.95:"
	echo "the machine was busy and that side was preempted)."
	echo "swarmwatch allocations during the timed decode loops: $total"
	[ "$total" -eq 0 ] || status=1
} | tee "$summary"
[ "$(awk '/allocations during/ { print $NF }' "$summary")" = 0 ] || status=1

if [ "${BENCH_VALGRIND:-0}" = 1 ] && command -v valgrind >/dev/null; then
	# Heap blocks allocated in a run of 1 pass vs 11 passes: equal when
	# decoding allocates nothing.  somalloc=NONE makes valgrind replace the
	# malloc that bench/alloc_count.c defines in the executable.
	vg() {
		valgrind --tool=memcheck --soname-synonyms=somalloc=NONE "$bin/bench_bencode" \
			-w 0 -n "$1" "torrents=$torrents" "dht=$dht" 2>&1 >/dev/null |
			awk '/total heap usage/ { gsub(",", ""); print $5 }'
	}
	a1=$(vg 1)
	a11=$(vg 11)
	echo "valgrind: heap allocations, 1 pass: $a1, 11 passes: $a11, difference: $((a11 - a1))" |
		tee -a "$summary"
	[ "$a1" = "$a11" ] || status=1
fi
echo "raw figures: $raw; summary: $summary"
bash bench/run_tracker.sh || status=1 # tracker rates, count memory (docs/benchmarks.md)
bash bench/run_peers.sh || status=1 # 10,000 peer connections, metadata (docs/benchmarks.md)
bash bench/run_match.sh || status=1 # release names matched per second (docs/benchmarks.md)
bash bench/run_scale.sh || status=1 # Fury's scale into SQLite + report, then HyperLogLog vs Redis (docs/benchmarks.md)
bash bench/run_dht.sh || status=1 # DHT node vs raw recvfrom, per core (docs/benchmarks.md)
bash bench/run_geo.sh || status=1 # geo lookups per second (docs/benchmarks.md)
exit $status
