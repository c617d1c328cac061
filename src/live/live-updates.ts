import type { Logger } from 'pino';
import { DecodeError, decodeBar, decodeFundingRate, decodeTrade, isLogStamp } from '../cache/codec.js';
import type { Bar, Stored, Timeframe, Trade } from '../cache/market-types.js';
import { DEFAULTS } from '../defaults.js';
import { coded } from '../errors.js';
import { expiresAtOf, isAbsent } from '../read/fill/filler.js';
import type { Served } from '../read/loaders.js';
import { rootReads } from '../read/root-reads.js';
import type { GatewayContext } from '../resolvers/context.js';
import { checkSubscribedSymbols } from '../resolvers/validate.js';
import type { LiveHub, Watch } from './live-hub.js';
import { createLiveQueue, type LiveQueue } from './live-queue.js';

export const LIVE_FIELDS = ['tickers', 'bars', 'fundingRates', 'orderBook', 'trades', 'fearGreed'] as const;
export type LiveField = (typeof LIVE_FIELDS)[number];

export interface LiveLimits {
  /** Subscriptions this instance serves at once (`MAX_SUBSCRIPTIONS`). */
  maxSubscriptions: number;
  /** Symbols all its subscriptions follow, one per symbol per subscription (`MAX_SUBSCRIBED_SYMBOLS`). */
  maxSubscribedSymbols: number;
}

export interface LiveUpdatesOptions extends LiveLimits {
  hub: LiveHub;
  logger: Logger;
}

/** What live updates have done since start, by field, for `/metrics`. */
export interface LiveStats {
  subscribers: Record<LiveField, number>;
  sent: Record<LiveField, number>;
  dropped: Record<LiveField, number>;
  /** Changes of followed keys: read again, or merged into a read already due (see live-hub.ts). */
  changes: { read: number; coalesced: number };
}

/** Newest bars read again after each change of a series: a write of more skips to the newest. */
const BARS_WINDOW = DEFAULTS.live.barsWindow;
/** Newest trades read again after each change of a log: a burst of more skips to the newest. */
const TRADES_WINDOW = DEFAULTS.live.tradesWindow;

/**
 * The subscription fields, as streams of the values a client receives. Each subscription first
 * sends what is cached now (read as a query reads it: through the request's loaders, from the
 * sources on a miss, from the stale tier while Redis is unavailable), when there is something,
 * then every change the hub hands it: for tickers, funding rates, order books and Fear & Greed,
 * the newest value of each symbol (a slow client skips to the present); for bars, the open
 * candle as it changes, then each new one; for trades, each new trade. An invalidation sends
 * nothing: the next write does. After the store says changes may have been missed, what is
 * current is sent again.
 *
 * A subscription ends when its client leaves (its transport ends the stream, or the request's
 * signal aborts) or when `close` ends them all (shutdown).
 */
