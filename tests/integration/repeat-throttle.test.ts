// parallel-safe: Redis only, under a cluster name of its own.
// Repeats of an audited refusal counted on the cluster's Redis (RedisRepeatThrottle): of the
// same refusal arriving together at two nodes exactly one is recorded, the repeats at both
// nodes are counted into the next record once the window has passed, keys of any length are
// fine, and a Redis that stops answering (a partition: nothing closed) holds up no refusal for
// more than ANSWER_MS: the node decides alone meanwhile, and Redis decides again once back.
// Real Redis, a TCP relay to cut.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { ANSWER_MS, RedisRepeatThrottle } from '../../server/cluster/RedisRepeatThrottle.js';
import { REDIS_URL } from '../support/cluster.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

describe('refusals\' repeats, counted on Redis', { timeout: 60_000 }, () => {
  const name = `test-${randomUUID().slice(0, 8)}:denials`;
  const clients: Array<ReturnType<typeof createClient>> = [];
  let proxy: TcpProxy | undefined;
  const node = async (windowMs: number, url = REDIS_URL) => {
    const c = createClient({ url, disableOfflineQueue: true });
    c.on('error', () => undefined);
    await c.connect();
    clients.push(c);
    return new RedisRepeatThrottle(c, { name, windowMs });
  };
  after(async () => {
    proxy?.heal();
    for (const c of clients) if (c.isOpen) await c.quit();
    await proxy?.close();
  });

  test('one record for a refusal arriving together at two nodes; the repeats at both go with the next record', async () => {
    // A window long enough that the twenty notes surely fall inside it, short enough to wait out.
    const windowMs = 1500;
    const [x, y] = await Promise.all([node(windowMs), node(windowMs)]);
    const key = `${randomUUID()}:${randomUUID()}`;
    const startedAt = Date.now();
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? x : y).note(key)));
    assert.ok(Date.now() - startedAt < windowMs, 'the notes fell inside one window');
    assert.deepEqual(answers.filter((a) => a !== undefined), [0], 'exactly one recorded, with no repeats before it');
    assert.equal(await x.note(`${key}:other`), 0, 'another key is recorded on its own');
    // The window lapses on Redis's clock: nothing else tells the nodes.
    await sleep(windowMs + 100);
    assert.equal(await y.note(key), 19, 'the next record carries the nineteen repeats of both nodes');
    assert.equal(await x.note(key), undefined, 'and opens a new window');
  });

  test('keys of any length and content are fine (they are hashed)', async () => {
    const x = await node(60_000);
    const long = `${randomUUID()}:${'ý'.repeat(20_000)}\n\0`;
    assert.equal(await x.note(long), 0);
    assert.equal(await x.note(long), undefined);
    assert.equal(await x.note(long.slice(0, -1)), 0, 'a different key');
  });

  test('a Redis that stops answering holds up no refusal: the node decides alone, then Redis again', async () => {
    proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
    const x = await node(60_000, proxy.url('redis'));
    const [key, other] = [randomUUID(), randomUUID()];
    assert.equal(await x.note(key), 0, 'through the relay, on Redis');
    assert.equal(await x.note(other), 0);
    proxy.blackhole();
    const t0 = Date.now();
    // Redis would call both repeats; the node, alone, has not seen the key before.
    const during = await Promise.all([x.note(key), x.note(key)]);
    const waited = Date.now() - t0;
    assert.deepEqual(during, [0, undefined], 'decided on the node: the first recorded, the repeat not');
    assert.ok(waited < ANSWER_MS + 2000, `two refusals at once waited ${waited} ms`);
    proxy.heal();
    // Redis decides again: the node alone never saw this key, Redis's window for it still holds.
    assert.equal(await x.note(other), undefined);
  });
});
