/**
 * @module OTLP end to end: a real `rounds daemon` (compiled dist/, its own process) receives 512-span export
 * requests over HTTP and gRPC with 4 in flight and stores their errors in SQLite. As in OTLP-NOTES §3.3, the rate
 * is spans sent per second of the daemon's own CPU time (utime + stime from /proc/<pid>/stat), so the sender's
 * CPU in this process does not count. The floor is a bare WireReader scan of the same requests in this process.
 *
 * The requests are built before any timing, with the real SDK and serializers (test/helpers/otlp-payloads.ts).
 * A pool of templates is sent round and round, and before every send the last 4 bytes of every trace id in the
 * request are XORed with a value unique to that send ({@link stamp}): every request the daemon sees has its own
 * trace ids, so the store counts every error instead of deduping repeats (which would make the numbers lie), at
 * no cost to the daemon.
 *
 * Every scenario gets a daemon of its own, started fresh, so its peak RSS (VmHWM from /proc/<pid>/status, warm-up
 * included) is its own and not left over from an earlier scenario; the issue's "< 150 MB under sustained load" is
 * judged on each target scenario's own peak, and the overall line is the largest of those.
 *
 * The daemon gets the Node flags of package.json's `start` script, as `npm start` would give them.
 * Linux only (/proc). Set BENCH_CPU_PROF=<dir> to start the daemon with `--cpu-prof --cpu-prof-dir=<dir>`,
 * BENCH_NODE_FLAGS="--flag …" to start it with more Node/V8 flags, and any OTLP_* or STORE_* variable to pass that
 * setting on to it (for example OTLP_TRACE_BUFFER_BYTES), so settings can be compared without editing this file.
 * BENCH_SCENARIOS=<regex> runs only the scenarios whose name matches (case-insensitive), e.g. "10% errors".
 * BENCH_TIMED_CPU_S=<seconds> changes the timed daemon CPU per scenario (default 10), e.g. to check that a peak
 * has settled under longer load. BENCH_DAEMON_STDOUT=<file> writes the daemon's stdout there (with
 * BENCH_NODE_FLAGS="--trace-gc-nvp": one line per GC, with what each scavenge promoted). MALLOC_* variables reach
 * the daemon too (glibc tunables). BENCH_MEM_PROBE=1 preloads bench/mem-probe.cjs into the daemon, which samples
 * process.memoryUsage() and V8's heap spaces every 25 ms; each scenario then gets a row with the breakdown at
 * its highest RSS sample (diagnostics; it costs the daemon a little CPU).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import Database from 'better-sqlite3';
import { WIRE_LEN, WIRE_VARINT, WireReader } from '../src/sources/otlp/wire.js';
import { makeTraceRequest, type PayloadEncoding, serializeSpans } from '../test/helpers/otlp-payloads.js';
import type { BenchResult } from './measure.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'run.js');
const PROBE = join(ROOT, 'bench', 'mem-probe.cjs');
const SPANS = 512;
/** Distinct templates per pool; the id stamping makes every send distinct anyway. */
const POOL = 100;
const IN_FLIGHT = 4;
/** Daemon CPU per scenario: warm-up (JIT, first signatures, trace buffer filling), then the timed part. */
const WARMUP_CPU_S = 1;
/**
 * Long enough for a sustained load: V8 lets the old generation grow for several seconds before its first full GC
 * under load, so a 3-second phase saw only part of the peak (HTTP/protobuf 1%: 131-142 MB at 3 s, 175-196 MB at
 * 25 s before the fixes of 2026-11-29).
 */
const TIMED_CPU_S = Number(process.env.BENCH_TIMED_CPU_S ?? 10) || 10;
/** A phase also ends after this much wall time, so a stalled daemon cannot hang the bench. */
const MAX_PHASE_WALL_S = 30;
const FLOOR_CPU_S = 0.75;
const MB = 1024 * 1024;
const TRACE_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

const FIELD1_LEN = (1 << 3) | WIRE_LEN;
const FIELD2_LEN = (2 << 3) | WIRE_LEN;
const SPAN_STATUS = (15 << 3) | WIRE_LEN;
const STATUS_CODE = (3 << 3) | WIRE_VARINT;
const STATUS_CODE_ERROR = 2;

