import { request, type IncomingMessage } from 'node:http';

export interface SseMessage {
  id: string | undefined;
  event: string;
  data: string;
}

/** A raw SSE reader over node:http: what a browser's EventSource would see, frame by frame. */
export interface SseClient {
  status: number;
  messages: SseMessage[];
  comments: string[];
  /** Event messages only (no `close` frames), parsed. */
  events(): Array<{ id: string; source: string; type: string; cursor: string; data: unknown }>;
  ended: boolean;
  close(): void;
  response: IncomingMessage;
}

export function openStream(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers } });
    req.on('error', reject);
    req.on('response', (response) => {
      const client: SseClient = {
        status: response.statusCode ?? 0,
        messages: [],
        comments: [],
        ended: false,
        response,
        events: () =>
          client.messages.filter((m) => m.event === 'message').map((m) => JSON.parse(m.data)),
        close: () => {
          req.destroy();
          response.destroy();
        },
      };
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const message: SseMessage = { id: undefined, event: 'message', data: '' };
          let hasData = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) client.comments.push(line.slice(1).trim());
            else if (line.startsWith('id: ')) message.id = line.slice(4);
            else if (line.startsWith('event: ')) message.event = line.slice(7);
            else if (line.startsWith('data: ')) {
              message.data += line.slice(6);
              hasData = true;
            }
          }
          if (hasData) client.messages.push(message);
        }
      });
      const ended = () => {
        client.ended = true;
      };
      response.on('end', ended);
      response.on('close', ended);
      response.on('error', ended);
      resolve(client);
    });
    req.end();
  });
}
