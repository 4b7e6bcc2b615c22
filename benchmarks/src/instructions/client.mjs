// The load side of an instruction count: one keep-alive connection, one request at a time, each
// sent when the previous response has been read in full. The server then sees the same bytes in
// the same order on every run, which a concurrent load generator cannot promise. It runs in the
// harness's process, outside callgrind.

import http from 'node:http';

/**
 * Sends `count` sequential GET requests over one keep-alive connection; resolves when the last
 * response has been read. Rejects on the first non-2xx answer. With `pauseMs`, each request waits
 * that long after the previous response: the server has then finished with the previous request
 * and waits in epoll when the next one arrives, rather than reading it in the same event loop
 * iteration sometimes and in the next one at other times, as the machine's load decides.
 *
 * @param {{ port: number, path: string, count: number, agent: http.Agent, pauseMs?: number }} options
 */
export async function sendRequests({ port, path, count, agent, pauseMs = 0 }) {
  for (let i = 0; i < count; i++) {
    if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    await new Promise((resolve, reject) => {
      const request = http.get({ host: '127.0.0.1', port, path, agent }, (response) => {
        response.resume();
        response.once('end', () => {
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(undefined);
          else reject(new Error(`GET ${path} answered ${status}`));
        });
        response.once('error', reject);
      });
      request.once('error', reject);
    });
  }
}

/** One connection, kept open between requests and between the warm-up and the measured ones. */
export function keepAliveAgent() {
  return new http.Agent({ keepAlive: true, maxSockets: 1 });
}
