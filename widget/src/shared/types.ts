/** The protocol's shapes (docs/protocol.md), as the browser code uses them. */

export type Author = "shopper" | "agent" | "bot" | "system";
export type State = "bot" | "queued" | "assigned" | "closed";

export interface Message {
  conversation_id: number;
  seq: number;
  client_id: string;
  author: Author;
  text: string;
  at: number;
  agent_name?: string;
  /** Consoles only: the id of the agent who wrote it. */
  agent_id?: number;
  meta?: MessageMeta;
}

/** What a bot or system message offers besides its text (docs/protocol.md, `meta.kind`). */
export interface MessageMeta {
  kind?:
    | "answer"
    | "suggest"
    | "unknown"
    | "small_talk"
    | "notice"
    | "question_left"
    | "joined"
    | "requeued";
  /** With `small_talk`: what the shopper said ("person": they asked for one; "wait": in
   * the queue, how long the wait for one is; "bot": whether they talk to one). */
  talk?: "greeting" | "thanks" | "goodbye" | "ack" | "person" | "wait" | "bot";
  offer?: "person" | "leave_question";
  /** With `offer: "leave_question"`: a question of this shopper waits already (no form at once). */
  left?: boolean;
  choices?: { id: string; question: string }[];
  feedback?: boolean;
  entry_id?: string;
  question_seq?: number;
  /** With `unknown` after answers to the other questions of the shopper's message: the
   * question of it the bot was not sure of (what the form holds). */
  question?: string;
  /** With a notice that says when people are back: that moment and the shop's zone. */
  availability?: { text: string; staffed: boolean; next_open: number | null; zone?: string };
}

export interface ProtocolError {
  code: string;
  message: string;
  retry_after?: number;
  max_chars?: number;
}

export type Ack<T> = ({ ok: true } & T) | { ok: false; error: ProtocolError };

/** The `data` of a refused connection's connect_error. */
export function refusalCode(err: unknown): string | undefined {
  const data = (err as { data?: { code?: unknown } } | null)?.data;
  return data && typeof data.code === "string" ? data.code : undefined;
}

/** How long to wait before connecting again after a refusal: what the server asked for
 * (`data.retry_after`, in seconds, with `rate_limited`), else `fallbackMs`. */
export function retryDelay(err: unknown, fallbackMs: number): number {
  const data = (err as { data?: { retry_after?: unknown } } | null)?.data;
  const seconds = data && typeof data.retry_after === "number" ? data.retry_after : 0;
  return Math.max(fallbackMs, Math.ceil(seconds * 1000));
}
