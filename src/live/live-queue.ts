export interface LiveQueueOptions {
  /** Messages kept unsent at most: past it, the oldest unsent one is dropped. */
  maxPending: number;
  /** Told of each message handed to the transport. */
  onSent?: () => void;
  /** Told of each message that will never be sent: replaced by a newer one of its slot, or dropped. */
  onDropped?: () => void;
  /** Called once, when the queue ends (the client left, or the gateway closed it). */
  onEnd?: () => void;
}

/**
 * What one subscription has yet to send, as the async iterator its transport reads: the transport
 * pulls the next message only once it has written the last one to the socket, so a slow client
 * leaves messages here, never in a buffer of its own.
 *
 * Every message has a slot. A message put in a slot that still holds an unsent one replaces it
 * where it stands: one slot per symbol makes a slow client skip to the newest value of each, never
 * replay a backlog; one per candle lets an open candle's changes collapse into its latest. Past
 * `maxPending` unsent messages the oldest goes. Memory is bounded by the slots, whatever the rate
 * of changes and however slow the client.
 *
 * One buffer per subscription, never shared: `@graphql-yoga/subscription`'s `repeaterBuffer`
 * hands one buffer to every subscriber, and two slow subscribers corrupt each other's streams.
 */
export function createLiveQueue<T>({ maxPending, onSent, onDropped, onEnd }: LiveQueueOptions) {
  const pending = new Map<string, T>();
  let waiting: ((result: IteratorResult<T>) => void) | undefined;
  let ended = false;

  const end = () => {
    if (ended) return;
    ended = true;
    for (let i = 0; i < pending.size; i++) onDropped?.();
    pending.clear();
    waiting?.({ done: true, value: undefined });
    waiting = undefined;
    onEnd?.();
  };

  const iterator: AsyncIterableIterator<T> = {
    next() {
      if (ended) return Promise.resolve({ done: true, value: undefined });
      const first = pending.entries().next();
      if (!first.done) {
        const [slot, value] = first.value;
        pending.delete(slot);
        onSent?.();
        return Promise.resolve({ done: false, value });
      }
      // One reader at a time: a transport never asks for the next message before it has the last.
      return new Promise((resolve) => (waiting = resolve));
    },
    return() {
      end();
      return Promise.resolve({ done: true, value: undefined });
    },
    throw(error: unknown) {
      end();
      return Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };

  return {
    iterator,
    /** Puts `value` in `slot`: sent at once if the transport is waiting, else kept (see above). */
    put(slot: string, value: T) {
      if (ended) return;
      if (waiting !== undefined) {
        const resolve = waiting;
        waiting = undefined;
        onSent?.();
        resolve({ done: false, value });
        return;
      }
      if (pending.has(slot)) onDropped?.();
      pending.set(slot, value);
      if (pending.size > maxPending) {
        pending.delete(pending.keys().next().value!);
        onDropped?.();
      }
    },
    /** Ends the stream: the transport completes it, and what was not sent is dropped. */
    end,
    get ended() {
      return ended;
    },
  };
}

export type LiveQueue<T> = ReturnType<typeof createLiveQueue<T>>;
