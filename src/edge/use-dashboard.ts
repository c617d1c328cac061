import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Plugin } from 'graphql-yoga';

export interface DashboardOptions {
  /** The built dashboard (`npm run dashboard` builds it into `examples/dashboard/dist`). */
  dir: string;
  /** @default '/dashboard' */
  path?: string;
  /**
   * The most bytes of files `dir` may hold; more fails at creation. The built dashboard is
   * about 200 KB.
   * @default 16777216 (16 MiB)
   */
  maxBytes?: number;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

// The page talks to this origin only (queries over fetch, subscriptions over a WebSocket, which
// 'self' covers in CSP 3); the chart sets inline styles.
const PAGE_POLICY =
  "default-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

interface StaticFile {
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
  etag: string;
}

/**
 * Serves the live dashboard (`examples/dashboard`) from the gateway's own origin, so that the
 * page's queries and its WebSocket need no CORS: `GET /dashboard/` answers `index.html`,
 * `/dashboard/<file>` the file, and `/dashboard` redirects to `/dashboard/` (the page's links are
 * relative). Every other path goes on to yoga untouched.
 *
 * The files are read once, here, into memory: a request can only ever name one of them. So no
 * path, however encoded (`..`, `%2e%2e`, `%2f`, a backslash), reaches the filesystem, and
 * symbolic links and dot files are never read at all. A file of another type than those in
 * `CONTENT_TYPES` is not served. Rebuilding the dashboard needs a restart to be seen.
 */
export function useDashboard({ dir, path = '/dashboard', maxBytes = 16 * 1024 * 1024 }: DashboardOptions): Plugin {
  const files = readFiles(dir, maxBytes);
  return {
    onRequest({ url, request, endResponse }) {
      if (url.pathname !== path && !url.pathname.startsWith(`${path}/`)) return;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        endResponse(new Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
        return;
      }
      if (url.pathname === path) {
        endResponse(new Response(null, { status: 308, headers: { location: `${path}/${url.search}` } }));
        return;
      }
      const file = files.get(fileName(url.pathname.slice(path.length + 1)));
      if (file === undefined) {
        endResponse(new Response('not found\n', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } }));
        return;
      }
      const headers: Record<string, string> = {
        'content-type': file.contentType,
        etag: file.etag,
        // Built files keep their names from one build to the next: a browser asks again each
        // time, and gets a 304 while the gateway serves the same build.
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
        ...(file.contentType.startsWith('text/html') && { 'content-security-policy': PAGE_POLICY }),
      };
      if (request.headers.get('if-none-match') === file.etag) {
        endResponse(new Response(null, { status: 304, headers }));
        return;
      }
      endResponse(new Response(request.method === 'HEAD' ? null : file.body, { headers: { ...headers, 'content-length': String(file.body.byteLength) } }));
    },
  };
}

/** The key of `files` a request names; a name that does not decode names nothing. */
function fileName(requested: string): string {
  let name: string;
  try {
    name = decodeURIComponent(requested);
  } catch {
    return '';
  }
  return name === '' || name.endsWith('/') ? `${name}index.html` : name;
}

/** Every servable file under `root`, by its path relative to it with `/` separators. */
function readFiles(root: string, maxBytes: number): Map<string, StaticFile> {
  if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(`dashboard: expected a directory of built files at ${root}, found none (build it with npm run dashboard)`);
  }
  const files = new Map<string, StaticFile>();
  let totalBytes = 0;
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      // A Dirent describes a symbolic link itself, not its target: a link is neither a
      // directory nor a file here, so nothing outside `root` is ever read.
      if (entry.isDirectory()) walk(full, `${prefix}${entry.name}/`);
      const contentType = CONTENT_TYPES[extname(entry.name).toLowerCase()];
      if (!entry.isFile() || contentType === undefined) continue;
      totalBytes += statSync(full).size;
      if (totalBytes > maxBytes) {
        throw new Error(`dashboard: expected at most ${maxBytes} bytes of files in ${root} (maxBytes), found more`);
      }
      const body = readFileSync(full);
      files.set(`${prefix}${entry.name}`, { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });
    }
  };
  walk(root, '');
  return files;
}
