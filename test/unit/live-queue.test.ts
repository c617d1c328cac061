import { describe, expect, it } from 'vitest';
import { createLiveQueue } from '../../src/live/live-queue.js';

/** Takes every message the queue holds now, as a transport would one by one. */
async function drain<T>(iterator: AsyncIterator<T>, count: number): Promise<T[]> {
  const taken: T[] = [];
  for (let i = 0; i < count; i++) taken.push((await iterator.next()).value as T);
  return taken;
}

describe('a live queue', () => {
  it('keeps only the newest unsent message of a slot, where the slot first stood, and counts what it replaced', async () => {
    const counts = { sent: 0, dropped: 0 };
    const queue = createLiveQueue<string>({ maxPending: 10, onSent: () => counts.sent++, onDropped: () => counts.dropped++ });
    queue.put('BTC', 'btc 1');
    queue.put('ETH', 'eth 1');
    queue.put('BTC', 'btc 2');
    queue.put('BTC', 'btc 3');
    expect(await drain(queue.iterator, 2)).toEqual(['btc 3', 'eth 1']);
    expect(counts).toEqual({ sent: 2, dropped: 2 });
  });

  it('drops the oldest unsent message past maxPending', async () => {
    let dropped = 0;
    const queue = createLiveQueue<number>({ maxPending: 3, onDropped: () => dropped++ });
    for (let i = 1; i <= 5; i++) queue.put(`${i}`, i);
    expect(await drain(queue.iterator, 3)).toEqual([3, 4, 5]);
    expect(dropped).toBe(2);
  });

  it('hands a message straight to a transport already waiting for one', async () => {
    const queue = createLiveQueue<string>({ maxPending: 1 });
    const next = queue.iterator.next();
    queue.put('a', 'first');
    queue.put('b', 'second');
    expect(await next).toEqual({ done: false, value: 'first' });
    expect(await queue.iterator.next()).toEqual({ done: false, value: 'second' });
  });

  it('ends once, for the transport (return) or the gateway (end): a waiting read completes, the rest is dropped', async () => {
    let ended = 0;
    let dropped = 0;
    const queue = createLiveQueue<string>({ maxPending: 5, onEnd: () => ended++, onDropped: () => dropped++ });
    const waiting = queue.iterator.next();
    queue.end();
    expect(await waiting).toEqual({ done: true, value: undefined });
    await queue.iterator.return!();
    queue.put('a', 'after');
    expect(await queue.iterator.next()).toEqual({ done: true, value: undefined });
    expect({ ended, dropped }).toEqual({ ended: 1, dropped: 0 });

    const other = createLiveQueue<string>({ maxPending: 5, onDropped: () => dropped++ });
    other.put('a', 'unsent');
    await other.iterator.return!();
    expect(dropped).toBe(1);
  });
});
