import { DEFAULTS } from '../defaults.js';
import type { Bar, Output } from '../cache/market-types.js';
import { adminOnly, writerOnly } from '../resolvers/auth.js';
import { barResolvers } from '../resolvers/bar.js';
import { builder } from './builder.js';
import { InvalidationResult } from './invalidation.js';
import { eachValue, liveResolvers } from '../resolvers/live.js';

const BarType = builder.objectRef<Output<Bar> & { stale?: boolean }>('Bar').implement({
  description: 'One OHLCV candle of a symbol at a timeframe.',
  fields: (t) => ({
    symbol: t.expose('symbol', { type: 'MarketSymbol' }),
    timeframe: t.expose('timeframe', { type: 'Timeframe' }),
    openTime: t.expose('openTime', { type: 'DateTime' }),
    open: t.exposeFloat('open'),
    high: t.exposeFloat('high'),
    low: t.exposeFloat('low'),
    close: t.exposeFloat('close'),
    volume: t.expose('volume', { type: 'NonNegativeFloat' }),
    stale: t.boolean({
      description:
        'True when Redis was unavailable and this bar comes from the last range this gateway served, from its in-process tier.',
      resolve: ({ stale }) => stale ?? false,
    }),
  }),
});

const BarInput = builder.inputType('BarInput', {
  description: 'A bar to store; `low <= open, close <= high`.',
  fields: (t) => ({
    openTime: t.field({ type: 'DateTime', required: true }),
    open: t.float({ required: true }),
    high: t.float({ required: true }),
    low: t.float({ required: true }),
    close: t.float({ required: true }),
    volume: t.field({ type: 'NonNegativeFloat', required: true }),
  }),
});

builder.queryFields((t) => ({
  bars: t.field({
    type: [BarType],
    description: 'Bars newest first, at most `limit` (1-5000), optionally bounded by open time (inclusive).',
    args: {
      symbol: t.arg({ type: 'MarketSymbol', required: true }),
      timeframe: t.arg({ type: 'Timeframe', required: true }),
      limit: t.arg.int({ defaultValue: DEFAULTS.fields.barsLimit }),
      since: t.arg({ type: 'DateTime' }),
      until: t.arg({ type: 'DateTime' }),
    },
    resolve: barResolvers.bars,
  }),
  latestBar: t.field({
    type: BarType,
    nullable: true,
    description: 'The newest cached bar of the series.',
    args: {
      symbol: t.arg({ type: 'MarketSymbol', required: true }),
      timeframe: t.arg({ type: 'Timeframe', required: true }),
    },
    resolve: barResolvers.latestBar,
  }),
}));

builder.subscriptionFields((t) => ({
  bars: t.field({
    type: BarType,
    description:
      "The series' newest bar now, then the open candle as it changes, then each new one. Older bars written later are not sent: read history with the `bars` query.",
    args: {
      symbol: t.arg({ type: 'MarketSymbol', required: true }),
      timeframe: t.arg({ type: 'Timeframe', required: true }),
    },
    subscribe: liveResolvers.bars,
    resolve: eachValue,
  }),
}));

builder.mutationFields((t) => ({
  putBars: t.int({
    ...writerOnly,
    description:
      'Upserts bars by open time (the last of equal open times wins), all or none; returns how many the series now holds of them.',
    args: {
      symbol: t.arg({ type: 'MarketSymbol', required: true }),
      timeframe: t.arg({ type: 'Timeframe', required: true }),
      bars: t.arg({ type: [BarInput], required: true }),
      ttlSeconds: t.arg.int(),
    },
    resolve: barResolvers.putBars,
  }),
  invalidateBars: t.field({
    ...adminOnly,
    type: InvalidationResult,
    description: "Removes the symbol's series at `timeframe`, or at every timeframe when it is omitted.",
    args: {
      symbol: t.arg({ type: 'MarketSymbol', required: true }),
      timeframe: t.arg({ type: 'Timeframe' }),
    },
    resolve: barResolvers.invalidateBars,
  }),
}));
