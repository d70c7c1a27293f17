// A per-process cache of database reads that callers want fresh within a TTL (the gateway's
// worker lists, the /v1 API's deployments). An entry past half its TTL is read again in the
// background while it still answers, so a steady stream of requests never waits for the database;
// one past its TTL is read before answering. A failed read is not kept.

interface Entry<V> {
  at: number;
  value: Promise<V>;
  refreshing: boolean;
}

export class RefreshingCache<V> {
  private readonly entries = new Map<string, Entry<V>>();

  constructor(
    private readonly ttlMs: () => number,
    /** Keys kept at most (callers may choose them, unknown ones too); beyond it the cache starts over. */
    private readonly maxEntries = Infinity,
  ) {}

  get(key: string, read: () => Promise<V>): Promise<V> {
    const entry = this.entries.get(key);
    const age = entry ? Date.now() - entry.at : Infinity;
    const ttl = this.ttlMs();
    if (!entry || age >= ttl) return this.read(key, read).value;
    if (age >= ttl / 2 && !entry.refreshing) {
      entry.refreshing = true;
      // Swapped in only once it succeeded: until then the current entry answers.
      const next = this.read(key, read, false);
      next.value.then(
        () => this.entries.set(key, next),
        () => (entry.refreshing = false),
      );
    }
    return entry.value;
  }

  private read(key: string, read: () => Promise<V>, store = true): Entry<V> {
    const entry: Entry<V> = { at: Date.now(), value: read(), refreshing: false };
    if (store) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(key, entry);
    }
    entry.value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return entry;
  }
}
