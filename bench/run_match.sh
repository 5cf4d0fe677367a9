#!/usr/bin/env bash
# bench/run_match.sh - the matcher benchmark (docs/benchmarks.md, "release
# names matched per second").  bench/run.sh calls it; it also runs on its
# own from the repo root.  Release names parsed (sw_release_parse) and
# matched (sw_match_title) per second on one core against a generated
# 1,000-title watchlist, side by side in the same round with two anchors
# over the same names: a bare tokenizer (the floor) and a POSIX regex
# matcher (bench/bench_match.c says how each is built).  Each round runs
# the three sides back to back in one process; the summary gives medians
# over the rounds and the median of the per-round ratios.
#
# Environment: BENCH_MATCH_SECONDS (timed seconds per side, default 2),
# BENCH_MATCH_ROUNDS (default 3).  Goal (issue 6): >= 1,000,000 names/s.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${BENCH_MATCH_SECONDS:-2}
rounds=${BENCH_MATCH_ROUNDS:-3}
out=bench/out
bin=build/bench
CC=${CC:-cc}
mkdir -p "$out" "$bin"

make --no-print-directory build/rel/libswarmwatch.a >/dev/null
"$CC" -O2 -g -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Isrc -Ibench -Wall -Wextra \
	-Wno-format-truncation -o "$bin/bench_match" bench/bench_match.c build/rel/libswarmwatch.a -lm

raw="$out/match-raw.tsv"
printf 'round\tside\ttitles\tnames\tpasses\tseconds\tcpu_seconds\tnames_per_s\tmatched\n' >"$raw"
for r in $(seq 1 "$rounds"); do
	"$bin/bench_match" -t "$secs" 2>"$out/match-check.txt" | sed "s/^/$r\t/" >>"$raw"
done
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -F'\t' -v side="$1" -v c="$2" '$2 == side { print $c }' "$raw"; }
# names per CPU second of the thread: the per-core rate, which a busy
# machine's preemption does not lower (wall-clock rates are printed too).
cpu_rate() { awk -F'\t' -v side="$1" '$2 == side { printf "%.0f\n", $4 * $5 / $7 }' "$raw"; }
ratio() { paste <(cpu_rate swarmwatch) <(cpu_rate "$1") | awk '{ printf "%.3f\n", $1 / $2 }' | median; }
summary="$out/match-summary.txt"
{
	echo
	echo "release names parsed + matched, 1 core, 1,000 titles, medians of $rounds rounds"
	echo "machine: $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(uname -sr)"
	sed 's/^# /check: /' "$out/match-check.txt"
	printf '%-11s %16s %16s %9s\n' side 'names/cpu-s' 'names/wall-s' cpu/wall
	for side in swarmwatch tokenize regex; do
		printf '%-11s %16.0f %16.0f %9s\n' $side "$(cpu_rate $side | median)" \
			"$(col $side 8 | median)" \
			"$(paste <(col $side 7) <(col $side 6) | awk '{ printf "%.3f\n", $1 / $2 }' | median)"
	done
	printf 'ratio (cpu) swarmwatch / tokenize: %s   swarmwatch / regex: %s\n' \
		"$(ratio tokenize)" "$(ratio regex)"
} | tee "$summary"
rate=$(cpu_rate swarmwatch | median)
awk -v r="$rate" 'BEGIN { exit !(r >= 1000000) }' || {
	echo "run_match.sh: below the goal of 1,000,000 names/s per core" >&2
	exit 1
}
