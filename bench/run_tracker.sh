#!/usr/bin/env bash
# bench/run_tracker.sh - the tracker benchmark (docs/benchmarks.md, "tracker
# requests and count memory").  bench/run.sh calls it last; it also runs on
# its own from the repo root.  It builds what it needs, starts its own
# opentracker on a loopback /16 of its own, and ends every process it
# started (by PID) on exit.  Results are printed and written to bench/out/.
#
# 1. Rates: announces and scrapes per second, swarmwatch (our codecs on
#    sw_udp / sw_http on the libevent loop, bench/bench_tracker.c) side by
#    side with its anchors in the same round: a straight-line
#    sendto/recvfrom UDP client and a tiny poll(2) HTTP client
#    (bench/bench_tracker_raw.c), and for HTTP also the curl command line
#    tool (--parallel, the same libcurl).  Rounds alternate which side goes
#    first; the summary gives medians over the rounds and the median of the
#    per-round ratios.
# 2. count on a 5,000-peer swarm: register the peers from 5,000 loopback
#    addresses, run `swarmwatch count` (a release build linked here, see
#    "build") under /usr/bin/time -v while
#    sampling its memory from /proc and timing, from the tracker's replies
#    on lo (bench_tracker timeline, needs CAP_NET_RAW), how long it took to
#    be told about every peer; then an idle count on an empty swarm for the
#    baseline memory.
#
# Environment: BENCH_TRACKER_SECONDS (measured seconds per run, default
# 1.5), BENCH_TRACKER_ROUNDS (3), BENCH_TRACKER_WINDOW (UDP requests in
# flight, 32), BENCH_TRACKER_CONCURRENCY (HTTP connections, 16),
# BENCH_TRACKER_PEERS (5000), BENCH_TRACKER_COUNT_FOR (count's --for in
# seconds, 90), BENCH_TRACKER_CURL_N (requests per curl run, 8000),
# BENCH_TRACKER_SKIP_RATES=1 / BENCH_TRACKER_SKIP_COUNT=1.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${BENCH_TRACKER_SECONDS:-1.5}
rounds=${BENCH_TRACKER_ROUNDS:-3}
window=${BENCH_TRACKER_WINDOW:-32}
conc=${BENCH_TRACKER_CONCURRENCY:-16}
npeers=${BENCH_TRACKER_PEERS:-5000}
count_for=${BENCH_TRACKER_COUNT_FOR:-90}
curl_n=${BENCH_TRACKER_CURL_N:-8000}
out=bench/out
bin=build/bench
CC=${CC:-cc}
mkdir -p "$out" "$bin"

for tool in opentracker /usr/bin/time; do
	if ! command -v "$tool" >/dev/null; then
		echo "run_tracker.sh: $tool is missing (Debian packages opentracker, time)" >&2
		exit 1
	fi
done
have_curl=1
command -v curl >/dev/null || {
	have_curl=0
	echo "run_tracker.sh: no curl command line tool: its HTTP rows are left out" >&2
}

# --- build -------------------------------------------------------------------
# Our own release build of swarmwatch, linked like the Makefile links
# ./swarmwatch: ./swarmwatch itself is shared with `make SANITIZE=1` (make
# check), so it may be an ASan build at any moment, and ASan's quarantine
# and shadow memory would be measured instead of count's.
mvar() { make -pn SANITIZE=0 help 2>/dev/null | sed -n "s/^$1 := //p" | head -1; }
read -ra ldlibs <<<"$(mvar LDLIBS)"
read -ra cmd_src <<<"$(mvar CMD_SRC)"
cmd_obj=("${cmd_src[@]/#/build/rel/}")
cmd_obj=("${cmd_obj[@]/%.c/.o}")
make --no-print-directory SANITIZE=0 build/rel/libswarmwatch.a "${cmd_obj[@]}" >/dev/null
mkdir -p "$bin/tracker"
sw=$bin/tracker/swarmwatch
"$CC" -O2 -g -o "$sw" "${cmd_obj[@]}" build/rel/libswarmwatch.a "${ldlibs[@]}"
"$CC" -O2 -g -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -D_GNU_SOURCE -Isrc -Ibench \
	-Wall -Wextra -Wshadow -o "$bin/bench_tracker" bench/bench_tracker.c \
	bench/bench_tracker_raw.c bench/bench_tracker_swarm.c build/rel/libswarmwatch.a "${ldlibs[@]}"
