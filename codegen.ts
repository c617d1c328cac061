import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed documents for the example client, generated from the committed `schema.graphql` (not a
 * running gateway) so that `npm run codegen` needs no server and gives the same files everywhere.
 * `test/example-client.test.ts` fails when `examples/gql/` is not what this config generates.
 */
const config: CodegenConfig = {
  schema: './schema.graphql',
  documents: ['examples/**/*.ts', '!examples/gql/**'],
  // Imports ending in `.js`, as everywhere else in this ESM repository, so the output also runs
  // under plain Node and not only under a bundler or tsx.
  importExtension: '.js',
  generates: {
    'examples/gql/': {
      preset: 'client',
      presetConfig: {
        // The example has no fragments: without masking there is no `fragment-masking.ts` to keep.
        fragmentMasking: false,
      },
      config: {
        // What the JSON response carries, not what the resolvers hold: a DateTime arrives as a string.
        scalars: {
          DateTime: 'string',
          JSONObject: 'Record<string, unknown>',
          NonNegativeFloat: 'number',
          MarketSymbol: 'string',
          Timeframe: 'string',
        },
        // A scalar added to the schema without a mapping above fails codegen instead of becoming `any`.
        strictScalars: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
