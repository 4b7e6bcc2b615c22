import http2 from 'node:http2';
import { runHttp2Conformance, whenHttp2Listening } from '@otel-http/conformance';
import { standardApp } from './standard-app.js';

// Koa's request handler on Node's HTTP/2 servers (compatibility API), cleartext and TLS.
runHttp2Conformance({
  name: 'koa',
  start: async (options, tls) => {
    const handler = standardApp(options).callback();
    const server = tls ? http2.createSecureServer(tls, handler) : http2.createServer(handler);
    return whenHttp2Listening(server.listen(0, '127.0.0.1'));
  },
});
