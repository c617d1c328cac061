import { pino, type Logger } from 'pino';

/** JSON lines on stdout: one per start-up step and per error, nothing per request by default. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'market-data-cache-gateway' } });
}
