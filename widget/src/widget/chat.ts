/** The shopper's side of a conversation: the connection, sync, outbox and what the UI shows. */
import { io, type Socket } from "socket.io-client";
import { newClientId } from "../shared/ids";
import { Outbox, Sender, type OutboxEntry } from "../shared/outbox";
import { safeStorage } from "../shared/storage";
import { clip, textLength } from "../shared/text";
import { delay } from "../shared/time";
import { refusalCode, retryDelay, type Ack, type Message, type State } from "../shared/types";
import { asLocale, isLanguageTag, pageLanguage, pageLocale, type Locale, type Texts } from "./i18n";
import { WidgetUi, type LeftQuestion, type Offer } from "./ui";

interface Conversation {
  id: number;
  state: State;
  agent: { name: string } | null;
  last_seq: number;
  agent_read_seq: number;
  shopper_read_seq: number;
  /** The queue's wait ran out (everyone was busy): the form is offered, not a person. */
  queue_gave_up?: boolean;
}

interface QueuePlace {
  conversation_id: number;
  position: number;
  /** null: every agent online passed this conversation over; nobody can say when. */
  wait_seconds: number | null;
  /** The wait would be longer than the queue keeps a shopper: leaving a question is offered. */
  beyond_timeout?: boolean;
}

interface Availability {
  staffed: boolean;
  /** Whether an agent could come now (staffed, and one online). */
  people?: boolean;
  text: string;
  next_open: number | null;
  /** The shop's time zone (IANA), in which `text` tells the time. */
  zone?: string;
}

/**
 * When people are back, with the time on the shopper's own clock beside the shop's when
 * the two differ ("Back today at 10:00 (09:00 your time)" for a shopper in London of a
 * shop in Amsterdam). `said`: when the sentence was said, whose day its "today" is.
 */
function backOnYourClock(a: Availability, t: Texts, said: Date = new Date()): string {
  if (a.staffed || a.next_open === null || !a.zone) return a.text;
  try {
    const at = new Date(a.next_open);
    const clock = (timeZone?: string) =>
      new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hour12: false, timeZone }).format(at);
    // Days from today to `at` on a calendar in `timeZone` ("2026-12-07" from en-CA).
    const day = (when: Date, timeZone?: string) =>
      Date.parse(new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone }).format(when));
    const ahead = (timeZone?: string) => Math.round((day(at, timeZone) - day(said, timeZone)) / 86400000);
    const mine = clock();
    const days = ahead();
    if (days === ahead(a.zone)) return mine === clock(a.zone) ? a.text : t.yourTime(a.text, mine);
    // Another day on the shopper's calendar than the shop's "today" or "tomorrow" says.
    const named =
      days === 0 ? t.today
      : days === 1 ? t.tomorrow
      : new Intl.DateTimeFormat(t.dateLocale, { weekday: "long" }).format(at);
    return t.yourTimeOn(a.text, named, mine);
  } catch {
    // A zone this browser does not know: the shop's time alone.
    return a.text;
  }
}

function isAvailability(a: unknown): a is Availability {
  const v = a as Availability | null;
  return !!v && typeof v.staffed === "boolean" && typeof v.text === "string";
}

interface Invitation {
  path: string;
  after_seconds: number;
  text: string;
}

interface SyncAck {
  token: string;
  identity: "anonymous" | "verified" | "rejected";
  conversation: Conversation | null;
  messages: Message[];
  more: boolean;
  limits?: { max_message_chars?: number };
  queue?: QueuePlace | null;
  availability?: Availability;
  invitations?: Invitation[];
  /** Whether the shop addresses shoppers of this language formally ("Sie"). */
  formal?: boolean;
}

interface HandoffAck {
  token?: string;
  conversation: Conversation;
  queue: QueuePlace | null;
  availability: Availability;
  leave_question: boolean;
}

/** A message, or a left question (sent with `leave_question` and a way to reach the shopper). */
interface Entry extends OutboxEntry {
  /** The customer it was written as (`Loket('identify')`); absent: anonymously. */
  who?: string;
  event?: "leave_question";
  email?: string;
  phone?: string;
}

interface MessageAck {
  message: Message;
  duplicate: boolean;
  conversation?: Conversation;
  /** A new visitor token (this browser's was another shopper's): kept from now on. */
  token?: string;
}

