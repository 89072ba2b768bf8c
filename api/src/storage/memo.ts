/**
 * Small per-isolate caches in front of D1. A Worker isolate serves many requests, so hot reads (the
 * channel card phones poll, file metadata of immutable versions) skip a D1 round trip. Entries
 * expire after `ttlMs`; the oldest entry is dropped past `maxEntries`.
 */
export interface MemoOptions {
  ttlMs: number;
  maxEntries: number;
}

export class Memo<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();

  constructor(private readonly options: MemoOptions) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V): V {
    this.entries.delete(key);
    this.entries.set(key, { value, expires: Date.now() + this.options.ttlMs });
    if (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return value;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** The cached value, or the loaded one (cached unless `keep` says otherwise). */
  async getOrLoad(key: string, load: () => Promise<V>, keep: (value: V) => boolean = () => true): Promise<V> {
    const cached = this.get(key);
    if (cached !== undefined) return cached;
    const value = await load();
    return keep(value) ? this.set(key, value) : value;
  }
}
