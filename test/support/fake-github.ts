/**
 * A stand-in for the parts of the GitHub REST API that `danger ci` uses on a pull request, on
 * 127.0.0.1. It keeps the PR's comments in memory and, like GitHub, refuses (422) a review whose
 * comments point at a position outside the diff, so a test sees what GitHub would have done.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface PullRequestFile {
  filename: string;
  status: "added" | "modified" | "removed" | "renamed";
  /** The hunks of the file's diff, from the first `@@` line (as GitHub's `patch` field). */
  patch: string;
}

export interface FakePullRequest {
  owner: string;
  repo: string;
  number: number;
  baseSha: string;
  headSha: string;
  files: PullRequestFile[];
  commits: { sha: string; parents: string[]; message: string }[];
}

export interface StoredComment {
  id: number;
  body: string;
  user: { id: number; login: string };
  created_at: string;
  updated_at: string;
}

export interface StoredReviewComment extends StoredComment {
  path: string;
  position: number;
  /** The head line the position stands for (GitHub computes it the same way). */
  line: number;
  commit_id: string;
}

export interface FakeGitHub {
  url: string;
  issueComments: StoredComment[];
  reviewComments: StoredReviewComment[];
  /** Reviews GitHub would have rejected: the request body and the reason. */
  rejected: { body: unknown; reason: string }[];
  statuses: { sha: string; state: string; description: string }[];
  /** Every request as `METHOD /path`. */
  requests: string[];
  close(): Promise<void>;
}

/** The bot GitHub Actions' token comments as (Danger looks for its own comments by this id). */
const BOT = { id: 41898282, login: "github-actions[bot]" };

/**
 * Review-comment positions of a patch: position 1 is the line below the first hunk header, and
 * every later line (further hunk headers included) counts one. Maps position → head line for
 * added and context lines; deleted lines have no head line.
 */
export function positionsOfPatch(patch: string): Map<number, number> {
  const positions = new Map<number, number>();
  let position = 0;
  let headLine = 0;
  let started = false;
  for (const text of patch.split("\n")) {
    const header = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(text);
    if (header !== null) {
      if (started) position += 1;
      started = true;
      headLine = Number(header[1]);
      continue;
    }
    if (!started) continue;
    position += 1;
    if (text.startsWith("-") || text.startsWith("\\")) continue;
    positions.set(position, headLine);
    headLine += 1;
  }
  return positions;
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text === "" ? undefined : JSON.parse(text);
}

function send(response: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    response.writeHead(status).end();
    return;
  }
  response.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(body));
}

