/**
 * The embeddable chat widget: `<script src="https://chat.example-shop.nl/widget.js" async>`.
 *
 * One idempotent global `Loket(command, ...args)`; commands called before this script ran
 * wait in `Loket.q` (the snippet in docs/widget.md) and are replayed in order.
 */
import { Chat } from "./widget/chat";

interface LoketGlobal {
  (...args: unknown[]): void;
  q?: ArrayLike<unknown>[];
  __loaded?: boolean;
}

(() => {
  const w = window as unknown as { Loket?: LoketGlobal };
  const existing = w.Loket;
  if (existing && existing.__loaded) return;
  const src = scriptSource();
  if (!src) {
    console.warn("Loket: cannot tell where widget.js was loaded from");
    return;
  }
  const url = new URL(src, location.href);
  // Served under a path prefix? Socket.IO lives beside widget.js.
  const prefix = url.pathname.replace(/\/widget\.js$/, "");
  const chat = new Chat(url.origin, prefix + "/socket.io/");
  const queued = existing && existing.q ? Array.from(existing.q) : [];
  const api: LoketGlobal = (...args: unknown[]) => chat.command(args);
  api.__loaded = true;
  w.Loket = api;
  for (const args of queued) chat.command(Array.from(args));
  if (document.body) chat.mount();
  else document.addEventListener("DOMContentLoaded", () => chat.mount(), { once: true });
})();

function scriptSource(): string | null {
  const current = document.currentScript as HTMLScriptElement | null;
  if (current && current.src) return current.src;
  const scripts = document.querySelectorAll<HTMLScriptElement>("script[src]");
  for (let i = scripts.length - 1; i >= 0; i--) {
    if (/\/widget\.js(\?|#|$)/.test(scripts[i].src)) return scripts[i].src;
  }
  return null;
}
