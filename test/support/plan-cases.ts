import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { encodeLogStamp } from '../../src/cache/codec.js';
import { createKeyLayout } from '../../src/cache/keys.js';
import type { CacheStore } from '../../src/cache/store.js';

/**
 * Random cache contents and random client requests for the read-plan property test
 * (test/read-plans.test.ts): what the cache may hold, from what the gateway writes to what a bug
 * or another writer could leave, and what a client may ask.
 */

export const TTL_MS = 600_000;
export const HOUR = 3_600_000;
export const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const SYMBOLS = ['BTC/USDT', 'ETH/USDT'] as const;
const ANALYSIS_TYPE = 'sentiment';
const ANALYSIS_INPUT = 'BTC outlook for the week';
const ANALYSIS_HASH = createHash('sha256').update(ANALYSIS_INPUT, 'utf8').digest('hex');

export const keys = createKeyLayout({ namespace: 'mdc', version: 'v1' });
/** Every key a generated query can find something under. */
const CACHE_KEYS = [
  ...SYMBOLS.flatMap((s) => [keys.ticker(s), keys.fundingRate(s), keys.bars(s, '1h'), keys.latestBar(s, '1h'), keys.orderBook(s), keys.trades(s)]),
  keys.fearGreed(),
  keys.llmAnalysis(ANALYSIS_TYPE, ANALYSIS_HASH),
];

export const isoAt = (hour: number) => new Date(T0 + hour * HOUR).toISOString();

/** `value`, or one time in `oddOneIn` one of `odd`. */
const usually = <T>(value: fc.Arbitrary<T>, odd: readonly unknown[], oddOneIn = 6) =>
  fc.oneof({ weight: oddOneIn - 1, arbitrary: value as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: fc.constantFrom(...odd) });
/** `value` one time in `of`, `undefined` otherwise. */
const rarely = <T>(value: fc.Arbitrary<T>, of: number) =>
  fc.oneof({ weight: of - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: value });

// --- What the cache may hold ----------------------------------------------------------------
// Mostly what the gateway writes. Otherwise what another writer, an older version or a bug might
// have left: fields that decode but are odd (dates not in toISOString's form, values a scalar
// refuses, nulls), a field that does not decode, or text that is not a record at all. Odd but
// decodable fields are the common case, as they are where a plan and the executor could differ;
// a field that does not decode turns the whole value into a miss, hiding the rest of it.

/** A field left out of the stored JSON. */
const OMITTED = Symbol('omitted');

/**
 * How a stored field is written; what may be found instead that decodes, and that does not (none,
 * for a field the decoder ignores).
 */
interface StoredField {
  value: fc.Arbitrary<unknown>;
  odd: readonly unknown[];
  corrupt: readonly unknown[];
}

const date: StoredField = {
  value: fc.integer({ min: -24, max: 24 * 400 }).map(isoAt),
  odd: [
    '2026-01-01T00:00:00Z', // served as 2026-01-01T00:00:00.000Z
    '2026-02-30T00:00:00.000Z', // toISOString's shape, but V8 rolls it over to March 2
    '2026-01-01T24:00:00.000Z',
    '2026-01-01T05:30:00+05:30',
    '2026-01-01',
    'March 7, 2026',
    '+010000-01-01T00:00:00.000Z',
  ],
  corrupt: ['2026-13-01T00:00:00.000Z', 'yesterday', '', 1_767_225_600_000, null, OMITTED],
};
const price = fc.double({ min: 0.001, max: 1e6, noNaN: true });
// Negative numbers twice: NonNegativeFloat refuses them (Ticker.volume24h, Bar.volume).
const number: StoredField = { value: price, odd: [-1, -0.5, 0, 1e21, 5e-324, Number.MAX_VALUE], corrupt: ['1', true, null, OMITTED] };
const optionalNumber: StoredField = { value: fc.option(price, { nil: null }), odd: [...number.odd, OMITTED], corrupt: ['1', true] };
// A missing or null nextFundingTime is a funding rate without one, not a corrupt value.
const optionalDate: StoredField = { value: fc.option(date.value, { nil: null }), odd: [...date.odd, OMITTED], corrupt: date.corrupt.filter((v) => v !== null && v !== OMITTED) };
const symbolField = (symbol: string): StoredField => ({
  value: fc.constant(symbol),
  odd: ['ETH/USDT', 'BTC USDT', '', 'B'.repeat(65), '{BTC}'], // all but the first refused by MarketSymbol
  corrupt: [7, null, OMITTED],
});
const text: StoredField = {
  value: fc.oneof(fc.string({ maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 4 })),
  odd: ['\ud800', '"q"\n\\', ''],
  corrupt: [7, null, OMITTED],
};
const optionalText: StoredField = { value: fc.option(text.value, { nil: null }), odd: [...text.odd, OMITTED], corrupt: [7] };
const constant = (value: string, odd: readonly unknown[], corrupt: readonly unknown[]): StoredField => ({ value: fc.constant(value), odd, corrupt });
const stamps = { cachedAt: date, expiresAt: date };

