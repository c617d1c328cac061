/** When a read or write began, in invalidations: what `forgottenSince` compares against. */
export type Ticket = number;

/**
 * Decides whether a value that a read or write brings back from Redis may still be kept in
 * process, or was invalidated while it was on its way.
 *
 * Every invalidation advances an epoch and records, per key (or prefix), the epoch at which it was
 * forgotten. A read or write takes the current epoch as its ticket before it goes to Redis; when
 * it returns, its value is kept only if its key has not been forgotten since. A read that left
 * before an invalidation ran can carry the old value back after it: this is what stops it.
 *
 * Records are needed only while a call older than them is in flight, so each is dropped once the
 * oldest ticket in flight is newer: memory is bounded by the invalidations made during the
 * longest call (bounded by the store's time limits), not by every invalidation ever made. Both
 * queues are in epoch order, so that pruning is O(1) a record.
 */
export function createInvalidationEpochs() {
  let epoch = 0;
  /** Tickets in flight: epoch → how many. Epochs only grow, so insertion order is epoch order. */
  const inFlight = new Map<Ticket, number>();
  const keyForgottenAt = new Map<string, number>();
  const keyQueue: Array<{ key: string; at: number }> = [];
  let keyHead = 0;
  const prefixQueue: Array<{ prefix: string; at: number }> = [];

  function prune() {
    const oldest = inFlight.size === 0 ? Infinity : inFlight.keys().next().value!;
    while (keyHead < keyQueue.length && keyQueue[keyHead]!.at <= oldest) {
      const { key, at } = keyQueue[keyHead++]!;
      if (keyForgottenAt.get(key) === at) keyForgottenAt.delete(key);
    }
    if (keyHead > 1024 && keyHead * 2 > keyQueue.length) {
      keyQueue.splice(0, keyHead);
      keyHead = 0;
    }
    while (prefixQueue.length > 0 && prefixQueue[0]!.at <= oldest) prefixQueue.shift();
  }

  return {
    begin(): Ticket {
      inFlight.set(epoch, (inFlight.get(epoch) ?? 0) + 1);
      return epoch;
    },

    end(ticket: Ticket) {
      const count = inFlight.get(ticket) ?? 0;
      if (count > 1) {
        inFlight.set(ticket, count - 1);
        return;
      }
      inFlight.delete(ticket);
      prune();
    },

    forget(key: string) {
      epoch++;
      if (inFlight.size === 0) return; // no call could bring it back
      keyForgottenAt.set(key, epoch);
      keyQueue.push({ key, at: epoch });
    },

    forgetPrefix(prefix: string) {
      epoch++;
      if (inFlight.size === 0) return;
      prefixQueue.push({ prefix, at: epoch });
    },

    /** Whether `key` was forgotten after `ticket` was taken. */
    forgottenSince(key: string, ticket: Ticket): boolean {
      if ((keyForgottenAt.get(key) ?? -1) > ticket) return true;
      return prefixQueue.some(({ prefix, at }) => at > ticket && key.startsWith(prefix));
    },
  };
}
