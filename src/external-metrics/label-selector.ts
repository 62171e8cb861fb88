/**
 * A strict parser for label selector strings as the HPA sends them in `?labelSelector=` (the syntax of
 * apimachinery's labels.Parse): comma-separated requirements `k`, `!k`, `k=v`, `k==v`, `k!=v`,
 * `k in (a,b)`, `k notin (a,b)`, `k>1`, `k<1`. Unlike src/kube/label-selector.ts (lenient, for selectors
 * the API server wrote), malformed input throws LabelSelectorError naming the position, so the API can
 * answer 400 instead of matching nothing. Left out: field selectors.
 */

export type Operator = 'exists' | '!' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';

export interface Requirement {
  key: string;
  operator: Operator;
  values: string[];
}

export class LabelSelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabelSelectorError';
  }
}

export interface LabelSelector {
  readonly requirements: readonly Requirement[];
  /** Keys any requirement mentions. */
  readonly keys: ReadonlySet<string>;
  matches(labels: Readonly<Record<string, string>>): boolean;
}

// Qualified name: optional DNS-subdomain prefix and "/", then a name of 1-63 alphanumerics, "-", "_", ".".
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

function checkKey(key: string): void {
  const slash = key.indexOf('/');
  const [prefix, name] = slash < 0 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)];
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !PREFIX.test(prefix))) throw new LabelSelectorError(`invalid label key "${key}": the prefix must be a DNS subdomain`);
  if (!NAME.test(name)) throw new LabelSelectorError(`invalid label key "${key}": expected 1-63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`);
}

function checkValue(key: string, value: string): void {
  if (!VALUE.test(value)) throw new LabelSelectorError(`invalid value "${value}" for label "${key}": expected at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`);
}

const KEY_CHARS = /[A-Za-z0-9\-_./]/;

export function parseLabelSelector(text: string): LabelSelector {
  const requirements: Requirement[] = [];
  let i = 0;
  const skipSpaces = () => {
    while (i < text.length && /\s/.test(text[i]!)) i += 1;
  };
  const fail = (what: string): never => {
    throw new LabelSelectorError(`${what} at position ${i} of "${text}"`);
  };
  const readWord = (): string => {
    const start = i;
    while (i < text.length && KEY_CHARS.test(text[i]!)) i += 1;
    return text.slice(start, i);
  };
  skipSpaces();
  if (i === text.length) return build(requirements);
  for (;;) {
    skipSpaces();
    let negated = false;
    if (text[i] === '!') {
      negated = true;
      i += 1;
      skipSpaces();
    }
    const key = readWord();
    if (!key) fail('expected a label key');
    checkKey(key);
    skipSpaces();
    if (negated) {
      requirements.push({ key, operator: '!', values: [] });
    } else if (i === text.length || text[i] === ',') {
      requirements.push({ key, operator: 'exists', values: [] });
    } else if (text.startsWith('==', i) || text.startsWith('!=', i) || text[i] === '=') {
      const operator = text.startsWith('!=', i) ? '!=' : '=';
      i += text.startsWith('==', i) || text.startsWith('!=', i) ? 2 : 1;
      skipSpaces();
      const value = readWord();
      checkValue(key, value);
      requirements.push({ key, operator, values: [value] });
    } else if (text[i] === '>' || text[i] === '<') {
      const operator = text[i] === '>' ? 'gt' : 'lt';
      i += 1;
      skipSpaces();
      const value = readWord();
      if (!/^-?\d+$/.test(value)) fail(`expected an integer after "${operator === 'gt' ? '>' : '<'}" for label "${key}"`);
      requirements.push({ key, operator, values: [value] });
    } else {
      const word = readWord();
      if (word !== 'in' && word !== 'notin') fail(`expected one of "=", "==", "!=", "in", "notin", ">", "<" after label "${key}"`);
      skipSpaces();
      if (text[i] !== '(') fail(`expected "(" after "${word}"`);
      i += 1;
      const values: string[] = [];
      for (;;) {
        skipSpaces();
        const value = readWord();
        checkValue(key, value);
        values.push(value);
        skipSpaces();
        if (text[i] === ',') {
          i += 1;
          continue;
        }
        if (text[i] === ')') {
          i += 1;
          break;
        }
        fail(`expected "," or ")" in the value list of "${key}"`);
      }
      requirements.push({ key, operator: word === 'in' ? 'in' : 'notin', values });
    }
    skipSpaces();
    if (i === text.length) break;
    if (text[i] !== ',') fail('expected ","');
    i += 1;
  }
  return build(requirements);
}

function holds(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? labels[r.key]! : undefined;
  switch (r.operator) {
    case 'exists':
      return has;
    case '!':
      return !has;
    case '=':
    case 'in':
      return has && r.values.includes(value!);
    case '!=':
    case 'notin':
      return !has || !r.values.includes(value!);
    case 'gt':
    case 'lt': {
      if (!has || !/^-?\d+$/.test(value!)) return false;
      const [a, b] = [Number(value), Number(r.values[0])];
      return r.operator === 'gt' ? a > b : a < b;
    }
  }
}

function build(requirements: Requirement[]): LabelSelector {
  return {
    requirements,
    keys: new Set(requirements.map((r) => r.key)),
    matches: (labels) => requirements.every((r) => holds(r, labels)),
  };
}
