import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import * as ts from 'typescript';

/**
 * What the published package carries: licence and links, no source maps pointing at sources it
 * does not ship, no comment pointing at repository files it does not ship, and a browser client
 * that a front-end install can take without NestJS.
 */
const ROOT = join(__dirname, '..', '..');
const REPOSITORY = 'https://github.com/nestjs-captcha/nestjs-captcha';

interface PackageJson {
  license?: string;
  repository?: { type?: string; url?: string };
  homepage?: string;
  bugs?: { url?: string };
  files?: string[];
  exports?: Record<string, string | Record<string, string>>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;

/** The effective compiler options and inputs of one tsconfig (after `extends`). */
function parseTsconfig(name: string): ts.ParsedCommandLine {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, name),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  );
  if (!parsed) throw new Error(`${name} could not be read`);
  return parsed;
}

/** The tsconfigs whose output is published (dist/lib and dist/client). */
const PUBLISHED_BUILDS = ['tsconfig.build.json', 'tsconfig.client.json'];

/** Repository files compiled into dist/lib or dist/client: their comments ship in .js and .d.ts. */
function shippedSources(): string[] {
  const files = new Set<string>();
  for (const name of PUBLISHED_BUILDS) {
    for (const file of parseTsconfig(name).fileNames) {
      const path = relative(ROOT, file).split(sep).join('/');
      if (path.startsWith('lib/') && !path.endsWith('.spec.ts')) files.add(path);
    }
  }
  return [...files].sort();
}

/**
 * A pointer at a repository file the package does not ship: a path into bench/, test/, docs/,
 * shared/, sample/ …, a Markdown file other than the README, or the design document. URLs are
 * removed first: linking a provider's docs or the repository on GitHub is fine.
 */
const UNSHIPPED_POINTER =
  /(?<![\w./-])(?:bench|test|tests|docs|shared|sample|coverage|scripts)\/|\b(?!README\.md\b)[\w-]+\.md\b|\bdesign(?:'s)? (?:doc|list|contract)/g;

function unshippedPointers(text: string): string[] {
  const withoutUrls = text.replace(/https?:\/\/[^\s)`'"]+/g, '');
  return [...withoutUrls.matchAll(UNSHIPPED_POINTER)].map((match) => {
    const at = match.index ?? 0;
    return withoutUrls.slice(Math.max(0, at - 40), at + 40).replace(/\s+/g, ' ');
  });
}

interface PackedFile {
  path: string;
  size: number;
}

async function packedFiles(): Promise<PackedFile[]> {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const { stdout } = await promisify(execFile)(npm, ['pack', '--dry-run', '--json'], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [packed] = JSON.parse(stdout) as [{ files: PackedFile[] }];
  return packed.files;
}

describe('package metadata', () => {
  it('is MIT-licensed, with the licence text shipped', () => {
    expect(pkg.license).toBe('MIT');
    const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^MIT License\n/);
    expect(license).toContain('Copyright (c) 2026 nestjs-captcha contributors');
    expect(license).toContain('THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND');
  });

  it('links the repository, its README and its issues', () => {
    expect(pkg.repository).toEqual({ type: 'git', url: `git+${REPOSITORY}.git` });
    expect(pkg.homepage).toBe(`${REPOSITORY}#readme`);
    expect(pkg.bugs).toEqual({ url: `${REPOSITORY}/issues` });
  });
});

describe('source maps', () => {
  it.each(PUBLISHED_BUILDS)(
    '%s emits no map that points at TypeScript sources the package does not ship',
    (name) => {
      const { options } = parseTsconfig(name);
      // A .js.map is only useful here with the sources inlined; a .d.ts.map cannot carry them.
      expect({ sourceMap: options.sourceMap === true && options.inlineSources !== true }).toEqual({
        sourceMap: false,
      });
      expect(options.declarationMap ?? false).toBe(false);
      expect(options.inlineSourceMap ?? false).toBe(false);
    },
  );
});

describe('shipped comments', () => {
  it('compiles the library and the client from lib/ (the scan below reads what ships)', () => {
    const sources = shippedSources();
    expect(sources).toContain('lib/index.ts');
    expect(sources).toContain('lib/client/index.ts');
    expect(sources).toContain('lib/testing/index.ts');
  });

  it('point at no repository file the package does not ship', () => {
    const found = shippedSources().flatMap((file) =>
      unshippedPointers(readFileSync(join(ROOT, file), 'utf8')).map((hit) => `${file}: …${hit}…`),
    );
    expect(found).toEqual([]);
  });

  it('the scan finds such pointers (and leaves URLs and the README alone)', () => {
    expect(unshippedPointers('// costs ~2 µs (bench/RESULTS.md, scenario 3)')).toHaveLength(2);
    expect(unshippedPointers('/** Test keys (providers.md §1). */')).toHaveLength(1);
    expect(unshippedPointers(" * was added beyond the design's list.")).toHaveLength(1);
    expect(unshippedPointers('// see https://example.com/docs/faq.md and the README.md')).toEqual(
      [],
    );
  });
});

