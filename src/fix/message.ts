/**
 * The commit message of a module's patch: a subject with the prefix the subsystem's history
 * uses, and a body that says what the driver did, why that is wrong or about to break, and what
 * the patch changes. Pure.
 */
import type { ModulePlan } from "./plan.js";

/**
 * Path prefix → subject prefix, most specific first. `%` is the driver's name (see driverName).
 * Read from the subjects these directories carry in the kernel's history.
 */
const PREFIXES: readonly [string, string][] = [
  ["drivers/net/wireless/mediatek/mt76/", "wifi: mt76: %:"],
  ["drivers/net/wireless/", "wifi: %:"],
  ["drivers/net/wwan/", "net: wwan: %:"],
  ["drivers/net/can/", "can: %:"],
  ["drivers/net/ethernet/", "net: %:"],
  ["drivers/net/", "net: %:"],
  ["drivers/gpu/drm/", "drm/%:"],
  ["drivers/accel/", "accel/%:"],
  ["drivers/crypto/", "crypto: % -"],
  ["drivers/input/", "Input: % -"],
  ["drivers/dma/", "dmaengine: %:"],
  ["drivers/bluetooth/", "Bluetooth: %:"],
  ["drivers/scsi/", "scsi: %:"],
  ["drivers/ata/", "ata: %:"],
  ["drivers/block/", "block: %:"],
  ["drivers/nvme/", "nvme-pci:"],
  ["drivers/spi/", "spi: %:"],
  ["drivers/i2c/", "i2c: %:"],
  ["drivers/mmc/", "mmc: %:"],
  ["drivers/mfd/", "mfd: %:"],
  ["drivers/misc/mei/", "mei: %:"],
  ["drivers/misc/", "misc: %:"],
  ["drivers/tty/serial/", "serial: %:"],
  ["drivers/tty/", "tty: %:"],
  ["drivers/usb/", "usb: %:"],
  ["drivers/staging/media/", "media: %:"],
  ["drivers/staging/", "staging: %:"],
  ["drivers/media/", "media: %:"],
  ["drivers/thermal/intel/", "thermal: intel: %:"],
  ["drivers/thermal/", "thermal: %:"],
  ["drivers/vdpa/", "vdpa/%:"],
  ["drivers/perf/", "drivers/perf: %:"],
  ["drivers/ntb/", "NTB: %:"],
  ["drivers/hwtracing/intel_th/", "intel_th: %:"],
  ["drivers/hwtracing/", "hwtracing: %:"],
  ["drivers/firewire/", "firewire: %:"],
  ["drivers/fpga/", "fpga: %:"],
  ["drivers/platform/x86/", "platform/x86: %:"],
  ["drivers/edac/", "EDAC/%:"],
  ["drivers/hid/intel-ish-hid/", "HID: intel-ish-hid: %:"],
  ["drivers/hid/", "HID: %:"],
  ["drivers/cxl/", "cxl/%:"],
  ["drivers/pci/", "PCI: %:"],
  ["drivers/iio/", "iio: %:"],
  ["drivers/gpio/", "gpio: %:"],
  ["drivers/vfio/", "vfio/%:"],
  ["drivers/infiniband/", "RDMA/%:"],
];

/** Where the driver's own name is not the module's. */
const DRIVER_NAMES: Readonly<Record<string, string>> = {
  "drivers/gpu/drm/hisilicon/hibmc": "hisilicon/hibmc",
  "drivers/hwtracing/intel_th": "pci",
  "drivers/net/wwan/t7xx": "t7xx",
  "drivers/firewire": "ohci",
  "drivers/cxl/cxl_pci": "pci",
  "drivers/fpga/dfl-pci": "dfl-pci",
  "drivers/thermal/intel/int340x_thermal": "int340x",
  "drivers/dma/dw-edma": "dw-edma",
  "drivers/net/ethernet/marvell/octeontx2": "octeontx2",
  "drivers/net/ethernet/amd/xgbe": "amd-xgbe",
  "drivers/staging/media/atomisp": "atomisp",
  "drivers/vdpa/solidrun": "snet",
  "drivers/vdpa/alibaba": "eni_vdpa",
  "drivers/vdpa/virtio_pci": "vp_vdpa",
  "drivers/vdpa/octeon_ep": "octeon_ep",
  "drivers/scsi/hisi_sas": "hisi_sas",
  "drivers/crypto/ccp": "ccp",
};

