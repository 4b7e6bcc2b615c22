import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { MetricProducer, MetricReader } from '@opentelemetry/sdk-metrics';
import { describeError, logger } from './diag.js';
import {
  OPENMETRICS_CONTENT_TYPE,
  prefersOpenMetrics,
  serializeOpenMetrics,
} from './openmetrics.js';

/** Where the endpoint listens. */
export interface PrometheusEndpointOptions {
  host: string | undefined;
  port: number;
  path: string;
  /** Producers whose metrics the endpoint serves beside the SDK's (otel-http's RED metrics). */
  metricProducers?: MetricProducer[];
}

/**
 * The Prometheus scrape endpoint: the SDK's Prometheus reader, served by a server of our own so
 * that port `0` works, the bound address is known, and a port already in use is reported instead of
 * crashing the application. The server does not keep the process alive. A scraper that prefers
 * OpenMetrics (Prometheus does) gets the same series as OpenMetrics 1.0, with exemplars.
 */
export class PrometheusEndpoint {
  /** The metric reader to give the meter provider. */
  readonly reader: MetricReader;
  /** Resolves with the scrape URL once listening, or `undefined` if listening failed (reported). */
  readonly url: Promise<string | undefined>;
  private readonly exporter: PrometheusExporter;
  private readonly server: Server;
  private readonly path: string;

  constructor(options: PrometheusEndpointOptions) {
    this.path = options.path;
    this.exporter = new PrometheusExporter({
      preventServerStart: true,
      endpoint: options.path,
      ...(options.metricProducers && { metricProducers: options.metricProducers }),
    });
    this.reader = this.exporter;
    this.server = createServer((request, response) => this.handle(request, response));
    this.server.unref();
    this.url = new Promise((resolve) => {
      const onError = (error: Error) => {
        logger.error(
          `the Prometheus endpoint could not listen on ${options.host ?? '*'}:${options.port}: ` +
            `${describeError(error)}. Metrics are still recorded but not served.`,
        );
        resolve(undefined);
      };
      this.server.once('error', onError);
      this.server.listen({ host: options.host, port: options.port }, () => {
        this.server.off('error', onError);
        // A server error after listening (rare) must not become an uncaught exception in the app.
        this.server.on('error', (error) =>
          logger.error(`Prometheus endpoint error: ${describeError(error)}`),
        );
        resolve(this.urlOf(this.server.address() as AddressInfo, options.host));
      });
    });
  }

  /** Stops serving (open scrape connections are closed). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) {
        resolve();
        return;
      }
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const target = request.url ?? '/';
    const queryAt = target.indexOf('?');
    const path = queryAt === -1 ? target : target.slice(0, queryAt);
    if (path !== this.path) {
      response.statusCode = 404;
      response.end();
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.statusCode = 405;
      response.setHeader('allow', 'GET, HEAD');
      response.end();
      return;
    }
    if (prefersOpenMetrics(request.headers.accept)) {
      this.serveOpenMetrics(response);
      return;
    }
    this.exporter.getMetricsRequestHandler(request, response);
  }

  /** The same collection as the SDK's text output, as OpenMetrics 1.0 with exemplars. */
  private serveOpenMetrics(response: ServerResponse): void {
    this.exporter.collect().then(
      ({ resourceMetrics, errors }) => {
        if (errors.length > 0) logger.error('Prometheus endpoint: collection errors', ...errors);
        response.statusCode = 200;
        response.setHeader('content-type', OPENMETRICS_CONTENT_TYPE);
        response.end(serializeOpenMetrics(resourceMetrics));
      },
      (error: unknown) => {
        logger.error(`Prometheus endpoint: collecting the metrics failed: ${describeError(error)}`);
        response.statusCode = 500;
        response.end();
      },
    );
  }

  private urlOf(address: AddressInfo, host: string | undefined): string {
    const wildcard =
      host === undefined || address.address === '::' || address.address === '0.0.0.0';
    const shown = wildcard
      ? 'localhost'
      : address.family === 'IPv6'
        ? `[${address.address}]`
        : address.address;
    return `http://${shown}:${address.port}${this.path}`;
  }
}
