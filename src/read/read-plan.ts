import {
  getArgumentValues,
  getNamedType,
  getNullableType,
  getVariableValues,
  isAbstractType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLLeafType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { rangeKeyOf } from '../cache/stale-tier.js';
import type { SeriesRange } from '../cache/store.js';
import type { GatewayContext } from '../resolvers/context.js';
import { readThrough, type Served } from './loaders.js';
import { heapBytesOf } from '../cache/heap-bytes.js';
import { createMemo } from '../cache/memo.js';
import { rootReads, type Decode, type PointsRead, type RangeRead, type RootRead, type RootReadField } from './root-reads.js';

/**
 * Read plans: the common query, a handful of cache reads with scalar selections, answered without
 * the general executor.
 *
 * A plan is compiled once per parsed document (yoga caches documents by their text). Running it
 * coerces the variables and arguments as graphql-js does, asks `rootReads` for the keys exactly
 * as the resolvers would, reads them all at once (one `MGET`, one range pipeline, through the same
 * stale tier), and writes the response JSON straight from the decoded values, each leaf through
 * its own scalar's `serialize`. No resolver runs, no result tree is built, and nothing is copied
 * to add `stale`.
 *
 * A plan only answers when the answer has no errors: if anything is out of the ordinary (bad
 * variables or arguments, a value that does not decode or serialise, a key Redis could not
 * answer), it hands the request to the executor, and its loaders what it read (`readAhead`), so
 * that the executor reports it exactly as it always does, without reading Redis again.
 */

/** Object types whose every field serves the decoded value's own property, or `stale`. */
const SERVED_TYPES: ReadonlySet<string> = new Set(['Ticker', 'FundingRate', 'FearGreed', 'LlmAnalysis', 'Bar']);

interface LeafPlan {
  /** `"responseKey":`, with the comma before it when it is not the first. */
  prefix: string;
  /** The property read, `stale`, or `__typename`. */
  name: string;
  type: GraphQLLeafType | null;
  nonNull: boolean;
}

interface ObjectPlan {
  /** Unique for the life of the process: part of its renderings' memo keys. */
  id: number;
  typeName: string;
  leaves: LeafPlan[];
}

let objectPlans = 0;

type RootPlan =
  | { prefix: string; typename: string }
  | {
      prefix: string;
      field: RootReadField;
      node: FieldNode;
      definition: GraphQLField<unknown, unknown>;
      object: ObjectPlan;
      /** Whether its arguments name no variable, so that they coerce the same every time. */
      literal: boolean;
      literalArgs?: Record<string, unknown>;
    };

export interface ReadPlan {
  operation: OperationDefinitionNode;
  roots: RootPlan[];
}

/**
 * The renderings of the values each plan last read at each key (a range's by position): hot values
 * are read again and again between writes, and a value renders the same way every time under the
 * same plan (a bar's symbol and timeframe come from its key), so the same bytes are parsed,
 * checked and written once, not on every request. Compared by the bytes read, never trusted
 * blindly: a value that changed is rendered afresh. Stale values are not remembered.
 */
interface Renderings {
  raws: readonly string[];
  jsons: readonly string[];
}

/** Bytes the renderings hold at most, read values and their renderings together. */
const RENDERINGS_MAX_BYTES = 16 * 1024 * 1024;
/** What each remembered value of a range costs besides its two strings: two array slots. */
const SLOT_BYTES = 16;
const renderings = createMemo<Renderings>(RENDERINGS_MAX_BYTES, ({ raws, jsons }) => {
  let bytes = 0;
  for (let i = 0; i < raws.length; i++) bytes += SLOT_BYTES + heapBytesOf(raws[i]!) + heapBytesOf(jsons[i]!);
  return bytes;
});

const plans = new WeakMap<DocumentNode, Map<string | null, ReadPlan | null>>();

/** The plan of `document`'s operation, or `null` when it is not one a plan can answer. */
export function readPlanFor(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null): ReadPlan | null {
  let byOperation = plans.get(document);
  if (byOperation === undefined) plans.set(document, (byOperation = new Map()));
  const name = operationName ?? null;
  let plan = byOperation.get(name);
  if (plan === undefined) byOperation.set(name, (plan = compile(schema, document, name)));
  return plan;
}

/**
 * Runs `plan`: resolves to the response body, or to `undefined` when the executor must answer
 * (the loaders of `ctx` then hold whatever was read).
 */
export async function runReadPlan(
  plan: ReadPlan,
  schema: GraphQLSchema,
  rawVariables: Record<string, unknown> | null | undefined,
  ctx: GatewayContext,
): Promise<string | undefined> {
  const variables = getVariableValues(schema, plan.operation.variableDefinitions ?? [], rawVariables ?? {});
  if (variables.errors) return undefined;

  const reads: Array<RootRead | undefined> = [];
  try {
    for (const root of plan.roots) {
      if ('typename' in root) reads.push(undefined);
      else reads.push(rootReads[root.field](argumentsOf(root, variables.coerced) as never, ctx));
    }
  } catch {
    return undefined;
  }

  const pointKeys = new Set<string>();
  const ranges = new Map<string, SeriesRange>();
  for (const read of reads) {
    if (read?.kind === 'point') pointKeys.add(read.key);
    else if (read?.kind === 'points') for (const key of read.keys) pointKeys.add(key);
    else if (read?.kind === 'range') ranges.set(rangeKeyOf(read.range), read.range);
  }
  const pointList = [...pointKeys];
  const [points, series] = await Promise.allSettled([
    pointList.length === 0 ? [] : readThrough(ctx.tier, pointList, (key) => key, ctx.store.getMany),
    ranges.size === 0 ? [] : readThrough(ctx.tier, [...ranges.values()], rangeKeyOf, ctx.store.rangeMany),
  ]);
  const pointValues = new Map<string, Served<string> | null | Error>();
  pointList.forEach((key, i) => pointValues.set(key, points.status === 'fulfilled' ? points.value[i]! : asError(points.reason)));
  const rangeValues = new Map<string, Served<string[]> | null | Error>();
  let i = 0;
  for (const key of ranges.keys()) rangeValues.set(key, series.status === 'fulfilled' ? series.value[i++]! : asError(series.reason));

  try {
    // Over the response bound the executor answers: it says which fields did not fit.
    if (rawBytesOf(reads, pointValues, rangeValues) > ctx.budget.maxBytes) throw new Error('over MAX_RESPONSE_BYTES');
    let body = '{"data":{';
    plan.roots.forEach((root, i) => {
      body += root.prefix;
      const read = reads[i];
      if ('typename' in root) body += JSON.stringify(root.typename);
      else if (read!.kind === 'point') body += renderPoint(root.object, read!.key, read!.decode, pointValues.get(read!.key)!);
      else if (read!.kind === 'points') body += renderPoints(root.object, read!, pointValues);
      else body += renderRange(root.object, read!, rangeValues.get(rangeKeyOf(read!.range))!);
    });
    return `${body}}}`;
  } catch {
    for (const [key, value] of pointValues) ctx.loaders.readAhead.points.set(key, value);
    for (const [key, value] of rangeValues) ctx.loaders.readAhead.ranges.set(key, value);
    return undefined;
  }
}

function argumentsOf(root: Extract<RootPlan, { field: RootReadField }>, variables: Record<string, unknown>) {
  if (!root.literal) return getArgumentValues(root.definition, root.node, variables);
  return (root.literalArgs ??= getArgumentValues(root.definition, root.node));
}

/** The stored bytes the fields of a plan serve, each time it serves them, as the executor charges them. */
function rawBytesOf(
  reads: ReadonlyArray<RootRead | undefined>,
  points: ReadonlyMap<string, Served<string> | null | Error>,
  ranges: ReadonlyMap<string, Served<string[]> | null | Error>,
): number {
  const sizeOf = (served: Served<string> | Served<string[]> | null | Error | undefined) => {
    if (served == null || served instanceof Error) return 0;
    return typeof served.value === 'string' ? served.value.length : served.value.reduce((n, raw) => n + raw.length, 0);
  };
  let bytes = 0;
  for (const read of reads) {
    if (read?.kind === 'point') bytes += sizeOf(points.get(read.key));
    else if (read?.kind === 'points') for (const key of read.keys) bytes += sizeOf(points.get(key));
    else if (read?.kind === 'range') bytes += sizeOf(ranges.get(rangeKeyOf(read.range)));
  }
  return bytes;
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

function renderPoint(object: ObjectPlan, key: string, decode: Decode, served: Served<string> | null | Error): string {
  if (served === null) return 'null';
  if (served instanceof Error) throw served;
  if (served.stale) return renderObject(object, decode(served.value) as Record<string, unknown>, true);
  const memoKey = `${object.id} ${key}`;
  const last = renderings.get(memoKey);
  if (last?.raws[0] === served.value) return last.jsons[0]!;
  const json = renderObject(object, decode(served.value) as Record<string, unknown>, false);
  renderings.set(memoKey, { raws: [served.value], jsons: [json] });
  return json;
}

function renderPoints(object: ObjectPlan, { keys, decode }: PointsRead, values: ReadonlyMap<string, Served<string> | null | Error>) {
  let json = '[';
  for (const [i, key] of keys.entries()) json += (i === 0 ? '' : ',') + renderPoint(object, key, decode, values.get(key)!);
  return `${json}]`;
}

function renderRange(object: ObjectPlan, { range, decode }: RangeRead, served: Served<string[]> | null | Error): string {
  if (served === null) throw new Error(`${range.key} is not a series`); // the executor discards it
  if (served instanceof Error) throw served;
  if (served.stale) return `[${served.value.map((raw) => renderObject(object, decode(raw) as Record<string, unknown>, true)).join(',')}]`;
  const memoKey = `${object.id} ${rangeKeyOf(range)}`;
  const last = renderings.get(memoKey);
  const raws = served.value;
  let changed = last === undefined || last.raws.length !== raws.length;
  const jsons = raws.map((raw, i) => {
    if (last?.raws[i] === raw) return last.jsons[i]!;
    changed = true;
    return renderObject(object, decode(raw) as Record<string, unknown>, false);
  });
  if (changed) renderings.set(memoKey, { raws, jsons });
  return `[${jsons.join(',')}]`;
}

function renderObject({ typeName, leaves }: ObjectPlan, value: Record<string, unknown>, stale: boolean): string {
  let json = '{';
  for (const leaf of leaves) {
    json += leaf.prefix;
    if (leaf.type === null) json += JSON.stringify(typeName);
    else json += renderLeaf(leaf, leaf.name === 'stale' ? stale : value[leaf.name]);
  }
  return `${json}}`;
}

/** A leaf as graphql-js completes it and `JSON.stringify` then writes it; throws where graphql-js would report an error. */
function renderLeaf(leaf: LeafPlan, value: unknown): string {
  if (value === null || value === undefined) {
    if (leaf.nonNull) throw new Error(`${leaf.name} is null`);
    return 'null';
  }
  const serialized = leaf.type!.serialize(value);
  if (serialized === null || serialized === undefined) throw new Error(`${leaf.name} serialised to nothing`);
  return typeof serialized === 'number' && Number.isFinite(serialized) ? `${serialized}` : JSON.stringify(serialized);
}

function compile(schema: GraphQLSchema, document: DocumentNode, operationName: string | null): ReadPlan | null {
  let operation: OperationDefinitionNode | undefined;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    if (operationName === null) {
      if (operation !== undefined) return null; // several operations and none named: the executor's error
      operation = definition;
    } else if (definition.name?.value === operationName) {
      operation = definition;
    }
  }
  const queryType = schema.getQueryType();
  if (operation?.operation !== 'query' || operation.directives?.length || !queryType) return null;

  const rootNodes = collectFields(schema, operation.selectionSet, queryType, fragments);
  if (rootNodes === null) return null;
  const roots: RootPlan[] = [];
  for (const [i, node] of rootNodes.entries()) {
    const prefix = `${i === 0 ? '' : ','}${JSON.stringify(node.alias?.value ?? node.name.value)}:`;
    const field = node.name.value;
    if (field === '__typename') {
      roots.push({ prefix, typename: queryType.name });
      continue;
    }
    const definition = queryType.getFields()[field];
    if (definition === undefined || !Object.hasOwn(rootReads, field) || !node.selectionSet) return null;
    const type = getNamedType(definition.type);
    if (!isObjectType(type) || !SERVED_TYPES.has(type.name)) return null;
    const object = compileObject(schema, node.selectionSet, type, fragments);
    if (object === null) return null;
    const literal = !(node.arguments ?? []).some((argument) => namesVariable(argument.value));
    roots.push({ prefix, field: field as RootReadField, node, definition, object, literal });
  }
  return { operation, roots };
}

function compileObject(
  schema: GraphQLSchema,
  selectionSet: SelectionSetNode,
  type: GraphQLObjectType,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): ObjectPlan | null {
  const nodes = collectFields(schema, selectionSet, type, fragments);
  if (nodes === null) return null;
  const leaves: LeafPlan[] = [];
  for (const [i, node] of nodes.entries()) {
    if (node.selectionSet || node.arguments?.length) return null;
    const prefix = `${i === 0 ? '' : ','}${JSON.stringify(node.alias?.value ?? node.name.value)}:`;
    const name = node.name.value;
    if (name === '__typename') {
      leaves.push({ prefix, name, type: null, nonNull: true });
      continue;
    }
    const definition = type.getFields()[name];
    if (!definition) return null;
    const leafType = getNamedType(definition.type);
    if (!isLeafType(leafType) || isListType(getNullableType(definition.type))) return null;
    leaves.push({ prefix, name, type: leafType, nonNull: isNonNullType(definition.type) });
  }
  return { id: ++objectPlans, typeName: type.name, leaves };
}

/**
 * The fields a selection set selects on `type`, fragments spread in order, as graphql-js collects
 * them; `null` when it needs more than a plan does: `@skip`/`@include` or any other directive, or
 * a response key selected twice (which the executor merges).
 */
function collectFields(
  schema: GraphQLSchema,
  selectionSet: SelectionSetNode,
  type: GraphQLObjectType,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  spread = new Set<string>(),
): FieldNode[] | null {
  const fields: FieldNode[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.directives?.length) return null;
    let inner: FieldNode[] | null = [];
    if (selection.kind === Kind.FIELD) {
      inner = [selection];
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      if (appliesTo(schema, selection.typeCondition?.name.value, type)) {
        inner = collectFields(schema, selection.selectionSet, type, fragments, spread);
      }
    } else {
      const fragment = fragments.get(selection.name.value);
      if (fragment === undefined || fragment.directives?.length) return null;
      if (spread.has(fragment.name.value)) continue;
      spread.add(fragment.name.value);
      if (appliesTo(schema, fragment.typeCondition.name.value, type)) {
        inner = collectFields(schema, fragment.selectionSet, type, fragments, spread);
      }
    }
    if (inner === null) return null;
    fields.push(...inner);
  }
  const responseKeys = new Set(fields.map((field) => field.alias?.value ?? field.name.value));
  return responseKeys.size === fields.length ? fields : null;
}

function namesVariable(value: ValueNode): boolean {
  if (value.kind === Kind.VARIABLE) return true;
  if (value.kind === Kind.LIST) return value.values.some(namesVariable);
  if (value.kind === Kind.OBJECT) return value.fields.some((field) => namesVariable(field.value));
  return false;
}

function appliesTo(schema: GraphQLSchema, condition: string | undefined, type: GraphQLObjectType): boolean {
  if (condition === undefined) return true;
  const conditionType = schema.getType(condition);
  if (conditionType === type) return true;
  return isAbstractType(conditionType) && schema.isSubType(conditionType, type);
}
