import { Readable } from 'node:stream';
import { runEventStreamSuite } from '@otel-http/conformance';
import Fastify from 'fastify';
import { EVENT_STREAM_HEADERS, eventStream, otel } from '../src/index.js';
import { listen } from './standard-app.js';

runEventStreamSuite({
  name: 'fastify',
  start: async (options, messages, streamOptions) => {
    const app = Fastify({ forceCloseConnections: true });
    await app.register(otel, options);
    app.get('/events', (_request, reply) => {
      reply
        .headers(EVENT_STREAM_HEADERS)
        .send(Readable.from(eventStream(messages(), streamOptions)));
    });
    return listen(app);
  },
});
