/**
 * Messages sent but not yet acknowledged, and the loop that (re)sends them.
 *
 * Socket.IO delivers at most once, so every message stays here, under the id the client
 * made for it, until the server's durable ack; on each (re)connect everything left is sent
 * again with the same id and the server deduplicates. Persisted when given a storage, so
 * a page reload resends too.
 */
import type { Socket } from "socket.io-client";
import type { Ack, ProtocolError } from "./types";
import type { SafeStore } from "./storage";

export interface OutboxEntry {
  client_id: string;
  text: string;
  /** When the entry was made (ms), to order resends. */
  made: number;
  conversation_id?: number;
}

export class Outbox<E extends OutboxEntry> {
  private items: E[];

  constructor(
    private readonly store: SafeStore | null,
    private readonly key: string,
  ) {
    this.items = this.read();
  }

  entries(): readonly E[] {
    return this.items;
  }

  has(clientId: string): boolean {
    return this.items.some((e) => e.client_id === clientId);
  }

  get(clientId: string): E | undefined {
    return this.items.find((e) => e.client_id === clientId);
  }

  add(entry: E): void {
    this.items.push(entry);
    // Read-modify-write, so two tabs sharing the storage do not drop each other's entries.
    const stored = this.read().filter((e) => e.client_id !== entry.client_id);
    stored.push(entry);
    this.write(stored);
  }

  /**
   * Takes on the entries another tab left in the shared storage (written there while
   * offline, that tab closed since) made at least `olderThanMs` ago; returns them. Sent
   * from here too, an entry the other tab is still sending is stored once: the server
   * knows it by its client id.
   */
  adopt(olderThanMs = 0, accept: (entry: E) => boolean = () => true): E[] {
    const before = Date.now() - olderThanMs;
    const adopted = this.read().filter((e) => e.made <= before && !this.has(e.client_id) && accept(e));
    if (adopted.length) this.items = [...this.items, ...adopted].sort((a, b) => a.made - b.made);
    return adopted;
  }

  /**
   * Leaves out of this tab's sending what `accept` refuses (written as another shopper),
   * kept in the storage for a tab of theirs; returns what was left out.
   */
  keepOnly(accept: (entry: E) => boolean): E[] {
    const dropped = this.items.filter((e) => !accept(e));
    if (dropped.length) this.items = this.items.filter(accept);
    return dropped;
  }

  /** Replaces the entry with `entry`'s client id, here and in the shared storage. */
  replace(entry: E): void {
    this.items = this.items.map((e) => (e.client_id === entry.client_id ? entry : e));
    const stored = this.read();
    if (stored.some((e) => e.client_id === entry.client_id)) {
      this.write(stored.map((e) => (e.client_id === entry.client_id ? entry : e)));
    }
  }

  remove(clientId: string): boolean {
    const before = this.items.length;
    this.items = this.items.filter((e) => e.client_id !== clientId);
    this.write(this.read().filter((e) => e.client_id !== clientId));
    return this.items.length !== before;
  }

  private read(): E[] {
    if (!this.store) return [];
    const found = this.store.getJSON<unknown>(this.key);
    if (!Array.isArray(found)) return [];
    return (found as E[])
      .filter((e) => e && typeof e.client_id === "string" && typeof e.text === "string")
      .sort((a, b) => a.made - b.made);
  }

  private write(entries: E[]): void {
    if (!this.store) return;
    this.store.set(this.key, entries.length ? JSON.stringify(entries) : null);
  }
}

/**
 * Refusals that a resend of the same entry may get past: a full rate bucket, a disk that
 * failed a write, a server error (at most `INTERNAL_TRIES` times: one that comes every time
 * is about the entry). Any other refusal (invalid_text, message_too_long, not_assigned, …,
 * and codes this client does not know) is permanent: the entry is dropped and shown as
 * failed, and the entries after it go on. A refusal kept for good would hold every later
 * message back, also across page loads.
 */
const TRANSIENT = new Set(["rate_limited", "store_failed", "internal"]);
const INTERNAL_TRIES = 3;
/** Refusals about the session, not the entry: kept, and sent once logged in again. */
const SESSION = new Set(["unauthorized", "session_expired"]);

export interface SenderOptions<E extends OutboxEntry, A> {
  outbox: Outbox<E>;
  socket: () => Socket | null;
  payload: (entry: E) => Record<string, unknown>;
  /** The event an entry is sent with; "message" unless given. */
  event?: (entry: E) => string;
  onAcked: (entry: E, ack: A) => void;
  onFailed: (entry: E, error: ProtocolError) => void;
  /** A refusal that is not about the message (a session that ended): keep it, stop for now. */
  onRefused?: (error: ProtocolError) => void;
  timeoutMs?: number;
}

/** Sends outbox entries one at a time, in order, so a retry can never overtake a later message. */
export class Sender<E extends OutboxEntry, A> {
  private running = false;
  private again = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private backoff = 1000;
  /** `internal` refusals per entry, by client id. */
  private readonly failures = new Map<string, number>();

  constructor(private readonly opts: SenderOptions<E, A>) {}

  /** Send whatever the outbox holds; safe to call any time, e.g. on every connect. */
  flush(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.run().finally(() => {
      this.running = false;
    });
  }

  private async run(): Promise<void> {
    do {
      this.again = false;
      for (const entry of [...this.opts.outbox.entries()]) {
        if (!this.opts.outbox.has(entry.client_id)) continue;
        const socket = this.opts.socket();
        // Left in the outbox: the next connect flushes again.
        if (!socket || !socket.connected) return;
        let ack: Ack<A>;
        try {
          ack = (await socket
            .timeout(this.opts.timeoutMs ?? 10000)
            .emitWithAck(this.opts.event?.(entry) ?? "message", this.opts.payload(entry))) as Ack<A>;
        } catch {
          // No ack in time: it may or may not be stored; the same client_id makes a resend safe.
          this.retryLater();
          return;
        }
        if (ack.ok) {
          this.backoff = 1000;
          this.failures.delete(entry.client_id);
          this.opts.outbox.remove(entry.client_id);
          this.opts.onAcked(entry, ack);
        } else if (SESSION.has(ack.error.code)) {
          this.opts.onRefused?.(ack.error);
          return;
        } else if (this.transient(entry, ack.error)) {
          this.retryLater(ack.error.retry_after);
          return;
        } else {
          this.failures.delete(entry.client_id);
          this.opts.outbox.remove(entry.client_id);
          this.opts.onFailed(entry, ack.error);
        }
      }
    } while (this.again);
  }

  /** Whether a resend may get past `error` (counting the server errors of each entry). */
  private transient(entry: E, error: ProtocolError): boolean {
    if (!TRANSIENT.has(error.code)) return false;
    if (error.code !== "internal") return true;
    const tries = (this.failures.get(entry.client_id) ?? 0) + 1;
    this.failures.set(entry.client_id, tries);
    return tries < INTERNAL_TRIES;
  }

  /** Whether a resend waits for its time (a refusal's `retry_after`, or the backoff). */
  get waiting(): boolean {
    return this.retryTimer !== undefined;
  }

  private retryLater(afterSeconds?: number): void {
    const delay = afterSeconds ? Math.ceil(afterSeconds * 1000) : this.backoff;
    this.backoff = Math.min(this.backoff * 2, 30000);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.flush();
    }, delay);
  }
}
