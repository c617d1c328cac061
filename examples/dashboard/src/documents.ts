// Every operation the dashboard sends. Their types come from `../gql`, generated from
// `schema.graphql` and this file by `npm run codegen`; run that again after editing one.
import { graphql } from '../gql/index.js';

export const SymbolsQuery = graphql(`
  query DashboardSymbols {
    symbols {
      symbol
      kinds
      timeframes
    }
  }
`);

// What a candle is drawn from, whether read as history or received live.
export const CandleFields = graphql(`
  fragment DashboardCandle on Bar {
    openTime
    open
    high
    low
    close
    stale
  }
`);

export const BarsQuery = graphql(`
  query DashboardBars($symbol: MarketSymbol!, $timeframe: Timeframe!, $limit: Int!) {
    bars(symbol: $symbol, timeframe: $timeframe, limit: $limit) {
      ...DashboardCandle
    }
  }
`);

export const BarsSubscription = graphql(`
  subscription DashboardBarUpdates($symbol: MarketSymbol!, $timeframe: Timeframe!) {
    bars(symbol: $symbol, timeframe: $timeframe) {
      ...DashboardCandle
    }
  }
`);

export const TickersSubscription = graphql(`
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
`);

export const OrderBookSubscription = graphql(`
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
`);

export const FundingRatesSubscription = graphql(`
  subscription DashboardFundingRates($symbols: [MarketSymbol!]!) {
    fundingRates(symbols: $symbols) {
      symbol
      rate
      nextFundingTime
      time
      stale
    }
  }
`);

export const FearGreedSubscription = graphql(`
  subscription DashboardFearGreed {
    fearGreed {
      value
      classification
      time
      stale
    }
  }
`);
