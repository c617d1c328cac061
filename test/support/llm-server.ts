import { startUpstreamServer, type UpstreamServer } from './upstream-server.js';

/**
 * An OpenAI-compatible `POST /v1/chat/completions` on loopback: it answers in the documented
 * `chat.completion` format, the assistant's content being the settable answer's JSON text, and
 * refuses what OpenAI refuses (a missing or wrong bearer key when one is set, a body that is not
 * a chat request) with OpenAI's error format.
 */

export interface ChatRequest {
  model: string;
  messages: Array<{ role: string; content: string }>;
  response_format?: { type: string };
  [field: string]: unknown;
}

/** An object is sent as its JSON text; a string is sent as the content verbatim. */
export type LlmAnswer = object | string | ((request: ChatRequest) => object | string);

export const DEFAULT_ANSWER = Object.freeze({ sentiment: 'neutral', score: 0 });

export interface LlmServer extends UpstreamServer {
  /** `http://127.0.0.1:<port>/v1`, as the LLM base URL. */
  baseUrl: string;
  setAnswer(answer: LlmAnswer): void;
  /** The bodies of the chat requests received, parsed, in order. */
  chatRequests(): ChatRequest[];
}

export interface LlmServerOptions {
  /** Requests must carry `authorization: Bearer <apiKey>`; any key (or none) when unset. */
  apiKey?: string;
}

export async function startLlmServer({ apiKey }: LlmServerOptions = {}): Promise<LlmServer> {
  let answer: LlmAnswer = DEFAULT_ANSWER;
  let completions = 0;

  const upstream = await startUpstreamServer({
    'POST /v1/chat/completions': (request) => {
      if (apiKey !== undefined && request.headers.authorization !== `Bearer ${apiKey}`) {
        return openAiError(401, 'Incorrect API key provided.', 'invalid_api_key');
      }
      const chat = chatRequestOf(request.body);
      if (!chat) return openAiError(400, 'We could not parse the JSON body of your request, or it is not a chat request.', null);
      const given = typeof answer === 'function' ? answer(chat) : answer;
      const content = typeof given === 'string' ? given : JSON.stringify(given);
      completions += 1;
      const promptTokens = Math.ceil(chat.messages.reduce((sum, m) => sum + String(m.content).length, 0) / 4);
      const completionTokens = Math.ceil(content.length / 4);
      return {
        body: JSON.stringify({
          id: `chatcmpl-loopback${completions}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: chat.model,
          choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
          usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
          system_fingerprint: 'fp_loopback',
        }),
      };
    },
  });

  const resetUpstream = upstream.reset;
  return Object.assign(upstream, {
    baseUrl: `${upstream.origin}/v1`,
    setAnswer(next: LlmAnswer) {
      answer = next;
    },
    chatRequests: () => upstream.requests.flatMap((request) => chatRequestOf(request.body) ?? []),
    reset() {
      resetUpstream();
      answer = DEFAULT_ANSWER;
    },
  });
}

function chatRequestOf(body: string): ChatRequest | undefined {
  try {
    const parsed = JSON.parse(body) as ChatRequest;
    return typeof parsed?.model === 'string' && Array.isArray(parsed.messages) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function openAiError(status: number, message: string, code: string | null) {
  return { status, body: JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code } }) };
}
