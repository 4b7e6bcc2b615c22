/**
 * The four services of the chain, each on another framework, and how they find each other:
 *
 *   client → gateway (Hono) → orders (Express) → pricing (Fastify) → inventory (Koa)
 *
 * Listed from the end of the chain to its entry, the order they are started in, so that each one
 * is given the address of the next.
 */

/**
 * @typedef {object} ChainService
 * @property {string} name - `service.name` of its telemetry.
 * @property {string} framework - The framework it runs on.
 * @property {string} script - Its file in `src/`.
 * @property {number} port - Default HTTP port (`PORT` wins).
 * @property {number} metricsPort - Default Prometheus port (`OTEL_EXPORTER_PROMETHEUS_PORT` wins).
 * @property {string} urlVariable - Variable that gives its address to the service calling it.
 */

/** @type {readonly ChainService[]} */
export const CHAIN = [
  {
    name: 'inventory',
    framework: 'koa',
    script: 'inventory.js',
    port: 4003,
    metricsPort: 9473,
    urlVariable: 'INVENTORY_URL',
  },
  {
    name: 'pricing',
    framework: 'fastify',
    script: 'pricing.js',
    port: 4002,
    metricsPort: 9472,
    urlVariable: 'PRICING_URL',
  },
  {
    name: 'orders',
    framework: 'express',
    script: 'orders.js',
    port: 4001,
    metricsPort: 9471,
    urlVariable: 'ORDERS_URL',
  },
  {
    name: 'gateway',
    framework: 'hono',
    script: 'gateway.js',
    port: 4000,
    metricsPort: 9470,
    urlVariable: 'GATEWAY_URL',
  },
];

/**
 * The Go hop (`examples/go`, `cmd/storefront`, on Gin), between the gateway and orders when a Go
 * toolchain is there: client → gateway (Hono) → storefront (Gin) → orders (Express) → … The
 * gateway calls it instead of orders when `STOREFRONT_URL` is set.
 */
export const GO_HOP = {
  name: 'storefront',
  framework: 'gin',
  program: 'storefront',
  port: 4005,
  metricsPort: 9475,
  urlVariable: 'STOREFRONT_URL',
  calls: 'orders',
};

/** The baggage member the chain carries; every service copies it onto its SERVER span. */
export const TENANT_KEY = 'shop.tenant';

/** `service.namespace` of the four services. */
export const NAMESPACE = 'shop-distributed';

/** The request that goes through all four services; order 2 has two products. */
export const ENTRY_PATH = '/api/orders/2';

/** The service called `name`. */
export function chainService(name) {
  const service = CHAIN.find((candidate) => candidate.name === name);
  if (service === undefined) throw new Error(`no service ${name} in the chain`);
  return service;
}
