/**
 * Keeps the facts cache across scheduled runs with @actions/cache: restored before the audit
 * (the newest entry of this tool version), saved after it under the run's id. The cache only
 * saves time, so every failure here is a notice, never a failed run.
 */
import * as cache from "@actions/cache";
import * as core from "@actions/core";
import { TOOL_VERSION } from "../version.js";

const KEY_PREFIX = `msi-ownership-facts-${TOOL_VERSION}-`;

export async function restoreFactsCache(dir: string): Promise<void> {
  if (!cache.isFeatureAvailable()) {
    core.info("msi-ownership: the Actions cache service is not available: the facts cache starts empty");
    return;
  }
  try {
    const hit = await cache.restoreCache([dir], `${KEY_PREFIX}restore`, [KEY_PREFIX]);
    core.info(
      hit === undefined
        ? "msi-ownership: no facts cache yet"
        : `msi-ownership: facts cache restored (${hit})`,
    );
  } catch (error) {
    core.info(`msi-ownership: facts cache not restored: ${(error as Error).message}`);
  }
}

export async function saveFactsCache(dir: string, runId: string): Promise<void> {
  if (!cache.isFeatureAvailable()) return;
  try {
    await cache.saveCache([dir], `${KEY_PREFIX}${runId}`);
    core.info("msi-ownership: facts cache saved");
  } catch (error) {
    core.info(`msi-ownership: facts cache not saved: ${(error as Error).message}`);
  }
}
