import type { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

const SUGGESTION = / ?Did you mean [^?]*\?/g;

/**
 * Leaves `Did you mean "..."?` out of every error, so that a client probing with typos cannot
 * read field, argument and type names out of them (with introspection off, that is how a schema
 * leaks).
 *
 * Validation is asked not to suggest (graphql-js 16.15's `hideSuggestions`), which also spares
 * it the edit-distance search. Variables are another matter: yoga's executor (2.1.0) coerces
 * them without passing the option on, so their errors (`Field "lst" is not defined by type
 * "TickerInput". Did you mean "last"?`) are rewritten after the fact. graphql-armor's
 * `blockFieldSuggestion` is not used because it sees validation errors only.
 */
export function useHiddenSuggestions(): Plugin {
  return {
    onValidate({ validateFn, setValidationFn }) {
      setValidationFn((schema, document, rules, options, typeInfo) =>
        validateFn(schema, document, rules, { ...options, hideSuggestions: true }, typeInfo),
      );
    },
    onExecute() {
      return {
        onExecuteDone({ result }) {
          if ('errors' in result) result.errors?.forEach(withoutSuggestion);
        },
      };
    },
  };
}

function withoutSuggestion(error: GraphQLError) {
  if (error.message.includes('Did you mean')) error.message = error.message.replace(SUGGESTION, '');
}
