// parallel-safe: Redis only, under a cluster name of its own.
// An account's signaling connections counted on the cluster's Redis (RedisConnectionSlots):
// the cap holds for connections arriving together at two nodes, a connection given back frees
// its slot at once, and a node that dies without giving its connections back leaves nothing
// taken once their life has passed, while a live node's renewals keep its own. A Redis that
// stops answering (a partition: nothing closed) holds up no connection for more than a second:
// the node counts its own against the cap meanwhile, and puts them on Redis once it answers
// again. Real Redis, a TCP relay to cut.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { createClient } from 'redis';
import { HOLD_ANSWER_MS, RedisConnectionSlots } from '../../server/cluster/RedisConnectionSlots.js';
import { REDIS_URL } from '../support/cluster.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

describe('connections per account, counted on Redis', { timeout: 60_000 }, () => {
  const name = `test-${randomUUID().slice(0, 8)}`;
  const clients: Array<ReturnType<typeof createClient>> = [];
  const nodes: RedisConnectionSlots[] = [];
  let proxy: TcpProxy | undefined;
  const node = async (nodeId: string, lifeMs: number, url = REDIS_URL) => {
    const c = createClient({ url, disableOfflineQueue: true });
    c.on('error', () => undefined);
    await c.connect();
    clients.push(c);
    const n = new RedisConnectionSlots(c, { name, nodeId, cap: 5, lifeMs });
    nodes.push(n);
    return { n, c };
  };
  after(async () => {
    proxy?.heal();
    for (const n of nodes) await n.close();
    for (const c of clients) if (c.isOpen) await c.quit();
    await proxy?.close();
  });

  test('the cap holds across nodes for connections arriving together, and a release frees a slot at once', async () => {
    const [{ n: x }, { n: y }] = await Promise.all([node('x', 10_000), node('y', 10_000)]);
    const account = randomUUID();
    const held = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? x : y).hold(account, `c${i}`)));
    assert.equal(held.filter(Boolean).length, 5, String(held));
    assert.equal(await x.hold(randomUUID(), 'other'), true, 'another account is not affected');
    const first = held.findIndex(Boolean);
    (first % 2 ? x : y).release(account, `c${first}`);
    // The release is on its way to Redis: the next command on the same connection comes after it.
    assert.equal(await (first % 2 ? x : y).hold(account, 'late'), true);
    assert.equal(await x.hold(account, 'later'), false);
  });

  test('a dead node\'s connections lapse after their life; a live node\'s are renewed and stay', async () => {
    // Renewed every 0.8 s: a stall of the test's own process under 1.6 s does not let the live node's lapse.
    const lifeMs = 2400;
    const [dead, live] = await Promise.all([node('dead', lifeMs), node('live', lifeMs)]);
    const account = randomUUID();
    for (let i = 0; i < 3; i++) assert.equal(await dead.n.hold(account, `d${i}`), true);
    for (let i = 0; i < 2; i++) assert.equal(await live.n.hold(account, `l${i}`), true);
    assert.equal(await live.n.hold(account, 'l-extra'), false, 'at the cap');
    // The dead node stops answering without giving anything back (its Redis connection cut).
    const diedAt = Date.now();
    dead.c.destroy();
    let free = false;
    while (!free && Date.now() - diedAt < lifeMs * 4) {
      await new Promise((r) => setTimeout(r, 100)); // the lapse is by the clock: nothing to wait on
      free = await live.n.hold(account, 'l-after');
    }
    const waited = Date.now() - diedAt;
    assert.ok(free, 'the dead node\'s slots lapsed');
    assert.ok(waited >= lifeMs * 0.5, `not before (a third of) their life: ${waited} ms`);
    // Three lives later, the live node's own three are still counted (renewed every third of a life).
    await new Promise((r) => setTimeout(r, lifeMs * 3));
    const free2 = await Promise.all([live.n.hold(account, 'x1'), live.n.hold(account, 'x2'), live.n.hold(account, 'x3')]);
    assert.deepEqual(free2, [true, true, false], 'two free places left of five: the live node\'s three are kept');
  });

  test('while Redis does not answer, a connection waits at most a second, and the node counts its own against the cap', async () => {
    proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
    const { n } = await node('cut', 10_000, proxy.url('redis'));
    const account = randomUUID();
    assert.equal(await n.hold(account, 'on-redis-1'), true);
    assert.equal(await n.hold(account, 'on-redis-2'), true);
    proxy.blackhole();
    const started = Date.now();
    const held = await Promise.all(Array.from({ length: 5 }, (_, i) => n.hold(account, `cut-${i}`)));
    const waited = Date.now() - started;
    // Five places in all: two already held (on Redis), three more here.
    assert.deepEqual(held, [true, true, true, false, false]);
    assert.ok(waited < HOLD_ANSWER_MS + 1500, `answered in ${waited} ms`);
    n.release(account, 'cut-0');
    assert.equal(await n.hold(account, 'cut-again'), true, 'a release here frees a place here');
    // The cut outlasts TCP: what was sent meanwhile (the holds, the release) never reaches Redis.
    proxy.reset();
    // Once Redis answers again, the node's next renewal puts the connections it counted alone on
    // Redis with the others: the cluster's count is whole again, and another node is refused.
    const direct = createClient({ url: REDIS_URL });
    await direct.connect();
    try {
      const expected = ['on-redis-1', 'on-redis-2', 'cut-1', 'cut-2', 'cut-again'].map((c) => `cut/${c}`).sort().join();
      const members = async () => (await direct.zRange(`${name}:connections:${account}`, 0, -1)).sort().join();
      const deadline = Date.now() + 10_000;
      let counted = await members();
      while (counted !== expected && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        counted = await members();
      }
      assert.equal(counted, expected, 'Redis counts the node\'s five connections, those counted alone included');
      const { n: other } = await node('other', 10_000);
      assert.equal(await other.hold(account, 'elsewhere'), false, 'the cap holds over the cluster again');
    } finally {
      await direct.quit();
    }
  });
});
