/**
 * Socrata-looking system ids and row versions, stable for a dataset and business id so that a
 * re-seeded fake hands out the same `:id`s.
 */

const ID_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/** A stable Socrata-looking row id (`row-abcd.efgh_ijkm`) derived from dataset and business id. */
export function makeSystemId(dataset: string, key: string): string {
  const text = `${dataset}\u0000${key}`;
  return `row-${encodeHash(hashText(text, 0x811c9dc5), hashText(text, 0x01000193), 12).replace(/^(.{4})(.{4})(.{4})$/, '$1.$2_$3')}`;
}

/** A `:version` (`rv-abcd~efgh`) that changes whenever the row's `:updated_at` does. */
export function makeVersion(systemId: string, updatedAtMs: number): string {
  const text = `${systemId}@${updatedAtMs}`;
  const encoded = encodeHash(hashText(text, 0x811c9dc5), hashText(text, 0x9e3779b9), 8);
  return `rv-${encoded.slice(0, 4)}~${encoded.slice(4)}`;
}

/**
 * FNV-1a with a caller-chosen basis; two bases give ~64 bits, plenty for ids of a test dataset.
 * Not crypto: sha1 for 200k rows was a visible share of the benchmark's load time.
 */
function hashText(text: string, basis: number): number {
  let hash = basis >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // Final avalanche so similar keys (consecutive ids) spread over the whole alphabet.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35) >>> 0;
  return (hash ^ (hash >>> 16)) >>> 0;
}

/** `length` (<= 12) characters of ID_ALPHABET from two 32-bit hashes, 5 bits per character. */
function encodeHash(high: number, low: number, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) {
    const word = i < 6 ? high : low;
    text += ID_ALPHABET[(word >>> ((i % 6) * 5)) & 31];
  }
  return text;
}
