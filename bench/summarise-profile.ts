import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Summarises a V8 `.cpuprofile` (as `node --cpu-prof` writes it) into where the time goes: the
 * functions with the most self time, named `function (file:line)`, and the same time grouped by
 * where the code lives (a file of src/, a package of node_modules/, Node's internals, GC).
 *
 *   npx tsx bench/summarise-profile.ts bench-results/gateway-W2.cpuprofile [--top 25] [--skip-ms 3000]
 *
 * `--skip-ms` leaves out the first milliseconds of the profile (start-up and warm-up), so that
 * the summary describes the process under load. Idle time is never counted.
 */

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }>;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Busy (non-idle) milliseconds in the window. */
  busyMs: number;
  functions: Array<{ name: string; selfMs: number; share: number }>;
  places: Array<{ name: string; selfMs: number; share: number }>;
}

export function summariseProfile(path: string, { top = 20, skipMs = 0 } = {}): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  let elapsedUs = 0;
  let busyUs = 0;
  profile.samples.forEach((id, i) => {
    elapsedUs += profile.timeDeltas[i] ?? 0;
    // A sample stands for the time until the next one.
    const us = profile.timeDeltas[i + 1] ?? 0;
    if (elapsedUs < skipMs * 1000) return;
    const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
    if (functionName === '(idle)') return;
    busyUs += us;
    const file = shortFile(url);
    const name = file ? `${functionName || '(anonymous)'} (${file}:${lineNumber + 1})` : functionName || '(anonymous)';
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    const place = placeOf(file, functionName);
    byPlace.set(place, (byPlace.get(place) ?? 0) + us);
  });
  const ranked = (totals: Map<string, number>) =>
    [...totals]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: us / 1000, share: busyUs === 0 ? 0 : us / busyUs }));
  return { busyMs: busyUs / 1000, functions: ranked(byFunction), places: ranked(byPlace) };
}

export function formatSummary(title: string, summary: ProfileSummary): string {
  const line = ({ name, selfMs, share }: { name: string; selfMs: number; share: number }) =>
    `  ${(share * 100).toFixed(1).padStart(5)}%  ${selfMs.toFixed(0).padStart(6)} ms  ${name}`;
  return [
    `${title}: ${summary.busyMs.toFixed(0)} ms busy`,
    ' self time by place:',
    ...summary.places.slice(0, 12).map(line),
    ' self time by function:',
    ...summary.functions.map(line),
  ].join('\n');
}

/** A path relative to the project, `pkg/path` inside node_modules, `node:...` for Node's own code. */
function shortFile(url: string): string {
  if (url === '') return '';
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('/node_modules/');
  if (modules !== -1) return path.slice(modules + '/node_modules/'.length);
  // Servers run compiled, from dist/: name their files as in the source tree.
  return path.startsWith(ROOT) ? path.slice(ROOT.length).replace(/^dist\//, '') : path;
}

function placeOf(file: string, functionName: string): string {
  if (file === '') return functionName.startsWith('(') ? functionName : '(V8 built-ins and native code)';
  if (file.startsWith('node:')) return 'node: internals';
  if (file.startsWith('src/') || file.startsWith('bench/')) return file;
  const [scope, name] = file.split('/');
  return scope!.startsWith('@') ? `${scope}/${name}` : scope!;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [path, ...rest] = process.argv.slice(2);
  if (path === undefined) {
    console.error('usage: tsx bench/summarise-profile.ts <file.cpuprofile> [--top N] [--skip-ms MS]');
    process.exit(2);
  }
  const flag = (name: string, fallback: number) => {
    const at = rest.indexOf(name);
    return at === -1 ? fallback : Number(rest[at + 1]);
  };
  console.log(formatSummary(path, summariseProfile(path, { top: flag('--top', 25), skipMs: flag('--skip-ms', 0) })));
}
