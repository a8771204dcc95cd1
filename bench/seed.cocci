// The seed's three patterns as one per-file semantic patch (no control flow): a managed enable,
// a hybrid allocation, and an explicit release in the same file.
@managed@
expression E;
@@
pcim_enable_device(E)

@alloc depends on managed@
expression list A;
@@
(
pci_alloc_irq_vectors(A)
|
pci_alloc_irq_vectors_affinity(A)
|
pci_enable_msi(A)
|
pci_enable_msix_range(A)
|
pci_enable_msix_exact(A)
)

@release depends on alloc@
expression D;
@@
(
* pci_free_irq_vectors(D)
|
* pci_disable_msi(D)
|
* pci_disable_msix(D)
)
