import { expect } from 'vitest';
import { UpstreamError } from '../../src/sources/source.js';

/** The `UpstreamError` of `source` that `promise` rejects with (a test fails if it resolves). */
export async function upstreamFailure(promise: Promise<unknown>, source: string): Promise<UpstreamError> {
  const error = await promise.then(
    (value) => {
      throw new Error(`expected an UpstreamError, resolved with ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(UpstreamError);
  expect((error as UpstreamError).source).toBe(source);
  return error as UpstreamError;
}
