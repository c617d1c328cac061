import { DEFAULTS } from '../defaults.js';
import { badUserInput } from '../errors.js';
import { readPoint } from '../read/reads.js';
import { rootReads } from '../read/root-reads.js';
import { invalidated } from './audit.js';
import type { GatewayContext } from './context.js';
import { checkName, checkText, checkTtl, inputHashOf } from './validate.js';

const MAX_INPUT_LENGTH = DEFAULTS.fields.maxAnalysisInputLength;

interface AnalysisKey {
  analysisType: string;
  input?: string | null;
  inputHash?: string | null;
}

interface AnalysisWrite extends AnalysisKey {
  result: Record<string, unknown>;
  model?: string | null;
  ttlSeconds?: number | null;
}

export const llmAnalysisResolvers = {
  llmAnalysis: (_root: unknown, args: AnalysisKey, ctx: GatewayContext) => readPoint(ctx, rootReads.llmAnalysis(args, ctx)),

  analyze: (_root: unknown, { analysisType, input }: { analysisType: string; input: string }, ctx: GatewayContext) => {
    checkName('analysisType', analysisType);
    // The length, not the first characters of 100 KB, says what is wrong.
    if (input.length > MAX_INPUT_LENGTH) throw badUserInput('input', `at most ${MAX_INPUT_LENGTH} characters`, `${input.length} characters`);
    checkText('input', input, MAX_INPUT_LENGTH);
    if (ctx.analyze === undefined) {
      throw badUserInput('analysisType', 'an analysis type configured in LLM_ANALYSES (none is: LLM_BASE_URL is not set)', analysisType);
    }
    return ctx.analyze(analysisType, input);
  },

  putLlmAnalysis: (_root: unknown, { analysisType, input, inputHash, result, model, ttlSeconds }: AnalysisWrite, ctx: GatewayContext) => {
    checkName('analysisType', analysisType);
    const hash = inputHashOf(input, inputHash);
    checkText('model', model, 200);
    checkTtl(ttlSeconds);
    return ctx.cache.putLlmAnalysis({ analysisType, inputHash: hash, result, model }, ttlSeconds);
  },

  invalidateLlmAnalysis: async (_root: unknown, args: { analysisType: string; inputHash?: string | null }, ctx: GatewayContext) => {
    checkName('analysisType', args.analysisType);
    const hash = args.inputHash == null ? null : inputHashOf(null, args.inputHash);
    return invalidated(ctx, 'invalidateLlmAnalysis', args, await ctx.cache.invalidateLlmAnalysis(args.analysisType, hash));
  },
};
