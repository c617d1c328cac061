import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
/** The V8 heap flags `npm start` gives the gateway (MAX_HEAP_MB's default), so that its RSS and GC are production's. */
export const GATEWAY_NODE_ARGS = ['--max-old-space-size=512', '--max-semi-space-size=16'];

/**
 * Every process the benchmark starts, so that none outlives it: on exit, on Ctrl+C or on a crash
 * each is killed (synchronously, which is all an 'exit' handler can do). Each server child also
 * exits by itself when its IPC channel to the runner closes.
 */
const owned = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of owned) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the benchmark and its processes`);
    process.exit(130);
  });
}

export function own(child: ChildProcess): void {
  owned.add(child);
  child.once('exit', () => owned.delete(child));
}

export interface ServerChild {
  name: string;
  pid: number;
  url: string;
  /** Peak resident set size (VmHWM) of the process so far, in MB. */
  peakRssMb(): number;
  /** SIGTERM, then SIGKILL if it has not exited within `STOP_TIMEOUT_MS`. */
  stop(): Promise<void>;
  /** Sends `message` over the IPC channel and resolves with the child's next message (see servers/upstream.ts); one question at a time. */
  ask<T>(message: object): Promise<T>;
}

export interface ServerOptions {
  /** Arguments after the file, e.g. the Redis URL. */
  args?: string[];
  env?: Record<string, string>;
  /** Node flags before the file, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
}

/**
 * Compiles src/ and bench/ to dist/ (`npm run build`), as production runs the gateway: from
 * JavaScript, without tsx's loader (which costs about 50 MB of RSS and some CPU).
 */
export function build(): void {
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
}

/**
 * Starts `file` (a bench/servers module, e.g. `bench/servers/gateway.ts`) in its own Node
 * process, from its compiled JavaScript in dist/ (see `build`), and resolves once it reports the
 * port it listens on. Its output is kept, and shown if it fails to start.
 */
export function startServer(name: string, file: string, { args = [], env = {}, nodeArgs = [] }: ServerOptions = {}): Promise<ServerChild> {
  const compiled = join('dist', file.replace(/\.ts$/, '.js'));
  const child = spawn(process.execPath, [...nodeArgs, compiled, ...args], {
    cwd: ROOT,
    // A clean environment: nothing of the caller's (PORT, REDIS_URL, npm's variables) leaks in.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  own(child);
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(`did not report a port within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`server ${name} (${file}) ${why}; its output:\n${output}`));
    };
    const exitedEarly = (code: number | null, signal: string | null) => fail(`exited at start-up (code ${code}, signal ${signal})`);
    child.once('exit', exitedEarly);
    child.once('message', (message: { port?: number }) => {
      clearTimeout(timer);
      child.off('exit', exitedEarly);
      if (typeof message.port !== 'number') return fail(`sent ${JSON.stringify(message)} instead of { port }`);
      resolve({
        name,
        pid: child.pid!,
        url: `http://127.0.0.1:${message.port}/graphql`,
        peakRssMb: () => peakRssMb(child.pid!),
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const timeout = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
          await exited;
          clearTimeout(timeout);
        },
        ask: (question) =>
          new Promise((resolveAnswer, rejectAnswer) => {
            const gone = () => rejectAnswer(new Error(`server ${name} exited before answering ${JSON.stringify(question)}`));
            child.once('exit', gone);
            child.once('message', (answer) => {
              child.off('exit', gone);
              resolveAnswer(answer as never);
            });
            child.send(question);
          }),
      });
    });
  });
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}
