/**
 * Expressions that can go with the code they guard: `if (chip->msi_en)` may be deleted with
 * the release it guards, `if (foo_reset(dev))` may not. One test for the facts' edits and for
 * the fix command, so they delete the same things.
 */
import type { SyntaxNode } from "./backend.js";

/** Calls that only read: accessors the kernel's teardown code tests. */
const PURE_CALLS = new Set([
  "test_bit",
  "pci_get_drvdata",
  "dev_get_drvdata",
  "to_pci_dev",
  "container_of",
  "netdev_priv",
  "pci_dev_msi_enabled",
  "mtk_wed_device_active",
  "pci_dev_id",
]);

/** No assignment, increment or call other than accessors and ALL-CAPS macros. */
export function isPure(node: SyntaxNode): boolean {
  if (node.descendantsOfType(["assignment_expression", "update_expression"]).length > 0) return false;
  return node.descendantsOfType("call_expression").every((call) => {
    const name = call.childForFieldName("function")?.text ?? "";
    return PURE_CALLS.has(name) || /^[A-Z][A-Z0-9_]*$/.test(name);
  });
}
