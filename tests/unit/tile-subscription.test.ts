// The tile's subscription lifecycle (client/src/TileSubscription.ts) without a page: retries
// and their backoff, the camera coming back, refusals, the server closing consumers,
// revocation, the fast-start hand-over, the main/sub switch without a black frame, pausing,
// and answers that arrive after the tile moved on. The media client and the timers are fakes
// here on purpose (the lifecycle's own logic is under test; the real MediaClient, SFU and
// browser run the same lifecycle in the e2e live, fast-start, resilience and grid tests).
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import type { Subscription } from '../../client/src/MediaClient.js';
import { RequestError } from '../../client/src/signaling.js';
import { TileSubscription, type TileMedia, type TileStatus, type TileSurface, type TileTimers } from '../../client/src/TileSubscription.js';

/** A consumer as the lifecycle sees it: an id, close(), and a 'transportclose' event. */
class FakeConsumer extends EventEmitter {
  closed = false;
  constructor(readonly id: string) { super(); }
  close(): void { this.closed = true; }
}

type Answer = { fast?: boolean } | RequestError | Error;

/** The media client: every subscribe waits for the test to answer it. */
class FakeMedia implements TileMedia {
  readonly log: string[] = [];
  readonly pending: Array<{ cameraId: string; stream: 'main' | 'sub'; answer: (a?: Answer) => Promise<Subscription | undefined> }> = [];
  #n = 0;

  subscribe(cameraId: string, stream: 'main' | 'sub'): Promise<Subscription> {
    this.log.push(`subscribe ${cameraId} ${stream}`);
    return new Promise((resolve, reject) => {
      this.pending.push({
        cameraId,
        stream,
        answer: async (a: Answer = {}) => {
          if (a instanceof Error) reject(a);
          else {
            const n = ++this.#n;
            const sub = {
              consumer: new FakeConsumer(`c${n}`),
              track: {},
              stream,
              ...(a.fast ? { fast: { consumer: new FakeConsumer(`f${n}`), track: {} } } : {}),
            } as unknown as Subscription;
            resolve(sub);
            await settle();
            return sub;
          }
          await settle();
          return undefined;
        },
      });
    });
  }

  async unsubscribe(sub: Subscription): Promise<void> {
    this.log.push(`unsubscribe ${sub.consumer.id}`);
  }

  async endFastStart(sub: Subscription): Promise<void> {
    if (!sub.fast) return;
    this.log.push(`endFastStart ${sub.fast.consumer.id}`);
    delete sub.fast;
  }

  /** Answers the oldest pending subscribe. */
  answer(a?: Answer): Promise<Subscription | undefined> {
    const p = this.pending.shift();
    assert.ok(p, 'a subscribe is pending');
    return p.answer(a);
  }
}

