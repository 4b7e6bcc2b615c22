import { describe, expect, it } from 'vitest';
import { HTTP2_TARGETS, runHttp2Cancels } from '../src/scenarios/http2-cancels.js';

describe('HTTP/2 cancellations: 400 streams over 4 sessions, RST_STREAM at random points', () => {
  it.each(HTTP2_TARGETS.map((t) => [t.name, t] as const))(
    '%s: exactly one span per stream, aborted when cancelled, the status only when sent',
    async (_name, target) => {
      const result = await runHttp2Cancels(target, { requests: 400, seed: 13 });
      expect(Math.min(...Object.values(result.byPoint))).toBeGreaterThan(60);
      expect(result.spansEnded).toBe(400);
      expect(result.wrongOutcome).toEqual([]);
      expect(result.wrongStatus).toEqual([]);
      expect(result.wrongRoute).toEqual([]);
      expect(result.durationCount).toBe(400);
      expect(result.activeRequestsAtEnd).toBe(0);
    },
  );
});