const TICKER = (symbol: string) => ({
  symbol: symbolField(symbol),
  last: number,
  bid: optionalNumber,
  ask: optionalNumber,
  high24h: optionalNumber,
  low24h: optionalNumber,
  volume24h: optionalNumber,
  changePercent24h: optionalNumber,
  time: date,
  ...stamps,
});
const FUNDING_RATE = (symbol: string) => ({ symbol: symbolField(symbol), rate: number, nextFundingTime: optionalDate, time: date, ...stamps });
const FEAR_GREED = {
  // Int refuses all the odd ones.
  value: { value: fc.integer({ min: 0, max: 100 }), odd: [50.5, -1, 2 ** 31, 1e21], corrupt: ['50', null, OMITTED] },
  classification: text,
  time: date,
  ...stamps,
};
const LLM_ANALYSIS = {
  analysisType: constant(ANALYSIS_TYPE, ['other'], [7, OMITTED]),
  inputHash: constant(ANALYSIS_HASH, [ANALYSIS_HASH.toUpperCase()], [7, OMITTED]),
  result: {
    value: fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    odd: [JSON.parse('{"__proto__":{"polluted":true}}'), {}],
    corrupt: [[], 'text', null, OMITTED],
  },
  model: optionalText,
  ...stamps,
};
/** A field the stored format does not have, which decoding must drop: absent unless odd. */
const unknownField = (odd: readonly unknown[]): StoredField => ({ value: fc.constant(OMITTED), odd, corrupt: [] });
const amount: StoredField = { value: fc.double({ min: 0, max: 1e4, noNaN: true }), odd: [0, 1e21, 5e-324], corrupt: [-1, '1', null, OMITTED] };

/** `levels`, given lowest price first, as a side of `order` stores them: asks (1) so, bids (-1) highest first. */
const bestFirst = (order: 1 | -1, levels: readonly unknown[]) => (order === 1 ? [...levels] : [...levels].reverse());
const level = (price: number, amount: number) => ({ price, amount });
/** A book side: prices > 0, strictly in `order`, amounts >= 0; a level that breaks that makes the whole book a miss. */
const LEVELS = (order: 1 | -1): StoredField => ({
  value: fc
    .uniqueArray(fc.record({ price, amount: amount.value }), { selector: (l) => l.price, maxLength: 6 })
    .map((levels) => levels.sort((a, b) => order * (a.price - b.price))),
  odd: [
    [],
    bestFirst(order, [level(5e-324, 0), level(1e21, 1e21)]),
    bestFirst(order, [{ price: 100, amount: 1, venue: 'x' }]), // a field of its own, dropped
    bestFirst(order, [{ amount: 1, price: 100 }]),
  ],
  corrupt: [
    [level(0, 1)],
    [level(-1, 1)],
    bestFirst(order, [level(100, 1), level(-0.5, 1)]),
    bestFirst(-order as 1 | -1, [level(100, 1), level(101, 1)]), // out of order
    [level(100, 1), level(100, 2)], // a price twice
    [level(100, -1)],
    // A bad level past the best ones: past any small depth, but still a corrupt book.
    [...bestFirst(order, [level(100, 1), level(101, 1), level(102, 1)]), level(order === 1 ? 103 : 99, -1)],
    [{ price: 100 }],
    [level(100, 1), { price: '101', amount: 1 }],
    ['level'],
    [null],
    [[100, 1]],
    {},
    '[]',
    null,
    OMITTED,
  ],
});
const ORDER_BOOK = (symbol: string) => ({
  symbol: symbolField(symbol),
  bids: LEVELS(-1),
  asks: LEVELS(1),
  time: date,
  ...stamps,
  stale: unknownField([true, 'yes']),
});
/** A trade at `hour` (its score); its time is that of its score unless it is an odd one. */
const TRADE = (hour: number) => ({
  id: { value: fc.nat(999).map((n) => `t${n}`), odd: [null, OMITTED, '', '\ud800'], corrupt: [7, true] },
  time: constant(isoAt(hour), date.odd, date.corrupt),
  price: number,
  amount,
  side: { value: fc.constantFrom('buy', 'sell'), odd: [null, OMITTED], corrupt: ['hold', 'BUY', 7, ''] },
  venue: unknownField(['binance', { nested: [1] }, null]),
  stale: unknownField([true]),
});
/** A log's stamp as the gateway writes it. */
export const STAMP = encodeLogStamp({ cachedAt: new Date(T0), expiresAt: new Date(T0 + HOUR) });

