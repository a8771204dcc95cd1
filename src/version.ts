/** The tool's version, as reports and SARIF state it. Kept in step with package.json by a test. */
export const TOOL_NAME = "msi-ownership";
export const TOOL_VERSION = "0.1.0";
