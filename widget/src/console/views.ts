/** The console's static DOM: the login form and the workspace (list, conversation, composer). */
import { h } from "../shared/dom";

export interface LoginView {
  root: HTMLElement;
  form: HTMLFormElement;
  name: HTMLInputElement;
  password: HTMLInputElement;
  submit: HTMLButtonElement;
  error: HTMLParagraphElement;
}

export function loginView(): LoginView {
  const name = h("input", { id: "login-name", name: "name", autocomplete: "username", required: true });
  const password = h("input", {
    id: "login-password",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const submit = h("button", { type: "submit" }, "Log in");
  const error = h("p", { class: "error", role: "alert" });
  const form = h(
    "form",
    { class: "login", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title" }, "Loket — agent console"),
    h("label", { for: "login-name" }, "Name"),
    name,
    h("label", { for: "login-password" }, "Password"),
    password,
    error,
    submit,
  );
  return { root: h("main", { class: "login-page", hidden: true }, form), form, name, password, submit, error };
}

export interface WorkspaceView {
  root: HTMLElement;
  who: HTMLSpanElement;
  status: HTMLSelectElement;
  notifications: HTMLButtonElement;
  connection: HTMLSpanElement;
  logout: HTMLButtonElement;
  groups: HTMLElement;
  detail: HTMLElement;
  placeholder: HTMLElement;
  conversation: HTMLElement;
  title: HTMLHeadingElement;
  facts: HTMLElement;
  take: HTMLButtonElement;
  close: HTMLButtonElement;
  transfer: HTMLButtonElement;
  transferForm: HTMLFormElement;
  transferTo: HTMLSelectElement;
  transferNote: HTMLInputElement;
  transferCancel: HTMLButtonElement;
  note: HTMLParagraphElement;
  assist: HTMLElement;
  reusable: HTMLInputElement;
  messages: HTMLOListElement;
  typing: HTMLDivElement;
  notice: HTMLDivElement;
  composer: HTMLFormElement;
  input: HTMLTextAreaElement;
  send: HTMLButtonElement;
  live: HTMLDivElement;
}

export function workspaceView(): WorkspaceView {
  const who = h("span", { class: "who" });
  const status = h(
    "select",
    { id: "agent-status", class: "status" },
    h("option", { value: "online" }, "Online"),
    h("option", { value: "away" }, "Away"),
  );
  const notifications = h("button", { type: "button", class: "notify", hidden: true }, "Enable notifications");
  const connection = h("span", { class: "connection", role: "status" });
  const logout = h("button", { type: "button", class: "logout" }, "Log out");
  const groups = h("nav", { class: "groups", "aria-label": "Open conversations" });
  const title = h("h2", { class: "conv-title" });
  const facts = h("div", { class: "facts" });
  const take = h("button", { type: "button", class: "take" }, "Take");
  const close = h("button", { type: "button", class: "close-conv" }, "Close conversation");
  const transfer = h("button", { type: "button", class: "transfer", "aria-expanded": "false" }, "Transfer…");
  const transferTo = h("select", { id: "transfer-to" });
  const transferNote = h("input", { id: "transfer-note", maxlength: "1000", placeholder: "What the next agent should know" });
  const transferCancel = h("button", { type: "button", class: "secondary" }, "Cancel");
  const transferForm = h(
    "form",
    { class: "transfer-form", hidden: true, "aria-label": "Transfer this conversation" },
    h("label", { for: "transfer-to" }, "To"),
    transferTo,
    h("label", { for: "transfer-note" }, "Note"),
    transferNote,
    h("button", { type: "submit" }, "Transfer"),
    transferCancel,
  );
  const note = h("p", { class: "note", hidden: true });
  const assist = h("section", { class: "assist", "aria-label": "Suggested answers", hidden: true });
  const reusable = h("input", { id: "composer-reusable", type: "checkbox" });
  const messages = h("ol", { class: "messages", "aria-label": "Messages", tabindex: "0" });
  const typing = h("div", { class: "typing", hidden: true });
  const notice = h("div", { class: "notice", role: "alert" });
  const input = h("textarea", {
    id: "composer-input",
    rows: "3",
    placeholder: "Write a reply… (Enter sends, Shift+Enter for a new line)",
  });
  const send = h("button", { type: "submit" }, "Send");
  const composer = h(
    "form",
    { class: "composer" },
    h("label", { class: "sr", for: "composer-input" }, "Reply"),
    input,
    h(
      "div",
      { class: "send-column" },
      send,
      h(
        "label",
        { class: "reusable", for: "composer-reusable", title: "The bot may give this reply to the same question" },
        reusable,
        " Reusable answer",
      ),
    ),
  );
  const live = h("div", { class: "sr", "aria-live": "polite" });
  const conversation = h(
    "section",
    { class: "conversation", hidden: true, "aria-labelledby": "conv-title" },
    h(
      "header",
      { class: "conv-head" },
      h("div", {}, title, facts, note, transferForm),
      h("div", { class: "actions" }, take, transfer, close),
    ),
    messages,
    typing,
    notice,
    assist,
    composer,
  );
  title.id = "conv-title";
  const placeholder = h("p", { class: "placeholder" }, "Choose a conversation on the left.");
  const detail = h("main", { class: "detail" }, placeholder, conversation);
  const root = h(
    "div",
    { class: "workspace", hidden: true },
    h(
      "header",
      { class: "top" },
      h("strong", {}, "Loket"),
      who,
      h("label", { class: "sr", for: "agent-status" }, "Your status"),
      status,
      notifications,
      connection,
      logout,
    ),
    h("div", { class: "columns" }, groups, detail),
    live,
  );
  return {
    root, who, status, notifications, connection, logout, groups, detail, placeholder, conversation,
    title, facts, take, close, transfer, transferForm, transferTo, transferNote, transferCancel, note,
    assist, reusable, messages, typing, notice, composer, input, send, live,
  };
}
