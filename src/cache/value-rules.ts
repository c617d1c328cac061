import { DateTimeResolver } from 'graphql-scalars';
import { isCanonicalIsoDate } from './iso-date.js';

/**
 * The rules of the API's scalars, in one place: the scalars check input with them, and the codec
 * checks every value read from the cache with the same ones, so that nothing decodes that a
 * scalar would then refuse to serve.
 */

// No `{ } * ? [ ] \` or white space: a symbol goes verbatim into a key's hash tag, so it must
// never open a second tag or read as a SCAN pattern.
const SYMBOL_PATTERN = /^[A-Za-z0-9._/:-]{1,64}$/;

export function isMarketSymbol(value: unknown): value is string {
  return typeof value === 'string' && SYMBOL_PATTERN.test(value);
}

/** `Float`: a finite number. */
export function isFloat(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** `NonNegativeFloat`: a finite number, at least 0. */
export function isNonNegativeFloat(value: unknown): value is number {
  return isFloat(value) && value >= 0;
}

/** `Int`: an integer that fits 32 bits, as graphql-js serialises it. */
export function isInt(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) <= 2_147_483_647 && (value as number) >= -2_147_483_648;
}

/**
 * `DateTime`: a string in `toISOString`'s own form (how the gateway writes dates), or any other
 * date-time graphql-scalars' `DateTime` accepts (RFC 3339 with a time zone, a real calendar day).
 */
export function isDateTimeText(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  if (isCanonicalIsoDate(value)) return true;
  try {
    DateTimeResolver.serialize(value);
    return true;
  } catch {
    return false;
  }
}
