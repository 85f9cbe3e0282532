#!/usr/bin/env bash
# Builds the hnswlib peer runner against Debian's header-only hnswlib
# (apt-get install -y libhnswlib-dev g++). Output: bench/hnswlib/runner.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -f /usr/include/hnswlib/hnswlib.h ]; then
  echo "hnswlib headers not found: apt-get install -y libhnswlib-dev" >&2
  exit 1
fi
version=$(dpkg-query -W -f '${Version}' libhnswlib-dev 2>/dev/null || echo unknown)
g++ -O3 -march=native -std=c++17 -pthread -DHNSWLIB_VERSION="\"$version\"" -o runner runner.cpp
echo "built $(pwd)/runner (hnswlib $version)"
