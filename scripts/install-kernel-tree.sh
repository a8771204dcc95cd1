#!/usr/bin/env bash
# Installs Debian's linux-source-6.12 and unpacks it once, for the kernel-tree tests and the
# benchmark. Prints the tree's path on stdout; idempotent.
#   KERNEL_TREE=$(scripts/install-kernel-tree.sh)
set -euo pipefail

version="${KERNEL_SOURCE_VERSION:-6.12.117-1~deb12u1}"
dest="${KERNEL_TREE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/msi-ownership/linux-source-6.12}"

if [ -f "$dest/.unpacked" ]; then
  echo "$dest"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

tarball=/usr/src/linux-source-6.12.tar.xz
if [ ! -f "$tarball" ]; then
  $sudo apt-get update -qq >&2
  # The pinned version is the one KERNEL.md's line numbers come from; fall back to the
  # newest 6.12 when the archive no longer carries it.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "linux-source-6.12=$version" >&2 ||
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq linux-source-6.12 >&2
fi

tmp="$dest.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
tar -xJf "$tarball" -C "$tmp" --strip-components=1
rm -rf "$dest"
mv "$tmp" "$dest"
touch "$dest/.unpacked"
echo "$dest"
