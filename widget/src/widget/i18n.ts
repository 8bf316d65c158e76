/** The widget's texts in Dutch and English. */

export type Locale = "nl" | "en";

const nl = {
  title: "Chat met ons",
  open: "Chat openen",
  close: "Chat sluiten",
  unread: (n: number) => (n === 1 ? "1 nieuw bericht" : `${n} nieuwe berichten`),
  placeholder: "Typ je bericht…",
  inputLabel: "Je bericht",
  send: "Versturen",
  hint: "Enter verstuurt, Shift+Enter voor een nieuwe regel",
  empty: "Stel je vraag: we antwoorden zo snel mogelijk.",
  stateNone: "We helpen je graag",
  stateBot: "Onze assistent antwoordt; er is nu geen medewerker beschikbaar",
  stateQueued: "Je wacht op een medewerker…",
  stateAssigned: (name: string) => `${name} helpt je`,
  stateClosed: "Dit gesprek is gesloten. Schrijf opnieuw om het te heropenen.",
  connecting: "Verbinden…",
  reconnecting: "Verbinding verbroken, opnieuw verbinden…",
  unavailable: "De chat is op deze site niet beschikbaar.",
  typing: (name: string) => `${name} typt…`,
  sending: "Wordt verstuurd…",
  sent: "Verstuurd",
  read: "Gelezen",
  failed: "Niet verstuurd",
  you: "Jij",
  agent: "Medewerker",
  bot: "Assistent",
  system: "Loket",
  newMessage: (who: string, text: string) => `${who}: ${text}`,
  tooLong: (max: number) => `Je bericht is te lang (maximaal ${max} tekens).`,
};

type Texts = typeof nl;

const en: Texts = {
  title: "Chat with us",
  open: "Open chat",
  close: "Close chat",
  unread: (n) => (n === 1 ? "1 new message" : `${n} new messages`),
  placeholder: "Type your message…",
  inputLabel: "Your message",
  send: "Send",
  hint: "Enter sends, Shift+Enter for a new line",
  empty: "Ask your question: we answer as soon as we can.",
  stateNone: "We are happy to help",
  stateBot: "Our assistant answers; no agent is available right now",
  stateQueued: "Waiting for an agent…",
  stateAssigned: (name) => `${name} is helping you`,
  stateClosed: "This chat was closed. Write again to reopen it.",
  connecting: "Connecting…",
  reconnecting: "Connection lost, reconnecting…",
  unavailable: "Chat is not available on this site.",
  typing: (name) => `${name} is typing…`,
  sending: "Sending…",
  sent: "Sent",
  read: "Read",
  failed: "Not sent",
  you: "You",
  agent: "Agent",
  bot: "Assistant",
  system: "Loket",
  newMessage: (who, text) => `${who}: ${text}`,
  tooLong: (max) => `Your message is too long (at most ${max} characters).`,
};

export const TEXTS: Record<Locale, Texts> = { nl, en };
export type { Texts };

export function asLocale(value: string | null | undefined): Locale | null {
  const base = (value ?? "").trim().toLowerCase().slice(0, 2);
  return base === "nl" || base === "en" ? base : null;
}

/** The page's language, else the browser's; English when neither is Dutch or English. */
export function pageLocale(): Locale {
  return (
    asLocale(document.documentElement.getAttribute("lang")) ??
    asLocale(typeof navigator !== "undefined" ? navigator.language : null) ??
    "en"
  );
}
