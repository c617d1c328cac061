import {
  getNamedType,
  getNullableType,
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
import { rootReads, type RootReadField } from '../root-reads.js';

/** Object types whose every field serves the decoded value's own property, or `stale`. */
const SERVED_TYPES: ReadonlySet<string> = new Set(['Ticker', 'FundingRate', 'FearGreed', 'LlmAnalysis', 'Bar', 'Trade', 'OrderBook']);
/** Object types served in lists inside those (a book's levels), on the same terms. */
const NESTED_TYPES: ReadonlySet<string> = new Set(['OrderBookLevel']);

export interface LeafPlan {
  /** `"responseKey":`, with the comma before it when it is not the first. */
  prefix: string;
  /** The property read, `stale`, or `__typename`. */
  name: string;
  type: GraphQLLeafType | null;
  nonNull: boolean;
  /** For a list of objects (a book side): the plan of each item. */
  items?: ObjectPlan;
}

export interface ObjectPlan {
  /** Unique among the plans of one gateway: part of its renderings' memo keys. */
  id: number;
  typeName: string;
  leaves: LeafPlan[];
}

export type RootPlan =
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
 * The plan of `document`'s operation, or `null` when it is not one a plan can answer. `nextId`
 * numbers its object plans.
 */
export function compile(schema: GraphQLSchema, document: DocumentNode, operationName: string | null, nextId: () => number): ReadPlan | null {
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
    const object = compileObject(schema, node.selectionSet, type, fragments, nextId);
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
  nextId: () => number,
): ObjectPlan | null {
  const nodes = collectFields(schema, selectionSet, type, fragments);
  if (nodes === null) return null;
  const leaves: LeafPlan[] = [];
  for (const [i, node] of nodes.entries()) {
    if (node.arguments?.length) return null;
    const prefix = `${i === 0 ? '' : ','}${JSON.stringify(node.alias?.value ?? node.name.value)}:`;
    const name = node.name.value;
    if (name === '__typename') {
      leaves.push({ prefix, name, type: null, nonNull: true });
      continue;
    }
    const definition = type.getFields()[name];
    if (!definition) return null;
    if (node.selectionSet) {
      // Only `[Item!]!` of a nested type: what a stored list of records always is.
      const list = isNonNullType(definition.type) ? definition.type.ofType : null;
      const item = isListType(list) && isNonNullType(list.ofType) ? list.ofType.ofType : null;
      if (!isObjectType(item) || !NESTED_TYPES.has(item.name)) return null;
      const items = compileObject(schema, node.selectionSet, item, fragments, nextId);
      if (items === null) return null;
      leaves.push({ prefix, name, type: null, nonNull: true, items });
      continue;
    }
    const leafType = getNamedType(definition.type);
    if (!isLeafType(leafType) || isListType(getNullableType(definition.type))) return null;
    leaves.push({ prefix, name, type: leafType, nonNull: isNonNullType(definition.type) });
  }
  return { id: nextId(), typeName: type.name, leaves };
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