/** A bar at `hour`; its openTime is that of its score unless it is an odd one. */
const BAR = (hour: number) => ({
  openTime: constant(isoAt(hour), date.odd, date.corrupt),
  open: number,
  high: number,
  low: number,
  close: number,
  volume: number,
});

/** One record of each type, well formed, and where it is stored and how it is asked for (`ALL`: every field). */
export const SHAPES = [
  {
    type: 'Ticker',
    fields: TICKER('BTC/USDT'),
    wellFormed: { symbol: 'BTC/USDT', last: 100.5, bid: 100.25, ask: 100.75, high24h: 110, low24h: 90, volume24h: 1234.5, changePercent24h: -1.5, time: isoAt(0), cachedAt: isoAt(0), expiresAt: isoAt(1) },
    write: (store: CacheStore, raw: string) => store.set(keys.ticker('BTC/USDT'), raw, TTL_MS),
    query: '{ ticker(symbol: "BTC/USDT") { ALL } tickers(symbols: ["ETH/USDT", "BTC/USDT", "BTC/USDT"]) { ALL } }',
  },
  {
    type: 'FundingRate',
    fields: FUNDING_RATE('BTC/USDT'),
    wellFormed: { symbol: 'BTC/USDT', rate: 0.0001, nextFundingTime: isoAt(8), time: isoAt(0), cachedAt: isoAt(0), expiresAt: isoAt(1) },
    write: (store: CacheStore, raw: string) => store.set(keys.fundingRate('BTC/USDT'), raw, TTL_MS),
    query: '{ fundingRate(symbol: "BTC/USDT") { ALL } }',
  },
  {
    type: 'FearGreed',
    fields: FEAR_GREED,
    wellFormed: { value: 40, classification: 'Fear', time: isoAt(0), cachedAt: isoAt(0), expiresAt: isoAt(1) },
    write: (store: CacheStore, raw: string) => store.set(keys.fearGreed(), raw, TTL_MS),
    query: '{ fearGreed { ALL } }',
  },
  {
    type: 'LlmAnalysis',
    fields: LLM_ANALYSIS,
    wellFormed: { analysisType: ANALYSIS_TYPE, inputHash: ANALYSIS_HASH, result: { sentiment: 'bullish', score: 0.7 }, model: 'gpt', cachedAt: isoAt(0), expiresAt: isoAt(1) },
    write: (store: CacheStore, raw: string) => store.set(keys.llmAnalysis(ANALYSIS_TYPE, ANALYSIS_HASH), raw, TTL_MS),
    query: `{ llmAnalysis(analysisType: "${ANALYSIS_TYPE}", input: "${ANALYSIS_INPUT}") { ALL } }`,
  },
  {
    type: 'Bar',
    fields: BAR(1),
    wellFormed: { openTime: isoAt(1), open: 100, high: 110, low: 90, close: 105, volume: 1000 },
    // The odd bar is the newest of two, so that it is the latest bar as well.
    write: (store: CacheStore, raw: string) =>
      store.upsertSeries({
        key: keys.bars('BTC/USDT', '1h'),
        latestKey: keys.latestBar('BTC/USDT', '1h'),
        members: [{ score: T0, member: JSON.stringify({ openTime: isoAt(0), open: 1, high: 1, low: 1, close: 1, volume: 1 }) }, { score: T0 + HOUR, member: raw }],
        ttlMs: TTL_MS,
        maxMembers: 10,
      }),
    query: '{ latestBar(symbol: "BTC/USDT", timeframe: "1h") { ALL } bars(symbol: "BTC/USDT", timeframe: "1h") { ALL } }',
  },
  {
    type: 'OrderBook',
    fields: ORDER_BOOK('BTC/USDT'),
    wellFormed: {
      symbol: 'BTC/USDT',
      bids: [level(100.5, 1), level(100, 2.5), level(99, 0)],
      asks: [level(101, 1), level(101.5, 3)],
      time: isoAt(0),
      cachedAt: isoAt(0),
      expiresAt: isoAt(1),
    },
    write: (store: CacheStore, raw: string) => store.set(keys.orderBook('BTC/USDT'), raw, TTL_MS),
    query: '{ orderBook(symbol: "BTC/USDT") { ALL } top: orderBook(symbol: "BTC/USDT", depth: 1) { ALL } }',
  },
  {
    type: 'Trade',
    fields: TRADE(1),
    wellFormed: { id: 't1', time: isoAt(1), price: 100.5, amount: 0.25, side: 'buy' },
    // The odd trade is the newest of two, so that `limit: 1` serves it alone.
    write: (store: CacheStore, raw: string) =>
      store.appendLog({
        key: keys.trades('BTC/USDT'),
        idsKey: keys.tradeIds('BTC/USDT'),
        members: [{ score: T0, member: JSON.stringify({ id: 't0', time: isoAt(0), price: 1, amount: 1, side: 'sell' }), id: 't0' }, { score: T0 + HOUR, member: raw }],
        stamp: STAMP,
        ttlMs: TTL_MS,
        maxMembers: 10,
      }),
    query: '{ trades(symbol: "BTC/USDT") { ALL } newest: trades(symbol: "BTC/USDT", limit: 1) { ALL } }',
  },
];

