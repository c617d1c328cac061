import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDemoData, mulberry32 } from '../../src/demo/demo-data.js';
import { createDemoMarket, startLiveDemo, type DemoTick } from '../../src/demo/demo-ticks.js';

// The live demo's market, tick by tick, and its loop: what it would write, without a gateway.

const HOUR_MS = 3_600_000;
/** 10:30:00 UTC: the open 1h candle started at 10:00, the 4h one at 08:00, the 1d one at midnight. */
const NOW_MS = Date.parse('2026-03-02T10:30:00.000Z');

function ticks(count: number, stepMs = 1000): { data: ReturnType<typeof createDemoData>; ticks: DemoTick[] } {
  const data = createDemoData(new Date(NOW_MS));
  const market = createDemoMarket(data, { random: mulberry32(7) });
  return { data, ticks: Array.from({ length: count }, (_, i) => market.next(NOW_MS + i * stepMs)) };
}

describe('the live demo market', () => {
  it('moves every symbol each tick: a ticker at its last trade, inside its book, which stays 50 levels a side and uncrossed', () => {
    const { data, ticks: all } = ticks(60);
    const prices = new Set<number>();
    for (const tick of all) {
      expect(tick.tickers.map((ticker) => ticker.symbol)).toEqual(data.tickers.map((ticker) => ticker.symbol));
      for (const [i, ticker] of tick.tickers.entries()) {
        const book = tick.orderBooks[i]!;
        const trades = tick.trades[i]!.trades;
        expect(ticker.last).toBe(trades[0]!.price);
        expect([ticker.bid, ticker.ask]).toEqual([book.bids[0]!.price, book.asks[0]!.price]);
        expect(ticker.bid).toBeLessThan(ticker.ask);
        expect(ticker.last).toBeGreaterThanOrEqual(ticker.low24h);
        expect(ticker.last).toBeLessThanOrEqual(ticker.high24h);
        expect(book.bids).toHaveLength(50);
        expect(book.asks).toHaveLength(50);
        expect(book.bids.map((level) => level.price)).toEqual(book.bids.map((level) => level.price).sort((a, b) => b - a));
        if (ticker.symbol === 'BTC/USDT') prices.add(ticker.last);
      }
    }
    expect(prices.size).toBeGreaterThan(30);
    // A small walk: a minute moves BTC by well under 1%.
    const btc = all.map((tick) => tick.tickers[0]!.last);
    expect(Math.max(...btc) / Math.min(...btc)).toBeLessThan(1.01);
  });

  it('appends 1-3 new trades a symbol a tick, newest first, with increasing ids and times no later than the tick', () => {
    const { data, ticks: all } = ticks(30);
    let lastId = Math.max(...data.trades[0]!.trades.map((trade) => Number(trade.id)));
    let lastMs = 0;
    for (const [k, tick] of all.entries()) {
      const trades = [...tick.trades[0]!.trades].reverse();
      expect(trades.length).toBeGreaterThanOrEqual(1);
      expect(trades.length).toBeLessThanOrEqual(3);
      for (const trade of trades) {
        expect(Number(trade.id)).toBe(lastId + 1);
        expect(Date.parse(trade.time)).toBeGreaterThan(lastMs);
        expect(Date.parse(trade.time)).toBeLessThanOrEqual(NOW_MS + k * 1000);
        lastId = Number(trade.id);
        lastMs = Date.parse(trade.time);
      }
    }
  });

  it('keeps one open candle per series, moving with the price, that opens where the demo history ends', () => {
    const { data, ticks: all } = ticks(20);
    const history = (timeframe: string) => data.bars.find((entry) => entry.symbol === 'BTC/USDT' && entry.timeframe === timeframe)!.bars;
    const hourly = history('1h');
    const open = (tick: DemoTick, timeframe: string) => tick.bars.find((entry) => entry.symbol === 'BTC/USDT' && entry.timeframe === timeframe)!.bars[0];

    expect(all[0]!.bars).toHaveLength(data.bars.length);
    const lasts = all.map((tick) => tick.tickers[0]!.last);
    const final1h = open(all.at(-1)!, '1h');
    expect(final1h).toMatchObject({ openTime: '2026-03-02T10:00:00.000Z', open: hourly.at(-1)!.close, close: lasts.at(-1) });
    expect(final1h.high).toBe(Math.max(final1h.open, ...lasts));
    expect(final1h.low).toBe(Math.min(final1h.open, ...lasts));
    expect(final1h.volume).toBeGreaterThan(0);

    // The day's candle already holds the ten hours of today the history has as hourly bars.
    const today = hourly.filter((bar) => bar.openTime >= '2026-03-02T00:00:00.000Z');
    expect(today).toHaveLength(10);
    const day = open(all[0]!, '1d');
    expect(day.openTime).toBe('2026-03-02T00:00:00.000Z');
    expect(day.open).toBe(today[0]!.open);
    expect(day.high).toBeGreaterThanOrEqual(Math.max(...today.map((bar) => bar.high)));
    expect(day.volume).toBeGreaterThan(today.reduce((total, bar) => total + bar.volume, 0));
    expect(open(all[0]!, '4h').openTime).toBe('2026-03-02T08:00:00.000Z');
  });

  it('opens a new candle at the close of the last one when the period rolls over', () => {
    const data = createDemoData(new Date(NOW_MS));
    const market = createDemoMarket(data, { random: mulberry32(3) });
    const before = market.next(NOW_MS + 0.5 * HOUR_MS - 1000);
    const after = market.next(NOW_MS + 0.5 * HOUR_MS);
    const oneHour = (tick: DemoTick) => tick.bars.find((entry) => entry.symbol === 'ETH/USDT' && entry.timeframe === '1h')!.bars[0];
    expect(oneHour(before).openTime).toBe('2026-03-02T10:00:00.000Z');
    expect(oneHour(after).openTime).toBe('2026-03-02T11:00:00.000Z');
    expect(oneHour(after).open).toBe(oneHour(before).close);
    expect(oneHour(after).volume).toBeLessThan(oneHour(before).volume);
  });

  it('changes Fear & Greed now and then, with the classification of its value', () => {
    const readings = ticks(300).ticks.flatMap((tick) => (tick.fearGreed ? [tick.fearGreed] : []));
    expect(readings.length).toBeGreaterThan(3);
    expect(readings.length).toBeLessThan(60);
    for (const { value, classification } of readings) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(100);
      expect(classification).toBe(value <= 24 ? 'Extreme Fear' : value <= 44 ? 'Fear' : value <= 55 ? 'Neutral' : value <= 75 ? 'Greed' : 'Extreme Greed');
    }
  });
});

