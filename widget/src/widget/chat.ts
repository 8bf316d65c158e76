/** The shopper's side of a conversation: the connection, sync, outbox and what the UI shows. */
import { io, type Socket } from "socket.io-client";
import { newClientId } from "../shared/ids";
import { Outbox, Sender, type OutboxEntry } from "../shared/outbox";
import { safeStorage } from "../shared/storage";
import { clip } from "../shared/text";
import { refusalCode, type Ack, type Message, type State } from "../shared/types";
import { asLocale, pageLocale, type Locale } from "./i18n";
import { WidgetUi } from "./ui";

interface Conversation {
  id: number;
  state: State;
  agent: { name: string } | null;
  last_seq: number;
  agent_read_seq: number;
  shopper_read_seq: number;
}

interface SyncAck {
  token: string;
  identity: "anonymous" | "verified" | "rejected";
  conversation: Conversation | null;
  messages: Message[];
  more: boolean;
  limits?: { max_message_chars?: number };
}

interface MessageAck {
  message: Message;
  duplicate: boolean;
  conversation?: Conversation;
}

export interface Customer {
  id: string;
  signature: string;
  name?: string;
  email?: string;
}

const TOKEN_KEY = "loket:token";
const OUTBOX_KEY = "loket:outbox";
const OPEN_KEY = "loket:open";
const ACK_TIMEOUT = 10000;
// A typing notice at most this often; "stopped" after this much quiet.
const TYPING_EVERY = 3000;
const TYPING_IDLE = 4000;

