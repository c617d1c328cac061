import type { Stamped } from '../cache/codec.js';
import type { LlmAnalysis, Output } from '../cache/market-types.js';
import { adminOnly, writerOnly } from '../resolvers/auth.js';
import { llmAnalysisResolvers } from '../resolvers/llm-analysis.js';
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
    resolve: llmAnalysisResolvers.llmAnalysis,
  }),
}));

builder.mutationFields((t) => ({
  analyze: t.field({
    ...writerOnly,
    type: LlmAnalysisType,
    description:
      'The cached analysis of `input`, or the model\'s, asked once (however many ask at the same time) and cached. A mutation because a model call costs money; `llmAnalysis` reads without asking.',
    args: {
      analysisType: t.arg.string({ required: true, description: 'A type configured in the gateway\'s LLM_ANALYSES file.' }),
      input: t.arg.string({ required: true, description: 'Sent to the model; hashed here, never stored.' }),
    },
    resolve: llmAnalysisResolvers.analyze,
  }),
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
    resolve: llmAnalysisResolvers.putLlmAnalysis,
  }),
  invalidateLlmAnalysis: t.field({
    ...adminOnly,
    type: InvalidationResult,
    description: 'Removes one analysis, or every analysis of the type when `inputHash` is omitted.',
    args: { analysisType: t.arg.string({ required: true }), inputHash: t.arg.string() },
    resolve: llmAnalysisResolvers.invalidateLlmAnalysis,
  }),
}));
