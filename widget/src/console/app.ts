/** The agent console: session, live conversation list, one open conversation, replies; admin pages. */
import { io, type Socket } from "socket.io-client";
import { h } from "../shared/dom";
import { newClientId } from "../shared/ids";
import { Outbox, Sender, type OutboxEntry } from "../shared/outbox";
import { safeStorage } from "../shared/storage";
import { isBlank, renderText, textLength } from "../shared/text";
import { delay } from "../shared/time";
import { formatTime, Timeline, type Shown, type Status } from "../shared/timeline";
import { refusalCode, retryDelay, type Ack, type Message, type ProtocolError, type State } from "../shared/types";
import { AdminPages } from "./admin";
import * as api from "./api";
import { BASE } from "./api";
import { clipLine, dateTime, elapsed, learnedNotice, shopperLabel, STATE_LABEL, type LearnedAck } from "./format";
import { addStyles } from "./styles";
import { chooseTab, loginView, SUMMARY_PLACEHOLDER, tabKeys, workspaceView, type LoginView, type WorkspaceView } from "./views";

interface Conversation {
  id: number;
  state: State;
  agent: { id: number; name: string } | null;
  shopper: { id: number; name: string | null; email: string | null; customer_id: string | null };
  locale: string | null;
  page: { url: string | null; title: string | null };
  created_at: number;
  updated_at: number;
  queued_at: number | null;
  assigned_at: number | null;
  closed_at: number | null;
  last_seq: number;
  shopper_read_seq: number;
  agent_read_seq: number;
  last_message?: Message;
  /** The last transfer note or closing summary. */
  note?: string | null;
  /** Who closed it; null when the server closed a quiet conversation with the bot. */
  closed_by?: { id: number; name: string } | null;
  /** Who wrote the note; null when not known (a note from before Loket kept it). */
  note_by?: { id: number; name: string } | null;
  previous_state?: State;
}

interface Entry extends OutboxEntry {
  conversation_id: number;
  /** The bot may give this reply to the same question. */
  reusable?: boolean;
}

interface Callback {
  id: number;
  conversation_id: number;
  question: string;
  email: string | null;
  phone: string | null;
  created_at: number;
  /** When an agent answered it in the chat; the shopper has not read that yet. */
  replied_at?: number | null;
}

interface OnlineAgent {
  id: number;
  name: string;
  load: number;
  /** How many conversations routing gives them at once (they may be handed more). */
  capacity?: number | null;
}

/** "bram (1 of 4 open)", and "full" when routing gives them no more. */
function agentChoice(a: OnlineAgent): string {
  if (a.capacity == null) return `${a.name} (${a.load} open)`;
  return `${a.name} (${a.load} of ${a.capacity} open${a.load >= a.capacity ? ", full" : ""})`;
}

interface FaqHit {
  id: string;
  question: string;
  answer: string;
}

/** One of the shopper's earlier conversations, from the `open` ack. */
interface Earlier {
  id: number;
  state: State;
  created_at: number;
  closed_at: number | null;
  agent: string | null;
  note: string | null;
  /** Who wrote the note (a name); null when not known. */
  note_by?: string | null;
}

interface OpenAck {
  conversation: Conversation;
  messages: Message[];
  more: boolean;
  earlier?: Earlier[];
}

interface SyncAck {
  agent: api.Agent & { status?: "online" | "away"; capacity?: number };
  conversations: Conversation[];
  /** Conversations closed since midnight in the shop's time zone. */
  closed_today?: Conversation[];
  callbacks?: Callback[];
  agents?: OnlineAgent[];
  /** As the shopper's sync has them; a server that does not send them refuses a long reply instead. */
  limits?: { max_message_chars?: number };
}

const ACK_TIMEOUT = 10000;
const DRAFTS_KEY = "loket-console:drafts";
/** The conversation open in this tab, shown again after a reload. */
const OPEN_KEY = "loket-console:open";
const OUTBOX_KEY = "loket-console:outbox";
const TYPING_EVERY = 3000;
// At most one suggestions request and one read mark per this long (see `loadSuggestions`).
const EVENT_SPACING_MS = 250;
const TYPING_IDLE = 4000;
/** How the notice of a reply over the length limit begins (it goes once the reply fits). */
const TOO_LONG = "Not sent: your reply is too long";
// "/" followed by words in the composer searches the FAQ for a canned answer.
const CANNED = /^\/(\S.*)$/s;
/** What the detail pane says with no conversation open. */
const PLACEHOLDER = "Choose a conversation on the left.";

export class ConsoleApp {
  private readonly session = safeStorage("session");
  private readonly login: LoginView = loginView();
  private readonly ws: WorkspaceView = workspaceView();
  private readonly outbox = new Outbox<Entry>(this.session, OUTBOX_KEY);
  private readonly sender: Sender<Entry, { message: Message }>;
  private readonly admin: AdminPages;
  private agent: api.Agent | null = null;
  private token: string | null = null;
  private loggingOut = false;
  private socket: Socket | null = null;
  private conversations = new Map<number, Conversation>();
  /** Closed since midnight (from sync, and live as conversations close): read-only. */
  private closedToday = new Map<number, Conversation>();
  /** Other closed conversations opened by hand (a shopper's earlier ones): read-only. */
  private visited = new Map<number, Conversation>();
  /** The open conversation's shopper's earlier conversations, newest first. */
  private earlier: Earlier[] = [];
  /** Full histories of conversations opened on this connection, by id (seq-sorted arrays). */
  private histories = new Map<number, Message[]>();
  /** The refusal of the last request refused (to tell a conversation that is gone). */
  private lastRefusal: ProtocolError | null = null;
  /**
   * How far each history is known complete: through this seq, as `open` fetched it. Live
   * messages may be in a history beyond a gap (its fetch failed, the server was away): the
   * next `open` fetches from here, not from the newest message shown.
   */
  private completeThrough = new Map<number, number>();
  private selected: Conversation | null = null;
  private timeline: Timeline | null = null;
  private drafts: Record<string, string>;
  /** The conversation open before a reload was looked for (at the first sync only). */
  private restored = false;
  private typingShoppers = new Map<number, ReturnType<typeof setTimeout>>();
  /** The open conversation whose notice says it went elsewhere (`own`: this agent handed
   * it on), followed while it stays open: see `followGone`. */
  private gone: { id: number; own: boolean } | null = null;
  /** The conversations this agent is handing on (transfers under way). */
  private handingOn = new Set<number>();
  private typingSentAt = 0;
  private typingStop: ReturnType<typeof setTimeout> | undefined;
  private callbacks: Callback[] = [];
  private agents: OnlineAgent[] = [];
  /** The agent picked a target in the open Transfer form: a refreshed list keeps it. */
  private transferChosen = false;
  /** The longest reply the server takes: from the sync, or learnt from a refusal; null until known. */
  private maxChars: number | null = null;
  /** The message list keeps the newest message in view, unless the agent scrolled up to read. */
  private following = true;
  /** Where scrollToEnd put the list: its own scroll event is not the agent scrolling. */
  private scrolledTo = -1;
  private canned: FaqHit[] = [];
  // Events the console sends for each shopper message, at most so often: a shopper who
  // sends a burst must not spend the agent's rate limit (their replies share it).
  private suggesting = false;
  private suggestAgain = false;
  private readPending: { id: number; seq: number } | null = null;
  private readTimer: ReturnType<typeof setTimeout> | undefined;
  private readSentAt = 0;
  private cannedTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly baseTitle = document.title || "Loket";
  /** Replies refused one after another as no longer this agent's, per conversation: given
   * back in their order before what was typed (see `giveBack`). */
  private readonly givenBack = new Map<number, { replies: string[]; typed: string; text: string }>();
  private audio: AudioContext | null = null;

