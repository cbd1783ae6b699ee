// `${NAME}` / `${NAME:-default}` substitution in inventory values, so secrets stay out of the file.
// The environment is passed in: domain code never reads process.env.
import { isScalar, visit } from 'yaml';
import type { IssueList } from './issues.js';
import type { SourcePosition } from './types.js';
import { positionOf, type YamlFile } from './yaml-source.js';

export type Environment = Readonly<Record<string, string | undefined>>;

export interface EnvSubstitution {
  value: string;
  /** One message per reference that could not be resolved; the reference is left as written. */
  problems: string[];
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Replaces `${NAME}` with the variable's value and `${NAME:-default}` with the value, or the default
 * when the variable is unset or empty (as in POSIX sh). `$${` is a literal `${`; a lone `$` stays as is.
 */
export function substituteEnv(text: string, env: Environment): EnvSubstitution {
  if (!text.includes('$')) return { value: text, problems: [] };
  const problems: string[] = [];
  let value = '';
  let index = 0;
  while (index < text.length) {
    if (text.startsWith('$${', index)) {
      value += '${';
      index += 3;
      continue;
    }
    if (!text.startsWith('${', index)) {
      value += text[index] ?? '';
      index += 1;
      continue;
    }
    const close = text.indexOf('}', index + 2);
    if (close < 0) {
      problems.push(
        `unterminated \${ in ${JSON.stringify(text)}: close it with } or write $\${ for a literal \${`,
      );
      value += text.slice(index);
      break;
    }
    const reference = text.slice(index, close + 1);
    const body = text.slice(index + 2, close);
    const separator = body.indexOf(':-');
    const name = separator < 0 ? body : body.slice(0, separator);
    const fallback = separator < 0 ? undefined : body.slice(separator + 2);
    index = close + 1;
    if (!VARIABLE_NAME.test(name)) {
      problems.push(
        `invalid environment variable name ${JSON.stringify(name)} in ${reference}: use letters, digits and _ (write $\${ for a literal \${)`,
      );
      value += reference;
      continue;
    }
    const current = env[name];
    if (fallback !== undefined) {
      value += current === undefined || current === '' ? fallback : current;
    } else if (current === undefined) {
      problems.push(
        `environment variable ${name} is not set (export it, or give a default: \${${name}:-value})`,
      );
      value += reference;
    } else {
      value += current;
    }
  }
  return { value, problems };
}

/**
 * Substitutes in every string scalar of a YAML document, in place. Map keys are names, not values,
 * and are left alone. Problems are located at the scalar and settle its position, so the value's
 * validation does not report the same mistake a second time.
 */
export function substituteEnvInYaml(source: YamlFile, env: Environment, issues: IssueList): void {
  visit(source.doc, {
    Scalar(key, node) {
      if (key === 'key' || typeof node.value !== 'string' || !isScalar(node)) return;
      const { value, problems } = substituteEnv(node.value, env);
      node.value = value;
      const position = positionOf(source, node);
      for (const problem of problems) issues.settle(position, problem);
    },
  });
}

/** Substitutes in the strings of an already parsed value (INI values), recursively. */
export function substituteEnvInValue(
  value: unknown,
  env: Environment,
  position: SourcePosition,
  issues: IssueList,
): unknown {
  if (typeof value === 'string') {
    const result = substituteEnv(value, env);
    for (const problem of result.problems) issues.settle(position, problem);
    return result.value;
  }
  if (Array.isArray(value)) return value.map((item) => substituteEnvInValue(item, env, position, issues));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, substituteEnvInValue(item, env, position, issues)]),
    );
  }
  return value;
}
