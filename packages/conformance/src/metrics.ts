import type { Attributes } from '@opentelemetry/api';
import type { DataPoint, Histogram, MetricData, ResourceMetrics } from '@opentelemetry/sdk-metrics';

/** The metric named `name` across all scopes, or `undefined` when nothing was recorded for it. */
export function findMetric(metrics: ResourceMetrics, name: string): MetricData | undefined {
  for (const scope of metrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name === name) return metric;
    }
  }
  return undefined;
}

/** The histogram data points of `name` (empty when the metric is absent). */
export function histogramPoints(metrics: ResourceMetrics, name: string): DataPoint<Histogram>[] {
  const metric = findMetric(metrics, name);
  if (!metric) return [];
  return (metric.dataPoints as DataPoint<unknown>[]).filter(
    (point): point is DataPoint<Histogram> =>
      typeof point.value === 'object' && point.value !== null && 'buckets' in point.value,
  );
}

/** The sum / up-down-counter data points of `name` (empty when the metric is absent). */
export function sumPoints(metrics: ResourceMetrics, name: string): DataPoint<number>[] {
  const metric = findMetric(metrics, name);
  if (!metric) return [];
  return (metric.dataPoints as DataPoint<unknown>[]).filter(
    (point): point is DataPoint<number> => typeof point.value === 'number',
  );
}

/** Total number of measurements in the histogram `name`, over all its series. */
export function histogramCount(metrics: ResourceMetrics, name: string): number {
  return histogramPoints(metrics, name).reduce((total, point) => total + point.value.count, 0);
}

/** Sum of all series of the up-down counter `name` (0 when absent). */
export function sumTotal(metrics: ResourceMetrics, name: string): number {
  return sumPoints(metrics, name).reduce((total, point) => total + point.value, 0);
}

/** The attribute keys of a data point, sorted, for readable assertion messages. */
export function attributeKeys(attributes: Attributes): string[] {
  return Object.keys(attributes).sort();
}