bt=$bin/bench_tracker
for b in "$sw" "$bt"; do
	if nm "$b" | grep -q __asan_init; then
		echo "run_tracker.sh: $b is a sanitizer build: build/rel is not a release build" >&2
		exit 1
	fi
done

# --- a loopback /16 of our own, and clean-up ---------------------------------
# The testbed's slot locks (tests/testbed/testbed.py): 127.S.0.0/16 is ours
# while $lockdir/slot-S names our work directory.
work=$(mktemp -d /tmp/swarmwatch-bench-tracker.XXXXXX)
chmod 755 "$work"
lockdir=${SWARMWATCH_TESTBED_LOCKS:-/tmp/swarmwatch-testbed-slots}
mkdir -p "$lockdir"
chmod 1777 "$lockdir" 2>/dev/null || true
slot=
pids=()
cleanup() {
	local pid
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	done
	if [ -n "$slot" ] && [ "$(cat "$lockdir/slot-$slot" 2>/dev/null)" = "$work" ]; then
		rm -f "$lockdir/slot-$slot"
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start=$(sed 's/.*) //' /proc/$$/stat | awk '{ print $20 }')
printf '{"state": "up", "watchdog": [%d, %d], "what": "bench/run_tracker.sh"}\n' $$ "$start" \
	>"$work/state.json"
for s in $(shuf -i 100-239); do
	if (set -o noclobber && echo "$work" >"$lockdir/slot-$s") 2>/dev/null; then
		slot=$s
		break
	fi
done
if [ -z "$slot" ]; then
	echo "run_tracker.sh: no free loopback slot in $lockdir" >&2
	exit 1
fi
net=127.$slot
T=$net.0.1:6969

# --- torrents and opentracker ------------------------------------------------
# Lines 1-74: the scrape set; 75: the announce swarm; 76: the 5,000-peer
# swarm; 77: the empty swarm of the baseline.
for i in $(seq 1 77); do
	printf 'swarmwatch-bench-%d' "$i" | sha1sum | cut -c1-40
done >"$work/ihs.txt"
ih_ann=$(sed -n 75p "$work/ihs.txt")
ih_count=$(sed -n 76p "$work/ihs.txt")
ih_empty=$(sed -n 77p "$work/ihs.txt")
mkdir -p "$work/ot"
chmod 755 "$work/ot"
cp "$work/ihs.txt" "$work/ot/wl.txt"
chmod 644 "$work/ot/wl.txt"
ot=(opentracker -i "$net.0.1" -p 6969 -P 6969 -d "$work/ot" -w /wl.txt)
[ "$(id -u)" -eq 0 ] && ot+=(-u _opentracker) # as root it must drop privileges
(cd "$work/ot" && exec "${ot[@]}") >"$work/opentracker.log" 2>&1 &
pids+=($!)
# Ready when it answers; this also gives each scrape torrent 5 peers (1 seed).
ready=0
for _ in $(seq 1 20); do
	if "$bt" register -T "$T" -a "$net" -I "$work/ihs.txt" -k 74 -N 5 -s 5 >"$work/prime.txt" 2>&1
	then
		ready=1
		break
	fi
	sleep 0.3
done
if [ "$ready" != 1 ]; then
	echo "run_tracker.sh: opentracker on $T does not answer:" >&2
	cat "$work/opentracker.log" "$work/prime.txt" >&2
	exit 1
fi

stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
{
	echo "date:     $stamp"
	echo "machine:  $(nproc) cpus, $cpu, $(uname -sr)"
	echo "code:     $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD \
		-- src 2>/dev/null || echo ' + uncommitted changes in src/')"
	echo "tracker:  opentracker $(dpkg-query -W -f '${Version}' opentracker 2>/dev/null || echo '?')" \
		"on $T (UDP and HTTP), libcurl $(pkg-config --modversion libcurl)," \
		"libevent $(pkg-config --modversion libevent)"
	echo "rates:    $rounds rounds x ${secs}s per side per case (0.3 s warm-up), UDP window" \
		"$window, HTTP connections $conc, numwant 200, 1000 (peer_id, port) pairs"
} | tee "$out/tracker-machine.txt"

# --- 1. rates ------------------------------------------------------------------
raw="$out/tracker-raw.tsv"
err="$out/tracker-stderr.txt"
: >"$err"
printf 'round\tcase\tkind\tside\twindow\tper_scrape\tseconds\treplies\treq_per_s\tih_per_s\t' >"$raw"
printf 'peers_per_reply\ttimeouts\terrors\tsent\tcpu_s\tcpu_us_per_req\tsink\n' >>"$raw"

# case name, then bench_tracker arguments (the side's -r is added per run)
cases=(
	"udp-announce-w$window|udp-announce -b $net.0.2 -i $ih_ann -w $window"
	"udp-announce-w1|udp-announce -b $net.0.2 -i $ih_ann -w 1"
	"udp-scrape-k1|udp-scrape -b $net.0.2 -I $work/ihs.txt -k 1 -w $window"
	"udp-scrape-k74|udp-scrape -b $net.0.2 -I $work/ihs.txt -k 74 -w $window"
	"http-announce|http-announce -i $ih_ann -w $conc -o 2"
	"http-scrape|http-scrape -I $work/ihs.txt -k 1 -w $conc -o 2"
)

# The curl tool: curl_n requests, curl_n / wall time (process start included).
curl_urls() {
	local kind=$1 ihp
	if [ "$kind" = announce ]; then
		# shellcheck disable=SC2001
		ihp=$(sed 's/../%&/g' <<<"$ih_ann")
		awk -v n="$curl_n" -v ih="$ihp" -v host="$T" 'BEGIN { for (i = 0; i < n; i++)
			printf "url = \"http://%s/announce?info_hash=%s&peer_id=-SB0001-%012d&port=%d" \
			       "&uploaded=0&downloaded=0&left=1000&compact=1&numwant=200&key=%08x" \
			       "&no_peer_id=1\"\noutput = \"/dev/null\"\n", host, ih, i % 1000,
			       10000 + i % 1000, i }'
	else
		ihp=$(sed -n 1p "$work/ihs.txt" | sed 's/../%&/g')
		awk -v n="$curl_n" -v ih="$ihp" -v host="$T" 'BEGIN { for (i = 0; i < n; i++)
			printf "url = \"http://%s/scrape?info_hash=%s\"\noutput = \"/dev/null\"\n",
			       host, ih }'
	fi
}
run_curl() {
	local r=$1 kind=$2 t0 t1 ok cpu
	curl_urls "$kind" >"$work/curl-$kind.cfg"
	t0=$(date +%s.%N)
	timeout 60 /usr/bin/time -f '%U %S' -o "$work/curl.time" curl -sS --no-progress-meter \
		--parallel --parallel-max "$conc" --max-time 5 -w '%{http_code}\n' \
		-K "$work/curl-$kind.cfg" >"$work/curl.codes" 2>>"$err" || true
	t1=$(date +%s.%N)
	ok=$(grep -c '^200$' "$work/curl.codes" || true)
	cpu=$(awk '{ print $1 + $2 }' "$work/curl.time")
	awk -v r="$r" -v k="http-$kind" -v c="$conc" -v n="$curl_n" -v ok="$ok" -v t0="$t0" \
		-v t1="$t1" -v cpu="$cpu" -v ps="$([ "$kind" = scrape ] && echo 1 || echo 0)" \
		'BEGIN { s = t1 - t0; printf "%s\t%s\t%s\tcurl-cli\t%s\t%s\t%.3f\t%d\t%.0f\t%.0f\t-\t0\t%d\t%d\t%.3f\t%.2f\t0\n",
			r, k, k, c, ps, s, ok, ok / s, ps ? ok / s : 0, n - ok, n, cpu, ok ? cpu * 1e6 / ok : 0 }' \
		>>"$raw"
}

