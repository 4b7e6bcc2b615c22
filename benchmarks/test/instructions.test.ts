// The pure parts of the instruction benchmark: reading callgrind's dump, the allocation sum, the
// per-request figures and ratios, the targets, and the regression gate's verdicts.

import { describe, expect, it } from 'vitest';
import { parseDumpTotal, V8_FLAGS, valgrindArgs } from '../src/instructions/callgrind.mjs';
import { type InstructionRun, inParallel } from '../src/instructions/measure.mjs';
import {
  cellRatios,
  compareWithBaseline,
  evaluateInstructionTargets,
  renderGate,
  renderInstructionsMarkdown,
  summariseInstructions,
} from '../src/instructions/report.mjs';
import { allocatedBytes, DUMP_MARKER, ZERO_MARKER } from '../src/server/window.mjs';

function run(
  framework: string,
  mode: string,
  perRequest: number,
  bytes = 1000,
  runIndex = 0,
): InstructionRun {
  return {
    framework,
    mode,
    run: runIndex,
    instructions: perRequest * 200,
    requests: 200,
    allocatedBytes: bytes * 200,
    gcCount: 1,
    node: 'v20.0.0',
  };
}

const matrix = [
  run('fastify', 'bare', 400_000, 10_000),
  run('fastify', 'metrics', 440_000, 12_000),
  run('fastify', 'otel-http', 600_000, 20_000),
  run('fastify', 'floor', 560_000, 18_000),
];

describe('parseDumpTotal', () => {
  it("reads the part's totals line, not the header's summary", () => {
    // The summary also counts what other threads ran before the window was zeroed.
    const dump =
      'version: 1\ncreator: callgrind-3.19.0\nevents: Ir\nsummary: 123456999\n\nfn=(1) main\n0 123456789\n\ntotals: 123456789\n';
    expect(parseDumpTotal(dump)).toBe(123_456_789);
  });

  it('throws on a file that is not a dump', () => {
    expect(() => parseDumpTotal('events: Ir\nsummary: 1\n')).toThrow(/totals/);
  });
});

describe('the callgrind command line', () => {
  it('zeroes and dumps on the markers, and starts uninstrumented', () => {
    expect(valgrindArgs('out.%p')).toEqual([
      '--tool=callgrind',
      '--instr-atstart=no',
      '--callgrind-out-file=out.%p',
      `--zero-before=${ZERO_MARKER}`,
      `--dump-before=${DUMP_MARKER}`,
    ]);
  });

  it('keeps V8 on one thread with fixed seeds and without the optimising compiler', () => {
    expect(V8_FLAGS).toEqual(
      expect.arrayContaining(['--single-threaded', '--no-opt', '--random-seed=1', '--expose-gc']),
    );
    expect(V8_FLAGS).not.toContain('--jitless');
  });
});

describe('allocatedBytes', () => {
  it('is heap growth plus what each collection freed', () => {
    expect(allocatedBytes(1000, 1500, [])).toBe(500);
    expect(
      allocatedBytes(1000, 1200, [
        { before: 5000, after: 800 },
        { before: 3000, after: 900 },
      ]),
    ).toBe(200 + 4200 + 2100);
  });
});

describe('inParallel', () => {
  it('keeps the order of the tasks and never runs more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const tasks = [30, 10, 20, 5, 15].map((ms, i) => async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, ms));
      running--;
      return i;
    });
    expect(await inParallel(tasks, 2)).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
  });
});

describe('summariseInstructions and cellRatios', () => {
  it('gives per-request medians and the spread over runs', () => {
    const [cell] = summariseInstructions(
      [
        run('koa', 'bare', 1000, 100, 0),
        run('koa', 'bare', 1010, 100, 1),
        run('koa', 'bare', 1005, 102, 2),
      ],
      ['koa'],
      ['bare'],
    );
    expect(cell).toMatchObject({ runs: 3, instructionsPerRequest: 1005, bytesPerRequest: 100 });
    expect(cell?.instructionsSpread).toBeCloseTo(10 / 1005, 10);
    expect(cell?.bytesSpread).toBeCloseTo(0.02, 10);
  });

  it('divides by bare and floor of the same framework', () => {
    const cells = summariseInstructions(
      matrix,
      ['fastify'],
      ['bare', 'metrics', 'otel-http', 'floor'],
    );
    const otel = cells.find((c) => c.mode === 'otel-http');
    if (otel === undefined) throw new Error('missing cell');
    const ratios = cellRatios(cells, otel);
    expect(ratios.vsBare).toBeCloseTo(1.5, 10);
    expect(ratios.vsFloor).toBeCloseTo(600 / 560, 10);
    expect(ratios.addedVsFloor).toBeCloseTo(200 / 160, 10);
    expect(ratios.bytesVsBare).toBeCloseTo(2, 10);
    const bare = cells.find((c) => c.mode === 'bare');
    if (bare === undefined) throw new Error('missing cell');
    expect(cellRatios(cells, bare).addedVsFloor).toBeUndefined();
  });
});

