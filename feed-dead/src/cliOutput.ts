import { boundedText } from '@feed/contracts';
import type { ListResult, OperationResult } from './deadLetters.js';

/** `feed-dead list` as text: the counts by code, then one line per message. */
export function listText(result: ListResult): string {
  const codes = Object.entries(result.byCode)
    .sort(([, a], [, b]) => b - a)
    .map(([code, count]) => `${code} ${count}`)
    .join(', ');
  const lines = [`${result.total} parked${codes === '' ? '' : ` (${codes})`}`];
  for (const message of result.messages)
    lines.push(
      [
        message.id,
        message.code,
        message.parkedAt ?? '-',
        message.sources.join(',') || '-',
        `${message.bodyBytes} B`,
        boundedText(message.reason.replace(/\s+/g, ' '), 120),
      ].join('  '),
    );
  if (result.messages.length < result.total)
    lines.push(`… ${result.total - result.messages.length} more (--limit)`);
  return lines.join('\n');
}

/** `feed-dead replay|purge` as text. */
export function operationText(verb: 'replayed' | 'purged', result: OperationResult): string {
  const duplicates = result.duplicates === 0 ? '' : `; ${result.duplicates} second copies removed`;
  return `${verb} ${result.done}, ${result.kept} left parked${duplicates}`;
}
