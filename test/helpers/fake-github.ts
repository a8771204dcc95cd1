/**
 * The one stand-in for the GitHub REST API, on 127.0.0.1, for every test that talks to GitHub
 * (the action, the tracking issue, the real `danger ci`, the API under faults). It keeps a
 * repository's pull request, issues, comments, statuses and check runs in memory, and GitHub's
 * published description (github-contract.ts) referees each exchange: a request GitHub would
 * refuse gets GitHub's answer (404 for an unknown route, 422 with its message) and is recorded
 * as a violation naming the operation and the rule; so is an answer GitHub could not give.
 * `close()` rejects while a violation is recorded, so the test that made one fails; a test that
 * provokes one on purpose takes it with `takeViolations()`.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  exampleResponse,
  findOperation,
  operationById,
  requestViolations,
  responseViolations,
  type Operation,
} from "./github-contract.js";
import { proseViolations, reviewCommentViolation, positionsOfPatch } from "./github-limits.js";

export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  body: unknown;
  /** GitHub's operationId for the request, or undefined when GitHub has no such route. */
  operationId: string | undefined;
}

export interface FakeResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Answer only after this long (a hanging API: the client's timeout must cut it). */
  delayMs?: number;
}

/** A fault in place of GitHub's answer, or undefined to let the fake GitHub answer. */
export type Intercept = (request: RecordedRequest) => FakeResponse | undefined;

export interface PullRequestFile {
  filename: string;
  status: "added" | "modified" | "removed" | "renamed" | "copied";
  previous_filename?: string;
  /** The hunks of the file's diff from the first `@@` line, as GitHub's `patch` field. */
  patch?: string;
}

export interface FakePullRequest {
  number: number;
  baseSha: string;
  headSha: string;
  files: PullRequestFile[];
  commits?: { sha: string; parents: string[]; message: string }[];
}

export interface StoredIssue {
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  /** The login that opened it. */
  author: string;
  /** Issues lists include pull requests; this one is one. */
  pullRequest?: boolean;
}

export interface StoredComment {
  id: number;
  body: string;
  author: string;
}

export interface StoredReviewComment extends StoredComment {
  path: string;
  position: number;
  /** The head line the position stands for. */
  line: number;
  commitId: string;
}

export interface StoredCheckRun {
  id: number;
  name: string;
  headSha: string;
  status: string;
  conclusion: string | null;
  detailsUrl?: string;
  title: string | null;
  summary: string | null;
  /** Every annotation of every update, appended as GitHub does. */
  annotations: unknown[];
}

export interface Violation {
  /** GitHub's operationId, or `METHOD path` when GitHub has no such route. */
  operation: string;
  request: string;
  rule: string;
}

export interface FakeGitHubOptions {
  owner?: string;
  repo?: string;
  pullRequest?: FakePullRequest;
  issues?: StoredIssue[];
  /** The token's login (GET /user); undefined is an installation token, which GitHub answers 403. */
  login?: string;
  /** At most this many items a page, whatever per_page asks (GitHub may give fewer). */
  pageSize?: number;
  intercept?: Intercept;
}

export interface FakeGitHub {
  url: string;
  requests: RecordedRequest[];
  issues: StoredIssue[];
  issueComments: StoredComment[];
  reviewComments: StoredReviewComment[];
  statuses: { sha: string; state: string; description: string | undefined }[];
  checkRuns: StoredCheckRun[];
  violations: Violation[];
  /** The violations so far, forgotten: for a test that makes GitHub refuse on purpose. */
  takeViolations(): Violation[];
  /**
   * Fails, naming each operation and rule, when GitHub refused or could not have answered;
   * `context` (a tool's output) is added to the message.
   */
  assertNoViolations(context?: string): void;
  /** Stops the server; rejects with the violations not taken. */
  close(): Promise<void>;
}

/** The bot GitHub Actions' token acts as. */
export const ACTIONS_BOT = "github-actions[bot]";
const BOT_ID = 41898282;

