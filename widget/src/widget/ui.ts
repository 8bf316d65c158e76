/** The widget's DOM inside its shadow root: launcher, panel, messages, composer. */
import { h } from "../shared/dom";
import { isBlank, renderText, textLength, withoutDirection } from "../shared/text";
import { formatTime, Timeline, type Shown, type Status } from "../shared/timeline";
import type { MessageMeta } from "../shared/types";
import type { Locale, Texts } from "./i18n";
import { TEXTS, textsFor } from "./i18n";
import { CSS } from "./styles";

const ICON_PATH =
  "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z";

export type Offer = "person" | "leave_question";

export interface LeftQuestion {
  text: string;
  email?: string;
  phone?: string;
}

export interface UiHandlers {
  /** False keeps the text in the composer (e.g. it is too long). */
  send(text: string): boolean;
  typed(): void;
  /** The composer's text changed (kept for this tab, so a reload or the next page keeps it). */
  drafted(text: string): void;
  opened(): void;
  closed(): void;
  /** "Talk to a person". */
  person(): void;
  /** What to offer next; undefined when the feedback could not be given. */
  feedback(seq: number, helpful: boolean): Promise<Offer | null | undefined>;
  leaveQuestion(question: LeftQuestion): void;
  /** Null when stored, else the reason for people. */
  rate(rating: number, comment: string): Promise<string | null>;
  /** The shopper skipped the rating: do not ask again for this conversation. */
  skipRating(): void;
  /** The shopper put the form away untouched (true), or wants it again (false). */
  declinedLeave(declined: boolean): void;
}

