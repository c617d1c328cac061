import { lexicographicSortSchema, printSchema } from 'graphql';
import { schema } from './index.js';

/**
 * The schema as SDL, types and fields sorted by name, so that `schema.graphql` changes only when
 * the API does, never because a type file moved or a field was declared in another order.
 * Ends with a newline, as a committed text file should.
 */
export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
