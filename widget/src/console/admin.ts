/** The admin pages: learned answers to review, missed questions, FAQ file errors, figures. */
import { h } from "../shared/dom";
import * as api from "./api";
import { clipLine, dateTime, duration, percent, personalLabel } from "./format";
import { chooseTab, tabKeys, type AdminSection, type AdminView } from "./views";

const REASON_LABEL: Record<string, string> = {
  unknown: "the bot did not know",
  unhelpful: "answer not helpful",
};
const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
/** How much of a missed question the list shows (the rest on hover). */
const MISS_CHARS = 200;

/** A long text's beginning, the whole of it as the title (only when it was cut). */
function clipped(text: string, attrs: Record<string, string>, tag: "span" | "li" = "span", prefix = ""): HTMLElement {
  const shown = clipLine(text, MISS_CHARS);
  const title = shown === text.replace(/\s+/g, " ").trim() ? {} : { title: text };
  return h(tag, { ...attrs, ...title }, prefix + shown);
}

export class AdminPages {
  private section: AdminSection = "learned";
  /** Per section, the number of the last load: answers to older loads are dropped. */
  private loads = new Map<AdminSection, number>();

  constructor(
    private readonly view: AdminView,
    /** Called when the server no longer knows the session (HTTP 401). */
    private readonly sessionEnded: (message: string) => void,
  ) {
    const nav = view.tabs[0].parentElement as HTMLElement;
    tabKeys(nav, (tab) => this.select(tab.dataset.section as AdminSection));
    for (const tab of view.tabs) {
      tab.addEventListener("click", () => this.select(tab.dataset.section as AdminSection));
    }
    view.learnedStatus.addEventListener("change", () => void this.load("learned"));
    view.missesDays.addEventListener("change", () => void this.load("misses"));
    view.figuresDays.addEventListener("change", () => void this.load("figures"));
  }

  /** The admin area came on screen: show the current section with fresh data. */
  show(): void {
    void this.load(this.section);
  }

  private select(section: AdminSection): void {
    const tab = this.view.tabs.find((t) => t.dataset.section === section);
    if (!tab) return;
    chooseTab(this.view.tabs, tab);
    for (const [name, panel] of Object.entries(this.view.panels)) panel.root.hidden = name !== section;
    this.section = section;
    void this.load(section);
  }

  private async load(section: AdminSection): Promise<void> {
    if (section === "forget") {
      // A form, nothing to fetch: what was found last stays until the next search.
      if (!this.view.panels.forget.body.firstChild) this.renderForget();
      return;
    }
    const turn = (this.loads.get(section) ?? 0) + 1;
    this.loads.set(section, turn);
    const panel = this.view.panels[section];
    panel.root.setAttribute("aria-busy", "true");
    panel.state.textContent = "Loading…";
    const current = () => this.loads.get(section) === turn;
    if (section === "learned") {
      const status = this.view.learnedStatus.value as api.LearnedStatus;
      const result = await api.learnedList(status);
      if (current() && this.loaded(section, result)) this.renderLearned(result.groups, status);
    } else if (section === "misses") {
      const days = Number(this.view.missesDays.value);
      const result = await api.misses(days);
      if (current() && this.loaded(section, result)) this.renderMisses(result.groups, days, result.answered_now);
    } else if (section === "faq") {
      const result = await api.faqStatus();
      if (current() && this.loaded(section, result)) this.renderFaq(result);
    } else {
      const result = await api.figures(Number(this.view.figuresDays.value));
      if (current() && this.loaded(section, result)) this.renderFigures(result);
    }
  }

  /** True when the load worked; else the refusal is shown (or the login form, without a session). */
  private loaded<T>(section: AdminSection, result: api.AdminResult<T>): result is { ok: true } & T {
    const panel = this.view.panels[section];
    panel.root.removeAttribute("aria-busy");
    if (result.ok) {
      panel.state.textContent = "";
      return true;
    }
    this.refused(result);
    panel.state.textContent = result.message;
    panel.body.replaceChildren();
    return false;
  }

  private refused(failure: api.AdminFailure): void {
    if (failure.status === 401) this.sessionEnded("Your session has ended; log in again.");
  }

  // -- learned answers -----------------------------------------------------------------

