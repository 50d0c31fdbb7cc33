/**
 * In-memory catalogue with a short TTL: served stale while refreshing, and kept through DB outages.
 * Seeded at start from the snapshot on local disk (or the baseline shipped with the artifact), so
 * a restarted instance has a catalogue before the database answers.
 */

export interface Product {
  id: number;
  /** English name (and the fallback of every other language). */
  name: string;
  description: string;
  /** Korean name and description (products.name_ko, description_ko; migration 6). */
  nameKo?: string;
  descriptionKo?: string;
  priceCents: number;
  stock: number;
}

/** The product's name in `lang` (English where no translation exists). */
export const productName = (p: Pick<Product, 'name' | 'nameKo'>, lang: string): string =>
  (lang === 'ko' && p.nameKo) || p.name;

/** The product's description in `lang` (English where no translation exists). */
export const productDescription = (p: Pick<Product, 'description' | 'descriptionKo'>, lang: string): string =>
  (lang === 'ko' && p.descriptionKo) || p.description;

export interface CatalogueSnapshot {
  products: Product[];
  byId: Map<number, Product>;
  loadedAt: number;
  /** Increments with every successful load; lets renderers cache pages per snapshot. */
  generation: number;
  /** Where the products came from: the database, the snapshot on disk, or the shipped baseline. */
  source: 'database' | 'disk' | 'baseline';
}

export class Catalogue {
  private snapshot: CatalogueSnapshot | undefined;
  private loading: Promise<CatalogueSnapshot | undefined> | undefined;
  private generation = 0;
  /** After a failed load, no new attempt before this time (no hammering a database that is down). */
  private retryAt = -Infinity;
  private failing = false;

  constructor(
    private readonly load: () => Promise<Product[]>,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly onError: (err: unknown) => void = () => {},
    private readonly onLoad: (products: Product[]) => void = () => {},
  ) {}

  /** Installs products known from elsewhere (disk, baseline) as a stale snapshot: refreshed at the first read. */
  seed(products: Product[], source: 'disk' | 'baseline'): void {
    if (this.snapshot || products.length === 0) return;
    this.snapshot = {
      products,
      byId: new Map(products.map((p) => [p.id, p])),
      loadedAt: -Infinity,
      generation: ++this.generation,
      source,
    };
  }

  /** The current snapshot; waits for the database only when nothing is cached yet. */
  async get(): Promise<CatalogueSnapshot | undefined> {
    const snap = this.snapshot;
    if (snap) {
      const now = this.now();
      if (now - snap.loadedAt >= this.ttlMs && now >= this.retryAt) void this.refresh();
      return snap;
    }
    if (this.now() < this.retryAt) return this.loading ?? undefined;
    return this.refresh();
  }

  /** Cached snapshot without touching the database. */
  peek(): CatalogueSnapshot | undefined {
    return this.snapshot;
  }

  /** Reloads once at a time; on failure keeps (and returns) the previous snapshot. */
  refresh(): Promise<CatalogueSnapshot | undefined> {
    if (this.loading) return this.loading;
    this.loading = (async () => {
      try {
        const products = await this.load();
        this.snapshot = {
          products,
          byId: new Map(products.map((p) => [p.id, p])),
          loadedAt: this.now(),
          generation: ++this.generation,
          source: 'database',
        };
        this.onLoad(products);
        this.failing = false;
        this.retryAt = -Infinity;
      } catch (err) {
        this.retryAt = this.now() + Math.min(this.ttlMs, 1000);
        // Report the first failure of a streak only.
        if (!this.failing) this.onError(err);
        this.failing = true;
      }
      return this.snapshot;
    })().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  /** Marks the snapshot stale (e.g. after stock changed) so the next read refreshes in the background. */
  invalidate(): void {
    if (this.snapshot) this.snapshot = { ...this.snapshot, loadedAt: -Infinity };
  }
}
