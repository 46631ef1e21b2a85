import { describe, expect, it } from 'vitest';
import { JsonArrayError, jsonArrayElements } from '../src/ingest/json-array-elements.js';
import { createSeededRandom } from '../src/shared/seeded-random.js';

/** The bytes of `text` cut into chunks at the given sizes, cycling through them. */
async function* chunksOf(text: string | Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  let at = 0;
  for (let index = 0; at < bytes.length; index++) {
    const size = sizes[index % sizes.length]!;
    // A fresh buffer each time: the scanner must not keep views of memory a stream reuses.
    yield Uint8Array.from(bytes.subarray(at, at + size));
    at += size;
  }
}

async function elementsOf(text: string | Uint8Array, sizes: number[] = [1 << 16]): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const element of jsonArrayElements(chunksOf(text, sizes))) out.push(element);
  return out;
}

const tricky = [
  { id: '1', text: 'a "quoted" word, a backslash \\ and \\" both', nested: { list: [1, [2, { deep: '}]' }]], empty: {} } },
  { id: '2', text: 'brackets in text: [{]} , and a comma', unicode: 'café — 東京 🚧', escaped: '\u0000\t\n\\u0041' },
  'a string row',
  42.5e-3,
  -7,
  true,
  false,
  null,
  [],
  {},
  ['x', { y: '\\' }],
  { trailingBackslash: 'ends with \\\\' },
];

/** Random JSON values whose strings are full of quotes, backslashes and multi-byte characters. */
function randomValue(random: () => number, depth: number): unknown {
  const pick = random();
  const alphabet = ['a', '"', '\\', '{', '}', '[', ']', ',', ':', ' ', 'é', '🚧', '\n', '東'];
  const text = () => Array.from({ length: Math.floor(random() * 12) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
  if (depth > 3 || pick < 0.3) return text();
  if (pick < 0.4) return Math.round(random() * 1e6) / 100;
  if (pick < 0.45) return random() < 0.5 ? null : random() < 0.5;
  if (pick < 0.7) return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(random, depth + 1));
  return Object.fromEntries(Array.from({ length: Math.floor(random() * 5) }, () => [text(), randomValue(random, depth + 1)]));
}

describe('jsonArrayElements', () => {
  it('gives what JSON.parse gives for every element, wherever the chunks are cut', async () => {
    const text = JSON.stringify(tricky, null, 2);
    const expected = JSON.parse(text) as unknown[];
    for (const sizes of [[1], [2], [3], [7], [64], [1 << 16], [1, 5, 2, 13]]) {
      expect(await elementsOf(text, sizes)).toEqual(expected);
    }
  });

  it('matches JSON.parse on 200 random arrays cut into random chunks', async () => {
    const random = createSeededRandom(311);
    for (let round = 0; round < 200; round++) {
      const value = Array.from({ length: Math.floor(random() * 8) }, () => randomValue(random, 0));
      const text = random() < 0.5 ? JSON.stringify(value) : JSON.stringify(value, null, 1);
      const sizes = Array.from({ length: 4 }, () => 1 + Math.floor(random() * 9));
      expect(await elementsOf(text, sizes)).toEqual(value);
    }
  });

  it('reads an empty array, surrounding whitespace and a byte-order mark', async () => {
    expect(await elementsOf('[]')).toEqual([]);
    expect(await elementsOf(' \n[ \n ] \n')).toEqual([]);
    expect(await elementsOf('\uFEFF[{"id":"1"}]', [1])).toEqual([{ id: '1' }]);
    expect(await elementsOf('[1,2 , 3]', [1])).toEqual([1, 2, 3]);
  });

  it('yields the first elements before the input has ended', async () => {
    async function* slowSource(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('[{"id":"1"},{"id":"2"},');
      throw new Error('the source broke after two rows');
    }
    const seen: unknown[] = [];
    await expect(
      (async () => {
        for await (const element of jsonArrayElements(slowSource())) seen.push(element);
      })(),
    ).rejects.toThrow('the source broke after two rows');
    expect(seen).toEqual([{ id: '1' }, { id: '2' }]);
  });

  it.each([
    ['a cut-off file', '[{"id": "1"}, {"id": ', /ends inside row 2 \(cut off\?\)/],
    ['a file cut between rows', '[{"id": "1"},', /ends after row 1, before the array's closing '\]'/],
    ['a cut inside a string', '[{"id": "1', /ends inside row 1/],
    ['a missing comma', '[{"id":"1"} {"id":"2"}]', /expected ',' or '\]' after row 1, found '\{' at byte 12/],
    ['a trailing comma', '[{"id":"1"},]', /expected row 2, found '\]'/],
    ['two commas', '[1,,2]', /expected row 2, found ','/],
    ['data after the array', '[{"id":"1"}] {"id":"2"}', /unexpected '\{' after the array's closing '\]'/],
    ['an object, not an array', '{"id":"1"}', /expected a JSON array \('\['\), found '\{' at byte 0/],
    ['an empty input', '', /holds no JSON array/],
    ['a bad element', '[{"id":"1"},{"id": 01}]', /row 2 \(ending at byte 22\):/],
    ['a bad literal', '[1, nul]', /row 2 .*:/],
  ])('rejects %s with where it went wrong', async (_name, text, message) => {
    const failure = elementsOf(text, [3]);
    await expect(failure).rejects.toThrow(JsonArrayError);
    await expect(elementsOf(text, [3])).rejects.toThrow(message);
  });

  it('reads bytes that are not UTF-8 as U+FFFD, and a character cut between chunks whole', async () => {
    const bytes = Buffer.concat([Buffer.from('[{"id":"1"},{"id":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"},"東"]')]);
    expect(await elementsOf(bytes, [1])).toEqual([{ id: '1' }, { id: '\uFFFD\uFFFD' }, '東']);
  });
});
