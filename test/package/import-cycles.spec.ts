import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * No import loops in lib/, type-only imports included: a loop makes the load order decide what is
 * `undefined` at start-up (a runtime loop) or ties two modules that should not know each other (a
 * type-level one). Cycles are found on the graph of relative imports (`import`, `export … from`,
 * `import('…')` types), as strongly connected components.
 */
const LIB = join(__dirname, '..', '..', 'lib');

/** Cycles known when this check was written, each to be removed (the list only shrinks). */
const KNOWN: string[] = [];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)]
    .map(([, spec]) => {
      const base = resolve(dirname(file), spec);
      // The browser client's ES modules name their imports with `.js` (the emitted file).
      return [`${base}.ts`, base.replace(/\.js$/, '.ts'), join(base, 'index.ts'), base].find(
        (candidate) => candidate.endsWith('.ts') && existsSync(candidate),
      );
    })
    .filter((target): target is string => target !== undefined);
}

/** Tarjan's strongly connected components of more than one file (or a file importing itself). */
export function importCycles(files: string[], edges: (file: string) => string[]): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (file: string) => {
    indexOf.set(file, index);
    low.set(file, index++);
    stack.push(file);
    onStack.add(file);
    for (const next of edges(file)) {
      if (!indexOf.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file)!, indexOf.get(next)!));
      }
    }
    if (low.get(file) === indexOf.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1 || edges(file).includes(file)) cycles.push(component.sort());
    }
  };
  for (const file of files) if (!indexOf.has(file)) visit(file);
  return cycles;
}

describe('import cycles in lib/', () => {
  const files = sourceFiles(LIB);
  const graph = new Map(files.map((file) => [file, importsOf(file)]));
  const cycles = importCycles(files, (file) => graph.get(file) ?? []).map((component) =>
    component.map((file) => relative(LIB, file)).join(' <-> '),
  );

  it('reads the import graph (a file with imports is seen to have them)', () => {
    expect(graph.get(join(LIB, 'index.ts'))?.length).toBeGreaterThan(10);
  });

  it('finds a loop where there is one', () => {
    const loop: Record<string, string[]> = { a: ['b'], b: ['c'], c: ['a'], d: ['a'] };
    expect(importCycles(Object.keys(loop), (f) => loop[f])).toEqual([['a', 'b', 'c']]);
  });

  it('has none beyond the known ones (and the known list holds only live ones)', () => {
    expect(cycles.filter((cycle) => !KNOWN.includes(cycle))).toEqual([]);
    expect(KNOWN.filter((cycle) => !cycles.includes(cycle))).toEqual([]);
  });
});
