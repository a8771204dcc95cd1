/** Hand-made reports for the reporters' tests: small, but with every field a reporter reads. */
import {
  REPORT_SCHEMA,
  STATUSES,
  type DriverReport,
  type Finding,
  type Report,
  type Status,
} from "../../src/report/types.js";

export function finding(overrides: Partial<Finding> & Pick<Finding, "file" | "line">): Finding {
  return {
    ruleId: "msi-double-release",
    severity: "error",
    column: 2,
    message: "MSI vectors of a managed device are released twice: pci_free_irq_vectors() in acme_remove()",
    evidence: [],
    fingerprint: `fp-${overrides.file}-${overrides.line}`,
    fix: { description: "Drop the explicit release.", edits: [] },
    ...overrides,
  };
}

export function driver(
  overrides: Partial<DriverReport> & Pick<DriverReport, "unit" | "status">,
): DriverReport {
  const module = overrides.unit.split("/").at(-1)!;
  return { module, files: [`${overrides.unit}/${module}.c`], findings: [], ...overrides };
}

export function report(drivers: DriverReport[], extra: Partial<Report> = {}): Report {
  const summary = Object.fromEntries(STATUSES.map((status) => [status, 0])) as Record<Status, number>;
  for (const entry of drivers) summary[entry.status]++;
  return {
    schema: REPORT_SCHEMA,
    tool: { name: "msi-ownership", version: "0.1.0" },
    tree: { root: "linux", kernelVersion: "6.12.117", pcimAllocIrqVectors: false },
    drivers,
    summary,
    stats: { filesScanned: 10, filesParsed: 4, durationMs: 12 },
    ...extra,
  };
}

/** Three drivers needing work (one across two files, one with a mechanical fix), three that do not. */
export function sampleReport(): Report {
  const acme = "drivers/net/ethernet/acme";
  return report([
    driver({
      unit: acme,
      module: "acme",
      files: [`${acme}/acme_main.c`, `${acme}/acme_irq.c`],
      status: "double-release",
      findings: [
        finding({
          file: `${acme}/acme_irq.c`,
          line: 245,
          column: 2,
          fingerprint: "3f1c2a9d0b7e4c11",
          evidence: [
            {
              file: `${acme}/acme_main.c`,
              line: 5288,
              column: 8,
              role: "managed-enable",
              function: "acme_probe",
              text: "pcim_enable_device(pdev)",
            },
            {
              file: `${acme}/acme_irq.c`,
              line: 197,
              column: 8,
              role: "hybrid-alloc",
              function: "acme_init_interrupt_scheme",
              text: "pci_alloc_irq_vectors(pf->pdev, 1, v, PCI_IRQ_MSIX)",
            },
            {
              file: `${acme}/acme_irq.c`,
              line: 245,
              column: 2,
              role: "release",
              function: "acme_clear_interrupt_scheme",
              text: "pci_free_irq_vectors(pf->pdev)",
            },
            {
              file: `${acme}/acme_main.c`,
              line: 5400,
              column: 2,
              role: "entry",
              function: "acme_remove",
              text: ".remove = acme_remove",
            },
          ],
          fix: {
            description: "Drop the explicit release: devres frees the vectors at detach.",
            edits: [
              {
                file: `${acme}/acme_irq.c`,
                startLine: 245,
                startColumn: 2,
                endLine: 246,
                endColumn: 1,
                replacement: "",
              },
            ],
          },
        }),
      ],
    }),
    driver({
      unit: "drivers/cxl",
      module: "cxl_pci",
      files: ["drivers/cxl/pci.c"],
      status: "implicit-managed",
      findings: [
        finding({
          ruleId: "msi-implicit-managed",
          severity: "warning",
          file: "drivers/cxl/pci.c",
          line: 467,
          column: 7,
          message: "MSI vectors rely on the hidden devres cleanup of pcim_enable_device()",
          fingerprint: "a0b1c2d3e4f5a6b7",
          evidence: [
            {
              file: "drivers/cxl/pci.c",
              line: 870,
              column: 7,
              role: "managed-enable",
              function: "cxl_pci_probe",
              text: "pcim_enable_device(pdev)",
            },
            {
              file: "drivers/cxl/pci.c",
              line: 467,
              column: 7,
              role: "hybrid-alloc",
              function: "cxl_alloc_irq_vectors",
              text: "pci_alloc_irq_vectors(pdev, 1, nvecs, PCI_IRQ_MSIX | PCI_IRQ_MSI)",
            },
          ],
          fix: {
            description: "Allocate with pcim_alloc_irq_vectors().",
            edits: [
              {
                file: "drivers/cxl/pci.c",
                startLine: 467,
                startColumn: 8,
                endLine: 467,
                endColumn: 29,
                replacement: "pcim_alloc_irq_vectors",
              },
            ],
          },
        }),
      ],
    }),
    driver({
      unit: "drivers/misc/foo7",
      module: "foo7",
      status: "converted-double-release",
      findings: [
        finding({
          ruleId: "msi-converted-double-release",
          file: "drivers/misc/foo7/foo7.c",
          line: 88,
          message: "Vectors from pcim_alloc_irq_vectors() are also released explicitly [in foo7_remove()]",
          fingerprint: "0011223344556677",
        }),
      ],
    }),
    driver({ unit: "drivers/net/ethernet/acme/legacy", module: "acme_old", status: "unmanaged" }),
    driver({ unit: "drivers/misc/bar", module: "bar", status: "converted" }),
    driver({ unit: "drivers/misc/baz", module: "baz", status: "no-msi" }),
  ]);
}