const NOT_A_RECORD = ['not json', '{"last":', '[]', 'null', '42', '"text"', ''];

/** A record as stored: JSON, without its OMITTED fields. */
export const encodeRecord = (record: Record<string, unknown>) =>
  JSON.stringify(Object.fromEntries(Object.entries(record).filter(([, value]) => value !== OMITTED)));

/**
 * The stored text of a record of `fields`: well formed; with odd fields (each one time in four);
 * with a field that does not decode; or not a record at all.
 */
export function stored(fields: Record<string, StoredField>): fc.Arbitrary<string> {
  const entries = Object.entries(fields);
  const record = (field: (f: StoredField) => fc.Arbitrary<unknown>) => fc.record(Object.fromEntries(entries.map(([name, f]) => [name, field(f)])));
  const oddly = ({ value, odd }: StoredField) => fc.oneof({ weight: 3, arbitrary: value }, { weight: 1, arbitrary: fc.constantFrom(...odd) });
  const corruptField = fc.oneof(
    ...entries.filter(([, { corrupt }]) => corrupt.length > 0).map(([name, { corrupt }]) => fc.constantFrom(...corrupt).map((value) => [name, value] as const)),
  );
  return fc.oneof(
    { weight: 4, arbitrary: record((f) => f.value).map(encodeRecord) },
    { weight: 4, arbitrary: record(oddly).map(encodeRecord) },
    { weight: 1, arbitrary: fc.tuple(record(oddly), corruptField).map(([r, [name, value]]) => encodeRecord({ ...r, [name]: value })) },
    { weight: 1, arbitrary: fc.constantFrom(...NOT_A_RECORD) },
  );
}
/** What a plain key holds; `undefined`: nothing. */
const slot = (raw: fc.Arbitrary<string>) => fc.option(raw, { nil: undefined, freq: 5 });

type Member = { score: number; member: string };
const barSeries = fc.uniqueArray(
  fc.integer({ min: 0, max: 47 }).chain((hour) => stored(BAR(hour)).map((member): Member => ({ score: T0 + hour * HOUR, member }))),
  { selector: (m) => m.score, maxLength: 8 },
);

/**
 * A trades log: members at a few shared times (several trades to a score), its stamp mostly as
 * the gateway writes it; otherwise one the loaders do not recognise (which is then read as a
 * trade that does not decode), one that lacks its dates, or none at all.
 */
const tradeLog = fc.record({
  members: fc.array(
    fc
      .integer({ min: 0, max: 47 })
      .map((hour) => hour - (hour % 8))
      .chain((hour) => stored(TRADE(hour)).map((member): Member => ({ score: T0 + hour * HOUR, member }))),
    { maxLength: 8 },
  ),
  stamp: usually(fc.constant(STAMP), [
    'none',
    '{"stamp":true}',
    JSON.stringify({ stamp: true, cachedAt: isoAt(0) }),
    JSON.stringify({ cachedAt: isoAt(0), expiresAt: isoAt(1), stamp: true }),
    JSON.stringify({ absent: true, cachedAt: isoAt(0), expiresAt: isoAt(1) }),
    'stamp',
  ]) as fc.Arbitrary<string>,
});
/** The id a writer would give `appendLog` for a stored trade: its own, when it has one. */
const idOf = (member: string) => {
  try {
    const { id } = JSON.parse(member) as { id?: unknown };
    return typeof id === 'string' ? id : null;
  } catch {
    return null;
  }
};

