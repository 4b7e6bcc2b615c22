import type { Attributes, MeterProvider } from '@opentelemetry/api';
import type { BoundedBatchSpanProcessor } from './bounded-span-processor.js';
import { SCOPE_NAME, SCOPE_VERSION } from './version.js';

/**
 * Publishes the span queues' counters as the SDK self-observability metric
 * `otel.sdk.processor.span.processed` (`error.type=queue_full` for drops), so that dropped spans
 * show up next to the application's metrics, e.g. on the Prometheus endpoint.
 */
export function registerQueueMetrics(
  meterProvider: MeterProvider,
  queues: readonly BoundedBatchSpanProcessor[],
): void {
  if (queues.length === 0) return;
  const meter = meterProvider.getMeter(SCOPE_NAME, SCOPE_VERSION);
  const processed = meter.createObservableCounter('otel.sdk.processor.span.processed', {
    unit: '{span}',
    description: 'Spans for which processing finished, exported or not.',
  });
  const attributes = queues.map((_, index) => {
    const base: Attributes = {
      'otel.component.type': 'batching_span_processor',
      'otel.component.name': `batching_span_processor/${index}`,
    };
    return {
      exported: base,
      dropped: { ...base, 'error.type': 'queue_full' },
      failed: { ...base, 'error.type': 'export_failed' },
    };
  });
  processed.addCallback((result) => {
    queues.forEach((queue, index) => {
      const stats = queue.stats();
      const sets = attributes[index];
      if (sets === undefined) return;
      result.observe(stats.exported, sets.exported);
      if (stats.dropped > 0) result.observe(stats.dropped, sets.dropped);
      if (stats.failed > 0) result.observe(stats.failed, sets.failed);
    });
  });
}