// ---- payloads ----

interface Template {
  body: Buffer;
  spans: number;
  errorSpans: number;
  json: boolean;
  /** Where each trace id's last 4 bytes start: raw bytes in protobuf, 8 hex digits in JSON. */
  traceIdTails: Int32Array;
  /** Those 4 bytes as the serializer wrote them. */
  originalTails: Uint32Array;
}

interface Pool {
  encoding: PayloadEncoding;
  errorRate: number;
  templates: Template[];
}

/**
 * Walks ExportTraceServiceRequest → ResourceSpans → ScopeSpans → Span and calls `onSpan` with the reader
 * inside each Span; `onSpan` must leave the reader at the span's end or anywhere before it.
 */
function walkSpans(body: Buffer, onSpan: (reader: WireReader) => void): void {
  const reader = new WireReader(body);
  while (!reader.atEnd()) {
    const tag = reader.tag();
    if (tag !== FIELD1_LEN) {
      reader.skip(tag & 7);
      continue;
    }
    const requestLimit = reader.enter();
    while (!reader.atEnd()) {
      const resourceTag = reader.tag();
      if (resourceTag !== FIELD2_LEN) {
        reader.skip(resourceTag & 7);
        continue;
      }
      const resourceLimit = reader.enter();
      while (!reader.atEnd()) {
        const scopeTag = reader.tag();
        if (scopeTag !== FIELD2_LEN) {
          reader.skip(scopeTag & 7);
          continue;
        }
        const scopeLimit = reader.enter();
        onSpan(reader);
        reader.leave(scopeLimit);
      }
      reader.leave(resourceLimit);
    }
    reader.leave(requestLimit);
  }
}

/** The floor: count spans and read every Span.status.code, decoding nothing else. */
function scan(body: Buffer): { spans: number; errors: number } {
  let spans = 0;
  let errors = 0;
  walkSpans(body, (reader) => {
    spans++;
    while (!reader.atEnd()) {
      const tag = reader.tag();
      if (tag !== SPAN_STATUS) {
        reader.skip(tag & 7);
        continue;
      }
      const spanLimit = reader.enter();
      while (!reader.atEnd()) {
        const statusTag = reader.tag();
        if (statusTag === STATUS_CODE) {
          if (reader.uint32() === STATUS_CODE_ERROR) errors++;
        } else {
          reader.skip(statusTag & 7);
        }
      }
      reader.leave(spanLimit);
    }
  });
  return { spans, errors };
}

function protobufTraceIdOffsets(body: Buffer): Int32Array {
  const offsets: number[] = [];
  walkSpans(body, (reader) => {
    while (!reader.atEnd()) {
      const tag = reader.tag();
      if (tag !== FIELD1_LEN) {
        reader.skip(tag & 7);
        continue;
      }
      const end = reader.lengthEnd();
      if (end - reader.pos === 16) offsets.push(reader.pos);
      reader.pos = end;
    }
  });
  return Int32Array.from(offsets);
}

const JSON_TRACE_ID = Buffer.from('"traceId":"');

function jsonTraceIdOffsets(body: Buffer): Int32Array {
  const offsets: number[] = [];
  for (let at = body.indexOf(JSON_TRACE_ID); at >= 0; at = body.indexOf(JSON_TRACE_ID, at + 1)) {
    offsets.push(at + JSON_TRACE_ID.length);
  }
  return Int32Array.from(offsets);
}

function template(body: Buffer, encoding: PayloadEncoding, spans: number, errorSpans: number): Template {
  const json = encoding === 'json';
  const starts = json ? jsonTraceIdOffsets(body) : protobufTraceIdOffsets(body);
  if (starts.length !== spans) {
    throw new Error(`found ${starts.length} trace ids in a ${encoding} request of ${spans} spans`);
  }
  const traceIdTails = starts.map((start) => start + (json ? 24 : 12));
  const originalTails = Uint32Array.from(traceIdTails, (tail) =>
    json ? Number.parseInt(body.toString('latin1', tail, tail + 8), 16) : body.readUInt32BE(tail),
  );
  return { body, spans, errorSpans, json, traceIdTails, originalTails };
}

