import { ApiError, ApiErrorCode } from './apiErrors.js';
import { noNulPattern } from './schemas.js';

/** The part of an Ajv error the mapping reads. */
export interface SchemaProblem {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string | undefined;
}

export type ValidationContext = 'querystring' | 'body' | 'params' | 'headers' | string;

const nulDetail = 'must not contain the NUL character (U+0000)';

const queryCodes: Record<string, ApiErrorCode> = {
  limit: ApiErrorCode.BadLimit,
  cursor: ApiErrorCode.BadCursor,
  after: ApiErrorCode.BadCursor,
  type: ApiErrorCode.BadType,
  since: ApiErrorCode.BadTime,
  until: ApiErrorCode.BadTime,
  source: ApiErrorCode.BadFilter,
  actor: ApiErrorCode.BadFilter,
  subject: ApiErrorCode.BadFilter,
};

const hints: Record<string, string> = {
  limit: 'an integer from 1 to 100',
  cursor: 'the nextCursor of a previous page',
  after: 'the cursor of an event',
  type: 'event types such as employee.registered (at most 20)',
  since: 'an RFC 3339 date-time such as 2026-01-31T09:00:00Z',
  until: 'an RFC 3339 date-time such as 2026-01-31T09:00:00Z',
  source: '1 to 200 characters',
  actor: '1 to 200 characters',
  subject: '1 to 200 characters',
};

/**
 * Turns Fastify's schema validation error (Ajv's first problem) into the API's error shape,
 * with the stable code of the parameter at fault.
 */
export function validationToApiError(
  context: ValidationContext,
  problems: readonly SchemaProblem[],
  bodyCode: ApiErrorCode = ApiErrorCode.InvalidEvent,
): ApiError {
  const problem = problems[0];
  const path = problem?.instancePath ?? '';
  const nul = problem?.keyword === 'pattern' && problem.params.pattern === noNulPattern;
  if (context === 'body') {
    const param = path === '' ? 'body' : path;
    const detail =
      problem?.keyword === 'additionalProperties'
        ? `unknown field "${String(problem.params.additionalProperty)}"`
        : problem?.keyword === 'required'
          ? `missing field "${String(problem.params.missingProperty)}"`
          : nul
            ? nulDetail
            : (problem?.message ?? 'is invalid');
    return new ApiError(400, bodyCode, `${param}: ${detail}`, { param });
  }
  if (context === 'headers') {
    return new ApiError(400, ApiErrorCode.BadLastEventId, 'Last-Event-ID: not a cursor', {
      param: 'Last-Event-ID',
    });
  }
  const name =
    problem?.keyword === 'additionalProperties'
      ? String(problem.params.additionalProperty)
      : problem?.keyword === 'required'
        ? String(problem.params.missingProperty)
        : (path.split('/')[1] ?? '');
  if (problem?.keyword === 'additionalProperties')
    return new ApiError(400, ApiErrorCode.UnknownParam, `unknown parameter "${name}"`, {
      param: name,
    });
  const code = queryCodes[name] ?? ApiErrorCode.BadParam;
  if (nul) return new ApiError(400, code, `${name}: ${nulDetail}`, { param: name });
  const hint = hints[name];
  return new ApiError(
    400,
    code,
    `${name}: ${hint === undefined ? (problem?.message ?? 'is invalid') : `must be ${hint}`}`,
    { param: name },
  );
}