/** The driver's name in a subject: the module, without what the prefix already says. */
export function driverName(unit: string, module: string, directory?: string): string {
  const dir = unit.includes("/") ? unit.slice(0, unit.lastIndexOf("/")) : unit;
  for (const [path, name] of Object.entries(DRIVER_NAMES)) {
    if (unit === path || unit.startsWith(`${path}/`) || dir === path) {
      return name;
    }
  }
  const mt76 = /mt76\/(mt\w+)\//.exec(`${unit}/`);
  if (mt76 !== null) return mt76[1] as string;
  if (unit.startsWith("drivers/misc/mei/")) return module.replace(/^mei-/, "");
  // A driver with a directory of its own goes by the directory (crypto: inside-secure -).
  if (directory !== undefined) return directory;
  return module
    .replace(/^(i2c|spi|mmc|hid|gpio|pinctrl)[-_]/, "")
    .replace(/_pci$|-pci$/, (suffix) => (module.startsWith("8250") ? suffix : ""));
}

/** `net: ice:`, `crypto: ccp -`, or from the path when no table entry matches. */
export function subjectPrefix(unit: string, module: string, directory?: string): string {
  const path = `${unit}/`;
  const name = driverName(unit, module, directory);
  for (const [prefix, template] of PREFIXES) {
    if (path.startsWith(prefix)) return template.replace("%", name);
  }
  const subsystem = /^drivers\/([^/]+)\//.exec(path)?.[1] ?? path.split("/")[0] ?? "drivers";
  return name === subsystem ? `${subsystem}:` : `${subsystem}: ${name}:`;
}

export function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

function calls(names: readonly string[]): string {
  return list([...new Set(names)].sort().map((name) => `${name}()`));
}

/**
 * The prefix the files' own history uses (`git log --format=%s -- FILE`, newest first): the
 * most frequent one among subjects of the shapes `a: b: Summary` and `crypto: ccp - Summary`,
 * the newest on a tie. Merges, reverts and treewide changes say nothing of the driver.
 */
export function historyPrefix(subjects: readonly string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const subject of subjects) {
    if (/^(Merge|Revert|treewide:|tree-wide:)/i.test(subject)) continue;
    const match = /^([\w./-]+:\s+[\w./-]+\s+-\s+)\S/.exec(subject) ?? /^((?:[\w./-]+:\s+)+)\S/.exec(subject);
    if (match === null) continue;
    const prefix = (match[1] as string).trim();
    counts.set(prefix, (counts.get(prefix) ?? 0) + 1);
  }
  let best: string | undefined;
  for (const [prefix, count] of counts)
    if (best === undefined || count > (counts.get(best) ?? 0)) best = prefix;
  return best;
}

/**
 * `directory`: the name of the directory the module has to itself, if it has one; `history`:
 * the subjects of the module's files' recent commits, whose prefix wins over the path table.
 */
export function subjectOf(plan: ModulePlan, directory?: string, history: readonly string[] = []): string {
  const prefix = historyPrefix(history) ?? subjectPrefix(plan.unit, plan.module, directory);
  if (plan.converted.length > 0) {
    const target = plan.converted.some((c) => c.callee.endsWith("_affinity"))
      ? "pcim_alloc_irq_vectors_affinity()"
      : "pcim_alloc_irq_vectors()";
    return `${prefix} Use ${target}`;
  }
  return `${prefix} Drop redundant ${calls(plan.removed.map((release) => release.callee))}`;
}