  private renderLearned(groups: api.Learned[][], status: api.LearnedStatus): void {
    const body = this.view.panels.learned.body;
    if (!groups.length) {
      const none = { candidate: "No answers wait for review.", approved: "No approved answers.", rejected: "No rejected answers." };
      body.replaceChildren(h("p", { class: "none" }, none[status]));
      return;
    }
    const hint =
      status === "candidate"
        ? "Similar questions are grouped: review a group once — approve its best answer (edit it if needed), reject the rest."
        : "Edit and save an approved answer, or reject it to stop the bot giving it.";
    body.replaceChildren(
      h("p", { class: "hint" }, status === "rejected" ? "Approve a rejected answer to let the bot give it." : hint),
      ...groups.map((group) => {
        const section = h("section", { class: "learned-group", "data-size": String(group.length) }, h("h3", {}));
        section.append(...group.map((learned) => this.learnedItem(learned, status)));
        countGroup(section);
        return section;
      }),
    );
  }

  private learnedItem(learned: api.Learned, shown: api.LearnedStatus): HTMLElement {
    const ids = { q: `learned-${learned.id}-question`, a: `learned-${learned.id}-answer` };
    const question = h("textarea", { id: ids.q, class: "question", rows: "2", dir: "auto" });
    question.value = learned.question;
    const answer = h("textarea", { id: ids.a, class: "answer", rows: "4", dir: "auto" });
    answer.value = learned.answer;
    const facts: (Node | string)[] = [
      h("span", { class: "language" }, learned.language ? learned.language : "language unknown"),
      h("span", { class: "agent" }, learned.agent ? `answered by ${learned.agent}` : "agent unknown"),
      h("time", { datetime: new Date(learned.created_at).toISOString() }, dateTime(learned.created_at)),
    ];
    if (learned.conversation_id !== null) facts.push(h("span", {}, `conversation #${learned.conversation_id}`));
    if (learned.status !== "candidate" && learned.reviewed_by) {
      facts.push(h("span", { class: "reviewed" }, `${learned.status} by ${learned.reviewed_by}`));
    }
    const badges = h(
      "ul",
      { class: "badges", "aria-label": "Personal data found" },
      ...learned.personal.map(personalBadge),
    );
    badges.hidden = !learned.personal.length;
    const error = h("p", { class: "review-error", role: "alert" });
    const approve = h("button", { type: "button", class: "approve" }, "Approve");
    const reject = h("button", { type: "button", class: "reject secondary" }, "Reject");
    const force = h("button", { type: "button", class: "force", hidden: true }, "Approve anyway");
    // Approving an approved answer again saves edits; rejecting a rejected one does nothing.
    if (learned.status === "approved") approve.textContent = "Save and keep approved";
    reject.hidden = learned.status === "rejected";
    const item = h(
      "article",
      { class: "learned", "data-id": String(learned.id), "data-status": learned.status, "aria-label": `Learned answer ${learned.id}` },
      h("div", { class: "facts" }, ...facts),
      badges,
      h("label", { for: ids.q }, "Question"),
      question,
      h("label", { for: ids.a }, "Answer"),
      answer,
      error,
      h("div", { class: "review" }, approve, reject, force),
    );
    const review = async (action: "approve" | "reject", forced = false): Promise<void> => {
      const payload: Parameters<typeof api.reviewLearned>[1] = { action };
      if (action === "approve") {
        if (!question.value.trim() || !answer.value.trim()) {
          error.textContent = "The question and the answer cannot be empty.";
          return;
        }
        // Only edits are sent: the server checks the text it will keep for personal data.
        if (question.value !== learned.question) payload.question = question.value;
        if (answer.value !== learned.answer) payload.answer = answer.value;
        if (forced) payload.force = true;
      }
      for (const b of [approve, reject, force]) b.disabled = true;
      error.textContent = "";
      const result = await api.reviewLearned(learned.id, payload);
      for (const b of [approve, reject, force]) b.disabled = false;
      if (!result.ok) {
        this.refused(result);
        if (result.code === "personal_data") {
          // What the server found in the texts as edited: the badges say the same.
          const found = result.personal ?? [];
          badges.replaceChildren(...found.map(personalBadge));
          badges.hidden = !found.length;
          const kinds = found.map(personalLabel).join(", ");
          error.textContent = `${result.message}${kinds ? ` Found: ${kinds}.` : ""}`;
          force.hidden = false;
        } else {
          error.textContent = result.message;
        }
        return;
      }
      force.hidden = true;
      const done = result.learned;
      this.view.panels.learned.state.textContent =
        `${done.status === "approved" ? "Approved" : "Rejected"}: “${clipLine(done.question)}”.` +
        (done.status === "approved" ? " The bot gives this answer from now on." : "");
      const group = item.parentElement;
      if (done.status === shown) item.replaceWith(this.learnedItem(done, shown));
      else item.remove();
      if (group) countGroup(group);
    };
    approve.addEventListener("click", () => void review("approve"));
    reject.addEventListener("click", () => void review("reject"));
    force.addEventListener("click", () => void review("approve", true));
    // An edit may remove the personal data: the next Approve is checked again.
    for (const field of [question, answer]) field.addEventListener("input", () => (force.hidden = true));
    return item;
  }

