/** The query GraphiQL opens on; it reads the symbols `npm run demo` fills in. */
export const EXAMPLE_QUERY = `# Try it on the demo data (npm run demo). The point reads below cost one MGET
# and the ranges one pipeline, however many fields ask; symbols reads the index.
query Dashboard {
  btc: ticker(symbol: "BTC/USDT") { symbol last changePercent24h cachedAt expiresAt }
  tickers(symbols: ["ETH/USDT", "SOL/USDT"]) { symbol last }
  fundingRate(symbol: "BTC/USDT:USDT") { rate nextFundingTime }
  fearGreed { value classification }
  latestBar(symbol: "BTC/USDT", timeframe: "1h") { openTime close }
  bars(symbol: "BTC/USDT", timeframe: "1h", limit: 5) { openTime open high low close volume }
  orderBook(symbol: "BTC/USDT", depth: 5) {
    time
    bids { price amount }
    asks { price amount }
  }
  trades(symbol: "BTC/USDT", limit: 5) { time price amount side }
  symbols { symbol kinds }
}
`;