  constructor(private readonly mountPoint: HTMLElement) {
    this.drafts = this.session.getJSON<Record<string, string>>(DRAFTS_KEY) ?? {};
    this.admin = new AdminPages(this.ws.admin, (message) => this.toLogin(message));
    this.sender = new Sender<Entry, { message: Message; learned?: LearnedAck | null }>({
      outbox: this.outbox,
      socket: () => this.socket,
      timeoutMs: ACK_TIMEOUT,
      payload: (e) => {
        const payload: Record<string, unknown> = {
          conversation_id: e.conversation_id,
          client_id: e.client_id,
          text: e.text,
        };
        if (e.reusable) payload.reusable = true;
        return payload;
      },
      onAcked: (e, ack) => {
        this.addMessage(ack.message);
        if (e.reusable && this.selected?.id === e.conversation_id) {
          this.say(learnedNotice(ack.learned ?? null), ack.learned?.status === "approved" && !ack.learned.answer_language);
        }
        // The reply is the conversation's last message now (the server sends it to the
        // other side, not back to its author).
        if (this.noteLast(ack.message)) this.renderList();
      },
      onFailed: (e, error) => {
        if (error.code === "message_too_long") {
          if (error.max_chars) this.maxChars = error.max_chars;
          this.giveBack(e, this.tooLong(e.text));
          return;
        }
        if (error.code === "not_assigned") {
          // Written while the conversation was still this agent's (offline, or just as it
          // went, before the console heard): not lost, back in its box to copy, in the
          // order written, before what was still being typed.
          const c = this.find(e.conversation_id);
          const gone = c && !this.isMine(c) ? this.noLongerYours(c) : "This conversation is no longer yours.";
          const said = (n: number) =>
            n === 1
              ? `${gone} Your reply was not sent: it is back in the box, to copy if you need it.`
              : `${gone} Your ${n} replies were not sent: they are back in the box, to copy if you need them.`;
          this.giveBack(e, said, true);
          if (this.selected?.id === e.conversation_id) this.renderDetail();
          return;
        }
        if (this.selected?.id === e.conversation_id) {
          this.timeline?.failPending(e.client_id, error.message);
          this.say(error.message);
        }
      },
      onRefused: (error) => this.toLogin(error.message),
    });
  }

  async start(): Promise<void> {
    addStyles();
    this.mountPoint.textContent = "";
    this.mountPoint.append(this.login.root, this.ws.root);
    this.wire();
    let agent: api.Agent | null = null;
    try {
      agent = await api.me();
    } catch {
      this.login.error.textContent = "Cannot reach the server. Reload the page to try again.";
    }
    if (agent) this.enter(agent);
    else this.toLogin();
    setInterval(() => this.renderList(), 30000);
    document.addEventListener("visibilitychange", () => this.markRead());
    window.addEventListener("focus", () => this.markRead());
    // Replies not sent yet live in this tab's storage: closing it would lose them, so the
    // browser asks first (sent again when the connection is back, if the tab stays).
    window.addEventListener("beforeunload", (event) => {
      if (!this.outbox.entries().length) return;
      event.preventDefault();
      event.returnValue = "";
    });
  }

  // -- session ---------------------------------------------------------------------

  /** The login form, with `message` (an error, unless `info`: "You are logged out."). */
  private toLogin(message = "", info = false): void {
    // Stop reconnecting with a dead session; drafts and the outbox stay for after the login.
    this.socket?.disconnect();
    this.token = null;
    this.ws.root.hidden = true;
    this.login.root.hidden = false;
    this.login.error.textContent = message;
    this.login.error.classList.toggle("info", info);
    this.login.password.value = "";
    this.login.submit.disabled = false;
    (this.login.name.value ? this.login.password : this.login.name).focus();
  }

  private enter(agent: api.Agent): void {
    this.agent = agent;
    this.login.root.hidden = true;
    this.ws.root.hidden = false;
    this.ws.who.textContent = agent.display_name + (agent.is_admin ? " (admin)" : "");
    this.renderAdminTab();
    // Keyboard users start in the conversation list (the login form they were in is gone).
    if (!this.ws.root.contains(document.activeElement)) this.ws.groups.focus();
    this.connect();
  }

  private async submitLogin(): Promise<void> {
    const name = this.login.name.value.trim();
    const password = this.login.password.value;
    this.login.error.classList.remove("info");
    if (!name || !password) {
      this.login.error.textContent = "Enter your name and password.";
      return;
    }
    this.login.submit.disabled = true;
    this.login.error.textContent = "";
    const result = await api.login(name, password);
    this.login.submit.disabled = false;
    if (!result.ok) {
      this.login.error.textContent = result.message;
      this.login.password.select();
      return;
    }
    this.token = result.token;
    this.login.password.value = "";
    this.enter(result.agent);
  }

  private async logout(): Promise<void> {
    if (this.outbox.entries().length && !confirm("Some replies are not sent yet. Log out anyway?")) {
      return;
    }
    const mine = [...this.conversations.values()].filter((c) => this.isMine(c)).length;
    if (
      mine &&
      !confirm(
        (mine === 1
          ? "You have 1 open conversation. Logging out hands it"
          : `You have ${mine} open conversations. Logging out hands them`) +
          " to a colleague or the queue at once, unless you are logged in in another console" +
          " too. Log out?",
      )
    ) {
      return;
    }
    // Logging out ends the session on the server, which then closes this socket: that is
    // no session "ended" to report.
    this.loggingOut = true;
    const done = await api.logout();
    this.loggingOut = false;
    if (!done) {
      // Saying "logged out" now would leave a live session on a computer the agent walks
      // away from: say so, and let them try again once the server is back.
      alert("Not logged out: the server cannot be reached, so this session is still open. Try again when the server is back.");
      return;
    }
    this.select(null);
    // Another agent may log in on this browser: nothing of this one's work stays behind.
    for (const e of [...this.outbox.entries()]) this.outbox.remove(e.client_id);
    this.drafts = {};
    this.session.set(DRAFTS_KEY, null);
    this.ws.input.value = "";
    this.socket?.disconnect();
    this.conversations.clear();
    this.closedToday.clear();
    this.visited.clear();
    this.histories.clear();
    this.completeThrough.clear();
    this.renderList();
    this.showArea("conversations");
    this.toLogin("You are logged out.", true);
  }

  // -- connection ------------------------------------------------------------------

  private connect(): void {
    if (this.socket) {
      if (!this.socket.connected) this.socket.connect();
      return;
    }
    this.setConnection("Connecting…");
    const socket = io(`${BASE.origin}/agent`, {
      path: new URL("socket.io/", BASE).pathname,
      transports: ["websocket"],
      // The HttpOnly cookie authenticates; the token from a login on this page is sent too.
      auth: (cb) => cb(this.token ? { token: this.token } : {}),
    });
    this.socket = socket;
    socket.on("connect", () => {
      this.setConnection("");
      void this.afterConnect();
    });
    socket.on("disconnect", (reason) => {
      this.setConnection("Connection lost, reconnecting…");
      // Closed by the server: most likely the session ended; ask before reconnecting.
      if (reason === "io server disconnect" && !this.loggingOut) void this.checkSession();
    });
    socket.on("connect_error", (err) => {
      const code = refusalCode(err);
      if (code === "unauthorized" || code === "session_expired") {
        this.toLogin(code === "session_expired" ? "Your session has expired; log in again." : "");
      } else if (code === "origin_not_allowed") {
        this.setConnection(err.message);
      } else {
        this.setConnection("Cannot reach the server, reconnecting…");
        if (!socket.active) setTimeout(() => socket.connect(), retryDelay(err, 5000));
      }
    });
    socket.on("conversation", (c: Conversation) => this.onConversation(c));
    socket.on("message", (m: Message) => this.onMessage(m));
    socket.on("previews", (p: { messages: Message[] }) => this.onPreviews(p));
    socket.on("typing", (t: { conversation_id: number; typing: boolean }) => this.onTyping(t));
    // Set in another tab of this agent: routing goes by it, so this one shows it too.
    socket.on("status", (s: { status: string }) => {
      this.ws.status.value = s.status === "away" ? "away" : "online";
    });
    socket.on("callbacks", () => void this.refreshCallbacks());
    socket.on("forgotten", (f: { conversations?: unknown }) => {
      if (Array.isArray(f?.conversations)) this.onForgotten(f.conversations.filter((id): id is number => typeof id === "number"));
    });
    socket.on("read", (r: { conversation_id: number; by: string; seq: number }) => {
      const c = this.conversations.get(r.conversation_id);
      if (c && r.by === "shopper") c.shopper_read_seq = Math.max(c.shopper_read_seq, r.seq);
      if (r.by === "shopper" && this.selected?.id === r.conversation_id) {
        this.timeline?.markRead(r.conversation_id, r.seq);
      }
    });
  }

  private async checkSession(): Promise<void> {
    try {
      if ((await api.me()) === null) {
        this.toLogin("Your session has ended; log in again.");
        return;
      }
    } catch {
      // Server unreachable: keep trying to reconnect.
    }
    setTimeout(() => this.socket?.connect(), 1000);
  }

