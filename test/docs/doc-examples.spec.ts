import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The docs show code the tests run: a block preceded by `<!-- example: <file>#<region> -->` must be
 * the region of that test file between `// #region <region>` and `// #endregion <region>`
 * (indentation aside), so an example cannot drift from what the suite proves.
 */
const root = join(__dirname, '..', '..');
const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

interface Example {
  page: string;
  file: string;
  region: string;
  code: string;
}

function examplesOf(page: string): Example[] {
  const text = readFileSync(join(root, page), 'utf8');
  const pattern = /<!-- example: ([^#\s]+)#([\w-]+) -->\s*\n```\w*\n([\s\S]*?)\n```/g;
  return [...text.matchAll(pattern)].map(([, file, region, code]) => ({
    page,
    file,
    region,
    code,
  }));
}

function regionOf(file: string, region: string): string | undefined {
  const path = join(root, file);
  if (!existsSync(path)) return undefined;
  const lines = readFileSync(path, 'utf8').split('\n');
  const start = lines.findIndex((line) => line.trim() === `// #region ${region}`);
  const end = lines.findIndex((line, i) => i > start && line.trim() === `// #endregion ${region}`);
  if (start === -1 || end === -1) return undefined;
  return dedent(lines.slice(start + 1, end));
}

function dedent(lines: string[]): string {
  const indent = Math.min(
    ...lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length),
  );
  return lines
    .map((l) => l.slice(indent))
    .join('\n')
    .trimEnd();
}

const examples = pages.flatMap(examplesOf);

describe('examples in the docs are the code the tests run', () => {
  it('finds the transport examples (one per transport at least)', () => {
    const transports = examples.filter((e) => e.page === 'docs/graphql-websockets.md');
    expect(transports.length).toBeGreaterThanOrEqual(4);
  });

  it.each(examples.map((e) => [`${e.page} → ${e.file}#${e.region}`, e] as const))(
    '%s',
    (_name, example) => {
      const region = regionOf(example.file, example.region);
      expect(region).toBeDefined();
      expect(example.code.trimEnd()).toBe(region);
    },
  );
});
