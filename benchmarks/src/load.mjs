// The load generator: a long-lived process (pinned to its own core by the harness) that runs one
// autocannon job per IPC message and answers with the figures the harness keeps, plus its own CPU
// time, so the harness can tell how busy the rest of the machine was.

import autocannon from 'autocannon';

/**
 * @typedef {object} LoadJob
 * @property {'run'} type
 * @property {string} url
 * @property {number} connections
 * @property {number} durationSeconds Whole seconds; autocannon stops at a sampling tick.
 */

/**
 * @typedef {object} LoadResult
 * @property {'result'} type
 * @property {number} requests 2xx responses received.
 * @property {number} durationSeconds
 * @property {number} errors Connection errors plus timeouts.
 * @property {number} non2xx
 * @property {number} latencyP50Ms
 * @property {number} latencyP99Ms
 * @property {number} cpuMicros This process's CPU time during the job.
 */

/**
 * @param {LoadJob} job
 * @returns {Promise<LoadResult>}
 */
async function run(job) {
  const cpuBefore = process.cpuUsage();
  const result = await autocannon({
    url: job.url,
    connections: job.connections,
    pipelining: 1,
    duration: job.durationSeconds,
    // Check for the end every 100 ms rather than every second.
    sampleInt: 100,
  });
  const cpu = process.cpuUsage(cpuBefore);
  return {
    type: 'result',
    requests: result['2xx'],
    durationSeconds: result.duration,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    cpuMicros: cpu.user + cpu.system,
  };
}

if (process.send === undefined) {
  console.error('load.mjs runs under the benchmark harness, with an IPC channel');
  process.exit(2);
}
const send = process.send.bind(process);
process.on('message', async (/** @type {LoadJob} */ job) => {
  if (job.type === 'run') send(await run(job));
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
