import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from '../resolvers/context.js';
import { createReadPlans } from './plan/read-plans.js';

/**
 * Answers the queries a read plan can (see `src/read/plan/read-plans.ts`) without the executor,
 * and hands every other operation, and every plan that meets something out of the ordinary, to
 * the executor as before. The response is the same either way, byte for byte.
 */
export function useReadPlans(plans = createReadPlans()): Plugin<Record<string, unknown>, GatewayContext> {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const plan = plans.planFor(args.schema, args.document, args.operationName);
      if (plan === null) return;
      setExecuteFn(async (executionArgs) => {
        const ctx = executionArgs.contextValue as GatewayContext;
        const body = await plans.run(plan, executionArgs.schema, executionArgs.variableValues, ctx);
        return body === undefined ? executeFn(executionArgs) : planned(body);
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
