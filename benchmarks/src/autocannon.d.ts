// The part of autocannon's programmatic API the load generator uses (it ships no types).
declare module 'autocannon' {
  interface Options {
    url: string;
    connections?: number;
    pipelining?: number;
    /** Seconds. */
    duration?: number;
    /** Milliseconds between samples; the run ends at the first sample after `duration`. */
    sampleInt?: number;
  }

  interface Histogram {
    average: number;
    p50: number;
    p99: number;
  }

  interface Result {
    '2xx': number;
    non2xx: number;
    errors: number;
    timeouts: number;
    /** Seconds. */
    duration: number;
    /** Milliseconds. */
    latency: Histogram;
  }

  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