if [ "${BENCH_TRACKER_SKIP_RATES:-0}" != 1 ]; then
	for r in $(seq 1 "$rounds"); do
		for c in "${cases[@]}"; do
			name=${c%%|*}
			read -ra args <<<"${c#*|}"
			if [ $((r % 2)) -eq 1 ]; then order="sw raw"; else order="raw sw"; fi
			for side in $order; do
				extra=()
				[ "$side" = raw ] && extra=(-r)
				if ! timeout 60 "$bt" "${args[@]}" "${extra[@]}" -T "$T" -t "$secs" \
					2>>"$err" | sed "s/^/$r\t$name\t/" >>"$raw"; then
					echo "run_tracker.sh: $name ($side) failed:" >&2
					cat "$err" >&2
					exit 1
				fi
			done
		done
		if [ "$have_curl" = 1 ]; then
			run_curl "$r" announce
			run_curl "$r" scrape
		fi
		echo "rates: round $r/$rounds done" >&2
	done
fi

# --- 2. count on a 5,000-peer swarm -------------------------------------------
cnt="$out/tracker-count.txt"
: >"$cnt"
sample_mem() { # PID FILE: every second, RSS / anon / file in kB and CPU ticks
	local pid=$1 f=$2 t=0
	while kill -0 "$pid" 2>/dev/null; do
		awk -v t=$t '/^VmRSS|^RssAnon|^RssFile/ { v[$1] = $2 }
			END { if (v["VmRSS:"]) printf "%d\t%d\t%d\t%d\n", t, v["VmRSS:"], v["RssAnon:"], v["RssFile:"] }' \
			"/proc/$pid/status" 2>/dev/null >>"$f" || true
		sleep 1
		t=$((t + 1))
	done
}
forget() { # PID: waited for, so no longer ours to signal (it may be reused)
	local p keep=()
	for p in "${pids[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	pids=("${keep[@]}")
}
# count under /usr/bin/time -v; prints nothing, leaves $work/$tag.{json,time,mem}
run_count() {
	local tag=$1 ih=$2 for=$3 tpid cpid='' mpid='' rc=0
	/usr/bin/time -v -o "$work/$tag.time" "$sw" count --allow-private --json \
		--for "${for}s" --reannounce 200ms --udp-timeout 1s --tracker "udp://$T/announce" \
		--tracker "http://$T/announce" "$ih" >"$work/$tag.json" 2>"$work/$tag.err" &
	tpid=$!
	pids+=("$tpid")
	for _ in $(seq 1 50); do
		cpid=$(awk '{ print $1 }' "/proc/$tpid/task/$tpid/children" 2>/dev/null || true)
		[ -n "$cpid" ] && break
		sleep 0.02
	done
	: >"$work/$tag.mem"
	if [ -n "$cpid" ]; then
		pids+=("$cpid")
		sample_mem "$cpid" "$work/$tag.mem" &
		mpid=$!
	fi
	wait "$tpid" || rc=$?
	forget "$tpid"
	[ -n "$cpid" ] && forget "$cpid"
	[ -n "$mpid" ] && wait "$mpid"
	if [ "$rc" != 0 ]; then
		echo "run_tracker.sh: count ($tag) failed (exit $rc):" >&2
		cat "$work/$tag.err" >&2
		exit 1
	fi
}
tv() { awk -F': ' -v k="$2" 'index($0, k) { gsub(/^[ \t]+/, "", $2); print $2 }' "$work/$1.time"; }
seen() { grep -o '"seen":[0-9]*' "$work/$1.json" | head -1 | cut -d: -f2; }

