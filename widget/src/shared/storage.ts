/** localStorage / sessionStorage that never throws: private modes and sandboxes refuse access. */

export interface SafeStore {
  get(key: string): string | null;
  set(key: string, value: string | null): void;
  getJSON<T>(key: string): T | null;
  setJSON(key: string, value: unknown): void;
}

export function safeStorage(kind: "local" | "session"): SafeStore {
  const area = (): Storage | null => {
    try {
      return kind === "local" ? window.localStorage : window.sessionStorage;
    } catch {
      return null;
    }
  };
  const store: SafeStore = {
    get(key) {
      try {
        return area()?.getItem(key) ?? null;
      } catch {
        return null;
      }
    },
    set(key, value) {
      try {
        const s = area();
        if (!s) return;
        if (value === null) s.removeItem(key);
        else s.setItem(key, value);
      } catch {
        // Quota or a refused storage: the feature degrades to this page's memory.
      }
    },
    getJSON<T>(key: string): T | null {
      const raw = store.get(key);
      if (raw === null) return null;
      try {
        return JSON.parse(raw) as T;
      } catch {
        return null;
      }
    },
    setJSON(key, value) {
      store.set(key, JSON.stringify(value));
    },
  };
  return store;
}
