import type { FeedItem } from '@feed/store';
import { toEventView } from './eventView.js';
import { groupFieldsOf, groupKey } from './grouping.js';
import { itemFrame } from './sseFrame.js';

/**
 * A frame of a stream opened with `group=similar`: a new event is the same frame as on any
 * stream, with its group's key beside it (`"group": "joined:t-7"`). The newest item of a
 * grouped page with the same key is the group the event joins (groups are contiguous runs,
 * and a new event is the newest of all); any other key starts a new item. Changes are sent as
 * on any stream.
 */
export function groupedItemFrame(item: FeedItem): string {
  if (item.kind !== 'event') return itemFrame(item);
  const view = toEventView(item.event);
  const group = groupKey(groupFieldsOf(item.event));
  return `id: ${view.cursor}\ndata: ${JSON.stringify({ ...view, group })}\n\n`;
}