/** Builds `POOL` requests per error rate, each with its own seed, in both encodings when asked. */
function buildPools(errorRate: number, seedBase: number, encodings: PayloadEncoding[]): Pool[] {
  const pools: Pool[] = encodings.map((encoding) => ({ encoding, errorRate, templates: [] }));
  for (let i = 0; i < POOL; i++) {
    const request = makeTraceRequest({ spans: SPANS, errorRate, encoding: 'protobuf', seed: seedBase + i });
    for (const pool of pools) {
      const body = pool.encoding === 'protobuf' ? request.body : serializeSpans(request.spans, pool.encoding);
      pool.templates.push(template(body, pool.encoding, request.spans.length, request.errorSpans.length));
    }
  }
  return pools;
}

/**
 * Makes every trace id of the request new: its last 4 bytes become the original ones XOR a value unique to this
 * send (an odd multiplier is a bijection on 32 bits). Spans of one trace stay together, traces of one request stay
 * distinct, and those bytes stay random-looking, as the trace buffer's index keys expect of W3C trace ids.
 */
function stamp(t: Template, send: number): void {
  const mask = Math.imul(send, 0x9e3779b1) >>> 0;
  for (let i = 0; i < t.traceIdTails.length; i++) {
    const tail = (t.originalTails[i]! ^ mask) >>> 0;
    if (t.json) t.body.write(tail.toString(16).padStart(8, '0'), t.traceIdTails[i]!, 'latin1');
    else t.body.writeUInt32BE(tail, t.traceIdTails[i]!);
  }
}

function floor(pool: Pool): BenchResult {
  let spans = 0;
  let errors = 0;
  for (const t of pool.templates) errors += scan(t.body).errors; // warm-up, and a check of the payloads
  const expected = pool.templates.reduce((sum, t) => sum + t.errorSpans, 0);
  if (errors !== expected) throw new Error(`the floor scan found ${errors} error spans, expected ${expected}`);
  const started = process.cpuUsage();
  let micros = 0;
  while (micros < FLOOR_CPU_S * 1e6) {
    for (const t of pool.templates) spans += scan(t.body).spans;
    const used = process.cpuUsage(started);
    micros = used.user + used.system;
  }
  return {
    name: `floor: bare WireReader scan (Span.status.code only) of the same requests, ${pct(pool.errorRate)} errors, in-process`,
    items: spans,
    perSecond: spans / (micros / 1e6),
    unit: 'spans/CPU-s',
  };
}

// ---- the daemon ----

const CLK_TCK = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time of the whole process (all threads), in seconds: user (utime) and kernel (stime). */
function cpuTimes(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; fields after it start with state (field 3).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / CLK_TCK, system: Number(fields[12]) / CLK_TCK };
}

function cpuSeconds(pid: number): number {
  const { user, system } = cpuTimes(pid);
  return user + system;
}

function statusKb(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? Number.NaN);
}

function buildDist(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
  } catch (error) {
    // tsc still emits JavaScript on type errors; `npm run typecheck` is what fails on them.
    const output = (error as { stdout?: Buffer }).stdout?.toString() ?? String(error);
    process.stderr.write(`otlp bench: tsc reported errors (dist/ was still emitted):\n${output.slice(0, 2000)}\n`);
  }
}

interface Daemon {
  child: ChildProcess;
  pid: number;
  dir: string;
  db: string;
  grpcPort: number;
  httpPort: number;
  /** Log lines at warn level or above since start. */
  problems: string[];
  /** How the daemon ended after SIGTERM: 0 is a clean stop. */
  exit?: { code: number | string | null; ms: number };
  stderrTail(): string;
}

/** Node flags and settings the caller asked for on top of the bench's own (see the module comment). */
function daemonTweaks(): { flags: string[]; settings: [string, string][] } {
  const flags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '');
  const settings = Object.entries(process.env).filter((entry): entry is [string, string] =>
    /^(OTLP|STORE|MALLOC)_/.test(entry[0]),
  );
  return { flags, settings };
}

/**
 * The Node flags of package.json's `start` script (`node <flags> ./bin/run.js daemon`), so the daemon measured is
 * started the way `npm start` starts it (the container's entrypoint uses the same flags).
 */
