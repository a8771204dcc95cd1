import type { Command } from "commander";
import { explainRule, findRule, RULES } from "../rules/index.js";
import { EXIT_OK, UsageError } from "./shared.js";

export function registerExplain(program: Command, setStatus: (code: number) => void): void {
  program
    .command("explain")
    .description("print a rule's documentation (all rules when none is given)")
    .argument("[rule]", "rule id, e.g. msi-double-release")
    .action((id?: string) => {
      const rules = id === undefined ? RULES : [findRule(id)];
      if (rules.some((rule) => rule === undefined)) {
        throw new UsageError(
          `explain: unknown rule '${id}' (known: ${RULES.map((rule) => rule.id).join(", ")})`,
        );
      }
      process.stdout.write(rules.map((rule) => explainRule(rule!)).join("\n"));
      setStatus(EXIT_OK);
    });
}
