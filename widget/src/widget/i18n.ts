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
  unavailableHelp: "Vanaf deze pagina kun je geen berichten sturen. Neem op een andere manier contact op met de winkel.",
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
  queue: (position: number, minutes: number) =>
    `Je bent nummer ${position} in de rij, ongeveer ${minutes} ${minutes === 1 ? "minuut" : "minuten"}`,
  person: "Praat met een medewerker",
  leave: "Laat een vraag achter",
  leaveTitle: "Laat je vraag achter",
  leaveIntro: "We antwoorden zodra we er weer zijn. Laat je e-mailadres of telefoonnummer achter.",
  question: "Je vraag",
  email: "E-mailadres",
  phone: "Telefoonnummer",
  sendQuestion: "Vraag versturen",
  cancel: "Annuleren",
  needQuestion: "Typ je vraag.",
  needContact: "Vul een e-mailadres of telefoonnummer in.",
  badEmail: "Dit e-mailadres klopt niet.",
  badPhone: "Dit telefoonnummer klopt niet.",
  helpedAsk: "Heeft dit je geholpen?",
  helped: "Ja, dit hielp",
  notHelped: "Nee, dit hielp niet",
  thanksFeedback: "Bedankt voor je reactie.",
  rateTitle: "Hoe vond je dit gesprek?",
  star: (n: number) => (n === 1 ? "1 ster" : `${n} sterren`),
  comment: "Opmerking (niet verplicht)",
  sendRating: "Beoordeling versturen",
  skip: "Overslaan",
  needRating: "Kies eerst 1 tot 5 sterren.",
  thanksRating: "Bedankt voor je beoordeling!",
  dismiss: "Sluiten",
  tryAgain: "Dat lukte niet, probeer het opnieuw.",
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
  unavailableHelp: "Messages cannot be sent from this page. Please contact the shop another way.",
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
  queue: (position, minutes) =>
    `You're number ${position} in line, about ${minutes} ${minutes === 1 ? "minute" : "minutes"}`,
  person: "Talk to a person",
  leave: "Leave a question",
  leaveTitle: "Leave your question",
  leaveIntro: "We answer as soon as we're back. Leave your e-mail address or phone number.",
  question: "Your question",
  email: "E-mail address",
  phone: "Phone number",
  sendQuestion: "Send question",
  cancel: "Cancel",
  needQuestion: "Type your question.",
  needContact: "Enter an e-mail address or a phone number.",
  badEmail: "This e-mail address is not valid.",
  badPhone: "This phone number is not valid.",
  helpedAsk: "Did this help?",
  helped: "Yes, this helped",
  notHelped: "No, this didn't help",
  thanksFeedback: "Thanks for your feedback.",
  rateTitle: "How was this chat?",
  star: (n) => (n === 1 ? "1 star" : `${n} stars`),
  comment: "Comment (optional)",
  sendRating: "Send rating",
  skip: "Skip",
  needRating: "Choose 1 to 5 stars first.",
  thanksRating: "Thanks for your rating!",
  dismiss: "Dismiss",
  tryAgain: "That didn't work, please try again.",
};

export const TEXTS: Record<Locale, Texts> = { nl, en };
export type { Texts };

export function asLocale(value: string | null | undefined): Locale | null {
  const base = (value ?? "").trim().toLowerCase().slice(0, 2);
  return base === "nl" || base === "en" ? base : null;
}

const LANGUAGE_TAG = /^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,4}$/;

/** Whether `value` is a language tag as browsers state them ("nl", "en-GB", "de_AT"). */
export function isLanguageTag(value: unknown): value is string {
  return typeof value === "string" && LANGUAGE_TAG.test(value);
}

/**
 * The shopper's language as the page or the browser states it ("de-DE"), sent to Loket so the
 * bot searches that language's FAQ entries first; null when neither states one.
 */
export function pageLanguage(): string | null {
  const candidates = [
    document.documentElement.getAttribute("lang"),
    typeof navigator !== "undefined" ? navigator.language : null,
  ];
  for (const candidate of candidates) {
    const tag = candidate?.trim();
    if (isLanguageTag(tag)) return tag;
  }
  return null;
}

/** The page's language, else the browser's; English when neither is Dutch or English. */
export function pageLocale(): Locale {
  return (
    asLocale(document.documentElement.getAttribute("lang")) ??
    asLocale(typeof navigator !== "undefined" ? navigator.language : null) ??
    "en"
  );
}