  private async afterConnect(): Promise<void> {
    // Rooms belong to the old connection: only what is opened again stays complete.
    const keep = this.selected?.id;
    for (const id of [...this.histories.keys()]) {
      if (id !== keep) {
        this.histories.delete(id);
        this.completeThrough.delete(id);
      }
    }
    const ack = await this.request<SyncAck>("sync", {});
    if (!ack) return;
    // Away for longer than the grace, the agent may have lost the conversation on screen.
    const hadIt = this.selected !== null && this.isMine(this.selected);
    this.agent = ack.agent;
    this.renderAdminTab();
    this.synced(ack);
    this.conversations = new Map(ack.conversations.map((c) => [c.id, c]));
    if (Array.isArray(ack.closed_today)) this.closedToday = new Map(ack.closed_today.map((c) => [c.id, c]));
    this.renderList();
    if (this.selected) {
      await this.open(this.selected.id);
      const c = this.selected;
      if (c && hadIt && !this.isMine(c) && c.state !== "closed") {
        this.gone = { id: c.id, own: false };
        this.followGone(c);
        this.suggest([]);
        this.renderDetail();
      } else if (c && this.gone?.id === c.id) {
        // It went while online and came back or moved on while offline.
        this.followGone(c);
        this.renderDetail();
      }
    } else if (!this.restored) {
      // After a reload: the conversation this tab had open, if it is still listed and
      // it was this agent's tab (not one who logged in here since).
      this.restored = true;
      const [agentId, id] = (this.session.get(OPEN_KEY) ?? "").split(":").map(Number);
      if (agentId === this.agent.id && id && this.find(id)) this.select(id);
      else this.session.set(OPEN_KEY, null);
    }
    this.sender.flush();
  }

  /** What a sync says besides the conversations: status, callbacks, agents online. */
  private synced(ack: SyncAck): void {
    this.ws.status.value = ack.agent.status === "away" ? "away" : "online";
    if (Array.isArray(ack.callbacks)) this.callbacks = ack.callbacks;
    if (Array.isArray(ack.agents)) this.agents = ack.agents;
    if (ack.limits?.max_message_chars) this.maxChars = ack.limits.max_message_chars;
  }

  /** Emits with an ack; null (and a notice unless quiet) on a refusal or no answer. */
  private async request<T>(
    event: string,
    payload: object,
    quiet = false,
  ): Promise<(T & { ok: true }) | null> {
    const socket = this.socket;
    if (!socket || !socket.connected) return null;
    let ack: Ack<T>;
    try {
      ack = (await socket.timeout(ACK_TIMEOUT).emitWithAck(event, payload)) as Ack<T>;
    } catch {
      if (!quiet) this.say("The server did not answer; try again.");
      return null;
    }
    if (!ack.ok) {
      this.lastRefusal = ack.error;
      if (!quiet || ack.error.code === "session_expired" || ack.error.code === "unauthorized") {
        this.refused(ack.error);
      }
      return null;
    }
    return ack;
  }

  private refused(error: ProtocolError): void {
    if (error.code === "session_expired" || error.code === "unauthorized") {
      this.toLogin(error.message);
      return;
    }
    this.say(error.message);
  }

  private setConnection(text: string): void {
    this.ws.connection.textContent = text;
  }

  // -- server events ---------------------------------------------------------------

  private onConversation(c: Conversation): void {
    const old = this.conversations.get(c.id);
    const merged: Conversation = {
      ...c,
      last_message: c.last_message ?? old?.last_message,
      agent_read_seq: Math.max(c.agent_read_seq ?? 0, old?.agent_read_seq ?? 0),
    };
    const newlyWaiting =
      c.state === "queued" && c.previous_state !== undefined && c.previous_state !== "queued";
    const newlyMine =
      c.state === "assigned" &&
      c.agent?.id === this.agent?.id &&
      !(old?.state === "assigned" && old.agent?.id === this.agent?.id);
    if (newlyWaiting || newlyMine) {
      this.chime();
      if (newlyWaiting) this.alertWaiting(merged);
    }
    if (c.state === "closed") {
      this.conversations.delete(c.id);
      // "Closed today" lists what agents closed; a quiet chat the bot closed just leaves.
      if (c.closed_by) this.closedToday.set(c.id, merged);
      else if (this.selected?.id === c.id) this.visited.set(c.id, merged);
    } else {
      this.conversations.set(c.id, merged);
      this.closedToday.delete(c.id);
      this.visited.delete(c.id);
    }
    const wasMine = old !== undefined && this.isMine(old);
    const open = this.selected?.id === c.id;
    if (open && wasMine && !this.isMine(merged) && c.state !== "closed") {
      // Taken away while open (not answered in time, the agent's status, an admin), or
      // handed on by this agent: said, and a reply being written stays in the box to copy.
      this.gone = { id: c.id, own: this.handingOn.has(c.id) };
      this.followGone(merged);
      this.suggest([]);
    } else if (open && this.gone?.id === c.id) {
      this.followGone(merged);
    }
    if (this.selected?.id === c.id) {
      this.selected = merged;
      this.renderDetail();
      // Just taken: what is on screen now counts as read.
      this.markRead();
    }
    this.renderList();
  }

  /** Shows `text` under the conversation: an error, or with `info` a plain line ("Kept as
   * a reusable answer…"); "" clears it. */
  private say(text: string, info = false): void {
    this.ws.notice.textContent = text;
    this.ws.notice.classList.toggle("info", info);
  }

  /** The notice of the open conversation `c` that went elsewhere (`this.gone`), as it is
   * now: where it went (or "you handed it to…"), and a reply being written staying in the
   * box; gone when it is this agent's again, with the suggested answers back. */
  private followGone(c: Conversation): void {
    const gone = this.gone;
    if (!gone || gone.id !== c.id) return;
    if (this.isMine(c)) {
      this.gone = null;
      this.say("");
      void this.loadSuggestions();
      return;
    }
    const draft = this.ws.input.value.trim() ? " Your unsent reply stays in the box: copy it if you need it." : "";
    if (gone.own && c.state !== "closed") {
      const to = c.state === "assigned" ? (c.agent?.name ?? "another agent") : null;
      this.say((to ? `You handed this conversation to ${to}.` : "You handed this conversation back to the queue.") + draft, true);
    } else {
      this.say(`${this.noLongerYours(c)}${draft}`);
    }
  }

  /** Said when a conversation this agent had went elsewhere (taken away, not answered in time). */
  private noLongerYours(c: Conversation): string {
    const now =
      c.state === "assigned"
        ? `${c.agent?.name ?? "another agent"} has it now`
        : c.state === "closed"
          ? "it was closed"
          : c.state === "bot"
            ? "it went back to the bot, and the shopper can leave a question"
            : "it waits for another agent";
    return `This conversation is no longer yours: ${now}.`;
  }

  /**
   * A shopper's data was deleted on request: their closed conversations leave every list,
   * and nothing of them stays in this tab (messages, a draft, replies not yet sent).
   */
  private onForgotten(ids: number[]): void {
    const selected = this.selected && ids.includes(this.selected.id);
    // Cleared first: leaving the conversation would save the draft for it.
    if (selected) this.ws.input.value = "";
    for (const id of ids) {
      this.conversations.delete(id);
      this.closedToday.delete(id);
      this.visited.delete(id);
      this.histories.delete(id);
      this.completeThrough.delete(id);
      this.clearShopperTyping(id);
      delete this.drafts[String(id)];
    }
    this.session.setJSON(DRAFTS_KEY, this.drafts);
    for (const e of [...this.outbox.entries()]) if (ids.includes(e.conversation_id)) this.outbox.remove(e.client_id);
    if (selected) {
      this.select(null);
      this.ws.placeholder.textContent = `${PLACEHOLDER} (The one open here was deleted at the shopper's request.)`;
    }
    this.renderList();
  }

  /**
   * The newest messages of conversations assigned to someone, a batch at most once a
   * second: a colleague's conversation shows its last message in the list like the others,
   * though its messages reach only the colleague and those who opened it.
   */
  private onPreviews(p: { messages: Message[] }): void {
    if (!p || !Array.isArray(p.messages)) return;
    let changed = false;
    for (const m of p.messages) {
      if (m.author !== "shopper" && m.author !== "agent") continue;
      // Closed within the second: it is listed under "Closed today" by now.
      const c = this.conversations.get(m.conversation_id) ?? this.closedToday.get(m.conversation_id);
      if (c && m.seq > (c.last_message?.seq ?? 0)) {
        c.last_message = m;
        c.last_seq = Math.max(c.last_seq, m.seq);
        changed = true;
      }
    }
    if (changed) this.renderList();
  }

