import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Real processes of the gateway, as an operator runs them, for the start-up tests. */

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const START_TIMEOUT_MS = 15_000;
const EXIT_TIMEOUT_MS = 10_000;

export interface Run {
  child: ChildProcess;
  output: { stdout: string; stderr: string };
  /** Settles once the process has exited and its output is complete. */
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `file` with exactly `env` (and `argv`): TypeScript through tsx, JavaScript (a build in dist/) as it is. */
export function run(file: string, env: Record<string, string>, argv: string[] = []): Run {
  const args = [...(file.endsWith('.ts') ? ['--import', 'tsx', file] : [file]), ...argv];
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk) => (output.stdout += chunk));
  child.stderr!.on('data', (chunk) => (output.stderr += chunk));
  const closed = new Promise<Awaited<Run['closed']>>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  return { child, output, closed };
}

/** The first defined `find()` as output arrives; rejects if the process ends first or time runs out. */
export function waitFor<T>({ child, output, closed }: Run, find: () => T | undefined, timeoutMs = START_TIMEOUT_MS): Promise<T> {
  let check = () => {};
  let timer: NodeJS.Timeout | undefined;
  const found = new Promise<T>((resolve) => {
    check = () => {
      const value = find();
      if (value !== undefined) resolve(value);
    };
    child.stdout!.on('data', check);
    check();
  });
  const ended = closed.then(({ code }) => {
    throw new Error(`the process exited (code ${code}) before starting; stderr: ${output.stderr}`);
  });
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no start-up line within ${timeoutMs} ms; stderr: ${output.stderr}`)), timeoutMs);
  });
  return Promise.race([found, ended, timeout]).finally(() => {
    clearTimeout(timer);
    child.stdout!.off('data', check);
  });
}

/** How the process ended (its exit code, or the signal that killed it), waiting at most `EXIT_TIMEOUT_MS`. */
export function exitOf({ closed }: Run): Promise<Awaited<Run['closed']>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the process did not exit within ${EXIT_TIMEOUT_MS} ms`)), EXIT_TIMEOUT_MS);
  });
  return Promise.race([closed, timeout]).finally(() => clearTimeout(timer));
}

export function kill(child: ChildProcess | undefined) {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** The JSON lines the process has written to stdout so far: complete lines only, as a chunk may end mid-line. */
export function logLines({ output }: Run): Array<Record<string, any>> {
  return output.stdout
    .split('\n')
    .slice(0, -1)
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, any>);
}

/** The gateway's start-up line (the one announcing its `url`), once it is written. */
export function startupLine(started: Run, timeoutMs?: number): Promise<Record<string, any> & { url: string }> {
  return waitFor(started, () => logLines(started).find((entry): entry is Record<string, any> & { url: string } => typeof entry['url'] === 'string'), timeoutMs);
}