export function createLiveUpdates({ hub, logger, maxSubscriptions, maxSubscribedSymbols }: LiveUpdatesOptions) {
  const zero = () => Object.fromEntries(LIVE_FIELDS.map((field) => [field, 0])) as Record<LiveField, number>;
  const stats: Omit<LiveStats, 'changes'> = { subscribers: zero(), sent: zero(), dropped: zero() };
  let symbols = 0;
  const open = new Set<LiveQueue<unknown>>();

  /** A new subscription's queue, within the limits; it stops following `watches` when it ends. */
  function subscribe<T>(field: LiveField, ctx: GatewayContext, symbolCount: number): { queue: LiveQueue<T>; follow: (watches: Watch[]) => void } {
    if (open.size >= maxSubscriptions) {
      throw coded('TOO_MANY_SUBSCRIPTIONS', `subscriptions: expected at most ${maxSubscriptions} on this gateway (MAX_SUBSCRIPTIONS), received one more`);
    }
    if (symbols + symbolCount > maxSubscribedSymbols) {
      throw coded(
        'TOO_MANY_SUBSCRIPTIONS',
        `subscribed symbols: expected at most ${maxSubscribedSymbols} on this gateway (MAX_SUBSCRIBED_SYMBOLS), received ${symbols + symbolCount}`,
      );
    }
    symbols += symbolCount;
    stats.subscribers[field] += 1;
    let unwatch = () => {};
    const onAbort = () => queue.end();
    const queue: LiveQueue<T> = createLiveQueue<T>({
      maxPending: DEFAULTS.live.maxPending,
      onSent: () => void (stats.sent[field] += 1),
      onDropped: () => void (stats.dropped[field] += 1),
      onEnd: () => {
        unwatch();
        ctx.signal?.removeEventListener('abort', onAbort);
        open.delete(queue as LiveQueue<unknown>);
        symbols -= symbolCount;
        stats.subscribers[field] -= 1;
      },
    });
    open.add(queue as LiveQueue<unknown>);
    if (ctx.signal?.aborted) queue.end();
    else ctx.signal?.addEventListener('abort', onAbort, { once: true });
    return {
      queue,
      follow: (watches) => {
        if (!queue.ended) unwatch = hub.watch(watches);
      },
    };
  }

  /** A value that does not decode is logged and skipped; the subscription goes on. */
  function decoded<T>(key: string, raw: string, decode: (raw: string) => T): T | undefined {
    try {
      return decode(raw);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      logger.warn({ key, reason: error.message }, 'live updates: skipped a cached value that does not decode');
      return undefined;
    }
  }

  /**
   * Point values of `keys`, the newest of each: what each holds now (when anything), then each
   * change. A value equal to the last one sent is not sent again, unless changes may have been
   * missed.
   */
  function followPoints<T extends object>(field: LiveField, ctx: GatewayContext, keys: readonly string[], decode: (raw: string) => T) {
    const { queue, follow } = subscribe<T & { stale: boolean }>(field, ctx, keys.length);
    const last = new Map<string, string>();
    const put = (key: string, raw: string, stale: boolean, resend: boolean) => {
      if (isAbsent(raw) || (!resend && last.get(key) === raw)) return;
      last.set(key, raw);
      const value = decoded(key, raw, decode);
      if (value !== undefined) queue.put(key, { ...value, stale: stale || isPast(raw) });
    };
    follow(keys.map((key) => ({ key, deliver: (raw, resend) => typeof raw === 'string' && put(key, raw, false, resend) })));
    // What is cached now, unless a change already came (it is newer); what could not be read
    // (Redis unavailable, nothing in the stale tier) the hub reads until it can.
    void Promise.all(keys.map((key) => ctx.loaders.points.load(key).catch((error: unknown) => error as Error))).then((served) => {
      served.forEach((answer, i) => {
        const key = keys[i]!;
        if (isServed(answer) && !last.has(key)) put(key, answer.value, answer.stale, false);
      });
      hub.reread(keys.filter((_, i) => served[i] instanceof Error));
    });
    return queue.iterator;
  }

  return {
    tickers(ctx: GatewayContext, args: { symbols: readonly string[] }) {
      checkSubscribedSymbols(args.symbols);
      const { keys, decode } = rootReads.tickers({ symbols: unique(args.symbols) }, ctx);
      return followPoints('tickers', ctx, keys, decode);
    },

    fundingRates(ctx: GatewayContext, args: { symbols: readonly string[] }) {
      checkSubscribedSymbols(args.symbols);
      return followPoints('fundingRates', ctx, unique(args.symbols).map((symbol) => ctx.keys.fundingRate(symbol)), decodeFundingRate);
    },

    orderBook(ctx: GatewayContext, args: { symbol: string; depth?: number | null }) {
      const { key, decode } = rootReads.orderBook(args, ctx);
      return followPoints('orderBook', ctx, [key], decode);
    },

    fearGreed(ctx: GatewayContext) {
      const { key, decode } = rootReads.fearGreed({}, ctx);
      return followPoints('fearGreed', ctx, [key], decode);
    },

    /**
     * The series' newest bar now, then each bar newer than the last one sent, and the last one
     * again whenever it changes (the open candle). Older bars written later (a backfill) are not
     * sent: a client reads history with the `bars` query.
     */
    bars(ctx: GatewayContext, { symbol, timeframe }: { symbol: string; timeframe: Timeframe }) {
      const key = ctx.keys.bars(symbol, timeframe);
      const decode = (raw: string) => decodeBar(raw, symbol, timeframe);
      const { queue, follow } = subscribe<Stored<Bar> & { stale: boolean }>('bars', ctx, 1);
      let last: { time: number; raw: string } | undefined;
      const put = (raw: string, bar: Stored<Bar>, stale: boolean) => {
        const time = Date.parse(bar.openTime);
        last = { time, raw };
        // One slot per candle: the open candle's changes collapse into its latest while unsent.
        queue.put(`${time}`, { ...bar, stale });
      };
      const take = (raw: string, stale: boolean) => {
        const bar = decoded(key, raw, decode);
        if (bar !== undefined) put(raw, bar, stale);
      };
      follow([
        {
          key,
          range: { key, limit: BARS_WINDOW },
          deliver(members, resend) {
            if (!Array.isArray(members) || members.length === 0) return;
            if (last === undefined) return take(members[0]!, false);
            // Newest first, down to the last bar sent: usually one or two to decode.
            const fresh: Array<{ raw: string; bar: Stored<Bar> }> = [];
            for (const raw of members) {
              const bar = decoded(key, raw, decode);
              if (bar === undefined) continue;
              const time = Date.parse(bar.openTime);
              if (time < last.time) break;
              if (time > last.time || raw !== last.raw || resend) fresh.push({ raw, bar });
              if (time === last.time) break;
            }
            // Sent oldest first, as they happened.
            for (const { raw, bar } of fresh.reverse()) put(raw, bar, false);
          },
        },
      ]);
      void ctx.loaders.ranges
        .load({ key, limit: 1 })
        .catch((error: unknown) => error as Error)
        .then((answer) => {
          if (isServed(answer) && answer.value.length > 0 && last === undefined) take(answer.value[0]!, answer.stale);
          if (answer instanceof Error) hub.reread([key]);
        });
      return queue.iterator;
    },

    /**
     * The log's newest trade now, then each trade it did not hold at the last read, oldest first:
     * late trades (older than one already sent) too, as long as they are among the newest
     * `TRADES_WINDOW`.
     */
    trades(ctx: GatewayContext, { symbol }: { symbol: string }) {
      const key = ctx.keys.trades(symbol);
      const range = { key, limit: TRADES_WINDOW + 1, log: true };
      const { queue, follow } = subscribe<Stored<Trade> & { stale: boolean }>('trades', ctx, 1);
      let held: Set<string> | undefined;
      let sent = 0;
      const put = (raw: string, stale: boolean) => {
        const trade = decoded(key, raw, decodeTrade);
        if (trade !== undefined) queue.put(`${sent++}`, { ...trade, stale });
      };
      /** The first sight of the log sends its newest trade; every later one, what is new since. */
      const take = (list: readonly string[], stale: boolean) => {
        if (held === undefined) {
          if (list.length > 0) put(list[0]!, stale);
        } else {
          for (const raw of list.filter((member) => !held!.has(member)).reverse()) put(raw, stale);
        }
        held = new Set(list);
      };
      follow([
        {
          key,
          range,
          deliver(members) {
            if (!Array.isArray(members)) return;
            // As read from the store, the log's stamp comes first: it says whether the trades are past their TTL.
            const stamp = members[0] !== undefined && isLogStamp(members[0]) ? members[0] : undefined;
            take(stamp === undefined ? members.slice(0, TRADES_WINDOW) : members.slice(1), stamp !== undefined && isPast(stamp));
          },
        },
      ]);
      void ctx.loaders.ranges
        .load(range)
        .catch((error: unknown) => error as Error)
        // The loaders take the stamp off: what they serve is trades only.
        .then((answer) => {
          if (isServed(answer) && held === undefined) take(answer.value, answer.stale);
          if (answer instanceof Error) hub.reread([key]);
        });
      return queue.iterator;
    },

    stats: (): LiveStats => ({ ...stats, changes: hub.changes() }),

    /** Ends every subscription (shutdown): each client sees its stream complete. */
    close() {
      for (const queue of [...open]) queue.end();
    },
  };
}

export type LiveUpdates = ReturnType<typeof createLiveUpdates>;

function unique(symbols: readonly string[]): string[] {
  return [...new Set(symbols)];
}

function isServed<T>(answer: Served<T> | null | Error): answer is Served<T> {
  return answer !== null && !(answer instanceof Error);
}

/** Whether a stored value (or log stamp) is past its TTL: served stale while it is refreshed. */
function isPast(raw: string): boolean {
  return expiresAtOf(raw) <= Date.now();
}