export interface Customer {
  id: string;
  signature: string;
  /** Unix seconds, signed with the id (a shop with `security.customer_claims_expire`). */
  expires?: number;
  name?: string;
  email?: string;
}

const TOKEN_KEY = "loket:token";
const OUTBOX_KEY = "loket:outbox";
/** An entry of another tab still unsent after this long is sent from here too. */
const ORPHAN_AFTER = 15000;
const OPEN_KEY = "loket:open";
// What the shopper is writing, for this tab: a reload or the next page of the shop keeps it.
const DRAFT_KEY = "loket:draft";
const RATED_KEY = "loket:rated";
// The conversation whose leave-a-question form the shopper put away untouched.
const LEAVE_DECLINED_KEY = "loket:leave-declined";
const INVITATIONS_KEY = "loket:invitations";
// "1" when the shop addressed this shopper formally ("Sie") at the last `sync`.
const FORMAL_KEY = "loket:formal";
const INVITED_KEY = "loket:invited";
// Invitation rules are fetched for a first-time visitor at most this often.
const INVITATIONS_FRESH = 3600 * 1000;
const ACK_TIMEOUT = 10000;
// A typing notice at most this often; "stopped" after this much quiet.
const TYPING_EVERY = 3000;
const TYPING_IDLE = 4000;

