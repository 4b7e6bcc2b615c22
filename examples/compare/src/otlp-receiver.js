/**
 * A loopback OTLP/HTTP receiver: the services send their spans here (`OTEL_TRACES_EXPORTER=otlp`,
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=<url>/v1/traces`), and the comparison reads them in-process.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { decodeTraceRequest } from './otlp-protobuf.js';

/** Largest request body accepted; an export batch of the services is far smaller. */
const MAX_BODY = 16 * 1024 * 1024;

/**
 * Starts the receiver on `127.0.0.1` and a free port.
 *
 * @returns `{ tracesUrl, spans, close }`: the URL to export to, the spans received so far (an
 *   array that grows), and `close()`.
 */
export async function startOtlpReceiver() {
  const spans = [];
  const problems = [];
  const server = createServer(async (request, response) => {
    try {
      const body = await readBody(request);
      if (request.method !== 'POST') return answer(response, 405);
      if (request.url === '/v1/traces') {
        const bytes = request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
        if (!String(request.headers['content-type']).includes('protobuf')) {
          problems.push(`unexpected content-type ${request.headers['content-type']}`);
          return answer(response, 415);
        }
        spans.push(...decodeTraceRequest(bytes));
        return answer(response, 200);
      }
      // Metrics are scraped from each service's Prometheus endpoint; accept and drop any others.
      if (request.url === '/v1/metrics' || request.url === '/v1/logs') return answer(response, 200);
      return answer(response, 404);
    } catch (error) {
      problems.push(error.message);
      return answer(response, 400);
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    tracesUrl: `http://127.0.0.1:${server.address().port}/v1/traces`,
    spans,
    problems,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

async function readBody(request) {
  const chunks = [];
  let size = 0;
  for await (const chunk of request) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function answer(response, status) {
  // An empty ExportTraceServiceResponse: full success.
  response.writeHead(status, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
  response.end();
}
