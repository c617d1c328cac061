import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { Lexer, Source, TokenKind, type GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { OperationLimits } from '../config.js';
import { operationTooComplex } from './operation-too-complex.js';

/** How each limit is named in messages, and the variable that sets it. */
const LIMITS = {
  depth: { subject: 'operation depth', variable: 'MAX_DEPTH' },
  aliases: { subject: 'aliases', variable: 'MAX_ALIASES' },
  tokens: { subject: 'tokens', variable: 'MAX_TOKENS' },
  directives: { subject: 'directives', variable: 'MAX_DIRECTIVES' },
  cost: { subject: 'operation cost', variable: 'MAX_COST' },
} satisfies Record<keyof OperationLimits, { subject: string; variable: string }>;

/**
 * Rejects an operation over one of `limits` before it runs, with code `OPERATION_TOO_COMPLEX`
 * and a message naming the limit, its variable and what the operation has, e.g.
 * `aliases: expected at most 200 (MAX_ALIASES), received 201`.
 *
 * graphql-armor does the counting: tokens inside the parser, the rest as validation rules.
 * Armor's own errors carry no code and read `Syntax Error: ...`, so each is rethrown as ours.
 * Throwing (armor's `propagateOnRejection`) rather than reporting also stops validation at the
 * operation's first node: graphql-js's other rules, one of them quadratic in repeated fields,
 * never walk an operation already known to be too big.
 *
 * As in armor, depth and cost count an inline fragment or fragment spread as a level, and
 * introspection's `__schema` costs nothing, so GraphiQL's schema query passes any limits.
 */
export function useOperationLimits(limits: OperationLimits): Plugin {
  const tokenRejections = new WeakSet<GraphQLError>();
  const reject = (limit: keyof OperationLimits) => (_: unknown, error: GraphQLError) => {
    // Armor's message ends with `found <n>.`, except the token limit's (see useTokenTotal).
    const found = /found (\d+(?:\.\d+)?)/.exec(error.message)?.[1] ?? `more than ${limits[limit]}`;
    const rejection = overLimit(limit, limits[limit], found);
    if (limit === 'tokens') tokenRejections.add(rejection);
    throw rejection;
  };
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(
        EnvelopArmorPlugin({
          blockFieldSuggestion: { enabled: false }, // see use-hidden-suggestions.ts
          maxDepth: { n: limits.depth, onReject: [reject('depth')] },
          maxAliases: { n: limits.aliases, onReject: [reject('aliases')] },
          maxTokens: { n: limits.tokens, onReject: [reject('tokens')] },
          maxDirectives: { n: limits.directives, onReject: [reject('directives')] },
          costLimit: { maxCost: limits.cost, onReject: [reject('cost')] },
        }),
      );
      // Added after armor's plugins, so that it wraps armor's token-counting parser.
      addPlugin(useTokenTotal(limits.tokens, tokenRejections));
    },
    onValidate() {
      return ({ result, setResult }) => {
        // Past a fixed budget (several hundred repeats of one field), graphql-js stops comparing
        // fields for conflicts and says only "Validation aborted.": the same rejection, unexplained.
        if (result.some((error) => error.message === 'Validation aborted.' && error.nodes === undefined)) {
          setResult([operationTooComplex('fields', 'few enough repeated fields for graphql-js to compare', 'too many')]);
        }
      };
    },
  };
}

/**
 * Armor stops parsing at the first token over the limit, which keeps a huge document cheap, but
 * then cannot say how many tokens there were. For a rejected document only, this counts them
 * (lexing is linear, and bounded by the body size) so that the message can.
 */
function useTokenTotal(limit: number, rejections: WeakSet<GraphQLError>): Plugin {
  return {
    onParse({ parseFn, setParseFn }) {
      setParseFn((source, options) => {
        try {
          return parseFn(source, options);
        } catch (error) {
          if (!rejections.has(error as GraphQLError)) throw error;
          throw overLimit('tokens', limit, countTokens(source) ?? `more than ${limit}`);
        }
      });
    },
  };
}

function countTokens(source: string | Source): number | undefined {
  const lexer = new Lexer(typeof source === 'string' ? new Source(source) : source);
  let count = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) count++;
  } catch {
    return undefined; // a syntax error further on
  }
  return count;
}

function overLimit(limit: keyof OperationLimits, max: number, received: number | string) {
  const { subject, variable } = LIMITS[limit];
  return operationTooComplex(subject, `at most ${max} (${variable})`, received);
}