/** Timers that run only when the test advances the clock. */
class FakeTimers implements TileTimers {
  now = 0;
  #next = 1;
  readonly #due = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): number {
    const id = this.#next++;
    this.#due.set(id, { at: this.now + ms, fn });
    return id;
  }
  clearTimeout(id: number | undefined): void {
    if (id !== undefined) this.#due.delete(id);
  }
  /** The delays of the timers waiting now. */
  get waiting(): number[] {
    return [...this.#due.values()].map((d) => d.at - this.now);
  }
  async advance(ms: number): Promise<void> {
    this.now += ms;
    for (const [id, d] of [...this.#due]) {
      if (d.at > this.now) continue;
      this.#due.delete(id);
      d.fn();
    }
    await settle();
  }
}

/** What the page would show. */
class FakeSurface {
  playing?: string;
  fastPlaying?: string;
  outgoing?: string;
  status: TileStatus = { kind: 'idle' };
  async play(sub: Subscription): Promise<void> {
    this.playing = sub.consumer.id;
    this.fastPlaying = sub.fast?.consumer.id;
  }
  swap(): void {
    this.outgoing = this.playing;
    this.playing = undefined;
  }
  releaseOutgoing(): void { this.outgoing = undefined; }
  releaseFastStart(): void { this.fastPlaying = undefined; }
  clearPicture(): void { this.playing = undefined; }
  show(status: TileStatus): void { this.status = status; }
}

const settle = () => new Promise((r) => setImmediate(r));

function tile(stream: 'main' | 'sub' = 'sub') {
  const media = new FakeMedia();
  const surface = new FakeSurface();
  const timers = new FakeTimers();
  const life = new TileSubscription(media, { ...surfaceOf(surface) }, stream, timers);
  return { media, surface, timers, life };
}

/** The surface's methods bound, with status() recording into `status`. */
function surfaceOf(s: FakeSurface): TileSurface {
  return {
    play: (sub) => s.play(sub),
    swap: () => s.swap(),
    releaseOutgoing: () => s.releaseOutgoing(),
    releaseFastStart: () => s.releaseFastStart(),
    clearPicture: () => s.clearPicture(),
    status: (st) => s.show(st),
  };
}

const cam = { id: 'cam-1', hasSubStream: true };

test('a camera is subscribed on its wanted stream, or main when it has no sub stream', async () => {
  const { media, surface, life } = tile('sub');
  life.show(cam);
  assert.deepEqual(surface.status, { kind: 'connecting' });
  assert.deepEqual(media.pending.map((p) => p.stream), ['sub']);
  await media.answer();
  assert.equal(surface.playing, 'c1');
  assert.deepEqual(surface.status, { kind: 'subscribed' });
  assert.equal(life.stream, 'sub');

  life.show({ id: 'cam-2', hasSubStream: false });
  assert.deepEqual(media.log.slice(-2), ['unsubscribe c1', 'subscribe cam-2 main']);
  assert.equal(life.stream, 'main');
});

test('failures retry with a backoff of 0.5, 1, 2, 4, 5, 5 s, and at once when the camera is live again', async () => {
  const { media, surface, timers, life } = tile();
  life.show(cam);
  const delays: number[] = [];
  for (let i = 0; i < 6; i++) {
    await media.answer(new RequestError('CAMERA_UNAVAILABLE', 'camera down'));
    assert.equal(surface.status.kind, 'connecting');
    assert.ok((surface.status as { error?: unknown }).error instanceof RequestError, 'the reason is shown');
    delays.push(...timers.waiting);
    await timers.advance(timers.waiting[0]!);
  }
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 5000, 5000]);
  await media.answer(new Error('transport failed'));
  assert.equal(life.retrying, true);
  life.cameraLive();
  assert.equal(life.retrying, false);
  assert.deepEqual(timers.waiting, [], 'the backoff was cancelled');
  assert.equal(media.pending.length, 1, 'subscribed again at once');
  await media.answer();
  assert.equal(surface.playing, 'c1');
  // A success resets the backoff.
  life.consumerClosed('c1', 'producer closed');
  assert.deepEqual(timers.waiting, [250]);
  await timers.advance(250);
  await media.answer(new Error('x'));
  assert.deepEqual(timers.waiting, [500]);
  // Live while playing changes nothing.
  await timers.advance(500);
  await media.answer();
  life.cameraLive();
  assert.equal(media.pending.length, 0);
});

test('no access is final; an undecodable camera is looked at again after 30 s', async () => {
  const { media, surface, timers, life } = tile();
  life.show(cam);
  await media.answer(new RequestError('NOT_FOUND', 'no such camera'));
  assert.deepEqual(surface.status, { kind: 'noAccess' });
  assert.deepEqual(timers.waiting, []);

  life.show({ id: 'cam-h265', hasSubStream: false });
  await media.answer(new RequestError('CANNOT_CONSUME', 'codec'));
  assert.deepEqual(surface.status, { kind: 'cannotDecode' });
  assert.deepEqual(timers.waiting, [30_000]);
  life.cameraLive(); // the camera's health does not make the browser decode H.265
  assert.equal(media.pending.length, 1, 'retried when the camera is live: the server may transcode by now');
});

test('the server closing the consumer re-subscribes; revocation clears the picture and does not retry', async () => {
  const { media, surface, timers, life } = tile();
  life.show(cam);
  await media.answer();
  life.consumerClosed('other', 'producer closed');
  assert.deepEqual(timers.waiting, [], 'another tile\'s consumer');
  life.consumerClosed('c1', 'producer closed');
  assert.equal(life.current, undefined);
  await timers.advance(250);
  await media.answer();
  assert.equal(surface.playing, 'c2');

  life.consumerClosed('c2', 'access revoked');
  assert.deepEqual(surface.status, { kind: 'revoked' });
  assert.equal(surface.playing, undefined);
  assert.deepEqual(timers.waiting, []);
  assert.equal(media.pending.length, 0);
});

