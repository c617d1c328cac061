import { getArgumentValues, getVariableValues, type GraphQLSchema } from 'graphql';
import { rangeKeyOf } from '../../cache/stale-tier.js';
import type { SeriesRange } from '../../cache/store.js';
import type { GatewayContext } from '../../resolvers/context.js';
import type { Served } from '../loaders.js';
import { rootReads, type RootRead, type RootReadField } from '../root-reads.js';
import type { ReadPlan, RootPlan } from './compile.js';
import type { Renderer } from './render.js';

/**
 * Runs `plan`: resolves to the response body, or to `undefined` when the executor must answer
 * (the loaders of `ctx` then hold whatever was read).
 */
export async function runReadPlan(
  plan: ReadPlan,
  schema: GraphQLSchema,
  rawVariables: Record<string, unknown> | null | undefined,
  ctx: GatewayContext,
  render: Renderer,
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
    pointList.length === 0 ? [] : ctx.loaders.readPoints(pointList),
    ranges.size === 0 ? [] : ctx.loaders.readRanges([...ranges.values()]),
  ]);
  const pointValues = new Map<string, Served<string> | null | Error>();
  pointList.forEach((key, i) => pointValues.set(key, points.status === 'fulfilled' ? points.value[i]! : asError(points.reason)));
  const rangeValues = new Map<string, Served<string[]> | null | Error>();
  [...ranges.keys()].forEach((key, i) => rangeValues.set(key, series.status === 'fulfilled' ? series.value[i]! : asError(series.reason)));

  try {
    // Over the response bound the executor answers: it says which fields did not fit.
    if (rawBytesOf(reads, pointValues, rangeValues) > ctx.budget.maxBytes) throw new Error('over MAX_RESPONSE_BYTES');
    let body = '{"data":{';
    plan.roots.forEach((root, i) => {
      body += root.prefix;
      const read = reads[i];
      if ('typename' in root) body += JSON.stringify(root.typename);
      else if (read!.kind === 'point') body += render.point(root.object, read!.key, read!.decode, pointValues.get(read!.key)!, read!.variant);
      else if (read!.kind === 'points') body += render.points(root.object, read!, pointValues);
      else body += render.range(root.object, read!, rangeValues.get(rangeKeyOf(read!.range))!);
    });
    return `${body}}}`;
  } catch {
    ctx.loaders.handOver(pointValues, rangeValues);
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
