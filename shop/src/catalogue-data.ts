/**
 * The demo catalogue as Korean customers read it: prices in whole won and names and descriptions in
 * Korean and English. KRW has no minor unit (ISO 4217 exponent 0), so `priceCents` — the stored
 * integer, `products.price_cents` — is whole won: 28,000 means 28,000원. The first demo catalogue
 * (migration 2) stored dollar-like cents (2,800 for a 28,000원 dripper); migration 6 repairs the rows
 * it wrote, and only those.
 */
import type { Product } from './catalogue';

/** One demo product, with the price migration 2 wrote for it (`legacyPriceCents`). */
export interface DemoProduct extends Required<Product> {
  legacyPriceCents: number;
  legacyName: string;
}

const p = (
  id: number,
  [name, nameKo]: [string, string],
  [description, descriptionKo]: [string, string],
  priceCents: number,
  legacyName = name,
  stock = 1000,
): DemoProduct => ({
  id,
  name,
  nameKo,
  description,
  descriptionKo,
  priceCents,
  stock,
  legacyPriceCents: priceCents / 10,
  legacyName,
});

export const KOREAN_CATALOGUE: DemoProduct[] = [
  p(
    1,
    ['Ceramic Pour-Over Dripper', '세라믹 핸드드립 드리퍼'],
    ['Hand-glazed dripper for one or two cups.', '한두 잔용, 손으로 유약을 입힌 드리퍼입니다.'],
    28_000,
  ),
  p(
    2,
    ['Single-Origin Coffee Beans 500 g', '싱글 오리진 원두 500g'],
    ['Washed Ethiopian beans, medium roast.', '에티오피아 워시드 원두, 미디엄 로스트.'],
    19_000,
  ),
  p(
    3,
    ['Gooseneck Kettle', '구스넥 드립 주전자'],
    ['Stainless steel, 0.9 l, precise pour.', '스테인리스 스틸, 0.9L, 물줄기를 섬세하게 조절할 수 있습니다.'],
    45_000,
  ),
  p(
    4,
    ['Burr Grinder', '버 그라인더'],
    ['Conical steel burrs, 40 grind settings.', '원뿔형 스틸 버, 분쇄도 40단계.'],
    89_000,
  ),
  p(
    5,
    ['Paper Filters (100)', '종이 필터 (100매)'],
    ['Unbleached cone filters, size 02.', '무표백 원뿔형 필터, 02 사이즈.'],
    6_000,
  ),
  p(
    6,
    ['Glass Server 600 ml', '유리 서버 600ml'],
    ['Heat-resistant borosilicate glass.', '열에 강한 붕규산 유리.'],
    22_000,
  ),
  p(
    7,
    ['Digital Scale', '디지털 저울'],
    ['Scale with timer, 0.1 g resolution.', '타이머 내장, 0.1g 단위로 잽니다.'],
    34_000,
  ),
  p(8, ['Stoneware Mug', '석기 머그잔'], ['Speckled glaze, 350 ml.', '점무늬 유약, 350ml.'], 15_000),
  p(
    9,
    ['Green Tea Sampler', '녹차 샘플러'],
    ['Five Korean and Japanese green teas.', '한국과 일본의 녹차 다섯 가지.'],
    24_000,
  ),
  p(
    10,
    ['Cold Brew Bottle', '콜드브루 보틀'],
    ['One litre, with fine mesh filter.', '1L, 고운 메시 필터 포함.'],
    27_000,
  ),
  p(
    11,
    ['Canvas Tote Bag', '캔버스 토트백'],
    ['Sturdy cotton tote with the shop logo.', '쇼핑몰 로고가 들어간 튼튼한 면 토트백.'],
    12_000,
  ),
  p(
    12,
    ['Gift Card ₩50,000', '기프트 카드 5만원권'],
    ['Delivered by e-mail, valid for five years.', '이메일로 보내 드리며 5년 동안 쓰실 수 있습니다.'],
    50_000,
    'Gift Card 50,000 KRW',
    100_000,
  ),
];
