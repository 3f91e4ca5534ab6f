#!/usr/bin/env bash
# Installs every Debian 12 package metronome needs (as root), then configures and builds
# the release preset. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(cmake ninja-build g++ pkg-config
  libsystemc-dev libboost-graph-dev libfmt-dev libgtest-dev libbenchmark-dev
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev python3-matplotlib
  slurm-wlm munge parallel)  # tests/cluster: a one-node Slurm and GNU parallel (validation/cluster/)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "${missing[@]}"
fi
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
