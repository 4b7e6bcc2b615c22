import type { Attributes } from '@opentelemetry/api';
import type { CheckTelemetry } from '@otel-http/conformance';

/** Polls `condition` every 10 ms, at most `tries` times; resolves with its last value. */
export async function eventually(condition: () => boolean, tries = 300): Promise<boolean> {
  for (let i = 0; i < tries && !condition(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return condition();
}

/** The duration histogram's series: one entry per attribute set, with its count. */
export async function durationSeries(
  telemetry: CheckTelemetry,
): Promise<Array<{ attributes: Attributes; count: number }>> {
  const points = await telemetry.histogram('http.server.request.duration');
  return points.map((point) => ({ attributes: point.attributes, count: point.value.count }));
}