test('the transport closing re-subscribes', async () => {
  const { media, timers, life } = tile();
  life.show(cam);
  const sub = await media.answer();
  (sub!.consumer as unknown as FakeConsumer).emit('transportclose');
  assert.equal(life.current, undefined);
  assert.deepEqual(timers.waiting, [250]);
  await timers.advance(250);
  assert.equal(media.pending.length, 1);
});

test('fast start: shown until the shared stream renders, then ended; its own close ends only it', async () => {
  const { media, surface, life } = tile();
  life.show(cam);
  await media.answer({ fast: true });
  assert.deepEqual([surface.playing, surface.fastPlaying], ['c1', 'f1']);
  life.rendered();
  assert.equal(surface.fastPlaying, undefined);
  assert.ok(media.log.includes('endFastStart f1'));

  life.show({ id: 'cam-2', hasSubStream: true });
  await media.answer({ fast: true });
  life.consumerClosed('f2', 'fast start ended');
  assert.equal(surface.fastPlaying, undefined);
  assert.equal(surface.playing, 'c2', 'the shared stream plays on');
  assert.equal(life.current?.consumer.id, 'c2');
});

test('main/sub switch: the old picture stays until the new stream renders, then its subscription ends', async () => {
  const { media, surface, life } = tile('sub');
  life.show(cam);
  await media.answer();
  life.setStream('main');
  assert.equal(surface.outgoing, 'c1', 'the sub stream stays on screen');
  assert.deepEqual(media.pending.map((p) => p.stream), ['main']);
  assert.ok(!media.log.includes('unsubscribe c1'));
  await media.answer();
  assert.equal(life.stream, 'main');
  assert.equal(surface.outgoing, 'c1', 'still, until a frame of the main stream');
  life.rendered();
  assert.equal(surface.outgoing, undefined);
  assert.ok(media.log.includes('unsubscribe c1'));

  // Back and forth before the answer: the stale answer is given back, the latest wins.
  life.setStream('sub');
  life.setStream('main');
  assert.equal(media.pending.length, 2);
  await media.answer();
  assert.equal(media.log.at(-1), 'unsubscribe c3', 'the stale sub answer was released');
  await media.answer();
  assert.equal(life.current?.stream, 'main');

  // A camera without a sub stream: nothing to switch.
  const t2 = tile('main');
  t2.life.show({ id: 'cam-9', hasSubStream: false });
  await t2.media.answer();
  t2.life.setStream('sub');
  assert.equal(t2.media.pending.length, 0);
});

test('a fast start during a switch: its first frame ends the old picture', async () => {
  const { media, surface, life } = tile('sub');
  life.show(cam);
  await media.answer();
  life.setStream('main');
  await media.answer({ fast: true });
  assert.equal(surface.outgoing, 'c1');
  life.fastRendered();
  assert.equal(surface.outgoing, undefined);
  assert.equal(surface.fastPlaying, 'f2');
});

test('pausing releases everything and keeps the camera; resuming subscribes again', async () => {
  const { media, surface, timers, life } = tile();
  life.show(cam);
  await media.answer(new Error('down'));
  life.setActive(false);
  assert.deepEqual(timers.waiting, [], 'a paused tile does not retry');
  assert.deepEqual(surface.status, { kind: 'idle' });
  life.setActive(true);
  await media.answer();
  life.setActive(false);
  await settle();
  assert.equal(media.log.at(-1), 'unsubscribe c1');
  assert.equal(life.camera?.id, 'cam-1');
  // An answer that comes after a pause is given back.
  life.setActive(true);
  life.setActive(false);
  await media.answer();
  assert.equal(media.log.at(-1), 'unsubscribe c2');
  assert.equal(life.current, undefined);
});

test('after a reconnect everything is subscribed again, at once', async () => {
  const { media, timers, life } = tile();
  life.show(cam);
  await media.answer(new Error('down'));
  await timers.advance(500);
  await media.answer(new Error('down'));
  assert.deepEqual(timers.waiting, [1000]);
  life.resubscribe();
  assert.deepEqual(timers.waiting, []);
  await media.answer();
  life.resubscribe();
  assert.equal(life.current, undefined);
  assert.equal(media.pending.length, 1);
});
