// A typed client of the gateway, small enough to copy: it reads tickers, recent 1h bars, the top
// of each order book, the latest trades and the list of cached symbols, and prints them as text
// tables. The result types come from `./gql`, generated from
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

const OrderBookQuery = graphql(`
  query OrderBook($symbol: MarketSymbol!) {
    orderBook(symbol: $symbol, depth: 5) {
      time
      bids {
        price
        amount
      }
      asks {
        price
        amount
      }
    }
  }
`);

const RecentTradesQuery = graphql(`
  query RecentTrades($symbol: MarketSymbol!) {
    trades(symbol: $symbol, limit: 5) {
      id
      time
      side
      price
      amount
    }
  }
`);

const SymbolsQuery = graphql(`
  query Symbols {
    symbols {
      symbol
      kinds
      timeframes
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

  const perSymbol = <TResult>(read: (symbol: string) => Promise<TResult>) => Promise.all(symbols.map(read));
  const [{ tickers }, barsPerSymbol, booksPerSymbol, tradesPerSymbol, { symbols: cached }] = await Promise.all([
    execute(url, TickersQuery, { symbols }),
    perSymbol((symbol) => execute(url, RecentBarsQuery, { symbol })),
    perSymbol((symbol) => execute(url, OrderBookQuery, { symbol })),
    perSymbol((symbol) => execute(url, RecentTradesQuery, { symbol })),
    execute(url, SymbolsQuery, {}),
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
    const barRows = bars.map((bar) => [show(bar.openTime), show(bar.open), show(bar.high), show(bar.low), show(bar.close), show(bar.volume)]);
    console.log(barRows.length === 0 ? '(none cached)' : table(['OPEN TIME', 'OPEN', 'HIGH', 'LOW', 'CLOSE', 'VOLUME'], barRows));

    const book = booksPerSymbol[i]?.orderBook;
    console.log(`\n${symbol} order book, best 5 levels a side${book ? ` at ${book.time}` : ''}`);
    // Level by level, bids on the left and asks on the right, as an exchange shows a book.
    const levels = book ? Math.max(book.bids.length, book.asks.length) : 0;
    const bookRows = Array.from({ length: levels }, (_, level) => {
      const [bid, ask] = [book!.bids[level], book!.asks[level]];
      return [String(level + 1), show(bid?.amount), show(bid?.price), show(ask?.price), show(ask?.amount)];
    });
    console.log(bookRows.length === 0 ? '(none cached)' : table(['LEVEL', 'BID AMOUNT', 'BID', 'ASK', 'ASK AMOUNT'], bookRows));

    const trades = tradesPerSymbol[i]?.trades ?? [];
    console.log(`\n${symbol} latest trades, newest first`);
    const tradeRows = trades.map((trade) => [show(trade.time), show(trade.side), show(trade.price), show(trade.amount), show(trade.id)]);
    console.log(tradeRows.length === 0 ? '(none cached)' : table(['TIME', 'SIDE', 'PRICE', 'AMOUNT', 'ID'], tradeRows));
  });

  console.log('\nCached symbols');
  const symbolRows = cached.map((entry) => [entry.symbol, entry.kinds.join(','), entry.timeframes.join(',') || '-']);
  console.log(symbolRows.length === 0 ? '(none cached)' : table(['SYMBOL', 'KINDS', 'TIMEFRAMES'], symbolRows));
}

main().catch((error: unknown) => {
  const messages = error instanceof GatewayError ? error.messages : [String(error)];
  for (const message of messages) console.error(`error: ${message}`);
  process.exitCode = 1;
});
