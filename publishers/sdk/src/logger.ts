/** The part of a pino logger the SDK uses; pass a pino logger or a child of one. */
export interface PublisherLogger {
  debug(object: object, message?: string): void;
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

const nothing = () => {};

export const silentLogger: PublisherLogger = {
  debug: nothing,
  info: nothing,
  warn: nothing,
  error: nothing,
};
