/** @module A tiny, honest timer: warm-up runs, then the median of several timed runs. */
export interface BenchResult {
  name: string;
  items: number;
  perSecond: number;
  baseline?: string;
  ratio?: number;
  target?: string;
  /** What perSecond counts, printed after it; "/s" when unset. */
  unit?: string;
}

/** `prepare` runs before every round, outside the timing, so each round can start from fresh inputs. */
export function measure<T>(
  name: string,
  items: number,
  prepare: () => T,
  run: (input: T) => void,
  rounds = 5,
): BenchResult {
  run(prepare()); // warm-up: JIT and caches
  const rates: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const input = prepare();
    const started = process.hrtime.bigint();
    run(input);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    rates.push(items / seconds);
  }
  rates.sort((a, b) => a - b);
  return { name, items, perSecond: rates[Math.floor(rates.length / 2)] ?? 0 };
}