  // -- missed questions ----------------------------------------------------------------

  private renderMisses(groups: api.MissGroup[], days: number, fixed?: api.AnsweredNow): void {
    const body = this.view.panels.misses.body;
    // Missed once, answered now (an FAQ entry or an approved learned answer came since).
    const done = fixed?.questions
      ? h(
          "p",
          { class: "hint answered-now" },
          `${fixed.questions} more ${fixed.questions === 1 ? "question" : "questions"} (asked ${fixed.asked === 1 ? "once" : `${fixed.asked} times`}) the bot now answers.`,
        )
      : "";
    if (!groups.length) {
      body.replaceChildren(h("p", { class: "none" }, `No missed questions in the last ${days} days.`), done);
      return;
    }
    const items = groups.map((group) => {
      const li = h(
        "li",
        { class: "miss" },
        h(
          "span",
          {
            class: "count",
            title:
              group.conversations === group.count
                ? `asked ${group.count} times`
                : `asked ${group.count} times in ${group.conversations} ${group.conversations === 1 ? "conversation" : "conversations"}`,
          },
          `${group.count}×`,
        ),

        // A story of a thousand words reads as its first lines; all of it on hover.
        clipped(group.question, { class: "question" }),
        h(
          "span",
          { class: "reasons" },
          ...group.reasons.map((r) => h("span", { class: "badge reason", "data-reason": r }, REASON_LABEL[r] ?? r)),
        ),
        h(
          "span",
          { class: "last" },
          `last asked ${dateTime(group.last_at)}` +
            (group.conversations < group.count
              ? ` · in ${group.conversations} ${group.conversations === 1 ? "conversation" : "conversations"}`
              : ""),
        ),
      );
      if (group.examples.length) {
        li.append(
          h(
            "ul",
            { class: "examples", "aria-label": "Also asked as" },
            ...group.examples.slice(0, 3).map((e) => clipped(e, {}, "li", "also: ")),
          ),
        );
      }
      return li;
    });
    body.replaceChildren(
      h(
        "p",
        { class: "hint" },
        "Asked in the most conversations first. Add an FAQ entry or phrasings for the groups at the top.",
      ),
      h("ol", { class: "misses" }, ...items),
      done,
    );
  }

  // -- FAQ files -----------------------------------------------------------------------

  private renderFaq(status: api.FaqStatus): void {
    const errors = status.errors.length
      ? h(
          "ul",
          { class: "faq-errors", "aria-label": "Load errors" },
          ...status.errors.map((e) => h("li", {}, h("code", {}, e))),
        )
      : h("p", { class: "faq-ok" }, "No errors.");
    this.view.panels.faq.body.replaceChildren(
      h(
        "p",
        { class: "faq-entries" },
        h("strong", { class: "number" }, String(status.entries)),
        status.entries === 1 ? " live entry" : " live entries",
      ),
      h("h3", {}, status.errors.length ? `Load errors (${status.errors.length})` : "Load errors"),
      errors,
    );
  }

  // -- figures -------------------------------------------------------------------------

