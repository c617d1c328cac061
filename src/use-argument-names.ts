import { BREAK, GraphQLError, Kind, visit, type ASTNode, type DocumentNode, type ValueNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * graphql-js reports a bad literal argument as `Expected value of type "X", found ...; <reason>`,
 * which names the type but not the argument. This plugin finds the argument the bad value sits in
 * and restates the error as `<argument path>: <reason>` (e.g. `ticker.volume24h: expected ...`),
 * with code `BAD_USER_INPUT`. Bad variables are already reported by name
 * (`Variable "$x" got invalid value ...`); they get the same code.
 */
export function useArgumentNames(): Plugin {
  return {
    onValidate({ params }) {
      return ({ result, setResult }) => {
        if (result.length === 0) return;
        setResult(result.map((error) => renamed(error, params.documentAST) ?? error));
      };
    },
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          if (!('errors' in result) || !result.errors || result.data !== undefined) return;
          setResult({ ...result, errors: result.errors.map(withVariableCode) });
        },
      };
    },
  };
}

function withVariableCode(error: GraphQLError): GraphQLError {
  if (error.extensions['code'] !== undefined || !error.message.startsWith('Variable "$')) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    originalError: error.originalError,
    extensions: { ...error.extensions, code: 'BAD_USER_INPUT' },
  });
}

function renamed(error: unknown, document: DocumentNode): GraphQLError | undefined {
  if (!(error instanceof GraphQLError)) return undefined;
  const node = error.nodes?.[0];
  const argument = node && argumentPathOf(document, node);
  if (argument === undefined) return undefined;
  const reason = error.originalError?.message ?? error.message.replace(/^Expected value of type [^;]*; /, '');
  return new GraphQLError(`${argument}: ${reason}`, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    originalError: error.originalError,
    extensions: { ...error.extensions, code: error.extensions['code'] ?? 'BAD_USER_INPUT' },
  });
}

function argumentPathOf(document: DocumentNode, target: ASTNode): string | undefined {
  let found: string | undefined;
  visit(document, {
    Argument(argument) {
      found = pathTo(argument.value, target, argument.name.value);
      return found === undefined ? undefined : BREAK;
    },
  });
  return found;
}

function pathTo(value: ValueNode, target: ASTNode, path: string): string | undefined {
  if (value === target) return path;
  if (value.kind === Kind.LIST) {
    for (const [i, item] of value.values.entries()) {
      const found = pathTo(item, target, `${path}[${i}]`);
      if (found !== undefined) return found;
    }
  }
  if (value.kind === Kind.OBJECT) {
    for (const field of value.fields) {
      const found = pathTo(field.value, target, `${path}.${field.name.value}`);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
