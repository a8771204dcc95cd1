/**
 * The tracking issue of a scheduled audit: one issue, found again by a hidden marker in its
 * body and edited in place, never duplicated. Its body is the conversion summary, a checklist
 * of the drivers still needing conversion and the trend since the last run; the counts of that
 * run ride along in a hidden comment, so the trend needs no artifact.
 */
import {
  conversionChecklist,
  needsConversionCount,
  SNAPSHOT_SCHEMA,
  snapshotOf,
  toMarkdown,
  type MarkdownOptions,
  type ReportSnapshot,
} from "../report/markdown.js";
import type { Report } from "../report/types.js";
import type { Octokit } from "./checks.js";

export const TRACKING_MARKER = "<!-- msi-ownership:tracking -->";
const SNAPSHOT_OPEN = "<!-- msi-ownership:snapshot ";
const SNAPSHOT_CLOSE = " -->";
/** GitHub refuses issue bodies longer than 65536 characters; keep a margin. */
export const MAX_BODY = 65_000;
/** Who creates issues with the workflow's GITHUB_TOKEN (GET /user is refused to that token). */
export const ACTIONS_BOT = "github-actions[bot]";

export interface TrackingBodyOptions extends Pick<MarkdownOptions, "maintainers" | "linkBase" | "title"> {
  marker?: string;
  /** The previous run, from the issue or an artifact: the trend is computed against it. */
  previous?: Report | ReportSnapshot;
  /** A line saying which run wrote the body (a link to the workflow run). */
  footer?: string;
}

/** The snapshot as a hidden comment: JSON with `<` and `>` escaped, so it cannot end the comment. */
export function snapshotComment(snapshot: ReportSnapshot): string {
  const json = JSON.stringify(snapshot).replace(/</g, "\\u003c").replace(/>/g, "\\u003e");
  return `${SNAPSHOT_OPEN}${json}${SNAPSHOT_CLOSE}`;
}

/** The snapshot an earlier run left in a body, or undefined when there is none or it is damaged. */
export function snapshotFromBody(body: string | null | undefined): ReportSnapshot | undefined {
  if (!body) return undefined;
  const start = body.lastIndexOf(SNAPSHOT_OPEN);
  if (start < 0) return undefined;
  const end = body.indexOf(SNAPSHOT_CLOSE, start + SNAPSHOT_OPEN.length);
  if (end < 0) return undefined;
  try {
    const value = JSON.parse(body.slice(start + SNAPSHOT_OPEN.length, end)) as Partial<ReportSnapshot>;
    if (
      value.schema !== SNAPSHOT_SCHEMA ||
      typeof value.summary !== "object" ||
      typeof value.needsConversion !== "object"
    ) {
      return undefined;
    }
    return value as ReportSnapshot;
  } catch {
    // Someone edited the comment by hand: no trend this time, a fresh snapshot next time.
    return undefined;
  }
}

/**
 * The issue's body: marker, summary (with the trend), checklist, hidden snapshot. When that
 * is too long for GitHub, the per-subsystem tables go first, then the checklist's tail.
 */
export function trackingIssueBody(report: Report, options: TrackingBodyOptions = {}): string {
  const marker = options.marker ?? TRACKING_MARKER;
  const markdownOptions: MarkdownOptions = {
    ...(options.maintainers ? { maintainers: options.maintainers } : {}),
    ...(options.linkBase ? { linkBase: options.linkBase } : {}),
    ...(options.previous ? { previous: options.previous } : {}),
    ...(options.title ? { title: options.title } : {}),
  };
  const checklist = conversionChecklist(report, markdownOptions);
  let snapshot = snapshotOf(report);
  // The driver list makes the next trend name drivers; past a point, counts must do.
  if (snapshotComment(snapshot).length > MAX_BODY / 4)
    snapshot = { ...snapshot, needsConversion: {}, driversOmitted: true };
  const tail = [...(options.footer ? ["", options.footer] : []), "", snapshotComment(snapshot), ""].join(
    "\n",
  );
  const compose = (summary: string, lines: string[], omitted: number): string =>
    [
      marker,
      summary.trimEnd(),
      "",
      `### Checklist: ${needsConversionCount(report.summary)} to convert`,
      "",
      ...(lines.length > 0 ? lines : ["Nothing left to convert."]),
      ...(omitted > 0 ? [`- … and ${omitted} more (see the JSON report)`] : []),
    ].join("\n") + tail;

  let body = compose(toMarkdown(report, markdownOptions), checklist, 0);
  if (body.length <= MAX_BODY) return body;
  const short = toMarkdown(report, { ...markdownOptions, details: false });
  body = compose(short, checklist, 0);
  let kept = checklist.length;
  while (body.length > MAX_BODY && kept > 0) {
    kept = Math.max(0, kept - Math.max(1, Math.ceil((body.length - MAX_BODY) / 120)));
    body = compose(short, checklist.slice(0, kept), checklist.length - kept);
  }
  return body;
}

