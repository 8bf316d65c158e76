/** The widget's DOM inside its shadow root: launcher, panel, messages, composer. */
import { h } from "../shared/dom";
import { renderText } from "../shared/text";
import { formatTime, Timeline, type Shown, type Status } from "../shared/timeline";
import type { Locale, Texts } from "./i18n";
import { TEXTS } from "./i18n";
import { CSS } from "./styles";

const ICON_PATH =
  "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z";

export interface UiHandlers {
  /** False keeps the text in the composer (e.g. it is too long). */
  send(text: string): boolean;
  typed(): void;
  opened(): void;
  closed(): void;
}

export type Connection = "idle" | "connecting" | "online" | "reconnecting" | "unavailable";

export class WidgetUi {
  readonly host: HTMLElement;
  readonly timeline: Timeline;
  private readonly root: HTMLDivElement;
  private readonly launcher: HTMLButtonElement;
  private readonly badge: HTMLSpanElement;
  private readonly panel: HTMLElement;
  private readonly title: HTMLHeadingElement;
  private readonly stateLine: HTMLDivElement;
  private readonly closeButton: HTMLButtonElement;
  private readonly conn: HTMLDivElement;
  private readonly list: HTMLOListElement;
  private readonly empty: HTMLLIElement;
  private readonly typingLine: HTMLDivElement;
  private readonly live: HTMLDivElement;
  private readonly notice: HTMLDivElement;
  private readonly input: HTMLTextAreaElement;
  private readonly inputLabel: HTMLLabelElement;
  private readonly hint: HTMLSpanElement;
  private readonly sendButton: HTMLButtonElement;
  private texts: Texts = TEXTS.en;
  private locale: Locale = "en";
  private unreadCount = 0;
  private connection: Connection = "idle";
  private stateText: () => string = () => this.texts.stateNone;
  private typingName: string | null = null;
  private typingTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly handlers: UiHandlers) {
    // An element name no shop stylesheet targets, plus `all: initial` set through the
    // CSSOM (allowed under a strict CSP, unlike a style attribute) at the highest priority.
    this.host = document.createElement("loket-chat");
    this.host.style.setProperty("all", "initial", "important");
    this.host.style.setProperty("display", "block", "important");
    const shadow = this.host.attachShadow({ mode: "open" });
    adoptCss(shadow, CSS);

    this.badge = h("span", { class: "badge", hidden: true, "aria-hidden": "true" });
    this.launcher = h("button", { class: "launcher", type: "button", "aria-expanded": "false" });
    this.launcher.append(icon(), this.badge);
    this.title = h("h2", { class: "title", id: "loket-title" });
    this.stateLine = h("div", { class: "state" });
    this.closeButton = h("button", { class: "close", type: "button" }, "×");
    this.conn = h("div", { class: "conn", role: "status", hidden: true });
    this.empty = h("li", { class: "empty" });
    this.list = h("ol", { class: "messages", tabindex: "0" }, this.empty);
    this.typingLine = h("div", { class: "typing", hidden: true });
    this.live = h("div", { class: "sr", "aria-live": "polite", "aria-atomic": "false" });
    this.notice = h("div", { class: "notice", role: "alert" });
    this.input = h("textarea", { id: "loket-input", rows: "1", "aria-describedby": "loket-hint" });
    this.inputLabel = h("label", { class: "sr", for: "loket-input" });
    this.hint = h("span", { class: "sr", id: "loket-hint" });
    this.sendButton = h("button", { class: "send", type: "submit" });
    const form = h("form", { class: "composer" }, this.inputLabel, this.input, this.hint, this.sendButton);
    this.panel = h(
      "section",
      { class: "panel", role: "dialog", "aria-labelledby": "loket-title", hidden: true },
      h("div", { class: "head" }, h("div", { class: "titles" }, this.title, this.stateLine), this.closeButton),
      this.conn,
      this.list,
      this.typingLine,
      this.notice,
      form,
      this.live,
    );
    this.root = h("div", { class: "root" }, this.panel, this.launcher);
    shadow.append(this.root);
    this.timeline = new Timeline(this.list, { create: (m, own) => this.row(m, own), status: (r, s, d) => this.status(r, s, d) }, "shopper");

    this.launcher.addEventListener("click", () => (this.isOpen ? this.close() : this.open()));
    this.closeButton.addEventListener("click", () => this.close());
    this.panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.stopPropagation();
        this.close();
      }
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (event) => {
      // Enter sends; Shift+Enter is a newline; never while an IME is composing.
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener("input", () => {
      this.autosize();
      this.notice.textContent = "";
      if (this.input.value.trim()) this.handlers.typed();
    });
  }

  get isOpen(): boolean {
    return !this.panel.hidden;
  }

  setLocale(locale: Locale): void {
    this.locale = locale;
    this.texts = TEXTS[locale];
    const t = this.texts;
    this.title.textContent = t.title;
    this.closeButton.setAttribute("aria-label", t.close);
    this.input.placeholder = t.placeholder;
    this.inputLabel.textContent = t.inputLabel;
    this.hint.textContent = t.hint;
    this.sendButton.textContent = t.send;
    this.empty.textContent = t.empty;
    this.refreshLauncher();
    this.stateLine.textContent = this.stateText();
    this.setConnection(this.connection);
    this.showTyping(this.typingName);
  }

  get t(): Texts {
    return this.texts;
  }

  open(focus = true): void {
    if (this.isOpen) return;
    this.panel.hidden = false;
    this.root.classList.add("open");
    this.launcher.setAttribute("aria-expanded", "true");
    this.scrollToEnd();
    if (focus) this.input.focus();
    this.handlers.opened();
  }

  close(): void {
    if (!this.isOpen) return;
    const hadFocus = this.host.shadowRoot?.activeElement != null;
    this.panel.hidden = true;
    this.root.classList.remove("open");
    this.launcher.setAttribute("aria-expanded", "false");
    if (hadFocus) this.launcher.focus();
    this.handlers.closed();
  }

  /** The honest state line ("Anna is helping you"); a function so a locale change re-renders it. */
  setState(text: (t: Texts) => string): void {
    this.stateText = () => text(this.texts);
    this.stateLine.textContent = this.stateText();
  }

  setConnection(connection: Connection): void {
    this.connection = connection;
    const t = this.texts;
    const text =
      connection === "reconnecting" ? t.reconnecting
      : connection === "connecting" ? t.connecting
      : connection === "unavailable" ? t.unavailable
      : "";
    this.conn.textContent = text;
    this.conn.hidden = !text;
  }

  setUnread(count: number): void {
    this.unreadCount = count;
    this.refreshLauncher();
  }

  showTyping(name: string | null): void {
    this.typingName = name;
    clearTimeout(this.typingTimer);
    this.typingLine.hidden = !name;
    this.typingLine.textContent = name ? this.texts.typing(name) : "";
    // A lost "stopped typing" must not leave the indicator on for ever.
    if (name) this.typingTimer = setTimeout(() => this.showTyping(null), 8000);
  }

  showNotice(text: string): void {
    this.notice.textContent = text;
  }

  /** Says a new message out loud to screen readers (history is not announced). */
  announce(who: string, text: string): void {
    const line = h("div", {}, this.texts.newMessage(who, text));
    this.live.append(line);
    while (this.live.childNodes.length > 3) this.live.firstChild?.remove();
  }

  afterChange(): void {
    this.empty.hidden = this.timeline.size > 0;
    this.scrollToEnd();
  }

  authorName(m: Shown): string {
    const t = this.texts;
    if (m.author === "shopper") return t.you;
    if (m.author === "agent") return m.agent_name || t.agent;
    if (m.author === "bot") return t.bot;
    return t.system;
  }

  private submit(): void {
    const text = this.input.value;
    if (!text.trim()) return;
    if (this.handlers.send(text)) {
      this.input.value = "";
      this.autosize();
    }
    this.input.focus();
  }

  private row(m: Shown, own: boolean): HTMLElement {
    const bubble = h("div", { class: "bubble" });
    renderText(bubble, m.text);
    const who = this.authorName(m);
    const meta = h("div", { class: "meta" });
    const label = own ? "" : who + (m.at ? " · " : "");
    if (label) meta.append(label);
    if (m.at) meta.append(formatTime(m.at, this.locale));
    const status = h("span", { class: "status" });
    if (own) meta.append(status);
    const classes = ["msg", m.author, own ? "own" : ""].filter(Boolean).join(" ");
    const li = h("li", { class: classes }, h("span", { class: "sr" }, who + ": "), bubble, meta);
    return li;
  }

  private status(row: HTMLElement, status: Status, detail?: string): void {
    const t = this.texts;
    const span = row.querySelector(".status");
    if (!span) return;
    row.dataset.status = status;
    row.classList.toggle("failed", status === "failed");
    const word = { sending: t.sending, sent: t.sent, read: t.read, failed: t.failed }[status];
    const hasTime = span.previousSibling !== null;
    span.textContent = (hasTime ? " · " : "") + word + (detail ? ` — ${detail}` : "");
  }

  private refreshLauncher(): void {
    const t = this.texts;
    const n = this.unreadCount;
    this.badge.hidden = n === 0;
    this.badge.textContent = n > 99 ? "99+" : String(n);
    this.launcher.setAttribute("aria-label", n ? `${t.open} (${t.unread(n)})` : t.open);
  }

  private autosize(): void {
    this.input.style.height = "auto";
    this.input.style.height = Math.min(this.input.scrollHeight + 2, 120) + "px";
  }

  private scrollToEnd(): void {
    this.list.scrollTop = this.list.scrollHeight;
  }
}

function icon(): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", ICON_PATH);
  svg.append(path);
  return svg;
}

/** Constructable stylesheets are CSSOM, so a shop's CSP without 'unsafe-inline' allows them. */
function adoptCss(shadow: ShadowRoot, css: string): void {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    shadow.adoptedStyleSheets = [sheet];
  } catch {
    const style = document.createElement("style");
    style.textContent = css;
    shadow.append(style);
  }
}
