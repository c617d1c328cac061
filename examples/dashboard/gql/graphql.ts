/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** A kind of cached value. */
export type CacheKind =
  | 'BARS'
  | 'FEAR_GREED'
  | 'FUNDING_RATE'
  | 'LLM_ANALYSIS'
  | 'ORDER_BOOK'
  | 'TICKER'
  | 'TRADES';

export type DashboardSymbolsQueryVariables = Exact<{ [key: string]: never; }>;


export type DashboardSymbolsQuery = { symbols: Array<{ symbol: string, kinds: Array<CacheKind>, timeframes: Array<string> }> };

export type DashboardCandleFragment = { openTime: string, open: number, high: number, low: number, close: number, stale: boolean };

export type DashboardBarsQueryVariables = Exact<{
  symbol: string;
  timeframe: string;
  limit: number;
}>;


export type DashboardBarsQuery = { bars: Array<{ openTime: string, open: number, high: number, low: number, close: number, stale: boolean }> };

export type DashboardBarUpdatesSubscriptionVariables = Exact<{
  symbol: string;
  timeframe: string;
}>;


export type DashboardBarUpdatesSubscription = { bars: { openTime: string, open: number, high: number, low: number, close: number, stale: boolean } };

export type DashboardTickersSubscriptionVariables = Exact<{
  symbols: Array<string> | string;
}>;


export type DashboardTickersSubscription = { tickers: { symbol: string, last: number, bid: number | null, ask: number | null, changePercent24h: number | null, volume24h: number | null, time: string, stale: boolean } };

export type DashboardOrderBookSubscriptionVariables = Exact<{
  symbol: string;
  depth: number;
}>;


export type DashboardOrderBookSubscription = { orderBook: { time: string, stale: boolean, bids: Array<{ price: number, amount: number }>, asks: Array<{ price: number, amount: number }> } };

export type DashboardFundingRatesSubscriptionVariables = Exact<{
  symbols: Array<string> | string;
}>;


export type DashboardFundingRatesSubscription = { fundingRates: { symbol: string, rate: number, nextFundingTime: string | null, time: string, stale: boolean } };

export type DashboardFearGreedSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type DashboardFearGreedSubscription = { fearGreed: { value: number, classification: string, time: string, stale: boolean } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const DashboardCandleFragmentDoc = new TypedDocumentString(`
    fragment DashboardCandle on Bar {
  openTime
  open
  high
  low
  close
  stale
}
    `, {"fragmentName":"DashboardCandle"}) as unknown as TypedDocumentString<DashboardCandleFragment, unknown>;
export const DashboardSymbolsDocument = new TypedDocumentString(`
    query DashboardSymbols {
  symbols {
    symbol
    kinds
    timeframes
  }
}
    `, {"hash":"sha256:5eef5f6c013e6a37de206bbefc3dd19b8ee1d13c8a9b3099e8c8353d9c85fc01"}) as unknown as TypedDocumentString<DashboardSymbolsQuery, DashboardSymbolsQueryVariables>;
export const DashboardBarsDocument = new TypedDocumentString(`
    query DashboardBars($symbol: MarketSymbol!, $timeframe: Timeframe!, $limit: Int!) {
  bars(symbol: $symbol, timeframe: $timeframe, limit: $limit) {
    ...DashboardCandle
  }
}
    fragment DashboardCandle on Bar {
  openTime
  open
  high
  low
  close
  stale
}`, {"hash":"sha256:87dc5d7cacb73c117c636e5b6243eb01fe74ecf28ccd59165d199738a7601533"}) as unknown as TypedDocumentString<DashboardBarsQuery, DashboardBarsQueryVariables>;
export const DashboardBarUpdatesDocument = new TypedDocumentString(`
    subscription DashboardBarUpdates($symbol: MarketSymbol!, $timeframe: Timeframe!) {
  bars(symbol: $symbol, timeframe: $timeframe) {
    ...DashboardCandle
  }
}
    fragment DashboardCandle on Bar {
  openTime
  open
  high
  low
  close
  stale
}`, {"hash":"sha256:7f66f5297421b7b3877ebd8e0ca6933fe6c28dc46e3f2c9350ea396b25af825f"}) as unknown as TypedDocumentString<DashboardBarUpdatesSubscription, DashboardBarUpdatesSubscriptionVariables>;
export const DashboardTickersDocument = new TypedDocumentString(`
    subscription DashboardTickers($symbols: [MarketSymbol!]!) {
  tickers(symbols: $symbols) {
    symbol
    last
    bid
    ask
    changePercent24h
    volume24h
    time
    stale
  }
}
    `, {"hash":"sha256:aa6b7a656fa42f5a46201c6a241f7f4bddf96abe5e0c1bc4c72a60d9021a2eaf"}) as unknown as TypedDocumentString<DashboardTickersSubscription, DashboardTickersSubscriptionVariables>;
export const DashboardOrderBookDocument = new TypedDocumentString(`
    subscription DashboardOrderBook($symbol: MarketSymbol!, $depth: Int!) {
  orderBook(symbol: $symbol, depth: $depth) {
    time
    bids {
      price
      amount
    }
    asks {
      price
      amount
    }
    stale
  }
}
    `, {"hash":"sha256:76dc51aee23b0b1ec459a48a49dedb426f1ced269a10a45460ea5963322bdae2"}) as unknown as TypedDocumentString<DashboardOrderBookSubscription, DashboardOrderBookSubscriptionVariables>;
export const DashboardFundingRatesDocument = new TypedDocumentString(`
    subscription DashboardFundingRates($symbols: [MarketSymbol!]!) {
  fundingRates(symbols: $symbols) {
    symbol
    rate
    nextFundingTime
    time
    stale
  }
}
    `, {"hash":"sha256:8055a77fa329e8308dc3e7d8a8c5e884a5894ac977525961e3f6edb5e23ad19e"}) as unknown as TypedDocumentString<DashboardFundingRatesSubscription, DashboardFundingRatesSubscriptionVariables>;
export const DashboardFearGreedDocument = new TypedDocumentString(`
    subscription DashboardFearGreed {
  fearGreed {
    value
    classification
    time
    stale
  }
}
    `, {"hash":"sha256:5675beca0233c46e19ada8c1550082788e5a13e39953254b270aa0035f42d7ec"}) as unknown as TypedDocumentString<DashboardFearGreedSubscription, DashboardFearGreedSubscriptionVariables>;