describe('npm pack', () => {
  let files: PackedFile[];

  beforeAll(async () => {
    files = await packedFiles();
  }, 30_000);

  it('ships the built library and client (run `npm run build` first)', () => {
    const paths = files.map((file) => file.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'README.md',
        'package.json',
        'dist/lib/index.js',
        'dist/lib/index.d.ts',
        'dist/lib/testing/index.js',
        'dist/client/client/index.js',
        'dist/client/client/index.d.ts',
        'dist/client/contracts/captcha-provider-name.js',
        'dist/client/package.json',
      ]),
    );
  });

  it('ships nothing but dist/lib, dist/client, the README, the licence and package.json', () => {
    const stray = files
      .map((file) => file.path)
      .filter(
        (path) =>
          !['LICENSE', 'README.md', 'package.json'].includes(path) &&
          !path.startsWith('dist/lib/') &&
          !path.startsWith('dist/client/'),
      );
    expect(stray).toEqual([]);
  });

  it('ships no source map and no test file (a stale dist/ would: `npm run build` cleans it)', () => {
    const unwanted = files
      .map((file) => file.path)
      .filter((path) => path.endsWith('.map') || /\.spec\.(js|d\.ts)$/.test(path));
    expect(unwanted).toEqual([]);
  });
});

/** What `tsconfig.client.json` emits (compiled in memory): JavaScript by path under its outDir. */
function emitClient(): Map<string, string> {
  const parsed = parseTsconfig('tsconfig.client.json');
  const outDir = parsed.options.outDir as string;
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  const emitted = new Map<string, string>();
  const result = program.emit(undefined, (file, text) => {
    if (file.endsWith('.js')) emitted.set(relative(outDir, file).split(sep).join('/'), text);
  });
  const errors = ts
    .getPreEmitDiagnostics(program)
    .concat(result.diagnostics)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  expect(errors).toEqual([]);
  return emitted;
}

/**
 * The imports (static, dynamic, `export … from`, `require`) of the emitted modules that do not
 * name another emitted module by a relative path: a package, server code, a file left out. A
 * contract may import only contracts.
 */
function strayImports(emitted: Map<string, string>): string[] {
  return [...emitted].flatMap(([path, text]) =>
    ts.preProcessFile(text, true, true).importedFiles.flatMap(({ fileName: specifier }) => {
      if (!/^\.\.?\//.test(specifier)) return [`${path}: ${specifier}`];
      const target = posix.normalize(posix.join(posix.dirname(path), specifier));
      if (!emitted.has(target)) return [`${path}: ${specifier}`];
      if (path.startsWith('contracts/') && !target.startsWith('contracts/')) {
        return [`${path}: ${specifier} (a contract imports only contracts)`];
      }
      return [];
    }),
  );
}

describe('the browser client', () => {
  it('resolves only into dist/client', () => {
    const client = pkg.exports?.['./client'];
    expect(typeof client).toBe('object');
    const targets = Object.values(client as Record<string, string>);
    expect(targets.length).toBeGreaterThan(0);
    for (const target of targets)
      expect(target).toMatch(/^\.\/dist\/client\/(?:[\w-]+\/)*[\w.-]+$/);
    expect(pkg.files).toContain('dist/client');
  });

  it('imports only its own modules inside dist/client (no server code, no package)', () => {
    const emitted = emitClient();
    expect(emitted.get('client/index.js')).toContain('captchaFetch');
    // What compiles into dist/client: the client, and the shared contracts it imports.
    expect([...emitted.keys()].filter((path) => !/^(client|contracts)\//.test(path))).toEqual([]);
    expect(strayImports(emitted)).toEqual([]);
  });

  it('the import check finds a package, a path out of dist/client, a missing module, a require', () => {
    const emitted = new Map([
      [
        'client/index.js',
        [
          "import { Injectable } from '@nestjs/common';",
          "export { CaptchaGuard } from '../../lib/guard/captcha.guard.js';",
          "const lazy = () => import('./not-emitted.js');",
          "const fs = require('node:fs');",
          "export * from './fetch.js';",
          "import { CAPTCHA_REASONS } from '../contracts/captcha-reason.js';",
        ].join('\n'),
      ],
      ['client/fetch.js', "import { isRecord } from './index.js';"],
      ['contracts/captcha-reason.js', "import { x } from '../client/fetch.js';"],
    ]);
    expect(strayImports(emitted)).toEqual([
      'client/index.js: @nestjs/common',
      'client/index.js: ../../lib/guard/captcha.guard.js',
      'client/index.js: ./not-emitted.js',
      'client/index.js: node:fs',
      'contracts/captcha-reason.js: ../client/fetch.js (a contract imports only contracts)',
    ]);
  });

  it('does not make a front-end install pull NestJS: the Nest peers are optional', () => {
    // A Nest app has all four already; npm still checks their version ranges when present.
    for (const name of ['@nestjs/common', '@nestjs/core', 'reflect-metadata', 'rxjs']) {
      expect({ name, range: pkg.peerDependencies?.[name] }).toEqual({
        name,
        range: expect.any(String),
      });
      expect({ name, meta: pkg.peerDependenciesMeta?.[name] }).toEqual({
        name,
        meta: { optional: true },
      });
      expect({ name, dev: pkg.devDependencies?.[name] }).toEqual({
        name,
        dev: expect.any(String),
      });
    }
  });
});

describe('README Install', () => {
  it('names every dependency the package brings along', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const start = readme.search(/^##+ Install/m);
    expect(start).toBeGreaterThanOrEqual(0);
    const rest = readme.slice(start);
    const next = rest.slice(3).search(/^## /m);
    const install = next < 0 ? rest : rest.slice(0, next + 3);
    const missing = Object.keys(pkg.dependencies ?? {}).filter(
      (name) => !install.includes(`\`${name}\``),
    );
    expect(missing).toEqual([]);
  });
});
