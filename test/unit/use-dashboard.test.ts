import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSchema, createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useDashboard } from '../../src/edge/use-dashboard.js';

// The plugin in a yoga of its own, called in-process: no socket, only a temporary directory.

const SECRET = 'the secret next to the dashboard';
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let root: string;
let dir: string;
let yoga: ReturnType<typeof createYoga>;

function get(path: string, init: RequestInit = {}): Promise<Response> {
  return Promise.resolve(yoga.fetch(`http://gateway.test${path}`, init));
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'mdc-dashboard-'));
  dir = join(root, 'dist');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Dashboard</title>');
  writeFileSync(join(dir, 'dashboard.js'), 'console.log("dashboard")');
  writeFileSync(join(dir, 'dashboard.js.map'), '{"version":3}');
  writeFileSync(join(dir, 'style.css'), 'body { margin: 0 }');
  writeFileSync(join(dir, 'assets', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dir, 'assets', 'icon.png'), PNG);
  writeFileSync(join(dir, 'manifest.json'), '{}');
  writeFileSync(join(dir, 'notes.sh'), 'echo not a web file');
  writeFileSync(join(dir, '.env'), SECRET);
  writeFileSync(join(root, 'secret.txt'), SECRET);
  mkdirSync(join(root, 'outside'));
  writeFileSync(join(root, 'outside', 'page.html'), SECRET);
  // Links that lead out of the directory: to a file, and to a directory.
  symlinkSync(join(root, 'secret.txt'), join(dir, 'linked.html'));
  symlinkSync(join(root, 'outside'), join(dir, 'linked'));

  yoga = createYoga({
    schema: createSchema({ typeDefs: 'type Query { hello: String }', resolvers: { Query: { hello: () => 'world' } } }),
    landingPage: false,
    graphiql: false,
    logging: false,
    plugins: [useDashboard({ dir })],
  });
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('useDashboard', () => {
  it('serves index.html at /dashboard/, with a content security policy', async () => {
    const response = await get('/dashboard/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await response.text()).toBe('<!doctype html><title>Dashboard</title>');
  });

  it('redirects /dashboard to /dashboard/, keeping the query string', async () => {
    const response = await get('/dashboard?symbol=BTC', { redirect: 'manual' });
    expect(response.status).toBe(308);
    expect(response.headers.get('location')).toBe('/dashboard/?symbol=BTC');
  });

  it.each([
    ['/dashboard/dashboard.js', 'text/javascript; charset=utf-8', 'console.log("dashboard")'],
    ['/dashboard/dashboard.js.map', 'application/json; charset=utf-8', '{"version":3}'],
    ['/dashboard/style.css', 'text/css; charset=utf-8', 'body { margin: 0 }'],
    ['/dashboard/assets/logo.svg', 'image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg"/>'],
    ['/dashboard/manifest.json', 'application/json; charset=utf-8', '{}'],
  ])('serves %s as %s', async (path, contentType, body) => {
    const response = await get(path);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(contentType);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toBe(body);
  });

  it('serves a PNG byte for byte', async () => {
    const response = await get('/dashboard/assets/icon.png');
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(PNG);
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const response = await get('/dashboard/style.css', { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(response.headers.get('content-length')).toBe('18');
    expect(await response.text()).toBe('');
  });

  it('answers 304 to a browser that holds the same file', async () => {
    const etag = (await get('/dashboard/dashboard.js')).headers.get('etag');
    expect(etag).toMatch(/^".+"$/);
    const again = await get('/dashboard/dashboard.js', { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('refuses other methods with 405', async () => {
    const response = await get('/dashboard/index.html', { method: 'POST', body: 'x' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });

  it.each(['/dashboard/missing.js', '/dashboard/assets/', '/dashboard/notes.sh', '/dashboard/.env', '/dashboard/%E0%A4%A'])(
    'answers 404 for %s, which is not a file it serves',
    async (path) => {
      const response = await get(path);
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain(SECRET);
    },
  );

  it.each([
    '/dashboard/../secret.txt',
    '/dashboard/%2e%2e/secret.txt',
    '/dashboard/..%2fsecret.txt',
    '/dashboard/%2e%2e%2fsecret.txt',
    '/dashboard/..%5csecret.txt',
    '/dashboard/assets/%2e%2e/%2e%2e/secret.txt',
    '/dashboard/%2fetc%2fpasswd',
    '/dashboard//etc/passwd',
    '/dashboard/linked.html',
    '/dashboard/linked/page.html',
    '/dashboard/%6c%69%6e%6b%65%64/page.html',
  ])('never serves a file outside its directory: %s is a 404', async (path) => {
    const response = await get(path);
    expect(response.status).toBe(404);
    const body = await response.text();
    expect(body).not.toContain(SECRET);
    expect(body).not.toContain('root:');
  });

  it('hands every other path to yoga untouched', async () => {
    const response = await get('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ hello }' }),
    });
    expect(await response.json()).toEqual({ data: { hello: 'world' } });
    const elsewhere = await get('/dashboards/index.html');
    expect(elsewhere.status).toBe(404);
    expect(await elsewhere.text()).not.toContain('Dashboard');
  });

  it('serves the files as they were when it was created', async () => {
    const copy = join(root, 'copy');
    mkdirSync(copy);
    writeFileSync(join(copy, 'index.html'), 'first build');
    const plugin = useDashboard({ dir: copy });
    const own = createYoga({ schema: createSchema({ typeDefs: 'type Query { hello: String }' }), logging: false, plugins: [plugin] });
    writeFileSync(join(copy, 'index.html'), 'second build');
    expect(await (await own.fetch('http://gateway.test/dashboard/')).text()).toBe('first build');
  });

  it('refuses a directory that does not exist, or that holds more than maxBytes', () => {
    expect(() => useDashboard({ dir: join(root, 'nowhere') })).toThrow(/expected a directory of built files at .*nowhere/);
    expect(() => useDashboard({ dir, maxBytes: 64 })).toThrow(/expected at most 64 bytes of files in .*\(maxBytes\)/);
  });
});
