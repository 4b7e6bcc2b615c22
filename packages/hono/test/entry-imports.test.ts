import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const packages = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Workspace packages whose sources are part of the graph (as in the published bundle's chain). */
const workspaceSources: Record<string, string> = {
  '@otel-http/core': resolve(packages, 'core/src/index.ts'),
  '@otel-http/core/node': resolve(packages, 'core/src/node.ts'),
  '@otel-http/core/fetch': resolve(packages, 'core/src/fetch-server.ts'),
};

/**
 * The module specifiers a source file loads at run time. `import type` and `export type` vanish
 * from the output; `import { type X }` does not under `verbatimModuleSyntax`, so it counts.
 */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) {
      found.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && !node.isTypeOnly) {
      found.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require'))
    ) {
      const [argument] = node.arguments;
      found.push(argument && ts.isStringLiteral(argument) ? argument.text : '<computed>');
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Follows every run-time import from `entry` through relative files and workspace sources. */
function importGraph(entry: string): { files: string[]; external: Set<string> } {
  const files: string[] = [];
  const external = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (files.includes(file)) continue;
    files.push(file);
    for (const specifier of runtimeImports(file)) {
      if (specifier.startsWith('.')) {
        pending.push(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
      } else if (workspaceSources[specifier] !== undefined) {
        pending.push(workspaceSources[specifier]);
      } else {
        external.add(specifier);
      }
    }
  }
  return { files, external };
}

describe('the main entry', () => {
  const { files, external } = importGraph(resolve(packages, 'hono/src/index.ts'));

  it('reaches the Node helpers of core, so the graph really covers them', () => {
    expect(files).toContain(workspaceSources['@otel-http/core/node']);
  });

  it('loads no node: module and no Node built-in, on any runtime', () => {
    expect([...external].sort()).toEqual(['@opentelemetry/api', 'hono/factory', 'hono/route']);
  });
});