if [ "${BENCH_TRACKER_SKIP_COUNT:-0}" != 1 ]; then
	"$bt" register -T "$T" -a "$net" -i "$ih_count" -N "$npeers" -s 5 | tee -a "$cnt"
	tl=0
	"$bt" timeline -T "$T" -a "$net" -N "$npeers" -t $((count_for + 30)) \
		>"$work/timeline.txt" 2>&1 &
	tl_pid=$!
	pids+=("$tl_pid")
	for _ in $(seq 1 50); do
		grep -q '^ready' "$work/timeline.txt" && tl=1 && break
		kill -0 "$tl_pid" 2>/dev/null || break
		sleep 0.05
	done
	[ "$tl" = 1 ] || echo "run_tracker.sh: no timeline: $(cat "$work/timeline.txt")" >&2
	run_count swarm "$ih_count" "$count_for"
	kill -TERM "$tl_pid" 2>/dev/null || true
	wait "$tl_pid" 2>/dev/null || true
	forget "$tl_pid"
	run_count idle "$ih_empty" 5
	{
		echo "count command: /usr/bin/time -v $sw count --allow-private --json" \
			"--for ${count_for}s --reannounce 200ms --udp-timeout 1s" \
			"--tracker udp://$T/announce --tracker http://$T/announce $ih_count"
		grep -v '^ready' "$work/timeline.txt" || true
		echo "memory samples (s, VmRSS kB, RssAnon kB, RssFile kB):"
		awk '{ printf "  %s", $0 } NR % 4 == 0 { print "" } END { print "" }' "$work/swarm.mem"
		for tag in swarm idle; do
			printf '%s\tunique_ips.seen %s\tmax_rss_kb %s\tuser_s %s\tsys_s %s\twall %s\t' \
				"$tag" "$(seen $tag)" "$(tv $tag 'Maximum resident set size')" \
				"$(tv $tag 'User time')" "$(tv $tag 'System time')" \
				"$(tv $tag 'Elapsed (wall clock)')"
			awk 'NR == 2 { f = $3 } { if ($3 > m) m = $3; l = $3 }
				END { printf "rss_anon_kb at 1 s %d, max %d, last %d\n", f, m, l }' "$work/$tag.mem"
		done
	} >>"$cnt"
	cp "$work/swarm.json" "$out/tracker-count-swarm.json"