export async function startFakeGitHub(pr: FakePullRequest): Promise<FakeGitHub> {
  const slug = `${pr.owner}/${pr.repo}`;
  const htmlRepo = `https://github.com/${slug}`;
  const repoJson = {
    id: 1,
    name: pr.repo,
    full_name: slug,
    owner: { login: pr.owner, id: 2 },
    html_url: htmlRepo,
    private: false,
  };
  const now = new Date().toISOString();
  const prJson = {
    number: pr.number,
    state: "open",
    title: "skel: free the MSI vectors in remove()",
    body: "",
    html_url: `${htmlRepo}/pull/${pr.number}`,
    user: { login: "contributor", id: 3 },
    created_at: now,
    updated_at: now,
    merged: false,
    draft: false,
    head: { sha: pr.headSha, ref: "topic", label: `${pr.owner}:topic`, repo: repoJson, user: repoJson.owner },
    base: { sha: pr.baseSha, ref: "main", label: `${pr.owner}:main`, repo: repoJson, user: repoJson.owner },
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    commits: pr.commits.length,
    additions: 0,
    deletions: 0,
    changed_files: pr.files.length,
  };
  const state: FakeGitHub = {
    url: "",
    issueComments: [],
    reviewComments: [],
    rejected: [],
    statuses: [],
    requests: [],
    close: async () => undefined,
  };
  let nextId = 1000;
  const positions = new Map(pr.files.map((file) => [file.filename, positionsOfPatch(file.patch)]));

  /** The reason GitHub would refuse an inline comment, or undefined when it is valid. */
  const invalidComment = (path: unknown, position: unknown): string | undefined => {
    if (typeof path !== "string" || !positions.has(path))
      return `path ${String(path)} is not part of the diff`;
    if (typeof position !== "number" || !positions.get(path)?.has(position)) {
      return `position ${String(position)} is outside the diff of ${path}`;
    }
    return undefined;
  };
  const storeReviewComment = (
    body: string,
    path: string,
    position: number,
    commitId: string,
  ): StoredReviewComment => {
    const comment: StoredReviewComment = {
      id: nextId++,
      body,
      user: BOT,
      path,
      position,
      line: positions.get(path)?.get(position) ?? -1,
      commit_id: commitId,
      created_at: new Date().toISOString(),
      updated_at: new Date().toISOString(),
    };
    state.reviewComments.push(comment);
    return comment;
  };

  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const method = request.method ?? "GET";
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const path = url.pathname.replace(/\/+$/, "");
    state.requests.push(`${method} ${path}`);
    const repoPrefix = `/repos/${slug}`;
    const body = method === "GET" || method === "DELETE" ? undefined : await readBody(request);
    const input = (body ?? {}) as Record<string, unknown>;

    if (method === "GET" && path === "/user") return send(response, 200, { ...BOT, type: "Bot" });
    if (!path.startsWith(repoPrefix)) return send(response, 404, { message: "Not Found" });
    const rest = path.slice(repoPrefix.length);
    const pull = `/pulls/${pr.number}`;
    const issue = `/issues/${pr.number}`;

    if (method === "GET" && rest === pull) return send(response, 200, prJson);
    if (method === "GET" && rest === `${pull}/files`) {
      // One page: a page number beyond 1 is empty, as GitHub's pagination would be.
      const page = Number(url.searchParams.get("page") ?? "1");
      return send(
        response,
        200,
        page > 1
          ? []
          : pr.files.map((file) => ({ ...file, sha: "0", additions: 0, deletions: 0, changes: 0 })),
      );
    }
    if (method === "GET" && rest === `${pull}/commits`) {
      return send(
        response,
        200,
        pr.commits.map((commit) => ({
          sha: commit.sha,
          url: `https://api.github.com/repos/${slug}/commits/${commit.sha}`,
          parents: commit.parents.map((sha) => ({ sha })),
          commit: {
            message: commit.message,
            author: { name: "Contributor", email: "c@example.org", date: now },
            committer: { name: "Contributor", email: "c@example.org", date: now },
            tree: { sha: "0", url: "" },
          },
          author: { login: "contributor" },
          committer: { login: "contributor" },
        })),
      );
    }
    if (method === "GET" && rest === `${pull}/reviews`) return send(response, 200, []);
    if (method === "GET" && rest === `${pull}/requested_reviewers`)
      return send(response, 200, { users: [], teams: [] });
    if (method === "GET" && rest === issue) return send(response, 200, { number: pr.number, labels: [] });

    if (method === "GET" && rest === `${issue}/comments`) return send(response, 200, state.issueComments);
    if (method === "POST" && rest === `${issue}/comments`) {
      const comment: StoredComment = {
        id: nextId++,
        body: String(input.body),
        user: BOT,
        created_at: new Date().toISOString(),
        updated_at: new Date().toISOString(),
      };
      state.issueComments.push(comment);
      return send(response, 201, {
        ...comment,
        html_url: `${htmlRepo}/pull/${pr.number}#issuecomment-${comment.id}`,
      });
    }
    const issueComment = /^\/issues\/comments\/(\d+)$/.exec(rest);
    if (issueComment !== null) {
      const index = state.issueComments.findIndex((comment) => comment.id === Number(issueComment[1]));
      if (index < 0) return send(response, 404, { message: "Not Found" });
      const existing = state.issueComments[index] as StoredComment;
      if (method === "PATCH") {
        existing.body = String(input.body);
        existing.updated_at = new Date().toISOString();
        return send(response, 200, {
          ...existing,
          html_url: `${htmlRepo}/pull/${pr.number}#issuecomment-${existing.id}`,
        });
      }
      if (method === "DELETE") {
        state.issueComments.splice(index, 1);
        return send(response, 204);
      }
    }

    if (method === "GET" && rest === `${pull}/comments`) return send(response, 200, state.reviewComments);
    if (method === "POST" && rest === `${pull}/reviews`) {
      const comments = Array.isArray(input.comments) ? (input.comments as Record<string, unknown>[]) : [];
      for (const comment of comments) {
        const reason = invalidComment(comment.path, comment.position);
        if (reason !== undefined) {
          // GitHub refuses the whole review, and Danger then moves every comment to its main one.
          state.rejected.push({ body, reason });
          return send(response, 422, { message: "Unprocessable Entity", errors: [reason] });
        }
      }
      for (const comment of comments) {
        storeReviewComment(
          String(comment.body),
          String(comment.path),
          Number(comment.position),
          String(input.commit_id),
        );
      }
      return send(response, 200, { id: nextId++, state: "COMMENTED" });
    }
    if (method === "POST" && rest === `${pull}/comments`) {
      const reason = invalidComment(input.path, input.position);
      if (reason !== undefined) {
        state.rejected.push({ body, reason });
        return send(response, 422, { message: "Unprocessable Entity", errors: [reason] });
      }
      const stored = storeReviewComment(
        String(input.body),
        String(input.path),
        Number(input.position),
        String(input.commit_id),
      );
      return send(response, 201, stored);
    }
    const reviewComment = /^\/pulls\/comments\/(\d+)$/.exec(rest);
    if (reviewComment !== null) {
      const index = state.reviewComments.findIndex((comment) => comment.id === Number(reviewComment[1]));
      if (index < 0) return send(response, 404, { message: "Not Found" });
      const existing = state.reviewComments[index] as StoredReviewComment;
      if (method === "PATCH") {
        existing.body = String(input.body);
        existing.updated_at = new Date().toISOString();
        return send(response, 200, existing);
      }
      if (method === "DELETE") {
        state.reviewComments.splice(index, 1);
        return send(response, 204);
      }
    }
    const status = /^\/statuses\/([0-9a-f]+)$/.exec(rest);
    if (method === "POST" && status !== null) {
      state.statuses.push({
        sha: status[1] as string,
        state: String(input.state),
        description: String(input.description),
      });
      return send(response, 201, { id: nextId++, state: input.state });
    }
    return send(response, 404, { message: `Not Found (fake GitHub has no ${method} ${path})` });
  };

  const server: Server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => send(response, 500, { message: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  state.url = `http://127.0.0.1:${port}`;
  state.close = () =>
    new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    });
  return state;
}
