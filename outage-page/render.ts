import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ShopConfig } from '../lib/config/load';
import { contactsIn, type Language } from '../lib/contract/contacts';
import { statusSchema, type Status } from '../lib/contract/status';

/** Upper bound for all files of the outage page together (bytes, UTF-8). */
export const PAGE_SIZE_LIMIT = 50 * 1024;

/** Where the page fetches the live notice from; the incident CLI writes this key, deploys never do. */
export const STATUS_PATH = 'status.json';

/** The parts of the config the page shows. A full `ShopConfig` fits. */
export type OutagePageConfig = Pick<ShopConfig, 'domainName' | 'contacts' | 'regions'>;

/** Directory of the page sources (template, script, stylesheet). */
export const OUTAGE_PAGE_SRC_DIR = path.join(__dirname, 'src');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
};

/** Content-Type to store with a file of the page (by extension). */
export function contentTypeFor(fileName: string): string {
  const type = CONTENT_TYPES[path.extname(fileName).toLowerCase()];
  if (!type) throw new Error(`outage page: no content type known for "${fileName}"`);
  return type;
}

/**
 * Cache-Control to store with a file of the page. Assets carry a content hash in their name and never
 * change; index.html must be re-read soon after a deploy so it never points at pruned assets for long.
 */
export function cacheControlFor(fileName: string): string {
  if (fileName === 'index.html') return 'public, max-age=60, must-revalidate';
  if (fileName === STATUS_PATH) return 'no-store';
  return 'public, max-age=31536000, immutable';
}

/** Korean and English names of the regions, so customers see "Seoul", not only "ap-northeast-2". */
export const REGION_NAMES: Record<string, readonly [ko: string, en: string]> = {
  'af-south-1': ['케이프타운', 'Cape Town'],
  'ap-east-1': ['홍콩', 'Hong Kong'],
  'ap-northeast-1': ['도쿄', 'Tokyo'],
  'ap-northeast-2': ['서울', 'Seoul'],
  'ap-northeast-3': ['오사카', 'Osaka'],
  'ap-south-1': ['뭄바이', 'Mumbai'],
  'ap-south-2': ['하이데라바드', 'Hyderabad'],
  'ap-southeast-1': ['싱가포르', 'Singapore'],
  'ap-southeast-2': ['시드니', 'Sydney'],
  'ap-southeast-3': ['자카르타', 'Jakarta'],
  'ap-southeast-4': ['멜버른', 'Melbourne'],
  'ap-southeast-5': ['말레이시아', 'Malaysia'],
  'ap-southeast-7': ['태국', 'Thailand'],
  'ca-central-1': ['캐나다 중부', 'Canada Central'],
  'ca-west-1': ['캘거리', 'Calgary'],
  'eu-central-1': ['프랑크푸르트', 'Frankfurt'],
  'eu-central-2': ['취리히', 'Zurich'],
  'eu-north-1': ['스톡홀름', 'Stockholm'],
  'eu-south-1': ['밀라노', 'Milan'],
  'eu-south-2': ['스페인', 'Spain'],
  'eu-west-1': ['아일랜드', 'Ireland'],
  'eu-west-2': ['런던', 'London'],
  'eu-west-3': ['파리', 'Paris'],
  'il-central-1': ['텔아비브', 'Tel Aviv'],
  'me-central-1': ['아랍에미리트', 'UAE'],
  'me-south-1': ['바레인', 'Bahrain'],
  'mx-central-1': ['멕시코 중부', 'Mexico Central'],
  'sa-east-1': ['상파울루', 'São Paulo'],
  'us-east-1': ['미국 버지니아 북부', 'N. Virginia'],
  'us-east-2': ['미국 오하이오', 'Ohio'],
  'us-west-1': ['미국 캘리포니아 북부', 'N. California'],
  'us-west-2': ['미국 오리건', 'Oregon'],
};

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** `tel:` target: digits with an optional leading "+", separators dropped (RFC 3966 global number). */
function telHref(phone: string): string {
  const digits = phone.replace(/[^\d+]/g, '').replace(/(?!^)\+/g, '');
  if (!/\d{3,}/.test(digits)) {
    throw new Error(`outage page: contacts.phone "${phone}" has no dialable digits`);
  }
  return digits;
}

