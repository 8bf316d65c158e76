/** The console's static DOM: the login form, the workspace (list, conversation, composer), admin pages. */
import { h } from "../shared/dom";

/** What the close form's summary box says when the conversation has no note to keep. */
export const SUMMARY_PLACEHOLDER = "Optional: what colleagues should know next time";

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
  /** The switch between the conversations and (for admins) the admin pages. */
  areas: HTMLElement;
  conversationsTab: HTMLButtonElement;
  adminTab: HTMLButtonElement;
  columns: HTMLElement;
  admin: AdminView;
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
  closeForm: HTMLFormElement;
  closeSummary: HTMLTextAreaElement;
  closeCancel: HTMLButtonElement;
  note: HTMLParagraphElement;
  /** Who the shopper is and where they are: page, language, identity, earlier conversations. */
  context: HTMLElement;
  contextToggle: HTMLButtonElement;
  /** The keyboard help under the conversation list. */
  help: HTMLElement;
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
  const groups = h("nav", { class: "groups", "aria-label": "Open conversations", tabindex: "-1" });
  const title = h("h2", { class: "conv-title" });
  const facts = h("div", { class: "facts" });
  const take = h("button", { type: "button", class: "take" }, "Take");
  const close = h("button", { type: "button", class: "close-conv", "aria-expanded": "false" }, "Close conversation");
  const transfer = h("button", { type: "button", class: "transfer", "aria-expanded": "false" }, "Transfer…");
  const transferTo = h("select", { id: "transfer-to" });
  const transferNote = h("input", { id: "transfer-note", maxlength: "1000", dir: "auto", placeholder: "What the next agent should know" });
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
  const closeSummary = h("textarea", {
    id: "close-summary",
    rows: "2",
    dir: "auto",
    maxlength: "2000",
    placeholder: SUMMARY_PLACEHOLDER,
  });
  const closeCancel = h("button", { type: "button", class: "secondary" }, "Cancel");
  const closeForm = h(
    "form",
    { class: "close-form", hidden: true, "aria-label": "Close this conversation" },
    h("label", { for: "close-summary" }, "Summary"),
    closeSummary,
    h("button", { type: "submit", class: "close-confirm" }, "Close"),
    closeCancel,
  );
  const note = h("p", { class: "note", hidden: true });
  const context = h("section", { class: "context", id: "conv-context", "aria-label": "About the shopper" });
  // In a narrow window the details fold away behind this button, leaving room for the
  // messages; in a wide one it is not shown and the details always are.
  const contextToggle = h(
    "button",
    { type: "button", class: "ctx-toggle", "aria-controls": "conv-context", "aria-expanded": "false" },
    "Shopper details",
  );
  const help = h(
    "details",
    { class: "help" },
    h("summary", {}, "Keyboard"),
    h(
      "ul",
      {},
      h("li", {}, h("kbd", {}, "Alt+↓"), " / ", h("kbd", {}, "Alt+↑"), " next / previous conversation in the list"),
      h("li", {}, h("kbd", {}, "Enter"), " sends, ", h("kbd", {}, "Shift+Enter"), " starts a new line"),
      h("li", {}, h("kbd", {}, "/"), " and words search the FAQ for an answer"),
    ),
  );  const assist = h("section", { class: "assist", "aria-label": "Suggested answers", hidden: true });
  const reusable = h("input", { id: "composer-reusable", type: "checkbox" });
  const messages = h("ol", { class: "messages", "aria-label": "Messages", tabindex: "0" });
  const typing = h("div", { class: "typing", hidden: true });
  const notice = h("div", { class: "notice", role: "alert" });
  const input = h("textarea", {
    id: "composer-input",
    rows: "3",
    dir: "auto",
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
  const conversationsTab = h(
    "button",
    { type: "button", role: "tab", id: "tab-conversations", "aria-controls": "area-conversations", "aria-selected": "true" },
    "Conversations",
  );
  const adminTab = h(
    "button",
    {
      type: "button",
      role: "tab",
      id: "tab-admin",
      "aria-controls": "area-admin",
      "aria-selected": "false",
      tabindex: "-1",
      hidden: true,
    },
    "Admin",
  );
  const areas = h("div", { class: "areas", role: "tablist", "aria-label": "Console area" }, conversationsTab, adminTab);
  const admin = adminView();
  const conversation = h(
    "section",
    { class: "conversation", hidden: true, "aria-labelledby": "conv-title" },
    h(
      "header",
      { class: "conv-head" },
      h("div", {}, title, facts, note, transferForm, closeForm),
      h("div", { class: "actions" }, take, transfer, close),
    ),
    contextToggle,
    context,
    messages,
    typing,
    notice,
    assist,
    composer,
  );
  title.id = "conv-title";
  const placeholder = h("p", { class: "placeholder" }, "Choose a conversation on the left.");
  const detail = h("main", { class: "detail" }, placeholder, conversation);
  const columns = h(
    "div",
    { class: "columns", id: "area-conversations", role: "tabpanel", "aria-labelledby": "tab-conversations" },
    groups,
    detail,
  );
  const root = h(
    "div",
    { class: "workspace", hidden: true },
    h(
      "header",
      { class: "top" },
      h("strong", {}, "Loket"),
      areas,
      who,
      h("label", { class: "sr", for: "agent-status" }, "Your status"),
      status,
      notifications,
      connection,
      logout,
    ),
    columns,
    admin.root,
    live,
  );
  return {
    root, areas, conversationsTab, adminTab, columns, admin, who, status, notifications, connection, logout, groups, detail, placeholder, conversation,
    title, facts, take, close, transfer, transferForm, transferTo, transferNote, transferCancel,
    closeForm, closeSummary, closeCancel, note, context, contextToggle, help,
    assist, reusable, messages, typing, notice, composer, input, send, live,
  };
}

export type AdminSection = "learned" | "misses" | "faq" | "figures" | "forget";

export const ADMIN_SECTIONS: [AdminSection, string][] = [
  ["learned", "Learned answers"],
  ["misses", "Missed questions"],
  ["faq", "FAQ files"],
  ["figures", "Figures"],
  ["forget", "Forget a shopper"],
];

export interface AdminPanel {
  root: HTMLElement;
  /** Loading…, a refusal, or what a review did. */
  state: HTMLParagraphElement;
  body: HTMLElement;
}

export interface AdminView {
  root: HTMLElement;
  tabs: HTMLButtonElement[];
  panels: Record<AdminSection, AdminPanel>;
  learnedStatus: HTMLSelectElement;
  missesDays: HTMLSelectElement;
  figuresDays: HTMLSelectElement;
}

function daysSelect(id: string, chosen: number): HTMLSelectElement {
  const select = h("select", { id });
  for (const days of [7, 30, 90]) {
    select.append(h("option", { value: String(days), selected: days === chosen }, `Last ${days} days`));
  }
  return select;
}

export function adminView(): AdminView {
  const learnedStatus = h(
    "select",
    { id: "learned-status" },
    h("option", { value: "candidate" }, "Candidates"),
    h("option", { value: "approved" }, "Approved"),
    h("option", { value: "rejected" }, "Rejected"),
  );
  const missesDays = daysSelect("misses-days", 30);
  const figuresDays = daysSelect("figures-days", 7);
  const controls: Record<AdminSection, (Node | string)[]> = {
    learned: [h("label", { for: "learned-status" }, "Show"), learnedStatus],
    misses: [h("label", { for: "misses-days" }, "Period"), missesDays],
    faq: [],
    figures: [h("label", { for: "figures-days" }, "Period"), figuresDays],
    forget: [],
  };
  const tabs: HTMLButtonElement[] = [];
  const panels = {} as Record<AdminSection, AdminPanel>;
  const panelRoots: HTMLElement[] = [];
  ADMIN_SECTIONS.forEach(([section, title], i) => {
    tabs.push(
      h(
        "button",
        {
          type: "button",
          role: "tab",
          id: `admin-tab-${section}`,
          "aria-controls": `admin-${section}`,
          "aria-selected": i === 0 ? "true" : "false",
          tabindex: i === 0 ? undefined : "-1",
          "data-section": section,
        },
        title,
      ),
    );
    const state = h("p", { class: "panel-state", role: "status" });
    const body = h("div", { class: "panel-body" });
    const root = h(
      "section",
      {
        class: "admin-panel",
        id: `admin-${section}`,
        role: "tabpanel",
        "aria-labelledby": `admin-tab-${section}`,
        "data-section": section,
        hidden: i !== 0,
      },
      h("div", { class: "panel-head" }, h("h2", {}, title), h("div", { class: "panel-controls" }, ...controls[section])),
      state,
      body,
    );
    panels[section] = { root, state, body };
    panelRoots.push(root);
  });
  const root = h(
    "div",
    { class: "admin", id: "area-admin", role: "tabpanel", "aria-labelledby": "tab-admin", hidden: true },
    h("div", { class: "admin-nav", role: "tablist", "aria-label": "Admin pages", "aria-orientation": "vertical" }, ...tabs),
    h("main", { class: "admin-main" }, ...panelRoots),
  );
  return { root, tabs, panels, learnedStatus, missesDays, figuresDays };
}

/** Arrow keys, Home and End move between the tabs of a tablist (the focused tab is activated). */
export function tabKeys(list: HTMLElement, activate: (tab: HTMLButtonElement) => void): void {
  list.addEventListener("keydown", (event) => {
    const tabs = [...list.querySelectorAll<HTMLButtonElement>('[role="tab"]:not([hidden])')];
    const at = tabs.indexOf(event.target as HTMLButtonElement);
    if (at < 0) return;
    const next =
      event.key === "ArrowRight" || event.key === "ArrowDown"
        ? tabs[(at + 1) % tabs.length]
        : event.key === "ArrowLeft" || event.key === "ArrowUp"
          ? tabs[(at - 1 + tabs.length) % tabs.length]
          : event.key === "Home"
            ? tabs[0]
            : event.key === "End"
              ? tabs[tabs.length - 1]
              : undefined;
    if (!next) return;
    event.preventDefault();
    next.focus();
    activate(next);
  });
}

/** Marks one tab of a tablist as chosen; only it is in the tab order. */
export function chooseTab(tabs: HTMLButtonElement[], chosen: HTMLButtonElement): void {
  for (const tab of tabs) {
    const on = tab === chosen;
    tab.setAttribute("aria-selected", on ? "true" : "false");
    if (on) tab.removeAttribute("tabindex");
    else tab.setAttribute("tabindex", "-1");
  }
}
