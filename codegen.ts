import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed documents for the example client and the dashboard, generated from the committed
 * `schema.graphql` (not a running gateway) so that `npm run codegen` needs no server and gives
 * the same files everywhere. `test/example-client.test.ts` fails when `examples/gql/` or
 * `examples/dashboard/gql/` is not what this config generates.
 */

// What the JSON response carries, not what the resolvers hold: a DateTime arrives as a string.
const scalars = {
  DateTime: 'string',
  JSONObject: 'Record<string, unknown>',
  NonNegativeFloat: 'number',
  MarketSymbol: 'string',
  Timeframe: 'string',
};

const config: CodegenConfig = {
  schema: './schema.graphql',
  // Imports ending in `.js`, as everywhere else in this ESM repository, so the output also runs
  // under plain Node and not only under a bundler or tsx.
  importExtension: '.js',
  generates: {
    'examples/gql/': {
      documents: ['examples/market-client.ts'],
      preset: 'client',
      presetConfig: {
        // The example has no fragments: without masking there is no `fragment-masking.ts` to keep.
        fragmentMasking: false,
      },
      config: {
        scalars,
        // A scalar added to the schema without a mapping above fails codegen instead of becoming `any`.
        strictScalars: true,
        useTypeImports: true,
      },
    },
    'examples/dashboard/gql/': {
      documents: ['examples/dashboard/src/**/*.ts'],
      preset: 'client',
      presetConfig: {
        fragmentMasking: false,
        // `persisted-documents.json`: each document's SHA-256 and its normalized text, for a
        // server that accepts operations by hash. Each document also carries its hash.
        persistedDocuments: true,
      },
      config: {
        scalars,
        strictScalars: true,
        useTypeImports: true,
        // Documents as strings, not ASTs: the browser bundle needs no GraphQL parser, and the
        // text is what goes over the wire.
        documentMode: 'string',
        // Union types instead of TypeScript enums: no runtime code for them in the bundle.
        enumsAsTypes: true,
      },
    },
  },
};

export default config;
