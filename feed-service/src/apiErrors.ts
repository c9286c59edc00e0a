/**
 * Every error the API answers with has one JSON shape and a stable code. A code is never
 * reused for another meaning: clients and dashboards match on it.
 *
 *   { "error": { "code": "FEED_API_BAD_LIMIT", "message": "…", "param": "limit" } }
 */
export const ApiErrorCode = {
  BadLimit: 'FEED_API_BAD_LIMIT',
  BadCursor: 'FEED_API_BAD_CURSOR',
  BadType: 'FEED_API_BAD_TYPE',
  BadFilter: 'FEED_API_BAD_FILTER',
  BadTime: 'FEED_API_BAD_TIME',
  BadTimeRange: 'FEED_API_BAD_TIME_RANGE',
  UnknownParam: 'FEED_API_UNKNOWN_PARAM',
  BadParam: 'FEED_API_BAD_PARAM',
  BadLastEventId: 'FEED_API_BAD_LAST_EVENT_ID',
  QueryTooLong: 'FEED_API_QUERY_TOO_LONG',
  PathTooLong: 'FEED_API_PATH_TOO_LONG',
  AuthMissing: 'FEED_API_AUTH_MISSING',
  AuthInvalid: 'FEED_API_AUTH_INVALID',
  AuthDisabled: 'FEED_API_AUTH_DISABLED',
  ReaderMissing: 'FEED_API_READER_MISSING',
  ReaderInvalid: 'FEED_API_READER_INVALID',
  BadReaction: 'FEED_API_BAD_REACTION',
  NotReactable: 'FEED_API_NOT_REACTABLE',
  NotFound: 'FEED_API_NOT_FOUND',
  UnknownTeam: 'FEED_API_UNKNOWN_TEAM',
  UnknownDepartment: 'FEED_API_UNKNOWN_DEPARTMENT',
  RouteNotFound: 'FEED_API_ROUTE_NOT_FOUND',
  AmbiguousId: 'FEED_API_AMBIGUOUS_ID',
  RateLimited: 'FEED_API_RATE_LIMITED',
  AuthRateLimited: 'FEED_API_AUTH_RATE_LIMITED',
  SourceForbidden: 'FEED_API_SOURCE_FORBIDDEN',
  TypeForbidden: 'FEED_API_TYPE_FORBIDDEN',
  KeyQuota: 'FEED_API_KEY_QUOTA',
  BodyTooLarge: 'FEED_API_BODY_TOO_LARGE',
  BadBody: 'FEED_API_BAD_BODY',
  UnsupportedMediaType: 'FEED_API_UNSUPPORTED_MEDIA_TYPE',
  InvalidEvent: 'FEED_API_INVALID_EVENT',
  PublishUnavailable: 'FEED_API_PUBLISH_UNAVAILABLE',
  BrokerUnavailable: 'FEED_API_BROKER_UNAVAILABLE',
  DatabaseUnavailable: 'FEED_API_DATABASE_UNAVAILABLE',
  Internal: 'FEED_API_INTERNAL',
  StreamSlowClient: 'FEED_API_STREAM_SLOW_CLIENT',
  StreamLimit: 'FEED_API_STREAM_LIMIT',
  StreamsFull: 'FEED_API_STREAMS_FULL',
  StreamShutdown: 'FEED_API_STREAM_SHUTDOWN',
  DeadBusy: 'FEED_API_DEAD_BUSY',
} as const;

export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string; param?: string };
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly statusCode: number;
  readonly code: ApiErrorCode;
  readonly param: string | undefined;

  constructor(
    statusCode: number,
    code: ApiErrorCode,
    message: string,
    options: { param?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.statusCode = statusCode;
    this.code = code;
    this.param = options.param;
  }

  toBody(): ApiErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.param === undefined ? {} : { param: this.param }),
      },
    };
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}
