import type { FeedErrorCode } from './errors.js';
import { boundedReason } from './quote.js';

/** Why a message can never be stored: thrown inside the parser, returned by parseMessage. */
export class Rejection {
  constructor(
    readonly code: FeedErrorCode,
    readonly reason: string,
  ) {}
}

/** Rejects with a reason cut to its bound, whatever it quotes. */
export function reject(code: FeedErrorCode, reason: string): never {
  throw new Rejection(code, boundedReason(reason));
}
