// A typed client of the gateway, small enough to copy: it reads tickers and recent 1h bars and
// prints them as text tables. The result types come from `./gql`, generated from
// `schema.graphql` by `npm run codegen`; run that again after editing a query below.
//
//   npm run example -- [url] [symbol...]
//   npm run example -- http://localhost:4000/graphql BTC/USDT ETH/USDT
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { graphql } from './gql/index.js';

const DEFAULT_URL = 'http://localhost:4000/graphql';
const DEFAULT_SYMBOLS = ['BTC/USDT', 'ETH/USDT'];

const TickersQuery = graphql(`
  query Tickers($symbols: [MarketSymbol!]!) {
    tickers(symbols: $symbols) {
      symbol
      last
      bid
      ask
      changePercent24h
      time
    }
  }
`);

const RecentBarsQuery = graphql(`
  query RecentBars($symbol: MarketSymbol!) {
    bars(symbol: $symbol, timeframe: "1h", limit: 5) {
      openTime
      open
      high
      low
      close
      volume
    }
  }
`);

/** A response that carried GraphQL errors: the operation's answer is not to be trusted. */
class GatewayError extends Error {
  override name = 'GatewayError';
  constructor(readonly messages: string[]) {
    super(messages.join('\n'));
  }
}

interface GraphQLResponse<TResult> {
  data?: TResult | null;
  errors?: ReadonlyArray<{ message: string }>;
}

/** Posts one operation; the document's type decides both the variables and the result. */
async function execute<TResult, TVariables>(
  url: string,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
): Promise<TResult> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
      body: JSON.stringify({ query: print(document), variables }),
    });
  } catch (error) {
    // fetch says only "fetch failed"; the reason (refused, unknown host, ...) is in its cause.
    const reason = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw new GatewayError([`could not reach ${url}: ${reason}`]);
  }
  const text = await response.text();
  let body: GraphQLResponse<TResult>;
  try {
    body = JSON.parse(text) as GraphQLResponse<TResult>;
  } catch {
    throw new GatewayError([`expected a GraphQL response from ${url}, received HTTP ${response.status} ${text.slice(0, 200)}`.trim()]);
  }
  if (body.errors && body.errors.length > 0) throw new GatewayError(body.errors.map((error) => error.message));
  if (body.data == null) throw new GatewayError([`expected data from ${url}, received HTTP ${response.status} without any`]);
  return body.data;
}

/** Columns padded to their widest cell: the first left-aligned (a name), the others right (numbers). */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ');
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

const show = (value: number | string | null | undefined) => (value == null ? '-' : String(value));

async function main() {
  const [url = DEFAULT_URL, ...requested] = process.argv.slice(2);
  const symbols = requested.length > 0 ? requested : DEFAULT_SYMBOLS;

  const [{ tickers }, barsPerSymbol] = await Promise.all([
    execute(url, TickersQuery, { symbols }),
    Promise.all(symbols.map((symbol) => execute(url, RecentBarsQuery, { symbol }))),
  ]);

  // `tickers` has one entry per requested symbol, in order, and null where nothing is cached.
  const tickerRows = tickers.map((ticker, i) =>
    ticker
      ? [show(ticker.symbol), show(ticker.last), show(ticker.bid), show(ticker.ask), show(ticker.changePercent24h), show(ticker.time)]
      : [symbols[i] ?? '?', '-', '-', '-', '-', 'not cached'],
  );
  console.log(table(['SYMBOL', 'LAST', 'BID', 'ASK', 'CHANGE 24H %', 'TIME'], tickerRows));

  symbols.forEach((symbol, i) => {
    const bars = barsPerSymbol[i]?.bars ?? [];
    console.log(`\n${symbol} 1h bars, newest first`);
    if (bars.length === 0) {
      console.log('(none cached)');
      return;
    }
    const rows = bars.map((bar) => [show(bar.openTime), show(bar.open), show(bar.high), show(bar.low), show(bar.close), show(bar.volume)]);
    console.log(table(['OPEN TIME', 'OPEN', 'HIGH', 'LOW', 'CLOSE', 'VOLUME'], rows));
  });
}

main().catch((error: unknown) => {
  const messages = error instanceof GatewayError ? error.messages : [String(error)];
  for (const message of messages) console.error(`error: ${message}`);
  process.exitCode = 1;
});
