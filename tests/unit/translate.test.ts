// The client's message lookup (client/src/translate.ts) and the two tables it reads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { en } from '../../client/src/messages-en.js';
import { vi } from '../../client/src/messages.js';
import { translate } from '../../client/src/translate.js';

const vn = { greet: 'Chào {{name}}', 'n_other': '{{count}} camera', only: 'chỉ tiếng Việt' };
const gb = { greet: 'Hello {{name}}, {{ name }}!', 'n_one': '{{count}} camera', 'n_other': '{{count}} cameras' };

test('placeholders are filled from the values, spaces inside the braces allowed, a missing one left empty', () => {
  assert.equal(translate(gb, vn, 'en-GB', 'greet', { name: 'Lan' }), 'Hello Lan, Lan!');
  assert.equal(translate(vn, vn, 'vi-VN', 'greet', {}), 'Chào ');
  assert.equal(translate(vn, vn, 'vi-VN', 'greet'), 'Chào {{name}}', 'no values: the text as written');
  // A value is inserted once, never read as a template itself.
  assert.equal(translate(gb, vn, 'en-GB', 'greet', { name: '{{name}}' }), 'Hello {{name}}, {{name}}!');
  // Only own values count: an object's inherited names are not placeholders' values.
  assert.equal(translate(vn, vn, 'vi-VN', 'greet', Object.create({ name: 'x' }) as Record<string, string>), 'Chào ');
});

test('a count picks the plural form of the language: English one/other, Vietnamese other only', () => {
  assert.equal(translate(gb, vn, 'en-GB', 'n', { count: 1 }), '1 camera');
  assert.equal(translate(gb, vn, 'en-GB', 'n', { count: 0 }), '0 cameras');
  assert.equal(translate(gb, vn, 'en-GB', 'n', { count: 2 }), '2 cameras');
  assert.equal(translate(vn, vn, 'vi-VN', 'n', { count: 1 }), '1 camera');
  // A count given as text is only a value: no plural form is chosen, the plain key is looked up.
  assert.equal(translate(gb, vn, 'en-GB', 'n', { count: '1' }), 'n');
});

test('a key missing from the language falls back to Vietnamese, then to the key itself', () => {
  assert.equal(translate(gb, vn, 'en-GB', 'only'), 'chỉ tiếng Việt');
  assert.equal(translate(gb, vn, 'en-GB', 'nowhere.to.be.found'), 'nowhere.to.be.found');
});

test('the real tables: English has every Vietnamese key, with the same placeholders', () => {
  const placeholders = (s: string) => [...s.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort().join(',');
  for (const [key, text] of Object.entries(vi)) {
    const english = (en as Record<string, string>)[key];
    assert.ok(english !== undefined, `English lacks ${key}`);
    // Vietnamese has no singular: its _other carries what English's _one and _other do.
    assert.equal(placeholders(english), placeholders(text), `placeholders of ${key}`);
  }
  assert.equal(translate(en, vi, 'en-GB', 'spot.cameras', { count: 1 }), '1 camera');
  assert.equal(translate(en, vi, 'en-GB', 'spot.cameras', { count: 3 }), '3 cameras');
});