export interface TrackingIssueOptions extends TrackingBodyOptions {
  owner: string;
  repo: string;
  /** The issue's title (the action's `tracking-issue` input). */
  title: string;
  report: Report;
  /** A previous report from an artifact; when absent, the snapshot kept in the issue is used. */
  previousReport?: Report | ReportSnapshot;
  /**
   * Whose issues count: only an issue this login opened is taken as ours, so anyone else's
   * issue that copies the marker is never edited. Default: the token's user, or
   * github-actions[bot] for a workflow token.
   */
  author?: string;
}

export interface TrackingIssueResult {
  number: number;
  url: string;
  action: "created" | "updated" | "unchanged";
  /** Where the trend came from. */
  previous: "artifact" | "issue" | "none";
  /** Other open issues of ours carrying the marker (left alone; the oldest is kept up to date). */
  duplicates: number[];
}

interface IssueSummary {
  number: number;
  html_url: string;
  body?: string | null;
  pull_request?: unknown;
  user?: { login?: string } | null;
}

async function tokenLogin(octokit: Octokit): Promise<string> {
  try {
    const { data } = await octokit.rest.users.getAuthenticated();
    return data.login;
  } catch {
    // An installation token (the workflow's GITHUB_TOKEN) may not read /user.
    return ACTIONS_BOT;
  }
}

/** Our open issues with the marker, oldest first. */
export async function findTrackingIssues(
  octokit: Octokit,
  options: { owner: string; repo: string; marker: string; author: string },
): Promise<IssueSummary[]> {
  const issues = (await octokit.paginate(octokit.rest.issues.listForRepo, {
    owner: options.owner,
    repo: options.repo,
    state: "open",
    creator: options.author,
    sort: "created",
    direction: "asc",
    per_page: 100,
  })) as IssueSummary[];
  return issues.filter(
    (issue) =>
      issue.pull_request === undefined &&
      (issue.user?.login ?? options.author) === options.author &&
      (issue.body ?? "").includes(options.marker),
  );
}

export async function updateTrackingIssue(
  octokit: Octokit,
  options: TrackingIssueOptions,
): Promise<TrackingIssueResult> {
  const marker = options.marker ?? TRACKING_MARKER;
  const author = options.author ?? (await tokenLogin(octokit));
  const [existing, ...duplicates] = await findTrackingIssues(octokit, {
    owner: options.owner,
    repo: options.repo,
    marker,
    author,
  });
  const fromIssue = snapshotFromBody(existing?.body);
  const previous = options.previousReport ?? fromIssue;
  const body = trackingIssueBody(options.report, {
    ...options,
    marker,
    ...(previous ? { previous } : {}),
  });
  const source: TrackingIssueResult["previous"] = options.previousReport
    ? "artifact"
    : fromIssue
      ? "issue"
      : "none";
  const others = duplicates.map((issue) => issue.number);
  if (existing === undefined) {
    const { data } = await octokit.rest.issues.create({
      owner: options.owner,
      repo: options.repo,
      title: options.title,
      body,
    });
    return {
      number: data.number,
      url: data.html_url,
      action: "created",
      previous: source,
      duplicates: others,
    };
  }
  if (existing.body === body) {
    return {
      number: existing.number,
      url: existing.html_url,
      action: "unchanged",
      previous: source,
      duplicates: others,
    };
  }
  const { data } = await octokit.rest.issues.update({
    owner: options.owner,
    repo: options.repo,
    issue_number: existing.number,
    title: options.title,
    body,
  });
  return { number: data.number, url: data.html_url, action: "updated", previous: source, duplicates: others };
}