describe('evaluateInstructionTargets', () => {
  it('judges each mode against its limit, and leaves out what was not measured', () => {
    const cells = summariseInstructions(
      matrix,
      ['fastify'],
      ['bare', 'metrics', 'otel-http', 'floor'],
    );
    const byId = new Map(evaluateInstructionTargets(cells).map((row) => [row.target.id, row]));
    expect(byId.get('metrics-vs-bare')).toMatchObject({ met: false });
    expect(byId.get('metrics-vs-bare')?.value).toBeCloseTo(1.1, 10);
    expect(byId.get('metrics-vs-floor')).toMatchObject({ met: true });
    expect(byId.get('sampled-100-vs-floor')).toMatchObject({ met: false });
    expect(byId.get('sampled-10-vs-bare')).toMatchObject({ value: undefined, met: undefined });
  });
});

describe('compareWithBaseline', () => {
  const modes = ['bare', 'metrics', 'otel-http', 'floor'];
  const baseline = summariseInstructions(matrix, ['fastify'], modes);

  it('passes a run whose every cell moved alike (another machine or Node build)', () => {
    const slower = summariseInstructions(
      matrix.map((r) => ({ ...r, instructions: r.instructions * 1.3 })),
      ['fastify'],
      modes,
    );
    const rows = compareWithBaseline(baseline, slower, 0.02);
    expect(rows.some((r) => r.failed)).toBe(false);
    expect(rows.find((r) => r.mode === 'otel-http')?.change).toBeCloseTo(0.3, 10);
  });

  it('fails an otel-http mode that rose more than the threshold relative to bare, and says so', () => {
    const regressed = summariseInstructions(
      matrix.map((r) =>
        r.mode === 'otel-http' ? { ...r, instructions: r.instructions * 1.05 } : r,
      ),
      ['fastify'],
      modes,
    );
    const rows = compareWithBaseline(baseline, regressed, 0.02);
    expect(rows.filter((r) => r.failed).map((r) => r.mode)).toEqual(['otel-http']);
    const text = renderGate(rows, 0.02);
    expect(text).toContain('| fastify | otel-http | 600,000 | 630,000 | +5.00 % |');
    expect(text).toContain('Instruction gate FAILED: fastify otel-http (+5.00 %)');
  });

  it('does not judge bare or floor, and fails a gated cell the baseline lacks', () => {
    const current = summariseInstructions(
      [...matrix, run('express', 'bare', 1), run('express', 'otel-http', 2)],
      ['fastify', 'express'],
      modes,
    );
    const rows = compareWithBaseline(baseline, current, 0.02);
    expect(rows.find((r) => r.framework === 'fastify' && r.mode === 'floor')?.gated).toBe(false);
    expect(rows.filter((r) => r.failed).map((r) => `${r.framework} ${r.mode}`)).toEqual([
      'express otel-http',
    ]);
  });
});

describe('renderInstructionsMarkdown', () => {
  it('has one row per cell with its ratios, then the targets', () => {
    const cells = summariseInstructions(
      matrix,
      ['fastify'],
      ['bare', 'metrics', 'otel-http', 'floor'],
    );
    const text = renderInstructionsMarkdown({
      meta: {
        date: '2025-01-01T00:00:00.000Z',
        node: 'v20.0.0',
        valgrind: 'valgrind-3.19.0',
        v8Flags: ['--no-opt'],
        protocol: { warmup: 500, settle: 20, requests: 200, pauseMs: 20 },
        commit: 'abc1234',
        builtAt: 'then',
        cpuModel: 'a CPU',
        loadAverage: [0, 0, 0],
      },
      cells,
      runs: matrix,
    });
    expect(text).toContain(
      '| fastify | otel-http | 600,000 | 1.50× | 1.07× | 1.25× | 20,000 | 2.00× | 1.11× | – |',
    );
    expect(text).toContain(
      '| fastify | 100 %-sampled instructions per request ÷ bare | ≤ 1.11 | 1.50× | ❌ |',
    );
  });
});
