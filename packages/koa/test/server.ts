import { type ConformanceServer, whenListening } from '@otel-http/conformance';
import type Koa from 'koa';

/** Listens on 127.0.0.1, port 0; `close` also drops kept-alive connections. */
export function listen(app: Koa): Promise<ConformanceServer> {
  return whenListening(app.listen(0, '127.0.0.1'));
}
