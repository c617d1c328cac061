import { DEFAULTS } from '../defaults.js';
import { UpstreamError, type FearGreedReading, type FearGreedSource } from './source.js';
import { describe, httpUrl, isRecord, requestJson } from './http.js';

/**
 * alternative.me's Fear & Greed index: `GET <url>?limit=1` answers
 * `{"data":[{"value":"54","value_classification":"Neutral","timestamp":"1713628800",
 * "time_until_update":"3600"}],"metadata":{"error":null}}` (strings; Unix seconds).
 */

const SOURCE = 'fear-greed';
/** The real answer is about 250 bytes: a body this large is not the index, whatever it is. */
const MAX_BODY_BYTES = 64 * 1024;
/** The index is published once a day, dated at its start. */
const PERIOD_SECONDS = 86_400;
const MAX_TIME_AHEAD_MS = DEFAULTS.fields.maxTimeAheadMs;

export interface FearGreedSourceOptions {
  /** `FEAR_GREED_URL`, e.g. `https://api.alternative.me/fng/`. Its query is kept; `limit=1` is set. */
  url: string;
}

export function createFearGreedSource({ url }: FearGreedSourceOptions): FearGreedSource {
  const target = httpUrl(SOURCE, 'url', url);
  target.searchParams.set('limit', '1');
  const href = target.href;
  return {
    async fetch(signal) {
      const body = await requestJson(SOURCE, href, { signal, headers: { accept: 'application/json' } }, MAX_BODY_BYTES);
      return readingOf(body, Date.now());
    },
  };
}

/**
 * Checks every field the reading is built from. `time_until_update` caps how long the reading is
 * cached; alternative.me sends it with the newest reading only, so a missing (or null) one is
 * derived from the daily schedule: the seconds until `timestamp` + 1 day, at least 0, which is
 * what the upstream itself would have said.
 */
function readingOf(body: unknown, nowMs: number): FearGreedReading {
  if (!isRecord(body)) throw malformed('body', 'a JSON object', body);
  // Optional: it carries only the error, and an answer without it reports none.
  const { metadata } = body;
  if (metadata !== undefined) {
    if (!isRecord(metadata)) throw malformed('metadata', 'an object', metadata);
    if (metadata['error'] != null) throw malformed('metadata.error', 'null', metadata['error']);
  }
  const { data } = body;
  if (!Array.isArray(data) || data.length === 0) throw malformed('data', 'a non-empty array', data);
  const entry: unknown = data[0];
  if (!isRecord(entry)) throw malformed('data[0]', 'an object', entry);

  const value = integerField(entry, 'value', 0, 100, 'an integer from 0 to 100');
  const classification = entry['value_classification'];
  if (typeof classification !== 'string' || classification.trim() === '' || classification.length > 64) {
    throw malformed('data[0].value_classification', 'a string of 1-64 characters, not all white space', classification);
  }
  // The gateway refuses market times more than a day ahead (src/resolvers/validate.ts); a reading
  // dated later would otherwise be cached as the latest one.
  const latestSeconds = Math.floor((nowMs + MAX_TIME_AHEAD_MS) / 1000);
  const timestamp = integerField(entry, 'timestamp', 1, latestSeconds, `Unix seconds from 1 to one day ahead of now (${latestSeconds})`);
  const validForSeconds =
    entry['time_until_update'] == null
      ? Math.max(0, timestamp + PERIOD_SECONDS - Math.floor(nowMs / 1000))
      : integerField(entry, 'time_until_update', 0, Number.MAX_SAFE_INTEGER / 1000, 'a non-negative integer of seconds');

  return { value: { value, classification, time: new Date(timestamp * 1000) }, validForMs: validForSeconds * 1000 };
}

/** An integer as alternative.me documents it (a digit string), or as a JSON number. */
function integerField(entry: Record<string, unknown>, name: string, min: number, max: number, expected: string): number {
  const raw = entry[name];
  const parsed = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw malformed(`data[0].${name}`, expected, raw);
  return parsed;
}

function malformed(field: string, expected: string, received: unknown) {
  return new UpstreamError(SOURCE, `${field}: expected ${expected}, received ${describe(received)}`);
}
