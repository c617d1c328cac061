import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const HERE = fileURLToPath(new URL('.', import.meta.url));

/** Where `npm run dashboard` builds it, and where the gateway's `DASHBOARD_DIR` points then. */
export const DASHBOARD_DIST = join(HERE, 'dist');

/**
 * Bundles the dashboard into `outDir`: `index.html`, `style.css`, and `dashboard.js` (its
 * modules, graphql-ws's client and lightweight-charts in one file) with its source map. No
 * step needs the network or a running gateway.
 */
export async function buildDashboard(outDir: string = DASHBOARD_DIST): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [join(HERE, 'src', 'main.ts')],
    outfile: join(outDir, 'dashboard.js'),
    bundle: true,
    format: 'esm',
    // What the browsers of the last few years run, top-level await included.
    target: ['es2022', 'chrome100', 'firefox100', 'safari15'],
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
  });
  for (const file of ['index.html', 'style.css']) copyFileSync(join(HERE, file), join(outDir, file));
  return outDir;
}

// `tsx examples/dashboard/build.ts [outDir]`
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outDir = await buildDashboard(process.argv[2]);
  console.log(`Dashboard built into ${outDir}`);
}
