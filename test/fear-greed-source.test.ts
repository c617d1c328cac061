import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFearGreedSource } from '../src/sources/fear-greed.js';
import { UpstreamError } from '../src/sources/source.js';
import { startFearGreedServer, type FearGreedServer } from './support/fear-greed-server.js';
import { endlessBody } from './support/upstream-server.js';
import { upstreamFailure } from './support/upstream-failure.js';

let server: FearGreedServer;
let source: ReturnType<typeof createFearGreedSource>;

beforeAll(async () => {
  server = await startFearGreedServer();
  source = createFearGreedSource({ url: server.url });
});
afterAll(() => server?.stop());
beforeEach(() => server.reset());

const fetchReading = () => source.fetch(AbortSignal.timeout(5000));

/** The `UpstreamError` `promise` rejects with. */
const failure = (promise: Promise<unknown>) => upstreamFailure(promise, 'fear-greed');

describe('the Fear & Greed source', () => {
  it('maps the documented answer to a reading valid for time_until_update', async () => {
    await expect(fetchReading()).resolves.toEqual({
      value: { value: 54, classification: 'Neutral', time: new Date(1_713_628_800_000) },
      validForMs: 3_600_000,
    });
    expect(server.requests).toMatchObject([{ method: 'GET', path: '/fng/?limit=1' }]);
  });

  it("keeps the URL's own query and asks for one reading", async () => {
    await createFearGreedSource({ url: `${server.url}?format=json&limit=10` }).fetch(AbortSignal.timeout(5000));
    expect(server.requests.map((r) => r.path)).toEqual(['/fng/?format=json&limit=1']);
  });

  it('takes numbers where the documented strings are', async () => {
    server.setReading({ value: 0, timestamp: 1_713_628_800, time_until_update: 0 });
    await expect(fetchReading()).resolves.toEqual({
      value: { value: 0, classification: 'Neutral', time: new Date(1_713_628_800_000) },
      validForMs: 0,
    });
  });

  it('without time_until_update, counts the reading valid until the next daily one', async () => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const startOfDay = nowSeconds - (nowSeconds % 86_400);
    server.setReading({ timestamp: String(startOfDay), time_until_update: undefined });
    const { validForMs } = await fetchReading();
    const expectedMs = (startOfDay + 86_400 - nowSeconds) * 1000;
    expect(validForMs).toBeGreaterThanOrEqual(expectedMs - 5000);
    expect(validForMs).toBeLessThanOrEqual(expectedMs);

    // A reading older than a day is overdue: valid for no time at all.
    server.setReading({ timestamp: '1713628800' });
    await expect(fetchReading()).resolves.toMatchObject({ validForMs: 0 });
  });

  it('names the field, what it expected and what it received', async () => {
    server.setReading({ value: 'abc' });
    expect((await failure(fetchReading())).message).toBe('fear-greed: data[0].value: expected an integer from 0 to 100, received "abc"');
  });

  const farFuture = String(Math.floor(Date.now() / 1000) + 3 * 86_400);
  it.each([
    ['data[0].value', { value: '101' }, '"101"'],
    ['data[0].value', { value: '-1' }, '"-1"'],
    ['data[0].value', { value: '54.5' }, '"54.5"'],
    ['data[0].value', { value: ' 54' }, '" 54"'],
    ['data[0].value', { value: 54.5 }, '54.5'],
    ['data[0].value', { value: null }, 'null'],
    ['data[0].value', { value: undefined }, 'nothing'],
    ['data[0].value_classification', { value_classification: '' }, '""'],
    ['data[0].value_classification', { value_classification: '   ' }, '"   "'],
    ['data[0].value_classification', { value_classification: 'x'.repeat(65) }, `"${'x'.repeat(65)}"`],
    ['data[0].value_classification', { value_classification: 7 }, '7'],
    ['data[0].value_classification', { value_classification: undefined }, 'nothing'],
    ['data[0].timestamp', { timestamp: '0' }, '"0"'],
    ['data[0].timestamp', { timestamp: '2024-04-20' }, '"2024-04-20"'],
    ['data[0].timestamp', { timestamp: farFuture }, `"${farFuture}"`],
    ['data[0].timestamp', { timestamp: undefined }, 'nothing'],
    ['data[0].time_until_update', { time_until_update: '-1' }, '"-1"'],
    ['data[0].time_until_update', { time_until_update: 'soon' }, '"soon"'],
    ['data[0].time_until_update', { time_until_update: '1e3' }, '"1e3"'],
  ])('refuses a malformed %s (%j)', async (field, fields, received) => {
    server.setReading(fields);
    const { message } = await failure(fetchReading());
    expect(message).toMatch(new RegExp(`^fear-greed: ${field.replace(/[[\].]/g, '\\$&')}: expected .+, received `));
    expect(message.endsWith(`received ${received}`)).toBe(true);
  });

  it('fails when alternative.me reports an error in metadata.error', async () => {
    server.setMetadataError('Rate limit exceeded');
    expect((await failure(fetchReading())).message).toBe('fear-greed: metadata.error: expected null, received "Rate limit exceeded"');
  });

  it.each([
    ['body', '[1]'],
    ['metadata', '{"data":[],"metadata":"none"}'],
    ['data', '{"data":[],"metadata":{"error":null}}'],
    ['data', '{"metadata":{"error":null}}'],
    ['data[0]', '{"data":["54"],"metadata":{"error":null}}'],
  ])('refuses an answer whose %s is not of the documented shape: %s', async (field, body) => {
    server.setModes({ answer: { body } });
    expect((await failure(fetchReading())).message).toMatch(new RegExp(`^fear-greed: ${field.replace(/[[\].]/g, '\\$&')}: expected `));
  });

  it("reports a 429's Retry-After in seconds as retryAfterMs", async () => {
    server.setModes({ status429: { retryAfterSeconds: 7 } });
    const error = await failure(fetchReading());
    expect(error.message).toBe(`fear-greed: GET ${server.url}?limit=1: HTTP 429`);
    expect(error.retryAfterMs).toBe(7000);
  });

  it("reports a 503's Retry-After as an HTTP-date as the time until then", async () => {
    const retryAt = new Date(Date.now() + 30_000);
    server.setModes({ answer: { status: 503, headers: { 'retry-after': retryAt.toUTCString() }, body: 'down' } });
    const { retryAfterMs } = await failure(fetchReading());
    // HTTP-dates have whole seconds.
    expect(retryAfterMs).toBeGreaterThan(25_000);
    expect(retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('ignores a Retry-After that is neither seconds nor a date, and one on other statuses', async () => {
    server.setModes({ status429: { retryAfter: '-1' } });
    expect((await failure(fetchReading())).retryAfterMs).toBeUndefined();
    server.setModes({ answer: { status: 500, headers: { 'retry-after': '5' } } });
    expect((await failure(fetchReading())).retryAfterMs).toBeUndefined();
  });

  it('fails on a 500', async () => {
    server.setModes({ status500: true });
    const error = await failure(fetchReading());
    expect(error.message).toBe(`fear-greed: GET ${server.url}?limit=1: HTTP 500`);
    expect(error.retryAfterMs).toBeUndefined();
  });

  it('fails on a body that is not JSON', async () => {
    server.setModes({ garbage: true });
    expect((await failure(fetchReading())).message).toMatch(/^fear-greed: body: expected (JSON|UTF-8 text), received /);
    server.setModes({ garbage: '<html>Cloudflare</html>' });
    expect((await failure(fetchReading())).message).toBe('fear-greed: body: expected JSON, received "<html>Cloudflare</html>"');
  });

  it('fails when the server hangs up, or is not there', async () => {
    server.setModes({ close: true });
    expect((await failure(fetchReading())).message).toMatch(/^fear-greed: GET .+: /);

    const gone = await startFearGreedServer();
    await gone.stop();
    const error = await failure(createFearGreedSource({ url: gone.url }).fetch(AbortSignal.timeout(5000)));
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('stops reading a body past 64 KiB, and hangs up', async () => {
    const stream = endlessBody();
    server.setModes({ answer: { body: stream.body } });
    expect((await failure(fetchReading())).message).toBe('fear-greed: body: expected at most 65536 bytes, received more');
    await vi.waitFor(() => expect(stream.ended).toBe(true));
    // The server got to send what fits in the sockets' buffers (4 MB here), no more.
    expect(stream.sentBytes).toBeLessThan(32 * 1024 * 1024);
  });

  it('reads nothing of a body whose Content-Length is past 64 KiB', async () => {
    const stream = endlessBody();
    server.setModes({ answer: { headers: { 'content-length': String(100 * 1024 * 1024) }, body: stream.body } });
    expect((await failure(fetchReading())).message).toBe('fear-greed: body: expected at most 65536 bytes, received a Content-Length of 104857600');
    await vi.waitFor(() => expect(stream.ended).toBe(true));
    expect(stream.sentBytes).toBeLessThan(32 * 1024 * 1024);
  });

  it('gives up at once when its signal aborts, waiting for headers or in the middle of the body', async () => {
    server.setModes({ delayMs: 10_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    expect((await failure(source.fetch(controller.signal))).message).toBe(`fear-greed: GET ${server.url}?limit=1: aborted`);
    expect(Date.now() - started).toBeLessThan(2000);

    server.setModes({ answer: { body: stalledBody() } });
    const midBody = Date.now();
    expect((await failure(source.fetch(AbortSignal.timeout(200)))).message).toBe('fear-greed: reading the body: timed out');
    expect(Date.now() - midBody).toBeLessThan(2000);
  });
});

/** Half a reading, then nothing for 10 s. */
async function* stalledBody() {
  yield '{"data":[{"value":"54",';
  await sleep(10_000, undefined, { ref: false });
}
