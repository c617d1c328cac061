import { loadConfig } from '../../src/config.js';
import { start } from '../../src/main.js';
import { announce } from './listening.js';

/**
 * The gateway as `npm start` runs it: configuration from the environment (the runner sets
 * NODE_ENV=production, REDIS_URL, PORT=0, LOG_LEVEL=warn), the Redis store behind its time limits
 * and circuit breaker, and its own signal handling, so that SIGTERM shuts it down gracefully and
 * `--cpu-prof` gets to write its profile.
 */
const { port } = await start(loadConfig());
announce(port);
