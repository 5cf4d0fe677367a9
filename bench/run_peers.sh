#!/usr/bin/env bash
# bench/run_peers.sh - the peer benchmark (docs/benchmarks.md, "10,000 peer
# connections and metadata from a magnet").  bench/run.sh calls it; it also
# runs on its own from the repo root.  It builds what it needs, claims a
# loopback /16 of its own (127.S.0.0/16, the testbed's slot locks), ends
# every process it started (by PID) on exit, and finishes in about two
# minutes.  Results are printed and written to bench/out/peers-*.
#
# 1. Connections: bench/bench_peers.c (the verifier from
#    build/rel/libswarmwatch.a, max_conns N, a linger longer than the run)
#    against N fake peers of bench/peerfarm.c, each on its own address
#    127.S.X.Y, each answering the handshake with a bitfield of 700 of 1400
#    pieces and then holding the connection.  For N = 1,000, 5,000 and
#    10,000, BENCH_PEERS_ROUNDS rounds each: time until every peer was
#    reported `verified` (with the right fraction), verified per second,
#    peak concurrent connections, memory with all N open.  A farm process
#    needs two descriptors per peer; where the hard RLIMIT_NOFILE is lower
#    than that (no CAP_SYS_RESOURCE, e.g. in a container) the peers are
#    split over several farm processes.
# 2. Metadata from a magnet: bench/metadata_lt.py, swarmwatch count against
#    python3-libtorrent, the anchor, in the same rounds (a libtorrent seed
#    and a bench-only HTTP tracker on 127.S.0.1-2).
#
# Environment: BENCH_PEERS_SIZES ("1000 5000 10000"), BENCH_PEERS_ROUNDS
# (3), BENCH_PEERS_META_ROUNDS (5), BENCH_PEERS_META_SETS (the torrents,
# NAME:FILES:FILE_KIB each, default "big:1000:160 small:1000:32"; add
# huge:10:327680 for a 4 MB info dict), BENCH_PEERS_META_TIMEOUT (seconds
# per fetch, 20), BENCH_PEERS_SKIP_CONNS=1 / BENCH_PEERS_SKIP_META=1.
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=${BENCH_PEERS_SIZES:-"1000 5000 10000"}
rounds=${BENCH_PEERS_ROUNDS:-3}
meta_rounds=${BENCH_PEERS_META_ROUNDS:-5}
meta_sets=${BENCH_PEERS_META_SETS:-"big:1000:160 small:1000:32"}
meta_timeout=${BENCH_PEERS_META_TIMEOUT:-20}
pieces=1400
have=700
run_s=30 # bench_peers gives up after this; a farm lives 15 s longer at most
out=bench/out
bin=build/bench
CC=${CC:-cc}
PY=/usr/bin/python3 # Debian's, with python3-libtorrent
mkdir -p "$out" "$bin"

if ! "$PY" -c 'import libtorrent' 2>/dev/null; then
	echo "run_peers.sh: $PY cannot import libtorrent (Debian package python3-libtorrent)" >&2
	exit 1
fi

# --- build -------------------------------------------------------------------
make --no-print-directory swarmwatch build/rel/libswarmwatch.a >/dev/null
read -ra libs <<<"$(pkg-config --libs libevent libcurl libcrypto sqlite3) -lm -pthread"
warn=(-Wall -Wextra -Wshadow -Wconversion)
"$CC" -O2 -g -std=c11 -D_GNU_SOURCE "${warn[@]}" -o "$bin/peerfarm" bench/peerfarm.c
"$CC" -O2 -g -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -D_GNU_SOURCE -Isrc -Ibench \
	"${warn[@]}" -o "$bin/bench_peers" bench/bench_peers.c build/rel/libswarmwatch.a "${libs[@]}"

# --- a loopback /16 of our own, and clean-up -----------------------------------
work=$(mktemp -d /tmp/swarmwatch-bench-peers.XXXXXX)
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
			sleep 0.2
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
printf '{"state": "up", "watchdog": [%d, %d], "what": "bench/run_peers.sh"}\n' $$ "$start" \
	>"$work/state.json"