  /** Keeps `m` as its conversation's last message if it is the newest; true when it is. */
  private noteLast(m: Message): boolean {
    const c = this.conversations.get(m.conversation_id);
    if (!c || m.seq < (c.last_message?.seq ?? 0)) return false;
    // The bot's replies ("A colleague will be with you shortly") and Loket's own lines
    // ("Bram is here to help you") say nothing of what the shopper wants: the list shows
    // what the shopper and the agents wrote.
    if (m.author === "bot" || m.author === "system") {
      c.last_seq = Math.max(c.last_seq, m.seq);
      return false;
    }
    c.last_message = m;
    c.last_seq = Math.max(c.last_seq, m.seq);
    return true;
  }

  private onMessage(m: Message): void {
    this.noteLast(m);
    if (m.author === "shopper") {
      // The list is drawn again below.
      this.clearShopperTyping(m.conversation_id, false);
      this.renderTyping();
    }
    const added = this.addMessage(m);
    if (added && this.selected?.id === m.conversation_id && m.author !== "agent") {
      this.ws.live.textContent = `${this.authorName(m)}: ${m.text}`;
      // A new question: new FAQ suggestions.
      if (m.author === "shopper") void this.loadSuggestions();
    }
    this.renderList();
  }

  private onTyping(t: { conversation_id: number; typing: boolean }): void {
    if (!t || typeof t.conversation_id !== "number") return;
    const was = this.typingShoppers.has(t.conversation_id);
    this.clearShopperTyping(t.conversation_id, false);
    if (t.typing) {
      // A lost "stopped typing" must not leave the indicator on for ever.
      const timer = setTimeout(() => this.clearShopperTyping(t.conversation_id), 8000);
      this.typingShoppers.set(t.conversation_id, timer);
    }
    this.renderTyping();
    // The list's "typing…" too, when it comes or goes (not on every keystroke's renewal).
    if (was !== t.typing) this.renderListTyping(t.conversation_id);
  }

  private clearShopperTyping(id: number, render = true): void {
    const timer = this.typingShoppers.get(id);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.typingShoppers.delete(id);
    if (!render) return;
    this.renderTyping();
    this.renderListTyping(id);
  }

  /** The "typing…" of one list entry, in place (a shopper typing anywhere would otherwise
   * rebuild the whole list, under the agent's pointer). */
  private renderListTyping(id: number): void {
    for (const sub of this.ws.groups.querySelectorAll<HTMLElement>(`button.conv[data-id="${id}"] .sub`)) {
      sub.textContent = (sub.dataset.base ?? "") + (this.typingShoppers.has(id) ? " · typing…" : "");
    }
  }

  /** Adds a stored message to its history and, when shown, the timeline; false if known. */
  private addMessage(m: Message, markRead = true): boolean {
    const history = this.histories.get(m.conversation_id);
    let added = false;
    if (history && !history.some((x) => x.seq === m.seq)) {
      history.push(m);
      history.sort((a, b) => a.seq - b.seq);
      added = true;
    }
    // The next one after a history known complete keeps it complete (no gap to fetch).
    if (this.completeThrough.get(m.conversation_id) === m.seq - 1) {
      this.completeThrough.set(m.conversation_id, m.seq);
    }
    if (this.selected?.id === m.conversation_id && this.timeline) {
      added = this.timeline.add(m) || added;
      this.follow();
      if (markRead) this.markRead();
    }
    return added;
  }

  // -- actions ---------------------------------------------------------------------

  private select(id: number | null): void {
    this.ws.placeholder.textContent = PLACEHOLDER;
    this.ws.input.rows = 3;
    this.saveDraft();
    this.stopTyping();
    const c = id === null ? undefined : this.find(id);
    this.selected = c ?? null;
    this.session.set(OPEN_KEY, c && this.agent ? `${this.agent.id}:${c.id}` : null);
    this.earlier = [];
    this.hideClose(true);
    this.ws.messages.textContent = "";
    this.say("");
    this.gone = null;
    this.timeline = null;
    this.hideTransfer();
    this.suggest([]);
    this.canned = [];
    this.ws.reusable.checked = false;
    if (c) {
      this.timeline = new Timeline(
        this.ws.messages,
        { create: (m, own) => this.row(m, own), status: (r, s, d) => this.status(r, s, d) },
        "agent",
        // A colleague's replies (before a transfer, or in a conversation an admin opens)
        // are theirs: not styled as yours, with no delivery status. Told by the agent's id
        // (names need not differ).
        (m) => m.agent_id === undefined || m.agent_id === this.agent?.id,
      );
      for (const m of this.histories.get(c.id) ?? []) this.timeline.add(m);
      for (const e of this.outbox.entries()) {
        if (e.conversation_id === c.id) this.timeline.addPending(e.client_id, e.text);
      }
      this.timeline.markRead(c.id, c.shopper_read_seq);
      this.scrollToEnd();
      this.ws.input.value = this.drafts[String(c.id)] ?? "";
      this.fitComposer();
      void this.open(c.id).then(() => this.loadSuggestions());
    }
    this.renderDetail();
    this.renderList();
    this.renderTyping();
  }

  private async open(id: number): Promise<void> {
    let after = this.completeThrough.get(id) ?? 0;
    if (!this.histories.has(id)) this.histories.set(id, []);
    for (;;) {
      this.lastRefusal = null;
      const ack = await this.request<OpenAck>("open", { conversation_id: id, after_seq: after });
      if (!ack) {
        // Deleted at the shopper's request while this tab was not connected to hear it.
        const refusal = this.lastRefusal as ProtocolError | null;
        if (refusal?.code === "not_found") this.onForgotten([id]);
        return;
      }
      const old = this.find(id);
      const fresh: Conversation = {
        ...ack.conversation,
        last_message: old?.last_message ?? (this.selected?.id === id ? this.selected.last_message : undefined),
        // What this console marked read while the request was under way stays read.
        agent_read_seq: Math.max(ack.conversation.agent_read_seq ?? 0, old?.agent_read_seq ?? 0),
      };
      if (this.conversations.has(id) || fresh.state !== "closed") {
        this.conversations.set(id, fresh);
      } else if (this.closedToday.has(id)) {
        this.closedToday.set(id, fresh);
      } else {
        this.visited.set(id, fresh);
      }
      if (this.selected?.id === id) {
        // The list's own entry, not a copy: what is read here shows as read in the list.
        this.selected = fresh;
        this.timeline?.markRead(id, ack.conversation.shopper_read_seq);
        if (Array.isArray(ack.earlier)) this.earlier = ack.earlier;
      }
      // Marked read once, after the last page.
      for (const m of ack.messages) this.addMessage(m, false);
      if (!ack.messages.length) break;
      after = ack.messages[ack.messages.length - 1].seq;
      this.completeThrough.set(id, after);
      if (!ack.more) break;
    }
    this.renderDetail();
    this.markRead();
  }

  private async take(): Promise<void> {
    const c = this.selected;
    if (!c) return;
    this.ws.take.disabled = true;
    const ack = await this.request<{ conversation: Conversation }>("take", { conversation_id: c.id });
    if (ack) this.onConversation(ack.conversation);
    this.renderDetail();
    if (ack) this.ws.input.focus();
  }

  /** Opens a conversation that is not in the list (a callback's, an earlier one) by asking for it. */
  private async openById(id: number): Promise<void> {
    const ack = await this.request<OpenAck>("open", { conversation_id: id, after_seq: 0 });
    if (!ack) return;
    if (ack.conversation.state === "closed") this.visited.set(id, ack.conversation);
    else this.conversations.set(id, ack.conversation);
    this.select(id);
  }

  /** A conversation the console knows: open, closed today, or opened by hand. */
  private find(id: number): Conversation | undefined {
    return this.conversations.get(id) ?? this.closedToday.get(id) ?? this.visited.get(id);
  }

  /** Opens a conversation from the list, an earlier one, or a callback. */
  private choose(id: number): void {
    if (this.find(id)) this.select(id);
    else void this.openById(id);
  }

  /** Alt+ArrowDown / Alt+ArrowUp: the next / previous conversation in the list, in list order. */
  private step(by: 1 | -1): void {
    const buttons = [...this.ws.groups.querySelectorAll<HTMLButtonElement>("button[data-id]:not(.callback)")];
    if (!buttons.length) return;
    const at = buttons.findIndex((b) => Number(b.dataset.id) === this.selected?.id);
    const next = at < 0 ? (by > 0 ? 0 : buttons.length - 1) : (at + by + buttons.length) % buttons.length;
    // Focus follows to the list when it was there or nowhere (the page itself); in the
    // composer it stays, so the agent can go on typing.
    const active = document.activeElement;
    const id = Number(buttons[next].dataset.id);
    // A conversation the agent cannot reply in disables the composer, which would drop
    // the focus onto the page: it goes to the list then.
    const target = this.find(id);
    const follow =
      this.ws.groups.contains(active) || !active || active === document.body || !target || !this.isMine(target);
    this.choose(id);
    if (follow) this.ws.groups.querySelector<HTMLElement>(`button[data-id="${id}"]:not(.callback)`)?.focus();
  }

