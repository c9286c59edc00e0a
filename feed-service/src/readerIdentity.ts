import proxyAddr from '@fastify/proxy-addr';
import type { FastifyRequest } from 'fastify';
import { errors as joseErrors, jwtVerify } from 'jose';
import { ApiError, ApiErrorCode } from './apiErrors.js';
import type { ServiceConfig } from './config.js';

/** The signed token a portal gives its reader: a JWT (HS256) whose `sub` is the employee id. */
export const readerTokenHeader = 'x-feed-reader-token';
/** The employee id, as the portal's reverse proxy sets it: believed from trusted proxies only. */
export const readerHeader = 'x-feed-reader';

type ReaderConfig = Pick<ServiceConfig, 'readerTokenSecret' | 'trustedProxies' | 'localReader'>;

/**
 * The failed-authentication limit of the other credentials (SERVICE_AUTH_FAILURE_MAX), for
 * reader tokens too: `refuse` answers 429 to an address past it, `failed` counts a refusal.
 */
export interface ReaderGuessing {
  refuse(request: FastifyRequest): Promise<void>;
  failed(request: FastifyRequest): Promise<void>;
}

export interface ReaderIdentity {
  /**
   * The reader a request names (an employee id, the registrar's, so erasure reaches their
   * reactions), or undefined when it names none. A request that names one wrongly (a bad or
   * expired token, the header from a peer that is not a trusted proxy) is refused, never
   * taken as anonymous.
   */
  readerOf(request: FastifyRequest): Promise<string | undefined>;
  /**
   * Whether the request may name a reader (a reader header, or the local reader): when not,
   * `readerOf` answers undefined, and an answer for everyone can be sent without asking it.
   */
  mayName(request: FastifyRequest): boolean;
  /** The reader, or a 401 that says how this instance identifies readers. */
  require(request: FastifyRequest): Promise<string>;
  /** Whether any way to name a reader is configured. */
  readonly enabled: boolean;
}

const maxReaderLength = 200;

function invalid(message: string, param: string): ApiError {
  return new ApiError(401, ApiErrorCode.ReaderInvalid, message, { param });
}

function readerId(value: unknown, where: string, param: string): string {
  if (
    typeof value !== 'string' ||
    value.trim() === '' ||
    value.length > maxReaderLength ||
    value.includes('\u0000')
  )
    throw invalid(
      `${where}: the reader must be an employee id of 1 to ${maxReaderLength} characters`,
      param,
    );
  return value.trim();
}

/**
 * Who the reader of a request is, in this order: a signed token (`X-Feed-Reader-Token`, when
 * SERVICE_READER_TOKEN_SECRET is set), the `X-Feed-Reader` header of a request whose peer is
 * one of SERVICE_TRUSTED_PROXIES, the local reader (SERVICE_LOCAL_READER, never in
 * production). See the service README, "Reactions".
 */
export function createReaderIdentity(
  config: ReaderConfig,
  guessing: ReaderGuessing = { refuse: async () => {}, failed: async () => {} },
): ReaderIdentity {
  const secret =
    config.readerTokenSecret === undefined
      ? undefined
      : new TextEncoder().encode(config.readerTokenSecret);
  const trusted =
    config.trustedProxies.length === 0 ? undefined : proxyAddr.compile(config.trustedProxies);
  const ways = [
    ...(secret === undefined ? [] : ['a signed token in X-Feed-Reader-Token']),
    ...(trusted === undefined ? [] : ['X-Feed-Reader from a trusted proxy']),
    ...(config.localReader === undefined ? [] : ['the local reader']),
  ];

  const fromToken = async (token: string): Promise<string> => {
    if (secret === undefined)
      throw invalid(
        'X-Feed-Reader-Token was sent, but this instance takes no reader tokens (SERVICE_READER_TOKEN_SECRET is unset)',
        'X-Feed-Reader-Token',
      );
    try {
      const { payload } = await jwtVerify(token, secret, {
        algorithms: ['HS256'],
        requiredClaims: ['sub', 'exp'],
      });
      return readerId(payload.sub, 'X-Feed-Reader-Token', 'X-Feed-Reader-Token');
    } catch (error) {
      if (error instanceof ApiError) throw error;
      const why =
        error instanceof joseErrors.JWTExpired
          ? 'has expired'
          : error instanceof joseErrors.JWTClaimValidationFailed
            ? `lacks the claim ${error.claim} (sub and exp are required)`
            : 'is not a token signed with SERVICE_READER_TOKEN_SECRET (HS256)';
      throw invalid(`X-Feed-Reader-Token ${why}`, 'X-Feed-Reader-Token');
    }
  };

  const sendsReader = (request: FastifyRequest): boolean =>
    request.headers[readerTokenHeader] !== undefined || request.headers[readerHeader] !== undefined;

  const readerOf = async (request: FastifyRequest): Promise<string | undefined> => {
    if (!sendsReader(request)) return config.localReader;
    await guessing.refuse(request);
    try {
      return await fromHeaders(request);
    } catch (error) {
      if (error instanceof ApiError) await guessing.failed(request);
      throw error;
    }
  };

  const fromHeaders = async (request: FastifyRequest): Promise<string | undefined> => {
    const token = request.headers[readerTokenHeader];
    if (typeof token === 'string') return fromToken(token);
    const named = request.headers[readerHeader];
    if (named !== undefined) {
      const peer = request.socket.remoteAddress ?? '';
      if (trusted === undefined || !trusted(peer, 0))
        throw invalid(
          `X-Feed-Reader is believed only from SERVICE_TRUSTED_PROXIES, and ${peer} is not one of them`,
          'X-Feed-Reader',
        );
      return readerId(named, 'X-Feed-Reader', 'X-Feed-Reader');
    }
    return config.localReader;
  };

  return {
    enabled: ways.length > 0,
    readerOf,
    mayName: (request) => config.localReader !== undefined || sendsReader(request),
    async require(request) {
      const reader = await readerOf(request);
      if (reader !== undefined) return reader;
      throw new ApiError(
        401,
        ApiErrorCode.ReaderMissing,
        ways.length === 0
          ? 'reacting needs to know who reacts, and this instance has no way to tell: set SERVICE_READER_TOKEN_SECRET (signed tokens) or SERVICE_TRUSTED_PROXIES (X-Feed-Reader from the portal proxy)'
          : `reacting needs to know who reacts: send ${ways.join(', or ')}`,
        { param: secret === undefined ? 'X-Feed-Reader' : 'X-Feed-Reader-Token' },
      );
    },
  };
}
