import { GraphQLEnumType, Kind, print, type GraphQLSchema, type ValueNode } from 'graphql';
import { InputValueError, invalidValue } from '../errors.js';

/**
 * Gives every enum of `schema` the input errors the scalars have: `expected a CacheKind: one of
 * TICKER FUNDING_RATE ..., received "TICKERS"`, code `BAD_USER_INPUT`, named by argument, instead
 * of graphql-js's `Value "TICKERS" does not exist in "CacheKind" enum.` Values and output are
 * graphql-js's own.
 */
export function withEnumInputErrors(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!(type instanceof GraphQLEnumType) || type.name.startsWith('__')) continue;
    const rule = `a ${type.name}: one of ${type.getValues().map(({ name }) => name).join(' ')}`;
    const parseValue = type.parseValue.bind(type);
    const parseLiteral = type.parseLiteral.bind(type);
    type.parseValue = (value: unknown) => {
      try {
        return parseValue(value);
      } catch {
        throw invalidValue(rule, value);
      }
    };
    type.parseLiteral = (node: ValueNode, variables?: Record<string, unknown> | null) => {
      try {
        return parseLiteral(node, variables);
      } catch {
        // A literal enum value is a bare name: `kind: TICKERS`; anything else is shown as written.
        throw new InputValueError(rule, node.kind === Kind.ENUM ? node.value : print(node), { verbatim: true });
      }
    };
  }
  return schema;
}
