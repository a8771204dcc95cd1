#!/usr/bin/env bash
# Compiles every file the `msi-ownership fix` patches touch, with the kernel's own build:
# a scratch copy of the tree, `make allmodconfig`, `make modules_prepare`, then each patch
# applied and `make path/to/file.o` for each patched .c file. A file that fails is compiled
# again without the patch, so a failure the patch did not cause is told apart.
#
# Usage: scripts/compile-patches.sh KERNEL_TREE PATCH_DIR [WORK_DIR]
#   WORK_DIR (default: a new directory under ${TMPDIR:-/tmp}) keeps the configured copy; run
#   again with the same WORK_DIR to skip the copy and the configuration (minutes).
# Output: one line per patched file (`ok`, `FAIL`, or `fails-unpatched-too`), a summary line,
# and build logs under WORK_DIR/logs. Exit status 1 when a patch breaks a file that builds
# without it.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 KERNEL_TREE PATCH_DIR [WORK_DIR]" >&2
  exit 2
fi
tree=$(cd "$1" && pwd)
patches=$(cd "$2" && pwd)
work=${3:-$(mktemp -d "${TMPDIR:-/tmp}/msi-compile.XXXXXX")}
jobs=${JOBS:-$(nproc)}
[ -f "$tree/Makefile" ] || { echo "$0: $tree: not a kernel tree (no Makefile)" >&2; exit 2; }
ls "$patches"/*.patch >/dev/null 2>&1 || { echo "$0: $patches: no *.patch files" >&2; exit 2; }

src="$work/linux"
mkdir -p "$work/logs"
if [ ! -f "$work/.prepared" ]; then
  echo "copying $tree to $src ..."
  rm -rf "$src"
  cp -a "$tree" "$src"
  echo "configuring (allmodconfig, modules_prepare) ..."
  make -C "$src" -s allmodconfig >"$work/logs/config.log" 2>&1
  make -C "$src" -s -j"$jobs" modules_prepare >>"$work/logs/config.log" 2>&1
  touch "$work/.prepared"
fi

# Conversion patches (--assume-pcim-api) call pcim_alloc_irq_vectors*(), which a tree without
# the series lacks: a stand-in that forwards to the hybrid allocator lets them compile.
cp "$tree/include/linux/pci.h" "$src/include/linux/pci.h"
if grep -qh '^+.*pcim_alloc_irq_vectors' "$patches"/*.patch && ! grep -q 'pcim_alloc_irq_vectors' "$src/include/linux/pci.h"; then
  echo "adding a pcim_alloc_irq_vectors() stand-in to include/linux/pci.h (the tree does not declare it)"
  python3 - "$src/include/linux/pci.h" <<'PY'
import sys
path = sys.argv[1]
text = open(path, encoding="latin1").read()
shim = """
/* msi-ownership compile check: stand-in for pcim_alloc_irq_vectors() of the devres series. */
static inline int pcim_alloc_irq_vectors(struct pci_dev *dev, unsigned int min_vecs,
					 unsigned int max_vecs, unsigned int flags)
{
	return pci_alloc_irq_vectors(dev, min_vecs, max_vecs, flags);
}

static inline int pcim_alloc_irq_vectors_affinity(struct pci_dev *dev, unsigned int min_vecs,
						  unsigned int max_vecs, unsigned int flags,
						  struct irq_affinity *affd)
{
	return pci_alloc_irq_vectors_affinity(dev, min_vecs, max_vecs, flags, affd);
}
"""
end = text.rstrip().rfind("#endif")
open(path, "w", encoding="latin1").write(text[:end] + shim + "\n" + text[end:])
PY
fi

# Files a patch touches, from its `+++ b/...` lines.
touched() { sed -n 's|^+++ b/||p' "$1"; }
restore() { for f in "$@"; do cp "$tree/$f" "$src/$f"; done; }
build() { make -C "$src" -j"$jobs" "${1%.c}.o" >"$2" 2>&1; }

ok=0 fail=0 pre=0 broken=()
for patch in "$patches"/*.patch; do
  mapfile -t files < <(touched "$patch")
  restore "${files[@]}"
  if ! (cd "$src" && git apply "$patch" 2>"$work/logs/apply.err"); then
    echo "FAIL $(basename "$patch"): does not apply: $(head -1 "$work/logs/apply.err")"
    fail=$((fail + 1)); broken+=("$(basename "$patch")")
    continue
  fi
  for f in "${files[@]}"; do
    case "$f" in *.c) ;; *) continue ;; esac
    log="$work/logs/$(echo "$f" | tr / _).log"
    if build "$f" "$log"; then
      echo "ok   $f"
      ok=$((ok + 1))
    else
      restore "$f"
      if build "$f" "$log.unpatched"; then
        echo "FAIL $f ($(basename "$patch")): $(grep -m1 -E 'error:' "$log" || tail -1 "$log")"
        fail=$((fail + 1)); broken+=("$f")
      else
        echo "fails-unpatched-too $f: $(grep -m1 -E 'error|\*\*\*' "$log.unpatched" || tail -1 "$log.unpatched")"
        pre=$((pre + 1))
      fi
    fi
  done
  restore "${files[@]}"
done
echo "compiled: $ok ok, $fail broken by a patch, $pre fail without the patch too (logs: $work/logs)"

# The kernel's style checker on each patch (the tool does not sign patches off: the author does).
clean=0
for patch in "$patches"/*.patch; do
  if perl "$tree/scripts/checkpatch.pl" --no-signoff --no-tree -q "$patch" >"$work/logs/checkpatch.log" 2>&1; then
    clean=$((clean + 1))
  else
    echo "checkpatch: $(basename "$patch"): $(grep -m1 -E '^(ERROR|WARNING|CHECK)' "$work/logs/checkpatch.log")"
  fi
done
echo "checkpatch: $clean of $(ls "$patches"/*.patch | wc -l) patches clean"
[ "$fail" -eq 0 ]
