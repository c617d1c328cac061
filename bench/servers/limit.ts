import { Redis } from 'ioredis';
import { DASHBOARD, W4_BARS } from '../workloads.js';
import { serveOperations, type OperationHandler } from './serve-operations.js';
import { keys, newestFirst, readDashboard, W1_KEY, W3_KEYS, W4_KEY } from './stored-keys.js';

/**
 * The ceiling on this machine: a bare `node:http` handler that parses the request body, issues
 * the Redis commands an ideal server would (one `MGET` for every point value, one range read),
 * `JSON.parse`s each value and writes the response with string templates, byte for byte what the
 * GraphQL servers write. No GraphQL at all: it knows each operation by its `operationName`, as a
 * hand-written REST endpoint knows its route. No GraphQL server can beat it.
 */
const redis = new Redis(process.argv[2]!);

type Json = Record<string, any>;
const str = JSON.stringify;
const num = (value: unknown) => (value === undefined || value === null ? 'null' : String(value));
const stamp = (v: Json) => `"cachedAt":${str(v.cachedAt)},"expiresAt":${v.expiresAt == null ? 'null' : str(v.expiresAt)},"stale":false`;

function ticker(raw: string | null): string {
  if (raw === null) return 'null';
  const v = JSON.parse(raw);
  return `{"symbol":${str(v.symbol)},"last":${num(v.last)},"bid":${num(v.bid)},"ask":${num(v.ask)},"high24h":${num(v.high24h)},"low24h":${num(v.low24h)},"volume24h":${num(v.volume24h)},"changePercent24h":${num(v.changePercent24h)},"time":${str(v.time)},${stamp(v)}}`;
}

function fundingRate(raw: string | null): string {
  if (raw === null) return 'null';
  const v = JSON.parse(raw);
  const next = v.nextFundingTime == null ? 'null' : str(v.nextFundingTime);
  return `{"symbol":${str(v.symbol)},"rate":${num(v.rate)},"nextFundingTime":${next},"time":${str(v.time)},${stamp(v)}}`;
}

function fearGreed(raw: string | null): string {
  if (raw === null) return 'null';
  const v = JSON.parse(raw);
  return `{"value":${num(v.value)},"classification":${str(v.classification)},"time":${str(v.time)},${stamp(v)}}`;
}

function llmAnalysis(raw: string | null): string {
  if (raw === null) return 'null';
  const v = JSON.parse(raw);
  const model = v.model == null ? 'null' : str(v.model);
  return `{"analysisType":${str(v.analysisType)},"inputHash":${str(v.inputHash)},"result":${str(v.result)},"model":${model},${stamp(v)}}`;
}

function bars(members: string[]): string {
  return `[${members
    .map((raw) => {
      const v = JSON.parse(raw);
      return `{"openTime":${str(v.openTime)},"open":${num(v.open)},"high":${num(v.high)},"low":${num(v.low)},"close":${num(v.close)},"volume":${num(v.volume)},"stale":false}`;
    })
    .join(',')}]`;
}

function orderBook(raw: string | null, depth: number): string {
  if (raw === null) return 'null';
  const v = JSON.parse(raw);
  const levels = (side: Json[]) =>
    `[${side
      .slice(0, depth)
      .map(({ price, amount }) => `{"price":${num(price)},"amount":${num(amount)}}`)
      .join(',')}]`;
  return `{"symbol":${str(v.symbol)},"bids":${levels(v.bids)},"asks":${levels(v.asks)},"time":${str(v.time)},${stamp(v)}}`;
}

/** A trade log read with one member more than `limit`: its stamp, first, unless the log has none. */
function trades(members: string[], limit: number): string {
  const list = members[0]?.startsWith('{"stamp":true') ? members.slice(1) : members.slice(0, limit);
  return `[${list
    .map((raw) => {
      const v = JSON.parse(raw);
      const side = v.side == null ? 'null' : str(v.side.toUpperCase());
      return `{"id":${v.id == null ? 'null' : str(v.id)},"time":${str(v.time)},"price":${num(v.price)},"amount":${num(v.amount)},"side":${side},"stale":false}`;
    })
    .join(',')}]`;
}

const TICKERS = DASHBOARD.tickers.length;
const FUNDING_RATES = DASHBOARD.fundingRates.length;

const handlers: Record<string, OperationHandler> = {
  async Ticker() {
    const [raw] = await redis.mget(W1_KEY);
    return `{"data":{"ticker":${ticker(raw!)}}}`;
  },
  async Tickers({ symbols }) {
    const values = await redis.mget(...(symbols as string[]).map(keys.ticker));
    return `{"data":{"tickers":[${values.map(ticker).join(',')}]}}`;
  },
  async AliasedTickers() {
    const values = await redis.mget(...W3_KEYS);
    return `{"data":{${values.map((raw, i) => `"t${i}":${ticker(raw)}`).join(',')}}}`;
  },
  async Bars() {
    return `{"data":{"bars":${bars(await redis.zrange(W4_KEY, ...newestFirst(W4_BARS.limit)))}}}`;
  },
  async Dashboard() {
    const { values, members } = await readDashboard(redis);
    const tickers = values.slice(0, TICKERS).map(ticker).join(',');
    const rates = values.slice(TICKERS, TICKERS + FUNDING_RATES).map((raw, i) => `"f${i}":${fundingRate(raw)}`);
    const series = members.slice(0, -1).map((list, i) => `"b${i}":${bars(list)}`);
    const [fearGreedRaw, llmAnalysisRaw, orderBookRaw] = values.slice(TICKERS + FUNDING_RATES);
    return `{"data":{"tickers":[${tickers}],${rates.join(',')},"fearGreed":${fearGreed(fearGreedRaw!)},${series.join(',')},"llmAnalysis":${llmAnalysis(llmAnalysisRaw!)},"orderBook":${orderBook(orderBookRaw!, DASHBOARD.orderBook.depth)},"trades":${trades(members.at(-1)!, DASHBOARD.trades.limit)}}}`;
  },
};

await serveOperations(handlers);
