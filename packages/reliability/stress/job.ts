/**
 * One stress job, in a process of its own (so that memory figures are its own): reads the job from
 * STRESS_JOB, runs the scenario, prints one `RESULT <json>` line and exits.
 */
import { HEADER_CORPUS } from '../src/corpus.js';
import { runClientAborts } from '../src/scenarios/aborts.js';
import { runCardinalityAttack } from '../src/scenarios/cardinality.js';
import { runCollectorDown } from '../src/scenarios/collector-down.js';
import { malformedPathRequests, rejectingAsyncHooks } from '../src/scenarios/findings.js';
import { failures, runCorpusOverFetch, runCorpusOverHttp } from '../src/scenarios/header-corpus.js';
import { HTTP2_TARGETS, runHttp2Cancels } from '../src/scenarios/http2-cancels.js';
import { MISBEHAVIOURS, runMisbehaviour } from '../src/scenarios/misbehaving.js';
import { fuzzOverFetch, fuzzOverHttp } from '../src/scenarios/request-fuzz.js';
import { runSecondPass } from '../src/scenarios/second-pass.js';
import { runSecrets, SECRET_CONFIGURATIONS } from '../src/scenarios/secrets.js';
import { runSoak } from '../src/scenarios/soak.js';
import { runUntrustedEdge } from '../src/scenarios/untrusted-edge.js';
import { TARGETS, targetNamed } from '../src/targets.js';

interface Job {
  scenario: string;
  target: string;
  size: number;
  seed?: number;
}

const job = JSON.parse(process.env.STRESS_JOB ?? '{}') as Job;

async function run(): Promise<unknown> {
  switch (job.scenario) {
    case 'corpus': {
      const result = job.target.startsWith('fetch:')
        ? await runCorpusOverFetch(job.target.slice(6) as 'core' | 'hono', HEADER_CORPUS)
        : await runCorpusOverHttp(targetNamed(job.target), HEADER_CORPUS);
      return {
        ...result,
        results: undefined,
        cases: result.results.length,
        failures: failures(result),
      };
    }
    case 'fuzz':
      return job.target.startsWith('fetch:')
        ? fuzzOverFetch(job.target.slice(6) as 'core' | 'hono', { runs: job.size, seed: job.seed })
        : fuzzOverHttp(targetNamed(job.target), { runs: job.size, seed: job.seed });
    case 'cardinality':
      return runCardinalityAttack(targetNamed(job.target), {
        requests: job.size,
        checkpoint: 1_000,
        seed: job.seed,
        deadlineMs: 300_000,
      });
    case 'aborts':
      return runClientAborts(targetNamed(job.target), { requests: job.size, seed: job.seed });
    case 'collector-down':
      return runCollectorDown(targetNamed(job.target), { requests: job.size, deadlineMs: 600_000 });
    case 'soak':
      return runSoak(TARGETS, { durationMs: job.size, heapSamples: 12, concurrency: 8 });
    case 'secrets': {
      const results = [];
      for (const configuration of SECRET_CONFIGURATIONS)
        results.push(await runSecrets(targetNamed(job.target), configuration));
      return results;
    }
    case 'edge':
      return runUntrustedEdge(targetNamed(job.target), {
        trust: false,
        trustLabel: 'false',
        requests: job.size,
      });
    case 'misbehaving': {
      const results = [];
      for (const misbehaviour of MISBEHAVIOURS)
        results.push(await runMisbehaviour(targetNamed(job.target), misbehaviour));
      return results;
    }
    case 'finding-malformed-path':
      return malformedPathRequests(targetNamed(job.target), job.size);
    case 'finding-async-hooks':
      return rejectingAsyncHooks(targetNamed(job.target), job.size);
    case 'finding-second-pass':
      return runSecondPass(targetNamed(job.target), job.size);
    case 'http2-cancels': {
      const target = HTTP2_TARGETS.find((t) => t.name === job.target);
      if (target === undefined) throw new Error(`no HTTP/2 target ${job.target}`);
      return runHttp2Cancels(target, { requests: job.size, seed: job.seed });
    }
    default:
      throw new Error(`unknown scenario ${job.scenario}`);
  }
}

run().then(
  (result) => {
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
    // An exporter may still be retrying against a closed port: do not wait for it.
    process.exit(0);
  },
  (error: unknown) => {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
