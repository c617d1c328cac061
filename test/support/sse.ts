/**
 * A subscription over Server-Sent Events as a client reads it (yoga's distinct-connections mode:
 * a POST with `Accept: text/event-stream`, then `next` events, then `complete`), through any
 * `fetch`: a gateway's in-process one or Node's over a socket.
 */
export interface SseSubscription<T = any> {
  /** Every `next` payload received so far (`{ data }` or `{ errors }`), in order. */
  readonly received: T[];
  /** Resolves once `count` payloads in all have been received; rejects after `timeoutMs`. */
  until(count: number, timeoutMs?: number): Promise<T[]>;
  /** Stops reading: what the server sends meanwhile waits for it, as for a slow client. */
  pause(): void;
  resume(): void;
  /**
   * Resolves when the stream ends: `true` when the server completed it (its `complete` event),
   * `false` when it ended without one (the connection closed).
   */
  readonly completed: Promise<boolean>;
  /** Leaves, as a client closing the page does. */
  close(): Promise<void>;
}

type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export async function subscribeSse<T = any>(fetchFn: Fetch, url: string, query: string, variables?: Record<string, unknown>): Promise<SseSubscription<T>> {
  const controller = new AbortController();
  const response = await fetchFn(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query, variables }),
    signal: controller.signal,
  });
  if (!response.headers.get('content-type')?.startsWith('text/event-stream')) {
    throw new Error(`expected an event stream, received HTTP ${response.status}: ${await response.text()}`);
  }
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const received: T[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  let paused = false;
  let resumed: (() => void) | undefined;
  let complete!: (byServer: boolean) => void;
  const completed = new Promise<boolean>((resolve) => (complete = resolve));

  const take = (type: string | undefined, data: string) => {
    if (type === 'next') {
      received.push(JSON.parse(data) as T);
      for (const wake of [...waiters]) wake();
    } else if (type === 'complete') {
      complete(true);
    }
  };
  void (async () => {
    try {
      for (;;) {
        if (paused) await new Promise<void>((resolve) => (resumed = resolve));
        const { value, done } = await reader.read();
        if (done) break;
        buffer = takeSseEvents(buffer + decoder.decode(value, { stream: true }), take);
      }
    } catch {
      // closed by the test
    } finally {
      complete(false);
      for (const wake of [...waiters]) wake();
    }
  })();

  return {
    received,
    completed,
    until(count, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (received.length < count) return;
          done();
          resolve(received.slice(0, count));
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`expected ${count} messages within ${timeoutMs} ms, received ${received.length}: ${JSON.stringify(received)}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    pause: () => void (paused = true),
    resume() {
      paused = false;
      resumed?.();
      resumed = undefined;
    },
    async close() {
      controller.abort();
      await reader.cancel().catch(() => {});
    },
  };
}

/**
 * Takes every complete event (a block ended by a blank line) off the front of `buffer`, handing
 * each one's type and data to `onEvent` (a keep-alive comment has no type), and returns the rest.
 */
export function takeSseEvents(buffer: string, onEvent: (type: string | undefined, data: string) => void): string {
  for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
    const lines = buffer.slice(0, end).split('\n');
    buffer = buffer.slice(end + 2);
    const type = lines.find((line) => line.startsWith('event:'))?.slice(6).trim();
    onEvent(type, lines.filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim()).join('\n'));
  }
  return buffer;
}
