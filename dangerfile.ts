// The ready-to-use dangerfile of msi-ownership. From a kernel fork, with the action's checkout:
//
//   npx danger ci --dangerfile "${{ steps.msi.outputs.dangerfile }}"
//
// Options come from the environment (README, "Danger"): MSI_OWNERSHIP_REPORT (the action's JSON
// report; unset: analyse the PR here), MSI_OWNERSHIP_FULL_REPORT, MSI_OWNERSHIP_FAIL_ON,
// MSI_OWNERSHIP_INLINE, MSI_OWNERSHIP_SUGGESTIONS, MSI_OWNERSHIP_ROOT.
//
// Written as plain CommonJS on purpose: `npx danger` in a repository without package.json has no
// TypeScript to transpile this file, and Danger then evaluates it as CommonJS as it is. The plugin
// is loaded by a path relative to this file, the bundle beside it, so no package install is needed.

// eslint-disable-next-line @typescript-eslint/no-require-imports
const plugin = require("./dist/danger.js");

module.exports.default = async function msiOwnershipDangerfile() {
  await plugin.msiOwnership(plugin.optionsFromEnv(process.env));
};
