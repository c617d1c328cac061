import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { KnownDocuments } from '../edge/known-documents.js';
import type { FastLaneServerContext } from '../edge/fast-lane.js';
import type { GatewayContext } from '../resolvers/context.js';
import { createReadPlans } from './plan/read-plans.js';

/**
 * Answers the queries a read plan can (see `src/read/plan/read-plans.ts`) without the executor,
 * and hands every other operation, and every plan that meets something out of the ordinary, to
 * the executor as before. The response is the same either way, byte for byte.
 *
 * Each document a plan answers is remembered in `known`, by its text and operation name, for the
 * fast lane (src/edge/fast-lane.ts): by then yoga has parsed it and every check of the edge has
 * passed it. A request whose plan already ran in the fast lane and handed over goes straight to
 * the executor, with what the plan read in its loaders.
 */
export function useReadPlans(plans = createReadPlans(), known?: KnownDocuments): Plugin<Record<string, unknown>, GatewayContext> {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      if ((args.contextValue as Partial<FastLaneServerContext>).fastLaneContext !== undefined) return;
      const plan = plans.planFor(args.schema, args.document, args.operationName);
      if (plan === null) return;
      setExecuteFn(async (executionArgs) => {
        const ctx = executionArgs.contextValue as GatewayContext & { params?: { query?: string; operationName?: string | null } };
        const body = await plans.run(plan, executionArgs.schema, executionArgs.variableValues, ctx);
        if (body === undefined) return executeFn(executionArgs);
        const query = ctx.params?.query;
        if (known !== undefined && typeof query === 'string') known.remember(query, ctx.params!.operationName, { document: executionArgs.document, plan });
        return planned(body);
      });
    },
  };
}

/**
 * A result already written as JSON: yoga writes a result with its own `stringify` through it.
 * `data` is there for any plugin that reads it.
 */
function planned(body: string): ExecutionResult {
  return {
    get data() {
      return (JSON.parse(body) as ExecutionResult).data;
    },
    stringify: () => body,
  } as ExecutionResult;
}