  private async setStatus(): Promise<void> {
    const wanted = this.ws.status.value;
    const ack = await this.request<{ status: string }>("status", { status: wanted });
    this.ws.status.value = ack ? ack.status : wanted === "away" ? "online" : "away";
  }

  private async refreshCallbacks(): Promise<void> {
    const ack = await this.request<{ callbacks: Callback[] }>("callbacks", {}, true);
    if (!ack) return;
    this.callbacks = ack.callbacks;
    this.renderList();
  }

  // -- transfer ----------------------------------------------------------------------

  private async showTransfer(): Promise<void> {
    const ws = this.ws;
    if (!ws.transferForm.hidden) {
      this.hideTransfer();
      return;
    }
    this.hideClose();
    ws.transferForm.hidden = false;
    ws.transfer.setAttribute("aria-expanded", "true");
    // A fresh form: the first colleague online, until the agent chooses.
    this.transferChosen = false;
    this.renderAgents();
    ws.transferTo.focus();
    await this.refreshAgents();
  }

  /** Who is online now, not at the last sync, for the transfer form. */
  private async refreshAgents(): Promise<void> {
    const ack = await this.request<SyncAck>("sync", {}, true);
    if (ack && Array.isArray(ack.agents)) {
      this.agents = ack.agents;
      this.renderAgents();
    }
  }

  /** The colleagues online, then the queue; keeps what the agent chose in this form, else the first. */
  private renderAgents(): void {
    const select = this.ws.transferTo;
    const chosen = select.value;
    const others = this.agents.filter((a) => a.id !== this.agent?.id);
    select.replaceChildren(
      ...others.map((a) => h("option", { value: String(a.id) }, agentChoice(a))),
      h("option", { value: "" }, "Back to the queue"),
    );
    const keep = this.transferChosen && [...select.options].some((o) => o.value === chosen);
    select.value = keep ? chosen : select.options[0].value;
  }

  private hideTransfer(): void {
    this.ws.transferForm.hidden = true;
    this.ws.transfer.setAttribute("aria-expanded", "false");
    this.ws.transferNote.value = "";
  }

  private async transfer(): Promise<void> {
    const c = this.selected;
    if (!c) return;
    const to = this.ws.transferTo.value;
    const note = this.ws.transferNote.value.trim();
    const payload: Record<string, unknown> = { conversation_id: c.id, to_agent_id: to ? Number(to) : null };
    if (note) payload.note = note;
    this.handingOn.add(c.id);
    let ack: { conversation: Conversation } | null;
    try {
      ack = await this.request<{ conversation: Conversation }>("transfer", payload);
      if (ack) this.onConversation(ack.conversation);
    } finally {
      this.handingOn.delete(c.id);
    }
    if (!ack) {
      // Refused (that colleague went offline meanwhile, say): the list as it is now.
      await this.refreshAgents();
      return;
    }
    this.hideTransfer();
    const name = this.agents.find((a) => String(a.id) === to)?.name;
    this.ws.live.textContent = to ? `Transferred to ${name ?? "another agent"}.` : "Handed back to the queue.";
  }

  // -- FAQ suggestions and canned answers ----------------------------------------------

  /** Asks for suggested answers to the open conversation; one request at a time, and
   * while one is under way the newest wish is kept for when it is done (a burst of
   * shopper messages costs two requests, not one each). */
  private async loadSuggestions(): Promise<void> {
    if (this.suggesting) {
      this.suggestAgain = true;
      return;
    }
    const c = this.selected;
    // A closed conversation is read-only: nothing to answer.
    if (!c || c.state === "closed") return;
    this.suggesting = true;
    try {
      const ack = await this.request<{ suggestions: FaqHit[] }>("suggestions", { conversation_id: c.id }, true);
      if (ack && this.selected?.id === c.id && !this.canned.length) this.suggest(ack.suggestions ?? []);
    } finally {
      await delay(EVENT_SPACING_MS);
      this.suggesting = false;
      if (this.suggestAgain) {
        this.suggestAgain = false;
        void this.loadSuggestions();
      }
    }
  }

  /** Shows FAQ entries beside the composer; one click puts the answer in the composer. */
  private suggest(hits: FaqHit[], title = "Suggested answers"): void {
    const assist = this.ws.assist;
    assist.hidden = !hits.length;
    if (!hits.length) {
      assist.replaceChildren();
      return;
    }
    const items = hits.slice(0, 8).map((hit) =>
      h(
        "li",
        {},
        h(
          "button",
          { type: "button", class: "faq", "data-entry": hit.id, title: hit.answer },
          h("span", { class: "q" }, hit.question),
          h("span", { class: "a" }, clipLine(hit.answer)),
        ),
      ),
    );
    assist.replaceChildren(h("h3", {}, title), h("ul", {}, ...items));
    assist.dataset.kind = title === "Suggested answers" ? "suggestions" : "canned";
    items.forEach((li, i) => li.firstElementChild?.addEventListener("click", () => this.insert(hits[i].answer)));
  }

  private insert(answer: string): void {
    const input = this.ws.input;
    if (input.disabled) return;
    const typed = input.value;
    // A "/words" search is replaced by its answer; other text is kept and the answer added.
    input.value = CANNED.test(typed) || !typed.trim() ? answer : typed.replace(/\s*$/, "\n") + answer;
    this.canned = [];
    void this.loadSuggestions();
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
    this.saveDraft();
  }

  /** "/" and words: search the FAQ as the agent types. */
  private searchCanned(): void {
    clearTimeout(this.cannedTimer);
    const found = CANNED.exec(this.ws.input.value);
    if (!found) {
      if (this.canned.length || this.ws.assist.dataset.kind === "canned") {
        this.canned = [];
        void this.loadSuggestions();
      }
      return;
    }
    const query = found[1].trim();
    this.cannedTimer = setTimeout(async () => {
      const ack = await this.request<{ results: FaqHit[] }>("faq_search", { query }, true);
      if (!ack || CANNED.exec(this.ws.input.value)?.[1].trim() !== query) return;
      this.canned = ack.results ?? [];
      if (this.canned.length) this.suggest(this.canned, `Answers for “${query}”`);
      else this.ws.assist.replaceChildren(h("h3", {}, `No FAQ answer for “${query}”`));
      this.ws.assist.hidden = false;
      this.ws.assist.dataset.kind = "canned";
    }, 200);
  }

  // -- alerts --------------------------------------------------------------------------

  /** The tab title counts waiting shoppers, so a background tab shows them. */
  private renderTitle(): void {
    let waiting = 0;
    for (const c of this.conversations.values()) if (c.state === "queued") waiting++;
    document.title = waiting ? `(${waiting}) ${this.baseTitle}` : this.baseTitle;
  }

