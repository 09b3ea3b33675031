/**
 * A live line chart (uPlot: small and fast, canvas-drawn): one series per
 * name, x in seconds since the epoch. The chart is made once and fed new
 * data as it arrives, not rebuilt.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];

export function Chart({ title, series, x, ys, unit }: { title: string; series: string[]; x: number[]; ys: (number | null)[][]; unit: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const key = series.join('|');
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height: 180,
      series: [{}, ...series.map((label, i) => ({ label, stroke: COLOURS[i % COLOURS.length], width: 1.5, spanGaps: true, value: (_: uPlot, v: number | null) => (v === null ? '–' : `${v.toFixed(v < 10 ? 2 : 0)} ${unit}`) }))],
      axes: [{}, { size: 50 }],
      scales: { x: { time: true } },
      legend: { live: false },
    };
    plot.current = new uPlot(opts, [x, ...ys] as uPlot.AlignedData, el);
    const observer = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(280, el.clientWidth), height: 180 }));
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.current?.destroy();
      plot.current = undefined;
    };
  }, [key]);
  useEffect(() => {
    plot.current?.setData([x, ...ys] as uPlot.AlignedData);
  });
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={`${title}, last five minutes, ${series.join(', ')}`} />
    </figure>
  );
}
