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
  libcmocka-dev sqlite3 python3 python3-libtorrent mktorrent transmission-cli
  # benchmarks: libtorrent's bdecode is the anchor for the bencode benchmark
  libtorrent-rasterbar-dev g++
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
