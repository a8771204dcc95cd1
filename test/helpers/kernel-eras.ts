/**
 * Eras 2 and 3 built from a Linux 6.12 tree (era 1) in a scratch directory, with patches written
 * from the series' cover letter: add pcim_alloc_irq_vectors[_affinity]() to pci.h and
 * drivers/pci/msi/, convert switchtec and vmd (era 2), then remove the hybrid registration from
 * the MSI context setup (era 3). Unchanged files are hard links to the 6.12 tree (the audit does
 * not follow symbolic links out of its root); a changed file is unlinked first and written anew,
 * so the 6.12 tree is never written through a link.
 */
import { execFileSync } from "node:child_process";
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export type Patch = (text: string) => string;

/** Replaces `anchor` once; a tree where the anchor is not found fails loudly, naming it. */
function replaceOnce(path: string, anchor: string, replacement: string): Patch {
  return (text) => {
    const at = text.indexOf(anchor);
    if (at < 0) throw new Error(`${path}: the patch's anchor is not there: ${anchor.split("\n")[0]}`);
    return text.slice(0, at) + replacement + text.slice(at + anchor.length);
  };
}

const PCIM_DECLARATIONS = `void pci_free_irq_vectors(struct pci_dev *dev);
int pcim_alloc_irq_vectors(struct pci_dev *dev, unsigned int min_vecs,
			   unsigned int max_vecs, unsigned int flags);
int pcim_alloc_irq_vectors_affinity(struct pci_dev *dev, unsigned int min_vecs,
				    unsigned int max_vecs, unsigned int flags,
				    struct irq_affinity *affd);
`;

const PCIM_ALLOCATORS = `EXPORT_SYMBOL(pci_alloc_irq_vectors_affinity);

/**
 * pcim_alloc_irq_vectors_affinity() - Device-managed pci_alloc_irq_vectors_affinity()
 *
 * The vectors are freed when the driver detaches, whether or not the device was enabled
 * with pcim_enable_device().
 */
int pcim_alloc_irq_vectors_affinity(struct pci_dev *dev, unsigned int min_vecs,
				    unsigned int max_vecs, unsigned int flags,
				    struct irq_affinity *affd)
{
	int nvecs, ret;

	nvecs = pci_alloc_irq_vectors_affinity(dev, min_vecs, max_vecs, flags, affd);
	if (nvecs < 0)
		return nvecs;

	ret = pcim_setup_msi_devres(dev);
	if (ret)
		return ret;
	return nvecs;
}
EXPORT_SYMBOL(pcim_alloc_irq_vectors_affinity);

int pcim_alloc_irq_vectors(struct pci_dev *dev, unsigned int min_vecs,
			   unsigned int max_vecs, unsigned int flags)
{
	return pcim_alloc_irq_vectors_affinity(dev, min_vecs, max_vecs, flags, NULL);
}
EXPORT_SYMBOL(pcim_alloc_irq_vectors);
`;

const HYBRID_RELEASE = `static int pcim_setup_msi_release(struct pci_dev *dev)
{
	int ret;

	if (!pci_is_managed(dev) || dev->is_msi_managed)
		return 0;

	ret = devm_add_action(&dev->dev, pcim_msi_release, dev);
	if (ret)
		return ret;

	dev->is_msi_managed = true;
	return 0;
}
`;

/** The same registration for any device: what pcim_alloc_irq_vectors*() asks for. */
const DEVRES_RELEASE = HYBRID_RELEASE.replace(
  "static int pcim_setup_msi_release(",
  "int pcim_setup_msi_devres(",
).replace("!pci_is_managed(dev) || ", "");

/** Era 2 keeps the hybrid pattern on top of the explicit registration. */
const HYBRID_ON_DEVRES = `${DEVRES_RELEASE}
static int pcim_setup_msi_release(struct pci_dev *dev)
{
	if (!pci_is_managed(dev))
		return 0;
	return pcim_setup_msi_devres(dev);
}
`;

const MSI_C = "drivers/pci/msi/msi.c";

/** The files each era changes, with their patches (applied to the 6.12 text). */
export function eraPatches(era: 2 | 3): Record<string, Patch[]> {
  const managed: Record<string, Patch[]> = {
    "include/linux/pci.h": [
      replaceOnce(
        "include/linux/pci.h",
        "void pci_free_irq_vectors(struct pci_dev *dev);\n",
        PCIM_DECLARATIONS,
      ),
    ],
    "drivers/pci/msi/msi.h": [
      replaceOnce(
        "drivers/pci/msi/msi.h",
        "void pci_msi_teardown_msi_irqs(struct pci_dev *dev);\n",
        "void pci_msi_teardown_msi_irqs(struct pci_dev *dev);\nint pcim_setup_msi_devres(struct pci_dev *dev);\n",
      ),
    ],
    "drivers/pci/msi/api.c": [
      replaceOnce(
        "drivers/pci/msi/api.c",
        "EXPORT_SYMBOL(pci_alloc_irq_vectors_affinity);\n",
        PCIM_ALLOCATORS,
      ),
    ],
    "drivers/pci/switch/switchtec.c": [
      replaceOnce(
        "drivers/pci/switch/switchtec.c",
        "nvecs = pci_alloc_irq_vectors(stdev->pdev, 1, nirqs,",
        "nvecs = pcim_alloc_irq_vectors(stdev->pdev, 1, nirqs,",
      ),
    ],
    "drivers/pci/controller/vmd.c": [
      replaceOnce(
        "drivers/pci/controller/vmd.c",
        "vmd->msix_count = pci_alloc_irq_vectors(dev, vmd->first_vec + 1,",
        "vmd->msix_count = pcim_alloc_irq_vectors(dev, vmd->first_vec + 1,",
      ),
    ],
  };
  if (era === 2) return { ...managed, [MSI_C]: [replaceOnce(MSI_C, HYBRID_RELEASE, HYBRID_ON_DEVRES)] };
  return {
    ...managed,
    [MSI_C]: [
      replaceOnce(MSI_C, HYBRID_RELEASE, DEVRES_RELEASE),
      replaceOnce(MSI_C, "\treturn pcim_setup_msi_release(dev);\n", "\treturn 0;\n"),
    ],
  };
}

/** The 6.12 text of each changed file, patched. */
export function patchedFiles(kernelTree: string, era: 2 | 3): Record<string, string> {
  return Object.fromEntries(
    Object.entries(eraPatches(era)).map(([path, patches]) => [
      path,
      patches.reduce((text, patch) => patch(text), readFileSync(join(kernelTree, path), "latin1")),
    ]),
  );
}

/** A file written in place of a link: the link goes first, so its target is left alone. */
export function replaceFile(root: string, path: string, text: string): void {
  const target = join(root, path);
  rmSync(target, { force: true });
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, text, "latin1");
}

/** A scratch tree of an era: drivers/, the top Makefile and pci.h linked, the era's files written. */
export function buildEraTree(kernelTree: string, era: 2 | 3, into: string): string {
  rmSync(into, { recursive: true, force: true });
  mkdirSync(join(into, "include/linux"), { recursive: true });
  execFileSync("cp", ["-al", join(kernelTree, "drivers"), join(into, "drivers")]);
  linkSync(join(kernelTree, "Makefile"), join(into, "Makefile"));
  linkSync(join(kernelTree, "include/linux/pci.h"), join(into, "include/linux/pci.h"));
  for (const [path, text] of Object.entries(patchedFiles(kernelTree, era))) replaceFile(into, path, text);
  return into;
}
