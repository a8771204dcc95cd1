/** Every rule, in the order the README and SARIF list them. */
import { convertedDoubleRelease } from "./converted-double-release.js";
import { doubleRelease } from "./double-release.js";
import { implicitManaged } from "./implicit-managed.js";
import { leaksAtDetach } from "./leaks-at-detach.js";
import type { Rule } from "./rule.js";

export type { Rule } from "./rule.js";
export { convertedDoubleRelease, doubleRelease, implicitManaged, leaksAtDetach };

export const RULES: readonly Rule[] = [leaksAtDetach, doubleRelease, convertedDoubleRelease, implicitManaged];

export function findRule(id: string): Rule | undefined {
  return RULES.find((rule) => rule.id === id);
}

/** The text `msi-ownership explain RULE` prints. */
export function explainRule(rule: Rule): string {
  return [
    `${rule.id} (${rule.severity}): ${rule.title}`,
    "",
    rule.rationale,
    "",
    "Example:",
    rule.example.replace(/^/gm, "    "),
    "",
    `Fix: ${rule.fix}`,
    "",
  ].join("\n");
}