/** Wraps a paragraph at 72 columns; words longer than that stay whole. */
export function wrap(paragraph: string, width = 72): string {
  const lines: string[] = [];
  let current = "";
  for (const word of paragraph.split(/\s+/).filter((w) => w !== "")) {
    if (current !== "" && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else current = current === "" ? word : `${current} ${word}`;
  }
  if (current !== "") lines.push(current);
  return lines.join("\n");
}

function where(plan: ModulePlan): string {
  const places = new Map<string, string[]>();
  for (const release of plan.removed) {
    const label =
      release.reach === "probe"
        ? `on the error path of ${release.function}()`
        : release.reach === "devm-action"
          ? `in ${release.function}(), a devm action`
          : `in ${release.function}()`;
    const names = places.get(label) ?? [];
    names.push(release.callee);
    places.set(label, names);
  }
  return list([...places.keys()]);
}

/**
 * The body. `treeHasApi`: whether the tree declares pcim_alloc_irq_vectors(); when it does not
 * and the plan converts anyway (--assume-pcim-api), the body says what the patch depends on.
 */
export function bodyOf(plan: ModulePlan, treeHasApi: boolean): string {
  const driver = plan.module;
  const allocators = calls(plan.allocators.length > 0 ? plan.allocators : ["pci_alloc_irq_vectors"]);
  const releases = calls(plan.removed.map((release) => release.callee));
  const paragraphs: string[] = [];
  const devres =
    "pcim_enable_device() marks the device as managed, and on a managed device the MSI/MSI-X " +
    "allocators are devres-managed as a side effect: pcim_setup_msi_release() registers " +
    "pcim_msi_release(), which releases the vectors when the driver detaches, after remove() " +
    "or when probe() fails.";
  if (plan.removed.length > 0) {
    paragraphs.push(
      `The ${driver} driver enables its device with pcim_enable_device(), allocates the ` +
        `interrupt vectors with ${allocators}, and releases them itself with ${releases} ${where(plan)}.`,
    );
    paragraphs.push(
      `${devres} The explicit ${releases} ${new Set(plan.removed.map((r) => r.callee)).size > 1 ? "release" : "releases"} the vectors before devres does, and ` +
        "devres' own release is then a no-op: the explicit release is redundant, and it leaves the " +
        "ownership of the vectors ambiguous.",
    );
  } else {
    paragraphs.push(
      `The ${driver} driver enables its device with pcim_enable_device() and allocates the ` +
        `interrupt vectors with ${allocators}, and never releases them.`,
    );
    paragraphs.push(
      plan.status === "leaks-at-detach"
        ? "The driver relied on the hybrid devres cleanup: on a device enabled with " +
            "pcim_enable_device(), the MSI/MSI-X allocators used to register pcim_msi_release(). " +
            "This tree's PCI/MSI core no longer does, so the vectors are never released at " +
            "detach, and the next bind fails (MSI is still enabled: WARN_ON and -EINVAL)."
        : `${devres} The driver relies on that hidden cleanup, which goes away when the hybrid ` +
            "behaviour is removed in favour of the explicit pcim_alloc_irq_vectors(); the vectors " +
            "would then no longer be released at unbind, and the next bind would fail to enable MSI.",
    );
  }
  const changes: string[] = [];
  if (plan.converted.length > 0) {
    const renamed = calls(plan.converted.map((c) => c.callee));
    changes.push(
      `Allocate with ${calls(plan.converted.map((c) => c.callee.replace(/^pci_/, "pcim_")))} ` +
        `instead of ${renamed}, so the vectors are devres-managed by what the code says`,
    );
  }
  if (plan.removed.length > 0) changes.push(`drop the explicit ${releases} and leave the release to devres`);
  let change = `${changes.join(", and ")}.`;
  change = change.charAt(0).toUpperCase() + change.slice(1);
  if (plan.mergedLabels.length > 0) {
    change += ` The error label${plan.mergedLabels.length > 1 ? "s" : ""} ${list(plan.mergedLabels.map((m) => m.from))} now label${plan.mergedLabels.length > 1 ? "" : "s"} nothing and ${plan.mergedLabels.length > 1 ? "are" : "is"} folded into the next one.`;
  }
  if (plan.removedFunctions.length > 0) {
    const many = plan.removedFunctions.length > 1;
    change += ` ${list(plan.removedFunctions.map((name) => `${name}()`))} did nothing else and ${many ? "go" : "goes"}, with ${many ? "their" : "its"} registration.`;
  }
  if (plan.removedLocals.length > 0) {
    change += ` ${list(plan.removedLocals.map((name) => `'${name}'`))} ${plan.removedLocals.length > 1 ? "are no longer used and go" : "is no longer used and goes"}.`;
  }
  if (plan.removed.length > 0 && plan.converted.length === 0) change += " This changes no behaviour.";
  for (const kept of plan.kept)
    change += ` ${kept.callee}() at ${kept.path.split("/").at(-1)}:${kept.line} stays: ${kept.why.replace(/ \(.*\)$/, "")}.`;

  if (plan.converted.length === 0 && plan.removed.length > 0) {
    change += treeHasApi
      ? ""
      : " Converting the allocation to pcim_alloc_irq_vectors() follows once that API is available.";
  } else if (plan.converted.length > 0 && !treeHasApi) {
    change +=
      ' This depends on pcim_alloc_irq_vectors() from "PCI/MSI: Add Devres managed IRQ vectors allocation".';
  }
  paragraphs.push(change);
  return paragraphs.map((paragraph) => wrap(paragraph)).join("\n\n");
}
