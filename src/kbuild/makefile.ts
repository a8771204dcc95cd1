/**
 * Kbuild: which .c files make one module. Reads the assignments of a Makefile or Kbuild file
 * (`obj-$(CONFIG_X) += x.o`, `x-y := a.o b.o`, `x-objs := ...`, `x-$(CONFIG_Y) += c.o`); it
 * never runs make. Conditionals are read as the union of their branches, since a fork may
 * build any configuration.
 */

export interface ModuleDefinition {
  /** Directory of the Makefile, relative to the root. */
  dir: string;
  /** Module (or built-in object) name, without `.o`. */
  name: string;
  /** The module's C sources, relative to the root. */
  sources: string[];
}

/** Assignment targets whose objects are not parts of a module. */
const NOT_COMPOSITE = new Set([
  "obj",
  "lib",
  "subdir",
  "always",
  "targets",
  "extra",
  "hostprogs",
  "userprogs",
  "clean",
  "header-test",
  "ccflags",
  "asflags",
  "ldflags",
  "subdir-ccflags",
]);

const ASSIGNMENT = /^\s*(?:override\s+|export\s+)?([^\s:+?=]+)\s*(?::=|::=|\+=|\?=|=)\s*(.*)$/;
/** `x-y`, `x-m`, `x-objs`, `x-$(CONFIG_FOO)`, `x-$(if ...)`: the composite object x. */
const COMPOSITE = /^(.+?)-(?:y|m|objs|\$\(.*\))$/;
const TOP_LEVEL = /^obj-(?:y|m|\$\(.*\))$/;

function joinPath(dir: string, file: string): string {
  const parts = dir === "" ? [] : dir.split("/");
  for (const part of file.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return parts.join("/");
}

/** Logical lines: continuations joined, comments dropped. */
function logicalLines(text: string): string[] {
  const joined = text.replace(/\r\n?/g, "\n").replace(/\\\n/g, " ");
  return joined.split("\n").map((line) => line.replace(/(^|[^\\])#.*$/, "$1"));
}

/** The modules one Makefile (or Kbuild file) in `dir` defines. */
export function parseKbuild(dir: string, text: string): ModuleDefinition[] {
  const topLevel = new Set<string>();
  const parts = new Map<string, string[]>();
  for (const line of logicalLines(text)) {
    const match = ASSIGNMENT.exec(line);
    if (match === null) continue;
    const target = match[1] as string;
    const objects = (match[2] as string)
      .split(/\s+/)
      .filter((word) => word.endsWith(".o") && !word.includes("$"));
    if (objects.length === 0) continue;
    if (TOP_LEVEL.test(target)) {
      for (const object of objects) topLevel.add(object.slice(0, -2));
      continue;
    }
    const composite = COMPOSITE.exec(target);
    if (composite === null) continue;
    const name = composite[1] as string;
    if (NOT_COMPOSITE.has(name) || name.includes("$") || name.includes("FLAGS")) continue;
    const list = parts.get(name) ?? [];
    list.push(...objects.map((object) => object.slice(0, -2)));
    parts.set(name, list);
  }

  const modules: ModuleDefinition[] = [];
  const names = new Set([...topLevel, ...parts.keys()]);
  for (const name of [...names].sort()) {
    const members = parts.get(name);
    // A composite's parts may themselves be composites (rare): expand one level.
    const sources = (members ?? [name]).flatMap((member) =>
      member !== name && parts.has(member) ? (parts.get(member) as string[]) : [member],
    );
    modules.push({
      dir,
      name: name.includes("/") ? (name.split("/").pop() as string) : name,
      sources: [...new Set(sources.map((source) => `${joinPath(dir, source)}.c`))].sort(),
    });
  }
  return modules;
}

/** Display name of a module: its directory, or directory/name when the name differs. */
export function unitName(definition: ModuleDefinition): string {
  const base = definition.dir.split("/").pop();
  return base === definition.name ? definition.dir : joinPath(definition.dir, definition.name);
}
