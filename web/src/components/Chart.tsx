/**
 * @module Bar charts with Chart.js: plain, horizontal (a profile histogram)
 * and stacked (anomaly events by type per month, like the paper's Figure 1).
 * Only the parts of Chart.js used here are registered, so the bundle stays small.
 */

import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartData,
  type ChartOptions,
  Legend,
  LinearScale,
  Tooltip,
} from 'chart.js';
import { useEffect, useRef } from 'react';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

/** A palette that tells eight anomaly types apart, in the detector's order. */
export const PALETTE = [
  '#d1495b',
  '#edae49',
  '#00798c',
  '#30638e',
  '#8e44ad',
  '#66a182',
  '#e07a5f',
  '#6c757d',
];

/** A share as a percentage with as many digits as it needs: 40%, 2.5%, 0.0035%. */
export function percentTick(v: number): string {
  const p = v * 100;
  if (p === 0) return '0%';
  return `${Math.abs(p) >= 10 ? p.toFixed(0) : Number(p.toPrecision(2))}%`;
}

export interface Series {
  label: string;
  values: number[];
  color?: string;
}

export interface BarChartProps {
  labels: string[];
  series: Series[];
  horizontal?: boolean;
  stacked?: boolean;
  height?: number;
  /** Values are shares (0..1), shown as percentages. */
  percent?: boolean;
  testId?: string;
}

export function BarChart({
  labels,
  series,
  horizontal,
  stacked,
  height = 260,
  percent,
  testId,
}: BarChartProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'bar'> | null>(null);
  const data: ChartData<'bar'> = {
    labels,
    datasets: series.map((s, i) => ({
      label: s.label,
      data: s.values,
      backgroundColor: s.color ?? PALETTE[i % PALETTE.length],
      borderWidth: 0,
    })),
  };
  const fmt = (v: number | string) => (percent ? percentTick(Number(v)) : Number(v).toLocaleString('en-US'));
  const options: ChartOptions<'bar'> = {
    indexAxis: horizontal ? 'y' : 'x',
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    plugins: {
      legend: { display: series.length > 1, position: 'bottom' },
      tooltip: {
        callbacks: {
          label: (c) =>
            `${c.dataset.label ?? ''}: ${percent ? percentTick(Number(c.raw)) : Number(c.raw).toLocaleString('en-US')}`,
        },
      },
    },
    scales: {
      x: {
        stacked,
        ticks: horizontal ? { callback: fmt, precision: percent ? undefined : 0 } : { autoSkip: true },
      },
      y: {
        stacked,
        beginAtZero: true,
        ticks: horizontal ? { autoSkip: false } : { callback: fmt, precision: percent ? undefined : 0 },
      },
    },
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: the chart is rebuilt when what it shows changes
  useEffect(() => {
    if (!canvas.current) return;
    chart.current?.destroy();
    chart.current = new Chart(canvas.current, { type: 'bar', data, options });
    return () => {
      chart.current?.destroy();
      chart.current = null;
    };
  }, [JSON.stringify(labels), JSON.stringify(series), horizontal, stacked, percent]);
  return (
    <div className="chart" style={{ height }} data-testid={testId}>
      <canvas ref={canvas} role="img" aria-label={series.map((s) => s.label).join(', ')} />
    </div>
  );
}
