import { GraphQLScalarType, Kind, print, valueFromASTUntyped, type ValueNode } from 'graphql';
import { DateTimeResolver, JSONObjectResolver, NonNegativeFloatResolver } from 'graphql-scalars';
import { isCanonicalIsoDate } from '../cache/iso-date.js';
import { TIMEFRAMES, type Timeframe } from '../cache/market-types.js';
import { isMarketSymbol } from '../cache/value-rules.js';
import { InputValueError, invalidValue } from '../errors.js';

const timeframes: ReadonlySet<string> = new Set(TIMEFRAMES);

function stringScalar<T extends string>(name: string, description: string, rule: string, accepts: (s: string) => boolean) {
  const check = (value: unknown, fail: (rule: string, value: unknown) => Error): T => {
    if (typeof value !== 'string' || !accepts(value)) throw fail(rule, value);
    return value as T;
  };
  return new GraphQLScalarType<T, string>({
    name,
    description,
    serialize: (value) => check(value, invalidValue),
    parseValue: (value) => check(value, invalidValue),
    parseLiteral(node: ValueNode) {
      // A literal must be a quoted string: `symbol: 7203` or `symbol: BTC` is not a symbol.
      if (node.kind !== Kind.STRING) throw new InputValueError(`${rule} as a quoted string`, print(node), { verbatim: true });
      return check(node.value, (r, v) => new InputValueError(r, v));
    },
  });
}

export const MarketSymbolScalar = stringScalar<string>(
  'MarketSymbol',
  'A market symbol as the exchange spells it: 1-64 characters of A-Z a-z 0-9 . _ / : -, e.g. "BTC/USDT", "BTC/USDT:USDT", "7203".',
  'a MarketSymbol: 1-64 characters of A-Z a-z 0-9 . _ / : - (e.g. "BTC/USDT")',
  isMarketSymbol,
);

export const TimeframeScalar = stringScalar<Timeframe>(
  'Timeframe',
  `A bar interval: one of ${TIMEFRAMES.join(' ')} (m minutes, h hours, d days, w weeks, M months).`,
  `a Timeframe: one of ${TIMEFRAMES.join(' ')}`,
  (s) => timeframes.has(s),
);

/**
 * A graphql-scalars type whose input errors read like ours: `expected <rule>, received <value>`
 * with code `BAD_USER_INPUT`. Output serialisation is the library's own.
 */
function withInputErrors<T>(scalar: GraphQLScalarType<T>, rule: string): GraphQLScalarType<T> {
  const config = scalar.toConfig();
  return new GraphQLScalarType<T>({
    ...config,
    parseValue(value) {
      try {
        return config.parseValue!(value);
      } catch {
        throw invalidValue(rule, value);
      }
    },
    parseLiteral(node, variables) {
      try {
        return config.parseLiteral!(node, variables);
      } catch {
        throw new InputValueError(rule, valueFromASTUntyped(node, variables));
      }
    },
  });
}

const DateTimeWithInputErrors = withInputErrors(
  DateTimeResolver,
  'a DateTime: an RFC 3339 date-time with a time zone, e.g. "2026-01-01T00:00:00Z"',
);

/**
 * DateTime, serialising the ISO strings values are read back as (see codec.ts): a string already
 * in `toISOString`'s form is served as it is, any other as graphql-scalars serialises a string
 * (an RFC 3339 date-time, checked, or an error: never a guess such as `"1"` read as 2001).
 */
export const DateTimeScalar = new GraphQLScalarType<Date, Date | string>({
  ...DateTimeWithInputErrors.toConfig(),
  serialize(value) {
    return typeof value === 'string' && isCanonicalIsoDate(value) ? value : DateTimeResolver.serialize(value);
  },
});
export const NonNegativeFloatScalar = withInputErrors(NonNegativeFloatResolver, 'a finite number >= 0');
export const JSONObjectScalar = withInputErrors(JSONObjectResolver, 'a JSON object');
