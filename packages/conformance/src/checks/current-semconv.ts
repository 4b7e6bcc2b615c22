import { expect } from 'vitest';
import { requestWithMethod } from '../client.js';
import { ATTR } from '../semconv.js';
import type { Check } from './types.js';

/**
 * What the conventions added or sharpened up to the release the packages implement (see the
 * project's docs/semconv-audit.md): one check per observable row that no older check covers.
 */
export const CURRENT_SEMCONV_CHECKS: readonly Check[] = [
  {
    id: 'method.query',
    title: 'QUERY is a known method: http.request.method QUERY, no _original, named QUERY…',
    async run(t) {
      await requestWithMethod(t.url('/users/42'), 'QUERY');
      const span = await t.serverSpan();
      expect(span.attributes[ATTR.method]).toBe('QUERY');
      expect(span.attributes).not.toHaveProperty([ATTR.methodOriginal]);
      expect(span.name.split(' ')[0]).toBe('QUERY');
    },
  },
  {
    id: 'method.known-list-override',
    title: 'knownMethods replaces the default list: QUERY outside it is _OTHER',
    options: { knownMethods: ['GET', 'POST'] },
    async run(t) {
      await requestWithMethod(t.url('/users/42'), 'QUERY');
      const span = await t.serverSpan();
      expect(span.attributes[ATTR.method]).toBe('_OTHER');
      expect(span.attributes[ATTR.methodOriginal]).toBe('QUERY');
      expect(span.name.split(' ')[0]).toBe('HTTP');
    },
  },
];