const symbolContents = (symbol: string) =>
  fc.record({
    ticker: slot(stored(TICKER(symbol))),
    fundingRate: slot(stored(FUNDING_RATE(symbol))),
    /** The 1h series, or (a store error on every range read) a plain value under its key. */
    bars: fc.oneof({ weight: 12, arbitrary: barSeries }, { weight: 1, arbitrary: stored(BAR(0)).map((plainValue) => ({ plainValue })) }),
    /** As the series write leaves it, or overwritten: absent, or any bar. */
    latestBar: fc.oneof({ weight: 4, arbitrary: fc.constant('as written' as const) }, { weight: 1, arbitrary: slot(stored(BAR(47))) }),
    orderBook: slot(stored(ORDER_BOOK(symbol))),
    /** The log, or (a store error on every range read) a plain value under its key. */
    trades: fc.oneof({ weight: 12, arbitrary: tradeLog }, { weight: 1, arbitrary: stored(TRADE(0)).map((plainValue) => ({ plainValue })) }),
  });

export const cacheContents = fc.record({
  symbols: fc.tuple(...SYMBOLS.map(symbolContents)),
  fearGreed: slot(stored(FEAR_GREED)),
  llmAnalysis: slot(stored(LLM_ANALYSIS)),
});
export type CacheContents = typeof cacheContents extends fc.Arbitrary<infer T> ? T : never;

export async function fill(store: CacheStore, contents: CacheContents) {
  const set = (key: string, raw: string | undefined) => (raw === undefined ? undefined : store.set(key, raw, TTL_MS));
  for (const [i, symbol] of SYMBOLS.entries()) {
    const { ticker, fundingRate, bars, latestBar, orderBook, trades } = contents.symbols[i]!;
    await set(keys.ticker(symbol), ticker);
    await set(keys.fundingRate(symbol), fundingRate);
    if ('plainValue' in bars) await set(keys.bars(symbol, '1h'), bars.plainValue);
    else await store.upsertSeries({ key: keys.bars(symbol, '1h'), latestKey: keys.latestBar(symbol, '1h'), members: bars, ttlMs: TTL_MS, maxMembers: 1000 });
    if (latestBar === undefined) await store.delete([keys.latestBar(symbol, '1h')]);
    else if (latestBar !== 'as written') await set(keys.latestBar(symbol, '1h'), latestBar);
    await set(keys.orderBook(symbol), orderBook);
    if ('plainValue' in trades) await set(keys.trades(symbol), trades.plainValue);
    else {
      const members = trades.members.map((m) => ({ ...m, id: idOf(m.member) }));
      const stamp = trades.stamp === 'none' ? STAMP : trades.stamp;
      await store.appendLog({ key: keys.trades(symbol), idsKey: keys.tradeIds(symbol), members, stamp, ttlMs: TTL_MS, maxMembers: 1000 });
      // A log no writer stamped (an older version's, or one written by hand).
      if (trades.stamp === 'none') await store.discard(keys.trades(symbol), STAMP);
    }
  }
  await set(keys.fearGreed(), contents.fearGreed);
  await set(keys.llmAnalysis(ANALYSIS_TYPE, ANALYSIS_HASH), contents.llmAnalysis);
}

/** What the store holds under every key a query could have touched: a value, a series, or neither. */
export async function contentsOf(store: CacheStore) {
  return Promise.all(
    CACHE_KEYS.map(async (key) => ({
      key,
      value: (await store.getMany([key]))[0],
      series: await store.rangeMany([{ key, limit: Number.MAX_SAFE_INTEGER }]).then(([members]) => members, (error: Error) => error.message),
    })),
  );
}

// --- What a client may ask ------------------------------------------------------------------
// Mostly queries a plan answers, with the selections and argument forms clients really send;
// otherwise what sends a plan back to the executor (directives, merged fields, bad variables).

export const FIELDS: Record<string, readonly string[]> = {
  Ticker: ['symbol', 'last', 'bid', 'ask', 'high24h', 'low24h', 'volume24h', 'changePercent24h', 'time', 'cachedAt', 'expiresAt', 'stale', '__typename'],
  FundingRate: ['symbol', 'rate', 'nextFundingTime', 'time', 'cachedAt', 'expiresAt', 'stale', '__typename'],
  FearGreed: ['value', 'classification', 'time', 'cachedAt', 'expiresAt', 'stale', '__typename'],
  LlmAnalysis: ['analysisType', 'inputHash', 'result', 'model', 'cachedAt', 'expiresAt', 'stale', '__typename'],
  Bar: ['symbol', 'timeframe', 'openTime', 'open', 'high', 'low', 'close', 'volume', 'stale', '__typename'],
  OrderBook: ['symbol', 'bids', 'asks', 'time', 'cachedAt', 'expiresAt', 'stale', '__typename'],
  OrderBookLevel: ['price', 'amount', '__typename'],
  Trade: ['id', 'time', 'price', 'amount', 'side', 'stale', '__typename'],
  Cached: ['cachedAt', 'expiresAt', 'stale', '__typename'],
};
/** The fields of FIELDS that are lists of objects, by `Type.field`: the type of their items. */
const ITEM_TYPES: Record<string, string> = { 'OrderBook.bids': 'OrderBookLevel', 'OrderBook.asks': 'OrderBookLevel' };
const IS_CACHED = new Set(['Ticker', 'FundingRate', 'FearGreed', 'LlmAnalysis', 'OrderBook']);

