/**
 * A stand-in for the GitHub REST API on 127.0.0.1: it records every request and answers the
 * few endpoints the action uses from a routing function the test gives.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  body: unknown;
}

export interface FakeResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Answer only after this long (a hanging API: the client's timeout must cut it). */
  delayMs?: number;
}

export type Route = (request: RecordedRequest, baseUrl: string) => FakeResponse | undefined;

export interface FakeGitHub {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startFakeGitHub(route: Route): Promise<FakeGitHub> {
  const requests: RecordedRequest[] = [];
  let baseUrl = "";
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const parsed = new URL(req.url ?? "/", baseUrl);
      const request: RecordedRequest = {
        method: req.method ?? "GET",
        url: req.url ?? "/",
        path: parsed.pathname,
        query: parsed.searchParams,
        headers: req.headers,
        body: text === "" ? undefined : (JSON.parse(text) as unknown),
      };
      requests.push(request);
      const response = route(request, baseUrl) ?? {
        status: 404,
        body: { message: `Not Found (fake GitHub has no route for ${request.method} ${request.path})` },
      };
      const answer = (): void => {
        if (res.destroyed) return;
        res.writeHead(response.status, { "content-type": "application/json", ...response.headers });
        res.end(response.body === undefined ? "" : JSON.stringify(response.body));
      };
      if (response.delayMs === undefined) answer();
      else timers.add(setTimeout(answer, response.delayMs));
    });
  });
  const timers = new Set<NodeJS.Timeout>();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: baseUrl,
    requests,
    close: () => {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

/** A page of a list endpoint with GitHub's `Link` header, `pageSize` items per page. */
export function paginate<T>(
  request: RecordedRequest,
  baseUrl: string,
  items: readonly T[],
  pageSize: number,
): FakeResponse {
  const page = Number(request.query.get("page") ?? "1");
  const pages = Math.max(1, Math.ceil(items.length / pageSize));
  const headers: Record<string, string> = {};
  if (page < pages) {
    const next = new URL(request.url, baseUrl);
    next.searchParams.set("page", String(page + 1));
    const last = new URL(request.url, baseUrl);
    last.searchParams.set("page", String(pages));
    headers.link = `<${next.href}>; rel="next", <${last.href}>; rel="last"`;
  }
  return { status: 200, body: items.slice((page - 1) * pageSize, page * pageSize), headers };
}
