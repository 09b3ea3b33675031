/**
 * A list that renders only the rows in view (plus a few), so fifty thousand
 * log lines cost as much as fifty. Rows have one fixed height. While the
 * reader is at the bottom it follows new rows; scrolling up stops that
 * until they scroll back down.
 */
import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';

const OVERSCAN = 10;

export function VirtualList<T>({ items, rowHeight, version, label, row }: {
  items: readonly T[];
  rowHeight: number;
  /** Changes whenever `items` changed (the array itself is reused). */
  version: number;
  label: string;
  row: (item: T, index: number) => ComponentChildren;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const following = useRef(true);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  useLayoutEffect(() => {
    const el = box.current;
    if (el && following.current) {
      el.scrollTop = el.scrollHeight;
      setScrollTop(el.scrollTop);
    }
  }, [version, height]);

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - OVERSCAN);
  const last = Math.min(items.length, Math.ceil((scrollTop + height) / rowHeight) + OVERSCAN);
  const visible = [];
  for (let i = first; i < last; i++) visible.push(<div class="vrow" role="listitem" key={i} style={{ top: `${i * rowHeight}px`, height: `${rowHeight}px` }}>{row(items[i]!, i)}</div>);

  return (
    <div class="vlist" ref={box} tabIndex={0} aria-label={label} onScroll={(e) => {
      const el = e.currentTarget as HTMLDivElement;
      following.current = el.scrollTop + el.clientHeight >= el.scrollHeight - rowHeight * 2;
      setScrollTop(el.scrollTop);
    }}>
      <div role="list" style={{ height: `${items.length * rowHeight}px`, position: 'relative' }}>{visible}</div>
    </div>
  );
}
