import { startFearGreedServer } from '../../test/support/fear-greed-server.js';
import { announce } from './listening.js';

/**
 * The cold workload's upstream: alternative.me's `GET /fng/` as the tests serve it (the
 * documented wire format, test/support/fear-greed-server.ts), each answer held back `delayMs`
 * (argv[2], 50 by default), as a remote API answers. It runs in its own process so that the
 * runner's event loop does nothing but time requests: a peer without single flight sends it
 * hundreds of requests at once.
 *
 * It announces its port as every bench server does (its `/fng/` is at that origin), and answers
 * each IPC message `{ calls: true }` with `{ calls: n }`, the `/fng/` requests received so far.
 */
const delayMs = Number(process.argv[2] ?? '50');
if (!Number.isInteger(delayMs) || delayMs < 0) throw new TypeError(`upstream: expected a delay in ms (an integer >= 0) as argv[2], received ${process.argv[2]}`);

const upstream = await startFearGreedServer();
upstream.setModes({ delayMs }, '/fng/');
process.on('message', (message: { calls?: boolean }) => {
  if (message.calls) process.send!({ calls: upstream.calls('/fng/') });
});
announce(Number(new URL(upstream.origin).port));