  private renderFigures(f: api.Figures): void {
    const first = f.median_first_response_seconds;
    const ratings = f.ratings;
    const summary = h(
      "dl",
      { class: "summary" },
      fact("Conversations", String(f.conversations), "conversations"),
      fact("Answered by agents", percent(f.answered_by.agents), "agents"),
      fact("Answered by the bot only", percent(f.answered_by.bot), "bot"),
      fact("Answered by nobody", percent(f.answered_by.nobody), "nobody"),
      fact("Median first response", first === null ? "no agent replies" : duration(first), "first-response"),
      fact(
        "Average rating",
        ratings.average === null ? "no ratings" : `${ratings.average.toFixed(1)} of 5 (${plural(ratings.count, "rating")})`,
        "rating",
      ),
    );
    const hours = Array.from({ length: 24 }, (_, i) => String(i).padStart(2, "0"));
    const stars = ["1", "2", "3", "4", "5"];
    this.view.panels.figures.body.replaceChildren(
      h("p", { class: "hint" }, `The last ${plural(f.days, "day")}, in the shop's time zone.`),
      summary,
      h(
        "div",
        { class: "charts" },
        bars("Conversations per hour", "per-hour", hours, f.per_hour, (l, v) => `${l}:00–${l}:59: ${plural(v, "conversation")}`),
        bars("Conversations per weekday", "per-weekday", WEEKDAYS, f.per_weekday, (l, v) => `${l}: ${plural(v, "conversation")}`),
        bars(
          "Ratings",
          "ratings",
          stars.map((s) => `${s}★`),
          stars.map((s) => ratings.distribution[s] ?? 0),
          (l, v) => `${plural(Number.parseInt(l, 10), "star")}: ${plural(v, "rating")}`,
        ),
      ),
    );
  }

  // -- forgetting a shopper (an erasure request) ---------------------------------------

  private renderForget(): void {
    const way = h("select", { id: "forget-way" }, ...FORGET_WAYS.map(([value, label]) => h("option", { value }, label)));
    const value = h("input", { id: "forget-value", type: "email", autocomplete: "off", required: true, maxlength: "320" });
    way.addEventListener("change", () => {
      value.type = FORGET_WAYS.find(([w]) => w === way.value)?.[2] ?? "text";
      if (value.type === "number") value.min = "1";
      else value.removeAttribute("min");
    });
    const result = h("div", { class: "forget-result" });
    const form = h(
      "form",
      { class: "forget-form" },
      h("label", { for: "forget-way" }, "Find by"),
      way,
      h("label", { for: "forget-value", class: "sr" }, "Value"),
      value,
      h("button", { type: "submit" }, "Find"),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = value.value.trim();
      const by = (
        way.value === "shopper" || way.value === "conversation" ? { [way.value]: Number(text) } : { [way.value]: text }
      ) as api.ForgetBy;
      void this.forget(by, result);
    });
    this.view.panels.forget.body.replaceChildren(
      h(
        "p",
        { class: "hint" },
        "When a shopper asks you to delete their data, find them here: by the e-mail address the shop gave or " +
          "they left with a question, the phone number they left, the shop's customer id, or a shopper or " +
          "conversation number from the console. " +
          "You see what would go before anything is deleted.",
      ),
      form,
      result,
    );
  }

  /**
   * Ask what an erasure would delete, or delete what was shown (`shown`, the shoppers and
   * conversations of the answer before: the server refuses if they changed meanwhile);
   * the outcome goes in `result`. Only the latest search's answer is shown.
   */
  private async forget(by: api.ForgetBy, result: HTMLElement, shown?: api.Forgetting): Promise<void> {
    const turn = (this.loads.get("forget") ?? 0) + 1;
    this.loads.set("forget", turn);
    const panel = this.view.panels.forget;
    panel.root.setAttribute("aria-busy", "true");
    panel.state.textContent = shown ? "Deleting…" : "Looking…";
    const expected = shown ? { shoppers: shown.shoppers.map((s) => s.id), conversations: shown.conversations } : undefined;
    const found = await api.forget(by, expected);
    if (this.loads.get("forget") !== turn) return;
    panel.root.removeAttribute("aria-busy");
    if (!found.ok) {
      this.refused(found);
      panel.state.textContent = found.message;
      result.replaceChildren();
      return;
    }
    const [way, value] = Object.entries(by)[0];
    const label = FORGET_WAYS.find(([w]) => w === way)?.[1].toLowerCase() ?? way;
    const who = found.shoppers.map((s) => `shopper #${s.id} (${s.how})`).join(", ");
    if (found.deleted) {
      panel.state.textContent = `Deleted: ${found.told ?? "nothing"}.`;
      result.replaceChildren(h("p", { class: "forget-done" }, `Nothing is kept of ${who} any more.`));
      return;
    }
    panel.state.textContent = "";
    const facts: HTMLElement[] = [
      h("p", { class: "forget-who" }, `By ${label} ${value}: found ${who}.`),
      h(
        "p",
        { class: "forget-what" },
        found.conversations.length
          ? `Their closed conversations ${numbers(found.conversations)} would be deleted with their messages, left questions, ratings, feedback, missed questions and learned candidates (an approved answer stays, no longer tied to them), and the shopper record itself.`
          : "They have no closed conversation; their shopper record would be deleted.",
      ),
    ];
    if (found.open.length) {
      facts.push(
        h(
          "p",
          { class: "forget-open", role: "alert" },
          `Still open: ${numbers(found.open)}. Close ${found.open.length === 1 ? "it" : "them"} in Conversations first, then find the shopper again.`,
        ),
      );
    } else {
      const remove = h("button", { type: "button", class: "danger forget-confirm" }, "Delete all of it");
      remove.addEventListener("click", () => {
        remove.disabled = true;
        void this.forget(by, result, found);
      });
      facts.push(remove);
    }
    result.replaceChildren(...facts);
  }
}

