import { ATTRIBUTE_CHECKS } from './attributes.js';
import { CURRENT_SEMCONV_CHECKS } from './current-semconv.js';
import { METRIC_CHECKS } from './metrics.js';
import { OPTION_CHECKS } from './options.js';
import { PROPAGATION_CHECKS } from './propagation.js';
import { ROUTING_CHECKS } from './routing.js';
import { STREAMING_CHECKS } from './streaming.js';
import type { Check } from './types.js';

/** Every check, in the order of the results table. */
export const CHECKS: readonly Check[] = [
  ...ROUTING_CHECKS,
  ...ATTRIBUTE_CHECKS,
  ...PROPAGATION_CHECKS,
  ...STREAMING_CHECKS,
  ...METRIC_CHECKS,
  ...OPTION_CHECKS,
  ...CURRENT_SEMCONV_CHECKS,
];
