import { closeSync, constants, openSync, readSync } from 'node:fs';
import type { MeterProvider } from '@opentelemetry/api';
import { type AdjustableRatioSampler, parseRatioText, ratioProblem } from './adjustable-sampler.js';
import { describeError, logger } from './diag.js';
import type { SamplingControl, ShutdownSignal } from './options.js';
import { SCOPE_NAME, SCOPE_VERSION } from './version.js';

/** Name of the gauge of the ratio in effect. */
export const SAMPLING_RATIO_METRIC = 'otel_http.sampler.ratio';

/** Bytes read from a ratio file: one more than the longest ratio text, so that longer is refused. */
const RATIO_FILE_BYTES = 65;

/**
 * The ratio a ratio file holds, or why it holds none. At most {@link RATIO_FILE_BYTES} are read,
 * and the file is opened without blocking, so that a huge file, a device or a FIFO with no writer
 * cannot stall the process.
 */
export function readRatioFile(path: string): { ratio: number } | { problem: string } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    return { problem: `it cannot be opened (${describeError(error)})` };
  }
  try {
    const buffer = Buffer.alloc(RATIO_FILE_BYTES);
    const length = readSync(fd, buffer, 0, RATIO_FILE_BYTES, null);
    return parseRatioText(buffer.toString('utf8', 0, length));
  } catch (error) {
    return { problem: `it cannot be read (${describeError(error)})` };
  } finally {
    closeSync(fd);
  }
}

/**
 * The `sampling` of what `startTelemetry` returns. Without an adjustable sampler every change is
 * refused with a reason; an invalid ratio is refused and the ratio in effect kept.
 */
export function samplingControl(
  sampler: AdjustableRatioSampler | undefined,
  ratioFile?: string,
): SamplingControl {
  if (sampler === undefined) {
    const refuse = (what: string) => {
      logger.warn(
        `${what} refused: the sampler is not a ratio sampler (set samplingRatio or OTEL_TRACES_SAMPLER=parentbased_traceidratio to make it adjustable)`,
      );
      return false;
    };
    return {
      adjustable: false,
      ratio: undefined,
      setRatio: (ratio) => refuse(`sampling ratio ${String(ratio)}`),
      reload: () => refuse('sampling ratio reload'),
    };
  }
  const change = (ratio: number, from: string) => {
    const previous = sampler.ratio;
    sampler.setRatio(ratio);
    if (ratio !== previous)
      logger.info(`sampling ratio changed from ${previous} to ${ratio}${from}`);
  };
  return {
    adjustable: true,
    get ratio() {
      return sampler.ratio;
    },
    setRatio(ratio) {
      const problem = ratioProblem(ratio);
      if (problem !== undefined) {
        logger.warn(`sampling ratio refused, keeping ${sampler.ratio}: ${problem}`);
        return false;
      }
      change(ratio, '');
      return true;
    },
    reload() {
      if (ratioFile === undefined) {
        logger.warn(
          'sampling ratio reload refused: no ratio file is set (samplingRatioFile or OTEL_HTTP_SAMPLER_RATIO_FILE)',
        );
        return false;
      }
      const read = readRatioFile(ratioFile);
      if ('problem' in read) {
        logger.warn(
          `sampling ratio file ${ratioFile} ignored, keeping ${sampler.ratio}: ${read.problem}`,
        );
        return false;
      }
      change(read.ratio, ` (read from ${ratioFile})`);
      return true;
    },
  };
}

/**
 * Reloads the ratio file whenever `signal` arrives. Listening replaces the signal's default action
 * (ending the process), which is what an operator sending it to reload wants. Returns how to stop.
 */
export function reloadOnSignal(control: SamplingControl, signal: ShutdownSignal): () => void {
  const listener = () => {
    control.reload();
  };
  process.on(signal as NodeJS.Signals, listener);
  return () => {
    process.removeListener(signal as NodeJS.Signals, listener);
  };
}

/** Publishes the ratio in effect as a gauge, when there is one to publish. */
export function registerSamplingMetric(
  meterProvider: MeterProvider,
  sampler: AdjustableRatioSampler | undefined,
): void {
  if (sampler === undefined) return;
  const meter = meterProvider.getMeter(SCOPE_NAME, SCOPE_VERSION);
  meter
    .createObservableGauge(SAMPLING_RATIO_METRIC, {
      unit: '1',
      description:
        'Fraction of new (root) traces the sampler records; continued traces follow their parent.',
    })
    .addCallback((result) => result.observe(sampler.ratio));
}
