import { Readable } from 'node:stream';
import Router from '@koa/router';
import { runEventStreamSuite } from '@otel-http/conformance';
import Koa from 'koa';
import { EVENT_STREAM_HEADERS, eventStream, otel } from '../src/index.js';
import { listen } from './server.js';

runEventStreamSuite({
  name: 'koa',
  start: async (options, messages, streamOptions) => {
    const app = new Koa();
    // Koa reports a stream body cut short by a client that left ("Premature close") to its
    // error log; the suite hangs up on purpose.
    app.silent = true;
    app.use(otel(options));
    const router = new Router();
    router.get('/events', (ctx) => {
      ctx.set(EVENT_STREAM_HEADERS);
      ctx.body = Readable.from(eventStream(messages(), streamOptions));
    });
    app.use(router.routes());
    return listen(app);
  },
});
