/** How one check ended. `exception` = failed, but the harness lists it as a known exception. */
export type CheckOutcome = 'pass' | 'fail' | 'exception' | 'not run';

interface Row {
  readonly id: string;
  outcome: CheckOutcome | 'running';
  note: string | undefined;
}

/**
 * The results of one adapter's run, in check order, printed the same way for every adapter so
 * that tables can be compared side by side.
 */
export class ResultsTable {
  readonly #rows = new Map<string, Row>();

  /** @param adapter - The name printed in the table's title line. */
  constructor(readonly adapter: string) {}

  /** Declares a check (in table order); it shows as `not run` until it reports. */
  declare(id: string): void {
    if (this.#rows.has(id)) throw new Error(`duplicate check id ${id}`);
    this.#rows.set(id, { id, outcome: 'not run', note: undefined });
  }

  /** Marks a check as started: if it never reports (a timeout), it counts as failed. */
  start(id: string): void {
    this.#row(id).outcome = 'running';
  }

  /** Records how a check ended, with an optional one-line note (e.g. an exception's reason). */
  report(id: string, outcome: CheckOutcome, note?: string): void {
    const row = this.#row(id);
    row.outcome = outcome;
    row.note = note;
  }

  /** The outcome of every declared check; a check still running counts as `fail`. */
  outcomes(): Array<{ id: string; outcome: CheckOutcome; note: string | undefined }> {
    return [...this.#rows.values()].map(({ id, outcome, note }) => ({
      id,
      outcome: outcome === 'running' ? 'fail' : outcome,
      note: outcome === 'running' ? 'did not finish' : note,
    }));
  }

  /** The table as text: one line per check, then a summary line with the counts. */
  format(): string {
    const rows = this.outcomes();
    const width = Math.max('check'.length, ...rows.map((row) => row.id.length));
    const lines = [
      `otel-http conformance: ${this.adapter}`,
      `${'check'.padEnd(width)}  result`,
      `${'-'.repeat(width)}  ${'-'.repeat(9)}`,
    ];
    for (const row of rows) {
      const note = row.note ? `  (${row.note})` : '';
      lines.push(`${row.id.padEnd(width)}  ${row.outcome}${note}`);
    }
    const count = (outcome: CheckOutcome) => rows.filter((row) => row.outcome === outcome).length;
    lines.push(
      `${rows.length} checks: ${count('pass')} pass, ${count('fail')} fail, ` +
        `${count('exception')} exception, ${count('not run')} not run`,
    );
    return lines.join('\n');
  }

  #row(id: string): Row {
    const row = this.#rows.get(id);
    if (!row) throw new Error(`unknown check id ${id}`);
    return row;
  }
}