// As the server checks them (docs/protocol.md, `leave_question`).
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const PHONE = /^\+?[0-9 ()./-]{6,30}$/;
/** The fewest digits of a number anyone can be called back on (as the server checks). */
const PHONE_MIN_DIGITS = 7;

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
  /** Shown while the shopper reads further up and something new came: back to the end. */
  private readonly newBelow: HTMLButtonElement;
  /** Whether new messages scroll into view: not while the shopper has scrolled up to read. */
  private following = true;
  /** Where scrollToEnd put the list: its own scroll event is not the shopper scrolling. */
  private scrolledTo = -1;
  private readonly live: HTMLDivElement;
  private readonly notice: HTMLDivElement;
  private readonly input: HTMLTextAreaElement;
  private readonly inputLabel: HTMLLabelElement;
  private readonly hint: HTMLSpanElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly detailLine: HTMLDivElement;
  private readonly personButton: HTMLButtonElement;
  /** In its place when nobody can come: the leave-a-question form, without asking first. */
  private readonly leaveButton: HTMLButtonElement;
  private readonly invite: HTMLDivElement;
  private readonly inviteText: HTMLButtonElement;
  private readonly ask: HTMLFormElement;
  private readonly askText: HTMLTextAreaElement;
  private readonly askEmail: HTMLInputElement;
  private readonly askPhone: HTMLInputElement;
  private readonly askError: HTMLParagraphElement;
  /** The question the form was opened with: what the shopper has not written themselves. */
  private askFilled = "";
  /** The question of the last reply that offered the form (none once a question is left). */
  private offered: (() => string | undefined) | undefined;
  /**
   * The shopper put the form away untouched: the bot's next "I don't know" offers it with
   * its button only (kept per conversation by the chat, so the next page knows it too).
   */
  leaveDeclined = false;
  /** An agent has the conversation: the bot's offers to leave a question are done with. */
  private leaveOffersDone = false;
  /** The e-mail address and phone number of the last question left (kept in the form). */
  private askContact: [string, string] = ["", ""];
  /** The longest message the server takes (from its sync), for the leave-a-question form. */
  maxChars = 2000;
  private readonly rateForm: HTMLFormElement;
  private readonly stars: HTMLButtonElement[] = [];
  private readonly rateComment: HTMLTextAreaElement;
  private readonly rateError: HTMLParagraphElement;
  private readonly rateThanks: HTMLParagraphElement;
  private rating = 0;
  /** Elements whose text (or attribute) follows the locale. */
  private readonly localized: [HTMLElement, (t: Texts) => string, string?][] = [];
  private texts: Texts = TEXTS.en;
  private formal = false;
  private locale: Locale = "en";
  private unreadCount = 0;
  private connection: Connection = "idle";
  private stateText: () => string = () => this.texts.stateNone;
  private detailText: (t: Texts) => string = () => "";
  private typingName: string | null = null;
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  private personBusy = false;
  /** The width at which the open panel covers the page (as in styles.ts). */
  private readonly small = matchMedia("(max-width: 480px)");

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
    this.detailLine = h("div", { class: "detail", role: "status" });
    this.closeButton = h("button", { class: "close", type: "button" }, "×");
    this.conn = h("div", { class: "conn", role: "status", hidden: true });
    this.empty = h("li", { class: "empty" });
    this.list = h("ol", { class: "messages", tabindex: "0" }, this.empty);
    this.typingLine = h("div", { class: "typing", hidden: true });
    this.live = h("div", { class: "sr", "aria-live": "polite", "aria-atomic": "false" });
    this.notice = h("div", { class: "notice", role: "alert" });
    // dir="auto": Arabic or Hebrew runs right to left, whatever the page's direction.
    this.input = h("textarea", { id: "loket-input", rows: "1", dir: "auto", "aria-describedby": "loket-hint" });
    this.inputLabel = h("label", { class: "sr", for: "loket-input" });
    this.hint = h("span", { class: "sr", id: "loket-hint" });
    this.sendButton = h("button", { class: "send", type: "submit" });
    const form = h("form", { class: "composer" }, this.inputLabel, this.input, this.hint, this.sendButton);
    const tr = this.tr.bind(this);
    this.personButton = tr(h("button", { class: "person", type: "button" }), (t) => t.person);
    this.newBelow = tr(h("button", { class: "new-below", type: "button", hidden: true }), (t) => t.newBelow);
    this.newBelow.addEventListener("click", () => {
      this.scrollToEnd();
      this.list.focus();
    });
    this.list.addEventListener("scroll", () => {
      if (this.list.scrollTop === this.scrolledTo) return;
      this.following = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
      if (this.following) this.newBelow.hidden = true;
    });
    this.personButton.addEventListener("click", () => this.handlers.person());
    this.leaveButton = tr(h("button", { class: "leave-offer", type: "button", hidden: true }), (t) => t.leave);
    // Holding the last question the assistant offered the form for, as its reply's button does.
    this.leaveButton.addEventListener("click", () => this.showLeaveForm(this.offered?.()));

    // Leave a question: the text and a way to reach the shopper, checked as the server will.
    this.askText = h("textarea", { id: "loket-ask-text", rows: "3", dir: "auto", "aria-describedby": "loket-ask-error" });
    this.askEmail = h("input", { id: "loket-ask-email", type: "email", autocomplete: "email", "aria-describedby": "loket-ask-error" });
    this.askPhone = h("input", { id: "loket-ask-phone", type: "tel", autocomplete: "tel", "aria-describedby": "loket-ask-error" });
    this.askError = h("p", { class: "error", id: "loket-ask-error", role: "alert" });
    const askCancel = tr(h("button", { type: "button", class: "secondary" }), (t) => t.cancel);
    askCancel.addEventListener("click", () => {
      // Put away as it opened (nothing of their own in it): not wanted now, so the next
      // "I don't know" offers the form with its button and leaves the conversation in
      // view. A form they started on comes back with their words.
      this.setLeaveDeclined(!this.leaveStarted());
      this.hideLeaveForm();
      // The button is gone with the form: the keyboard goes back to the conversation.
      this.input.focus();
    });
    this.ask = h(
      "form",
      { class: "sheet ask", novalidate: true, hidden: true, "aria-labelledby": "loket-ask-title" },
      tr(h("h3", { id: "loket-ask-title" }), (t) => t.leaveTitle),
      tr(h("p", { class: "intro" }), (t) => t.leaveIntro),
      tr(h("label", { for: "loket-ask-text" }), (t) => t.question),
      this.askText,
      // Side by side: the form leaves the conversation room above it.
      h(
        "div",
        { class: "contact" },
        h("div", {}, tr(h("label", { for: "loket-ask-email" }), (t) => t.email), this.askEmail),
        h("div", {}, tr(h("label", { for: "loket-ask-phone" }), (t) => t.phone), this.askPhone),
      ),
      this.askError,
      h("div", { class: "buttons" }, tr(h("button", { type: "submit", class: "primary" }), (t) => t.sendQuestion), askCancel),
    );
    this.ask.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submitQuestion();
    });

    // Rating after an agent closed the chat: 1-5 stars and an optional comment.
    const starRow = h("div", { class: "stars" });
    for (let n = 1; n <= 5; n++) {
      const star = tr(h("button", { type: "button", class: "star", "aria-pressed": "false" }, "★"), (t) => t.star(n), "aria-label");
      star.addEventListener("click", () => this.setRating(n));
      this.stars.push(star);
      starRow.append(star);
    }
    this.rateComment = h("textarea", { id: "loket-rate-comment", rows: "2", maxlength: "1000", dir: "auto" });
    this.rateError = h("p", { class: "error", role: "alert" });
    this.rateThanks = tr(h("p", { class: "thanks", hidden: true }), (t) => t.thanksRating);
    const skip = tr(h("button", { type: "button", class: "secondary" }), (t) => t.skip);
    skip.addEventListener("click", () => this.hideRating());
    const legend = tr(h("legend", {}), (t) => t.rateTitle);
    this.rateForm = h(
      "form",
      { class: "sheet rate", hidden: true },
      h("fieldset", {}, legend, starRow),
      tr(h("label", { for: "loket-rate-comment" }), (t) => t.comment),
      this.rateComment,
      this.rateError,
      h("div", { class: "buttons" }, tr(h("button", { type: "submit", class: "primary" }), (t) => t.sendRating), skip),
    );
    this.rateForm.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.submitRating();
    });

    this.panel = h(
      "section",
      { class: "panel", role: "dialog", "aria-labelledby": "loket-title", hidden: true },
      h(
        "div",
        { class: "head" },
        h("div", { class: "titles" }, this.title, this.stateLine, this.detailLine),
        this.closeButton,
      ),
      this.conn,
      this.list,
      this.newBelow,
      this.typingLine,
      this.rateThanks,
      this.rateForm,
      this.ask,
      h("div", { class: "offers" }, this.personButton, this.leaveButton),
      this.notice,
      form,
      this.live,
    );
    // A proactive invitation beside the closed launcher; a click opens the chat.
    this.inviteText = h("button", { type: "button", class: "invite-text" });
    const inviteClose = tr(h("button", { type: "button", class: "invite-close" }, "×"), (t) => t.dismiss, "aria-label");
    this.invite = h("div", { class: "invite", role: "status", hidden: true }, this.inviteText, inviteClose);
    this.inviteText.addEventListener("click", () => this.open());
    inviteClose.addEventListener("click", () => this.hideInvitation());
    this.root = h("div", { class: "root" }, this.panel, this.invite, this.launcher);
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
    // Full screen, the page behind is out of sight: Tab goes round inside the panel, also
    // when a click on the panel's background had left the focus on the page.
    document.addEventListener(
      "keydown",
      (event) => {
        if (event.key !== "Tab" || !this.covering || event.defaultPrevented) return;
        event.preventDefault();
        this.cycleFocus(event.shiftKey ? -1 : 1);
      },
      true,
    );
    // Whether the panel is modal follows the width (a phone turned, a window resized).
    const refreshModal = (): void => this.refreshModal();
    if (this.small.addEventListener) this.small.addEventListener("change", refreshModal);
    else this.small.addListener(refreshModal);
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
      this.handlers.drafted(this.input.value);
      if (this.input.value.trim()) this.handlers.typed();
    });
  }

  /** A message being written before the page changed: back in the composer. */
  restoreDraft(text: string): void {
    if (this.input.value) return;
    this.input.value = text;
    this.autosize();
  }

  get isOpen(): boolean {
    return !this.panel.hidden;
  }

  /** Speak `locale`, formally where the shop asks for it (`formal`, from Loket's `sync`). */
  setLocale(locale: Locale, formal = this.formal): void {
    this.locale = locale;
    this.formal = formal;
    this.texts = textsFor(locale, formal);
    const t = this.texts;
    this.title.textContent = t.title;
    this.closeButton.setAttribute("aria-label", t.close);
    this.input.placeholder = t.placeholder;
    this.inputLabel.textContent = t.inputLabel;
    this.hint.textContent = t.hint;
    this.sendButton.textContent = t.send;
    this.empty.textContent = t.empty;
    for (const [el, text, attr] of this.localized) {
      if (attr) el.setAttribute(attr, text(t));
      else el.textContent = text(t);
    }
    this.refreshLauncher();
    this.setConnection(this.connection);
    this.showTyping(this.typingName);
  }

  get t(): Texts {
    return this.texts;
  }

  open(focus = true): void {
    if (this.isOpen) return;
    this.panel.hidden = false;
    this.hideInvitation();
    this.root.classList.add("open");
    this.launcher.setAttribute("aria-expanded", "true");
    this.refreshLauncher();
    this.refreshModal();
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
    this.refreshLauncher();
    this.refreshModal();
    if (hadFocus) this.launcher.focus();
    this.handlers.closed();
  }

  /** The honest state line ("Anna is helping you"); a function so a locale change re-renders it. */
  setState(text: (t: Texts) => string): void {
    this.stateText = () => text(this.texts);
    this.refreshHead();
  }

  /** The line under the state: queue place and wait, or when people are back. */
  setDetail(text: (t: Texts) => string): void {
    this.detailText = text;
    this.refreshHead();
  }

  /**
   * "Talk to a person" is offered while the bot has the conversation, or there is none;
   * "Leave a question" instead when the shopper knows nobody can come (`nobody`).
   */
  showPerson(show: boolean, busy = false, nobody = false): void {
    const bar = this.personButton.parentElement;
    if (bar) bar.hidden = !show;
    this.personBusy = busy;
    this.personButton.hidden = nobody;
    this.leaveButton.hidden = !nobody;
    this.personButton.disabled = busy || this.unavailable;
    this.leaveButton.disabled = this.unavailable;
  }

  /** The server refused this site: nothing can be sent from here. */
  get unavailable(): boolean {
    return this.connection === "unavailable";
  }

  /** The form; `question` (what the shopper asked the bot) fills it unless something is typed there. */
  showLeaveForm(question?: string): void {
    if (!this.ask.hidden) {
      // Open already: the newer question the bot could not answer takes the place of the
      // one it holds, unless the shopper has started on the form.
      if (question !== undefined && !this.leaveStarted()) {
        this.askText.value = question.trim();
        this.askFilled = this.askText.value;
      }
      return;
    }
    this.ask.hidden = false;
    this.panel.classList.add("asking");
    this.askError.textContent = "";
    // The question it held, put away as it was, gives way to the newer one; the shopper's
    // own words stay.
    if (!this.askText.value.trim() || (question?.trim() && !this.leaveStarted())) {
      this.askText.value = question?.trim() || this.input.value.trim();
      this.askFilled = this.askText.value;
    }
    // Not while the shopper is writing in the composer: the rest of their keys would land
    // in the form (it opens by itself when the bot answers with the offer).
    const writing = this.host.shadowRoot?.activeElement === this.input && this.input.value !== "";
    if (!writing) this.askText.focus();
    this.scrollToEnd();
  }

  /**
   * The form the bot offers with "I don't know", opened by itself, unless the shopper
   * put it away untouched before: then the offer's button is there, and the conversation
   * stays in view.
   */
  offerLeaveForm(question?: string): void {
    if (this.leaveDeclined && this.ask.hidden) return;
    this.showLeaveForm(question);
  }

  private setLeaveDeclined(declined: boolean): void {
    if (declined === this.leaveDeclined) return;
    this.leaveDeclined = declined;
    this.handlers.declinedLeave(declined);
  }

  hideLeaveForm(): void {
    this.ask.hidden = true;
    this.panel.classList.remove("asking");
  }

  /**
   * The chat went on (the bot answered a next question, an agent wrote): the form closes
   * and gives the conversation its room back, unless the shopper has started on it (a
   * contact or their own words in it). The offer stays in the message that made it.
   */
  dismissLeaveForm(): void {
    if (this.ask.hidden || this.leaveStarted()) return;
    this.askText.value = "";
    this.hideLeaveForm();
  }

  /** Whether the shopper has started on the form: their own words or a new contact in it
   * (the contact they left a question with before stays filled in, and is no start). */
  private leaveStarted(): boolean {
    return (
      this.askText.value.trim() !== this.askFilled.trim() ||
      this.askEmail.value.trim() !== this.askContact[0] ||
      this.askPhone.value.trim() !== this.askContact[1]
    );
  }

  /** A left question the server refused: the form again, with what was typed and why. */
  leaveFailed(question: LeftQuestion, reason: string): void {
    this.askText.value = question.text;
    this.askFilled = ""; // the shopper's own: never dismissed
    this.askEmail.value = question.email ?? "";
    this.askPhone.value = question.phone ?? "";
    this.showLeaveForm();
    this.askError.textContent = reason;
  }

  showRating(show: boolean): void {
    if (show && !this.rateForm.hidden) return;
    this.rateForm.hidden = !show;
    this.rateThanks.hidden = true;
    this.rateError.textContent = "";
    if (show) {
      this.setRating(0);
      this.rateComment.value = "";
      this.scrollToEnd();
    }
  }

  showInvitation(text: string): void {
    if (this.isOpen) return;
    this.inviteText.textContent = text;
    this.invite.hidden = false;
  }

  hideInvitation(): void {
    this.invite.hidden = true;
  }

  setConnection(connection: Connection): void {
    this.connection = connection;
    const t = this.texts;
    const off = connection === "unavailable";
    const text =
      connection === "reconnecting" ? t.reconnecting
      : connection === "connecting" ? t.connecting
      : off ? t.unavailableHelp
      : "";
    this.conn.textContent = text;
    this.conn.hidden = !text;
    // Refused for good: the header says so, and nothing that would never be sent is offered.
    this.input.disabled = off;
    this.sendButton.disabled = off;
    this.personButton.disabled = off || this.personBusy;
    this.leaveButton.disabled = off;
    this.refreshHead();
    this.refreshEmpty();
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

  /** Forgets what was said out loud: the conversation it came from is no longer shown. */
  clearAnnounced(): void {
    this.live.textContent = "";
  }

  /** Says a new message out loud to screen readers (history is not announced). */
  announce(who: string, text: string): void {
    const line = h("div", {}, this.texts.newMessage(who, text));
    this.live.append(line);
    while (this.live.childNodes.length > 3) this.live.firstChild?.remove();
  }

  /**
   * After messages were added: the newest in view, unless the shopper scrolled up to read
   * (then a button offers the way down); `own`: the shopper's own, always shown.
   */
  afterChange(own = false): void {
    this.refreshEmpty();
    if (own || this.following) this.scrollToEnd();
    else if (this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight >= 40) {
      this.newBelow.hidden = false;
    }
  }

  /** "Ask your question" while nothing is shown; a message shown as not sent counts too. */
  private refreshEmpty(): void {
    // A refused site invites no questions.
    this.empty.hidden = this.timeline.size > 0 || this.unavailable || this.list.querySelector(".msg") !== null;
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
    if (isBlank(text) || this.unavailable) return;
    if (this.handlers.send(text)) {
      this.input.value = "";
      this.autosize();
    }
    this.input.focus();
  }

  private tr<E extends HTMLElement>(el: E, text: (t: Texts) => string, attr?: string): E {
    this.localized.push([el, text, attr]);
    if (attr) el.setAttribute(attr, text(this.texts));
    else el.textContent = text(this.texts);
    return el;
  }

  private submitQuestion(): void {
    const t = this.texts;
    const text = this.askText.value.trim();
    // Direction marks around a copied phone number are no part of it (the server drops them).
    const email = withoutDirection(this.askEmail.value).trim();
    const phone = withoutDirection(this.askPhone.value).trim();
    const problem: [string, HTMLElement] | null =
      !text ? [t.needQuestion, this.askText]
      : textLength(text) > this.maxChars ? [t.tooLong(this.maxChars, textLength(text)), this.askText]
      : !email && !phone ? [t.needContact, this.askEmail]
      : email && !EMAIL.test(email) ? [t.badEmail, this.askEmail]
      : phone && (!PHONE.test(phone) || phone.replace(/\D/g, "").length < PHONE_MIN_DIGITS)
        ? [t.badPhone, this.askPhone]
      : null;
    for (const field of [this.askText, this.askEmail, this.askPhone]) {
      field.setAttribute("aria-invalid", String(problem?.[1] === field));
    }
    if (problem) {
      this.askError.textContent = problem[0];
      problem[1].focus();
      return;
    }
    const question: LeftQuestion = { text };
    if (email) question.email = email;
    if (phone) question.phone = phone;
    this.askText.value = "";
    this.askFilled = "";
    this.offered = undefined;
    // Used: the next question the bot cannot answer (once this one is answered) opens it.
    this.setLeaveDeclined(false);
    // Kept for a next question, as sent (without direction marks).
    this.askEmail.value = email;
    this.askPhone.value = phone;
    this.askContact = [email, phone];
    this.askError.textContent = "";
    this.hideLeaveForm();
    this.handlers.leaveQuestion(question);
    this.input.focus();
  }

  private setRating(n: number): void {
    this.rating = n;
    if (n) this.rateError.textContent = "";
    this.stars.forEach((star, i) => {
      star.setAttribute("aria-pressed", String(i < n));
      star.classList.toggle("on", i < n);
    });
  }

  private async submitRating(): Promise<void> {
    if (!this.rating) {
      this.rateError.textContent = this.texts.needRating;
      return;
    }
    const problem = await this.handlers.rate(this.rating, this.rateComment.value.trim());
    if (problem) {
      this.rateError.textContent = problem;
      return;
    }
    this.rateForm.hidden = true;
    this.rateThanks.hidden = false;
    // The button pressed is gone: the keyboard goes on in the composer (writing again
    // reopens the conversation), not on the page outside the panel.
    this.keepFocusInPanel();
  }

  /** The composer takes the keyboard when the element that had it went away, and only
   * then: not when the panel was closed meanwhile, or the shopper is elsewhere, and not on
   * a touch screen, where it would bring up the on-screen keyboard over the thanks. */
  private keepFocusInPanel(): void {
    const active = this.host.shadowRoot?.activeElement;
    const page = document.activeElement;
    // In the widget, or nowhere: not a field of the shop's page the shopper went to.
    const ours = page === this.host || page === document.body || page === null;
    const touch = window.matchMedia?.("(pointer: coarse)").matches ?? false;
    const lost = !active || (active instanceof HTMLElement && active.closest("[hidden]") !== null);
    if (this.isOpen && !touch && ours && lost) {
      this.input.focus();
    }
  }

  private hideRating(): void {
    this.rateForm.hidden = true;
    this.handlers.skipRating();
    this.keepFocusInPanel();
  }

  /** What a bot or system message offers: feedback, "did you mean" choices, a person, the form. */
  private offers(m: Shown): HTMLElement | null {
    const meta: MessageMeta | undefined = m.meta;
    const t = this.texts;
    if (!meta || (m.author !== "bot" && m.author !== "system")) return null;
    const box = h("div", { class: "offer" });
    if (meta.kind === "answer" && meta.feedback && m.seq !== undefined) {
      const seq = m.seq;
      const yes = h("button", { type: "button", class: "helpful" }, t.helped);
      const no = h("button", { type: "button", class: "not-helpful" }, t.notHelped);
      const ask = h("span", { class: "ask-line" }, t.helpedAsk);
      const give = async (helpful: boolean): Promise<void> => {
        yes.disabled = no.disabled = true;
        const offer = await this.handlers.feedback(seq, helpful);
        if (offer === undefined) {
          yes.disabled = no.disabled = false;
          return;
        }
        box.replaceChildren(h("span", { class: "ask-line" }, t.thanksFeedback));
        this.offerNext(box, offer, () => this.questionOf(m));
      };
      yes.addEventListener("click", () => void give(true));
      no.addEventListener("click", () => void give(false));
      box.append(ask, yes, no);
      box.classList.add("feedback");
      return box;
    }
    if (meta.kind === "suggest" && meta.choices?.length) {
      box.classList.add("choices");
      const buttons = meta.choices.slice(0, 3).map((choice) => {
        const b = h("button", { type: "button", class: "choice" }, choice.question);
        b.addEventListener("click", () => {
          for (const other of buttons) other.disabled = true;
          b.classList.add("chosen");
          this.handlers.send(choice.question);
        });
        return b;
      });
      box.append(...buttons);
      return box;
    }
    if (meta.kind === "unknown" || meta.kind === "notice" || meta.kind === "small_talk") {
      this.offerNext(box, meta.offer ?? null, () => this.questionOf(m), !meta.left);
      return box.childNodes.length ? box : null;
    }
    return null;
  }

  /**
   * The shopper's question a bot reply refers to (its `question_seq`, or the `question` it
   * names), when shown; none when the shopper only asked for a person, or how long the
   * wait for one is.
   */
  questionOf(m: Shown): string | undefined {
    // Of a message asking several things, the one the bot was not sure of.
    if (m.meta?.question) return m.meta.question;
    const seq = m.meta?.question_seq;
    if (seq === undefined || m.conversation_id === undefined) return undefined;
    if (m.meta?.talk === "person" || m.meta?.talk === "wait") return undefined;
    return this.timeline.textOf(m.conversation_id, seq);
  }

  private offerNext(
    box: HTMLElement,
    offer: Offer | null,
    question?: () => string | undefined,
    openForm = true,
  ): void {
    const t = this.texts;
    if (offer === "person") {
      const b = h("button", { type: "button", class: "offer-person" }, t.person);
      b.addEventListener("click", () => this.handlers.person());
      box.append(b);
    } else if (offer === "leave_question") {
      if (this.leaveOffersDone) return;
      this.offered = question;
      const b = h("button", { type: "button", class: "offer-leave" }, t.leave);
      b.addEventListener("click", () => this.showLeaveForm(question?.()));
      box.append(b);
      // Just offered: open the form at once (not when a question of theirs waits already).
      if (openForm && box.isConnected) this.showLeaveForm(question?.());
    }
  }

  private row(m: Shown, own: boolean): HTMLElement {
    // Each message finds its own direction from its first strong character.
    const bubble = h("div", { class: "bubble", dir: "auto" });
    renderText(bubble, m.text);
    const who = this.authorName(m);
    const meta = h("div", { class: "meta" });
    // Loket's own lines ("Bram is here to help you") carry only their time: shoppers do
    // not know the software's name, and the line says what it is.
    const label = own || m.author === "system" ? "" : who + (m.at ? " · " : "");
    if (label) meta.append(label);
    // The clock as the shopper's browser shows it (a Dutch browser: 21:05, also in English).
    if (m.at) meta.append(formatTime(m.at, [navigator.language, this.locale]));
    const status = h("span", { class: "status" });
    if (own) meta.append(status);
    const classes = ["msg", m.author, own ? "own" : ""].filter(Boolean).join(" ");
    const li = h("li", { class: classes }, h("span", { class: "sr" }, who + ": "), bubble, meta);
    const offers = this.offers(m);
    if (offers) li.append(offers);
    if (m.meta?.kind === "question_left") {
      // The question is left: the offers to leave it above this line are done with (the
      // bar's own button stays for another question while nobody can come). Once the row
      // is in the list: a reply after it may be there already, and keeps its offer.
      queueMicrotask(() => this.dropLeaveOffers(li));
    }
    return li;
  }

  /**
   * Whether an agent has the conversation now: then the bot's earlier offers to leave a
   * question go, and replies shown again (a next page) bring none.
   */
  leaveOffersClosed(closed: boolean): void {
    this.leaveOffersDone = closed;
    if (closed) this.dropLeaveOffers();
  }

  /** The offers to leave a question in the bot's replies (above `before`, when given). */
  private dropLeaveOffers(before?: Node): void {
    for (const b of this.list.querySelectorAll(".offer-leave")) {
      if (before && !(before.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_PRECEDING)) continue;
      const box = b.parentElement;
      b.remove();
      if (box && !box.childElementCount) box.remove();
    }
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

  /** The state and detail lines; a refused site says so instead. */
  private refreshHead(): void {
    const off = this.unavailable;
    this.stateLine.textContent = off ? this.texts.unavailable : this.stateText();
    this.detailLine.textContent = off ? "" : this.detailText(this.texts);
  }

  private refreshLauncher(): void {
    const t = this.texts;
    const n = this.unreadCount;
    this.badge.hidden = n === 0;
    this.badge.textContent = n > 99 ? "99+" : String(n);
    // The launcher toggles: it says what a click does now.
    const label = this.isOpen ? t.close : t.open;
    this.launcher.setAttribute("aria-label", n ? `${label} (${t.unread(n)})` : label);
  }

  /** The open panel fills a small screen: then it is modal (aria-modal, Tab kept inside). */
  private get covering(): boolean {
    return this.isOpen && this.small.matches;
  }

  private refreshModal(): void {
    if (this.covering) this.panel.setAttribute("aria-modal", "true");
    else this.panel.removeAttribute("aria-modal");
  }

  /** Moves the focus to the next (1) or previous (-1) control of the panel, round the ends. */
  private cycleFocus(step: 1 | -1): void {
    const selector = 'a[href], button, input, textarea, select, [tabindex]:not([tabindex="-1"])';
    const controls = [...this.panel.querySelectorAll<HTMLElement>(selector)].filter(
      (el) => !(el as HTMLButtonElement).disabled && el.tabIndex >= 0 && el.getClientRects().length > 0,
    );
    if (!controls.length) return;
    const active = this.host.shadowRoot?.activeElement as HTMLElement | null;
    const at = active ? controls.indexOf(active) : -1;
    const next = at < 0 ? (step > 0 ? 0 : controls.length - 1) : (at + step + controls.length) % controls.length;
    controls[next].focus();
  }

  private autosize(): void {
    this.input.style.height = "auto";
    this.input.style.height = Math.min(this.input.scrollHeight + 2, 120) + "px";
  }

  private scrollToEnd(): void {
    this.following = true;
    this.newBelow.hidden = true;
    this.list.scrollTop = this.list.scrollHeight;
    this.scrolledTo = this.list.scrollTop;
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
