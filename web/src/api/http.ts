// The HTTP API, typed from the server's OpenAPI document (schema.d.ts, generated: see
// docs/web.md). The session is an HttpOnly cookie the browser sends by itself; requests that
// change state carry the CSRF token the server derived from it (colletta/api/cookies.py).
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type User = Schemas["User"];
export type Chat = Schemas["Chat"];
export type ChatListItem = Schemas["ChatListItem"];
export type Message = Schemas["Message"];
export type Member = Schemas["Member"];
export type Session = Schemas["Session"];
export type Entity = Schemas["Entity"];
export type Media = Schemas["Media"];
export type Pot = Schemas["Pot"];
export type PotSummary = Schemas["PotSummary"];
export type Notice = Schemas["Notice"];
export type Statement = Schemas["Statement"];

export const CSRF_COOKIE = "colletta_csrf";
export const CSRF_HEADER = "X-CSRF-Token";
const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

export function csrfToken(): string | null {
  for (const part of document.cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === CSRF_COOKIE) return decodeURIComponent(rest.join("="));
  }
  return null;
}

/** A problem+json answer (RFC 9457), or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    detail: string,
  ) {
    super(detail);
  }
}

let onUnauthenticated: () => void = () => {};
export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

const csrf: Middleware = {
  onRequest({ request }) {
    const token = csrfToken();
    if (!SAFE.has(request.method) && token) request.headers.set(CSRF_HEADER, token);
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: location.origin, credentials: "same-origin" });
api.use(csrf);

type Result<T> = { data?: T; error?: unknown; response: Response };

/** The data of an answer, or an ApiError; a 401 also signs the client out. */
export async function ok<T>(call: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await call;
  } catch {
    throw new ApiError(0, "network", "offline");
  }
  const { response } = result;
  if (response.ok) return result.data as T;
  const problem = (result.error ?? {}) as { type?: string; detail?: string };
  const slug = (problem.type ?? "").split("/").pop() ?? "";
  if (response.status === 401) onUnauthenticated();
  throw new ApiError(response.status, slug, problem.detail ?? response.statusText);
}

/** A client_txn_id: retries of one send reuse it (randomUUID needs HTTPS; this does not). */
export function newTxnId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