# A slot whose lock we take and on which no socket is bound (someone may
# use a /16 without its lock).
# /proc/net/tcp holds 127.S.X.Y as hex YYXXSS7F.
busy=$(awk 'FNR > 1 { split($2, a, ":"); if (substr(a[1], 7, 2) == "7F") print substr(a[1], 5, 2) }' \
	/proc/net/tcp /proc/net/udp | sort -u | while read -r h; do echo $((16#$h)); done)
for s in $(shuf -i 100-239); do
	grep -qx "$s" <<<"$busy" && continue
	if (set -o noclobber && echo "$work" >"$lockdir/slot-$s") 2>/dev/null; then
		slot=$s
		break
	fi
done
if [ -z "$slot" ]; then
	echo "run_peers.sh: no free loopback slot in $lockdir" >&2
	exit 1
fi
net=127.$slot

stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
hard=$(ulimit -Hn)
{
	echo "date:     $stamp"
	echo "machine:  $(nproc) cpus, $cpu, $(uname -sr), $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1e6 }' /proc/meminfo)"
	echo "loadavg:  $(cut -d' ' -f1-3 /proc/loadavg) at the start"
	echo "libs:     libevent $(pkg-config --modversion libevent), python3-libtorrent" \
		"$("$PY" -c 'import libtorrent as lt; print(lt.__version__)')"
	echo "network:  $net.0.0/16 on lo; RLIMIT_NOFILE hard limit $hard"
} | tee "$out/peers-machine.txt"

# --- 1. N connections at once -------------------------------------------------------
raw="$out/peers-conns.tsv"
farmlog="$out/peers-farm.txt"
: >"$farmlog"
ih=$(printf 'swarmwatch-bench-peers' | sha1sum | cut -c1-40)
per_farm=$(((hard - 100) / 2))
port=20000
run_one() { # n round
	local n=$1 r=$2 nf size first k fpids=() f ok
	port=$((port + 1))
	nf=$(((n + per_farm - 1) / per_farm))
	size=$(((n + nf - 1) / nf))
	for ((k = 0; k < nf; k++)); do
		first=$((k * size))
		[ $((first + size)) -le "$n" ] || size=$((n - first))
		"$bin/peerfarm" -a "$net" -n "$size" -o "$first" -p "$port" -i "$ih" -P "$pieces" \
			-K "$have" -t $((run_s + 15)) -e >"$work/farm-$k.out" 2>&1 &
		pids+=($!)
		fpids+=($!)
	done
	for _ in $(seq 1 100); do # ready within 10 s
		ok=0
		for ((k = 0; k < nf; k++)); do
			grep -q '^ready' "$work/farm-$k.out" && ok=$((ok + 1))
		done
		[ "$ok" -eq "$nf" ] && break
		sleep 0.1
	done
	if [ "$ok" -ne "$nf" ]; then
		echo "run_peers.sh: the peer farm did not start:" >&2
		cat "$work"/farm-*.out >&2
		exit 1
	fi
	"$bin/bench_peers" -a "$net" -n "$n" -p "$port" -i "$ih" -P "$pieces" -K "$have" \
		-t "$run_s" -H 1 -T "$out/peers-timeline-$n-$r.tsv" -h >"$work/bench.out" ||
		echo "run_peers.sh: bench_peers $n, round $r: not every peer verified" >&2
	for f in "${fpids[@]}"; do
		wait "$f" || true
	done
	if [ "$r" = 1 ] && [ "$n" = "$(echo "$sizes" | tr ' ' '\n' | head -1)" ]; then
		printf 'round\t%s\tfarms\tfarm_open_peak\tfarm_answered\tfarm_cpu_s\n' \
			"$(head -1 "$work/bench.out")" >"$raw"
	fi
	# The farms' own view: every peer answered, all N open at once.
	cat "$work"/farm-*.out >>"$farmlog"
	local fo fa fc
	fo=$(cat "$work"/farm-*.out | awk '/^peerfarm/ { for (i = 1; i < NF; i++) if ($i == "open_peak") s += $(i + 1) } END { print s + 0 }')
	fa=$(cat "$work"/farm-*.out | awk '/^peerfarm/ { for (i = 1; i < NF; i++) if ($i == "answered") s += $(i + 1) } END { print s + 0 }')
	fc=$(cat "$work"/farm-*.out | awk '/^peerfarm/ { for (i = 1; i < NF; i++) if ($i == "cpu_s") s += $(i + 1) } END { print s + 0 }')
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$(tail -1 "$work/bench.out")" "$nf" "$fo" "$fa" "$fc" \
		>>"$raw"
	rm -f "$work"/farm-*.out
	awk -F'\t' -v n="$n" -v r="$r" 'NR == 2 { printf "peers %6d round %d: %d verified in %.3f s " \
		"(%.0f/s), peak %d connections, VmRSS %.1f MB, %.0f us CPU/peer\n", n, r, $3, $5, $6,
		$12, $19 / 1024, $25 }' "$work/bench.out"
}

if [ "${BENCH_PEERS_SKIP_CONNS:-0}" != 1 ]; then
	for r in $(seq 1 "$rounds"); do
		for n in $sizes; do
			run_one "$n" "$r"
		done
	done
fi

# --- 2. metadata from a magnet ------------------------------------------------------
status=0
if [ "${BENCH_PEERS_SKIP_META:-0}" != 1 ]; then
	set_args=()
	for s in $meta_sets; do
		set_args+=(--set "$s")
	done
	timeout 400 "$PY" bench/metadata_lt.py --net "$net" --work "$work/meta" \
		--swarmwatch ./swarmwatch --rounds "$meta_rounds" --timeout "$meta_timeout" \
		"${set_args[@]}" --out "$out/peers-metadata.tsv" |
		tee "$out/peers-metadata.txt" || status=1
fi

# --- summary --------------------------------------------------------------------------
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { # n column-name
	awk -F'\t' -v n="$1" -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$(c["n"]) == n { print $(c[name]) }' "$raw"
}
if [ "${BENCH_PEERS_SKIP_CONNS:-0}" != 1 ]; then
	summary="$out/peers-summary.txt"
	{
		echo
		echo "N peer connections held at once, medians of $rounds rounds (MB = 2^20 bytes)"
		printf '%6s %9s %8s %11s %7s %7s %8s %8s %8s %10s %8s %7s %6s\n' peers verified seconds \
			'verified/s' 'peak' 'farm' 'RSS MB' 'HWM MB' 'KB/conn' 'CPU us/pr' 'CPU s' 'lag ms' \
			'runq s'
		for n in $sizes; do
			v=$(col "$n" verified | median)
			secs=$(col "$n" seconds_all | median)
			rate=$(col "$n" verified_per_s | median)
			peak=$(col "$n" peak_active | median)
			fpeak=$(col "$n" farm_open_peak | median)
			rss=$(col "$n" rss_all_kb | median)
			hwm=$(col "$n" hwm_kb | median)
			kpc=$(col "$n" kb_per_conn | median)
			cpuus=$(col "$n" cpu_us_per_peer | median)
			lag=$(col "$n" max_lag_ms | median)
			cpus=$(col "$n" cpu_s | median)
			runq=$(col "$n" runq_wait_s | median)
			printf '%6d %9s %8.3f %11.0f %7s %7s %8.1f %8.1f %8.2f %10.1f %8.3f %7.0f %6.3f\n' \
				"$n" "$v" "$secs" "$rate" "$peak" "$fpeak" \
				"$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" \
				"$(awk -v k="$hwm" 'BEGIN { print k / 1024 }')" "$kpc" "$cpuus" "$cpus" "$lag" "$runq"
		done
		echo "seconds: from adding the N candidates to the last peer reported verified;"
		echo "peak: the verifier's most concurrent connections; farm: the farms' most open at"
		echo "once; RSS/HWM: VmRSS and VmHWM of bench_peers when the last peer was verified;"
		echo "CPU: bench_peers' user+system time until then (its connect() calls also run the"
		echo "farm's side of the TCP handshake in the kernel); lag: the longest the loop was"
		echo "late for a 10 ms timer (held by one callback, or not scheduled); runq: time spent"
		echo "runnable but waiting for a CPU (other processes).  Connect failures must be 0."
		echo "raw: $raw, timelines: $out/peers-timeline-N-R.tsv, farms: $farmlog"
	} | tee "$summary"
	# Every run: all N verified with the right fraction, no connect failure.
	bad=$(awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$(c["verified"]) != $(c["n"]) || $(c["connect_failures"]) != 0 ||
		$(c["have_mismatch"]) != 0 || $(c["farm_answered"]) != $(c["n"]) { k++ }
		END { print k + 0 }' "$raw")
	[ "$bad" = 0 ] || {
		echo "run_peers.sh: $bad runs did not verify every peer cleanly (see $raw)" >&2
		status=1
	}
fi
exit $status
