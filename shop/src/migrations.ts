/**
 * Schema migrations and the demo catalogue. Idempotent, and safe when several instances start at
 * once: a session-level advisory lock serialises them, and `schema_migrations` records what ran.
 */
import { Client, type ClientConfig } from 'pg';
import { KOREAN_CATALOGUE } from './catalogue-data';

/** Arbitrary, fixed advisory lock key for the shop's migrations. */
export const MIGRATION_LOCK_KEY = 7_346_201_905;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const DEMO_PRODUCTS: {
  id: number;
  name: string;
  description: string;
  priceCents: number;
  stock: number;
}[] = [
  {
    id: 1,
    name: 'Ceramic Pour-Over Dripper',
    description: 'Hand-glazed dripper for one or two cups.',
    priceCents: 2800,
    stock: 1000,
  },
  {
    id: 2,
    name: 'Single-Origin Coffee Beans 500 g',
    description: 'Washed Ethiopian beans, medium roast.',
    priceCents: 1900,
    stock: 1000,
  },
  {
    id: 3,
    name: 'Gooseneck Kettle',
    description: 'Stainless steel, 0.9 l, precise pour.',
    priceCents: 4500,
    stock: 1000,
  },
  {
    id: 4,
    name: 'Burr Grinder',
    description: 'Conical steel burrs, 40 grind settings.',
    priceCents: 8900,
    stock: 1000,
  },
  {
    id: 5,
    name: 'Paper Filters (100)',
    description: 'Unbleached cone filters, size 02.',
    priceCents: 600,
    stock: 1000,
  },
  {
    id: 6,
    name: 'Glass Server 600 ml',
    description: 'Heat-resistant borosilicate glass.',
    priceCents: 2200,
    stock: 1000,
  },
  {
    id: 7,
    name: 'Digital Scale',
    description: 'Scale with timer, 0.1 g resolution.',
    priceCents: 3400,
    stock: 1000,
  },
  { id: 8, name: 'Stoneware Mug', description: 'Speckled glaze, 350 ml.', priceCents: 1500, stock: 1000 },
  {
    id: 9,
    name: 'Green Tea Sampler',
    description: 'Five Korean and Japanese green teas.',
    priceCents: 2400,
    stock: 1000,
  },
  {
    id: 10,
    name: 'Cold Brew Bottle',
    description: 'One litre, with fine mesh filter.',
    priceCents: 2700,
    stock: 1000,
  },
  {
    id: 11,
    name: 'Canvas Tote Bag',
    description: 'Sturdy cotton tote with the shop logo.',
    priceCents: 1200,
    stock: 1000,
  },
  {
    id: 12,
    name: 'Gift Card 50,000 KRW',
    description: 'Delivered by e-mail, valid for five years.',
    priceCents: 5000,
    stock: 100000,
  },
];

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE IF NOT EXISTS products (
        id integer PRIMARY KEY,
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        price_cents integer NOT NULL CHECK (price_cents >= 0),
        stock integer NOT NULL CHECK (stock >= 0),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE IF NOT EXISTS carts (
        id uuid PRIMARY KEY,
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'checked_out')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE IF NOT EXISTS cart_items (
        cart_id uuid NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
        product_id integer NOT NULL REFERENCES products (id),
        quantity integer NOT NULL CHECK (quantity > 0),
        PRIMARY KEY (cart_id, product_id)
      );
      CREATE TABLE IF NOT EXISTS orders (
        id uuid PRIMARY KEY,
        cart_id uuid NOT NULL UNIQUE REFERENCES carts (id),
        status text NOT NULL,
        total_cents bigint NOT NULL,
        region text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE IF NOT EXISTS order_items (
        order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
        product_id integer NOT NULL REFERENCES products (id),
        quantity integer NOT NULL CHECK (quantity > 0),
        price_cents integer NOT NULL,
        PRIMARY KEY (order_id, product_id)
      );
      CREATE INDEX IF NOT EXISTS carts_status_updated_idx ON carts (status, updated_at);
    `,
  },
  {
    version: 2,
    name: 'demo catalogue',
    sql:
      'INSERT INTO products (id, name, description, price_cents, stock) VALUES ' +
      DEMO_PRODUCTS.map(
        (p) => `(${p.id}, ${quote(p.name)}, ${quote(p.description)}, ${p.priceCents}, ${p.stock})`,
      ).join(', ') +
      ' ON CONFLICT (id) DO NOTHING',
  },
  {
    version: 3,
    name: 'checkout idempotency keys and writer fence',
    // checkout_keys: one row per idempotency key, inserted in the order's own transaction, so a
    // retried or double-clicked checkout finds the original order instead of placing a second one.
    // writer_fence: one row naming the region allowed to take orders and its epoch; the promotion
    // procedure raises the epoch (see shop/README.md "Fencing").
    sql: `
      CREATE TABLE IF NOT EXISTS checkout_keys (
        key text PRIMARY KEY CHECK (length(key) BETWEEN 8 AND 200),
        cart_id uuid NOT NULL,
        order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE IF NOT EXISTS writer_fence (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        epoch bigint NOT NULL CHECK (epoch > 0),
        writer_region text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 4,
    name: 'drill orders',
    // Orders placed by shopctl drill's probe customer (header x-shop-drill): real orders on the real
    // write path, marked so that fulfilment leaves them out and so that only they can be read back by
    // idempotency key. A constant default adds the column without rewriting the table (PostgreSQL 11+).
    sql: 'ALTER TABLE orders ADD COLUMN IF NOT EXISTS drill boolean NOT NULL DEFAULT false',
  },
  {
    version: 5,
    name: 'payments',
    // One row per payment attempt, written and committed before the provider is called, with the
    // idempotency key the provider gets (shop/src/payments/store.ts; docs/payments.md "Exactly once").
    // The partial unique indexes are the last line of defence: one approved attempt per order, one
    // attempt in flight (confirming or unknown) per order, one attempt per provider payment key.
    sql: `
      ALTER TABLE orders ADD COLUMN IF NOT EXISTS payment_method text;
      ALTER TABLE orders ADD COLUMN IF NOT EXISTS payment_due_at timestamptz;
      CREATE TABLE IF NOT EXISTS payment_attempts (
        id uuid PRIMARY KEY,
        order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
        provider text NOT NULL,
        method text NOT NULL,
        amount bigint NOT NULL CHECK (amount >= 0),
        idempotency_key text NOT NULL UNIQUE,
        status text NOT NULL CHECK (status IN
          ('started', 'confirming', 'unknown', 'approved', 'declined', 'failed', 'abandoned', 'duplicate', 'refunded')),
        provider_ref text,
        failure_code text,
        failure_message text,
        recheck_until timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX IF NOT EXISTS payment_attempts_one_approved ON payment_attempts (order_id) WHERE status = 'approved';
      CREATE UNIQUE INDEX IF NOT EXISTS payment_attempts_one_in_flight ON payment_attempts (order_id) WHERE status IN ('confirming', 'unknown');
      CREATE UNIQUE INDEX IF NOT EXISTS payment_attempts_provider_ref ON payment_attempts (provider, provider_ref) WHERE provider_ref IS NOT NULL;
      CREATE INDEX IF NOT EXISTS payment_attempts_open_idx ON payment_attempts (status, updated_at) WHERE status IN ('confirming', 'unknown', 'duplicate');
      CREATE TABLE IF NOT EXISTS payment_events (
        id bigserial PRIMARY KEY,
        attempt_id uuid REFERENCES payment_attempts (id) ON DELETE CASCADE,
        order_id uuid,
        kind text NOT NULL,
        detail jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 6,
    name: 'Korean catalogue, prices in whole won',
    // KRW has no minor unit: price_cents holds whole won. The demo rows of migration 2 held a tenth
    // of their won price (the gift card named 50,000 KRW cost 5,000). Only rows still as migration 2
    // wrote them are changed, so a price or a name an operator set is kept. The Korean texts are
    // columns of their own; pages fall back to the English ones where they are empty.
    sql:
      'ALTER TABLE products ADD COLUMN IF NOT EXISTS name_ko text, ADD COLUMN IF NOT EXISTS description_ko text;\n' +
      KOREAN_CATALOGUE.map(
        (p) =>
          `UPDATE products SET price_cents = ${p.priceCents} WHERE id = ${p.id} AND price_cents = ${p.legacyPriceCents};\n` +
          `UPDATE products SET name = ${quote(p.name)} WHERE id = ${p.id} AND name = ${quote(p.legacyName)};\n` +
          `UPDATE products SET name_ko = ${quote(p.nameKo)}, description_ko = ${quote(p.descriptionKo)} WHERE id = ${p.id} AND name_ko IS NULL;`,
      ).join('\n'),
  },
  {
    version: 7,
    name: 'order contacts and the notice outbox',
    // order_contacts: what a notice needs and nothing more (a phone and/or an e-mail, the language,
    // the consent given), erased at erase_after (docs/notifications.md "Retention").
    // notices: the outbox, written in the same transaction as the order or payment change it tells
    // about (shop/src/notify/outbox.ts); (order_id, kind, dedupe) makes each notice exactly one row.
    // notice_attempts: one row per channel try, committed as 'sending' BEFORE the provider is called;
    // the partial unique index allows one possibly-delivered try per notice and channel, so the
    // database itself refuses a second send on a channel (docs/notifications.md "At most once").
    sql: `
      CREATE TABLE IF NOT EXISTS order_contacts (
        order_id uuid PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
        phone text CHECK (phone ~ '^01[016789][0-9]{7,8}$'),
        email text CHECK (length(email) <= 254),
        lang text NOT NULL CHECK (lang IN ('ko', 'en')),
        consent_version text NOT NULL,
        consented_at timestamptz NOT NULL DEFAULT now(),
        erase_after timestamptz NOT NULL,
        CHECK (phone IS NOT NULL OR email IS NOT NULL)
      );
      CREATE INDEX IF NOT EXISTS order_contacts_erase_idx ON order_contacts (erase_after);
      CREATE TABLE IF NOT EXISTS notices (
        id bigserial PRIMARY KEY,
        order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
        kind text NOT NULL,
        dedupe text NOT NULL DEFAULT '',
        detail jsonb NOT NULL DEFAULT '{}',
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'undeliverable')),
        channel text,
        next_at timestamptz NOT NULL DEFAULT now(),
        lease_until timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        UNIQUE (order_id, kind, dedupe)
      );
      CREATE INDEX IF NOT EXISTS notices_open_idx ON notices (next_at) WHERE status IN ('pending', 'sending');
      CREATE TABLE IF NOT EXISTS notice_attempts (
        id uuid PRIMARY KEY,
        notice_id bigint NOT NULL REFERENCES notices (id) ON DELETE CASCADE,
        channel text NOT NULL,
        status text NOT NULL CHECK (status IN ('sending', 'sent', 'refused', 'unknown')),
        provider_ref text,
        error text,
        started_at timestamptz NOT NULL,
        finished_at timestamptz
      );
      CREATE UNIQUE INDEX IF NOT EXISTS notice_attempts_once_per_channel ON notice_attempts (notice_id, channel) WHERE status <> 'refused';
    `,
  },
  {
    version: 8,
    name: 'notice delivery reports',
    // What the provider said after it accepted a send (shop/src/notify/dispatcher.ts "delivery
    // reports"): 'accepted' (no result yet), then 'delivered', 'failed' (delivery_code = the
    // provider's result code) or 'unknown' (no final result by delivery_due). delivery_check_at is
    // when the next look-up is due; NULL for channels that offer none (SES: accepted is final).
    sql: `
      ALTER TABLE notice_attempts
        ADD COLUMN IF NOT EXISTS delivery text CHECK (delivery IN ('accepted', 'delivered', 'failed', 'unknown')),
        ADD COLUMN IF NOT EXISTS delivery_code text,
        ADD COLUMN IF NOT EXISTS delivery_due timestamptz,
        ADD COLUMN IF NOT EXISTS delivery_check_at timestamptz,
        ADD COLUMN IF NOT EXISTS delivery_at timestamptz;
      CREATE INDEX IF NOT EXISTS notice_attempts_report_due_idx ON notice_attempts (delivery_check_at) WHERE delivery = 'accepted';
    `,
  },
];

function quote(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * Applies pending migrations on the writer and returns the versions this call applied (empty when
 * another instance got there first). Uses its own connection with generous timeouts.
 */
export async function migrate(config: ClientConfig, migrations: Migration[] = MIGRATIONS): Promise<number[]> {
  const client = new Client({ ...config, statement_timeout: 120_000, query_timeout: 130_000 });
  client.on('error', () => {
    /* reported through the failing query */
  });
  await client.connect();
  const applied: number[] = [];
  try {
    await client.query('SET lock_timeout = 60000');
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const done = new Set(
        (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map(
          (r) => r.version,
        ),
      );
      for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
        if (done.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
            m.version,
            m.name,
          ]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
        applied.push(m.version);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  return applied;
}
