#!/usr/bin/env node
// The release checks, run after `pnpm build` (see ../README.md):
//
//   node src/cli.mjs packages [--out <dir>] [package ...]   pack, then publint, attw, file rules
//   node src/cli.mjs release                                changeset version + npm publish --dry-run
//   node src/cli.mjs matrix [options]                       installed tarballs, every runtime
//   node src/cli.mjs conformance-table <reports> [--out f]  the matrix's conformance results
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkPackedPackage, printReports } from './check-packages.mjs';
import { readConformance, renderConformance } from './conformance-table.mjs';
import { runMatrix } from './matrix.mjs';
import { pack } from './pack.mjs';
import { rehearseRelease } from './release.mjs';
import { publicPackages } from './workspace.mjs';

const [command, ...rest] = process.argv.slice(2);

async function packagesCommand(args) {
  const { values, positionals } = parseArgs({
    args,
    options: { out: { type: 'string' } },
    allowPositionals: true,
  });
  const packages = publicPackages(undefined, positionals);
  if (packages.length === 0) throw new Error('no publishable package matched');
  const destination = values.out
    ? resolve(values.out)
    : mkdtempSync(join(tmpdir(), 'otel-http-pack-'));
  try {
    const reports = [];
    for (const pkg of packages) {
      try {
        reports.push(await checkPackedPackage(pack(pkg, destination)));
      } catch (error) {
        reports.push({
          name: pkg.manifest.name,
          problems: [String(error?.stack ?? error)],
          notes: [],
        });
      }
    }
    if (values.out) console.log(`\ntarballs kept in ${destination}`);
    return printReports(reports, 'check-packages');
  } finally {
    if (!values.out) rmSync(destination, { recursive: true, force: true });
  }
}

async function matrixCommand(args) {
  const { values } = parseArgs({
    args,
    options: {
      packs: { type: 'string' },
      node: { type: 'string', multiple: true },
      reports: { type: 'string' },
      only: { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  return runMatrix({
    packs: values.packs ? resolve(values.packs) : undefined,
    nodes: values.node ?? [process.execPath],
    reports: values.reports ? resolve(values.reports) : undefined,
    only: values.only?.split(',').filter(Boolean),
    keep: values.keep,
  });
}

async function conformanceTableCommand(args) {
  const { values, positionals } = parseArgs({
    args,
    options: { out: { type: 'string' } },
    allowPositionals: true,
  });
  if (positionals.length !== 1) {
    throw new Error('usage: conformance-table <reports directory> [--out <file>]');
  }
  const conformance = readConformance(resolve(positionals[0]));
  if (conformance.columns.length === 0) {
    throw new Error(`no conformance results in ${positionals[0]}`);
  }
  const nodes = new Set(
    conformance.columns.flatMap((column) =>
      [...column.results.values()].flatMap((byNode) => [...byNode.keys()]),
    ),
  );
  const markdown = renderConformance(conformance, {
    date: new Date().toISOString().slice(0, 10),
    nodes: `Node ${[...nodes].sort().join(' and ')}`,
  });
  if (values.out) writeFileSync(values.out, markdown);
  else process.stdout.write(markdown);
  return true;
}

const commands = {
  packages: packagesCommand,
  release: () => rehearseRelease(),
  matrix: matrixCommand,
  'conformance-table': conformanceTableCommand,
};

if (!(command in commands)) {
  console.error(`usage: cli.mjs <${Object.keys(commands).join('|')}> [options]`);
  process.exit(2);
}
const ok = await commands[command](rest);
process.exit(ok ? 0 : 1);
