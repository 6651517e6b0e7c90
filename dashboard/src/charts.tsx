/** Hand-written SVG charts: a line chart (several series, shared y axis) and stacked bars. */
import type { ReactElement } from 'react';

export interface Series {
  name: string;
  color: string;
  values: (number | null)[];
}

const W = 640;
const H = 180;
const PAD = { l: 44, r: 8, t: 10, b: 22 };

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function xLabels(labels: string[]): ReactElement[] {
  const step = Math.max(1, Math.ceil(labels.length / 6));
  const innerW = W - PAD.l - PAD.r;
  return labels
    .map((l, i) => ({ l, i }))
    .filter(({ i }) => i % step === 0)
    .map(({ l, i }) => (
      <text
        key={i}
        x={PAD.l + (innerW * (i + 0.5)) / labels.length}
        y={H - 6}
        textAnchor="middle"
        className="axis"
      >
        {l}
      </text>
    ));
}

function yAxis(max: number, format: (v: number) => string): ReactElement[] {
  const innerH = H - PAD.t - PAD.b;
  return [0, 0.5, 1].map((f) => (
    <g key={f}>
      <line
        x1={PAD.l}
        x2={W - PAD.r}
        y1={PAD.t + innerH * (1 - f)}
        y2={PAD.t + innerH * (1 - f)}
        className="grid"
      />
      <text x={PAD.l - 4} y={PAD.t + innerH * (1 - f) + 4} textAnchor="end" className="axis">
        {format(max * f)}
      </text>
    </g>
  ));
}

function Legend({ series }: { series: { name: string; color: string }[] }) {
  return (
    <div className="legend">
      {series.map((s) => (
        <span key={s.name}>
          <i style={{ background: s.color }} /> {s.name}
        </span>
      ))}
    </div>
  );
}

export function LineChart(props: {
  title: string;
  labels: string[];
  series: Series[];
  format?: (v: number) => string;
  max?: number;
}) {
  const format = props.format ?? ((v: number) => String(Math.round(v)));
  const all = props.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const max = props.max ?? niceMax(Math.max(0, ...all));
  const innerW = W - PAD.l - PAD.r;
  const innerH = H - PAD.t - PAD.b;
  const x = (i: number) => PAD.l + (innerW * (i + 0.5)) / Math.max(1, props.labels.length);
  const y = (v: number) => PAD.t + innerH * (1 - v / max);
  return (
    <figure className="chart" aria-label={props.title}>
      <figcaption>{props.title}</figcaption>
      {all.length === 0 ? (
        <p className="empty small">No data in this window yet.</p>
      ) : (
        <svg viewBox={`0 0 ${W} ${H}`} role="img">
          {yAxis(max, format)}
          {xLabels(props.labels)}
          {props.series.map((s) => {
            // a gap (null) breaks the line
            const parts: string[] = [];
            let cur = '';
            s.values.forEach((v, i) => {
              if (v === null) {
                if (cur) parts.push(cur);
                cur = '';
              } else cur += `${cur ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
            });
            if (cur) parts.push(cur);
            return (
              <g key={s.name}>
                {parts.map((d, k) => (
                  <path key={k} d={d} fill="none" stroke={s.color} strokeWidth={2} />
                ))}
                {s.values.map((v, i) =>
                  v === null ? null : <circle key={i} cx={x(i)} cy={y(v)} r={2} fill={s.color} />,
                )}
              </g>
            );
          })}
        </svg>
      )}
      <Legend series={props.series} />
    </figure>
  );
}

export function StackedBars(props: { title: string; labels: string[]; series: Series[] }) {
  const n = props.labels.length;
  const totals = props.labels.map((_, i) => props.series.reduce((a, s) => a + (s.values[i] ?? 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const innerW = W - PAD.l - PAD.r;
  const innerH = H - PAD.t - PAD.b;
  const bw = (innerW / Math.max(1, n)) * 0.8;
  return (
    <figure className="chart" aria-label={props.title}>
      <figcaption>{props.title}</figcaption>
      {totals.every((t) => t === 0) ? (
        <p className="empty small">Nothing was sent in this window.</p>
      ) : (
        <svg viewBox={`0 0 ${W} ${H}`} role="img">
          {yAxis(max, (v) => String(Math.round(v)))}
          {xLabels(props.labels)}
          {props.labels.map((_, i) => {
            let acc = 0;
            return (
              <g key={i}>
                {props.series.map((s) => {
                  const v = s.values[i] ?? 0;
                  const h = (innerH * v) / max;
                  const yTop = PAD.t + innerH - ((acc + v) * innerH) / max;
                  acc += v;
                  return v === 0 ? null : (
                    <rect
                      key={s.name}
                      x={PAD.l + (innerW * i) / n + (innerW / n - bw) / 2}
                      y={yTop}
                      width={bw}
                      height={h}
                      fill={s.color}
                    >
                      <title>{`${s.name}: ${v}`}</title>
                    </rect>
                  );
                })}
              </g>
            );
          })}
        </svg>
      )}
      <Legend series={props.series} />
    </figure>
  );
}
