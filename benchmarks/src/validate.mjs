// Which runs count. A run that saw errors or non-2xx responses measured something other than the
// route, and a traced mode that exported no spans did not measure its instrumentation: both are
// rejected rather than averaged in.

import { MODE_TRAITS } from './matrix.mjs';

/**
 * What the validation needs to know about a run.
 *
 * @typedef {Pick<import('./stats.mjs').Run,
 *   'mode' | 'requests' | 'errors' | 'non2xx' | 'handled' | 'spans' | 'durationPoints'>} RunEvidence
 */

/**
 * Why a run must not count; an empty list when it is valid.
 *
 * `inFlight` is how many requests may straddle the window's edges (the load generator's
 * connections): a request answered just before the window opened may end its span just after.
 *
 * @param {RunEvidence} run
 * @param {number} inFlight
 * @returns {string[]}
 */
export function rejectionReasons(run, inFlight) {
  /** @type {string[]} */
  const reasons = [];
  if (run.errors > 0) reasons.push(`${run.errors} connection errors or timeouts`);
  if (run.non2xx > 0) reasons.push(`${run.non2xx} responses outside 2xx`);
  if (run.requests === 0) reasons.push('no successful response');
  if (run.handled < run.requests) {
    reasons.push(
      `the route answered ${run.handled} requests but ${run.requests} responses arrived`,
    );
  }

  const traits = MODE_TRAITS[run.mode];
  const served = run.handled;
  const near = (/** @type {number} */ value, /** @type {number} */ expected) =>
    Math.abs(value - expected) <= inFlight;

  if (traits.sampleRatio === 0 && run.spans.server > 0) {
    reasons.push(`${run.spans.server} SERVER spans exported by a mode that does not trace`);
  } else if (traits.sampleRatio === 1 && !near(run.spans.server, served)) {
    reasons.push(`${run.spans.server} SERVER spans exported for ${served} requests`);
  } else if (traits.sampleRatio > 0 && traits.sampleRatio < 1) {
    const expected = served * traits.sampleRatio;
    // Below ~20 expected spans, zero is a plausible draw; above, it means nothing was exported.
    if (expected >= 20 && run.spans.server === 0) {
      reasons.push(
        `no SERVER span exported for ${served} requests sampled at ${traits.sampleRatio}`,
      );
    } else if (expected >= 1000 && Math.abs(run.spans.server - expected) > expected / 2) {
      reasons.push(
        `${run.spans.server} SERVER spans exported for ${served} requests sampled at ${traits.sampleRatio}`,
      );
    }
  }

  if (traits.metrics && !near(run.durationPoints, served)) {
    reasons.push(`the duration histogram counted ${run.durationPoints} of ${served} requests`);
  } else if (!traits.metrics && run.durationPoints > 0) {
    reasons.push(
      `the duration histogram counted ${run.durationPoints} requests in a mode without metrics`,
    );
  }
  return reasons;
}