fi

# --- summary --------------------------------------------------------------------
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -F'\t' -v cs="$1" -v side="$2" -v c="$3" '$2 == cs && $4 == side { print $c }' "$raw"; }
ratio() { # case side-a side-b column: per-round a/b, "median (r1 r2 r3)"
	local m rr
	m=$(paste <(col "$1" "$2" "$4") <(col "$1" "$3" "$4") |
		awk '{ printf "%.3f\n", $1 / $2 }' | median)
	rr=$(paste <(col "$1" "$2" "$4") <(col "$1" "$3" "$4") |
		awk '{ printf "%s%.2f", (NR > 1 ? " " : ""), $1 / $2 }')
	printf '%.2f (%s)' "$m" "$rr"
}

summary="$out/tracker-summary.txt"
{
	if [ "${BENCH_TRACKER_SKIP_RATES:-0}" != 1 ]; then
		echo
		echo "tracker requests against opentracker, medians of $rounds rounds"
		printf '%-18s %-10s %10s %11s %8s %9s %6s  %s\n' case side 'req/s' 'infohash/s' \
			'peers' 'cpu us/r' 'lost' 'swarmwatch / this side, median (rounds)'
		for c in "${cases[@]}"; do
			name=${c%%|*}
			sides="swarmwatch raw-udp"
			case $name in http-*) sides="swarmwatch raw-http" ;; esac
			[ "$have_curl" = 1 ] && [ "$sides" = "swarmwatch raw-http" ] && sides="$sides curl-cli"
			for side in $sides; do
				rps=$(col "$name" "$side" 9 | median)
				ihs=$(col "$name" "$side" 10 | median)
				ppr=$(col "$name" "$side" 11 | median)
				cpr=$(col "$name" "$side" 16 | median)
				lost=$(paste <(col "$name" "$side" 12) <(col "$name" "$side" 13) |
					awk '{ s += $1 + $2 } END { print s + 0 }')
				rel=
				if [ "$side" != swarmwatch ]; then
					rel="req/s $(ratio "$name" swarmwatch "$side" 9)"
					rel="$rel, cpu/req $(ratio "$name" swarmwatch "$side" 16)"
				fi
				printf '%-18s %-10s %10.0f %11.0f %8s %9.2f %6s  %s\n' "$name" "$side" "$rps" \
					"$ihs" "$ppr" "$cpr" "$lost" "$rel"
			done
		done
		echo "peers: per announce reply; lost: timeouts + stray or failed replies, all rounds;"
		echo "cpu us/r: the client process's CPU time (user + system) per reply; a cpu/req"
		echo "ratio above 1 means swarmwatch spends more CPU per request than that side."
	fi
	if [ "${BENCH_TRACKER_SKIP_COUNT:-0}" != 1 ]; then
		echo
		echo "count on a $npeers-peer swarm (--for ${count_for}s --reannounce 200ms)"
		grep -E '^(register|timeline|swarm|idle)' "$cnt"
	fi
} | tee "$summary"
echo "raw figures: $raw, $cnt; summary: $summary"
