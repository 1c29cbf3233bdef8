import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * Summarises a V8 `.cpuprofile` (from `BENCH_CPU_PROF=1 npm run bench`): self time by package
 * (or by `nestjs-captcha` source file) and the hottest functions.
 *
 * Usage: `node dist/bench/profile-summary.js bench/profiles/ours.cpuprofile [top]`
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Which package (or our own file) a script URL belongs to. */
function owner(url: string): string {
  if (!url) return '(native / V8)';
  if (url.startsWith('node:')) return 'node core';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const lib = url.indexOf('/dist/lib/');
  if (lib >= 0) return `nestjs-captcha ${url.slice(lib + '/dist/lib/'.length)}`;
  const bench = url.indexOf('/dist/bench/');
  if (bench >= 0) return `bench ${url.slice(bench + '/dist/bench/'.length)}`;
  return basename(url);
}

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (!file) {
    console.error('usage: profile-summary <file.cpuprofile> [top]');
    process.exitCode = 2;
    return;
  }
  const top = Number(topArg ?? 25);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  let total = 0;
  let idle = 0;
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)' || frame.functionName === '(program)') {
      if (frame.functionName === '(idle)') idle += us;
    }
    total += us;
    const who = frame.functionName === '(idle)' ? '(idle)' : owner(frame.url);
    byOwner.set(who, (byOwner.get(who) ?? 0) + us);
    const name = `${frame.functionName || '(anonymous)'}  ${owner(frame.url)}:${frame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  }
  const busy = total - idle;
  const print = (title: string, entries: Map<string, number>) => {
    console.log(`\n${title} (share of busy time, ${(busy / 1000).toFixed(0)} ms busy)`);
    for (const [name, us] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      if (name.startsWith('(idle)')) continue;
      console.log(`${((100 * us) / busy).toFixed(1).padStart(6)}%  ${name}`);
    }
  };
  print('Self time by package / file', byOwner);
  print('Hottest functions (self time)', byFunction);
}

main();
