/**
 * A small Prometheus registry: counters, gauges and histograms with typed label names,
 * rendered in the text exposition format 0.0.4 (prometheus.io/docs/instrumenting/
 * exposition_formats). No dependency: the format is a few lines per metric.
 */

export type LabelValues<L extends string> = [L] extends [never] ? Record<string, never> : Record<L, string | number>;

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** HELP text escapes backslash and newline; label values also escape the double quote. */
function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}
function escapeLabelValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

abstract class Metric<L extends string> {
  protected readonly series = new Map<string, { labels: Array<[string, string]>; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly L[],
    readonly type: 'counter' | 'gauge' | 'histogram',
  ) {
    if (!NAME_RE.test(name)) throw new Error(`invalid metric name ${name}`);
    for (const l of labelNames) if (!LABEL_RE.test(l) || l.startsWith('__') || l === 'le') throw new Error(`invalid label name ${l} on ${name}`);
  }

  protected key(labels: LabelValues<L> | undefined): { key: string; pairs: Array<[string, string]> } {
    const given = (labels ?? {}) as Record<string, string | number>;
    const pairs: Array<[string, string]> = this.labelNames.map((n) => {
      const v = given[n];
      if (v === undefined) throw new Error(`metric ${this.name} needs label ${n}`);
      return [n, String(v)];
    });
    if (Object.keys(given).length !== pairs.length) throw new Error(`metric ${this.name} takes labels ${this.labelNames.join(', ') || '(none)'}`);
    return { key: JSON.stringify(pairs.map((p) => p[1])), pairs };
  }