/** A deep overlay: objects merge, anything else replaces, `undefined` removes the key. */
function overlay(base: unknown, patch: unknown): unknown {
  if (typeof base !== "object" || base === null || Array.isArray(base)) return patch;
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) delete out[key];
    else out[key] = overlay(out[key], value);
  }
  return out;
}

function describeViolations(violations: readonly Violation[]): string {
  return violations.map((v) => `${v.operation}: ${v.rule} (${v.request})`).join("\n");
}

export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const owner = options.owner ?? "acme";
  const repo = options.repo ?? "linux";
  const slug = `${owner}/${repo}`;
  const htmlRepo = `https://github.com/${slug}`;
  const apiRepo = `https://api.github.com/repos/${slug}`;
  const pr = options.pullRequest;
  const patches = new Map((pr?.files ?? []).map((file) => [file.filename, file.patch]));
  const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, "Z");
  let nextId = 1000;
  let baseUrl = "";

  const requests: RecordedRequest[] = [];
  const violations: Violation[] = [];
  const state = {
    issues: options.issues ?? [],
    issueComments: [] as StoredComment[],
    reviewComments: [] as StoredReviewComment[],
    statuses: [] as FakeGitHub["statuses"],
    checkRuns: [] as StoredCheckRun[],
  };

  // ---- Answers: GitHub's example for the operation, with what the state knows set on it.
  const example = (id: string, status: number): unknown => exampleResponse(operationById(id), status);
  const item = (id: string, patch: unknown): unknown => overlay((example(id, 200) as unknown[])[0], patch);
  const user = (login: string): unknown => ({
    login,
    id: login === ACTIONS_BOT ? BOT_ID : 1 + [...login].reduce((sum, c) => sum + c.charCodeAt(0), 0),
    type: login.endsWith("[bot]") ? "Bot" : "User",
    // A bot's page is its app's: `[bot]` is no part of a URL.
    html_url: login.endsWith("[bot]")
      ? `https://github.com/apps/${login.slice(0, -"[bot]".length)}`
      : `https://github.com/${login}`,
  });
  const issueJson = (issue: StoredIssue): unknown =>
    overlay(example("issues/create", 201), {
      number: issue.number,
      id: issue.number,
      title: issue.title,
      body: issue.body,
      state: issue.state,
      user: user(issue.author),
      html_url: `${htmlRepo}/issues/${issue.number}`,
      url: `${apiRepo}/issues/${issue.number}`,
      labels: [],
      assignee: null,
      assignees: [],
      milestone: null,
      closed_by: null,
      closed_at: null,
      pull_request: issue.pullRequest === true ? { url: `${apiRepo}/pulls/${issue.number}` } : undefined,
    });
  const issueCommentJson = (comment: StoredComment): unknown =>
    overlay(example("issues/create-comment", 201), {
      id: comment.id,
      body: comment.body,
      user: user(comment.author),
      html_url: `${htmlRepo}/pull/${pr?.number ?? 0}#issuecomment-${comment.id}`,
      url: `${apiRepo}/issues/comments/${comment.id}`,
      created_at: now(),
      updated_at: now(),
    });
  const reviewCommentJson = (comment: StoredReviewComment): unknown =>
    overlay(example("pulls/create-review-comment", 201), {
      id: comment.id,
      body: comment.body,
      user: user(comment.author),
      path: comment.path,
      position: comment.position,
      line: comment.line,
      original_line: comment.line,
      commit_id: comment.commitId,
      original_commit_id: comment.commitId,
      pull_request_review_id: null,
      in_reply_to_id: undefined,
      html_url: `${htmlRepo}/pull/${pr?.number ?? 0}#discussion_r${comment.id}`,
      url: `${apiRepo}/pulls/comments/${comment.id}`,
    });
  const checkRunJson = (run: StoredCheckRun): unknown =>
    overlay(example("checks/create", 201), {
      id: run.id,
      name: run.name,
      head_sha: run.headSha,
      status: run.status,
      conclusion: run.conclusion,
      details_url: run.detailsUrl ?? null,
      url: `${apiRepo}/check-runs/${run.id}`,
      html_url: `${htmlRepo}/runs/${run.id}`,
      completed_at: run.status === "completed" ? now() : null,
      output: {
        title: run.title,
        summary: run.summary,
        text: null,
        annotations_count: run.annotations.length,
        annotations_url: `${apiRepo}/check-runs/${run.id}/annotations`,
      },
      pull_requests: [],
    });

  /** One page of a list, with GitHub's Link header when more follow. */
  const page = (request: RecordedRequest, items: readonly unknown[]): FakeResponse => {
    const asked = Number(request.query.get("per_page") ?? "30");
    const size = Math.min(asked, 100, options.pageSize ?? 100);
    const number = Number(request.query.get("page") ?? "1");
    const pages = Math.max(1, Math.ceil(items.length / size));
    const headers: Record<string, string> = {};
    if (number < pages) {
      const link = (to: number): string => {
        const url = new URL(request.url, baseUrl);
        url.searchParams.set("page", String(to));
        return url.href;
      };
      headers.link = `<${link(number + 1)}>; rel="next", <${link(pages)}>; rel="last"`;
    }
    return { status: 200, body: items.slice((number - 1) * size, number * size), headers };
  };

  const notFound = (operation: Operation): FakeResponse => ({
    status: 404,
    body: { message: "Not Found", documentation_url: operation.documentationUrl, status: "404" },
  });

  const reviewComment = (input: Record<string, unknown>, commitId: string): StoredReviewComment => {
    const path = String(input.path);
    const positions = positionsOfPatch(patches.get(path) ?? "");
    // A comment given by line is stored at that line's position, as GitHub does.
    const position =
      typeof input.position === "number"
        ? input.position
        : ([...positions].find(([, line]) => line === input.line)?.[0] ?? 0);
    const comment: StoredReviewComment = {
      id: nextId++,
      body: String(input.body),
      author: ACTIONS_BOT,
      path,
      position,
      line: positions.get(position) ?? -1,
      commitId,
    };
    state.reviewComments.push(comment);
    return comment;
  };

  type Handler = (
    request: RecordedRequest,
    params: Record<string, string>,
    operation: Operation,
  ) => FakeResponse;
  const body = (request: RecordedRequest): Record<string, unknown> =>
    (request.body ?? {}) as Record<string, unknown>;
  const ours = (params: Record<string, string>): boolean => params.owner === owner && params.repo === repo;
  const isPr = (params: Record<string, string>): boolean =>
    pr !== undefined && Number(params.pull_number ?? params.issue_number) === pr.number;

  const editComment =
    <T extends StoredComment>(comments: T[], json: (comment: T) => unknown): Handler =>
    (request, params, operation) => {
      const comment = comments.find((candidate) => candidate.id === Number(params.comment_id));
      if (comment === undefined) return notFound(operation);
      comment.body = String(body(request).body);
      return { status: 200, body: json(comment) };
    };
  const deleteComment =
    (comments: StoredComment[]): Handler =>
    (_, params, operation) => {
      const index = comments.findIndex((candidate) => candidate.id === Number(params.comment_id));
      if (index < 0) return notFound(operation);
      comments.splice(index, 1);
      return { status: 204 };
    };

  const handlers: Record<string, Handler> = {
    "users/get-authenticated": () =>
      options.login === undefined
        ? {
            status: 403,
            body: {
              message: "Resource not accessible by integration",
              documentation_url: "https://docs.github.com/rest/users/users#get-the-authenticated-user",
              status: "403",
            },
          }
        : {
            status: 200,
            body: overlay(example("users/get-authenticated", 200), user(options.login)),
          },

    // ---- The pull request (Danger reads it; the action lists its files).
    "pulls/get": (request, params, operation) => {
      if (!isPr(params) || pr === undefined) return notFound(operation);
      const repository = { name: repo, full_name: slug, owner: user(owner), html_url: htmlRepo };
      return {
        status: 200,
        body: overlay(example("pulls/get", 200), {
          number: pr.number,
          state: "open",
          title: "A change to the drivers",
          body: "",
          html_url: `${htmlRepo}/pull/${pr.number}`,
          user: user("contributor"),
          head: {
            sha: pr.headSha,
            ref: "topic",
            label: `${owner}:topic`,
            repo: repository,
            user: user(owner),
          },
          base: { sha: pr.baseSha, ref: "main", label: `${owner}:main`, repo: repository, user: user(owner) },
          merged: false,
          draft: false,
          requested_reviewers: [],
          requested_teams: [],
          commits: pr.commits?.length ?? 1,
          changed_files: pr.files.length,
        }),
      };
    },
    "pulls/list-files": (request, params, operation) => {
      if (!isPr(params) || pr === undefined) return notFound(operation);
      return page(
        request,
        pr.files.map((file) =>
          item("pulls/list-files", {
            filename: file.filename,
            status: file.status,
            previous_filename: file.previous_filename,
            patch: file.patch,
            blob_url: `${htmlRepo}/blob/${pr.headSha}/${file.filename}`,
            raw_url: `${htmlRepo}/raw/${pr.headSha}/${file.filename}`,
            contents_url: `${apiRepo}/contents/${file.filename}?ref=${pr.headSha}`,
          }),
        ),
      );
    },
    "pulls/list-commits": (request, params, operation) => {
      if (!isPr(params) || pr === undefined) return notFound(operation);
      return page(
        request,
        (pr.commits ?? []).map((commit) =>
          item("pulls/list-commits", {
            sha: commit.sha,
            url: `${apiRepo}/commits/${commit.sha}`,
            parents: commit.parents.map((sha) => ({ sha, url: `${apiRepo}/commits/${sha}` })),
            commit: { message: commit.message },
            author: user("contributor"),
            committer: user("contributor"),
          }),
        ),
      );
    },
    "pulls/list-reviews": (request) => page(request, []),
    "pulls/list-requested-reviewers": () => ({
      status: 200,
      body: overlay(example("pulls/list-requested-reviewers", 200), { users: [], teams: [] }),
    }),
    "pulls/list-review-comments": (request) => page(request, state.reviewComments.map(reviewCommentJson)),
    "pulls/create-review": (request, params, operation) => {
      if (!isPr(params)) return notFound(operation);
      const input = body(request);
      const comments = (input.comments ?? []) as Record<string, unknown>[];
      const commitId = String(input.commit_id ?? pr?.headSha);
      for (const comment of comments) reviewComment(comment, commitId);
      return {
        status: 200,
        body: overlay(example("pulls/create-review", 200), {
          id: nextId++,
          state: input.event === "APPROVE" ? "APPROVED" : input.event === undefined ? "PENDING" : "COMMENTED",
          body: input.body ?? "",
          commit_id: commitId,
          user: user(ACTIONS_BOT),
        }),
      };
    },
    "pulls/create-review-comment": (request, params, operation) => {
      if (!isPr(params)) return notFound(operation);
      const input = body(request);
      const stored = reviewComment(input, String(input.commit_id));
      return { status: 201, body: reviewCommentJson(stored) };
    },
    "pulls/update-review-comment": editComment(state.reviewComments, reviewCommentJson),
    "pulls/delete-review-comment": deleteComment(state.reviewComments),
    "repos/create-commit-status": (request, params) => {
      const input = body(request);
      state.statuses.push({
        sha: String(params.sha),
        state: String(input.state),
        description: input.description === undefined ? undefined : String(input.description),
      });
      return {
        status: 201,
        body: overlay(example("repos/create-commit-status", 201), {
          id: nextId++,
          state: input.state,
          description: input.description ?? null,
          context: input.context ?? "default",
          target_url: input.target_url ?? null,
          creator: user(ACTIONS_BOT),
        }),
      };
    },

    // ---- Issues, and the pull request's conversation (its comments are issue comments).
    "issues/get": (_, params, operation) => {
      if (isPr(params) && pr !== undefined) {
        return {
          status: 200,
          body: issueJson({
            number: pr.number,
            title: "A change to the drivers",
            body: "",
            state: "open",
            author: "contributor",
            pullRequest: true,
          }),
        };
      }
      const issue = state.issues.find((candidate) => candidate.number === Number(params.issue_number));
      return issue === undefined ? notFound(operation) : { status: 200, body: issueJson(issue) };
    },
    "issues/list-for-repo": (request) => {
      const creator = request.query.get("creator");
      const wanted = request.query.get("state") ?? "open";
      const descending = (request.query.get("direction") ?? "desc") === "desc";
      const listed = state.issues
        .filter(
          (issue) =>
            (creator === null || issue.author === creator) && (wanted === "all" || issue.state === wanted),
        )
        .sort((a, b) => (descending ? b.number - a.number : a.number - b.number));
      return page(request, listed.map(issueJson));
    },
    "issues/create": (request) => {
      const input = body(request);
      const issue: StoredIssue = {
        number: Math.max(0, pr?.number ?? 0, ...state.issues.map((i) => i.number)) + 1,
        title: String(input.title),
        body: String(input.body ?? ""),
        state: "open",
        author: options.login ?? ACTIONS_BOT,
      };
      state.issues.push(issue);
      return { status: 201, body: issueJson(issue) };
    },
    "issues/update": (request, params, operation) => {
      const issue = state.issues.find((candidate) => candidate.number === Number(params.issue_number));
      if (issue === undefined) return notFound(operation);
      const input = body(request);
      if (typeof input.title === "string") issue.title = input.title;
      if (typeof input.body === "string") issue.body = input.body;
      if (input.state === "open" || input.state === "closed") issue.state = input.state;
      return { status: 200, body: issueJson(issue) };
    },
    "issues/list-comments": (request, params) =>
      isPr(params) ? page(request, state.issueComments.map(issueCommentJson)) : page(request, []),
    "issues/create-comment": (request, params, operation) => {
      if (!isPr(params)) return notFound(operation);
      const comment: StoredComment = { id: nextId++, body: String(body(request).body), author: ACTIONS_BOT };
      state.issueComments.push(comment);
      return { status: 201, body: issueCommentJson(comment) };
    },
    "issues/update-comment": editComment(state.issueComments, issueCommentJson),
    "issues/delete-comment": deleteComment(state.issueComments),

    // ---- Check runs: updates append annotations, as GitHub's do.
    "checks/create": (request) => {
      const input = body(request);
      const output = (input.output ?? {}) as { title?: string; summary?: string; annotations?: unknown[] };
      const run: StoredCheckRun = {
        id: nextId++,
        name: String(input.name),
        headSha: String(input.head_sha),
        status: input.conclusion !== undefined ? "completed" : String(input.status ?? "queued"),
        conclusion: (input.conclusion as string | undefined) ?? null,
        ...(typeof input.details_url === "string" && { detailsUrl: input.details_url }),
        title: output.title ?? null,
        summary: output.summary ?? null,
        annotations: [...(output.annotations ?? [])],
      };
      state.checkRuns.push(run);
      return { status: 201, body: checkRunJson(run) };
    },
    "checks/update": (request, params, operation) => {
      const run = state.checkRuns.find((candidate) => candidate.id === Number(params.check_run_id));
      if (run === undefined) return notFound(operation);
      const input = body(request);
      const output = input.output as
        { title?: string; summary?: string; annotations?: unknown[] } | undefined;
      if (output !== undefined) {
        run.title = output.title ?? run.title;
        run.summary = output.summary ?? run.summary;
        run.annotations.push(...(output.annotations ?? []));
      }
      if (typeof input.status === "string") run.status = input.status;
      if (typeof input.conclusion === "string") {
        run.conclusion = input.conclusion;
        run.status = "completed";
      }
      return { status: 200, body: checkRunJson(run) };
    },
  };

  // ---- The referee around the handlers.
  const answer = (request: RecordedRequest): FakeResponse => {
    const where = `${request.method} ${request.url}`;
    const matched = findOperation(request.method, request.path);
    if (matched === undefined) {
      violations.push({
        operation: `${request.method} ${request.path}`,
        request: where,
        rule: `GitHub has no such route (api.github.com.json)`,
      });
      return {
        status: 404,
        body: { message: "Not Found", documentation_url: "https://docs.github.com/rest", status: "404" },
      };
    }
    const { operation, params } = matched;
    request.operationId = operation.id;
    const refused = [
      ...requestViolations(matched, request.query, request.body),
      ...proseViolations(operation.id, request.body),
      ...(operation.id === "pulls/create-review" || operation.id === "pulls/create-review-comment"
        ? reviewCommentsOffTheDiff(operation.id, request.body)
        : []),
    ];
    let response: FakeResponse;
    if (refused.length > 0) {
      for (const rule of refused) violations.push({ operation: operation.id, request: where, rule });
      response = unprocessable(operation, refused);
    } else {
      const handler = handlers[operation.id];
      const answered = options.intercept?.(request);
      if (answered !== undefined) response = answered;
      // Another repository is one GitHub does not show this token.
      else if (params.owner !== undefined && !ours(params)) response = notFound(operation);
      else if (handler !== undefined) response = handler(request, params, operation);
      else {
        violations.push({
          operation: operation.id,
          request: where,
          rule: "the fake GitHub does not serve this operation yet",
        });
        response = notFound(operation);
      }
    }
    for (const rule of responseViolations(operation, response.status, response.body)) {
      violations.push({ operation: operation.id, request: where, rule: `the fake's answer: ${rule}` });
    }
    return response;
  };

  /** Comments GitHub cannot place: not on a line of the file's diff (the whole review fails). */
  const reviewCommentsOffTheDiff = (id: string, input: unknown): string[] => {
    const request = (input ?? {}) as { comments?: unknown[] };
    const comments = id === "pulls/create-review" ? (request.comments ?? []) : [request];
    return comments.flatMap((comment, index) => {
      const reason = reviewCommentViolation(patches, comment as Record<string, unknown>);
      return reason === undefined
        ? []
        : [id === "pulls/create-review" ? `comments/${index}: ${reason}` : reason];
    });
  };

  // ---- The server.
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const parsed = new URL(req.url ?? "/", baseUrl);
      let payload: unknown;
      try {
        payload = text === "" ? undefined : (JSON.parse(text) as unknown);
      } catch {
        payload = text;
      }
      const request: RecordedRequest = {
        method: req.method ?? "GET",
        url: req.url ?? "/",
        path: parsed.pathname,
        query: parsed.searchParams,
        headers: req.headers,
        body: payload,
        operationId: undefined,
      };
      requests.push(request);
      let response: FakeResponse;
      try {
        response = answer(request);
      } catch (error) {
        violations.push({
          operation: String(request.operationId),
          request: request.url,
          rule: String(error),
        });
        response = { status: 500, body: { message: String(error) } };
      }
      const send = (): void => {
        if (res.destroyed) return;
        if (response.body === undefined) res.writeHead(response.status, response.headers).end();
        else
          res
            .writeHead(response.status, {
              "content-type": "application/json; charset=utf-8",
              ...response.headers,
            })
            .end(JSON.stringify(response.body));
      };
      if (response.delayMs === undefined) send();
      else timers.add(setTimeout(send, response.delayMs));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const fake: FakeGitHub = {
    url: baseUrl,
    requests,
    ...state,
    violations,
    takeViolations: () => violations.splice(0),
    assertNoViolations: (context) => {
      if (violations.length > 0)
        throw new Error(
          `GitHub would have refused or never answered so:\n${describeViolations(violations)}${context === undefined ? "" : `\n${context}`}`,
        );
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
      fake.assertNoViolations();
    },
  };
  return fake;
}

/** GitHub's 422, in the shape the operation documents (plain strings, or error objects). */
function unprocessable(operation: Operation, rules: readonly string[]): FakeResponse {
  const simple = JSON.stringify(operation.spec.responses["422"] ?? {}).includes("validation_failed_simple");
  return {
    status: 422,
    body: {
      message: simple ? "Unprocessable Entity" : "Validation Failed",
      errors: simple
        ? rules
        : rules.map((rule) => ({ resource: operation.id, code: "invalid", message: rule })),
      documentation_url: operation.documentationUrl,
      status: "422",
    },
  };
}
