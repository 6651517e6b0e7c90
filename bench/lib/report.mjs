/**
 * Rows, targets and the one table a run prints. A scenario returns rows
 * `{metric, value, unit, denominator?: {label, value}, target?: {ratio} | {max} | {min}, note?}`;
 * value null means "not measured" and the note says why.
 */
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { round } from './stats.mjs';

export function evaluate(row) {
  const out = { ...row, ratio: null, result: 'info' };
  if (row.value === null || row.value === undefined) return { ...out, value: null, result: 'n/a' };
  if (row.denominator?.value) out.ratio = round(row.value / row.denominator.value, 3);
  const t = row.target;
  if (t === undefined) return out;
  if (t.ratio !== undefined) out.result = out.ratio !== null && out.ratio >= t.ratio ? 'pass' : 'MISS';
  else if (t.max !== undefined) out.result = row.value <= t.max ? 'pass' : 'MISS';
  else if (t.min !== undefined) out.result = row.value >= t.min ? 'pass' : 'MISS';
  return out;
}

function fmt(value, unit) {
  if (value === null || value === undefined) return '—';
  const digits = unit === 'ms' ? 2 : unit === 'MB' ? 1 : Math.abs(value) >= 100 ? 0 : 2;
  const n = round(value, digits).toLocaleString('en-US', { maximumFractionDigits: digits });
  return unit ? `${n} ${unit}` : n;
}

function fmtTarget(t, unit) {
  if (t === undefined) return '';
  if (t.ratio !== undefined) return `>= ${t.ratio}x`;
  if (t.max !== undefined) return `<= ${fmt(t.max, unit)}`;
  return `>= ${fmt(t.min, unit)}`;
}

/** the table as text: one line per row, notes under it */
export function renderTable(scenarios) {
  const header = ['#', 'scenario', 'metric', 'value', 'denominator', 'ratio', 'target', 'result'];
  const lines = [];
  for (const s of scenarios) {
    for (const r of s.rows) {
      lines.push({
        cells: [
          String(s.id),
          s.title,
          r.metric,
          fmt(r.value, r.unit),
          r.denominator
            ? `${r.denominator.label} ${fmt(r.denominator.value, r.denominator.unit ?? r.unit)}`
            : '',
          r.ratio === null ? '' : `${r.ratio.toFixed(2)}x`,
          fmtTarget(r.target, r.unit),
          r.result,
        ],
        note: r.note,
      });
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l.cells[i].length)));
  const row = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  const out = [row(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`];
  for (const l of lines) out.push(row(l.cells));
  const notes = lines.filter((l) => l.note).map((l) => `  #${l.cells[0]} ${l.cells[2]}: ${l.note}`);
  if (notes.length > 0) out.push('', 'notes:', ...notes);
  return out.join('\n');
}

export function machineInfo() {
  const c = cpus();
  return {
    cpus: c.length,
    cpu_model: c[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    total_memory_mb: Math.round(totalmem() / 2 ** 20),
    free_memory_mb: Math.round(freemem() / 2 ** 20),
    load_average: loadavg().map((l) => round(l, 2)),
  };
}

/** rows for a scenario that cannot run here: each metric shown as n/a with the reason */
export function notAvailable(metrics, reason) {
  return {
    rows: metrics.map((metric) => ({ metric, value: null, note: `not available: ${reason}` })),
    details: { reason },
  };
}
