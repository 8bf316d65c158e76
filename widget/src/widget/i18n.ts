/** The widget's texts in Dutch, English, German and French. */

export type Locale = "nl" | "en" | "de" | "fr";

const nl = {
  title: "Chat met ons",
  open: "Chat openen",
  close: "Chat sluiten",
  unread: (n: number) => (n === 1 ? "1 nieuw bericht" : `${n} nieuwe berichten`),
  newBelow: "Nieuwe berichten ↓",
  placeholder: "Typ je bericht…",
  inputLabel: "Je bericht",
  send: "Versturen",
  hint: "Enter verstuurt, Shift+Enter voor een nieuwe regel",
  empty: "Stel je vraag: we antwoorden zo snel mogelijk.",
  stateNone: "We helpen je graag",
  stateBot: "Onze assistent antwoordt",
  stateBotPeople: "Onze assistent antwoordt; je kunt ook met een medewerker praten",
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
  system: "Melding",
  newMessage: (who: string, text: string) => `${who}: ${text}`,
  tooLong: (max: number, count: number) => `Je bericht is te lang: ${count} tekens, maximaal ${max}.`,
  queue: (position: number, minutes: number) =>
    `Je bent nummer ${position} in de rij, ongeveer ${minutes} ${minutes === 1 ? "minuut" : "minuten"}`,
  queuePlace: (position: number) => `Je bent nummer ${position} in de rij`,
  yourTime: (text: string, clock: string) => `${text} (${clock} bij jou)`,
  yourTimeOn: (text: string, day: string, clock: string) => `${text} (${day} ${clock} bij jou)`,
  today: "vandaag",
  tomorrow: "morgen",
  dateLocale: "nl-NL",
  queueLong: (position: number) =>
    `Je bent nummer ${position} in de rij. Het kan lang duren; je kunt ook je vraag achterlaten.`,
  person: "Praat met een medewerker",
  leave: "Laat een vraag achter",
  leaveTitle: "Laat je vraag achter",
  leaveIntro: "Een collega antwoordt zo snel mogelijk. Laat je e-mailadres of telefoonnummer achter.",
  question: "Je vraag",
  email: "E-mailadres",
  phone: "Telefoonnummer",
  sendQuestion: "Vraag versturen",
  cancel: "Annuleren",
  needQuestion: "Typ je vraag.",
  needContact: "Vul een e-mailadres of telefoonnummer in.",
  badEmail: "Dit e-mailadres klopt niet.",
  badPhone: "Dit telefoonnummer klopt niet: vul minstens 7 cijfers in (spaties en + ( ) - mogen).",
  badText: "Je bericht bevat tekens die niet verstuurd kunnen worden.",
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
  newBelow: "New messages ↓",
  placeholder: "Type your message…",
  inputLabel: "Your message",
  send: "Send",
  hint: "Enter sends, Shift+Enter for a new line",
  empty: "Ask your question: we answer as soon as we can.",
  stateNone: "We are happy to help",
  stateBot: "Our assistant answers",
  stateBotPeople: "Our assistant answers; you can also talk to a person",
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
  system: "Notice",
  newMessage: (who, text) => `${who}: ${text}`,
  tooLong: (max, count) => `Your message is too long: ${count} characters, at most ${max}.`,
  queue: (position, minutes) =>
    `You're number ${position} in line, about ${minutes} ${minutes === 1 ? "minute" : "minutes"}`,
  queuePlace: (position) => `You're number ${position} in line`,
  yourTime: (text, clock) => `${text} (${clock} your time)`,
  yourTimeOn: (text, day, clock) => `${text} (${day} ${clock} your time)`,
  today: "today",
  tomorrow: "tomorrow",
  dateLocale: "en-GB",
  queueLong: (position) =>
    `You're number ${position} in line. It may take a long time; you can also leave your question.`,
  person: "Talk to a person",
  leave: "Leave a question",
  leaveTitle: "Leave your question",
  leaveIntro: "A colleague answers as soon as possible. Leave your e-mail address or phone number.",
  question: "Your question",
  email: "E-mail address",
  phone: "Phone number",
  sendQuestion: "Send question",
  cancel: "Cancel",
  needQuestion: "Type your question.",
  needContact: "Enter an e-mail address or a phone number.",
  badEmail: "This e-mail address is not valid.",
  badPhone: "This phone number is not valid: write at least 7 digits (spaces and + ( ) - are fine).",
  badText: "Your message holds characters that cannot be sent.",
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

const de: Texts = {
  title: "Chatte mit uns",
  open: "Chat öffnen",
  close: "Chat schließen",
  unread: (n) => (n === 1 ? "1 neue Nachricht" : `${n} neue Nachrichten`),
  newBelow: "Neue Nachrichten ↓",
  placeholder: "Schreib deine Nachricht…",
  inputLabel: "Deine Nachricht",
  send: "Senden",
  hint: "Enter sendet, Umschalt+Enter für eine neue Zeile",
  empty: "Stell deine Frage: Wir antworten so schnell wie möglich.",
  stateNone: "Wir helfen dir gern",
  stateBot: "Unser Assistent antwortet",
  stateBotPeople: "Unser Assistent antwortet; du kannst auch mit einem Mitarbeiter sprechen",
  stateQueued: "Du wartest auf einen Mitarbeiter…",
  stateAssigned: (name) => `${name} hilft dir`,
  stateClosed: "Dieser Chat wurde beendet. Schreib erneut, um ihn wieder zu öffnen.",
  connecting: "Verbinden…",
  reconnecting: "Verbindung unterbrochen, neuer Versuch…",
  unavailable: "Der Chat ist auf dieser Website nicht verfügbar.",
  unavailableHelp: "Von dieser Seite aus können keine Nachrichten gesendet werden. Bitte kontaktiere den Shop auf anderem Weg.",
  typing: (name) => `${name} schreibt…`,
  sending: "Wird gesendet…",
  sent: "Gesendet",
  read: "Gelesen",
  failed: "Nicht gesendet",
  you: "Du",
  agent: "Mitarbeiter",
  bot: "Assistent",
  system: "Hinweis",
  newMessage: (who, text) => `${who}: ${text}`,
  tooLong: (max, count) => `Deine Nachricht ist zu lang: ${count} Zeichen, höchstens ${max}.`,
  queue: (position, minutes) =>
    `Du bist Nummer ${position} in der Warteschlange, etwa ${minutes} ${minutes === 1 ? "Minute" : "Minuten"}`,
  queuePlace: (position) => `Du bist Nummer ${position} in der Warteschlange`,
  yourTime: (text, clock) => `${text} (${clock} Uhr bei dir)`,
  yourTimeOn: (text, day, clock) => `${text} (${day} ${clock} Uhr bei dir)`,
  today: "heute",
  tomorrow: "morgen",
  dateLocale: "de-DE",
  queueLong: (position) =>
    `Du bist Nummer ${position} in der Warteschlange. Es kann lange dauern; du kannst auch deine Frage hinterlassen.`,
  person: "Mit einem Mitarbeiter sprechen",
  leave: "Frage hinterlassen",
  leaveTitle: "Hinterlass deine Frage",
  leaveIntro: "Ein Kollege antwortet so schnell wie möglich. Hinterlass deine E-Mail-Adresse oder Telefonnummer.",
  question: "Deine Frage",
  email: "E-Mail-Adresse",
  phone: "Telefonnummer",
  sendQuestion: "Frage senden",
  cancel: "Abbrechen",
  needQuestion: "Schreib deine Frage.",
  needContact: "Gib eine E-Mail-Adresse oder eine Telefonnummer an.",
  badEmail: "Diese E-Mail-Adresse ist ungültig.",
  badPhone: "Diese Telefonnummer ist ungültig: mindestens 7 Ziffern (Leerzeichen und + ( ) - gehen).",
  badText: "Deine Nachricht enthält Zeichen, die nicht gesendet werden können.",
  helpedAsk: "Hat dir das geholfen?",
  helped: "Ja, das hat geholfen",
  notHelped: "Nein, das hat nicht geholfen",
  thanksFeedback: "Danke für deine Rückmeldung.",
  rateTitle: "Wie fandest du diesen Chat?",
  star: (n) => (n === 1 ? "1 Stern" : `${n} Sterne`),
  comment: "Kommentar (optional)",
  sendRating: "Bewertung senden",
  skip: "Überspringen",
  needRating: "Wähle zuerst 1 bis 5 Sterne.",
  thanksRating: "Danke für deine Bewertung!",
  dismiss: "Schließen",
  tryAgain: "Das hat nicht geklappt, bitte versuch es noch einmal.",
};

/* French puts a space before "?", "!", ":" and ";": here always a no-break space (U+00A0),
 * so that the sign never wraps onto a line of its own. */
const fr: Texts = {
  title: "Discutez avec nous",
  open: "Ouvrir le chat",
  close: "Fermer le chat",
  unread: (n) => (n === 1 ? "1 nouveau message" : `${n} nouveaux messages`),
  newBelow: "Nouveaux messages ↓",
  placeholder: "Écrivez votre message…",
  inputLabel: "Votre message",
  send: "Envoyer",
  hint: "Entrée pour envoyer, Maj+Entrée pour aller à la ligne",
  empty: "Posez votre question : nous vous répondons dès que possible.",
  stateNone: "Nous sommes là pour vous aider",
  stateBot: "Notre assistant vous répond",
  stateBotPeople: "Notre assistant vous répond ; vous pouvez aussi parler à un conseiller",
  stateQueued: "En attente d'un conseiller…",
  stateAssigned: (name) => `${name} s'occupe de vous`,
  stateClosed: "Cette conversation a été fermée. Écrivez à nouveau pour la rouvrir.",
  connecting: "Connexion…",
  reconnecting: "Connexion perdue, reconnexion…",
  unavailable: "Le chat n'est pas disponible sur ce site.",
  unavailableHelp: "Impossible d'envoyer des messages depuis cette page. Veuillez contacter la boutique par un autre moyen.",
  typing: (name) => `${name} écrit…`,
  sending: "Envoi en cours…",
  sent: "Envoyé",
  read: "Lu",
  failed: "Non envoyé",
  you: "Vous",
  agent: "Conseiller",
  bot: "Assistant",
  system: "Information",
  newMessage: (who, text) => `${who} : ${text}`,
  tooLong: (max, count) => `Votre message est trop long : ${count} caractères, ${max} au maximum.`,
  queue: (position, minutes) =>
    `Vous êtes le numéro ${position} dans la file d'attente, environ ${minutes} ${minutes === 1 ? "minute" : "minutes"}`,
  queuePlace: (position) => `Vous êtes le numéro ${position} dans la file d'attente`,
  yourTime: (text, clock) => `${text} (${clock} chez vous)`,
  yourTimeOn: (text, day, clock) => `${text} (${day} à ${clock} chez vous)`,
  today: "aujourd'hui",
  tomorrow: "demain",
  dateLocale: "fr-FR",
  queueLong: (position) =>
    `Vous êtes le numéro ${position} dans la file d'attente. L'attente peut être longue ; vous pouvez aussi nous laisser votre question.`,
  person: "Parler à un conseiller",
  leave: "Laisser une question",
  leaveTitle: "Laissez-nous votre question",
  leaveIntro: "Un conseiller vous répond dès que possible. Laissez-nous votre adresse e-mail ou votre numéro de téléphone.",
  question: "Votre question",
  email: "Adresse e-mail",
  phone: "Numéro de téléphone",
  sendQuestion: "Envoyer la question",
  cancel: "Annuler",
  needQuestion: "Écrivez votre question.",
  needContact: "Indiquez une adresse e-mail ou un numéro de téléphone.",
  badEmail: "Cette adresse e-mail n'est pas valide.",
  badPhone: "Ce numéro de téléphone n'est pas valide : indiquez au moins 7 chiffres (espaces et + ( ) - acceptés).",
  badText: "Votre message contient des caractères qui ne peuvent pas être envoyés.",
  helpedAsk: "Cette réponse vous a-t-elle aidé ?",
  helped: "Oui, cela m'a aidé",
  notHelped: "Non, cela ne m'a pas aidé",
  thanksFeedback: "Merci pour votre retour.",
  rateTitle: "Comment s'est passée cette conversation ?",
  star: (n) => (n === 1 ? "1 étoile" : `${n} étoiles`),
  comment: "Commentaire (facultatif)",
  sendRating: "Envoyer l'évaluation",
  skip: "Passer",
  needRating: "Choisissez d'abord de 1 à 5 étoiles.",
  thanksRating: "Merci pour votre évaluation !",
  dismiss: "Fermer",
  tryAgain: "Cela n'a pas fonctionné, veuillez réessayer.",
};

/** German for shops that address shoppers formally ("Sie", config `widget.formal`): what differs. */
const deFormal: Partial<Texts> = {
  title: "Chatten Sie mit uns",
  placeholder: "Schreiben Sie Ihre Nachricht…",
  inputLabel: "Ihre Nachricht",
  empty: "Stellen Sie Ihre Frage: Wir antworten so schnell wie möglich.",
  stateNone: "Wir helfen Ihnen gern",
  stateBotPeople: "Unser Assistent antwortet; Sie können auch mit einem Mitarbeiter sprechen",
  stateQueued: "Sie warten auf einen Mitarbeiter…",
  stateAssigned: (name) => `${name} hilft Ihnen`,
  stateClosed: "Dieser Chat wurde beendet. Schreiben Sie erneut, um ihn wieder zu öffnen.",
  unavailableHelp: "Von dieser Seite aus können keine Nachrichten gesendet werden. Bitte kontaktieren Sie den Shop auf anderem Weg.",
  you: "Sie",
  tooLong: (max, count) => `Ihre Nachricht ist zu lang: ${count} Zeichen, höchstens ${max}.`,
  queue: (position, minutes) =>
    `Sie sind Nummer ${position} in der Warteschlange, etwa ${minutes} ${minutes === 1 ? "Minute" : "Minuten"}`,
  queuePlace: (position) => `Sie sind Nummer ${position} in der Warteschlange`,
  yourTime: (text, clock) => `${text} (${clock} Uhr bei Ihnen)`,
  yourTimeOn: (text, day, clock) => `${text} (${day} ${clock} Uhr bei Ihnen)`,
  queueLong: (position) =>
    `Sie sind Nummer ${position} in der Warteschlange. Es kann lange dauern; Sie können auch Ihre Frage hinterlassen.`,
  leaveTitle: "Hinterlassen Sie Ihre Frage",
  leaveIntro: "Ein Kollege antwortet so schnell wie möglich. Hinterlassen Sie Ihre E-Mail-Adresse oder Telefonnummer.",
  question: "Ihre Frage",
  needQuestion: "Schreiben Sie Ihre Frage.",
  needContact: "Geben Sie eine E-Mail-Adresse oder eine Telefonnummer an.",
  badText: "Ihre Nachricht enthält Zeichen, die nicht gesendet werden können.",
  helpedAsk: "Hat Ihnen das geholfen?",
  thanksFeedback: "Danke für Ihre Rückmeldung.",
  rateTitle: "Wie fanden Sie diesen Chat?",
  needRating: "Wählen Sie zuerst 1 bis 5 Sterne.",
  thanksRating: "Danke für Ihre Bewertung!",
  tryAgain: "Das hat nicht geklappt, bitte versuchen Sie es noch einmal.",
};

export const TEXTS: Record<Locale, Texts> = { nl, en, de, fr };

/** The languages that have texts for a formal address, and those texts. */
const FORMAL: Partial<Record<Locale, Texts>> = { de: { ...de, ...deFormal } };

/** The widget's texts in `locale`, formal where the shop asks for it and the language has them. */
export function textsFor(locale: Locale, formal: boolean): Texts {
  return (formal && FORMAL[locale]) || TEXTS[locale];
}
export type { Texts };

/** The language of a tag ("de-AT", "nl_BE", "fr-CH") when Loket speaks it; as Loket reads the tag
 * (`loket.languages.text_language`), so the two never differ ("nld" is none of them). */
export function asLocale(value: string | null | undefined): Locale | null {
  const base = (value ?? "").trim().toLowerCase().split(/[-_]/)[0];
  return base === "nl" || base === "en" || base === "de" || base === "fr" ? base : null;
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

/**
 * The language of the widget's texts: that of the language Loket is told (`pageLanguage`), so
 * the widget and what Loket says speak the same one; English for any language but Dutch,
 * English, German and French (a Spanish page gets English, whatever the browser's language).
 */
export function pageLocale(): Locale {
  return asLocale(pageLanguage()) ?? "en";
}
