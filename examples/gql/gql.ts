/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query Tickers($symbols: [MarketSymbol!]!) {\n    tickers(symbols: $symbols) {\n      symbol\n      last\n      bid\n      ask\n      changePercent24h\n      time\n    }\n  }\n": typeof types.TickersDocument,
    "\n  query RecentBars($symbol: MarketSymbol!) {\n    bars(symbol: $symbol, timeframe: \"1h\", limit: 5) {\n      openTime\n      open\n      high\n      low\n      close\n      volume\n    }\n  }\n": typeof types.RecentBarsDocument,
    "\n  query OrderBook($symbol: MarketSymbol!) {\n    orderBook(symbol: $symbol, depth: 5) {\n      time\n      bids {\n        price\n        amount\n      }\n      asks {\n        price\n        amount\n      }\n    }\n  }\n": typeof types.OrderBookDocument,
    "\n  query RecentTrades($symbol: MarketSymbol!) {\n    trades(symbol: $symbol, limit: 5) {\n      id\n      time\n      side\n      price\n      amount\n    }\n  }\n": typeof types.RecentTradesDocument,
    "\n  query Symbols {\n    symbols {\n      symbol\n      kinds\n      timeframes\n    }\n  }\n": typeof types.SymbolsDocument,
};
const documents: Documents = {
    "\n  query Tickers($symbols: [MarketSymbol!]!) {\n    tickers(symbols: $symbols) {\n      symbol\n      last\n      bid\n      ask\n      changePercent24h\n      time\n    }\n  }\n": types.TickersDocument,
    "\n  query RecentBars($symbol: MarketSymbol!) {\n    bars(symbol: $symbol, timeframe: \"1h\", limit: 5) {\n      openTime\n      open\n      high\n      low\n      close\n      volume\n    }\n  }\n": types.RecentBarsDocument,
    "\n  query OrderBook($symbol: MarketSymbol!) {\n    orderBook(symbol: $symbol, depth: 5) {\n      time\n      bids {\n        price\n        amount\n      }\n      asks {\n        price\n        amount\n      }\n    }\n  }\n": types.OrderBookDocument,
    "\n  query RecentTrades($symbol: MarketSymbol!) {\n    trades(symbol: $symbol, limit: 5) {\n      id\n      time\n      side\n      price\n      amount\n    }\n  }\n": types.RecentTradesDocument,
    "\n  query Symbols {\n    symbols {\n      symbol\n      kinds\n      timeframes\n    }\n  }\n": types.SymbolsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Tickers($symbols: [MarketSymbol!]!) {\n    tickers(symbols: $symbols) {\n      symbol\n      last\n      bid\n      ask\n      changePercent24h\n      time\n    }\n  }\n"): (typeof documents)["\n  query Tickers($symbols: [MarketSymbol!]!) {\n    tickers(symbols: $symbols) {\n      symbol\n      last\n      bid\n      ask\n      changePercent24h\n      time\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query RecentBars($symbol: MarketSymbol!) {\n    bars(symbol: $symbol, timeframe: \"1h\", limit: 5) {\n      openTime\n      open\n      high\n      low\n      close\n      volume\n    }\n  }\n"): (typeof documents)["\n  query RecentBars($symbol: MarketSymbol!) {\n    bars(symbol: $symbol, timeframe: \"1h\", limit: 5) {\n      openTime\n      open\n      high\n      low\n      close\n      volume\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OrderBook($symbol: MarketSymbol!) {\n    orderBook(symbol: $symbol, depth: 5) {\n      time\n      bids {\n        price\n        amount\n      }\n      asks {\n        price\n        amount\n      }\n    }\n  }\n"): (typeof documents)["\n  query OrderBook($symbol: MarketSymbol!) {\n    orderBook(symbol: $symbol, depth: 5) {\n      time\n      bids {\n        price\n        amount\n      }\n      asks {\n        price\n        amount\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query RecentTrades($symbol: MarketSymbol!) {\n    trades(symbol: $symbol, limit: 5) {\n      id\n      time\n      side\n      price\n      amount\n    }\n  }\n"): (typeof documents)["\n  query RecentTrades($symbol: MarketSymbol!) {\n    trades(symbol: $symbol, limit: 5) {\n      id\n      time\n      side\n      price\n      amount\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Symbols {\n    symbols {\n      symbol\n      kinds\n      timeframes\n    }\n  }\n"): (typeof documents)["\n  query Symbols {\n    symbols {\n      symbol\n      kinds\n      timeframes\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;