function messengerHref(url: string, name: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`outage page: messenger "${name}" has an invalid url "${url}"`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new Error(
      `outage page: messenger "${name}" url must be http(s), got "${parsed.protocol}". Fix contacts.messengers`,
    );
  }
  return parsed.href;
}

function readSource(name: string): string {
  return fs.readFileSync(path.join(OUTAGE_PAGE_SRC_DIR, name), 'utf8').replace(/\r\n/g, '\n');
}

/** `outage.<first 10 hex of sha256>.<ext>`: deterministic, and a changed file gets a new name. */
function hashedName(base: string, ext: string, content: string): string {
  const hash = createHash('sha256').update(content, 'utf8').digest('hex').slice(0, 10);
  return `${base}.${hash}.${ext}`;
}

function fill(template: string, values: Record<string, string>): string {
  const out = template.replace(/\{\{([A-Z_]+)\}\}/g, (whole, key: string) => {
    if (!Object.prototype.hasOwnProperty.call(values, key)) {
      throw new Error(`outage page: template placeholder ${whole} has no value`);
    }
    return values[key];
  });
  const left = /\{\{[^}]*\}\}/.exec(out);
  if (left) throw new Error(`outage page: template placeholder ${left[0]} was not substituted`);
  return out;
}

/**
 * Renders the outage page for a config: file name -> content, to put at the bucket root.
 *
 * Contacts and region names are substituted into index.html at synth (HTML-escaped), so the page is
 * complete without JavaScript. The output is deterministic for the same config. It never contains
 * `status.json`: that notice belongs to the incident CLI, and a deploy must not overwrite it.
 */
export function renderOutagePage(config: OutagePageConfig): Record<string, string> {
  const { contacts } = config;
  const css = readSource('outage.css');
  const js = withRegionNames(readSource('outage.js'));
  const cssFile = hashedName('outage', 'css', css);
  const jsFile = hashedName('outage', 'js', js);

  const perLanguage = (lang: Language, labels: { messenger: string; unknown: string }) => {
    const local = contactsIn(contacts, lang);
    const messengerLinks = local.messengers
      .map(
        (m) =>
          `<a href="${escapeHtml(messengerHref(m.url, m.name))}" rel="noopener noreferrer">${escapeHtml(m.name)}</a>`,
      )
      .join(', ');
    return {
      hours: local.phoneHours ? ` <span class="hours">(${escapeHtml(local.phoneHours)})</span>` : '',
      payments: local.paymentAlternatives.map((p) => `<li>${escapeHtml(p)}</li>`).join('\n'),
      messengers:
        local.messengers.length === 0
          ? ''
          : `<li><span class="label">${labels.messenger}</span> ${messengerLinks}</li>`,
      // Customers read city names, never AWS codes; a code without a known name stays as it is.
      regions: config.regions
        .map((r) => {
          const label = REGION_NAMES[r.name]?.[lang === 'ko' ? 0 : 1] ?? r.name;
          return (
            `<li data-region="${escapeHtml(r.name)}"><span class="region-name">${escapeHtml(label)}</span> ` +
            `<span class="state" data-state="unknown">${labels.unknown}</span></li>`
          );
        })
        .join('\n'),
    };
  };
  const ko = perLanguage('ko', { messenger: '메신저 상담·주문', unknown: '확인되지 않음' });
  const en = perLanguage('en', { messenger: 'Messenger', unknown: 'Not known yet' });

  const html = fill(readSource('index.html'), {
    DOMAIN: escapeHtml(config.domainName),
    CSS_FILE: cssFile,
    JS_FILE: jsFile,
    PHONE: escapeHtml(contacts.phone),
    PHONE_TEL: escapeHtml(telHref(contacts.phone)),
    HOURS_KO: ko.hours,
    HOURS_EN: en.hours,
    EMAIL: escapeHtml(contacts.email),
    EMAIL_HREF: escapeHtml(encodeURI(contacts.email)),
    PAYMENTS_KO: ko.payments,
    PAYMENTS_EN: en.payments,
    MESSENGERS_KO: ko.messengers,
    MESSENGERS_EN: en.messengers,
    REGIONS_KO: ko.regions,
    REGIONS_EN: en.regions,
  });

  const files: Record<string, string> = { 'index.html': compact(html), [cssFile]: css, [jsFile]: js };
  const size = pageSize(files);
  if (size > PAGE_SIZE_LIMIT) {
    throw new Error(
      `outage page: ${size} bytes exceeds the ${PAGE_SIZE_LIMIT}-byte budget; shorten the contacts`,
    );
  }
  return files;
}