  /** A short tone for a new conversation; the title and notifications say the rest. */
  private chime(): void {
    try {
      const Context = window.AudioContext;
      if (!Context) return;
      this.audio = this.audio ?? new Context();
      const ctx = this.audio;
      const tone = ctx.createOscillator();
      const gain = ctx.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, ctx.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.15, ctx.currentTime + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 0.4);
      tone.connect(gain).connect(ctx.destination);
      tone.start();
      tone.stop(ctx.currentTime + 0.45);
    } catch {
      // No audio (or not allowed yet): the tab title still tells.
    }
  }

  private alertWaiting(c: Conversation): void {
    if (typeof Notification === "undefined" || Notification.permission !== "granted") return;
    if (document.visibilityState === "visible" && document.hasFocus()) return;
    try {
      const n = new Notification("A shopper is waiting", {
        body: c.last_message ? clipLine(c.last_message.text) : shopperLabel(c.shopper),
        tag: `loket-waiting-${c.id}`,
      });
      n.onclick = () => {
        window.focus();
        this.select(c.id);
        n.close();
      };
    } catch {
      // Some browsers allow notifications only from a service worker.
    }
  }

  private renderNotifications(): void {
    this.ws.notifications.hidden =
      typeof Notification === "undefined" || Notification.permission !== "default";
  }

  // -- closing, with an optional summary ------------------------------------------------

  private showClose(): void {
    const ws = this.ws;
    if (!ws.closeForm.hidden) {
      this.hideClose();
      return;
    }
    this.hideTransfer();
    ws.closeForm.hidden = false;
    ws.close.setAttribute("aria-expanded", "true");
    // A conversation with a note (a summary from before it reopened, a transfer note)
    // keeps it unless a new summary is given: the empty box says so.
    const kept = this.selected?.note;
    ws.closeSummary.placeholder = kept ? `Kept unless you write a new summary: ${clipLine(kept)}` : SUMMARY_PLACEHOLDER;
    ws.closeSummary.focus();
  }

  /** Folds the close form away; the summary typed stays for the next try unless `clear`
   * (another conversation shown, or this one closed). */
  private hideClose(clear = false): void {
    this.ws.closeForm.hidden = true;
    this.ws.close.setAttribute("aria-expanded", "false");
    if (clear) this.ws.closeSummary.value = "";
  }

  private async closeConversation(): Promise<void> {
    const c = this.selected;
    if (!c) return;
    const summary = this.ws.closeSummary.value.trim();
    const payload: Record<string, unknown> = { conversation_id: c.id };
    if (summary) payload.summary = summary;
    this.ws.close.disabled = true;
    const ack = await this.request<{ conversation: Conversation }>("close", payload);
    const shown = this.selected?.id === c.id;
    if (ack) {
      // The form and its summary are this conversation's, unless the agent went on to
      // another one while the request was under way.
      if (shown) this.hideClose(true);
      this.onConversation(ack.conversation);
      if (shown) this.ws.live.textContent = "Conversation closed.";
    }
    this.renderDetail();
    if (ack && shown) {
      // The form and the composer are gone or disabled: the keyboard goes on in the list,
      // on the conversation just closed (under "Closed today"), unless the agent went on
      // to another one meanwhile.
      const item = this.ws.groups.querySelector<HTMLElement>(`button[data-id="${c.id}"]:not(.callback)`);
      (item ?? this.ws.groups).focus();
    }
  }

  private send(): void {
    const c = this.selected;
    const text = this.ws.input.value;
    if (!c || isBlank(text) || !this.isMine(c)) return;
    this.stopTyping();
    if (CANNED.test(text)) {
      // A "/words" search is never sent: Enter takes the first answer found.
      if (this.canned.length) this.insert(this.canned[0].answer);
      return;
    }
    if (this.maxChars !== null && textLength(text) > this.maxChars) {
      // Refused here, as the server would: the text stays in the composer to shorten.
      this.say(this.tooLong(text));
      return;
    }
    const entry: Entry = { client_id: newClientId(), text, made: Date.now(), conversation_id: c.id };
    if (this.ws.reusable.checked) entry.reusable = true;
    this.ws.reusable.checked = false;
    this.outbox.add(entry);
    this.timeline?.addPending(entry.client_id, text);
    this.ws.input.value = "";
    this.say("");
    delete this.drafts[String(c.id)];
    this.session.setJSON(DRAFTS_KEY, this.drafts);
    this.scrollToEnd();
    this.sender.flush();
  }

  private tooLong(text: string): string {
    const at = this.maxChars ? `, at most ${this.maxChars}` : "";
    return `${TOO_LONG} (${textLength(text)} characters${at}). Shorten it or send it in parts.`;
  }

  /**
   * A reply the server refused (too long, or the conversation is no longer this agent's)
   * goes back to its composer (or draft), with `notice` saying why.
   */
  private giveBack(e: Entry, notice: string | ((count: number) => string), batch = false): void {
    const key = String(e.conversation_id);
    const shown = this.selected?.id === e.conversation_id;
    const typed = shown ? this.ws.input.value : this.drafts[key] ?? "";
    // Whatever was typed since stays too, after the refused text. Replies refused one after
    // another (`batch`: queued offline) go back in the order they were written, before it.
    let given = batch ? this.givenBack.get(e.conversation_id) : undefined;
    if (batch && (!given || given.text !== typed)) given = { replies: [], typed, text: "" };
    const replies = given ? [...given.replies, e.text] : [e.text];
    const text = [...replies, given ? given.typed : typed].filter((t) => t.trim()).join("\n\n");
    if (given) this.givenBack.set(e.conversation_id, { replies, typed: given.typed, text });
    if (shown) {
      this.timeline?.dropPending(e.client_id);
      this.ws.input.value = text;
      this.ws.reusable.checked = !!e.reusable;
      this.say(typeof notice === "string" ? notice : notice(replies.length));
      this.fitComposer();
    }
    this.drafts[key] = text;
    this.session.setJSON(DRAFTS_KEY, this.drafts);
  }

  /** The composer as tall as its text, from three lines up to twelve. */
  private fitComposer(): void {
    const input = this.ws.input;
    input.rows = 3;
    while (input.rows < 12 && input.scrollHeight > input.clientHeight) input.rows += 1;
  }

  private typed(): void {
    const c = this.selected;
    if (c) this.givenBack.delete(c.id);
    this.saveDraft();
    // "Not sent: too long" goes once the reply fits (or is cleared); other notices stay.
    const text = this.ws.input.value;
    if (this.ws.notice.textContent?.startsWith(TOO_LONG) && (this.maxChars === null || textLength(text) <= this.maxChars)) {
      this.say("");
    }
    if (!c || !this.isMine(c) || !this.socket?.connected) return;
    const now = Date.now();
    if (now - this.typingSentAt > TYPING_EVERY) {
      this.typingSentAt = now;
      this.socket.emit("typing", { conversation_id: c.id, typing: true });
    }
    clearTimeout(this.typingStop);
    this.typingStop = setTimeout(() => this.stopTyping(), TYPING_IDLE);
  }

  private stopTyping(): void {
    clearTimeout(this.typingStop);
    const c = this.selected;
    if (!this.typingSentAt || !c) return;
    this.typingSentAt = 0;
    if (this.socket?.connected && this.isMine(c)) {
      this.socket.emit("typing", { conversation_id: c.id, typing: false });
    }
  }

  /** Tells the shopper the agent has seen their messages: only for one's own, visible conversation. */
  private markRead(): void {
    const c = this.selected;
    if (!c || !this.timeline || !this.isMine(c) || !this.socket?.connected) return;
    // On the admin pages the conversation is not on screen.
    if (document.visibilityState !== "visible" || this.ws.columns.hidden) return;
    const high = this.timeline.highestOtherSeq(c.id);
    const listed = this.find(c.id);
    const tell = high > c.agent_read_seq;
    if (!tell && (!listed || high <= listed.agent_read_seq)) return;
    c.agent_read_seq = Math.max(c.agent_read_seq, high);
    // The list entry too (should it be another object than the open one): the dot goes.
    if (listed) listed.agent_read_seq = Math.max(listed.agent_read_seq, high);
    if (tell) this.tellRead(c.id, high);
    this.renderList();
  }

  /** Tells the server what the agent has read: at once, or, within EVENT_SPACING_MS of the
   * last time, once that has passed, with the highest message read by then. */
  private tellRead(id: number, seq: number): void {
    const pending = this.readPending;
    if (pending && pending.id !== id) this.sendRead();
    this.readPending = { id, seq: pending?.id === id ? Math.max(pending.seq, seq) : seq };
    if (this.readTimer !== undefined) return;
    const wait = this.readSentAt + EVENT_SPACING_MS - Date.now();
    if (wait <= 0) {
      this.sendRead();
      return;
    }
    this.readTimer = setTimeout(() => {
      this.readTimer = undefined;
      this.sendRead();
    }, wait);
  }

  private sendRead(): void {
    const pending = this.readPending;
    this.readPending = null;
    if (!pending || !this.socket?.connected) return;
    this.socket.emit("read", { conversation_id: pending.id, seq: pending.seq });
    this.readSentAt = Date.now();
  }

  private saveDraft(): void {
    const c = this.selected;
    if (!c) return;
    const text = this.ws.input.value;
    if (text) this.drafts[String(c.id)] = text;
    else delete this.drafts[String(c.id)];
    this.session.setJSON(DRAFTS_KEY, this.drafts);
  }

  // -- areas: conversations, and the admin pages for admins -------------------------------

  private showArea(area: "conversations" | "admin"): void {
    const admin = area === "admin" && !!this.agent?.is_admin;
    chooseTab([this.ws.conversationsTab, this.ws.adminTab], admin ? this.ws.adminTab : this.ws.conversationsTab);
    this.ws.columns.hidden = admin;
    this.ws.admin.root.hidden = !admin;
    if (admin) this.admin.show();
    else this.markRead();
  }

  /** The Admin tab is there for admins only (the server refuses the admin API to others anyway). */
  private renderAdminTab(): void {
    const isAdmin = !!this.agent?.is_admin;
    this.ws.adminTab.hidden = !isAdmin;
    if (!isAdmin && !this.ws.admin.root.hidden) this.showArea("conversations");
  }

  private isMine(c: Conversation): boolean {
    return c.state === "assigned" && c.agent?.id === this.agent?.id;
  }

  // -- rendering -------------------------------------------------------------------

  private wire(): void {
    this.login.form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.submitLogin();
    });
    this.ws.logout.addEventListener("click", () => void this.logout());
    this.ws.conversationsTab.addEventListener("click", () => this.showArea("conversations"));
    this.ws.adminTab.addEventListener("click", () => this.showArea("admin"));
    tabKeys(this.ws.areas, (tab) => this.showArea(tab === this.ws.adminTab ? "admin" : "conversations"));
    this.ws.take.addEventListener("click", () => void this.take());
    this.ws.close.addEventListener("click", () => this.showClose());
    // Folded away from the keyboard, the focus goes back to the button that opened the form.
    const foldClose = (): void => {
      this.hideClose();
      this.ws.close.focus();
    };
    this.ws.closeCancel.addEventListener("click", foldClose);
    this.ws.closeForm.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.closeConversation();
    });
    this.ws.closeForm.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      event.stopPropagation();
      foldClose();
    });
    this.ws.context.addEventListener("click", (event) => {
      const button = (event.target as Element).closest<HTMLButtonElement>("button[data-earlier]");
      if (button) this.choose(Number(button.dataset.earlier));
    });
    document.addEventListener("keydown", (event) => {
      if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
      if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
      if (this.ws.root.hidden || this.ws.columns.hidden) return;
      event.preventDefault();
      this.step(event.key === "ArrowDown" ? 1 : -1);
    });
    this.ws.composer.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    this.ws.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.send();
      }
    });
    this.ws.input.addEventListener("input", () => {
      this.typed();
      this.searchCanned();
    });
    this.ws.input.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && CANNED.test(this.ws.input.value)) {
        this.ws.input.value = "";
        this.searchCanned();
      }
    });
    this.ws.messages.addEventListener("scroll", () => {
      const list = this.ws.messages;
      if (list.scrollTop === this.scrolledTo) return;
      this.following = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    });
    // The list shrinks when suggestions, a notice or the typing line appear: the end stays in view.
    if (typeof ResizeObserver !== "undefined") new ResizeObserver(() => this.follow()).observe(this.ws.messages);
    this.ws.groups.addEventListener("click", (event) => {
      const button = (event.target as Element).closest<HTMLButtonElement>("button[data-id]");
      if (!button) return;
      this.choose(Number(button.dataset.id));
    });
    this.ws.status.addEventListener("change", () => void this.setStatus());
    this.ws.transfer.addEventListener("click", () => void this.showTransfer());
    this.ws.contextToggle.addEventListener("click", () => {
      const open = this.ws.contextToggle.getAttribute("aria-expanded") !== "true";
      this.ws.contextToggle.setAttribute("aria-expanded", String(open));
    });
    const foldTransfer = (): void => {
      this.hideTransfer();
      this.ws.transfer.focus();
    };
    this.ws.transferCancel.addEventListener("click", foldTransfer);
    this.ws.transferForm.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      event.stopPropagation();
      foldTransfer();
    });
    this.ws.transferTo.addEventListener("change", () => (this.transferChosen = true));
    this.ws.transferForm.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.transfer();
    });
    this.renderNotifications();
    this.ws.notifications.addEventListener("click", () => {
      void Notification.requestPermission().then(() => this.renderNotifications());
    });
  }

  private renderList(): void {
    const me = this.agent?.id;
    const all = [...this.conversations.values()];
    const byUpdate = (a: Conversation, b: Conversation) => b.updated_at - a.updated_at;
    const groups: [string, Conversation[]][] = [
      ["Mine", all.filter((c) => c.state === "assigned" && c.agent?.id === me).sort(byUpdate)],
      [
        "Waiting",
        all
          .filter((c) => c.state === "queued")
          .sort((a, b) => (a.queued_at ?? a.created_at) - (b.queued_at ?? b.created_at)),
      ],
      ["With the bot", all.filter((c) => c.state === "bot").sort(byUpdate)],
      ["Other agents", all.filter((c) => c.state === "assigned" && c.agent?.id !== me).sort(byUpdate)],
    ];
    // The keyboard stays on the entry it was on (also one under "Closed today") when the
    // list is drawn anew.
    const active = document.activeElement as HTMLElement | null;
    const focused = active?.dataset?.id;
    const kind = active?.classList.contains("callback") ? ".callback" : ":not(.callback)";
    const sections: HTMLElement[] = [];
    this.renderTitle();
    if (this.callbacks.length) {
      const now = Date.now();
      const items = this.callbacks.map((cb) =>
        h(
          "li",
          {},
          h(
            "button",
            { type: "button", class: "conv callback", "data-id": String(cb.conversation_id), "data-callback": String(cb.id) },
            h("span", { class: "name" }, clipLine(cb.question)),
            h(
              "span",
              { class: "sub" },
              // Who left it, as the conversation names them ("Sanne", "Shopper #12").
              [this.leftBy(cb), cb.email, cb.phone]
                .filter(Boolean)
                .join(" · "),
            ),
            h(
              "span",
              { class: "sub" },
              cb.replied_at
                ? `answered in the chat ${elapsed(now - cb.replied_at)} ago, not read yet: contact them`
                : `left ${elapsed(now - cb.created_at)} ago`,
            ),
          ),
        ),
      );
      sections.push(
        h(
          "section",
          { class: "group callbacks", "data-group": "Callbacks" },
          h("h3", {}, `Left questions (${this.callbacks.length})`),
          h("ul", {}, ...items),
        ),
      );
    }
    for (const [name, list] of groups) {
      if (name === "Other agents" && !list.length) continue;
      const items = list.map((c) => h("li", {}, this.listItem(c)));
      const body = items.length ? h("ul", {}, ...items) : h("p", { class: "none" }, "None");
      sections.push(
        h("section", { class: "group", "data-group": name }, h("h3", {}, `${name} (${list.length})`), body),
      );
    }
    const closed = [...this.closedToday.values()]
      .filter((c) => !this.conversations.has(c.id))
      .sort((a, b) => (b.closed_at ?? b.updated_at) - (a.closed_at ?? a.updated_at));
    if (closed.length) {
      sections.push(
        h(
          "section",
          { class: "group closed-today", "data-group": "Closed today" },
          h("h3", {}, `Closed today (${closed.length})`),
          h("ul", {}, ...closed.map((c) => h("li", {}, this.closedItem(c)))),
        ),
      );
    }
    this.ws.groups.replaceChildren(...sections, this.ws.help);
    if (focused) this.ws.groups.querySelector<HTMLElement>(`button[data-id="${Number(focused)}"]${kind}`)?.focus();
  }

  /** Who left a question, as its conversation names them; null when it is not listed. */
  private leftBy(cb: Callback): string | null {
    const c = this.conversations.get(cb.conversation_id);
    return c ? shopperLabel(c.shopper) : null;
  }

  private listItem(c: Conversation): HTMLButtonElement {
    const now = Date.now();
    const last = c.last_message;
    const unread =
      this.isMine(c) && last && last.author === "shopper" && last.seq > c.agent_read_seq;
    const line2 =
      c.state === "queued"
        ? `waiting ${elapsed(now - (c.queued_at ?? c.created_at))}`
        : c.state === "assigned" && c.agent?.id !== this.agent?.id
          ? `with ${c.agent?.name ?? "an agent"}`
          : STATE_LABEL[c.state];
    const button = h(
      "button",
      {
        type: "button",
        class: "conv" + (unread ? " unread" : ""),
        "data-id": String(c.id),
        "aria-current": this.selected?.id === c.id ? "true" : undefined,
      },
      h("span", { class: "name" }, shopperLabel(c.shopper)),
      h("span", { class: "sub", "data-base": line2 }, line2 + (this.typingShoppers.has(c.id) ? " · typing…" : "")),
    );
    if (last) button.append(h("span", { class: "last", dir: "auto" }, clipLine(last.text)));
    return button;
  }

  /** The note under a closed conversation: named with its writer when someone other than
   * the agent who closed it wrote it (a summary from an earlier close, a transfer note). */
  private closedNote(c: Conversation): string {
    const by = c.note_by;
    return by && by.id !== c.closed_by?.id ? `${by.name}: ${c.note}` : c.note ?? "";
  }

  /** A closed conversation in the list: read-only, with who closed it and its note. */
  private closedItem(c: Conversation): HTMLButtonElement {
    const when = c.closed_at ? formatTime(c.closed_at, "en-GB") : "";
    const button = h(
      "button",
      {
        type: "button",
        class: "past",
        "data-id": String(c.id),
        "aria-current": this.selected?.id === c.id ? "true" : undefined,
      },
      h("span", { class: "name" }, shopperLabel(c.shopper)),
      h("span", { class: "sub" }, ["closed", when, c.closed_by ? `by ${c.closed_by.name}` : ""].filter(Boolean).join(" ")),
    );
    if (c.note) button.append(h("span", { class: "last note-line" }, clipLine(this.closedNote(c))));
    return button;
  }

  /** The shopper's context: page, language, identity, earlier conversations. Text only. */
  private renderContext(c: Conversation): void {
    const rows: HTMLElement[] = [];
    const row = (term: string, key: string, ...value: (Node | string)[]) =>
      rows.push(h("div", { class: "ctx", "data-ctx": key }, h("dt", {}, term), h("dd", {}, ...value)));
    const page: (Node | string)[] = [];
    if (c.page?.title) page.push(h("span", { class: "page-title" }, c.page.title));
    if (c.page?.url) {
      const href = safeHttp(c.page.url);
      const link = href
        ? h("a", { class: "page-url", href, target: "_blank", rel: "noopener noreferrer" }, c.page.url)
        : h("span", { class: "page-url" }, c.page.url);
      page.push(link);
    }
    row("Page", "page", ...(page.length ? page : ["unknown"]));
    row("Language", "locale", c.locale || "unknown");
    const s = c.shopper;
    const vouched = [s.name, s.email, s.customer_id ? `customer ${s.customer_id}` : null].filter(
      (x): x is string => !!x,
    );
    row(
      "Customer",
      "identity",
      ...(vouched.length
        ? [
            h("span", { class: "vouched" }, vouched.join(" · ")),
            h(
              "span",
              {
                class: "badge",
                title: "The shop signed the customer id; the name and e-mail address are as the shop's page passed them, which the shopper's browser could change.",
              },
              s.customer_id ? "id vouched for by the shop" : "vouched for by the shop",
            ),
          ]
        : ["not identified by the shop"]),
    );
    const earlier = h("div", { class: "earlier", "data-ctx": "earlier" }, h("h3", {}, `Earlier conversations (${this.earlier.length})`));
    if (this.earlier.length) {
      earlier.append(
        h(
          "ul",
          {},
          ...this.earlier.map((e) => {
            const button = h(
              "button",
              { type: "button", class: "earlier-item", "data-earlier": String(e.id) },
              h("span", { class: "sub" }, [dateTime(e.created_at), e.agent ?? "no agent", STATE_LABEL[e.state] ?? e.state].join(" · ")),
            );
            if (e.note) {
              const by = e.note_by && e.note_by !== e.agent ? `${e.note_by}: ` : "";
              button.append(h("span", { class: "last" }, clipLine(by + e.note)));
            }
            return h("li", {}, button);
          }),
        ),
      );
    } else {
      earlier.append(h("p", { class: "none" }, "None"));
    }
    this.ws.context.replaceChildren(h("dl", {}, ...rows), earlier);
  }

  private renderDetail(): void {
    const c = this.selected;
    const ws = this.ws;
    ws.placeholder.hidden = !!c;
    ws.conversation.hidden = !c;
    if (!c) return;
    ws.title.textContent = shopperLabel(c.shopper);
    const facts: (Node | string)[] = [];
    const state =
      c.state === "assigned"
        ? this.isMine(c) ? "assigned to you" : `assigned to ${c.agent?.name ?? "another agent"}`
        : STATE_LABEL[c.state];
    facts.push(h("span", { class: "state", "data-state": c.state }, state));
    if (c.state === "closed" && c.closed_at) {
      // Beside the state, which says "closed" already: when, and by whom.
      const by = c.closed_by ? ` by ${c.closed_by.id === this.agent?.id ? "you" : c.closed_by.name}` : "";
      facts.push(h("span", { class: "closed-when" }, `${dateTime(c.closed_at)}${by}`));
    }
    ws.facts.replaceChildren(...facts);
    ws.note.hidden = !c.note;
    // The last note an agent left: a transfer note, or a closing summary (also once the
    // shopper reopened the conversation), so it is not labelled as either.
    // Whose it is when someone else wrote it: the agent who closed it last may not have.
    ws.note.textContent = !c.note
      ? ""
      : c.note_by && c.note_by.id !== this.agent?.id
        ? `Note from ${c.note_by.name}: ${c.note}`
        : `Note: ${c.note}`;
    this.renderContext(c);
    if (c.state === "closed") {
      this.hideClose(true);
      this.suggest([]);
    }
    const mine = this.isMine(c);
    ws.transfer.hidden = !(c.state === "assigned" && (mine || this.agent?.is_admin));
    if (ws.transfer.hidden) this.hideTransfer();
    ws.reusable.disabled = !mine;
    // Only for a reply of one's own to write: not on a closed or a colleague's conversation.
    (ws.reusable.parentElement as HTMLElement).hidden = !mine;
    ws.take.hidden = !(c.state === "bot" || c.state === "queued");
    ws.take.disabled = false;
    ws.close.hidden = c.state === "closed" || !(mine || this.agent?.is_admin);
    ws.close.disabled = false;
    // A reply written before the conversation went elsewhere can still be selected and copied.
    ws.input.readOnly = !mine;
    ws.input.disabled = !mine && !ws.input.value.trim();
    ws.send.disabled = !mine;
    ws.input.placeholder = mine
      ? "Write a reply… (Enter sends, Shift+Enter for a new line)"
      : c.state === "closed"
        ? "This conversation is closed."
        : c.state === "assigned"
          ? `${c.agent?.name ?? "Another agent"} has this conversation.`
          : "Take this conversation to reply.";
  }

  private renderTyping(): void {
    const c = this.selected;
    const on = !!c && this.typingShoppers.has(c.id);
    this.ws.typing.hidden = !on;
    this.ws.typing.textContent = on ? `${shopperLabel(c?.shopper)} is typing…` : "";
  }

  private authorName(m: Shown): string {
    // Not stored yet (sending, or not sent): this agent's own reply.
    if (m.author === "agent") return m.agent_name || (m.seq === undefined ? this.agent?.display_name : "") || "Agent";
    if (m.author === "shopper") return shopperLabel(this.selected?.shopper);
    return m.author === "bot" ? "FAQ bot" : "System";
  }

  private row(m: Shown, own: boolean): HTMLElement {
    // dir="auto": Arabic or Hebrew runs right to left, with its punctuation at the end.
    const text = h("div", { class: "text", dir: "auto" });
    renderText(text, m.text);
    const meta = h("div", { class: "meta" }, h("span", { class: "author" }, this.authorName(m)));
    // The bot's answers came before an agent joined: say so, not only by colour.
    if (m.author === "bot") meta.prepend(h("span", { class: "badge bot-badge", "aria-hidden": "true" }, "BOT"), " ");
    if (m.at) meta.append(" · ", h("time", { datetime: new Date(m.at).toISOString() }, formatTime(m.at, "en-GB")));
    if (own) meta.append(h("span", { class: "status" }));
    const row = h("li", { class: `msg ${m.author}` + (own ? " own" : "") }, meta, text);
    // The choices the bot offered the shopper ("Did you mean…?"), as the shopper saw them.
    const choices = m.author === "bot" && m.meta?.kind === "suggest" ? (m.meta.choices ?? []) : [];
    if (choices.length) {
      row.append(h("ul", { class: "choices" }, ...choices.map((choice) => h("li", {}, choice.question))));
    }
    return row;
  }

  private status(row: HTMLElement, status: Status, detail?: string): void {
    const span = row.querySelector(".status");
    if (!span) return;
    row.dataset.status = status;
    const word = { sending: "sending…", sent: "sent", read: "read", failed: "not sent" }[status];
    span.textContent = ` · ${word}` + (detail ? ` — ${detail}` : "");
  }

  /** Shows the newest message, and keeps following new ones. */
  private scrollToEnd(): void {
    const list = this.ws.messages;
    this.following = true;
    list.scrollTop = list.scrollHeight;
    this.scrolledTo = list.scrollTop;
  }

  /** Keeps the newest message in view, unless the agent scrolled up to read. */
  private follow(): void {
    if (this.following) this.scrollToEnd();
  }
}

/** An http(s) URL as a safe link target, or null (javascript:, data: and the like stay text). */
function safeHttp(raw: string): string | null {
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}