  protected header(): string[] {
    return [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
  }

  /** Forgets every series (e.g. a source removed from the configuration). */
  reset(): void {
    this.series.clear();
  }

  abstract render(): string[];
}

function renderLabels(pairs: Array<[string, string]>, extra?: [string, string]): string {
  const all = extra ? [...pairs, extra] : pairs;
  if (all.length === 0) return '';
  return `{${all.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

export class Counter<L extends string = never> extends Metric<L> {
  constructor(name: string, help: string, labelNames: readonly L[] = []) {
    super(name, help, labelNames, 'counter');
    this.zero();
  }

  /** A counter without labels has one series, exported from 0 before it first moves (rate() needs the start). */
  private zero(): void {
    if (this.labelNames.length === 0) this.series.set(JSON.stringify([]), { labels: [], value: 0 });
  }

  override reset(): void {
    super.reset();
    this.zero();
  }

  inc(labels?: LabelValues<L>, by = 1): void {
    if (!(by >= 0)) throw new Error(`counter ${this.name} can only go up (got ${by})`);
    const { key, pairs } = this.key(labels);
    const s = this.series.get(key);
    if (s) s.value += by;
    else this.series.set(key, { labels: pairs, value: by });
  }

  /**
   * Copies a total kept elsewhere (a source's own reading count). Never lowers the value:
   * a counter that went backwards would read as a process restart to Prometheus' rate().
   */
  setTotal(labels: LabelValues<L> | undefined, total: number): void {
    const { key, pairs } = this.key(labels);
    const s = this.series.get(key);
    if (s) s.value = Math.max(s.value, total);
    else this.series.set(key, { labels: pairs, value: total });
  }

  get(labels?: LabelValues<L>): number {
    return this.series.get(this.key(labels).key)?.value ?? 0;
  }

  render(): string[] {
    return [...this.header(), ...[...this.series.values()].map((s) => `${this.name}${renderLabels(s.labels)} ${formatValue(s.value)}`)];
  }
}

export class Gauge<L extends string = never> extends Metric<L> {
  constructor(name: string, help: string, labelNames: readonly L[] = []) {
    super(name, help, labelNames, 'gauge');
  }

  set(labels: LabelValues<L> | undefined, value: number): void {
    const { key, pairs } = this.key(labels);
    this.series.set(key, { labels: pairs, value });
  }

  inc(labels?: LabelValues<L>, by = 1): void {
    const { key, pairs } = this.key(labels);
    const s = this.series.get(key);
    if (s) s.value += by;
    else this.series.set(key, { labels: pairs, value: by });
  }

  dec(labels?: LabelValues<L>, by = 1): void {
    this.inc(labels, -by);
  }

  /** Sets 1 on the series whose `label` is `current` and 0 on the others (a state set). */
  setState(label: L, current: string, states: readonly string[], rest?: Omit<LabelValues<L>, L>): void {
    for (const s of states) this.set({ ...(rest ?? {}), [label]: s } as LabelValues<L>, s === current ? 1 : 0);
  }

  get(labels?: LabelValues<L>): number | undefined {
    return this.series.get(this.key(labels).key)?.value;
  }

  render(): string[] {
    return [...this.header(), ...[...this.series.values()].map((s) => `${this.name}${renderLabels(s.labels)} ${formatValue(s.value)}`)];
  }
}

export class Histogram<L extends string = never> extends Metric<L> {
  private readonly hist = new Map<string, { labels: Array<[string, string]>; counts: number[]; sum: number; count: number }>();
  readonly buckets: readonly number[];

  constructor(name: string, help: string, labelNames: readonly L[] = [], buckets: readonly number[] = DEFAULT_BUCKETS) {
    super(name, help, labelNames, 'histogram');
    const sorted = [...buckets].sort((a, b) => a - b);
    if (sorted.some((b, i) => i > 0 && b === sorted[i - 1])) throw new Error(`histogram ${name} has duplicate buckets`);
    this.buckets = sorted.filter((b) => b !== Infinity);
    this.zero();
  }

  /** Like a counter: without labels, the one series is exported empty from the start. */
  private zero(): void {
    if (this.labelNames.length === 0) this.hist.set(JSON.stringify([]), { labels: [], counts: this.buckets.map(() => 0), sum: 0, count: 0 });
  }

  observe(labels: LabelValues<L> | undefined, value: number): void {
    const { key, pairs } = this.key(labels);
    let h = this.hist.get(key);
    if (!h) {
      h = { labels: pairs, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.hist.set(key, h);
    }
    // Each bucket counts observations less than or equal to its bound.
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) h.counts[i]!++;
    h.sum += value;
    h.count++;
  }

  snapshot(labels?: LabelValues<L>): { count: number; sum: number } {
    const h = this.hist.get(this.key(labels).key);
    return { count: h?.count ?? 0, sum: h?.sum ?? 0 };
  }

  override reset(): void {
    this.hist.clear();
    this.zero();
  }

  render(): string[] {
    const lines = this.header();
    for (const h of this.hist.values()) {
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket${renderLabels(h.labels, ['le', formatValue(b)])} ${h.counts[i]}`));
      lines.push(`${this.name}_bucket${renderLabels(h.labels, ['le', '+Inf'])} ${h.count}`);
      lines.push(`${this.name}_sum${renderLabels(h.labels)} ${formatValue(h.sum)}`);
      lines.push(`${this.name}_count${renderLabels(h.labels)} ${h.count}`);
    }
    return lines;
  }
}

/** Seconds; from 1 ms to 10 s, which covers a TPM signature and an MQTT round trip. */
export const DEFAULT_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class MetricsRegistry {
  private readonly metrics = new Map<string, Metric<string>>();
  private readonly collectors: Array<() => void | Promise<void>> = [];

  counter<const L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return this.add(new Counter<L>(name, help, labelNames));
  }

  gauge<const L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return this.add(new Gauge<L>(name, help, labelNames));
  }

  histogram<const L extends string = never>(name: string, help: string, labelNames: readonly L[] = [], buckets?: readonly number[]): Histogram<L> {
    return this.add(new Histogram<L>(name, help, labelNames, buckets));
  }

  /** Runs before each exposition, to copy values that live elsewhere (outbox depth, source health). */
  onCollect(fn: () => void | Promise<void>): void {
    this.collectors.push(fn);
  }

  async expose(): Promise<string> {
    for (const c of this.collectors) await c();
    const lines: string[] = [];
    for (const m of this.metrics.values()) lines.push(...m.render());
    return lines.join('\n') + '\n';
  }

  private add<M extends Metric<string>>(m: M): M {
    if (this.metrics.has(m.name)) throw new Error(`metric ${m.name} registered twice`);
    this.metrics.set(m.name, m);
    return m;
  }
}
