/** How the console words times, waits, shoppers and figures. */
import { clip } from "../shared/text";
import type { State } from "../shared/types";

export function elapsed(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60000);
  if (minutes < 1) return "<1 min";
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function shopperLabel(shopper: { id: number; name: string | null } | null | undefined): string {
  if (!shopper) return "Shopper";
  return shopper.name ? shopper.name : `Shopper #${shopper.id}`;
}

/** `text` on one line, at most `max` characters (cut with "…"), for lists and notifications. */
export function clipLine(text: string, max = 80): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? clip(line, max - 1) + "…" : line;
}

export const STATE_LABEL: Record<State, string> = {
  bot: "with the bot",
  queued: "waiting for an agent",
  assigned: "assigned",
  closed: "closed",
};

/** A duration in seconds as people say it: "45 s", "3 min 5 s", "2 h 10 min". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min` + (s % 60 ? ` ${s % 60} s` : "");
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** A share from 0 to 1 as a whole percentage. */
export function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

export function dateTime(at: number): string {
  try {
    return new Date(at).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
  } catch {
    return new Date(at).toISOString().slice(0, 16).replace("T", " ");
  }
}

export const PERSONAL_LABEL: Record<string, string> = {
  email: "e-mail address",
  phone: "phone number",
  postcode: "postcode",
  address: "street address",
  iban: "IBAN",
  order_number: "order number",
  name: "shopper's name",
  agent_name: "the agent's name (the bot would sign with it)",
};

export function personalLabel(kind: string): string {
  return PERSONAL_LABEL[kind] ?? kind;
}

/** What the server kept of a reply sent as a reusable answer (the message ack's `learned`). */
export interface LearnedAck {
  id: number;
  /** The question it was kept for: the shopper's last messages, greetings left out. */
  question?: string;
  status: "approved" | "candidate";
  personal: string[] | null;
  language: string | null;
  /** The answer's language when it is another than the question's (the bot then gives it to nobody). */
  answer_language?: string | null;
}

const LANGUAGE_NAMES: Record<string, string> = { nl: "Dutch", en: "English", de: "German" };

function languageName(code: string): string {
  return LANGUAGE_NAMES[code] ?? code;
}

/** The line an agent reads after sending a reply marked reusable: what the bot does with it. */
export function learnedNotice(learned: LearnedAck | null): string {
  if (learned === null) {
    return (
      "Not kept as a reusable answer: it answers no new question of the shopper's " +
      "(greetings and thanks don't count), or is under 20 characters."
    );
  }
  if (learned.answer_language && learned.language) {
    return (
      `Not reused: the question is in ${languageName(learned.language)} and your answer in ` +
      `${languageName(learned.answer_language)}, and the bot answers shoppers in their own language. ` +
      `Answer in ${languageName(learned.language)} to teach it.`
    );
  }
  if (learned.status === "approved") {
    // The question as kept, so that a story around it ("We just moved. Do you sell
    // wheelbarrows?") is seen, and an admin can reword it under Learned answers.
    if (learned.question) {
      return (
        `Kept as a reusable answer to “${clipLine(learned.question, 120)}”: the bot gives it to ` +
        "shoppers who ask the same (an admin can reword the question under Learned answers)."
      );
    }
    return "Kept as a reusable answer: the bot gives it to shoppers who ask the same.";
  }
  const kinds = (learned.personal ?? []).map(personalLabel).join(", ");
  return `Kept for review, not reused yet: it holds ${kinds || "personal data"}. An admin approves it after editing it out.`;
}
