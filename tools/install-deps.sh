#!/usr/bin/env bash
# Installs what brook needs to build, test and benchmark, from Debian 12's
# packages. Run as root. Installs nothing that is already there.
set -euo pipefail
packages=(
  g++ cmake ninja-build git ca-certificates
  libabsl-dev libprotobuf-dev protobuf-compiler libzstd-dev
  catch2 libbenchmark-dev nlohmann-json3-dev pkgconf
)
# Sanitizer builds and the format check (.ci/run) use clang's tools.
if [ "${BROOK_WITH_CLANG:-0}" = 1 ]; then
  packages+=(clang libclang-rt-14-dev clang-format)
fi
# The peer stores bench/peers/ measures brook against (issue 13); the
# benchmark is built only when they are found, so the default install skips them.
if [ "${BROOK_WITH_PEERS:-0}" = 1 ]; then
  packages+=(librocksdb-dev liblmdb-dev libleveldb-dev)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
