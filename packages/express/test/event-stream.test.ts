import { pipeline, Readable } from 'node:stream';
import { runEventStreamSuite } from '@otel-http/conformance';
import express from 'express';
import { EVENT_STREAM_HEADERS, eventStream, otel } from '../src/index.js';
import { listen } from './standard-app.js';

runEventStreamSuite({
  name: 'express',
  start: async (options, messages, streamOptions) => {
    const app = express();
    app.use(otel(options));
    app.get('/events', (_req, res) => {
      res.set(EVENT_STREAM_HEADERS);
      // A client that leaves destroys the pipeline, which closes the messages' source.
      pipeline(Readable.from(eventStream(messages(), streamOptions)), res, () => {});
    });
    return listen(app);
  },
});
