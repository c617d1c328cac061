import { UpstreamError } from './source.js';

/**
 * Plain `fetch` for the sources that speak JSON over HTTP (alternative.me, an OpenAI-compatible
 * API): bounded reads, statuses and `Retry-After` turned into `UpstreamError`s. Written here
 * rather than taken from a client library: one GET and one POST need no SDK, and the openai
 * package's current major needs Node 22.
 */

/**
 * `init` as `fetch` takes it, with its signal. Every failure is an `UpstreamError` of `source`:
 * no answer, a non-2xx status (with a 429's or 503's `Retry-After`), a body over `maxBytes`, a body
 * that is not JSON.
 */
export async function requestJson(source: string, url: string, init: RequestInit & { signal: AbortSignal }, maxBytes: number): Promise<unknown> {
  const request = `${init.method ?? 'GET'} ${url}`;
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw failed(source, `${request}: ${failureOf(error, init.signal)}`, error);
  }
  if (!response.ok) {
    void response.body?.cancel().catch(() => {});
    throw new UpstreamError(source, `${request}: HTTP ${response.status}`, retryAfterMsOf(response));
  }
  const text = await readBounded(source, response, maxBytes, init.signal);
  try {
    return JSON.parse(text);
  } catch {
    throw new UpstreamError(source, `body: expected JSON, received ${describe(text)}`);
  }
}

/**
 * Reads at most `maxBytes` (as decoded: a compressed body is bounded by what it inflates to), and
 * stops reading, closing the connection, as soon as a body says or proves that it is larger: a
 * hostile upstream costs this process `maxBytes`, not what it chooses to send.
 */
async function readBounded(source: string, response: Response, maxBytes: number, signal: AbortSignal): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const declared = Number(response.headers.get('content-length'));
  if (declared > maxBytes) {
    void reader.cancel().catch(() => {});
    throw new UpstreamError(source, `body: expected at most ${maxBytes} bytes, received a Content-Length of ${declared}`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (error) {
      throw failed(source, `reading the body: ${failureOf(error, signal)}`, error);
    }
    if (chunk.done) break;
    size += chunk.value.byteLength;
    if (size > maxBytes) {
      void reader.cancel().catch(() => {});
      throw new UpstreamError(source, `body: expected at most ${maxBytes} bytes, received more`);
    }
    chunks.push(chunk.value);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new UpstreamError(source, 'body: expected UTF-8 text, received invalid UTF-8');
  }
}

function failed(source: string, message: string, cause: unknown) {
  const error = new UpstreamError(source, message);
  error.cause = cause;
  return error;
}

/** Why a request failed, in a few words: `timed out`, `aborted`, `ECONNREFUSED`, ... */
function failureOf(error: unknown, signal: AbortSignal): string {
  if (signal.aborted) return (signal.reason as Error | undefined)?.name === 'TimeoutError' ? 'timed out' : 'aborted';
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.message === 'string' && cause.message !== '') return cause.message;
  if (typeof cause?.code === 'string') return cause.code;
  return error instanceof Error ? error.message : String(error);
}

/** A 429's or 503's `Retry-After` (seconds, or an HTTP-date), in ms; otherwise none. */
function retryAfterMsOf(response: Response): number | undefined {
  const value = response.headers.get('retry-after')?.trim();
  if ((response.status !== 429 && response.status !== 503) || !value) return undefined;
  if (/^\d{1,12}$/.test(value)) return Number(value) * 1000;
  // An HTTP-date always names a day or a month: a bare number is one Date.parse would read as a year.
  const at = /[a-z]/i.test(value) ? Date.parse(value) : NaN;
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

export function httpUrl(source: string, name: string, url: string): URL {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return parsed;
  } catch {
    // reported below
  }
  throw new TypeError(`${source}: ${name}: expected an http(s) URL, received ${describe(url)}`);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short, printable rendering of what the upstream sent, for error messages. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