/** Every field of `type`, each list of objects with every field of its items: `symbol bids { price amount } ...`. */
export const allFieldsOf = (type: string): string =>
  FIELDS[type]!.map((field) => (ITEM_TYPES[`${type}.${field}`] ? `${field} { ${allFieldsOf(ITEM_TYPES[`${type}.${field}`]!)} }` : field)).join(' ');

type Form = 'literal' | 'variable' | 'variable with default';
interface Argument {
  name: string;
  /** The type its variable is declared with. */
  type: string;
  value: unknown;
  form: Form;
}
interface Field {
  field: string;
  /** `own`: an alias of its own (`my_last: last`); `r`: numbered at the root; `a`: shared, so possibly conflicting. */
  alias: 'own' | 'r' | 'a' | undefined;
  args: Argument[];
  directive: string | undefined;
  selections: Selection[];
}
interface Fragment {
  fragment: 'inline' | 'named';
  on: string | undefined;
  directive: string | undefined;
  /** A named fragment spread twice in a row (graphql-js spreads it once). */
  twice: boolean;
  selections: Selection[];
}
type Selection = Field | Fragment;

const directive = rarely(fc.constantFrom('@include(if: true)', '@skip(if: false)', '@skip(if: true)', '@include(if: $flag)'), 60);
const leafAlias = fc.oneof(
  { weight: 30, arbitrary: fc.constant(undefined) },
  { weight: 8, arbitrary: fc.constant('own' as const) },
  { weight: 1, arbitrary: fc.constant('a' as const) },
);
const noArguments = fc.constant<Argument[]>([]);
const noSelections = fc.constant<Selection[]>([]);

/** A field of `type`: a leaf, or (as often as two leaves) a list of objects with a selection of its own. */
const field = (type: string): fc.Arbitrary<Selection> => {
  const leaves = FIELDS[type]!.filter((name) => !ITEM_TYPES[`${type}.${name}`]);
  const leaf = fc.record({ field: fc.constantFrom(...leaves), alias: leafAlias, args: noArguments, directive, selections: noSelections });
  const lists = FIELDS[type]!.filter((name) => ITEM_TYPES[`${type}.${name}`]);
  if (lists.length === 0) return leaf;
  return fc.oneof(
    { weight: leaves.length, arbitrary: leaf },
    ...lists.map((name) => ({
      weight: 2,
      arbitrary: fc.record({ field: fc.constant(name), alias: leafAlias, args: noArguments, directive, selections: selectionSet(ITEM_TYPES[`${type}.${name}`]!) }),
    })),
  );
};

const fragment = (type: string, parts: (on: string) => fc.Arbitrary<Selection[]>): fc.Arbitrary<Selection> =>
  fc.constantFrom(type, ...(IS_CACHED.has(type) ? ['Cached'] : [])).chain((on) =>
    fc.record({
      fragment: fc.constantFrom('inline' as const, 'named' as const),
      // An inline fragment may leave out its type condition; a named one names `on` anyway.
      on: fc.constantFrom(on, undefined),
      directive,
      twice: rarely(fc.constant(true), 8).map(Boolean),
      selections: parts(on),
    }),
  );

/** What makes two selections the same for `fc.uniqueArray`: a field's response key; a fragment is its own. */
const responseKeyOf = (selection: Selection) => ('field' in selection ? `${selection.alias ?? ''}:${selection.field}` : selection);

/**
 * Mostly distinct fields, as clients select them; sometimes one twice, which graphql-js merges.
 * At most 10, and no more than `type` has: more would select some twice.
 */
function selectionSet(type: string): fc.Arbitrary<Selection[]> {
  const maxLength = Math.min(10, FIELDS[type]!.length);
  const selection = fc.oneof(
    { weight: 6, arbitrary: field(type) },
    { weight: 1, arbitrary: fragment(type, (on) => fc.uniqueArray(field(on), { minLength: 1, maxLength: 3, selector: responseKeyOf })) },
  );
  return fc.oneof(
    { weight: 6, arbitrary: fc.uniqueArray(selection, { minLength: 1, maxLength, selector: responseKeyOf }) },
    { weight: 1, arbitrary: fc.array(selection, { minLength: 1, maxLength: Math.min(6, maxLength) }) },
  );
}

