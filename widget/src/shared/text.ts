/** Message text into the DOM: always as text nodes; http(s) links as safe anchors. */

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+/gi;
// Punctuation that usually ends the sentence rather than the link.
const TRAILING = /[.,;:!?)\]}'"]+$/;

export function renderText(target: HTMLElement, text: string): void {
  target.textContent = "";
  let last = 0;
  URL_PATTERN.lastIndex = 0;
  for (let found = URL_PATTERN.exec(text); found; found = URL_PATTERN.exec(text)) {
    let raw = found[0];
    const trail = TRAILING.exec(raw);
    if (trail) raw = raw.slice(0, raw.length - trail[0].length);
    const href = safeHref(raw);
    if (!href) continue;
    if (found.index > last) target.append(text.slice(last, found.index));
    const a = document.createElement("a");
    a.href = href;
    a.rel = "noopener noreferrer";
    a.target = "_blank";
    a.textContent = raw;
    target.append(a);
    last = found.index + raw.length;
  }
  if (last < text.length) target.append(text.slice(last));
}

function safeHref(raw: string): string | null {
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/** At most `max` UTF-16 units of `value`, never ending in half of a character (an emoji is
 * two units: cut between them, the rest is no text the server can store). */
export function clip(value: string, max: number): string {
  if (value.length <= max) return value;
  const last = value.charCodeAt(max - 1);
  const end = last >= 0xd800 && last <= 0xdbff ? max - 1 : max;
  return value.slice(0, end);
}

/** The length of a message as the server counts it against its limit: characters (code
 * points, so an emoji counts once) of the text without leading and trailing white space. */
export function textLength(text: string): number {
  return Array.from(text.trim()).length;
}

/** `value` without bidi embeddings, overrides and isolates, which phones put around the
 * numbers they copy; the server takes them out of every text too. */
/** Whether `value` shows nothing: white space, zero-width characters and direction marks
 * alone (the server refuses such a message as empty; see `is_blank` in loket/plaintext.py). */
export function isBlank(value: string): boolean {
  return /^[\s\u200b-\u200f\u2060\ufeff\u00ad\u180e\u034f\u061c\u202a-\u202e\u2066-\u2069\u115f\u1160\u3164\uffa0\u2800]*$/.test(
    value,
  );
}

export function withoutDirection(value: string): string {
  return value.replace(/[\u202a-\u202e\u2066-\u2069]/g, "");
}
