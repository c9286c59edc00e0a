import { limits } from './envelope.js';
import { FeedErrorCode } from './errors.js';
import { boundedText } from './boundedText.js';
import { quote } from './quote.js';
import type { MessageProperties, ParseOptions } from './parseMessage.js';
import { reject } from './rejection.js';

const acceptedContentTypes = new Set([
  'application/json',
  'application/cloudevents+json',
  'application/cloudevents-batch+json',
]);
const acceptedEncodings = new Set(['identity', 'utf-8', 'utf8']);
/** Keys that, merged into an object anywhere downstream, would reach its prototype. */
export const forbiddenKeys: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
]);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The body of a message as a JSON value, or a rejection: within the size limit, a content type
 * and encoding we read, UTF-8, JSON, not nested deeper than the limit, no key that could reach
 * a prototype.
 */
export function readBody(
  content: Uint8Array,
  props: MessageProperties,
  options: ParseOptions,
): unknown {
  const maxBytes = options.maxBodyBytes ?? limits.maxBodyBytes;
  if (content.byteLength > maxBytes)
    reject(
      FeedErrorCode.TooLarge,
      `body is ${content.byteLength} bytes, over the limit of ${maxBytes}: send fewer events per message`,
    );
  checkContentType(props);

  let text: string;
  try {
    text = utf8.decode(content);
  } catch {
    reject(FeedErrorCode.NotUtf8, 'body is not valid UTF-8: send the JSON text encoded as UTF-8');
  }

  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    reject(FeedErrorCode.NotJson, notJsonReason(text, error as Error));
  }
  checkShape(body, options.maxDepth ?? limits.maxDepth);
  return body;
}

function checkContentType(props: MessageProperties): void {
  const expected = 'send application/json or application/cloudevents+json, UTF-8';
  // The usual value, exactly as accepted, needs no reading of its parts.
  if (
    props.contentType !== undefined &&
    props.contentType !== '' &&
    !acceptedContentTypes.has(props.contentType)
  ) {
    const [mediaType = '', ...params] = props.contentType.split(';');
    if (!acceptedContentTypes.has(mediaType.trim().toLowerCase()))
      reject(
        FeedErrorCode.ContentType,
        `content_type ${quote(props.contentType)} is not accepted: ${expected}`,
      );
    for (const param of params) {
      const [name, value = ''] = param.split('=').map((part) => part.trim().toLowerCase());
      if (name === 'charset' && !acceptedEncodings.has(value.replace(/"/g, '')))
        reject(FeedErrorCode.ContentType, `charset ${quote(value)} is not utf-8: ${expected}`);
    }
  }
  if (
    props.contentEncoding !== undefined &&
    props.contentEncoding !== '' &&
    !acceptedEncodings.has(props.contentEncoding.toLowerCase())
  )
    reject(
      FeedErrorCode.ContentEncoding,
      `content_encoding ${quote(props.contentEncoding)} is not supported: send uncompressed UTF-8 (utf-8 or none)`,
    );
}

/** Python's json.dumps writes NaN and Infinity, which JSON has not: name the fix. */
function notJsonReason(text: string, error: Error): string {
  const found = nonFiniteLiteral(text);
  if (found !== undefined)
    return `body is not JSON: ${found.literal} at position ${found.at} is no JSON value; send null instead (Python: json.dumps(..., allow_nan=False) refuses it before sending)`;
  return `body is not JSON: ${boundedText(error.message, 160)}`;
}

/** The first NaN, Infinity or -Infinity outside a string, if any. Only read after a failure. */
function nonFiniteLiteral(text: string): { literal: string; at: number } | undefined {
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x4e && text.startsWith('NaN', i)) return { literal: 'NaN', at: i };
    else if (c === 0x49 && text.startsWith('Infinity', i))
      return text[i - 1] === '-'
        ? { literal: '-Infinity', at: i - 1 }
        : { literal: 'Infinity', at: i };
  }
  return undefined;
}

interface ShapeNode {
  value: unknown;
  depth: number;
  parent: ShapeNode | undefined;
  key: string;
}

/**
 * One iterative walk (deep bodies must not overflow the stack): depth and forbidden keys.
 * Paths are built only for a reason, from parent links: building one per node would cost
 * the sum of every path's length (long keys, deep nesting).
 */
function checkShape(body: unknown, maxDepth: number): void {
  const stack: ShapeNode[] = [{ value: body, depth: 1, parent: undefined, key: '' }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const { value, depth } = node;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > maxDepth)
      reject(
        FeedErrorCode.TooDeep,
        `body nests deeper than ${maxDepth} levels at ${pathOf(node)}: send flatter data`,
      );
    // Only objects and arrays are walked on: a string or number has no depth and no keys.
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) {
        const child: unknown = value[index];
        if (typeof child === 'object' && child !== null)
          stack.push({ value: child, depth: depth + 1, parent: node, key: String(index) });
      }
      continue;
    }
    for (const key of Object.keys(value)) {
      if (forbiddenKeys.has(key))
        reject(
          FeedErrorCode.ForbiddenKey,
          `key '${key}' is not allowed (at ${pathOf(node)}): it could reach an object's prototype; rename it`,
        );
      const child = (value as Record<string, unknown>)[key];
      if (typeof child === 'object' && child !== null)
        stack.push({ value: child, depth: depth + 1, parent: node, key });
    }
  }
}

/** A JSON path for a reason: each key cut to a few characters, the whole to a bounded size. */
function pathOf(node: ShapeNode): string {
  const keys: string[] = [];
  for (let at: ShapeNode | undefined = node; at?.parent !== undefined; at = at.parent)
    keys.push(boundedText(at.key, 24));
  return boundedText(`/${keys.reverse().join('/')}`, 100);
}
