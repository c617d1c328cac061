import SchemaBuilder from '@pothos/core';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import type { Instant, Timeframe } from '../cache/market-types.js';
import type { GatewayContext } from '../resolvers/context.js';
import {
  DateTimeScalar,
  JSONObjectScalar,
  MarketSymbolScalar,
  NonNegativeFloatScalar,
  TimeframeScalar,
} from './market-scalars.js';

export const builder = new SchemaBuilder<{
  Context: GatewayContext;
  DefaultFieldNullability: false;
  AuthScopes: { writer: boolean; admin: boolean };
  Scalars: {
    DateTime: { Input: Date; Output: Instant };
    JSONObject: { Input: Record<string, unknown>; Output: Record<string, unknown> };
    NonNegativeFloat: { Input: number; Output: number };
    MarketSymbol: { Input: string; Output: string };
    Timeframe: { Input: Timeframe; Output: Timeframe };
  };
}>({
  plugins: [ScopeAuthPlugin],
  // The contract's fields are non-null unless it says otherwise; nullable ones say so.
  defaultFieldNullability: false,
  scopeAuth: {
    authScopes: ({ auth }) => ({
      writer: auth.role === 'writer' || auth.role === 'admin',
      admin: auth.role === 'admin',
    }),
  },
});

builder.addScalarType('DateTime', DateTimeScalar);
builder.addScalarType('JSONObject', JSONObjectScalar);
builder.addScalarType('NonNegativeFloat', NonNegativeFloatScalar);
builder.addScalarType('MarketSymbol', MarketSymbolScalar);
builder.addScalarType('Timeframe', TimeframeScalar);

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
