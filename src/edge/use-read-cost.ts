import { getOperationAST, Kind, type DocumentNode, type FieldNode, type OperationDefinitionNode, type SelectionSetNode, type ValueNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { operationTooComplex } from './operation-too-complex.js';
import { DEFAULTS } from '../defaults.js';

export interface ReadCostOptions {
  /**
   * The most an operation may read: each point key costs 1 (a `tickers` field as many as its
   * symbols), each bar or trade a `bars` or `trades` field may return 1 (its `limit`).
   * @default 10000
   */
  maxCost?: number;
}

/** Query fields that read one key each; `tickers`, `bars` and `trades` are counted by their arguments. */
const POINT_FIELDS: ReadonlySet<string> = new Set(['ticker', 'fundingRate', 'fearGreed', 'llmAnalysis', 'latestBar', 'orderBook']);
/** Range fields: their `limit`, its default and its bound. */
const RANGE_FIELDS: ReadonlyMap<string, { limit: number; maxLimit: number }> = new Map([
  ['bars', { limit: DEFAULTS.fields.barsLimit, maxLimit: DEFAULTS.fields.maxBarsLimit }],
  ['trades', { limit: DEFAULTS.fields.tradesLimit, maxLimit: DEFAULTS.fields.maxTradesLimit }],
]);

/**
 * Refuses an operation that would read more than `maxCost` before it reads anything, with code
 * `OPERATION_TOO_COMPLEX`: e.g. 200 aliases of `tickers` with 500 symbols each, a 100,000-key read
 * that is tiny as a document and passes every other limit, or 200 aliases of `bars(limit: 5000)`.
 *
 * graphql-armor's cost counts selections, not what they read, so it cannot see a list's length
 * or a `limit`. This counts both, from the literals and the variables as sent (a value a field
 * would refuse anyway is counted at its bound, and the field reports it). Every alias and every
 * spread counts, so `@skip` cannot hide a read.
 */
export function useReadCost({ maxCost = DEFAULTS.limits.readCost }: ReadCostOptions = {}): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'query') return;
      const cost = readCostOf(args.document, operation, (args.variableValues ?? {}) as Record<string, unknown>);
      if (cost > maxCost) {
        setResultAndStopExecution({ errors: [operationTooComplex('read cost', `at most ${maxCost} (MAX_READ_COST)`, cost)] });
      }
    },
  };
}

/** What `operation` of `document` would read with `variables` as sent (see `useReadCost`). */
export function readCostOf(document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>): number {
  let cost = 0;
  for (const field of rootFields(document, operation.selectionSet)) cost += costOf(field, variables);
  return cost;
}

function costOf(field: FieldNode, variables: Record<string, unknown>): number {
  const name = field.name.value;
  if (POINT_FIELDS.has(name)) return 1;
  if (name === 'tickers') {
    const symbols = argument(field, 'symbols', variables);
    return Array.isArray(symbols) ? symbols.length : 1;
  }
  const range = RANGE_FIELDS.get(name);
  if (range !== undefined) {
    const limit = argument(field, 'limit', variables) ?? range.limit;
    return typeof limit === 'number' && limit >= 0 ? Math.min(limit, range.maxLimit) : 0;
  }
  // `symbols` reads the index: five commands whatever it holds, its answer bounded by MAX_RESPONSE_BYTES.
  return 0;
}

/** An argument's value as sent: a literal's, or its variable's; lists keep their length. */
function argument(field: FieldNode, name: string, variables: Record<string, unknown>): unknown {
  const node = field.arguments?.find((arg) => arg.name.value === name)?.value;
  return node === undefined ? undefined : valueOf(node, variables);
}

function valueOf(node: ValueNode, variables: Record<string, unknown>): unknown {
  if (node.kind === Kind.VARIABLE) return variables[node.name.value];
  if (node.kind === Kind.LIST) return node.values;
  if (node.kind === Kind.INT) return Number(node.value);
  if (node.kind === Kind.NULL) return undefined;
  return node;
}

/** Every field of the root selection set, through fragments, whatever their directives. */
function rootFields(document: DocumentNode, selectionSet: SelectionSetNode, spread = new Set<string>()): FieldNode[] {
  const fields: FieldNode[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      fields.push(selection);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      fields.push(...rootFields(document, selection.selectionSet, spread));
    } else if (!spread.has(selection.name.value)) {
      spread.add(selection.name.value);
      const fragment = document.definitions.find(
        (definition) => definition.kind === Kind.FRAGMENT_DEFINITION && definition.name.value === selection.name.value,
      );
      if (fragment?.kind === Kind.FRAGMENT_DEFINITION) fields.push(...rootFields(document, fragment.selectionSet, spread));
    }
  }
  return fields;
}
