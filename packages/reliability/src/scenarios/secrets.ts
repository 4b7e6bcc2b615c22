/**
 * Secrets: requests carrying credentials in `Authorization`, `Proxy-Authorization`, `Cookie`, an
 * API-key header and signed-URL query parameters (also percent-encoded keys, and userinfo in an
 * absolute-form target). Every value is a fresh random token; none may appear anywhere in the
 * spans and metrics as the OTLP exporters serialize them (protobuf and JSON), nor in what the
 * diagnostic logger was told.
 */
import { randomBytes } from 'node:crypto';
import { DiagLogLevel } from '@opentelemetry/api';
import {
  JsonMetricsSerializer,
  JsonTraceSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import type { OtelHttpOptions } from '@otel-http/core';
import { rawExchange, rawRequest, send } from '../client.js';
import type { Target } from '../targets.js';
import { createTelemetry, recordDiagnostics } from '../telemetry.js';

const token = (label: string) => `${label}${randomBytes(12).toString('hex')}`;

/** The signed-URL parameters the semantic conventions list, each with its own secret. */
const SIGNED_URL_KEYS = [
  'AWSAccessKeyId',
  'Signature',
  'sig',
  'X-Goog-Signature',
  'X-Amz-Signature',
  'X-Amz-Credential',
  'X-Amz-Security-Token',
] as const;

export interface SecretsResult {
  target: string;
  configuration: string;
  requests: number;
  spans: number;
  secrets: number;
  /** `secret label → where it was found`; must be empty. */
  leaks: string[];
  /** Evidence that the requests were really recorded with their credentials redacted. */
  redactedQuery: boolean;
  redactedHeaders: boolean;
  serializedBytes: number;
}

/** Two configurations: the defaults, and every credential header listed for capture. */
export const SECRET_CONFIGURATIONS: ReadonlyArray<{ name: string; options: OtelHttpOptions }> = [
  { name: 'defaults', options: {} },
  {
    name: 'credential headers listed for capture',
    options: {
      captureRequestHeaders: [
        'authorization',
        'proxy-authorization',
        'cookie',
        'x-api-key',
        'user-agent',
      ],
      sensitiveHeaders: ['x-api-key'],
      semconvStability: 'dup',
    },
  },
];

export async function runSecrets(
  target: Target,
  configuration: (typeof SECRET_CONFIGURATIONS)[number],
): Promise<SecretsResult> {
  const telemetry = createTelemetry();
  const diagnostics = recordDiagnostics(DiagLogLevel.ALL);
  const server = await target.start({ ...telemetry.options, ...configuration.options });
  const secrets = new Map<string, string>();
  const secret = (label: string) => {
    const value = token(label);
    secrets.set(label, value);
    return value;
  };
  try {
    const bearer = secret('bearer');
    const basicPassword = secret('basic');
    const basic = Buffer.from(`alice:${basicPassword}`).toString('base64');
    secrets.set('basic-base64', basic);
    const proxyPassword = secret('proxy');
    const proxy = Buffer.from(`proxy:${proxyPassword}`).toString('base64');
    secrets.set('proxy-base64', proxy);
    const headers = {
      authorization: `Bearer ${bearer}`,
      'proxy-authorization': `Basic ${proxy}`,
      cookie: `session=${secret('cookie-session')}; csrf=${secret('cookie-csrf')}`,
      'x-api-key': secret('api-key'),
    };
    const signed = SIGNED_URL_KEYS.map((key) => `${key}=${secret(`query-${key}`)}`).join('&');
    const encodedKey = `%73ig=${secret('query-encoded-sig')}`;
    const paths = [
      `/users/1?${signed}&page=2`,
      `/users/2?page=1&${encodedKey}`,
      `/stream?${signed}`,
      `/no-such-route?${signed}`,
    ];
    let requests = 0;
    for (const path of paths) {
      await send(server.url + path, { headers: { ...headers, cookie: headers.cookie } });
      await send(server.url + path, { headers: { authorization: `Basic ${basic}` } });
      requests += 2;
    }
    // Absolute-form target with userinfo, as a proxy-style client sends it.
    const userinfo = secret('userinfo');
    const absolute = `http://bob:${userinfo}@127.0.0.1:${server.port}/users/3?sig=${secret('absolute-sig')}`;
    await rawExchange(
      server.port,
      rawRequest('GET', absolute, [['authorization', `Bearer ${bearer}`]]),
    );
    requests++;

    const spans = await telemetry.waitForSpans(requests);
    const metrics = await telemetry.collect();
    const exports: Array<[string, Uint8Array | undefined]> = [
      ['OTLP protobuf spans', ProtobufTraceSerializer.serializeRequest(spans)],
      ['OTLP JSON spans', JsonTraceSerializer.serializeRequest(spans)],
      ['OTLP protobuf metrics', ProtobufMetricsSerializer.serializeRequest(metrics)],
      ['OTLP JSON metrics', JsonMetricsSerializer.serializeRequest(metrics)],
      ['diagnostic log', Buffer.from(JSON.stringify(diagnostics.logger.messages))],
    ];
    const leaks: string[] = [];
    for (const [where, bytes] of exports) {
      const buffer = Buffer.from(bytes ?? new Uint8Array());
      for (const [label, value] of secrets) {
        if (buffer.includes(Buffer.from(value))) leaks.push(`${label} in ${where}`);
      }
    }
    const queries = spans.map((span) => String(span.attributes['url.query'] ?? ''));
    const captured = spans.map((span) => span.attributes['http.request.header.authorization']);
    return {
      target: target.name,
      configuration: configuration.name,
      requests,
      spans: spans.length,
      secrets: secrets.size,
      leaks,
      redactedQuery:
        queries.some((q) => q.includes('X-Amz-Signature=REDACTED')) &&
        queries.some((q) => q.includes('%73ig=REDACTED')),
      redactedHeaders: configuration.options.captureRequestHeaders
        ? captured.every(
            (value) => Array.isArray(value) && value.length === 1 && value[0] === 'REDACTED',
          )
        : captured.every((value) => value === undefined),
      serializedBytes: exports.reduce((sum, [, bytes]) => sum + (bytes?.byteLength ?? 0), 0),
    };
  } finally {
    diagnostics.restore();
    await server.close();
    await telemetry.shutdown();
  }
}
