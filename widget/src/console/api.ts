/** The console's HTTP calls: agent sessions (POST /api/login, /api/logout, GET /api/me). */

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
    response = await fetch("/api/login", {
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
  let message = body?.error?.message || `Login failed (HTTP ${response.status}).`;
  const retry = response.headers.get("Retry-After");
  if (response.status === 429 && retry) message += ` (${retry} s)`;
  return { ok: false, status: response.status, message };
}

export async function logout(): Promise<void> {
  try {
    await fetch("/api/logout", { method: "POST", credentials: "same-origin" });
  } catch {
    // The cookie is dropped by the server; offline, the session simply expires.
  }
}

/** The logged-in agent, null when not logged in; throws when the server cannot be reached. */
export async function me(): Promise<Agent | null> {
  const response = await fetch("/api/me", { credentials: "same-origin" });
  if (response.status === 401) return null;
  const body = (await response.json()) as { agent?: Agent };
  if (!response.ok || !body.agent) throw new Error(`GET /api/me: HTTP ${response.status}`);
  return body.agent;
}
