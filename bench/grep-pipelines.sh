#!/usr/bin/env bash
# The seed's three grep pipelines (../shared/baselines/grep-6.12/README.md), back to back, in the
# kernel tree given as $1: the baseline the audit's speed is measured against.
set -u
cd "$1" || exit 2
grep -rl pcim_enable_device drivers/ | xargs grep -l -E "pci_alloc_irq_vectors|pci_alloc_irq_vectors_affinity" | xargs grep -L pci_free_irq_vectors >/dev/null
grep -rl pcim_enable_device drivers/ --include="*.c" | xargs grep -l -E "pci_alloc_irq_vectors|pci_alloc_irq_vectors_affinity" | xargs grep -l pci_free_irq_vectors >/dev/null
grep -rl pcim_enable_device drivers/ --include="*.c" | xargs grep -l -E "pci_enable_msi|pci_enable_msix" | xargs grep -l pci_disable_msi >/dev/null
exit 0
