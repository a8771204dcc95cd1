/**
 * A fake GitLab REST API (v4) on 127.0.0.1, serving what the real `danger ci` calls in a merge
 * request pipeline: the current user, the merge request, its commits, approvals and diffs, the
 * comparison of base and head, its notes (Danger's main comment) and discussions (inline
 * comments). A discussion whose position is not a line of the diff is refused (400), as GitLab
 * refuses it; every request is recorded.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeGitLabOptions {
  project: string;
  iid: number;
  baseSha: string;
  headSha: string;
  /** GitLab's diff entries: `diff` holds the hunks of one file. */
  diffs: { old_path: string; new_path: string; diff: string }[];
}

export interface Note {
  id: number;
  body: string;
  author: { id: number; username: string };
  system: boolean;
  type: string | null;
  position?: Record<string, unknown>;
}

export interface FakeGitLab {
  url: string;
  requests: string[];
  /** Requests refused as GitLab refuses them, with the reason. */
  rejected: string[];
  notes: Note[];
  discussions: { id: string; notes: Note[] }[];
  close(): Promise<void>;
}

const BOT = { id: 41, username: "danger-bot" };

/** Head line numbers a diff's hunks show (added and context lines). */
function headLines(diff: string): Set<number> {
  const lines = new Set<number>();
  let line = 0;
  for (const text of diff.split("\n")) {
    const header = /^@@ -\d+(?:,\d+)? \+(\d+)/.exec(text);
    if (header !== null) line = Number(header[1]);
    else if (text.startsWith("+") || text.startsWith(" ")) lines.add(line++);
  }
  return lines;
}

async function body(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const data = Buffer.concat(chunks);
  if (data.length === 0) return {};
  const type = request.headers["content-type"] ?? "";
  if (type.includes("json")) return JSON.parse(data.toString("utf8")) as Record<string, unknown>;
  // Danger's client (gitbeaker) sends multipart forms: `position[new_line]`, `body`.
  const form = await new Response(data, { headers: { "content-type": type } }).formData();
  return Object.fromEntries([...form.entries()].map(([key, value]) => [key, String(value)]));
}

/** GitLab takes `position[new_line]` as a form and `position: {new_line}` (or camelCase) as JSON. */
function positionOf(data: Record<string, unknown>): Record<string, unknown> | undefined {
  const nested = data.position as Record<string, unknown> | undefined;
  if (nested !== undefined) {
    return Object.fromEntries(
      Object.entries(nested).map(([key, value]) => [
        key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
        value,
      ]),
    );
  }
  const flat = Object.entries(data).filter(([key]) => key.startsWith("position["));
  return flat.length === 0
    ? undefined
    : Object.fromEntries(flat.map(([key, value]) => [key.slice(9, -1), value]));
}