describe('startLiveDemo', () => {
  afterEach(() => void vi.useRealTimers());

  it('writes a tick a second, one at a time, and nothing once stop() has resolved', async () => {
    vi.useFakeTimers({ now: NOW_MS });
    const data = createDemoData(new Date(NOW_MS));
    const writes: Array<{ atMs: number; finish: () => void }> = [];
    const demo = startLiveDemo({
      data,
      write: () => new Promise<void>((resolve) => writes.push({ atMs: Date.now(), finish: resolve })),
      onError: (error) => expect.fail(String(error)),
    });

    await vi.advanceTimersByTimeAsync(0);
    expect(writes).toHaveLength(1);
    // A slow write holds the next tick back instead of piling writes up.
    await vi.advanceTimersByTimeAsync(5_000);
    expect(writes).toHaveLength(1);
    writes[0]!.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(writes).toHaveLength(2);
    writes[1]!.finish();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(writes).toHaveLength(3);
    expect(writes[2]!.atMs - writes[1]!.atMs).toBe(1_000);

    // Stopped mid-write: stop() waits for that write, and no other follows.
    let stopped = false;
    const stopping = demo.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    writes[2]!.finish();
    await stopping;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(writes).toHaveLength(3);
  });

  it('reports a failed tick and goes on', async () => {
    vi.useFakeTimers({ now: NOW_MS });
    const failures: unknown[] = [];
    let calls = 0;
    const demo = startLiveDemo({
      data: createDemoData(new Date(NOW_MS)),
      write: async () => {
        calls += 1;
        if (calls === 1) throw new Error('gateway busy');
      },
      onError: (error) => failures.push(error),
    });
    await vi.advanceTimersByTimeAsync(2_500);
    await demo.stop();
    expect(failures).toEqual([new Error('gateway busy')]);
    expect(calls).toBe(3);
  });
});
