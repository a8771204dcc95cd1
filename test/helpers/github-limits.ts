/**
 * Limits GitHub states in its documentation's prose but not in api.github.com.json's schemas,
 * where the project depends on them. Each returns the rules a request breaks (empty when GitHub
 * would take it), in the words the fake GitHub records.
 */

/** Issue, pull request and comment bodies (GitHub: "body is too long (maximum is 65536 characters)"). */
export const MAX_BODY_CHARACTERS = 65_536;
/** The Checks API takes at most 50 annotations a request; more go in further updates. */
export const MAX_ANNOTATIONS_PER_REQUEST = 50;
/** An annotation's title: "The maximum size is 255 characters." */
export const MAX_ANNOTATION_TITLE = 255;
/** An annotation's message and raw details: "The maximum size is 64 KB." */
export const MAX_ANNOTATION_BYTES = 64 * 1024;

/**
 * A step's job summary (GITHUB_STEP_SUMMARY): "each step is restricted to a maximum size of
 * 1MiB"; a larger one is not shown. Not an API request: the runner uploads the file.
 */
export const MAX_STEP_SUMMARY_BYTES = 1024 * 1024;

type Body = Record<string, unknown>;

function bodyTooLong(where: string, text: unknown): string[] {
  return typeof text === "string" && text.length > MAX_BODY_CHARACTERS
    ? [`${where} is too long (${text.length} characters; maximum is ${MAX_BODY_CHARACTERS})`]
    : [];
}

function checkRunViolations(input: Body): string[] {
  const violations: string[] = [];
  if ((input.status === "completed" || input.completed_at !== undefined) && input.conclusion === undefined)
    violations.push("conclusion is required when status is completed or completed_at is given");
  const annotations = ((input.output as Body | undefined)?.annotations ?? []) as Body[];
  if (!Array.isArray(annotations)) return violations;
  if (annotations.length > MAX_ANNOTATIONS_PER_REQUEST)
    violations.push(
      `output.annotations has ${annotations.length} items; at most ${MAX_ANNOTATIONS_PER_REQUEST} a request`,
    );
  annotations.forEach((annotation, index) => {
    if (
      (annotation.start_column !== undefined || annotation.end_column !== undefined) &&
      annotation.start_line !== annotation.end_line
    )
      violations.push(`output.annotations/${index} has columns but spans lines (columns are for one line)`);
    if (typeof annotation.title === "string" && annotation.title.length > MAX_ANNOTATION_TITLE)
      violations.push(`output.annotations/${index}/title is longer than ${MAX_ANNOTATION_TITLE} characters`);
    for (const field of ["message", "raw_details"]) {
      const text = annotation[field];
      if (typeof text === "string" && Buffer.byteLength(text) > MAX_ANNOTATION_BYTES)
        violations.push(`output.annotations/${index}/${field} is larger than 64 KB`);
    }
  });
  return violations;
}

/** The prose limits of one operation on its request body. */
export function proseViolations(operationId: string, body: unknown): string[] {
  if (typeof body !== "object" || body === null) return [];
  const input = body as Body;
  switch (operationId) {
    case "checks/create":
    case "checks/update":
      return checkRunViolations(input);
    case "issues/create":
    case "issues/update":
    case "issues/create-comment":
    case "issues/update-comment":
    case "pulls/create-review-comment":
    case "pulls/update-review-comment":
      return bodyTooLong("body", input.body);
    case "pulls/create-review":
      return [
        ...bodyTooLong("body", input.body),
        ...((Array.isArray(input.comments) ? input.comments : []) as Body[]).flatMap((comment, index) =>
          bodyTooLong(`comments/${index}/body`, comment.body),
        ),
      ];
    default:
      return [];
  }
}

/** A line of a file's diff that a review comment can be placed on. */
export interface DiffLine {
  /** The review-comment position: 1 is the line below the first hunk header. */
  position: number;
  /** LEFT: a deleted line (base numbering); RIGHT: an added or context line (head numbering). */
  side: "LEFT" | "RIGHT";
  line: number;
  /** A context line's number at the base. */
  baseLine?: number;
}

/** The commentable lines of a patch; every later hunk header also counts one position. */
export function diffLinesOf(patch: string): DiffLine[] {
  const lines: DiffLine[] = [];
  let position = 0;
  let baseLine = 0;
  let headLine = 0;
  let started = false;
  for (const text of patch.split("\n")) {
    const header = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(text);
    if (header !== null) {
      if (started) position += 1;
      started = true;
      baseLine = Number(header[1]);
      headLine = Number(header[2]);
      continue;
    }
    if (!started || text.startsWith("\\")) {
      if (started) position += 1;
      continue;
    }
    position += 1;
    if (text.startsWith("-")) lines.push({ position, side: "LEFT", line: baseLine++ });
    else if (text.startsWith("+")) lines.push({ position, side: "RIGHT", line: headLine++ });
    else lines.push({ position, side: "RIGHT", line: headLine++, baseLine: baseLine++ });
  }
  return lines;
}

/** Review-comment position → head line, for the added and context lines of a patch. */
export function positionsOfPatch(patch: string): Map<number, number> {
  return new Map(
    diffLinesOf(patch)
      .filter((line) => line.side === "RIGHT")
      .map((line) => [line.position, line.line]),
  );
}

/**
 * Why GitHub cannot place a review comment (by `position`, or by `line` and `side`) on the pull
 * request whose files have these patches; undefined when it can.
 */
export function reviewCommentViolation(
  patches: ReadonlyMap<string, string | undefined>,
  comment: Record<string, unknown>,
): string | undefined {
  const path = comment.path;
  if (typeof path !== "string" || !patches.has(path))
    return `path ${String(path)} is not a file of the pull request (Path could not be resolved)`;
  const lines = diffLinesOf(patches.get(path) ?? "");
  if (typeof comment.position === "number") {
    return lines.some((line) => line.position === comment.position)
      ? undefined
      : `position ${comment.position} is not in the diff of ${path} (Position could not be resolved)`;
  }
  const side = comment.side === "LEFT" ? "LEFT" : "RIGHT";
  const onDiff = (wanted: unknown, wantedSide: string): boolean =>
    lines.some(
      (line) =>
        (line.side === wantedSide && line.line === wanted) ||
        (wantedSide === "LEFT" && line.baseLine === wanted),
    );
  if (typeof comment.line !== "number") return `a comment on ${path} needs a position or a line`;
  if (!onDiff(comment.line, side))
    return `line ${comment.line} (${side}) is not in the diff of ${path} (Line could not be resolved)`;
  if (
    typeof comment.start_line === "number" &&
    !onDiff(comment.start_line, comment.start_side === "LEFT" ? "LEFT" : side)
  )
    return `start_line ${comment.start_line} is not in the diff of ${path} (Start line could not be resolved)`;
  return undefined;
}
