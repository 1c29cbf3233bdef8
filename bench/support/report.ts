import { execFileSync } from 'node:child_process';
import { cpus, totalmem, type as osType, release } from 'node:os';

/** One target of the issue, measured. */
export interface Check {
  scenario: string;
  metric: string;
  /** What was measured on our side, human-readable. */
  ours: string;
  /** What it is compared with, human-readable. */
  reference: string;
  /** The figure the target is about (a ratio, µs, ms, MB). */
  value: number;
  unit: '×' | 'ms' | 'µs' | 'MB' | 'calls';
  target: string;
  pass: boolean;
}

/** The machine the figures come from. */
export interface Machine {
  cores: number;
  cpuModel: string;
  node: string;
  os: string;
  memoryGb: number;
}

export function describeMachine(): Machine {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    const lscpu = execFileSync('lscpu', { encoding: 'utf8' });
    const model = /^Model name:\s*(.+)$/m.exec(lscpu)?.[1]?.trim();
    if (model) cpuModel = model;
  } catch {
    // lscpu is missing (not Linux): keep os.cpus()'s model
  }
  return {
    cores: cpus().length,
    cpuModel,
    node: process.version,
    os: `${osType()} ${release()}`,
    memoryGb: Math.round(totalmem() / 1024 ** 3),
  };
}

/** Formats a number for the tables: ratios with two decimals, others by size. */
export function fmt(value: number, unit = ''): string {
  if (!Number.isFinite(value)) return 'n/a';
  const digits = unit === '×' ? 2 : Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  const text = value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  if (!unit) return text;
  return unit === '×' ? `${text}×` : `${text} ${unit}`;
}

/** A plain-text table (also valid Markdown): header, separator, rows. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  return [
    line(header),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...rows.map(line),
  ].join('\n');
}