const argument = (name: string, type: string, value: fc.Arbitrary<unknown>) =>
  fc.record({ name: fc.constant(name), type: fc.constant(type), value, form: fc.constantFrom<Form>('literal', 'variable', 'variable with default') });
const optionalArgument = (name: string, type: string, value: fc.Arbitrary<unknown>) => fc.option(argument(name, type, value), { nil: undefined, freq: 2 });

// Odd arguments one time in 15 each: a query has several, and any odd one decides its answer.
const symbolValue = usually(fc.constantFrom(...SYMBOLS, 'NOPE/USDT'), ['BTC USDT', '', 7, null], 15);
const symbolsValue = usually(fc.array(fc.constantFrom(...SYMBOLS, 'NOPE/USDT'), { maxLength: 5 }), [
  Array(501).fill('BTC/USDT'), // more than MAX_SYMBOLS: refused after coercion, by the resolver
  ['BTC/USDT', 'BTC USDT'],
  'BTC/USDT', // a single value where a list is expected: a list of one
  [null],
  null,
], 15);
const timeframeValue = usually(fc.constantFrom('1h', '1h', '1d'), ['2y', 7], 15);
const limitValue = usually(fc.constantFrom(1, 2, 3, 5, 100, 5000), [0, -1, 5001, 1.5, '3', null], 8);
const depthValue = usually(fc.constantFrom(1, 2, 3, 5, 20, 1000), [0, 1001, -1, 1.5, '3', null], 8);
const tradesLimitValue = usually(fc.constantFrom(1, 2, 3, 5, 100, 1000), [0, -1, 1001, 1.5, '3', null], 8);
const dateValue = usually(fc.integer({ min: -1, max: 48 }).map(isoAt), ['2026-01-01T05:00:00Z', '2026-01-01T07:00:00+02:00', 'yesterday', 7, null], 8);

const rootField = (field: string, type: string, args: Array<fc.Arbitrary<Argument | undefined>>): fc.Arbitrary<Selection> =>
  fc.record({
    field: fc.constant(field),
    alias: fc.oneof({ weight: 5, arbitrary: fc.constant('r' as const) }, { weight: 1, arbitrary: fc.constant(undefined) }),
    args: fc.tuple(...args).map((given) => given.filter((a): a is Argument => a !== undefined)),
    directive,
    selections: selectionSet(type),
  });

const ROOT_FIELDS = [
  rootField('ticker', 'Ticker', [argument('symbol', 'MarketSymbol!', symbolValue)]),
  rootField('tickers', 'Ticker', [argument('symbols', '[MarketSymbol!]!', symbolsValue)]),
  rootField('fundingRate', 'FundingRate', [argument('symbol', 'MarketSymbol!', symbolValue)]),
  rootField('fearGreed', 'FearGreed', []),
  rootField('llmAnalysis', 'LlmAnalysis', [
    argument('analysisType', 'String!', usually(fc.constant(ANALYSIS_TYPE), ['bad type!', 7], 15)),
    optionalArgument('input', 'String', usually(fc.constant(ANALYSIS_INPUT), ['another input', ''], 8)),
    optionalArgument('inputHash', 'String', usually(fc.constant(ANALYSIS_HASH), [ANALYSIS_HASH.toUpperCase(), 'abc'], 8)),
  ]),
  rootField('latestBar', 'Bar', [argument('symbol', 'MarketSymbol!', symbolValue), argument('timeframe', 'Timeframe!', timeframeValue)]),
  rootField('bars', 'Bar', [
    argument('symbol', 'MarketSymbol!', symbolValue),
    argument('timeframe', 'Timeframe!', timeframeValue),
    optionalArgument('limit', 'Int', limitValue),
    optionalArgument('since', 'DateTime', dateValue),
    optionalArgument('until', 'DateTime', dateValue),
  ]),
  rootField('orderBook', 'OrderBook', [argument('symbol', 'MarketSymbol!', symbolValue), optionalArgument('depth', 'Int', depthValue)]),
  rootField('trades', 'Trade', [
    argument('symbol', 'MarketSymbol!', symbolValue),
    optionalArgument('limit', 'Int', tradesLimitValue),
    optionalArgument('since', 'DateTime', dateValue),
  ]),
];
const rootSelection = fc.oneof(
  ...ROOT_FIELDS.map((arbitrary) => ({ weight: 4, arbitrary })),
  { weight: 1, arbitrary: fc.record({ field: fc.constant('__typename'), alias: leafAlias, args: noArguments, directive, selections: noSelections }) },
  { weight: 1, arbitrary: fragment('Query', () => fc.array(fc.oneof(...ROOT_FIELDS), { minLength: 1, maxLength: 2 })) },
);

