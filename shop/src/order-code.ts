/**
 * The order number a customer reads and says on the phone: the first 40 bits of the order's UUID
 * in Crockford base32 (no I, L, O, U: nothing to confuse), as two groups of four, "K3F9-QX7M". The
 * UUID stays the order's key and the secret part of its link; the code is for people, and staff
 * find an order by it with a primary-key range scan on the UUID prefix.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The readable number of the order `uuid`. */
export function orderCode(uuid: string): string {
  const hex = uuid.replace(/-/g, '').slice(0, 10);
  let n = BigInt(`0x${hex}`);
  let out = '';
  for (let i = 0; i < 8; i++) {
    out = ALPHABET[Number(n & 31n)] + out;
    n >>= 5n;
  }
  return `${out.slice(0, 4)}-${out.slice(4)}`;
}
