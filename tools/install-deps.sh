#!/usr/bin/env bash
# Installs what brook needs to build, test and benchmark, from Debian 12's
# packages. Run as root. Installs nothing that is already there.
set -euo pipefail
packages=(
  g++ cmake ninja-build git ca-certificates
  libabsl-dev libprotobuf-dev protobuf-compiler libzstd-dev
  catch2 libbenchmark-dev nlohmann-json3-dev pkgconf
  libcurl4-openssl-dev libssl-dev  # the Kinesis HTTP client (lib/remote)
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
# The remote tests run kinesalite and dynalite (Kinesis and DynamoDB
# emulators, npm packages) with Node.js; without them those tests skip.
# Node.js comes from Debian unless a
# `node` and `npm` are there already.
if [ "${BROOK_WITH_NODE:-0}" = 1 ] &&
  ! { command -v node && command -v npm; } >/dev/null 2>&1; then
  packages+=(nodejs npm)
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

# kinesalite (at the version the conformance vectors were made with),
# dynalite, and the AWS SDK for JavaScript v3 Kinesis client (the baseline
# bench/remote/ measures brook's client against) into the checkout's
# .deps/node, where the tests and benchmarks look for them. Pinned versions.
if [ "${BROOK_WITH_NODE:-0}" = 1 ]; then
  node_dir="$(cd "$(dirname "$0")/.." && pwd)/.deps/node"
  if [ ! -f "$node_dir/node_modules/kinesalite/package.json" ] ||
    [ ! -f "$node_dir/node_modules/dynalite/package.json" ] ||
    [ ! -f "$node_dir/node_modules/@aws-sdk/client-kinesis/package.json" ]; then
    mkdir -p "$node_dir"
    npm install --prefix "$node_dir" --no-audit --no-fund --loglevel=error \
      kinesalite@3.3.3 dynalite@4.0.0 @aws-sdk/client-kinesis@3.1143.0
  fi
fi
