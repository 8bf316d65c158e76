/** How the console words times, waits and shoppers. */
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

export const STATE_LABEL: Record<State, string> = {
  bot: "with the bot",
  queued: "waiting for an agent",
  assigned: "assigned",
  closed: "closed",
};
