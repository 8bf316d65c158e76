/**
 * One conversation's messages in the DOM, ordered by (conversation, seq), each shown once.
 *
 * The same message may arrive live and again from a sync, and one's own message arrives
 * first as an outbox entry (no seq yet) and later with its seq: the stored version then
 * takes the entry's place, so nothing doubles.
 */
import type { Message, MessageMeta } from "./types";

export type Status = "sending" | "sent" | "read" | "failed";

export interface Shown {
  conversation_id?: number;
  author: Message["author"];
  text: string;
  at?: number;
  agent_name?: string;
  seq?: number;
  meta?: MessageMeta;
}

export interface TimelineView {
  /** A row for a message; `own` is true for what this side wrote. */
  create(message: Shown, own: boolean): HTMLElement;
  status(row: HTMLElement, status: Status, detail?: string): void;
}

interface Row {
  conv: number;
  seq: number;
  el: HTMLElement;
  own: boolean;
  text: string;
}

export class Timeline {
  private rows: Row[] = [];
  private pending = new Map<string, HTMLElement>();
  private readMarks = new Map<number, number>();

  /**
   * `ownAuthor`: what this side writes as; `isOwn`, when several write as it (the agents of
   * a console), which of those messages are this one's.
   */
  constructor(
    private readonly list: HTMLElement,
    private readonly view: TimelineView,
    private readonly ownAuthor: Message["author"],
    private readonly isOwn: (message: Message) => boolean = () => true,
  ) {}

  /** Adds a stored message; false when it was already shown. */
  add(message: Message): boolean {
    const own = message.author === this.ownAuthor && this.isOwn(message);
    const pending = own ? this.pending.get(message.client_id) : undefined;
    if (pending) {
      // Replaced by the stored version: it has the time and the author's name. (Also when
      // that is shown already: an entry another tab sent too, whose echo came first.)
      this.pending.delete(message.client_id);
      pending.remove();
    }
    const at = this.indexAfter(message.conversation_id, message.seq);
    const before = this.rows[at - 1];
    if (before && before.conv === message.conversation_id && before.seq === message.seq) {
      return false;
    }
    const el = this.view.create(message, own);
    const next = this.rows[at]?.el ?? this.firstPending();
    this.list.insertBefore(el, next);
    this.rows.splice(at, 0, { conv: message.conversation_id, seq: message.seq, el, own, text: message.text });
    if (own) {
      const read = (this.readMarks.get(message.conversation_id) ?? 0) >= message.seq;
      this.view.status(el, read ? "read" : "sent");
    }
    return true;
  }

  /** Shows an outbox entry that has no seq yet. */
  addPending(clientId: string, text: string): void {
    if (this.pending.has(clientId)) return;
    const el = this.view.create({ author: this.ownAuthor, text }, true);
    this.view.status(el, "sending");
    this.list.append(el);
    this.pending.set(clientId, el);
  }

  failPending(clientId: string, detail: string): void {
    const el = this.pending.get(clientId);
    if (el) this.view.status(el, "failed", detail);
    this.pending.delete(clientId);
  }

  /** Takes an outbox entry off the screen (its text went back to the composer). */
  dropPending(clientId: string): void {
    this.pending.get(clientId)?.remove();
    this.pending.delete(clientId);
  }

  /** The other side has read up to `seq`. */
  markRead(conversationId: number, seq: number): void {
    if ((this.readMarks.get(conversationId) ?? 0) >= seq) return;
    this.readMarks.set(conversationId, seq);
    for (const row of this.rows) {
      if (row.own && row.conv === conversationId && row.seq <= seq) {
        this.view.status(row.el, "read");
      }
    }
  }

  /** The text of a shown message, by its seq; undefined when it is not shown. */
  textOf(conversationId: number, seq: number): string | undefined {
    const row = this.rows[this.indexAfter(conversationId, seq) - 1];
    return row && row.conv === conversationId && row.seq === seq ? row.text : undefined;
  }

  highestSeq(conversationId: number): number {
    let high = 0;
    for (const row of this.rows) if (row.conv === conversationId && row.seq > high) high = row.seq;
    return high;
  }

  /** Highest seq of a message the other side wrote (what "read" refers to). */
  highestOtherSeq(conversationId: number): number {
    let high = 0;
    for (const row of this.rows) {
      if (!row.own && row.conv === conversationId && row.seq > high) high = row.seq;
    }
    return high;
  }

  clear(): void {
    for (const row of this.rows) row.el.remove();
    this.rows = [];
    this.readMarks.clear();
  }

  get size(): number {
    return this.rows.length + this.pending.size;
  }

  private firstPending(): HTMLElement | null {
    for (const el of this.pending.values()) if (el.parentNode === this.list) return el;
    return null;
  }

  /** Index of the first row after (conv, seq): binary search, rows are sorted. */
  private indexAfter(conv: number, seq: number): number {
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const row = this.rows[mid];
      if (row.conv < conv || (row.conv === conv && row.seq <= seq)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export function formatTime(at: number, locale: string | string[]): string {
  try {
    return new Date(at).toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" });
  } catch {
    return new Date(at).toTimeString().slice(0, 5);
  }
}
