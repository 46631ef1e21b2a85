import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/*
 * The layering of src/, checked on every import of every src/**\/*.ts file:
 * - each domain folder imports only the folders listed for it in MAY_IMPORT, so dependencies
 *   run one way (the table has no cycle) and no domain module reaches an entry point;
 * - analytics/ is pure: besides shared/ it imports nothing, and no database, network or file
 *   package either;
 * - SQL is built only in warehouse/: elsewhere `kysely` may be imported for its types only;
 * - only config/ reads process.env.
 * A new dependency between folders is a design decision: make it here, on purpose.
 */

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** Folders (and src/main.ts) that wire domains to the outside world; they may import any domain. */
const ENTRY_POINTS = ['api', 'web', 'slack', 'cli', 'jobs', 'bench', 'testing', 'main.ts'] as const;

/** What each domain folder may import besides itself. Everything else is a violation. */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  shared: [],
  config: ['shared'],
  analytics: ['shared'],
  charts: ['shared', 'analytics'],
  socrata: ['shared', 'config'],
  warehouse: ['shared', 'analytics'],
  ingest: ['shared', 'config', 'analytics', 'socrata', 'warehouse'],
  features: ['shared', 'analytics', 'warehouse'],
  model: ['shared', 'config', 'analytics', 'warehouse', 'features'],
  worklist: ['shared', 'config', 'analytics', 'warehouse', 'features', 'model'],
  forecast: ['shared', 'analytics', 'warehouse'],
  open311: ['shared', 'analytics', 'warehouse'],
  dashboard: ['shared', 'config', 'analytics', 'charts', 'warehouse', 'model', 'worklist', 'forecast'],
};

/** Packages analytics/ may import: none that talks to a database, the network or the disk. */
const PURE_PACKAGES = new Set(['zod']);

/** Folders exempt from the process.env rule: benchmarks and test fakes read their own knobs. */
const ENV_EXEMPT = new Set(['config', 'bench', 'testing']);

/** Folders that may build SQL: the warehouse, and benchmarks that set up data directly. */
const SQL_ALLOWED = new Set(['warehouse', 'bench']);

/**
 * Known violations waiting for a move (issue #11), each with where it should go. The test fails
 * when one of them is fixed and still listed, so this list only shrinks.
 */
const PENDING: Readonly<Record<string, string>> = {};

/** One import of one file, paths relative to src/ with '/' separators. */
interface ImportEdge {
  from: string;
  /** The imported module: a src/-relative path for relative imports, else the package name. */
  to: string;
  isPackage: boolean;
  /** `import type` / `export type`, or every named binding marked `type`. */
  typeOnly: boolean;
}

/** The top folder of a src/-relative path ('main.ts' for src/main.ts). */
function folderOf(path: string): string {
  return path.split('/')[0];
}

function isEntryPoint(folder: string): boolean {
  return (ENTRY_POINTS as readonly string[]).includes(folder);
}

