/* eslint-disable */
import * as types from './graphql.js';



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
    "\n  query DashboardSymbols {\n    symbols {\n      symbol\n      kinds\n      timeframes\n    }\n  }\n": typeof types.DashboardSymbolsDocument,
    "\n  fragment DashboardCandle on Bar {\n    openTime\n    open\n    high\n    low\n    close\n    stale\n  }\n": typeof types.DashboardCandleFragmentDoc,
    "\n  query DashboardBars($symbol: MarketSymbol!, $timeframe: Timeframe!, $limit: Int!) {\n    bars(symbol: $symbol, timeframe: $timeframe, limit: $limit) {\n      ...DashboardCandle\n    }\n  }\n": typeof types.DashboardBarsDocument,
    "\n  subscription DashboardBarUpdates($symbol: MarketSymbol!, $timeframe: Timeframe!) {\n    bars(symbol: $symbol, timeframe: $timeframe) {\n      ...DashboardCandle\n    }\n  }\n": typeof types.DashboardBarUpdatesDocument,
    "\n  subscription DashboardTickers($symbols: [MarketSymbol!]!) {\n    tickers(symbols: $symbols) {\n      symbol\n      last\n      bid\n      ask\n      changePercent24h\n      volume24h\n      time\n      stale\n    }\n  }\n": typeof types.DashboardTickersDocument,
    "\n  subscription DashboardOrderBook($symbol: MarketSymbol!, $depth: Int!) {\n    orderBook(symbol: $symbol, depth: $depth) {\n      time\n      bids {\n        price\n        amount\n      }\n      asks {\n        price\n        amount\n      }\n      stale\n    }\n  }\n": typeof types.DashboardOrderBookDocument,
    "\n  subscription DashboardFundingRates($symbols: [MarketSymbol!]!) {\n    fundingRates(symbols: $symbols) {\n      symbol\n      rate\n      nextFundingTime\n      time\n      stale\n    }\n  }\n": typeof types.DashboardFundingRatesDocument,
    "\n  subscription DashboardFearGreed {\n    fearGreed {\n      value\n      classification\n      time\n      stale\n    }\n  }\n": typeof types.DashboardFearGreedDocument,
};
const documents: Documents = {
    "\n  query DashboardSymbols {\n    symbols {\n      symbol\n      kinds\n      timeframes\n    }\n  }\n": types.DashboardSymbolsDocument,
    "\n  fragment DashboardCandle on Bar {\n    openTime\n    open\n    high\n    low\n    close\n    stale\n  }\n": types.DashboardCandleFragmentDoc,
    "\n  query DashboardBars($symbol: MarketSymbol!, $timeframe: Timeframe!, $limit: Int!) {\n    bars(symbol: $symbol, timeframe: $timeframe, limit: $limit) {\n      ...DashboardCandle\n    }\n  }\n": types.DashboardBarsDocument,
    "\n  subscription DashboardBarUpdates($symbol: MarketSymbol!, $timeframe: Timeframe!) {\n    bars(symbol: $symbol, timeframe: $timeframe) {\n      ...DashboardCandle\n    }\n  }\n": types.DashboardBarUpdatesDocument,
    "\n  subscription DashboardTickers($symbols: [MarketSymbol!]!) {\n    tickers(symbols: $symbols) {\n      symbol\n      last\n      bid\n      ask\n      changePercent24h\n      volume24h\n      time\n      stale\n    }\n  }\n": types.DashboardTickersDocument,
    "\n  subscription DashboardOrderBook($symbol: MarketSymbol!, $depth: Int!) {\n    orderBook(symbol: $symbol, depth: $depth) {\n      time\n      bids {\n        price\n        amount\n      }\n      asks {\n        price\n        amount\n      }\n      stale\n    }\n  }\n": types.DashboardOrderBookDocument,
    "\n  subscription DashboardFundingRates($symbols: [MarketSymbol!]!) {\n    fundingRates(symbols: $symbols) {\n      symbol\n      rate\n      nextFundingTime\n      time\n      stale\n    }\n  }\n": types.DashboardFundingRatesDocument,
    "\n  subscription DashboardFearGreed {\n    fearGreed {\n      value\n      classification\n      time\n      stale\n    }\n  }\n": types.DashboardFearGreedDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DashboardSymbols {\n    symbols {\n      symbol\n      kinds\n      timeframes\n    }\n  }\n"): typeof import('./graphql.js').DashboardSymbolsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment DashboardCandle on Bar {\n    openTime\n    open\n    high\n    low\n    close\n    stale\n  }\n"): typeof import('./graphql.js').DashboardCandleFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DashboardBars($symbol: MarketSymbol!, $timeframe: Timeframe!, $limit: Int!) {\n    bars(symbol: $symbol, timeframe: $timeframe, limit: $limit) {\n      ...DashboardCandle\n    }\n  }\n"): typeof import('./graphql.js').DashboardBarsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription DashboardBarUpdates($symbol: MarketSymbol!, $timeframe: Timeframe!) {\n    bars(symbol: $symbol, timeframe: $timeframe) {\n      ...DashboardCandle\n    }\n  }\n"): typeof import('./graphql.js').DashboardBarUpdatesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription DashboardTickers($symbols: [MarketSymbol!]!) {\n    tickers(symbols: $symbols) {\n      symbol\n      last\n      bid\n      ask\n      changePercent24h\n      volume24h\n      time\n      stale\n    }\n  }\n"): typeof import('./graphql.js').DashboardTickersDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription DashboardOrderBook($symbol: MarketSymbol!, $depth: Int!) {\n    orderBook(symbol: $symbol, depth: $depth) {\n      time\n      bids {\n        price\n        amount\n      }\n      asks {\n        price\n        amount\n      }\n      stale\n    }\n  }\n"): typeof import('./graphql.js').DashboardOrderBookDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription DashboardFundingRates($symbols: [MarketSymbol!]!) {\n    fundingRates(symbols: $symbols) {\n      symbol\n      rate\n      nextFundingTime\n      time\n      stale\n    }\n  }\n"): typeof import('./graphql.js').DashboardFundingRatesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription DashboardFearGreed {\n    fearGreed {\n      value\n      classification\n      time\n      stale\n    }\n  }\n"): typeof import('./graphql.js').DashboardFearGreedDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
