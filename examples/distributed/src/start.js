// Starts the four services of the chain, each in its own process on its default port (or the one
// PORT_<NAME> gives, e.g. PORT_GATEWAY=5000), prints their output prefixed with their name, and
// stops them all on Ctrl-C. OTEL_* variables are passed on, so
// `OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 pnpm start` sends the trace to a collector.
import { fileURLToPath } from 'node:url';
import { CHAIN, ENTRY_PATH } from './chain.js';
import { launch } from './launch.js';

const running = [];
const stopAll = async () => {
  await Promise.all(running.map((service) => service.stop()));
  process.exit(0);
};
process.once('SIGINT', stopAll);
process.once('SIGTERM', stopAll);

const addresses = {};
try {
  for (const { name, script, port, urlVariable } of CHAIN) {
    const service = await launch({
      script: fileURLToPath(new URL(script, import.meta.url)),
      env: {
        ...process.env,
        ...addresses,
        PORT: process.env[`PORT_${name.toUpperCase()}`] ?? String(port),
      },
      onLine: (line) => console.log(`[${name.padEnd(9)}] ${line}`),
    });
    running.push(service);
    addresses[urlVariable] = service.url;
  }
} catch (error) {
  console.error(error.message);
  await Promise.all(running.map((service) => service.stop()));
  process.exit(1);
}

console.log(`\nOne request through all four services: curl ${addresses.GATEWAY_URL}${ENTRY_PATH}`);
console.log('Ctrl-C stops them.\n');
