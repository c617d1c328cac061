import type { Stamped } from '../cache/codec.js';
import type { LlmAnalysis, Output } from '../cache/market-types.js';
import { adminOnly, writerOnly } from '../resolvers/auth.js';
import { invalidated } from '../resolvers/audit.js';
import { readPoint } from '../read/reads.js';
import { rootReads } from '../read/root-reads.js';
import { checkName, checkText, checkTtl, inputHashOf } from '../resolvers/validate.js';
import { builder } from './builder.js';
import { Cached } from './cached.js';
import { InvalidationResult } from './invalidation.js';

const LlmAnalysisType = builder.objectRef<Output<Stamped<LlmAnalysis>>>('LlmAnalysis').implement({
  description: 'The cached result of an LLM analysis, keyed by type and the SHA-256 of its input.',
  interfaces: [Cached],
  fields: (t) => ({
    analysisType: t.exposeString('analysisType'),
    inputHash: t.exposeString('inputHash', { description: 'Lowercase hex SHA-256 of the UTF-8 input.' }),
    result: t.expose('result', { type: 'JSONObject' }),
    model: t.exposeString('model', { nullable: true }),
  }),
});

builder.queryFields((t) => ({
  llmAnalysis: t.field({
    type: LlmAnalysisType,
    nullable: true,
    description: 'Give exactly one of `input` (hashed here) or `inputHash`.',
    args: {
      analysisType: t.arg.string({ required: true }),
      input: t.arg.string(),
      inputHash: t.arg.string(),
    },
    resolve: (_root, args, ctx) => readPoint(ctx, rootReads.llmAnalysis(args, ctx)),
  }),
}));

builder.mutationFields((t) => ({
  putLlmAnalysis: t.field({
    ...writerOnly,
    type: LlmAnalysisType,
    description: 'Give exactly one of `input` (hashed here, never stored) or `inputHash`.',
    args: {
      analysisType: t.arg.string({ required: true }),
      input: t.arg.string(),
      inputHash: t.arg.string(),
      result: t.arg({ type: 'JSONObject', required: true }),
      model: t.arg.string(),
      ttlSeconds: t.arg.int(),
    },
    resolve: (_root, { analysisType, input, inputHash, result, model, ttlSeconds }, ctx) => {
      checkName('analysisType', analysisType);
      const hash = inputHashOf(input, inputHash);
      checkText('model', model, 200);
      checkTtl(ttlSeconds);
      return ctx.cache.putLlmAnalysis({ analysisType, inputHash: hash, result, model }, ttlSeconds);
    },
  }),
  invalidateLlmAnalysis: t.field({
    ...adminOnly,
    type: InvalidationResult,
    description: 'Removes one analysis, or every analysis of the type when `inputHash` is omitted.',
    args: { analysisType: t.arg.string({ required: true }), inputHash: t.arg.string() },
    resolve: async (_root, args, ctx) => {
      checkName('analysisType', args.analysisType);
      const hash = args.inputHash == null ? null : inputHashOf(null, args.inputHash);
      return invalidated(ctx, 'invalidateLlmAnalysis', args, await ctx.cache.invalidateLlmAnalysis(args.analysisType, hash));
    },
  }),
}));
