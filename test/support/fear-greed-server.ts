import { startUpstreamServer, type UpstreamServer } from './upstream-server.js';

/**
 * alternative.me's `GET /fng/` on loopback, in its documented format:
 * `{"name":"Fear and Greed Index","data":[{"value":"54","value_classification":"Neutral",
 * "timestamp":"1713628800","time_until_update":"3600"}],"metadata":{"error":null}}`.
 * `limit` readings are served, newest first, one a day; only the newest has `time_until_update`.
 */

/** The newest reading's fields as the wire carries them (strings; Unix seconds). */
export const DEFAULT_READING: Readonly<Record<string, unknown>> = Object.freeze({
  value: '54',
  value_classification: 'Neutral',
  timestamp: '1713628800',
  time_until_update: '3600',
});

export interface FearGreedServer extends UpstreamServer {
  /** `http://127.0.0.1:<port>/fng/`, as `FEAR_GREED_URL` takes it. */
  url: string;
  /** Merges `fields` into the newest reading, sent as given: a field set to `undefined` is left out. */
  setReading(fields: Record<string, unknown>): void;
  /** `metadata.error`, as alternative.me reports a failure (with no data). */
  setMetadataError(error: string | null): void;
}

export async function startFearGreedServer(): Promise<FearGreedServer> {
  let reading: Record<string, unknown> = { ...DEFAULT_READING };
  let metadataError: string | null = null;

  const upstream = await startUpstreamServer({
    'GET /fng/': (_request, url) => {
      const limit = Number(url.searchParams.get('limit') ?? '1');
      const count = limit === 0 ? 31 : Math.max(1, Math.min(limit || 1, 31));
      const { time_until_update: _newestOnly, ...older } = reading;
      const data = metadataError === null ? Array.from({ length: count }, (_, day) => (day === 0 ? reading : { ...older, timestamp: daysBefore(reading['timestamp'], day) })) : [];
      return { body: JSON.stringify({ name: 'Fear and Greed Index', data, metadata: { error: metadataError } }) };
    },
  });

  const resetUpstream = upstream.reset;
  return Object.assign(upstream, {
    url: `${upstream.origin}/fng/`,
    setReading(fields: Record<string, unknown>) {
      reading = { ...reading, ...fields };
    },
    setMetadataError(error: string | null) {
      metadataError = error;
    },
    reset() {
      resetUpstream();
      reading = { ...DEFAULT_READING };
      metadataError = null;
    },
  });
}

function daysBefore(timestamp: unknown, days: number): unknown {
  return typeof timestamp === 'string' && /^\d+$/.test(timestamp) ? String(Number(timestamp) - days * 86_400) : timestamp;
}
