import { afterEach, expect, it } from 'vitest';
import { startRedisServer } from './support/redis-server.js';

const path = process.env['PATH'];
afterEach(() => void (process.env['PATH'] = path));

it('fails the run with an install hint, rather than skipping, when redis-server is missing', async () => {
  process.env['PATH'] = '/nonexistent';
  await expect(startRedisServer()).rejects.toThrow(/redis-server is not on the PATH.*apt-get install redis-server/);
});
