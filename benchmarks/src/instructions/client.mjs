// The load side of an instruction count: one keep-alive connection, one request at a time, each
// sent when the previous response has been read in full. The server then sees the same bytes in
// the same order on every run, which a concurrent load generator cannot promise. It runs in the
// harness's process, outside callgrind.

import http from 'node:http';

/**
 * Sends `count` sequential GET requests over one keep-alive connection; resolves when the last
 * response has been read. Rejects on the first non-2xx answer.
 *
 * @param {{ port: number, path: string, count: number, agent: http.Agent }} options
 */
export async function sendRequests({ port, path, count, agent }) {
  for (let i = 0; i < count; i++) {
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
