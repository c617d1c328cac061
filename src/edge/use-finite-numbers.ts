import type { Plugin } from 'graphql-yoga';
import { FiniteNumbersRule } from './finite-numbers-rule.js';

/** Validates every document with `FiniteNumbersRule`: no literal number may overflow to Infinity. */
export function useFiniteNumbers(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(FiniteNumbersRule);
    },
  };
}
