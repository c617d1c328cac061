import type { DocumentNode, GraphQLSchema } from 'graphql';
import { DEFAULTS } from '../../defaults.js';
import type { Change } from '../../cache/store.js';
import type { GatewayContext } from '../../resolvers/context.js';
import { compile, type ReadPlan } from './compile.js';
import { createRenderer } from './render.js';
import { runReadPlan } from './run.js';

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
 * answer), it hands the request to the executor, and hands what it read to its loaders, so
 * that the executor reports it exactly as it always does, without reading Redis again.
 *
 * Each gateway owns its plans, their numbering and their renderings' memo: two gateways in one
 * process share none of them.
 */
export function createReadPlans({ renderingsMaxBytes = DEFAULTS.memos.renderingsBytes }: { renderingsMaxBytes?: number } = {}) {
  const plans = new WeakMap<DocumentNode, Map<string | null, ReadPlan | null>>();
  let objectPlans = 0;
  const nextId = () => ++objectPlans;
  const render = createRenderer(renderingsMaxBytes);
  return {
    /** The plan of `document`'s operation, or `null` when it is not one a plan can answer. */
    planFor(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null): ReadPlan | null {
      let byOperation = plans.get(document);
      if (byOperation === undefined) plans.set(document, (byOperation = new Map()));
      const name = operationName ?? null;
      let plan = byOperation.get(name);
      if (plan === undefined) byOperation.set(name, (plan = compile(schema, document, name, nextId)));
      return plan;
    },
    /** Drops what the plans remember of a key another process changed (see `Renderer.forget`). */
    forget: (change: Change) => render.forget(change),
    /** The response body, or `undefined` when the executor must answer. */
    run: (plan: ReadPlan, schema: GraphQLSchema, variables: Record<string, unknown> | null | undefined, ctx: GatewayContext) =>
      runReadPlan(plan, schema, variables, ctx, render),
  };
}

export type ReadPlans = ReturnType<typeof createReadPlans>;
