import {
  Type,
  type StaticDecode,
  type TObject,
  type TProperties,
  type TSchema,
} from '@sinclair/typebox';
import {
  TransformDecodeError,
  Value,
  ValueErrorType,
  type ValueError,
} from '@sinclair/typebox/value';
import { FeedError, FeedErrorCode } from './errors.js';

/**
 * Reading a process's configuration from its environment, the same way in every process of
 * the feed (and in services built on the SDK): each process keeps its own `loadConfig(env)`
 * with its own variables, and this is the part they share. Built on TypeBox, which the
 * contracts already carry, so the SDK that ships them gains no dependency.
 */

export type Env = Record<string, string | undefined>;

/** A wrong configuration, worded the same everywhere: `invalid configuration: NAME …`. */
export function invalidConfig(message: string): FeedError {
  return new FeedError(FeedErrorCode.Config, `invalid configuration: ${message}`);
}

/**
 * What is wrong with a value, worded to follow the variable's name, separator included, so
 * that every message reads `NAME must …` or `NAME: …`. The decoders of envVariables.ts throw it.
 */
export class WrongValue extends Error {}

/**
 * The `variables` (a name → schema record, built with envVariables.ts), read from `env`:
 * an empty value counts as unset (as `NAME=` in a .env file) and gets the default; a number
 * or boolean is converted from its text; then every value is checked, and URLs are read
 * (AMQP_URL becomes its list of nodes). A wrong value throws a `FEED_ERR_CONFIG` FeedError
 * naming each variable at fault, e.g. `invalid configuration: WORKER_BATCH_SIZE must be
 * integer`, so the process stops at start instead of misbehaving later. Other variables of
 * `env` are ignored.
 */
export function loadEnv<V extends TProperties>(variables: V, env: Env): StaticDecode<TObject<V>> {
  const schema = Type.Object(variables);
  const values: Record<string, unknown> = {};
  for (const [name, variable] of Object.entries(variables)) {
    const text = env[name];
    values[name] = text === undefined || text === '' ? variable.default : fromText(variable, text);
  }
  if (!Value.Check(schema, values)) {
    const wrong = new Map<string, string>();
    for (const error of Value.Errors(schema, values)) {
      const name = error.path.slice(1);
      if (!wrong.has(name)) wrong.set(name, `${name} ${describe(error)}`);
    }
    throw invalidConfig([...wrong.values()].join(', '));
  }
  try {
    return Value.Decode(schema, values);
  } catch (error) {
    if (error instanceof TransformDecodeError && error.error instanceof WrongValue)
      throw invalidConfig(`${error.path.slice(1)}${error.error.message}`);
    throw error;
  }
}

/**
 * Strict conversions: `1.5` is no integer and `yes` no boolean, so a typo is reported rather
 * than read as something else.
 */
function fromText(variable: TSchema, text: string): unknown {
  if (variable.type === 'integer' || variable.type === 'number') {
    const number = Number(text);
    return text.trim() === '' || Number.isNaN(number) ? text : number;
  }
  if (variable.type === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  return text;
}

/** What is wrong with one value, in the words of JSON Schema validators (Ajv). */
function describe(error: ValueError): string {
  const schema = error.schema as {
    minimum?: number;
    maximum?: number;
    minLength?: number;
    maxLength?: number;
    anyOf?: { const?: unknown }[];
  };
  switch (error.type) {
    case ValueErrorType.Integer:
      return 'must be integer';
    case ValueErrorType.Number:
      return 'must be number';
    case ValueErrorType.Boolean:
      return 'must be boolean';
    case ValueErrorType.String:
      return 'must be string';
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return `must be >= ${schema.minimum}`;
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      return `must be <= ${schema.maximum}`;
    case ValueErrorType.StringMinLength:
      return `must NOT have fewer than ${schema.minLength} characters`;
    case ValueErrorType.StringMaxLength:
      return `must NOT have more than ${schema.maxLength} characters`;
    case ValueErrorType.Union: {
      const allowed = (schema.anyOf ?? []).map((option) => String(option.const));
      return `must be equal to one of the allowed values: ${allowed.join(', ')}`;
    }
    case ValueErrorType.ObjectRequiredProperty:
      return 'must be set';
    default:
      return error.message;
  }
}