export function startScriptFlags(): string[] {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts?: { start?: string } };
  const start = manifest.scripts?.start ?? '';
  const match = /^node((?:\s+--?[\w-]+(?:=\S+)?)*)\s+\.\/bin\/run\.js daemon$/.exec(start.trim());
  if (match === null) throw new Error(`package.json "start" is not "node [flags] ./bin/run.js daemon": ${start}`);
  return (match[1] ?? '').split(/\s+/).filter((flag) => flag !== '');
}

async function startDaemon(): Promise<Daemon> {
  const dir = mkdtempSync(join(tmpdir(), 'rounds-otlp-bench-'));
  const db = join(dir, 'signatures.db');
  const profile = process.env.BENCH_CPU_PROF;
  const { flags, settings } = daemonTweaks();
  const args = [
    ...startScriptFlags(),
    ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []),
    ...(process.env.BENCH_MEM_PROBE ? ['--require', PROBE] : []),
    ...flags,
    BIN,
    'daemon',
  ];
  // Only these variables reach the daemon: no NODE_OPTIONS from tsx, no .env.rounds from the repo (cwd = dir).
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    OTLP_MAX_INFLIGHT_REQUESTS: '1024',
    OTLP_MAX_INFLIGHT_BYTES: String(1024 * MB),
    NOTIFICATION_BACKEND: 'stdout',
    ...Object.fromEntries(settings),
    OTLP_GRPC_PORT: '0',
    OTLP_HTTP_PORT: '0',
    STORE_SQLITE_PATH: db,
  };
  const child = spawn(process.execPath, args, {
    cwd: dir,
    env,
    stdio: [
      'ignore',
      process.env.BENCH_DAEMON_STDOUT ? openSync(process.env.BENCH_DAEMON_STDOUT, 'w') : 'ignore',
      'pipe',
    ],
  });
  let stderr = '';
  let pending = '';
  const problems: string[] = [];
  const stderrTail = () => stderr.slice(-4000);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the daemon never became ready:\n${stderrTail()}`)), 30_000);
      child.stderr?.on('data', (chunk: Buffer) => {
        const text = chunk.toString();
        stderr = (stderr + text).slice(-64_000);
        pending += text;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (/"level":\s*(4|5|6)\d/.test(line)) problems.push(line.slice(0, 300));
          if (line.includes('rounds daemon running')) {
            clearTimeout(timer);
            resolve();
          }
        }
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the daemon exited (${code ?? signal}) before it was ready:\n${stderrTail()}`));
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const port = (transport: string): number =>
    Number(new RegExp(`otlp ${transport} listening on 127\\.0\\.0\\.1:(\\d+)`).exec(stderr)?.[1] ?? Number.NaN);
  const daemon = {
    child,
    pid: child.pid ?? 0,
    dir,
    db,
    grpcPort: port('grpc'),
    httpPort: port('http'),
    problems,
    stderrTail,
  };
  if (!(daemon.grpcPort > 0 && daemon.httpPort > 0)) {
    await stopDaemon(daemon);
    throw new Error(`could not read the bound ports from the daemon's log:\n${stderrTail()}`);
  }
  return daemon;
}

/** SIGTERM and wait (so a CPU profile gets written), SIGKILL if it hangs. Removes nothing. */
async function stopDaemon(daemon: Daemon): Promise<void> {
  const { child } = daemon;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started = Date.now();
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
  daemon.exit = { code: child.exitCode ?? child.signalCode, ms: Date.now() - started };
}

// ---- senders ----

/** Resolves true when the daemon accepted the request. */
type Sender = (body: Buffer) => Promise<boolean>;

interface Transport {
  send: Sender;
  close(): void;
}

function httpTransport(port: number, encoding: PayloadEncoding): Transport {
  const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const contentType = encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json';
  const send: Sender = (body) =>
    new Promise((resolve) => {
      const request = http.request(
        {
          host: '127.0.0.1',
          port,
          path: '/v1/traces',
          method: 'POST',
          agent,
          headers: { 'content-type': contentType, 'content-length': body.length },
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode === 200));
          response.on('error', () => resolve(false));
        },
      );
      request.on('error', () => resolve(false));
      request.end(body);
    });
  return { send, close: () => agent.destroy() };
}

