#!/bin/sh
# Compiles tree-sitter's Node binding for linux-x64 and linux-arm64 into native/prebuilds/,
# which scripts/build.mjs embeds in the bundles. Run it after updating the tree-sitter package,
# then commit native/prebuilds/.
#
# Why not tree-sitter's own prebuilds: those of 0.25.1 need GLIBCXX_3.4.31 (GCC 13's libstdc++),
# which Debian 12 and Ubuntu 22.04 do not have, so `dist/cli.js` would not start there. Built with
# Debian 12's GCC 12, these need GLIBCXX_3.4.29 and glibc 2.17 (Ubuntu 22.04, Debian 12, RHEL 9 and
# later). A static libstdc++ is no better: it pulls in glibc 2.36 symbols (arc4random).
#
# Needs: g++ (x64) and g++-aarch64-linux-gnu (arm64), Node's headers (/usr/include/node or
# NODE_INCLUDE), and node_modules installed.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
ts="$root/node_modules/tree-sitter"
napi="$root/node_modules/node-addon-api"
node_include=${NODE_INCLUDE:-/usr/include/node}
[ -f "$node_include/node_api.h" ] || { echo "build-native: no node_api.h in $node_include (set NODE_INCLUDE)" >&2; exit 1; }
[ -f "$ts/package.json" ] || { echo "build-native: run npm ci first" >&2; exit 1; }
version=$(node -p "require('$ts/package.json').version")

build() {
  platform=$1 cc=$2 cxx=$3 strip=$4
  command -v "$cxx" >/dev/null || { echo "build-native: $cxx not found (apt-get install ${cxx%-g++}-g++ or g++)" >&2; exit 1; }
  work=$(mktemp -d)
  # The flags of tree-sitter's binding.gyp (Release).
  "$cc" -c -O3 -fPIC -std=c11 -D_POSIX_C_SOURCE=200112L -D_DEFAULT_SOURCE \
    -I"$ts/vendor/tree-sitter/lib/src" -I"$ts/vendor/tree-sitter/lib/include" \
    "$ts/vendor/tree-sitter/lib/src/lib.c" -o "$work/lib.o"
  for source in "$ts"/src/*.cc; do
    "$cxx" -c -O3 -fPIC -std=c++17 -fvisibility=hidden -fno-rtti -Wno-cast-function-type \
      -DNAPI_VERSION=9 -DNAPI_CPP_EXCEPTIONS -DNODE_GYP_MODULE_NAME=tree_sitter_runtime_binding \
      -I"$node_include" -I"$napi" -I"$ts/vendor/tree-sitter/lib/include" \
      "$source" -o "$work/$(basename "$source" .cc).o"
  done
  mkdir -p "$root/native/prebuilds/$platform"
  "$cxx" -shared -pthread -Wl,--build-id=none -o "$work/tree-sitter.node" "$work"/*.o
  "$strip" --strip-unneeded "$work/tree-sitter.node"
  mv "$work/tree-sitter.node" "$root/native/prebuilds/$platform/tree-sitter.node"
  rm -rf "$work"
  echo "build-native: native/prebuilds/$platform/tree-sitter.node ($(wc -c <"$root/native/prebuilds/$platform/tree-sitter.node") bytes)"
}

build linux-x64 gcc g++ strip
build linux-arm64 aarch64-linux-gnu-gcc aarch64-linux-gnu-g++ aarch64-linux-gnu-strip
printf '{\n  "tree-sitter": "%s"\n}\n' "$version" >"$root/native/prebuilds/versions.json"
