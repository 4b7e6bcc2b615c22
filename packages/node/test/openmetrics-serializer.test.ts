// The OpenMetrics serializer against the SDK's Prometheus text serializer on the same collection:
// every sample the text format has, named and labelled the same, also for hostile label values and
// descriptions, counters and gauges of the user's beside the RED metrics, and two scopes sharing a
// metric name (one family in OpenMetrics).
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { serializeOpenMetrics } from '../src/openmetrics.js';

class Reader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** name{sorted labels} → value, from either format (exemplars and comments left out). */
function samples(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*?(?<!\\)\})? (\S+)/.exec(line);
    if (!match) throw new Error(`not a sample: ${line}`);
    const labels = [...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)]
      .map(([, k, v]) => `${k}=${v}`)
      .sort();
    out.set(`${match[1]}{${labels.join(',')}}`, match[3] as string);
  }
  return out;
}

describe('serializeOpenMetrics', () => {
  it('the samples of the SDK text output, for hostile values too, and one family per name', async () => {
    const reader = new Reader();
    const provider = new MeterProvider({ readers: [reader] });
    const app = provider.getMeter('app', '1.0.0');
    const other = provider.getMeter('other');
    app
      .createCounter('orders.placed', { description: 'Orders "placed"\nper shop \\ region' })
      .add(3, { shop: 'a"b\\c\nd', 'weird.key-name': 'é ✓' });
    app.createCounter('jobs_total').add(2);
    app.createUpDownCounter('queue.depth').add(-4, { queue: 'q' });
    app.createGauge('temperature').record(21.5, { room: 'x' });
    app
      .createHistogram('payload', { advice: { explicitBucketBoundaries: [1, 10] } })
      .record(5, { kind: 'k' });
    app.createHistogram('payload.inf').record(Number.POSITIVE_INFINITY);
    // The same name in another scope: one OpenMetrics family with both scopes' samples.
    other.createCounter('orders.placed').add(1);
    const { resourceMetrics } = await reader.collect();

    const text = new PrometheusSerializer().serialize(resourceMetrics);
    const open = serializeOpenMetrics(resourceMetrics);
    expect(samples(open)).toEqual(samples(text));
    expect(open.endsWith('# EOF\n')).toBe(true);
    // Counters are families without `_total`; one TYPE line per family.
    expect(open).toContain('# TYPE orders_placed counter\n');
    expect(open.match(/^# TYPE orders_placed /gm)).toHaveLength(1);
    expect(open).toContain('# TYPE jobs counter\n');
    expect(open).toContain('# TYPE queue_depth gauge\n');
    expect(open).toContain('# TYPE payload histogram\n');
    // Escaped as OpenMetrics wants: HELP with \" \\ \n; label values likewise.
    expect(open).toContain('# HELP orders_placed Orders \\"placed\\"\\nper shop \\\\ region\n');
    expect(open).toContain('shop="a\\"b\\\\c\\nd"');
    // Each sample line is one line: nothing broke the format.
    for (const line of open.trimEnd().split('\n')) {
      expect(line).toMatch(/^(# (TYPE|HELP|EOF)|[a-zA-Z_:][a-zA-Z0-9_:]*[{ ])/);
    }
  });

  it('an empty collection is the resource and # EOF', async () => {
    const reader = new Reader();
    new MeterProvider({ readers: [reader] });
    const { resourceMetrics } = await reader.collect();
    const open = serializeOpenMetrics(resourceMetrics);
    expect(open).toMatch(
      /^# TYPE target info\n# HELP target Target metadata\ntarget_info\{.*\} 1\n# EOF\n$/,
    );
  });
});
