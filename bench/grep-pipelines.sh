#!/usr/bin/env bash
# The seed's three grep pipelines (from the upstream series' cover letter), back to back, in the
# kernel tree given as $1: the baseline the audit's speed is measured against, and the lists the
# kernel-tree tests compare the checker with. With an output directory as $2, each list goes to
# its file there (implicit-managed.txt, double-release.txt, double-release-legacy.txt).
set -u
tree=$1
out=${2:-}
list() {
  if [ -n "$out" ]; then cat >"$out/$1"; else cat >/dev/null; fi
}
cd "$tree" || exit 2
if [ -n "$out" ]; then mkdir -p "$out" || exit 2; fi
grep -rl pcim_enable_device drivers/ | xargs grep -l -E "pci_alloc_irq_vectors|pci_alloc_irq_vectors_affinity" | xargs grep -L pci_free_irq_vectors | list implicit-managed.txt
grep -rl pcim_enable_device drivers/ --include="*.c" | xargs grep -l -E "pci_alloc_irq_vectors|pci_alloc_irq_vectors_affinity" | xargs grep -l pci_free_irq_vectors | list double-release.txt
grep -rl pcim_enable_device drivers/ --include="*.c" | xargs grep -l -E "pci_enable_msi|pci_enable_msix" | xargs grep -l pci_disable_msi | list double-release-legacy.txt
exit 0
