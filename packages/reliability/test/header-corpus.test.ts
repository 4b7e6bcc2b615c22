import { describe, expect, it } from 'vitest';
import { HEADER_CORPUS } from '../src/corpus.js';
import { failures, runCorpusOverFetch, runCorpusOverHttp } from '../src/scenarios/header-corpus.js';
import { TARGETS } from '../src/targets.js';

describe('the traceparent / tracestate / baggage corpus', () => {
  it('has at least 100 cases with distinct names', () => {
    expect(HEADER_CORPUS.length).toBeGreaterThanOrEqual(100);
    expect(new Set(HEADER_CORPUS.map((c) => c.id)).size).toBe(HEADER_CORPUS.length);
  });

  it.each(TARGETS.map((t) => [t.name, t] as const))(
    'over raw HTTP/1.1 to %s: every request answered, every rule kept',
    async (_name, target) => {
      const result = await runCorpusOverHttp(target, HEADER_CORPUS);
      expect(failures(result)).toEqual([]);
      expect(result.results).toHaveLength(HEADER_CORPUS.length);
      expect(result.serverAlive).toBe(true);
    },
  );

  it.each(['core', 'hono'] as const)(
    'through the Fetch API (%s): every rule kept',
    async (kind) => {
      const result = await runCorpusOverFetch(kind, HEADER_CORPUS);
      expect(failures(result)).toEqual([]);
      const sendable = HEADER_CORPUS.filter((c) => c.rejectedByNode === undefined).length;
      expect(result.results.length + result.refusedBeforeApp).toBe(sendable);
      expect(result.results.length).toBeGreaterThanOrEqual(100);
    },
  );
});
