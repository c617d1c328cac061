import { Redis } from 'ioredis';
import { DASHBOARD, W3_SYMBOLS, W4_BARS } from '../workloads.js';
import { serveOperations, type OperationHandler } from './serve-operations.js';
import { keys, newestFirst, readDashboard, W1_KEY, W3_KEYS, W4_KEY } from './stored-keys.js';

/**
 * The second limit (issue 14): the least work any server can do. Point values are stored in the
 * shape they are served in, so this bare `node:http` handler reads them in one `MGET` and writes
 * the stored strings into the response as they are: no `JSON.parse` of a value, no template per
 * field. Bar and trade ranges are read as limit.ts reads them (one range read each, in one
 * pipeline with the `MGET` beside it) and their members joined as stored. It knows each
 * operation by its `operationName`, as limit.ts does.
 *
 * Its bytes are not the GraphQL servers': stored values carry no `stale`, keep their own field
 * order, and a stored trade's side is lower case. bench/agreement.ts therefore checks its answers
 * for the same data, not the same bytes (see same-data.ts).
 */
const redis = new Redis(process.argv[2]!);

/** A stored value as it is, or `null` for a key Redis does not hold. */
const raw = (value: string | null | undefined) => value ?? 'null';

/**
 * A stored book with each side cut to its best `depth` levels, by position in the string: a level
 * is `{"price":p,"amount":a}`, with no bracket or brace inside, so the `depth`-th `}` of a side
 * ends the last level kept. Cheaper than parsing a 50-level book to serve 20 of them.
 */
function trimmedBook(book: string | null | undefined, depth: number): string {
  if (book == null) return 'null';
  return trimmedSide(trimmedSide(book, '"bids":[', depth), '"asks":[', depth);
}

function trimmedSide(book: string, marker: string, depth: number): string {
  const at = book.indexOf(marker);
  if (at === -1) return book;
  const open = at + marker.length;
  const close = book.indexOf(']', open);
  let cut = open;
  // Past each level's `},` (past `}]` at the side's last level, which leaves `cut` beyond `close`).
  for (let level = 0; level < depth && cut < close; level += 1) cut = book.indexOf('}', cut) + 2;
  return cut >= close ? book : book.slice(0, cut - 1) + book.slice(close);
}

/** A trade log read with one member more than `limit`: its stamp first, unless the log has none. */
function trades(members: string[], limit: number): string {
  return `[${(members[0]?.startsWith('{"stamp":true') ? members.slice(1) : members.slice(0, limit)).join(',')}]`;
}

const W3_NAMES = W3_SYMBOLS.map((_, i) => `"t${i}":`);
const TICKERS = DASHBOARD.tickers.length;
const FUNDING_RATES = DASHBOARD.fundingRates.length;

const handlers: Record<string, OperationHandler> = {
  async Ticker() {
    const [ticker] = await redis.mget(W1_KEY);
    return `{"data":{"ticker":${raw(ticker)}}}`;
  },
  async Tickers({ symbols }) {
    const values = await redis.mget(...(symbols as string[]).map(keys.ticker));
    return `{"data":{"tickers":[${values.map(raw).join(',')}]}}`;
  },
  async AliasedTickers() {
    const values = await redis.mget(...W3_KEYS);
    return `{"data":{${values.map((value, i) => W3_NAMES[i] + raw(value)).join(',')}}}`;
  },
  async Bars() {
    return `{"data":{"bars":[${(await redis.zrange(W4_KEY, ...newestFirst(W4_BARS.limit))).join(',')}]}}`;
  },
  async Dashboard() {
    const { values, members } = await readDashboard(redis);
    const rates = values.slice(TICKERS, TICKERS + FUNDING_RATES).map((value, i) => `"f${i}":${raw(value)}`);
    const series = members.slice(0, -1).map((list, i) => `"b${i}":[${list.join(',')}]`);
    const [fearGreed, llmAnalysis, orderBook] = values.slice(TICKERS + FUNDING_RATES);
    return `{"data":{"tickers":[${values.slice(0, TICKERS).map(raw).join(',')}],${rates.join(',')},"fearGreed":${raw(fearGreed)},${series.join(',')},"llmAnalysis":${raw(llmAnalysis)},"orderBook":${trimmedBook(orderBook, DASHBOARD.orderBook.depth)},"trades":${trades(members.at(-1)!, DASHBOARD.trades.limit)}}}`;
  },
};

await serveOperations(handlers);
