#!/usr/bin/env bash
# Sets up a fresh Debian machine for glassbox: the Debian packages the tests
# and benchmarks use, then the npm dependencies (which build the core).
set -euo pipefail
cd "$(dirname "$0")/.."

# gcc-multilib: the native oracle and benchmark runner are 32-bit programs.
# nasm: benchmark kernels.
packages=(gcc-multilib nasm)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: please install these Debian packages (as root): ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

npm ci --no-fund --no-audit
