#!/bin/sh
# Fails when the committed dist/ is not what `npm run build` makes from the current sources
# (the bundles are reproducible, so any difference means someone forgot to rebuild).
#   scripts/check-dist.sh [DIST_DIR]    (default: dist/ of this checkout)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
dist=${1:-$root/dist}
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT INT TERM
node "$root/scripts/build.mjs" --outdir "$fresh" 2>"$fresh.log" || {
  cat "$fresh.log" >&2
  rm -f "$fresh.log"
  echo "check-dist: the build failed" >&2
  exit 1
}
rm -f "$fresh.log"
stale=""
for file in $( (cd "$fresh" && find . -type f; cd "$dist" 2>/dev/null && find . -type f) | sed 's|^\./||' | sort -u); do
  if ! cmp -s "$fresh/$file" "$dist/$file"; then
    stale="$stale dist/$file"
  fi
done
if [ -n "$stale" ]; then
  echo "dist/ is stale: run npm run build and commit. Differing files:$stale" >&2
  exit 1
fi
echo "check-dist: dist/ is up to date"
