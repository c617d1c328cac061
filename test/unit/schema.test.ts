import { readFileSync } from 'node:fs';
import {
  astFromValue,
  buildSchema,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isRequiredArgument,
  isScalarType,
  print,
  type GraphQLArgument,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../src/schema/index.js';
import { printSortedSchema } from '../../src/schema/print.js';

// What clients may rely on. The gateway may add types, fields and optional arguments; it may not
// rename, retype (nullability and list wrappers included), drop a default or add a required argument.
const CONTRACT = `
scalar DateTime
scalar JSONObject
scalar NonNegativeFloat
scalar MarketSymbol
scalar Timeframe
type Bar { symbol: MarketSymbol!  timeframe: Timeframe!  openTime: DateTime!
  open: Float!  high: Float!  low: Float!  close: Float!  volume: NonNegativeFloat! }
type Ticker { symbol: MarketSymbol!  last: Float!  bid: Float  ask: Float  high24h: Float  low24h: Float
  volume24h: NonNegativeFloat  changePercent24h: Float  time: DateTime!  cachedAt: DateTime!  expiresAt: DateTime }
type FundingRate { symbol: MarketSymbol!  rate: Float!  nextFundingTime: DateTime  time: DateTime!
  cachedAt: DateTime!  expiresAt: DateTime }
type FearGreed { value: Int!  classification: String!  time: DateTime!  cachedAt: DateTime!  expiresAt: DateTime }
type LlmAnalysis { analysisType: String!  inputHash: String!  result: JSONObject!  model: String
  cachedAt: DateTime!  expiresAt: DateTime }
type InvalidationResult { deleted: Int! }
type Query {
  bars(symbol: MarketSymbol!, timeframe: Timeframe!, limit: Int = 100, since: DateTime, until: DateTime): [Bar!]!
  latestBar(symbol: MarketSymbol!, timeframe: Timeframe!): Bar
  ticker(symbol: MarketSymbol!): Ticker
  tickers(symbols: [MarketSymbol!]!): [Ticker]!
  fundingRate(symbol: MarketSymbol!): FundingRate
  fearGreed: FearGreed
  llmAnalysis(analysisType: String!, input: String, inputHash: String): LlmAnalysis
}
type Mutation {
  putBars(symbol: MarketSymbol!, timeframe: Timeframe!, bars: [BarInput!]!, ttlSeconds: Int): Int!
  putTicker(ticker: TickerInput!, ttlSeconds: Int): Ticker!
  putFundingRate(fundingRate: FundingRateInput!, ttlSeconds: Int): FundingRate!
  putFearGreed(fearGreed: FearGreedInput!, ttlSeconds: Int): FearGreed!
  putLlmAnalysis(analysisType: String!, input: String, inputHash: String, result: JSONObject!, model: String, ttlSeconds: Int): LlmAnalysis!
  invalidateBars(symbol: MarketSymbol!, timeframe: Timeframe): InvalidationResult!
  invalidateTicker(symbol: MarketSymbol!): InvalidationResult!
  invalidateFundingRate(symbol: MarketSymbol!): InvalidationResult!
  invalidateFearGreed: InvalidationResult!
  invalidateLlmAnalysis(analysisType: String!, inputHash: String): InvalidationResult!
  invalidateSymbol(symbol: MarketSymbol!): InvalidationResult!
  invalidateAll: InvalidationResult!
}
`;

// The contract names these input types but not their fields, which the mutations' own tests
// cover: declared here only so that the contract parses, and compared by name and kind.
const INPUT_PLACEHOLDERS = ['BarInput', 'TickerInput', 'FundingRateInput', 'FearGreedInput']
  .map((name) => `input ${name} { placeholder: Boolean }`)
  .join('\n');

const contractSchema = (sdl = CONTRACT) => buildSchema(`${sdl}\n${INPUT_PLACEHOLDERS}`);

function kindOf(type: GraphQLNamedType): string {
  if (isScalarType(type)) return 'a scalar';
  if (isObjectType(type)) return 'an object type';
  if (isInputObjectType(type)) return 'an input type';
  if (isInterfaceType(type)) return 'an interface';
  return 'a union or enum';
}

const defaultOf = (arg: GraphQLArgument) => {
  const ast = arg.defaultValue === undefined ? undefined : astFromValue(arg.defaultValue, arg.type);
  return ast ? print(ast) : 'none';
};

/** Every way `built` breaks `contract`, one line each, as `Type.field(arg:): expected ..., received ...`. */
function contractDifferences(built: GraphQLSchema, contract: GraphQLSchema = contractSchema()): string[] {
  const differences: string[] = [];
  for (const expected of Object.values(contract.getTypeMap())) {
    if (expected.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(expected.name)) continue;
    const actual = built.getType(expected.name);
    if (!actual || kindOf(actual) !== kindOf(expected)) {
      differences.push(`${expected.name}: expected ${kindOf(expected)}, received ${actual ? kindOf(actual) : 'nothing'}`);
      continue;
    }
    if (!isObjectType(expected) || !isObjectType(actual)) continue;

    const actualFields = actual.getFields();
    for (const field of Object.values(expected.getFields())) {
      const path = `${expected.name}.${field.name}`;
      const found = actualFields[field.name];
      if (!found) {
        differences.push(`${path}: expected ${String(field.type)}, received nothing`);
        continue;
      }
      if (String(found.type) !== String(field.type)) {
        differences.push(`${path}: expected ${String(field.type)}, received ${String(found.type)}`);
      }
      for (const arg of field.args) {
        const foundArg = found.args.find((candidate) => candidate.name === arg.name);
        if (!foundArg) {
          differences.push(`${path}(${arg.name}:): expected ${String(arg.type)}, received nothing`);
          continue;
        }
        if (String(foundArg.type) !== String(arg.type)) {
          differences.push(`${path}(${arg.name}:): expected ${String(arg.type)}, received ${String(foundArg.type)}`);
        }
        if (defaultOf(foundArg) !== defaultOf(arg)) {
          differences.push(`${path}(${arg.name}:) default: expected ${defaultOf(arg)}, received ${defaultOf(foundArg)}`);
        }
      }
      // A new argument is fine for existing clients only if they may keep leaving it out.
      for (const extra of found.args.filter((a) => isRequiredArgument(a) && !field.args.some((b) => b.name === a.name))) {
        differences.push(`${path}(${extra.name}:): expected no such argument, received a required ${String(extra.type)}`);
      }
    }
  }
  return differences;
}

/** `text` with `from` replaced, failing loudly if `from` is not there: a no-op edit would prove nothing. */
function edited(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`expected the contract to contain ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

describe('schema.graphql', () => {
  it('is the schema the code builds, so clients generate their types from the real API', () => {
    const committed = readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8');
    expect(committed, 'schema.graphql is stale: run `npm run schema` and commit the result').toBe(printSortedSchema());
  });
});

describe('the public contract', () => {
  it('holds for the built schema: every type, field, argument type and default is as clients expect', () => {
    expect(contractDifferences(schema)).toEqual([]);
  });

  it('holds for a schema that only adds fields, types and optional arguments', () => {
    const extended = edited(CONTRACT, 'fearGreed: FearGreed', 'fearGreed(at: DateTime): FearGreed\n  health: String');
    expect(contractDifferences(contractSchema(`${extended}\ntype Extra { x: Int }`))).toEqual([]);
  });

  it('fails when tickers stops allowing null entries', () => {
    const changed = edited(CONTRACT, '): [Ticker]!', '): [Ticker!]!');
    expect(contractDifferences(contractSchema(changed))).toEqual(['Query.tickers: expected [Ticker]!, received [Ticker!]!']);
  });

  it('fails when bars loses the default of its limit', () => {
    const changed = edited(CONTRACT, 'limit: Int = 100', 'limit: Int');
    expect(contractDifferences(contractSchema(changed))).toEqual(['Query.bars(limit:) default: expected 100, received none']);
  });

  it('fails when a field becomes nullable, an argument is renamed or a required argument is added', () => {
    let changed = edited(CONTRACT, 'open: Float!', 'open: Float');
    changed = edited(changed, 'invalidateTicker(symbol:', 'invalidateTicker(market:');
    changed = edited(changed, 'fundingRate(symbol: MarketSymbol!)', 'fundingRate(symbol: MarketSymbol!, venue: String!)');
    expect(contractDifferences(contractSchema(changed))).toEqual([
      'Bar.open: expected Float!, received Float',
      'Query.fundingRate(venue:): expected no such argument, received a required String!',
      'Mutation.invalidateTicker(symbol:): expected MarketSymbol!, received nothing',
      'Mutation.invalidateTicker(market:): expected no such argument, received a required MarketSymbol!',
    ]);
  });
});