/** What the "Forget a shopper" form finds by, and how the value is typed. */
const FORGET_WAYS: [string, string, string][] = [
  ["email", "E-mail address", "email"],
  ["phone", "Phone number (left with a question)", "tel"],
  ["customer", "Customer id (from the shop)", "text"],
  ["shopper", "Shopper number", "number"],
  ["conversation", "Conversation number", "number"],
];

/** "#3, #7" */
function numbers(ids: number[]): string {
  return ids.map((id) => `#${id}`).join(", ");
}

/** Shows a learned group's size, and drops the group once all of it is reviewed. */
function countGroup(group: HTMLElement): void {
  const size = group.querySelectorAll("article.learned").length;
  if (!size) {
    const body = group.parentElement;
    group.remove();
    if (body && !body.querySelector(".learned-group")) body.append(h("p", { class: "none" }, "All reviewed."));
    return;
  }
  group.dataset.size = String(size);
  const title = group.querySelector("h3");
  if (title) title.textContent = size === 1 ? "1 question" : `${size} similar questions`;
}

function fact(term: string, value: string, key: string): HTMLElement {
  return h("div", { class: "fact" }, h("dt", {}, term), h("dd", { "data-figure": key }, value));
}

/** A CSS bar chart; each bar carries its number and label as text. */
function bars(
  title: string,
  key: string,
  labels: string[],
  values: number[],
  describe: (label: string, value: number) => string,
): HTMLElement {
  const top = Math.max(1, ...values);
  const items = values.map((value, i) => {
    const fill = h("span", { class: "fill", "aria-hidden": "true" });
    fill.style.height = `${(value / top) * 100}%`;
    // Screen readers get one sentence per bar; the number and label on screen are the same text.
    return h(
      "li",
      { class: "bar", title: describe(labels[i], value), "data-label": labels[i] },
      h("span", { class: "sr" }, describe(labels[i], value)),
      h("span", { class: "value", "aria-hidden": "true" }, String(value)),
      h("span", { class: "track", "aria-hidden": "true" }, fill),
      h("span", { class: "label", "aria-hidden": "true" }, labels[i]),
    );
  });
  return h(
    "figure",
    { class: "chart", "data-chart": key },
    h("figcaption", {}, title),
    h("ol", { class: "bars", "aria-label": title }, ...items),
  );
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** A badge saying a learned pair holds personal data of this kind. */
function personalBadge(kind: string): HTMLElement {
  return h("li", { class: "badge personal", "data-kind": kind }, `Holds ${personalLabel(kind)}`);
}
