/** How the report orders its drivers and counts them: one place for the audit and merge. */
import { STATUSES, type DriverReport, type Status } from "./types.js";

export function compareDrivers(a: DriverReport, b: DriverReport): number {
  if (a.unit !== b.unit) return a.unit < b.unit ? -1 : 1;
  const left = a.driver ?? "";
  const right = b.driver ?? "";
  return left < right ? -1 : left > right ? 1 : 0;
}

export function summarize(drivers: readonly DriverReport[]): Record<Status, number> {
  const summary = Object.fromEntries(STATUSES.map((status) => [status, 0])) as Record<Status, number>;
  for (const driver of drivers) summary[driver.status]++;
  return summary;
}
