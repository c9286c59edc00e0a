import { Type, type StaticDecode } from '@sinclair/typebox';
import { parseAmqpUrls } from './amqpUrls.js';
import { WrongValue } from './loadEnv.js';

/** The kinds of variable a process declares for loadEnv, and the variables they share. */

/** An integer variable within bounds. */
export const envInteger = (minimum: number, maximum: number, defaultValue: number) =>
  Type.Integer({ minimum, maximum, default: defaultValue });

/** A text variable; set, it must not be blank unless `minLength` is 0. */
export const envText = (
  defaultValue: string,
  options: { minLength?: number; maxLength?: number } = {},
) => Type.String({ minLength: 1, ...options, default: defaultValue });

/** A boolean variable: `true` or `false`. */
export const envBoolean = (defaultValue: boolean) => Type.Boolean({ default: defaultValue });

/** A postgres:// (or postgresql://) URL. */
export const envPostgresUrl = (defaultValue: string) =>
  Type.Transform(envText(defaultValue))
    .Decode((text) => {
      let protocol: string | undefined;
      try {
        protocol = new URL(text).protocol;
      } catch {
        protocol = undefined;
      }
      if (protocol !== 'postgres:' && protocol !== 'postgresql:')
        throw new WrongValue(' must be a postgres:// URL');
      return text;
    })
    .Encode((url) => url);

/** One broker, or the nodes of a cluster separated by commas: read as the list of nodes. */
const envAmqpUrls = (defaultValue: string) =>
  Type.Transform(envText(defaultValue))
    .Decode((text) => {
      try {
        return parseAmqpUrls(text);
      } catch (error) {
        // parseAmqpUrls never shows a password.
        throw new WrongValue(`: ${(error as Error).message}`);
      }
    })
    .Encode((urls) => urls.join(','));

/** The variables the feed's processes share (.env.example), with one meaning and one default. */
export const commonEnv = {
  AMQP_URL: envAmqpUrls('amqp://guest:guest@127.0.0.1:5672'),
  /** The feed database (the worker and the service). */
  DATABASE_URL: envPostgresUrl('postgres://postgres@127.0.0.1:5432/feed'),
  FEED_QUEUE_TYPE: Type.Union([Type.Literal('quorum'), Type.Literal('classic')], {
    default: 'quorum',
  }),
  LOG_LEVEL: Type.Union(
    [
      Type.Literal('trace'),
      Type.Literal('debug'),
      Type.Literal('info'),
      Type.Literal('warn'),
      Type.Literal('error'),
      Type.Literal('fatal'),
      Type.Literal('silent'),
    ],
    { default: 'info' },
  ),
  LOG_PRETTY: envBoolean(false),
};

export type LogLevel = StaticDecode<typeof commonEnv.LOG_LEVEL>;
