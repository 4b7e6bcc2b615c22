import { runHttp2Conformance, whenHttp2Listening } from '@otel-http/conformance';
import { standardApp } from './standard-app.js';

// Fastify's own `http2: true` server (with `https` for TLS), the standard route table unchanged.
runHttp2Conformance({
  name: 'fastify',
  start: async (options, tls) => {
    const app = await standardApp(options, { tls });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const server = await whenHttp2Listening(app.server as never);
    return {
      url: server.url,
      close: () => Promise.all([app.close(), server.close()]).then(() => {}),
    };
  },
});
