#!/usr/bin/env bash
# Installs Courier's library from a build tree into a temporary prefix, builds
# examples/library against it with find_package(courier) as an outside project would,
# and runs the example that needs no servers.
#   check_install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build_dir=$1
source_dir=$2
work=$(mktemp -d /tmp/courier-install-XXXXXX)
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/prefix" > /dev/null
cmake -S "$source_dir/examples/library" -B "$work/build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" > /dev/null
cmake --build "$work/build"
"$work/build/fan_out"