/** Every rule broken by these imports, one readable line each. */
function checkImports(edges: readonly ImportEdge[]): string[] {
  const violations: string[] = [];
  for (const edge of edges) {
    const from = folderOf(edge.from);
    if (edge.isPackage) {
      if (from === 'analytics' && !PURE_PACKAGES.has(packageName(edge.to))) {
        violations.push(`${edge.from} imports package ${edge.to}: analytics/ is pure (no database, network or file system)`);
      }
      if (packageName(edge.to) === 'kysely' && !edge.typeOnly && !SQL_ALLOWED.has(from)) {
        violations.push(`${edge.from} builds SQL: import kysely for its types only and put the query in a warehouse/ repository`);
      }
      continue;
    }
    const to = folderOf(edge.to);
    if (to === from || isEntryPoint(from)) continue;
    const allowed = MAY_IMPORT[from];
    if (allowed === undefined) {
      violations.push(`${edge.from}: src/${from} is neither a domain folder nor an entry point; add it to MAY_IMPORT or ENTRY_POINTS`);
    } else if (!allowed.includes(to)) {
      const why = isEntryPoint(to)
        ? 'a domain module never imports an entry point'
        : `${from}/ may import only ${allowed.join(', ') || 'itself'}`;
      violations.push(`${edge.from} imports ${edge.to}: ${why}`);
    }
  }
  return violations;
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Imports and re-exports (static and dynamic) of one source file. */
function parseImports(path: string, text: string): ImportEdge[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const edges: ImportEdge[] = [];
  const add = (specifier: string, typeOnly: boolean) => {
    const isPackage = !specifier.startsWith('.');
    const to = isPackage ? specifier : posix.normalize(posix.join(posix.dirname(path), specifier)).replace(/\.js$/, '.ts');
    edges.push({ from: path, to, isPackage, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined && named !== undefined && named.length > 0 && named.every((element) => element.isTypeOnly)));
      add(node.moduleSpecifier.text, typeOnly);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, node.isTypeOnly);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments.length > 0 &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      add(node.arguments[0].text, false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal.text, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

/** Lines of code (not comments or strings) that read the environment: process.env, process['env'], `{ env } = process`, `env` from node:process. */
function findEnvReads(path: string, text: string): number[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const lines: number[] = [];
  const isProcess = (node: ts.Node) => ts.isIdentifier(node) && node.text === 'process';
  const hit = (node: ts.Node) => lines.push(source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1);
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node) && isProcess(node.expression) && node.name.text === 'env') hit(node);
    else if (
      ts.isElementAccessExpression(node) &&
      isProcess(node.expression) &&
      ts.isStringLiteralLike(node.argumentExpression) &&
      node.argumentExpression.text === 'env'
    )
      hit(node);
    else if (
      ts.isVariableDeclaration(node) &&
      node.initializer !== undefined &&
      isProcess(node.initializer) &&
      ts.isObjectBindingPattern(node.name) &&
      node.name.elements.some((element) => (element.propertyName ?? element.name).getText(source) === 'env')
    ) {
      hit(node);
    } else if (
      ts.isImportDeclaration(node) &&
      ts.isStringLiteral(node.moduleSpecifier) &&
      ['process', 'node:process'].includes(node.moduleSpecifier.text) &&
      node.importClause?.namedBindings &&
      ts.isNamedImports(node.importClause.namedBindings) &&
      node.importClause.namedBindings.elements.some((element) => (element.propertyName ?? element.name).text === 'env')
    ) {
      hit(node);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return lines;
}

function listSourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return listSourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

const sources = listSourceFiles(SRC).map((absolute) => ({
  path: relative(SRC, absolute).split(sep).join('/'),
  text: readFileSync(absolute, 'utf8'),
}));
const edges = sources.flatMap((file) => parseImports(file.path, file.text));

/** Violations of the tree minus the pending ones; fails when a pending one is gone. */
function violationsBeyondPending(found: readonly string[]): string[] {
  const pendingKeys = Object.keys(PENDING);
  const stillThere = pendingKeys.filter((key) => found.some((violation) => violation.startsWith(key)));
  expect(stillThere, 'a PENDING violation was fixed: remove it from PENDING').toEqual(pendingKeys);
  return found.filter((violation) => !pendingKeys.some((key) => violation.startsWith(key)));
}

describe('architecture', () => {
  it('reads the imports of every source file', () => {
    expect(sources.length).toBeGreaterThan(50);
    expect(edges.some((edge) => edge.from.startsWith('warehouse/') && edge.to.startsWith('analytics/'))).toBe(true);
  });

  it('every top folder of src/ is a domain folder or an entry point', () => {
    const folders = new Set(sources.map((file) => folderOf(file.path)));
    const unknown = [...folders].filter((folder) => MAY_IMPORT[folder] === undefined && !isEntryPoint(folder));
    expect(unknown).toEqual([]);
  });

  it('domain folders import only the folders below them, analytics/ is pure, SQL is built only in warehouse/', () => {
    expect(violationsBeyondPending(checkImports(edges))).toEqual([]);
  });

  it('relative imports name a file that exists, with its .js extension', () => {
    const files = new Set(sources.map((file) => file.path));
    const broken = edges
      .filter((edge) => !edge.isPackage && !files.has(edge.to) && !files.has(edge.to.replace(/\.ts$/, '/index.ts')))
      .map((edge) => `${edge.from} -> ${edge.to}`);
    expect(broken).toEqual([]);
  });

  it('no module outside config/ reads process.env (bench/ and testing/ exempt)', () => {
    const reads = sources
      .filter((file) => !ENV_EXEMPT.has(folderOf(file.path)))
      .flatMap((file) => findEnvReads(file.path, file.text).map((line) => `${file.path}:${line}`));
    expect(reads).toEqual([]);
  });

  it('the table of allowed imports has no cycle, so dependencies run one way', () => {
    const visiting = new Set<string>();
    const done = new Set<string>();
    const cycles: string[] = [];
    const visit = (folder: string, trail: string[]) => {
      if (done.has(folder)) return;
      if (visiting.has(folder)) {
        cycles.push([...trail, folder].join(' -> '));
        return;
      }
      visiting.add(folder);
      for (const next of MAY_IMPORT[folder] ?? []) visit(next, [...trail, folder]);
      visiting.delete(folder);
      done.add(folder);
    };
    for (const folder of Object.keys(MAY_IMPORT)) visit(folder, []);
    expect(cycles).toEqual([]);
  });
});

describe('architecture checker (self-check on made-up imports)', () => {
  const edge = (from: string, to: string, typeOnly = false): ImportEdge => ({ from, to, isPackage: !to.endsWith('.ts'), typeOnly });

  it('reports an analytics module that imports a repository', () => {
    expect(checkImports([edge('analytics/sla-policy.ts', 'warehouse/sla-policy.repository.ts')])).toEqual([
      'analytics/sla-policy.ts imports warehouse/sla-policy.repository.ts: analytics/ may import only shared',
    ]);
  });

  it('reports features importing model, a domain module importing an entry point, and the warehouse importing ingest', () => {
    const found = checkImports([
      edge('features/training-set.ts', 'model/dataset.ts'),
      edge('model/score-ticket.ts', 'slack/app.ts'),
      edge('charts/sla-chart.ts', 'main.ts'),
      edge('warehouse/ticket.repository.ts', 'ingest/soda-row.ts'),
    ]);
    expect(found).toHaveLength(4);
    expect(found[1]).toContain('never imports an entry point');
    expect(found[2]).toContain('never imports an entry point');
  });

  it('reports an unknown folder, a database package in analytics/ and SQL built outside warehouse/', () => {
    expect(checkImports([edge('reports/x.ts', 'shared/errors.ts')])[0]).toContain('neither a domain folder nor an entry point');
    expect(checkImports([edge('analytics/x.ts', 'kysely', true)])).toHaveLength(1);
    expect(checkImports([edge('features/x.ts', 'kysely')])[0]).toContain('builds SQL');
  });

  it('accepts the intended directions: warehouse on analytics, types of kysely, entry points on anything', () => {
    expect(
      checkImports([
        edge('warehouse/sla-report.repository.ts', 'analytics/sla-report.ts'),
        edge('features/features-at.ts', 'warehouse/feature-history.repository.ts'),
        edge('model/score-ticket.ts', 'features/feature-context.ts'),
        edge('features/features-at.ts', 'kysely', true),
        edge('warehouse/volume.repository.ts', 'kysely'),
        edge('cli/commands/sla.ts', 'warehouse/sla-report.repository.ts'),
        edge('main.ts', 'slack/app.ts'),
      ]),
    ).toEqual([]);
  });

  it('parses static, type-only, re-exported and dynamic imports', () => {
    const text = [
      "import { sql, type Kysely } from 'kysely';",
      "import type { SlaPolicy } from '../analytics/sla-policy.js';",
      "export { isOpenState } from './ticket-lifecycle.js';",
      "const pg = await import('@electric-sql/pglite');",
      "// import { x } from '../model/ignored.js';",
    ].join('\n');
    expect(parseImports('warehouse/a.ts', text)).toEqual([
      { from: 'warehouse/a.ts', to: 'kysely', isPackage: true, typeOnly: false },
      { from: 'warehouse/a.ts', to: 'analytics/sla-policy.ts', isPackage: false, typeOnly: true },
      { from: 'warehouse/a.ts', to: 'warehouse/ticket-lifecycle.ts', isPackage: false, typeOnly: false },
      { from: 'warehouse/a.ts', to: '@electric-sql/pglite', isPackage: true, typeOnly: false },
    ]);
  });

  it('finds environment reads in code but not in comments or strings', () => {
    const text = [
      '// process.env is read in config/ only',
      'const a = process.env.SLA_HOURS;',
      "const b = process['env'];",
      'const { env } = process;',
      "import { env as environment } from 'node:process';",
      "const c = 'process.env';",
    ].join('\n');
    expect(findEnvReads('jobs/x.ts', text)).toEqual([2, 3, 4, 5]);
  });
});