export async function startFakeGitLab(options: FakeGitLabOptions): Promise<FakeGitLab> {
  let nextId = 1000;
  const state: FakeGitLab = {
    url: "",
    requests: [],
    rejected: [],
    notes: [],
    discussions: [],
    close: async () => {},
  };
  const project = encodeURIComponent(options.project);
  const mr = `/api/v4/projects/${project}/merge_requests/${options.iid}`;
  const diffLines = new Map(options.diffs.map((diff) => [diff.new_path, headLines(diff.diff)]));
  const mergeRequest = (): Record<string, unknown> => ({
    id: 1,
    iid: options.iid,
    project_id: 1,
    title: "skel: free the MSI vectors in remove()",
    description: "",
    state: "opened",
    web_url: `${state.url}/${options.project}/-/merge_requests/${options.iid}`,
    sha: options.headSha,
    diff_refs: { base_sha: options.baseSha, head_sha: options.headSha, start_sha: options.baseSha },
    source_branch: "topic",
    target_branch: "main",
    author: { id: 7, username: "developer" },
    assignee: null,
    assignees: [],
    reviewers: [],
    labels: [],
    draft: false,
    work_in_progress: false,
  });
  const diffEntry = (diff: FakeGitLabOptions["diffs"][number]): Record<string, unknown> => ({
    ...diff,
    a_mode: "100644",
    b_mode: "100644",
    new_file: false,
    renamed_file: false,
    deleted_file: false,
  });

  const server: Server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? "/", "http://127.0.0.1");
      const path = url.pathname.replace(/%2f/gi, "%2F");
      state.requests.push(`${request.method} ${path}`);
      const send = (status: number, payload: unknown): void => {
        response.writeHead(status, { "content-type": "application/json" });
        response.end(payload === undefined ? "" : JSON.stringify(payload));
      };
      const refuse = (status: number, message: string): void => {
        state.rejected.push(`${request.method} ${path}: ${message}`);
        send(status, { message });
      };
      const data = request.method === "GET" || request.method === "DELETE" ? {} : await body(request);
      let match: RegExpExecArray | null;
      if (request.method === "GET" && path === "/api/v4/user") return send(200, BOT);
      if (request.method === "GET" && path === mr) return send(200, mergeRequest());
      if (request.method === "PUT" && path === mr) return send(200, mergeRequest());
      if (request.method === "GET" && path === `${mr}/commits`)
        return send(200, [
          {
            id: options.headSha,
            parent_ids: [options.baseSha],
            message: "skel: free the MSI vectors in remove()",
            author_name: "Dev",
            author_email: "dev@example.org",
            authored_date: "2026-01-01T00:00:00Z",
            committer_name: "Dev",
            committer_email: "dev@example.org",
            committed_date: "2026-01-01T00:00:00Z",
          },
        ]);
      if (request.method === "GET" && (path === `${mr}/approvals` || path === `${mr}/approval_state`))
        return send(200, { approvals_required: 0, approved_by: [] });
      if (request.method === "GET" && path === `${mr}/diffs`) return send(200, options.diffs.map(diffEntry));
      if (request.method === "GET" && path === `/api/v4/projects/${project}/repository/compare`)
        return send(200, { diffs: options.diffs.map(diffEntry) });
      // GitLab lists every note of the merge request here, the discussions' diff notes too.
      const everyNote = (): Note[] => [
        ...state.notes,
        ...state.discussions.flatMap((discussion) => discussion.notes),
      ];
      if (request.method === "GET" && path === `${mr}/notes`) return send(200, everyNote());
      if (request.method === "POST" && path === `${mr}/notes`) {
        const text = String(data.body ?? "");
        if (text.length > 1_000_000) return refuse(400, "Note is too long (maximum is 1000000 characters)");
        const note: Note = { id: nextId++, body: text, author: BOT, system: false, type: null };
        state.notes.push(note);
        return send(201, note);
      }
      if ((match = new RegExp(`^${mr}/notes/(\\d+)$`).exec(path)) !== null) {
        const note = everyNote().find((candidate) => candidate.id === Number(match?.[1]));
        if (note === undefined) return refuse(404, "404 Note Not Found");
        if (request.method === "PUT") {
          note.body = String(data.body ?? note.body);
          return send(200, note);
        }
        if (request.method === "DELETE") {
          state.notes = state.notes.filter((candidate) => candidate !== note);
          // A discussion goes with its last note.
          for (const discussion of state.discussions)
            discussion.notes = discussion.notes.filter((candidate) => candidate !== note);
          state.discussions = state.discussions.filter((discussion) => discussion.notes.length > 0);
          return send(204, undefined);
        }
      }
      if (request.method === "GET" && path === `${mr}/discussions`) return send(200, state.discussions);
      if (request.method === "POST" && path === `${mr}/discussions`) {
        const position = positionOf(data);
        if (position !== undefined) {
          const file = String(position.new_path ?? "");
          const line = Number(position.new_line);
          if (position.head_sha !== options.headSha)
            return refuse(400, '400 Bad request - Note {:position=>["is incomplete"]}');
          if (!(diffLines.get(file)?.has(line) ?? false))
            return refuse(
              400,
              '400 Bad request - Note {:line_code=>["can\'t be blank", "must be a valid line code"]}',
            );
        }
        const note: Note = {
          id: nextId++,
          body: String(data.body ?? ""),
          author: BOT,
          system: false,
          type: position === undefined ? "DiscussionNote" : "DiffNote",
          ...(position === undefined ? {} : { position }),
        };
        const discussion = { id: `d${note.id}`, notes: [note] };
        state.discussions.push(discussion);
        return send(201, discussion);
      }
      if ((match = new RegExp(`^${mr}/discussions/([^/]+)/notes/(\\d+)$`).exec(path)) !== null) {
        const discussion = state.discussions.find((candidate) => candidate.id === match?.[1]);
        const note = discussion?.notes.find((candidate) => candidate.id === Number(match?.[2]));
        if (discussion === undefined || note === undefined) return refuse(404, "404 Note Not Found");
        if (request.method === "PUT") {
          note.body = String(data.body ?? note.body);
          return send(200, note);
        }
        if (request.method === "DELETE") {
          state.discussions = state.discussions.filter((candidate) => candidate !== discussion);
          return send(204, undefined);
        }
      }
      return refuse(404, `404 Not Found: ${request.method} ${path}`);
    })().catch((error: unknown) => {
      state.rejected.push(`${request.method} ${request.url}: ${(error as Error).message}`);
      response.writeHead(500);
      response.end();
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((done) => server.close(() => done()));
  return state;
}