export class Chat {
  readonly ui: WidgetUi;
  private readonly local = safeStorage("local");
  private readonly session = safeStorage("session");
  private readonly outbox: Outbox<Entry>;
  private readonly sender: Sender<Entry, MessageAck>;
  private socket: Socket | null = null;
  private conversation: Conversation | null = null;
  private customer: Customer | null = null;
  /** The client ids of the outbox entries written in this tab. */
  private readonly written = new Set<string>();
  private locale: Locale | null = null;
  /** The language given with Loket('locale', …), as given ("de-DE"). */
  private language: string | null = null;
  private readSeq = 0;
  // The conversation's last seq when it was last told of (see `renamed`).
  private agentSince = 0;
  private othersSeqs: number[] = [];
  private maxChars = 2000;
  private connectedOnce = false;
  private syncing: Promise<void> | null = null;
  private typingSentAt = 0;
  private typingStop: ReturnType<typeof setTimeout> | undefined;
  private queue: QueuePlace | null = null;
  private availability: Availability | null = null;
  private handingOff = false;
  private inviteTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly origin: string,
    private readonly ioPath: string,
  ) {
    this.outbox = new Outbox<Entry>(this.local, OUTBOX_KEY);
    this.sender = new Sender<Entry, MessageAck>({
      outbox: this.outbox,
      socket: () => this.socket,
      timeoutMs: ACK_TIMEOUT,
      event: (entry) => entry.event ?? "message",
      payload: (entry) => {
        if (entry.event !== "leave_question") {
          return { client_id: entry.client_id, text: entry.text, page: pageInfo() };
        }
        const payload: Record<string, unknown> = { client_id: entry.client_id, text: entry.text };
        if (entry.email) payload.email = entry.email;
        if (entry.phone) payload.phone = entry.phone;
        return payload;
      },
      onAcked: (entry, ack) => {
        if (ack.token) this.local.set(TOKEN_KEY, ack.token);
        if (ack.conversation) this.setConversation(ack.conversation);
        // A question left as the message just asked comes back as that message, shown already.
        if (ack.message.client_id !== entry.client_id) this.ui.timeline.dropPending(entry.client_id);
        this.addMessage(ack.message, false);
      },
      onFailed: (entry, error) => {
        const t = this.ui.t;
        // In the shopper's language where Loket knows the reason; the server's words else.
        const said =
          error.code === "message_too_long" ? t.tooLong(this.maxChars, textLength(entry.text))
          : error.code === "invalid_text" ? t.badText
          : error.message;
        if (entry.event === "leave_question") {
          // The form shows it again, with what was typed and why: no failed bubble besides.
          this.ui.timeline.dropPending(entry.client_id);
          const field = /email/.test(error.message) ? t.badEmail : /phone/.test(error.message) ? t.badPhone : "";
          const reason = error.code === "contact_required" ? t.needContact : field || said;
          this.ui.leaveFailed({ text: entry.text, email: entry.email, phone: entry.phone }, reason);
        } else {
          this.ui.timeline.failPending(entry.client_id, said);
        }
        this.ui.afterChange(true);
      },
    });
    this.ui = new WidgetUi({
      send: (text) => this.send(text),
      typed: () => this.typed(),
      drafted: (text) => this.session.set(DRAFT_KEY, text.trim() ? text : null),
      opened: () => {
        this.session.set(OPEN_KEY, "1");
        this.connect();
        this.markRead();
      },
      closed: () => this.session.set(OPEN_KEY, null),
      person: () => void this.handoff(),
      feedback: async (seq, helpful) => {
        const ack = await this.request<{ offer: Offer | null; duplicate?: boolean }>("feedback", { seq, helpful });
        // Another tab's feedback counted first: what it offered was offered there.
        if (ack.ok) return ack.duplicate ? null : (ack.offer ?? null);
        this.ui.showNotice(this.ui.t.tryAgain);
        return undefined;
      },
      leaveQuestion: (question) => this.leaveQuestion(question),
      rate: async (rating, comment) => {
        const ack = await this.request("rate", comment ? { rating, comment } : { rating });
        if (!ack.ok) {
          console.warn("Loket: rating refused:", ack.error.message);
          return this.ui.t.tryAgain;
        }
        this.markRated();
        return null;
      },
      skipRating: () => this.markRated(),
      declinedLeave: (declined) => {
        const id = this.conversation?.id;
        this.local.set(LEAVE_DECLINED_KEY, declined && id !== undefined ? String(id) : null);
      },
    });
    // As the shop addressed this shopper last time, until `sync` says (no switch on a page).
    this.ui.setLocale(pageLocale(), this.local.get(FORMAL_KEY) === "1");
    this.ui.setState((t) => t.stateNone);
    this.ui.showPerson(true);
  }

  /** Puts the widget on the page; connects at once only for a returning shopper. */
  mount(): void {
    document.body.append(this.ui.host);
    // Messages written as another shopper (a customer who logged out since, or in) are
    // theirs to send, from a page where they are that shopper again.
    this.outbox.keepOnly((e) => this.mine(e));
    for (const entry of this.outbox.entries()) this.ui.timeline.addPending(entry.client_id, entry.text);
    this.ui.afterChange();
    const returning = this.local.get(TOKEN_KEY) !== null || this.outbox.entries().length > 0;
    const draft = this.session.get(DRAFT_KEY);
    if (draft) this.ui.restoreDraft(draft);
    if (this.session.get(OPEN_KEY)) this.ui.open(false);
    if (returning || this.customer) this.connect();
    document.addEventListener("visibilitychange", () => this.markRead());
    window.addEventListener("storage", (e) => {
      // Rated in another tab: the form goes here too (a conversation is rated once).
      const id = this.conversation?.id;
      if (e.key === RATED_KEY && id !== undefined && this.rated().includes(id)) this.ui.showRating(false);
      // A first chat begun in another tab of this shop: this one is a returning shopper's
      // now, and follows it (the launcher's badge counts the answers) without a reload.
      if (e.key === TOKEN_KEY && e.newValue && !this.socket) this.connect();
    });
    const cached = this.local.getJSON<{ at: number; locale: Locale; rules: Invitation[] }>(INVITATIONS_KEY);
    const locale = this.locale ?? pageLocale();
    if (cached && Array.isArray(cached.rules) && cached.locale === locale && Date.now() - cached.at < INVITATIONS_FRESH) {
      this.scheduleInvitation(cached.rules);
    } else if (!this.socket && !this.session.get(INVITED_KEY)) {
      this.probeInvitations();
    }
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
        if (!isLanguageTag(value)) {
          console.warn("Loket: locale must be a language code such as 'nl' or 'de-DE', got", value);
          return;
        }
        // The widget speaks Dutch, English or German; Loket is told the language itself.
        const locale = asLocale(value) ?? "en";
        const primary = (tag: string) => tag.toLowerCase().replace("_", "-").split("-")[0];
        // Another language, not another region of it ("nl-BE" for "nl").
        const changed = primary(value) !== primary(this.shopperLanguage());
        this.language = value;
        this.locale = locale;
        this.ui.setLocale(locale);
        // Loket hears the shopper's language when they connect: told again, the bot and
        // Loket's own lines speak the new one from the shopper's next message on.
        if (changed && this.socket) this.socket.disconnect().connect();
        return;
      }
      case "identify": {
        const customer = parseCustomer(value);
        if (!customer) {
          console.warn("Loket: identify needs {id, signature (64 hex digits), expires? (Unix seconds), name?, email?}");
          return;
        }
        // What this tab wrote anonymously just before the shop's page identified the
        // shopper goes on as the customer's (stamped so, also in the storage other tabs
        // read), as the server takes in the browser's anonymous conversation; any other
        // identity's waits for a tab of theirs.
        const wasAnonymous = !this.customer;
        this.customer = customer;
        for (const e of this.outbox.entries()) {
          if (wasAnonymous && e.who === undefined && this.written.has(e.client_id)) {
            this.outbox.replace({ ...e, who: customer.id });
          }
        }
        for (const e of this.outbox.keepOnly((entry) => this.mine(entry))) this.ui.timeline.dropPending(e.client_id);
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
    setInterval(() => {
      if (socket.connected) this.adoptOthers(ORPHAN_AFTER);
    }, ORPHAN_AFTER);
    // The browser knows the network is gone or back long before a heartbeat or the next
    // retry would: say so at once, and try again the moment it is back.
    window.addEventListener("offline", () => {
      if (socket.connected) socket.io.engine?.close();
    });
    window.addEventListener("online", () => {
      // Not `connect()` alone: while the manager waits out its backoff, that waits too.
      if (!socket.connected) socket.disconnect().connect();
    });
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
        // Never to be sent from this site: shown as not sent rather than "Sending…" for ever.
        for (const entry of [...this.outbox.entries()]) {
          this.outbox.remove(entry.client_id);
          this.ui.timeline.failPending(entry.client_id, this.ui.t.unavailable);
        }
        this.ui.afterChange();
      } else {
        this.ui.setConnection(this.connectedOnce ? "reconnecting" : "connecting");
        // A refusal by the server stops the client's own retries; transport errors do not.
        if (!socket.active) setTimeout(() => socket.connect(), retryDelay(err, 5000));
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
    socket.on("availability", (a: Availability) => {
      // An agent came online, or the last one left: the header and the line under it follow.
      if (!isAvailability(a)) return;
      const before = this.availability;
      this.availability = a;
      this.refreshState();
      this.refreshDetail();
      this.refreshPerson();
      // Someone can come now: a form nobody has started on gives way to "talk to a person".
      if (a.people && before && !before.people) this.ui.dismissLeaveForm();
    });
    socket.on("queue", (q: QueuePlace) => {
      if (q && typeof q.position === "number" && q.conversation_id === this.conversation?.id) {
        this.queue = q;
        this.refreshDetail();
        this.refreshPerson();
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

  /** What Loket is told the shopper's language is: the one given, else the page's or browser's. */
  private shopperLanguage(): string {
    return this.language ?? pageLanguage() ?? pageLocale();
  }

  private authPayload(): Record<string, unknown> {
    const auth: Record<string, unknown> = {
      locale: this.shopperLanguage(),
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
    this.adoptOthers();
    this.sender.flush();
    this.markRead();
  }

  /**
   * Whether this tab may send an outbox entry (see `Entry.who`): one written as the
   * shopper this tab is, the customer it is identified as or anonymously; never another
   * identity's, which a tab of that identity sends (else one message could be stored in
   * two conversations).
   */
  private mine(entry: Entry): boolean {
    return entry.who === this.customer?.id;
  }

  /**
   * Messages another tab of this shop could not send (written offline, that tab closed
   * since) are sent from here: at each connect, and, while connected, once they are
   * ORPHAN_AFTER old (a tab that is open sends its own long before).
   */
  private adoptOthers(olderThanMs = 0): void {
    // Only what was written as the same shopper (a tab of a customer's, or anonymously).
    const adopted = this.outbox.adopt(olderThanMs, (e) => this.mine(e));
    for (const entry of adopted) this.ui.timeline.addPending(entry.client_id, entry.text);
    if (adopted.length) {
      this.ui.afterChange();
      // Not while a refusal's wait runs (a full rate limit): sent when it is over.
      if (olderThanMs && !this.sender.waiting) this.sender.flush();
    }
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
      if (ack.limits?.max_message_chars) {
        this.maxChars = ack.limits.max_message_chars;
        this.ui.maxChars = this.maxChars;
      }
      // What is shown now: messages sent while the sync was under way may have made the
      // conversation (their acks say so), and their rows must stay.
      const shown = this.conversation;
      if (first && (ack.conversation?.id ?? null) !== (shown?.id ?? null)) {
        // Another conversation than the one shown (a new identity, or one started elsewhere).
        this.ui.timeline.clear();
        this.ui.clearAnnounced();
        this.othersSeqs = [];
        this.readSeq = 0;
        // None at all: the shopper's data was deleted on request (an erasure). Nothing of
        // it stays: no header about it, no rating or leave form for it.
        if (!ack.conversation) {
          this.conversation = null;
          this.queue = null;
          this.ui.showRating(false);
          this.ui.dismissLeaveForm();
        }
      }
      first = false;
      if (ack.queue !== undefined) this.queue = ack.queue;
      if (isAvailability(ack.availability)) this.availability = ack.availability;
      if (Array.isArray(ack.invitations)) this.invitations(ack.invitations);
      if (typeof ack.formal === "boolean") {
        this.local.set(FORMAL_KEY, ack.formal ? "1" : null);
        this.ui.setLocale(this.locale ?? pageLocale(), ack.formal);
      }
      if (ack.conversation) this.setConversation(ack.conversation);
      else {
        this.refreshState();
        this.refreshDetail();
        this.refreshPerson();
      }
      for (const m of ack.messages) if (isMessage(m)) this.addMessage(m, false);
      if (!ack.more || ack.messages.length === 0) return;
    }
  }

  // -- conversation state ----------------------------------------------------------

  private setConversation(c: Conversation): void {
    const before = this.conversation;
    if (before && before.id !== c.id) {
      this.othersSeqs = [];
      this.readSeq = 0;
    }
    this.conversation = c;
    this.ui.leaveDeclined = this.local.get(LEAVE_DECLINED_KEY) === String(c.id);
    this.ui.leaveOffersClosed(c.state === "assigned");
    this.agentSince = c.last_seq;
    if (c.state !== "queued") this.queue = null;
    // Rate the agent once per conversation, when an agent closed it.
    const agentClosed = c.state === "closed" && (!!c.agent || before?.state === "assigned");
    this.ui.showRating(agentClosed && !this.rated().includes(c.id));
    this.refreshPerson();
    this.refreshDetail();
    this.readSeq = Math.max(this.readSeq, c.shopper_read_seq);
    this.ui.timeline.markRead(c.id, c.agent_read_seq);
    this.refreshState();
    // Whoever was typing is no longer the shopper's agent: closed, back in the queue or
    // with the bot, or handed to a colleague.
    if (c.state !== "assigned" || c.agent?.name !== before?.agent?.name) this.ui.showTyping(null);
    this.refreshUnread();
  }

  /** The header: who answers now. With the bot, whether a person could come as well. */
  private refreshState(): void {
    const c = this.conversation;
    if (!c) {
      // Before the first message: with nobody to come, the assistant answers it (not "we're
      // happy to help" above "nobody is online").
      this.ui.setState((t) => (this.availability && !this.availability.people ? t.stateBot : t.stateNone));
      return;
    }
    const name = c.agent?.name;
    switch (c.state) {
      case "bot":
        // Not "you can also talk to a person" right after "everyone is still busy".
        this.ui.setState((t) => (this.availability?.people && !c.queue_gave_up ? t.stateBotPeople : t.stateBot));
        break;
      case "queued":
        this.ui.setState((t) => t.stateQueued);
        break;
      case "assigned":
        this.ui.setState((t) => t.stateAssigned(name || t.agent));
        break;
      case "closed":
        this.ui.setState((t) => t.stateClosed);
        break;
    }
  }

  private addMessage(m: Message, live: boolean): void {
    if (m.author === "shopper") this.outbox.remove(m.client_id);
    const told: unknown = m.meta?.availability;
    if (m.author === "system" && isAvailability(told) && typeof told.next_open === "number") {
      // "Back tomorrow at 09:00" in a notice, on the shopper's clock too, as in the header.
      // "Today" and "tomorrow" are the day it was said, also in a message read days later.
      const said = backOnYourClock(told, this.ui.t, new Date(m.at));
      if (said !== told.text) m = { ...m, text: m.text.replace(told.text, () => said) };
    }
    const added = this.ui.timeline.add(m);
    if (!added) return;
    if (m.author !== "shopper") {
      if (m.conversation_id === this.conversation?.id || !this.conversation) {
        this.othersSeqs.push(m.seq);
      }
      if (live) {
        if (m.author === "agent") {
          this.ui.showTyping(null);
          this.renamed(m);
        }
        this.ui.announce(this.ui.authorName(m), m.text);
      }
      // Nobody can come: the form at once, not only a button in the message, holding the
      // question the bot could not answer (the composer was emptied when it was sent).
      // Not when a question of theirs waits already: then the message offers a button.
      // After "I don't know" not either once the shopper put the form away untouched; a
      // request for a person nobody can answer, or a wait given up, opens it all the same.
      if (live && m.meta?.offer === "leave_question" && !m.meta.left) {
        if (m.meta.kind === "unknown") this.ui.offerLeaveForm(this.ui.questionOf(m));
        else this.ui.showLeaveForm(this.ui.questionOf(m));
      } else {
        // Also for what a reconnection brings: the chat went on meanwhile.
        this.ui.dismissLeaveForm();
      }
    }
    this.ui.afterChange();
    this.markRead();
    this.refreshUnread();
  }

  /** The agent's name as their newest message gives it: one who changed their display
   * name (and opened the console again) is called so above the chat at once, not only on
   * the shopper's next visit. Only the agent who has the conversation writes in it, but a
   * reply written just before it went to a colleague may arrive after the news of that:
   * only a message written after the news (its seq above the conversation's then) counts. */
  private renamed(m: Message): void {
    const c = this.conversation;
    const agent = c?.agent;
    if (!agent || !m.agent_name || c.state !== "assigned" || m.conversation_id !== c.id) return;
    if (m.seq <= this.agentSince) return;
    if (agent.name === m.agent_name) return;
    agent.name = m.agent_name;
    this.refreshState();
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

  /** The line under the state: the queue place and wait, else when people are back. */
  private refreshDetail(): void {
    const c = this.conversation;
    const q = this.queue;
    const a = this.availability;
    if (c?.state === "queued" && q && q.conversation_id === c.id) {
      const wait = q.wait_seconds;
      if (q.beyond_timeout) {
        this.ui.setDetail((t) => t.queueLong(q.position));
      } else if (wait === null) {
        this.ui.setDetail((t) => t.queuePlace(q.position));
      } else {
        const minutes = Math.max(1, Math.round(wait / 60));
        this.ui.setDetail((t) => t.queue(q.position, minutes));
      }
    } else if (a && (!a.staffed || a.people === false) && a.text && c?.state !== "assigned") {
      // When people are back, or that nobody is online now within staffed hours.
      this.ui.setDetail((t) => backOnYourClock(a, t));
    } else {
      this.ui.setDetail(() => "");
    }
  }

  private refreshPerson(): void {
    const state = this.conversation?.state;
    const a = this.availability;
    // Known that nobody can come (closed, or nobody online), or the queue's wait just ran
    // out with everyone busy: the form, not a request.
    const nobody = (!!a && (!a.staffed || a.people === false)) || (state === "bot" && !!this.conversation?.queue_gave_up);
    // Waiting longer than the queue keeps anyone: leaving the question is offered too.
    const long = state === "queued" && this.queue?.conversation_id === this.conversation?.id && !!this.queue?.beyond_timeout;
    this.ui.showPerson(!state || state === "bot" || long, this.handingOff, nobody || long);
  }

  private rated(): number[] {
    const ids = this.local.getJSON<unknown>(RATED_KEY);
    return Array.isArray(ids) ? ids.filter((id): id is number => typeof id === "number") : [];
  }

  private markRated(): void {
    const id = this.conversation?.id;
    if (id === undefined) return;
    this.local.setJSON(RATED_KEY, [...this.rated().filter((x) => x !== id), id].slice(-20));
  }

  /** Emits with an ack; no answer in time becomes a refusal with code `timeout`. */
  private async request<T>(event: string, payload: object): Promise<Ack<T>> {
    this.connect();
    const socket = this.socket;
    try {
      if (!socket) throw new Error("no socket");
      return (await socket.timeout(ACK_TIMEOUT).emitWithAck(event, payload)) as Ack<T>;
    } catch {
      return { ok: false, error: { code: "timeout", message: this.ui.t.tryAgain } };
    }
  }

  /** "Talk to a person": to an agent or the queue, or, when nobody can come, the form. */
  private async handoff(): Promise<void> {
    this.handingOff = true;
    this.refreshPerson();
    const ack = await this.request<HandoffAck>("handoff", { page: pageInfo() });
    this.handingOff = false;
    if (ack.ok) {
      if (ack.token) this.local.set(TOKEN_KEY, ack.token);
      this.queue = ack.queue;
      this.availability = ack.availability;
      this.setConversation(ack.conversation);
      if (ack.leave_question) this.ui.showLeaveForm();
    } else {
      this.ui.showNotice(ack.error.code === "timeout" ? ack.error.message : this.ui.t.tryAgain);
    }
    this.refreshPerson();
  }

  private leaveQuestion(question: LeftQuestion): void {
    if (this.ui.unavailable) {
      this.ui.showNotice(this.ui.t.unavailable);
      return;
    }
    const entry: Entry = {
      client_id: newClientId(),
      text: question.text,
      made: Date.now(),
      event: "leave_question",
    };
    if (this.customer) entry.who = this.customer.id;
    this.written.add(entry.client_id);
    if (question.email) entry.email = question.email;
    if (question.phone) entry.phone = question.phone;
    this.outbox.add(entry);
    this.ui.timeline.addPending(entry.client_id, entry.text);
    this.ui.afterChange(true);
    this.connect();
    this.sender.flush();
  }

  // -- proactive invitations ---------------------------------------------------------

  private invitations(rules: Invitation[]): void {
    const locale = this.locale ?? pageLocale();
    this.local.setJSON(INVITATIONS_KEY, { at: Date.now(), locale, rules });
    this.scheduleInvitation(rules);
  }

  /** At most one invitation per visit, for the first rule whose path matches this page. */
  private scheduleInvitation(rules: Invitation[]): void {
    if (this.inviteTimer !== undefined || this.session.get(INVITED_KEY)) return;
    const rule = rules.find((r) => r && typeof r.path === "string" && globMatch(r.path, location.pathname));
    if (!rule || typeof rule.text !== "string") return;
    const wait = Math.max(0, (Number(rule.after_seconds) || 0) * 1000 - performance.now());
    this.inviteTimer = setTimeout(() => {
      if (this.ui.isOpen || this.session.get(INVITED_KEY)) return;
      this.session.set(INVITED_KEY, "1");
      this.ui.showInvitation(rule.text);
    }, wait);
  }

  /**
   * A first-time visitor is not connected until they open the chat, yet invitations are for
   * them most of all: one short connection fetches the rules, cached for an hour. Its visitor
   * token is not kept, so the visitor still counts as new.
   */
  private probeInvitations(): void {
    const probe = io(this.origin + "/shopper", {
      path: this.ioPath,
      transports: ["websocket"],
      forceNew: true,
      reconnection: false,
      auth: { locale: this.shopperLanguage(), page: pageInfo() },
    });
    probe.on("connect", () => {
      probe
        .timeout(ACK_TIMEOUT)
        .emitWithAck("sync", {})
        .then((ack: Ack<SyncAck>) => {
          if (ack.ok && Array.isArray(ack.invitations)) this.invitations(ack.invitations);
        })
        .catch(() => undefined)
        .finally(() => probe.disconnect());
    });
    probe.on("connect_error", () => probe.disconnect());
  }

  // -- sending ---------------------------------------------------------------------

  private send(text: string): boolean {
    if (this.ui.unavailable) {
      this.ui.showNotice(this.ui.t.unavailable);
      return false;
    }
    if (textLength(text) > this.maxChars) {
      this.ui.showNotice(this.ui.t.tooLong(this.maxChars, textLength(text)));
      return false;
    }
    this.stopTyping();
    this.session.set(DRAFT_KEY, null);
    const entry: Entry = { client_id: newClientId(), text, made: Date.now() };
    if (this.customer) entry.who = this.customer.id;
    this.written.add(entry.client_id);
    this.outbox.add(entry);
    this.ui.timeline.addPending(entry.client_id, text);
    this.ui.afterChange(true);
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

/** A glob on the page path: `*` is any run of characters, `?` one; the whole path must match. */
export function globMatch(glob: string, path: string): boolean {
  const pattern = glob
    .split("")
    .map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[\\^$.|+()[\]{}]/g, "\\$&")))
    .join("");
  return new RegExp("^" + pattern + "$").test(path);
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
  if (v.expires !== undefined && v.expires !== null) {
    if (typeof v.expires !== "number" || !Number.isSafeInteger(v.expires) || v.expires < 0) return null;
    customer.expires = v.expires;
  }
  for (const key of ["name", "email"] as const) {
    const field = v[key];
    if (field === undefined || field === null) continue;
    if (typeof field !== "string") return null;
    customer[key] = clip(field, 500);
  }
  return customer;
}