const identity = (buffer: Buffer): Buffer => buffer;

function grpcTransport(port: number): Transport {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const send: Sender = (body) =>
    new Promise((resolve) => {
      client.makeUnaryRequest(
        TRACE_PATH,
        identity,
        identity,
        body,
        new grpc.Metadata(),
        { deadline: Date.now() + 30_000 },
        (error) => resolve(!error),
      );
    });
  return { send, close: () => client.close() };
}

// ---- scenarios ----

interface Tally {
  requests: number;
  refused: number;
  spans: number;
  errorSpans: number;
}

const sent: Tally = { requests: 0, refused: 0, spans: 0, errorSpans: 0 };
let sendCounter = 1;

/** Sends the pool round and round with IN_FLIGHT requests outstanding until `cpuBudget` daemon CPU-seconds pass. */
async function phase(
  daemon: Daemon,
  pool: Pool,
  send: Sender,
  cpuBudget: number,
): Promise<Tally & { cpu: number; system: number }> {
  const tally: Tally = { requests: 0, refused: 0, spans: 0, errorSpans: 0 };
  const before = cpuTimes(daemon.pid);
  const cpuStart = before.user + before.system;
  const wallStart = Date.now();
  let stop = false;
  const watch = setInterval(() => {
    try {
      if (cpuSeconds(daemon.pid) - cpuStart >= cpuBudget || Date.now() - wallStart > MAX_PHASE_WALL_S * 1000) {
        stop = true;
      }
    } catch {
      stop = true; // the daemon is gone; runScenario reports it
    }
  }, 50);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (!stop && daemon.child.exitCode === null) {
      const t = pool.templates[next++ % pool.templates.length]!;
      stamp(t, sendCounter++);
      if (await send(t.body)) {
        tally.requests++;
        tally.spans += t.spans;
        tally.errorSpans += t.errorSpans;
      } else {
        tally.refused++;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  } finally {
    clearInterval(watch);
  }
  // Every request has been answered, and the daemon answers only after its store committed.
  const after = cpuTimes(daemon.pid);
  const cpu = after.user + after.system - cpuStart;
  sent.requests += tally.requests;
  sent.refused += tally.refused;
  sent.spans += tally.spans;
  sent.errorSpans += tally.errorSpans;
  return { ...tally, cpu, system: after.system - before.system };
}

interface Scenario {
  name: string;
  pool: Pool;
  transport: (daemon: Daemon) => Transport;
  floor: BenchResult;
  target?: string;
}

interface ScenarioRun {
  result: BenchResult;
  /** VmHWM of the scenario's own daemon, read just before it stopped. */
  peakKb: number;
  stored: { seen: number; occurrences: number };
  exit: Daemon['exit'];
  problems: string[];
  /** The memory probe's breakdown at its highest RSS sample, with BENCH_MEM_PROBE. */
  memory?: string;
}

/** Starts a daemon of its own for the scenario, runs it, stops the daemon and reads what it stored. */
async function runScenario(scenario: Scenario): Promise<ScenarioRun> {
  const daemon = await startDaemon();
  try {
    const transport = scenario.transport(daemon);
    let timed: Awaited<ReturnType<typeof phase>>;
    try {
      await phase(daemon, scenario.pool, transport.send, WARMUP_CPU_S);
      timed = await phase(daemon, scenario.pool, transport.send, TIMED_CPU_S);
    } finally {
      transport.close();
    }
    if (daemon.child.exitCode !== null) throw new Error(`the daemon died:\n${daemon.stderrTail()}`);
    const peakKb = statusKb(daemon.pid, 'VmHWM');
    await stopDaemon(daemon);
    const stored = storedErrors(daemon.db);
    const memory = probeSummary(daemon.dir);
    const perSecond = timed.spans / timed.cpu;
    const microsPerRequest = (timed.cpu / timed.requests) * 1e6;
    const refused = timed.refused > 0 ? `${timed.refused} REFUSED` : '0 refused';
    const kernel = Math.round((timed.system / timed.cpu) * 100);
    const details = [
      `${timed.requests.toLocaleString('en-US')} requests, ${refused}`,
      `daemon: ${Math.round(microsPerRequest).toLocaleString('en-US')} µs CPU per request, ${kernel}% of it in the kernel`,
      `peak RSS ${Math.round(peakKb / 1024)} MB`,
    ];
    return {
      result: {
        name: `${scenario.name} (${details.join('; ')})`,
        items: timed.spans,
        perSecond,
        unit: 'spans/CPU-s',
        baseline: scenario.floor.name,
        ratio: perSecond / scenario.floor.perSecond,
        ...(scenario.target === undefined ? {} : { target: scenario.target }),
      },
      peakKb,
      stored,
      exit: daemon.exit,
      problems: daemon.problems,
      ...(memory === undefined ? {} : { memory }),
    };
  } finally {
    await stopDaemon(daemon);
    rmSync(daemon.dir, { recursive: true, force: true });
  }
}

interface ProbeSample {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  spaces: Record<string, [number, number]>;
}

/** The memory probe's samples (bench/mem-probe.cjs writes them at exit), summed up at the highest RSS. */
function probeSummary(dir: string): string | undefined {
  const file = join(dir, 'mem-probe.json');
  if (!existsSync(file)) return undefined;
  const samples = JSON.parse(readFileSync(file, 'utf8')) as ProbeSample[];
  const peak = samples.reduce<ProbeSample | undefined>(
    (best, s) => (best === undefined || s.rss > best.rss ? s : best),
    undefined,
  );
  if (peak === undefined) return undefined;
  const mb = (bytes: number): string => (bytes / MB).toFixed(1);
  const max = (pick: (s: ProbeSample) => number): string => mb(Math.max(...samples.map(pick)));
  const space = (name: string): string => {
    const [size, used] = peak.spaces[name] ?? [0, 0];
    return `${mb(size)}/${mb(used)}`;
  };
  const native = peak.rss - peak.heapTotal - peak.external;
  return (
    `at the highest RSS sample (${mb(peak.rss)} MB): V8 heap ${mb(peak.heapTotal)} (used ${mb(peak.heapUsed)}; ` +
    `size/used new ${space('new_space')}, old ${space('old_space')}, code ${space('code_space')}, ` +
    `large ${space('large_object_space')}), external ${mb(peak.external)} (array buffers ${mb(peak.arrayBuffers)}), ` +
    `rest (binary, native heap, SQLite) ${mb(native)}; largest over the run: heap ${max((s) => s.heapTotal)}, ` +
    `heap used ${max((s) => s.heapUsed)}, external ${max((s) => s.external)}, ${samples.length} samples`
  );
}

/** What the daemon stored, read from its SQLite file after it stopped. */
function storedErrors(db: string): { seen: number; occurrences: number } {
  const database = new Database(db, { readonly: true, fileMustExist: true });
  try {
    const seen = database.prepare('SELECT count(*) FROM seen_events').pluck().get() as number;
    const occurrences = database.prepare('SELECT coalesce(sum(occurrence_count), 0) FROM signatures').pluck().get();
    return { seen, occurrences: occurrences as number };
  } finally {
    database.close();
  }
}

function pct(rate: number): string {
  return `${Math.round(rate * 100)}%`;
}

export async function otlpEndToEndBench(): Promise<BenchResult[]> {
  if (!existsSync('/proc/self/stat')) throw new Error('the OTLP end-to-end bench reads /proc: Linux only');
  Object.assign(sent, { requests: 0, refused: 0, spans: 0, errorSpans: 0 });
  buildDist();

  const [http1] = buildPools(0.01, 1_000_000, ['protobuf']);
  const [http10, json10] = buildPools(0.1, 2_000_000, ['protobuf', 'json']);
  if (http1 === undefined || http10 === undefined || json10 === undefined) throw new Error('no pools');
  const floor1 = floor(http1);
  const floor10 = floor(http10);

  const scenarios: Scenario[] = [
    {
      name: 'HTTP/protobuf, 1% errors',
      pool: http1,
      transport: (d) => httpTransport(d.httpPort, 'protobuf'),
      floor: floor1,
      target: '>= 400k spans/CPU-s (one core)',
    },
    {
      name: 'HTTP/protobuf, 10% errors',
      pool: http10,
      transport: (d) => httpTransport(d.httpPort, 'protobuf'),
      floor: floor10,
      target: '>= 150k spans/CPU-s (one core)',
    },
    {
      name: 'gRPC, 1% errors',
      pool: http1,
      transport: (d) => grpcTransport(d.grpcPort),
      floor: floor1,
      target: '>= 250k spans/CPU-s (one core)',
    },
    {
      name: 'HTTP/JSON, 10% errors',
      pool: json10,
      transport: (d) => httpTransport(d.httpPort, 'json'),
      floor: floor10,
    },
  ];

  const only = process.env.BENCH_SCENARIOS;
  const chosen = only === undefined ? scenarios : scenarios.filter((s) => new RegExp(only, 'i').test(s.name));
  const results: BenchResult[] = [floor1, floor10];
  const runs: { scenario: Scenario; run: ScenarioRun }[] = [];
  for (const scenario of chosen) {
    const run = await runScenario(scenario);
    runs.push({ scenario, run });
    results.push(run.result);
  }

  for (const { scenario, run } of runs) {
    results.push({
      name: `peak RSS (VmHWM) of a fresh daemon that ran only: ${scenario.name}`,
      items: 1,
      perSecond: run.peakKb / 1024,
      unit: 'MB',
      ...(scenario.target === undefined ? {} : { target: '< 150 MB' }),
    });
  }
  const judged = runs.filter(({ scenario }) => scenario.target !== undefined);
  if (judged.length > 0) {
    results.push({
      name: `peak RSS, largest of the target scenarios' own peaks (${judged.map(({ scenario }) => scenario.name).join('; ')})`,
      items: 1,
      perSecond: Math.max(...judged.map(({ run }) => run.peakKb)) / 1024,
      unit: 'MB',
      target: '< 150 MB',
    });
  }
  for (const { scenario, run } of runs) {
    if (run.memory === undefined) continue;
    results.push({
      name: `memory probe, ${scenario.name}: ${run.memory}`,
      items: 1,
      perSecond: run.peakKb / 1024,
      unit: 'MB peak',
    });
  }

  const seen = runs.reduce((sum, { run }) => sum + run.stored.seen, 0);
  const occurrences = runs.reduce((sum, { run }) => sum + run.stored.occurrences, 0);
  const matches = seen === sent.errorSpans && occurrences === sent.errorSpans;
  results.push({
    name: `${matches ? 'check' : 'WARNING'}: error events stored (seen_events ${seen.toLocaleString('en-US')}, sum of occurrence_count ${occurrences.toLocaleString('en-US')}, over all daemons) vs error spans sent and acknowledged`,
    items: sent.errorSpans,
    perSecond: sent.errorSpans,
    unit: 'error spans sent',
    baseline: 'error spans sent',
    ratio: seen / sent.errorSpans,
    target: 'stored = sent',
  });
  const tweaks = daemonTweaks();
  const tweaked = [...tweaks.flags, ...tweaks.settings.map(([name, value]) => `${name}=${value}`)];
  if (tweaked.length > 0) {
    results.push({
      name: `NOTE: the daemon ran with non-default settings: ${tweaked.join(' ')}`,
      items: tweaked.length,
      perSecond: tweaked.length,
      unit: 'settings',
    });
  }
  if (sent.refused > 0) {
    results.push({
      name: `WARNING: the daemon refused ${sent.refused} requests (warm-ups included)`,
      items: sent.refused,
      perSecond: sent.refused,
      unit: 'requests',
      target: '0',
    });
  }
  for (const { scenario, run } of runs) {
    if (run.exit?.code !== 0) {
      results.push({
        name: `WARNING: the daemon of "${scenario.name}" did not stop cleanly on SIGTERM (${run.exit?.code}) after ${run.exit?.ms} ms`,
        items: 1,
        perSecond: run.exit?.ms ?? 0,
        unit: 'ms',
        target: 'exit 0 within 20 s',
      });
    }
    if (run.problems.length > 0) {
      results.push({
        name: `WARNING: the daemon of "${scenario.name}" logged ${run.problems.length} warnings or errors; first: ${run.problems[0]?.replaceAll('|', '/')}`,
        items: run.problems.length,
        perSecond: run.problems.length,
        unit: 'log lines',
      });
    }
  }
  return results;
}