const REGION_NAMES_SLOT = '/* REGION_NAMES */ {}';

/** The page script names regions a notice lists beyond the config's, so it gets the whole table. */
function withRegionNames(js: string): string {
  if (!js.includes(REGION_NAMES_SLOT)) {
    throw new Error(`outage page: outage.js lost its ${REGION_NAMES_SLOT} slot`);
  }
  return js.replace(REGION_NAMES_SLOT, () => JSON.stringify(REGION_NAMES));
}

/**
 * Drops the source indentation and blank lines (the template is formatted by `npm run format`). Line breaks stay,
 * so the rendered page still diffs line by line; a line break renders like the space it replaces.
 */
function compact(html: string): string {
  return html
    .replace(/[ \t]*\n[ \t]*/g, '\n')
    .replace(/\n{2,}/g, '\n')
    .trim()
    .concat('\n');
}

/** Total UTF-8 size of rendered files, in bytes. */
export function pageSize(files: Record<string, string>): number {
  return Object.values(files).reduce((sum, content) => sum + Buffer.byteLength(content, 'utf8'), 0);
}

/** A calm "no incident" notice: every configured region unknown, no message. */
export function defaultStatus(config: Pick<ShopConfig, 'regions'>, now = new Date(0)): Status {
  return statusSchema.parse({
    severity: 'none',
    message: { ko: '', en: '' },
    updatedAt: now.toISOString(),
    nextUpdateAt: null,
    regions: Object.fromEntries(config.regions.map((r) => [r.name, 'unknown'])),
  });
}

/**
 * A realistic major-incident notice (for tests and previews): a payment failure, primary down,
 * standbys degraded, recovery expected in two hours, the double-charge promise reworded and a coupon announced.
 */
export function exampleStatus(
  config: Pick<ShopConfig, 'regions'>,
  now = new Date('2026-12-05T05:00:00Z'),
): Status {
  return statusSchema.parse({
    severity: 'major',
    message: {
      ko: '결제 시스템 장애로 온라인 주문이 중단되었습니다. 전화와 계좌이체로는 주문하실 수 있습니다.',
      en: 'A payment system failure has stopped online orders. You can still order by phone and pay by bank transfer.',
    },
    updatedAt: now.toISOString(),
    nextUpdateAt: new Date(now.getTime() + 30 * 60 * 1000).toISOString(),
    expectedBackAt: new Date(now.getTime() + 2 * 60 * 60 * 1000).toISOString(),
    regions: Object.fromEntries(config.regions.map((r, i) => [r.name, i === 0 ? 'down' : 'degraded'])),
    // A payment incident is exactly when "you will not be charged twice" may not hold: say what will happen.
    promises: {
      notChargedTwice: {
        ko: '결제가 두 번 승인되었다면 두 번째 결제는 3영업일 안에 자동으로 취소됩니다.',
        en: 'If a payment went through twice, the second one is cancelled automatically within 3 business days.',
      },
      compensation: {
        offers: ['coupon'],
        details: {
          ko: '이번 장애 중에 주문하지 못하신 모든 고객님께 5,000원 할인 쿠폰을 드립니다. 복구 후 회원 계정에 자동으로 지급됩니다.',
          en: 'Everyone who could not order during this outage gets a 5,000 won discount coupon, added to your account automatically once we are back.',
        },
      },
    },
  });
}
