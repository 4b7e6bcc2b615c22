import { runEventStreamSuite } from '@otel-http/conformance';
import { Hono } from 'hono';
import { EVENT_STREAM_HEADERS, eventStream, otel } from '../src/index.js';
import { listen } from './server.js';

runEventStreamSuite({
  name: 'hono',
  start: async (options, messages, streamOptions) => {
    const app = new Hono();
    app.use(otel(options));
    app.get('/events', (c) =>
      c.body(eventStream(messages(), streamOptions).toReadableStream(), 200, EVENT_STREAM_HEADERS),
    );
    return listen(app);
  },
});