export class Chat {
  readonly ui: WidgetUi;
  private readonly local = safeStorage("local");
  private readonly session = safeStorage("session");
  private readonly outbox: Outbox<OutboxEntry>;
  private readonly sender: Sender<OutboxEntry, MessageAck>;
  private socket: Socket | null = null;
  private conversation: Conversation | null = null;
  private customer: Customer | null = null;
  private locale: Locale | null = null;
  private readSeq = 0;
  private othersSeqs: number[] = [];
  private maxChars = 2000;
  private connectedOnce = false;
  private syncing: Promise<void> | null = null;
  private typingSentAt = 0;
  private typingStop: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly origin: string,
    private readonly ioPath: string,
  ) {
    this.outbox = new Outbox<OutboxEntry>(this.local, OUTBOX_KEY);
    this.sender = new Sender<OutboxEntry, MessageAck>({
      outbox: this.outbox,
      socket: () => this.socket,
      timeoutMs: ACK_TIMEOUT,
      payload: (entry) => ({ client_id: entry.client_id, text: entry.text, page: pageInfo() }),
      onAcked: (_entry, ack) => {
        if (ack.conversation) this.setConversation(ack.conversation);
        this.addMessage(ack.message, false);
      },
      onFailed: (entry, error) => {
        this.ui.timeline.failPending(entry.client_id, error.message);
        this.ui.afterChange();
      },
    });
    this.ui = new WidgetUi({
      send: (text) => this.send(text),
      typed: () => this.typed(),
      opened: () => {
        this.session.set(OPEN_KEY, "1");
        this.connect();
        this.markRead();
      },
      closed: () => this.session.set(OPEN_KEY, null),
    });
    this.ui.setLocale(pageLocale());
    this.ui.setState((t) => t.stateNone);
  }

  /** Puts the widget on the page; connects at once only for a returning shopper. */
  mount(): void {
    document.body.append(this.ui.host);
    for (const entry of this.outbox.entries()) this.ui.timeline.addPending(entry.client_id, entry.text);
    this.ui.afterChange();
    const returning = this.local.get(TOKEN_KEY) !== null || this.outbox.entries().length > 0;
    if (this.session.get(OPEN_KEY)) this.ui.open(false);
    if (returning || this.customer) this.connect();
    document.addEventListener("visibilitychange", () => this.markRead());
  }

  // -- the command API -------------------------------------------------------------

  command(args: unknown[]): void {
    const [name, value] = args;
    switch (name) {
      case "open":
        this.ui.open();
        return;
      case "close":
        this.ui.close();
        return;
      case "locale": {
        const locale = typeof value === "string" ? asLocale(value) : null;
        if (!locale || value !== locale) {
          console.warn("Loket: locale must be 'nl' or 'en', got", value);
          return;
        }
        this.locale = locale;
        this.ui.setLocale(locale);
        return;
      }
      case "identify": {
        const customer = parseCustomer(value);
        if (!customer) {
          console.warn("Loket: identify needs {id, signature (64 hex digits), name?, email?}");
          return;
        }
        this.customer = customer;
        // The claim travels in the connect payload: reconnect so the server sees it.
        if (this.socket) this.socket.disconnect().connect();
        else if (this.ui.host.isConnected) this.connect();
        return;
      }
      default:
        console.warn("Loket: unknown command", name);
    }
  }

  // -- connection ------------------------------------------------------------------

  private connect(): void {
    if (this.socket) return;
    this.ui.setConnection("connecting");
    const socket = io(this.origin + "/shopper", {
      path: this.ioPath,
      transports: ["websocket"],
      // A function, so every reconnect sends the token and identity as they are now.
      auth: (cb) => cb(this.authPayload()),
    });
    this.socket = socket;
    socket.on("connect", () => {
      this.connectedOnce = true;
      this.ui.setConnection("online");
      void this.afterConnect();
    });
    socket.on("disconnect", (reason) => {
      this.ui.setConnection("reconnecting");
      this.ui.showTyping(null);
      // The server closed us on purpose (e.g. restarting); the client does not retry that itself.
      if (reason === "io server disconnect") setTimeout(() => socket.connect(), 2000);
    });
    socket.on("connect_error", (err) => {
      const code = refusalCode(err);
      if (code === "invalid_token") {
        this.local.set(TOKEN_KEY, null);
        socket.connect();
      } else if (code === "origin_not_allowed") {
        this.ui.setConnection("unavailable");
        console.warn("Loket:", err.message);
      } else {
        this.ui.setConnection(this.connectedOnce ? "reconnecting" : "connecting");
        // A refusal by the server stops the client's own retries; transport errors do not.
        if (!socket.active) setTimeout(() => socket.connect(), 5000);
      }
    });
    socket.on("message", (m: Message) => {
      if (isMessage(m)) this.addMessage(m, true);
    });
    socket.on("conversation", (c: Conversation) => {
      if (isConversation(c)) this.setConversation(c);
    });
    socket.on("typing", (data: { author?: string; agent_name?: string; typing?: boolean }) => {
      if (data && data.author === "agent") {
        this.ui.showTyping(data.typing ? data.agent_name || this.ui.t.agent : null);
      }
    });
    socket.on("read", (data: { conversation_id: number; by: string; seq: number }) => {
      if (!data || typeof data.seq !== "number") return;
      if (data.by === "agent") this.ui.timeline.markRead(data.conversation_id, data.seq);
      else if (data.by === "shopper" && data.conversation_id === this.conversation?.id) {
        this.readSeq = Math.max(this.readSeq, data.seq);
        this.refreshUnread();
      }
    });
  }

  private authPayload(): Record<string, unknown> {
    const auth: Record<string, unknown> = {
      locale: this.locale ?? pageLocale(),
      page: pageInfo(),
    };
    const token = this.local.get(TOKEN_KEY);
    if (token) auth.token = token;
    if (this.customer) auth.customer = this.customer;
    return auth;
  }

  private async afterConnect(): Promise<void> {
    // Sync first, so resent messages land after what the server already has.
    if (!this.syncing) this.syncing = this.sync().finally(() => (this.syncing = null));
    await this.syncing;
    this.sender.flush();
    this.markRead();
  }

  private async sync(): Promise<void> {
    const socket = this.socket;
    let first = true;
    while (socket && socket.connected) {
      const known = this.conversation;
      const payload: Record<string, number> = {};
      if (known) {
        payload.conversation_id = known.id;
        payload.after_seq = this.ui.timeline.highestSeq(known.id);
      }
      let ack: Ack<SyncAck>;
      try {
        ack = (await socket.timeout(ACK_TIMEOUT).emitWithAck("sync", payload)) as Ack<SyncAck>;
      } catch {
        // No answer: start over on a fresh connection rather than show a stale history.
        if (socket.connected) socket.disconnect().connect();
        return;
      }
      if (!ack.ok) {
        console.warn("Loket: sync refused:", ack.error.message);
        if (ack.error.code !== "rate_limited") return;
        await delay((ack.error.retry_after ?? 1) * 1000);
        continue;
      }
      this.local.set(TOKEN_KEY, ack.token);
      if (ack.limits?.max_message_chars) this.maxChars = ack.limits.max_message_chars;
      if (first && (ack.conversation?.id ?? null) !== (known?.id ?? null)) {
        // Another conversation than the one shown (a new identity, or one started elsewhere).
        this.ui.timeline.clear();
        this.othersSeqs = [];
        this.readSeq = 0;
      }
      first = false;
      if (ack.conversation) this.setConversation(ack.conversation);
      for (const m of ack.messages) if (isMessage(m)) this.addMessage(m, false);
      if (!ack.more || ack.messages.length === 0) return;
    }
  }

  // -- conversation state ----------------------------------------------------------

  private setConversation(c: Conversation): void {
    if (this.conversation && this.conversation.id !== c.id) {
      this.othersSeqs = [];
      this.readSeq = 0;
    }
    this.conversation = c;
    this.readSeq = Math.max(this.readSeq, c.shopper_read_seq);
    this.ui.timeline.markRead(c.id, c.agent_read_seq);
    const name = c.agent?.name;
    switch (c.state) {
      case "bot":
        this.ui.setState((t) => t.stateBot);
        break;
      case "queued":
        this.ui.setState((t) => t.stateQueued);
        break;
      case "assigned":
        this.ui.setState((t) => t.stateAssigned(name || t.agent));
        break;
      case "closed":
        this.ui.setState((t) => t.stateClosed);
        this.ui.showTyping(null);
        break;
    }
    this.refreshUnread();
  }

  private addMessage(m: Message, live: boolean): void {
    if (m.author === "shopper") this.outbox.remove(m.client_id);
    const added = this.ui.timeline.add(m);
    if (!added) return;
    if (m.author !== "shopper") {
      if (m.conversation_id === this.conversation?.id || !this.conversation) {
        this.othersSeqs.push(m.seq);
      }
      if (live) {
        if (m.author === "agent") this.ui.showTyping(null);
        this.ui.announce(this.ui.authorName(m), m.text);
      }
    }
    this.ui.afterChange();
    this.markRead();
    this.refreshUnread();
  }

  private refreshUnread(): void {
    const unread = this.othersSeqs.filter((seq) => seq > this.readSeq).length;
    this.ui.setUnread(this.ui.isOpen ? 0 : unread);
  }

  /** Tells the server what the shopper has seen: only while the panel is open and visible. */
  private markRead(): void {
    const c = this.conversation;
    const socket = this.socket;
    if (!c || !socket?.connected || !this.ui.isOpen || document.visibilityState !== "visible") {
      this.refreshUnread();
      return;
    }
    const high = this.ui.timeline.highestSeq(c.id);
    if (high > this.readSeq) {
      this.readSeq = high;
      socket.emit("read", { seq: high });
    }
    this.refreshUnread();
  }

  // -- sending ---------------------------------------------------------------------

  private send(text: string): boolean {
    if (text.trim().length > this.maxChars) {
      this.ui.showNotice(this.ui.t.tooLong(this.maxChars));
      return false;
    }
    this.stopTyping();
    const entry: OutboxEntry = { client_id: newClientId(), text, made: Date.now() };
    this.outbox.add(entry);
    this.ui.timeline.addPending(entry.client_id, text);
    this.ui.afterChange();
    this.connect();
    this.sender.flush();
    return true;
  }

  private typed(): void {
    const socket = this.socket;
    if (!socket?.connected || !this.conversation || this.conversation.state === "closed") return;
    const now = Date.now();
    if (now - this.typingSentAt > TYPING_EVERY) {
      this.typingSentAt = now;
      socket.emit("typing", { typing: true });
    }
    clearTimeout(this.typingStop);
    this.typingStop = setTimeout(() => this.stopTyping(), TYPING_IDLE);
  }

  private stopTyping(): void {
    clearTimeout(this.typingStop);
    if (!this.typingSentAt) return;
    this.typingSentAt = 0;
    if (this.socket?.connected && this.conversation) this.socket.emit("typing", { typing: false });
  }
}

function pageInfo(): { url: string; title: string } {
  return { url: clip(location.href, 500), title: clip(document.title, 500) };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isMessage(m: unknown): m is Message {
  const x = m as Message | null;
  return !!x && typeof x.seq === "number" && typeof x.text === "string" &&
    typeof x.conversation_id === "number" && typeof x.client_id === "string";
}

function isConversation(c: unknown): c is Conversation {
  const x = c as Conversation | null;
  return !!x && typeof x.id === "number" && typeof x.state === "string";
}

function parseCustomer(value: unknown): Customer | null {
  if (!value || typeof value !== "object") return null;
  const v = value as Record<string, unknown>;
  const id = typeof v.id === "number" ? String(v.id) : v.id;
  if (typeof id !== "string" || !id || id.length > 200) return null;
  if (typeof v.signature !== "string" || !/^[0-9a-fA-F]{64}$/.test(v.signature)) return null;
  const customer: Customer = { id, signature: v.signature };
  for (const key of ["name", "email"] as const) {
    const field = v[key];
    if (field === undefined || field === null) continue;
    if (typeof field !== "string") return null;
    customer[key] = clip(field, 500);
  }
  return customer;
}
