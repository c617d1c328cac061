import { getNamedType, GraphQLError, GraphQLInt, type ASTVisitor, type FloatValueNode, type IntValueNode, type ValidationContext } from 'graphql';
import type { ErrorCode } from '../errors.js';

/**
 * Refuses a number literal too large to be a finite double (`1e400`, or an integer of 400
 * digits where a Float is expected). graphql-js parses a Float literal with `parseFloat` and never
 * checks the result: `Infinity` would reach the resolvers, and `JSON.stringify` would store it as
 * `null`. (Variables cannot carry it: graphql-js checks theirs.) `Int` positions are left to
 * graphql-js, which already refuses what does not fit 32 bits.
 *
 * The error names no argument; `useArgumentNames` finds it from the node, as for any bad literal.
 */
export function FiniteNumbersRule(context: ValidationContext): ASTVisitor {
  const check = (node: IntValueNode | FloatValueNode) => {
    if (Number.isFinite(Number(node.value))) return;
    const type = context.getInputType();
    if (type && getNamedType(type) === GraphQLInt) return;
    const received = node.value.length > 40 ? `${node.value.slice(0, 37)}... (${node.value.length} characters)` : node.value;
    context.reportError(
      new GraphQLError(`expected a finite number, received ${received}`, {
        nodes: node,
        extensions: { code: 'BAD_USER_INPUT' satisfies ErrorCode },
      }),
    );
  };
  return { IntValue: check, FloatValue: check };
}
