/** The console's HTTP calls: agent sessions (/api/login, /api/logout, /api/me) and the admin API. */

/** Where Loket is served: the folder above the console's (a proxy may serve it under a path,
 * "https://shop.example/chat/console/"), so every call goes through the same prefix. */
export const BASE = new URL("../", location.href);

/** `path` (no leading slash) under the prefix Loket is served at. */
export function at(path: string): string {
  return new URL(path, BASE).href;
}

export interface Agent {
  id: number;
  name: string;
  display_name: string;
  is_admin: boolean;
}

export type LoginResult =
  | { ok: true; token: string; agent: Agent }
  | { ok: false; status: number; message: string };

export async function login(name: string, password: string): Promise<LoginResult> {
  let response: Response;
  try {
    response = await fetch(at("api/login"), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ name, password }),
    });
  } catch {
    return { ok: false, status: 0, message: "Cannot reach the server. Check your connection." };
  }
  const body = (await response.json().catch(() => null)) as
    | { ok?: boolean; token?: string; agent?: Agent; error?: { message?: string } }
    | null;
  if (response.ok && body && body.ok && body.token && body.agent) {
    return { ok: true, token: body.token, agent: body.agent };
  }
  // The server's message says how long to wait; only without one is Retry-After worded here.
  const retry = response.headers.get("Retry-After");
  const message =
    body?.error?.message ||
    (response.status === 429 && retry
      ? `Too many login attempts; try again in ${retry} s.`
      : `Login failed (HTTP ${response.status}).`);
  return { ok: false, status: response.status, message };
}

/**
 * End the session on the server, which drops its cookie (the page cannot: it is HttpOnly).
 * False when the server could not be reached or refused: the session is still open.
 */
export async function logout(): Promise<boolean> {
  try {
    const response = await fetch(at("api/logout"), { method: "POST", credentials: "same-origin" });
    return response.ok || response.status === 401;
  } catch {
    return false;
  }
}

/** The logged-in agent, null when not logged in; throws when the server cannot be reached. */
export async function me(): Promise<Agent | null> {
  const response = await fetch(at("api/me"), { credentials: "same-origin" });
  if (response.status === 401) return null;
  const body = (await response.json()) as { agent?: Agent };
  if (!response.ok || !body.agent) throw new Error(`GET /api/me: HTTP ${response.status}`);
  return body.agent;
}

// -- the admin API (/api/admin/…): the HttpOnly session cookie authenticates -------------

export type LearnedStatus = "candidate" | "approved" | "rejected";

export interface Learned {
  id: number;
  question: string;
  answer: string;
  language: string | null;
  status: LearnedStatus;
  /** Kinds of personal data found: "email", "phone", "postcode", "address", "iban", "order_number", "name", "agent_name". */
  personal: string[];
  agent: string | null;
  conversation_id: number | null;
  created_at: number;
  reviewed_by: string | null;
}

export interface MissGroup {
  /** How often it was asked, and in how many conversations (one shopper, many times: 1). */
  count: number;
  conversations: number;
  question: string;
  reasons: ("unknown" | "unhelpful")[];
  examples: string[];
  last_at: number;
}

export interface FaqStatus {
  entries: number;
  errors: string[];
}

export interface Figures {
  days: number;
  conversations: number;
  per_hour: number[];
  /** Monday first. */
  per_weekday: number[];
  /** Shares from 0 to 1. */
  answered_by: { agents: number; bot: number; nobody: number };
  median_first_response_seconds: number | null;
  ratings: { count: number; average: number | null; distribution: Record<string, number> };
}

/** A refused admin call; `status` 0 when the server could not be reached. */
export interface AdminFailure {
  ok: false;
  status: number;
  code: string;
  message: string;
  /** With code "personal_data": the kinds found. */
  personal?: string[];
}

export type AdminResult<T> = ({ ok: true } & T) | AdminFailure;

async function admin<T>(path: string, init: RequestInit = {}): Promise<AdminResult<T>> {
  let response: Response;
  try {
    response = await fetch(at(path), { ...init, credentials: "same-origin" });
  } catch {
    return { ok: false, status: 0, code: "offline", message: "Cannot reach the server. Check your connection." };
  }
  const body = (await response.json().catch(() => null)) as
    | ({ ok?: boolean; error?: { code?: string; message?: string; personal?: string[] } } & T)
    | null;
  if (response.ok && body && body.ok) return body as { ok: true } & T;
  return {
    ok: false,
    status: response.status,
    code: body?.error?.code ?? "http_error",
    message: body?.error?.message || `${path}: HTTP ${response.status}`,
    personal: body?.error?.personal,
  };
}

export function learnedList(status: LearnedStatus): Promise<AdminResult<{ groups: Learned[][] }>> {
  return admin(`api/admin/learned?status=${encodeURIComponent(status)}`);
}

export function reviewLearned(
  id: number,
  review: { action: "approve" | "reject"; question?: string; answer?: string; force?: boolean },
): Promise<AdminResult<{ learned: Learned }>> {
  return admin(`api/admin/learned/${id}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(review),
  });
}

/** Missed questions the bot now answers, left out of the list: how many, asked how often. */
export interface AnsweredNow {
  questions: number;
  asked: number;
}

export function misses(
  days: number,
): Promise<AdminResult<{ groups: MissGroup[]; answered_now?: AnsweredNow }>> {
  return admin(`api/admin/misses?days=${days}`);
}

export function faqStatus(): Promise<AdminResult<FaqStatus>> {
  return admin("api/admin/faq");
}

export function figures(days: number): Promise<AdminResult<Figures>> {
  return admin(`api/admin/stats?days=${days}`);
}

/** How an erasure request names the shopper: exactly one of these. */
export type ForgetBy =
  | { email: string }
  | { phone: string }
  | { customer: string }
  | { shopper: number }
  | { conversation: number };

export interface Forgetting {
  /** The shoppers meant, with how each was found ("vouched for by the shop", "left with a question", …). */
  shoppers: { id: number; how: string }[];
  /** Their closed conversations: what is deleted. */
  conversations: number[];
  /** Their open ones: nothing is deleted until these are closed. */
  open: number[];
  /** What was deleted, by kind; null when only asked what would be. */
  deleted: Record<string, number> | null;
  /** The same, said: "1 shopper, 2 conversations, 14 messages". */
  told: string | null;
}

/**
 * Who an erasure request means and what would go; with `expected` (the shoppers and
 * conversations the admin was shown), delete it — refused if those changed meanwhile.
 */
export function forget(
  by: ForgetBy,
  expected?: { shoppers: number[]; conversations: number[] },
): Promise<AdminResult<Forgetting>> {
  return admin("api/admin/forget", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(expected ? { ...by, confirm: true, expected } : { ...by, confirm: false }),
  });
}
