/** The query GraphiQL opens on; it reads the symbols `npm run demo` fills in. */
export const EXAMPLE_QUERY = `# Try it on the demo data (npm run demo). Every read below costs one MGET
# and one pipelined range read, however many fields ask.
query Dashboard {
  btc: ticker(symbol: "BTC/USDT") { symbol last changePercent24h cachedAt expiresAt }
  tickers(symbols: ["ETH/USDT", "SOL/USDT"]) { symbol last }
  fundingRate(symbol: "BTC/USDT:USDT") { rate nextFundingTime }
  fearGreed { value classification }
  latestBar(symbol: "BTC/USDT", timeframe: "1h") { openTime close }
  bars(symbol: "BTC/USDT", timeframe: "1h", limit: 5) { openTime open high low close volume }
}
`;