export const clientRequest = fc.record({
  roots: fc.array(rootSelection, { minLength: 1, maxLength: 4 }),
  /** `$flag`'s value, when a directive uses it. */
  flag: usually(fc.boolean(), ['yes', null, undefined]),
  operation: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom('anonymous' as const, 'named' as const) },
    // A second operation, and operationName choosing one of the two.
    { weight: 1, arbitrary: fc.constantFrom('named, next to another' as const, 'the other of two' as const) },
  ),
  // Mostly what clients send; the rest yoga answers its own way (a stream, GraphiQL, a 406).
  accept: fc.constantFrom(
    undefined,
    undefined,
    '*/*',
    'application/json',
    'application/json',
    'application/graphql-response+json',
    'application/graphql-response+json, application/json;q=0.9',
    'application/json; charset=iso-8859-1',
    'text/event-stream',
    'multipart/mixed',
    'text/html',
  ),
});
type ClientRequest = typeof clientRequest extends fc.Arbitrary<infer T> ? T : never;

export interface Request {
  query: string;
  variables: Record<string, unknown>;
  operationName?: string;
  accept?: string;
}

/** A JS value as a GraphQL literal (the generated values are all ones GraphQL can write). */
function literal(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

const ROOT_TYPES: Record<string, string> = {
  ticker: 'Ticker',
  tickers: 'Ticker',
  fundingRate: 'FundingRate',
  fearGreed: 'FearGreed',
  llmAnalysis: 'LlmAnalysis',
  latestBar: 'Bar',
  bars: 'Bar',
  orderBook: 'OrderBook',
  trades: 'Trade',
};
/** The type of what `field` of `parentType` selects from (a root field's, or a list's items). */
const typeOf = (parentType: string, field: string) => (parentType === 'Query' ? ROOT_TYPES[field] : ITEM_TYPES[`${parentType}.${field}`]) ?? 'Query';

/** The document, variables and operationName a client sends for `request`. */
export function render({ roots, flag, operation, accept }: ClientRequest): Request {
  const declarations: string[] = [];
  const variables: Record<string, unknown> = {};
  const fragments: string[] = [];
  let numbered = 0;
  const aliasOf = ({ alias, field }: Field) => (alias === 'own' ? `my_${field}` : alias === 'r' ? `r${numbered++}` : alias);

  const argumentText = ({ name, type, value, form }: Argument) => {
    if (form === 'literal') return `${name}: ${literal(value)}`;
    const variable = `v${declarations.length}`;
    declarations.push(`$${variable}: ${type}${form === 'variable with default' ? ` = ${literal(value)}` : ''}`);
    if (form === 'variable') variables[variable] = value;
    return `${name}: $${variable}`;
  };
  const selectionText = (selection: Selection, parentType: string): string => {
    const at = selection.directive ? ` ${selection.directive}` : '';
    if ('field' in selection) {
      const args = selection.args.length ? `(${selection.args.map(argumentText).join(', ')})` : '';
      const body = selection.selections.length ? ` { ${selection.selections.map((s) => selectionText(s, typeOf(parentType, selection.field))).join(' ')} }` : '';
      const alias = aliasOf(selection);
      return `${alias ? `${alias}: ` : ''}${selection.field}${args}${at}${body}`;
    }
    const on = selection.on ?? parentType;
    const body = `{ ${selection.selections.map((s) => selectionText(s, on)).join(' ')} }`;
    if (selection.fragment === 'inline') return `...${selection.on ? ` on ${selection.on}` : ''}${at} ${body}`;
    const name = `F${fragments.length}`;
    fragments.push(`fragment ${name} on ${on} ${body}`);
    return selection.twice ? `...${name}${at} ...${name}${at}` : `...${name}${at}`;
  };

  let body = roots.map((root) => selectionText(root, 'Query')).join(' ');
  if (body.includes('$flag')) {
    declarations.push('$flag: Boolean!');
    if (flag !== undefined) variables['flag'] = flag;
  }
  body = `query${operation === 'anonymous' ? '' : ' Q'}${declarations.length ? `(${declarations.join(', ')})` : ''} { ${body} }`;
  const twoOperations = operation === 'named, next to another' || operation === 'the other of two';
  return {
    query: [body, ...fragments, ...(twoOperations ? ['query Other { fearGreed { value } }'] : [])].join('\n'),
    variables,
    operationName: { anonymous: undefined, named: undefined, 'named, next to another': 'Q', 'the other of two': 'Other' }[operation],
    accept,
  };
}

