/**
 * @module Checks the OpenTelemetry Collector configs in collector-configs/: each parses, each pipeline references
 * only components the file defines, and everything aimed at Rounds matches what Rounds serves (ports from
 * `envSchema` defaults, traces and logs only, bearer auth wired the way Rounds checks it, errors-only filters that
 * drop the right side). The checks are plain functions over a parsed config, so the second half of this file
 * feeds them deliberately broken configs and expects each break to be reported.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { envSchema } from '../src/config/schema.js';

const CONFIG_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../collector-configs');

/** What Rounds listens on when nothing is configured: the numbers every Rounds-bound exporter must use. */
const ROUNDS_DEFAULTS = envSchema.parse({});
const PORTS: RoundsPorts = { grpc: ROUNDS_DEFAULTS.OTLP_GRPC_PORT, http: ROUNDS_DEFAULTS.OTLP_HTTP_PORT };

interface RoundsPorts {
  grpc: number;
  http: number;
}

interface CheckOptions {
  /** The file's base name: names containing `auth`, `tail-sampling` or `loadbalancing` get their extra checks. */
  fileName: string;
  ports: RoundsPorts;
}

type Mapping = Record<string, unknown>;

const SECTIONS = ['receivers', 'processors', 'exporters', 'connectors', 'extensions'] as const;
const SIGNALS = new Set(['traces', 'metrics', 'logs', 'profiles']);
/** Rounds accepts these signals only; it answers UNIMPLEMENTED (gRPC) or 404 (HTTP) for metrics. */
const ROUNDS_SIGNALS = new Set(['traces', 'logs']);

// Exporter and extension types, with the lower_snake_case names newer collectors use (the old names are aliases).
const GRPC_EXPORTERS = new Set(['otlp', 'otlp_grpc']);
const HTTP_EXPORTERS = new Set(['otlphttp', 'otlp_http']);
const LB_EXPORTERS = new Set(['loadbalancing', 'load_balancing']);
const BEARER_EXTENSIONS = new Set(['bearertokenauth', 'bearer_token_auth']);
/** The loadbalancing exporter's port when a hostname or resolver names none. */
const LB_DEFAULT_PORT = 4317;
/** Rounds' gRPC server (grpc-js) decodes gzip and deflate; the collector's gRPC exporter offers gzip, zstd, snappy. */
const GRPC_COMPRESSION = new Set(['gzip', 'none', '']);
/** Rounds' HTTP server accepts Content-Encoding gzip, deflate, zstd and identity. */
const HTTP_COMPRESSION = new Set(['gzip', 'deflate', 'zstd', 'none', '']);
const ENV_REFERENCE = /^\$\{(?:env:)?[A-Za-z_][A-Za-z0-9_]*\}$/;

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mapping(value: unknown): Mapping {
  return isMapping(value) ? value : {};
}

function componentType(id: string): string {
  return id.split('/', 1)[0] ?? id;
}

function isRoundsHost(host: string): boolean {
  return host.toLowerCase().includes('rounds');
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

interface HostPort {
  scheme?: string;
  host: string;
  port?: number;
}

/** `host:port`, optionally with `http://` or `https://`, as the gRPC exporter and loadbalancing hostnames take it. */
function parseHostPort(raw: string): HostPort | undefined {
  const match = /^(?:(https?):\/\/)?(\[[^\]]+\]|[^/:\s]+)(?::(\d+))?\/?$/.exec(raw.trim());
  if (match === null) return undefined;
  const [, scheme, host, port] = match;
  if (host === undefined) return undefined;
  return {
    ...(scheme === undefined ? {} : { scheme }),
    host,
    ...(port === undefined ? {} : { port: Number(port) }),
  };
}

/** The host of an http(s) URL; for anything else the raw text, so a URL missing its scheme is still recognised. */
function urlHost(raw: string): string {
  try {
    const url = new URL(raw);
    if ((url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '') return url.hostname;
  } catch {
    // not a URL at all
  }
  return raw;
}

/** Every string inside a parsed YAML value, depth first. */
function deepStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(deepStrings);
  if (isMapping(value)) return Object.values(value).flatMap(deepStrings);
  return [];
}

/** An exporter that sends to Rounds, found by a host name containing `rounds`. */
interface RoundsExporter {
  id: string;
  transport: 'grpc' | 'http';
  /** Where `auth` lives: the exporter itself, or `protocol.otlp` for the loadbalancing exporter. */
  client: Mapping;
  clientPath: string;
}

/**
 * Every problem found in one parsed collector config, each prefixed with where it is. Empty means the config is
 * consistent and everything it sends to Rounds matches what Rounds serves.
 */
function checkCollectorConfig(config: unknown, options: CheckOptions): string[] {
  const problems: string[] = [];
  if (!isMapping(config)) return ['the file is not a YAML mapping'];

  const sections: Record<(typeof SECTIONS)[number], Mapping> = {
    receivers: mapping(config.receivers),
    processors: mapping(config.processors),
    exporters: mapping(config.exporters),
    connectors: mapping(config.connectors),
    extensions: mapping(config.extensions),
  };
  for (const section of SECTIONS) {
    if (config[section] !== undefined && config[section] !== null && !isMapping(config[section])) {
      problems.push(`${section}: must be a mapping of component ids`);
    }
  }
  if (Object.keys(sections.receivers).length === 0) problems.push('receivers: missing or empty');
  if (Object.keys(sections.exporters).length === 0) problems.push('exporters: missing or empty');
  const service = mapping(config.service);
  const pipelines = mapping(service.pipelines);
  if (Object.keys(pipelines).length === 0) problems.push('service.pipelines: missing or empty');

  // Extensions: enabled ones must be defined; any authenticator must be defined and enabled.
  const enabledExtensions = new Set(stringList(service.extensions));
  if (service.extensions !== undefined && !Array.isArray(service.extensions)) {
    problems.push('service.extensions: must be a list of extension ids');
  }
  for (const id of enabledExtensions) {
    if (!(id in sections.extensions)) problems.push(`service.extensions: "${id}" is not defined under extensions`);
  }
  const checkAuthenticator = (where: string, client: Mapping): string | undefined => {
    const auth = client.auth;
    if (auth === undefined) return undefined;
    const authenticator = mapping(auth).authenticator;
    if (typeof authenticator !== 'string' || authenticator === '') {
      problems.push(`${where}.auth.authenticator: must name an extension`);
      return undefined;
    }
    if (!(authenticator in sections.extensions)) {
      problems.push(`${where}.auth.authenticator: "${authenticator}" is not defined under extensions`);
    } else if (!enabledExtensions.has(authenticator)) {
      problems.push(`${where}.auth.authenticator: "${authenticator}" is not listed in service.extensions`);
    }
    return authenticator;
  };
  for (const [id, receiver] of Object.entries(sections.receivers)) {
    for (const [protocol, settings] of Object.entries(mapping(mapping(receiver).protocols))) {
      checkAuthenticator(`receivers.${id}.protocols.${protocol}`, mapping(settings));
    }
  }

  // Exporters that point at Rounds: right port for the transport, no metrics path, a compression Rounds decodes.
  const roundsExporters = new Map<string, RoundsExporter>();
  for (const [id, raw] of Object.entries(sections.exporters)) {
    const exporter = mapping(raw);
    const type = componentType(id);
    const where = `exporters.${id}`;
    if (GRPC_EXPORTERS.has(type)) {
      if (typeof exporter.endpoint !== 'string') {
        checkAuthenticator(where, exporter);
        continue;
      }
      const target = parseHostPort(exporter.endpoint);
      if (!isRoundsHost(target?.host ?? exporter.endpoint)) {
        checkAuthenticator(where, exporter);
        continue;
      }
      roundsExporters.set(id, { id, transport: 'grpc', client: exporter, clientPath: where });
      if (target === undefined) {
        problems.push(
          `${where}.endpoint: "${exporter.endpoint}" must be host:port, optionally after http:// or https://`,
        );
      } else if (target.port !== options.ports.grpc) {
        problems.push(
          `${where}.endpoint: "${exporter.endpoint}" must use Rounds' gRPC port ${options.ports.grpc} (OTLP_GRPC_PORT), not ${target.port ?? 'no port'}`,
        );
      }
      checkCompression(problems, where, exporter.compression, GRPC_COMPRESSION);
    } else if (HTTP_EXPORTERS.has(type)) {
      const urls = (['endpoint', 'traces_endpoint', 'logs_endpoint', 'metrics_endpoint'] as const).filter(
        (key) => typeof exporter[key] === 'string',
      );
      const toRounds = urls.filter((key) => isRoundsHost(urlHost(String(exporter[key]))));
      if (toRounds.length === 0) {
        checkAuthenticator(where, exporter);
        continue;
      }
      roundsExporters.set(id, { id, transport: 'http', client: exporter, clientPath: where });
      for (const key of toRounds) checkHttpUrl(problems, `${where}.${key}`, String(exporter[key]), key, options);
      if (exporter.encoding !== undefined && exporter.encoding !== 'proto' && exporter.encoding !== 'json') {
        problems.push(`${where}.encoding: must be proto or json, not ${JSON.stringify(exporter.encoding)}`);
      }
      checkCompression(problems, where, exporter.compression, HTTP_COMPRESSION);
    } else if (LB_EXPORTERS.has(type)) {
      const otlp = mapping(mapping(exporter.protocol).otlp);
      const resolver = mapping(exporter.resolver);
      const configured = ['static', 'dns', 'k8s', 'aws_cloud_map'].filter((name) => resolver[name] != null);
      const staticHosts = stringList(mapping(resolver.static).hostnames);
      const dns = mapping(resolver.dns);
      const k8s = mapping(resolver.k8s);
      const roundsStatic = staticHosts.filter((host) => isRoundsHost(parseHostPort(host)?.host ?? host));
      const dnsToRounds = typeof dns.hostname === 'string' && isRoundsHost(dns.hostname);
      const k8sToRounds = typeof k8s.service === 'string' && isRoundsHost(k8s.service);
      if (roundsStatic.length === 0 && !dnsToRounds && !k8sToRounds) {
        checkAuthenticator(`${where}.protocol.otlp`, otlp);
        continue;
      }
      roundsExporters.set(id, { id, transport: 'grpc', client: otlp, clientPath: `${where}.protocol.otlp` });
      if (configured.length !== 1) {
        problems.push(`${where}.resolver: configure exactly one resolver, found ${configured.join(', ') || 'none'}`);
      }
      if (mapping(exporter.protocol).otlp === undefined) {
        problems.push(`${where}.protocol.otlp: missing (the loadbalancing exporter only speaks OTLP/gRPC)`);
      }
      if (otlp.endpoint !== undefined) {
        problems.push(`${where}.protocol.otlp.endpoint: leave it out; the resolver supplies each backend's endpoint`);
      }
      for (const host of roundsStatic) {
        const parsed = parseHostPort(host);
        const port = parsed?.port ?? LB_DEFAULT_PORT;
        if (parsed === undefined || parsed.scheme !== undefined) {
          problems.push(`${where}.resolver.static.hostnames: "${host}" must be host:port`);
        } else if (port !== options.ports.grpc) {
          problems.push(
            `${where}.resolver.static.hostnames: "${host}" must use Rounds' gRPC port ${options.ports.grpc} (OTLP_GRPC_PORT), not ${port}`,
          );
        }
      }
      if (dnsToRounds) {
        const port = dns.port === undefined ? LB_DEFAULT_PORT : Number(dns.port);
        if (port !== options.ports.grpc) {
          problems.push(`${where}.resolver.dns.port: must be Rounds' gRPC port ${options.ports.grpc}, not ${dns.port}`);
        }
      }
      if (k8sToRounds) {
        const ports = Array.isArray(k8s.ports) ? k8s.ports.map(Number) : [LB_DEFAULT_PORT];
        if (ports.some((port) => port !== options.ports.grpc)) {
          problems.push(`${where}.resolver.k8s.ports: must be Rounds' gRPC port ${options.ports.grpc}`);
        }
      }
      checkCompression(problems, `${where}.protocol.otlp`, otlp.compression, GRPC_COMPRESSION);
    } else {
      checkAuthenticator(where, exporter);
    }
  }

  // Authentication towards Rounds: only a bearer token in `authorization`, never written into the file.
  const bearerExtensions = Object.keys(sections.extensions).filter((id) => BEARER_EXTENSIONS.has(componentType(id)));
  for (const id of bearerExtensions) {
    const extension = mapping(sections.extensions[id]);
    const where = `extensions.${id}`;
    if (typeof extension.token === 'string' && !ENV_REFERENCE.test(extension.token.trim())) {
      problems.push(`${where}.token: read it from an environment variable (\${env:NAME}), do not write it in the file`);
    }
    if (extension.token === undefined && extension.filename === undefined && extension.tokens === undefined) {
      problems.push(`${where}: needs token (from \${env:NAME}) or filename`);
    }
    if (extension.scheme !== undefined && String(extension.scheme).toLowerCase() !== 'bearer') {
      problems.push(`${where}.scheme: Rounds expects "Bearer", not ${JSON.stringify(extension.scheme)}`);
    }
    if (extension.header !== undefined && String(extension.header).toLowerCase() !== 'authorization') {
      problems.push(`${where}.header: Rounds reads the authorization header, not ${JSON.stringify(extension.header)}`);
    }
  }
  const isAuthFile = options.fileName.includes('auth');
  if (isAuthFile && bearerExtensions.length === 0) {
    problems.push('extensions: an auth config must define a bearertokenauth extension');
  }
  for (const exporter of roundsExporters.values()) {
    const authenticator = checkAuthenticator(exporter.clientPath, exporter.client);
    const bearer = authenticator !== undefined && BEARER_EXTENSIONS.has(componentType(authenticator));
    if (isAuthFile && !bearer) {
      problems.push(`${exporter.clientPath}.auth.authenticator: must reference a bearertokenauth extension`);
    }
    if (bearer && exporter.transport === 'grpc' && mapping(exporter.client.tls).insecure === true) {
      problems.push(
        `${exporter.clientPath}.tls.insecure: bearertokenauth over gRPC requires transport security; the exporter refuses to start with insecure: true`,
      );
    }
    for (const [name, value] of Object.entries(mapping(exporter.client.headers))) {
      if (name.toLowerCase() === 'authorization' && !String(value).includes('${')) {
        problems.push(`${exporter.clientPath}.headers.${name}: read the token from an environment variable`);
      }
    }
  }

  // Pipelines: every reference defined, Rounds only on traces and logs, processors in a sensible order.
  const usedRoundsExporters = new Set<string>();
  for (const [pipelineId, raw] of Object.entries(pipelines)) {
    const where = `service.pipelines.${pipelineId}`;
    const pipeline = mapping(raw);
    const signal = componentType(pipelineId);
    if (!SIGNALS.has(signal)) {
      problems.push(`${where}: the pipeline id must start with traces, metrics, logs or profiles`);
    }
    const receivers = checkReferences(problems, where, pipeline, 'receivers', [
      sections.receivers,
      sections.connectors,
    ]);
    const processors = checkReferences(problems, where, pipeline, 'processors', [sections.processors]);
    const exporters = checkReferences(problems, where, pipeline, 'exporters', [
      sections.exporters,
      sections.connectors,
    ]);
    if (receivers.length === 0) problems.push(`${where}.receivers: needs at least one receiver`);
    if (exporters.length === 0) problems.push(`${where}.exporters: needs at least one exporter`);

    const memoryLimiter = processors.findIndex((id) => componentType(id) === 'memory_limiter');
    if (memoryLimiter > 0) problems.push(`${where}.processors: memory_limiter must come first`);
    for (const id of processors) {
      const type = componentType(id);
      const settings = mapping(sections.processors[id]);
      if (type === 'tail_sampling' && signal !== 'traces') {
        problems.push(`${where}.processors: ${id} works on traces only`);
      }
      if (type === 'filter' && (signal === 'traces' || signal === 'logs') && filterConditions(settings, signal) === 0) {
        problems.push(`${where}.processors: ${id} has no ${signal} conditions, so it filters nothing here`);
      }
    }

    const toRounds = exporters.filter((id) => roundsExporters.has(id));
    for (const id of toRounds) usedRoundsExporters.add(id);
    if (toRounds.length === 0) continue;
    if (!ROUNDS_SIGNALS.has(signal)) {
      problems.push(
        `${where}.exporters: ${toRounds.join(', ')} send ${signal} to Rounds, which accepts traces and logs only (metrics get UNIMPLEMENTED)`,
      );
      continue;
    }
    problems.push(...checkErrorSelection(where, signal, processors, sections.processors));
  }
  for (const id of roundsExporters.keys()) {
    if (!usedRoundsExporters.has(id)) problems.push(`exporters.${id}: sends to Rounds but no pipeline uses it`);
  }

  problems.push(...checkByFileName(options, roundsExporters, pipelines, sections));
  return problems;
}

function checkCompression(problems: string[], where: string, compression: unknown, allowed: Set<string>): void {
  if (compression === undefined) return;
  if (!allowed.has(String(compression))) {
    problems.push(
      `${where}.compression: Rounds cannot decode ${JSON.stringify(compression)}; use ${[...allowed].filter(Boolean).join(' or ')}`,
    );
  }
}

function checkHttpUrl(problems: string[], where: string, raw: string, key: string, options: CheckOptions): void {
  if (key === 'metrics_endpoint') {
    problems.push(`${where}: Rounds does not accept metrics; remove it`);
    return;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push(`${where}: "${raw}" must be a URL with an http:// or https:// scheme`);
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    problems.push(`${where}: "${raw}" must start with http:// or https://`);
    return;
  }
  if (url.port !== String(options.ports.http)) {
    problems.push(
      `${where}: "${raw}" must use Rounds' HTTP port ${options.ports.http} (OTLP_HTTP_PORT), not ${url.port || 'the scheme default'}`,
    );
  }
  const expectedPath = key === 'traces_endpoint' ? '/v1/traces' : key === 'logs_endpoint' ? '/v1/logs' : '/';
  const path = url.pathname === '' ? '/' : url.pathname;
  if (key === 'endpoint' && path !== '/') {
    problems.push(`${where}: "${raw}" must be a base URL without a path; the exporter appends /v1/traces and /v1/logs`);
  } else if (key !== 'endpoint' && path !== expectedPath) {
    problems.push(`${where}: "${raw}" must end in ${expectedPath}, the path Rounds serves`);
  }
}

function checkReferences(
  problems: string[],
  where: string,
  pipeline: Mapping,
  key: 'receivers' | 'processors' | 'exporters',
  definedIn: Mapping[],
): string[] {
  const value = pipeline[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    problems.push(`${where}.${key}: must be a list of component ids`);
    return stringList(value);
  }
  const ids = stringList(value);
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) problems.push(`${where}.${key}: "${id}" is listed twice`);
    seen.add(id);
    if (!definedIn.some((section) => id in section)) {
      problems.push(
        `${where}.${key}: "${id}" is not defined under ${key === 'processors' ? 'processors' : `${key} or connectors`}`,
      );
    }
  }
  return ids;
}

/** The filter processor's OTTL conditions for one signal: the classic `traces.span` form and the newer `trace_conditions`. */
function filterConditionList(filter: Mapping, signal: 'traces' | 'logs'): string[] {
  const classic =
    signal === 'traces'
      ? [...stringList(mapping(filter.traces).span), ...stringList(mapping(filter.traces).spanevent)]
      : stringList(mapping(filter.logs).log_record);
  const inferred = stringList(filter[signal === 'traces' ? 'trace_conditions' : 'log_conditions']);
  return [...classic, ...inferred];
}

function filterConditions(filter: Mapping, signal: 'traces' | 'logs'): number {
  return filterConditionList(filter, signal).length;
}

const SPAN_KEEPS_ERRORS = /\b(?:span\.)?status\.code\s*!=\s*STATUS_CODE_ERROR\b/;
const SPAN_DROPS_ERRORS = /\b(?:span\.)?status\.code\s*==\s*STATUS_CODE_ERROR\b/;
const LOG_KEEPS_ERRORS = /\b(?:log\.)?severity_number\s*<\s*SEVERITY_NUMBER_ERROR\b/;
const LOG_DROPS_ERRORS = /\b(?:log\.)?severity_number\s*(?:>=|>|==)\s*SEVERITY_NUMBER_ERROR\b/;
/** A marker attribute that the filter expects some earlier transform to have set, e.g. `rounds.exception_event`. */
const MARKER = /attributes\["(rounds\.[^"]+)"\]\s*==\s*nil/g;

/**
 * A Rounds-bound pipeline must cut the data down to errors: for traces either a tail_sampling processor with a
 * status_code ERROR policy or a filter that drops non-ERROR spans; for logs a filter that drops records below
 * ERROR. Filter conditions DROP what they match, so the comparison direction is checked too.
 */
function checkErrorSelection(where: string, signal: string, processors: string[], defined: Mapping): string[] {
  const problems: string[] = [];
  let selects = false;
  for (const [index, id] of processors.entries()) {
    const type = componentType(id);
    const settings = mapping(defined[id]);
    if (type === 'tail_sampling' && signal === 'traces') {
      const policies = Array.isArray(settings.policies) ? settings.policies.map(mapping) : [];
      const errorPolicy = policies.some(
        (policy) =>
          policy.type === 'status_code' && stringList(mapping(policy.status_code).status_codes).includes('ERROR'),
      );
      if (errorPolicy) selects = true;
      else problems.push(`processors.${id}: needs a status_code policy with status_codes [ERROR]`);
      if (settings.decision_wait === undefined) problems.push(`processors.${id}.decision_wait: set it explicitly`);
    }
    if (type !== 'filter' || (signal !== 'traces' && signal !== 'logs')) continue;
    const conditions = filterConditionList(settings, signal);
    const text = conditions.join('\n');
    if (signal === 'traces') {
      if (SPAN_DROPS_ERRORS.test(text)) {
        problems.push(
          `processors.${id}: "status.code == STATUS_CODE_ERROR" in a filter DROPS error spans; write status.code != STATUS_CODE_ERROR`,
        );
      }
      if (SPAN_KEEPS_ERRORS.test(text)) selects = true;
      for (const [, marker] of text.matchAll(MARKER)) {
        const setter = processors
          .slice(0, index)
          .filter((earlier) => componentType(earlier) === 'transform')
          .some((earlier) =>
            deepStrings(defined[earlier]).some((text) => text.includes(`span.attributes["${marker}"]`)),
          );
        if (!setter) {
          problems.push(
            `processors.${id}: keeps spans marked "${marker}", but no earlier transform in ${where} sets it`,
          );
        }
      }
    } else {
      if (LOG_DROPS_ERRORS.test(text)) {
        problems.push(
          `processors.${id}: a filter condition "severity_number >= SEVERITY_NUMBER_ERROR" DROPS error logs; write severity_number < SEVERITY_NUMBER_ERROR`,
        );
      }
      if (LOG_KEEPS_ERRORS.test(text)) selects = true;
    }
  }
  if (!selects) {
    problems.push(
      signal === 'traces'
        ? `${where}.processors: needs a filter dropping spans with status.code != STATUS_CODE_ERROR, or a tail_sampling status_code policy`
        : `${where}.processors: needs a filter dropping log records with severity_number < SEVERITY_NUMBER_ERROR`,
    );
  }
  return problems;
}

/** What a file promises by its name: tail sampling on status ERROR, several instances by trace id. */
function checkByFileName(
  options: CheckOptions,
  roundsExporters: Map<string, RoundsExporter>,
  pipelines: Mapping,
  sections: Record<(typeof SECTIONS)[number], Mapping>,
): string[] {
  const problems: string[] = [];
  const roundsPipelines = Object.entries(pipelines).filter(([, raw]) =>
    stringList(mapping(raw).exporters).some((id) => roundsExporters.has(id)),
  );
  if (roundsExporters.size === 0) problems.push('exporters: no exporter sends to a host named like rounds');
  if (options.fileName.includes('tail-sampling')) {
    const sampled = roundsPipelines.some(
      ([id, raw]) =>
        componentType(id) === 'traces' &&
        stringList(mapping(raw).processors).some((processor) => componentType(processor) === 'tail_sampling'),
    );
    if (!sampled) problems.push('service.pipelines: no Rounds-bound traces pipeline uses tail_sampling');
  }
  if (options.fileName.includes('loadbalancing')) {
    const balanced = [...roundsExporters.keys()].filter((id) => LB_EXPORTERS.has(componentType(id)));
    if (balanced.length === 0) problems.push('exporters: no loadbalancing exporter sends to Rounds');
    for (const id of balanced) {
      const exporter = mapping(sections.exporters[id]);
      if (exporter.routing_key !== 'traceID') {
        problems.push(`exporters.${id}.routing_key: must be traceID, so a trace's spans and logs reach one instance`);
      }
      const hosts = stringList(mapping(mapping(exporter.resolver).static).hostnames).filter((host) => {
        const parsed = parseHostPort(host);
        return (
          parsed !== undefined && isRoundsHost(parsed.host) && (parsed.port ?? LB_DEFAULT_PORT) === options.ports.grpc
        );
      });
      if (hosts.length < 2) {
        problems.push(
          `exporters.${id}.resolver.static.hostnames: list at least two Rounds instances on port ${options.ports.grpc}`,
        );
      }
    }
  }
  return problems;
}

/** Parses one file and checks it, plus the header comment every file here starts with. */
function checkConfigFile(path: string, ports: RoundsPorts = PORTS): string[] {
  const text = readFileSync(path, 'utf8');
  const fileName = path.split(/[\\/]/).pop() ?? path;
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const problems = [...document.errors, ...document.warnings].map((error) => `YAML: ${error.message}`);
  if (document.errors.length > 0) return problems;

  const header: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('#')) break;
    header.push(line);
  }
  const headerText = header.join('\n');
  if (header.length === 0) problems.push('header: the file must start with a comment saying what it is for');
  if (!/otelcol/.test(headerText))
    problems.push('header: name the collector distribution (otelcol or otelcol-contrib)');
  if (!/OTLP_[A-Z_]+/.test(headerText)) problems.push('header: name the Rounds settings (OTLP_...) it pairs with');

  problems.push(...checkCollectorConfig(document.toJS(), { fileName, ports }));
  return problems;
}

/** Every .yaml file in `dir`, with its problems; the README must mention each one. */
function checkConfigDir(dir: string, ports: RoundsPorts = PORTS): Record<string, string[]> {
  const files = readdirSync(dir).filter((name) => /\.ya?ml$/.test(name));
  const readme = readFileSync(join(dir, 'README.md'), 'utf8');
  const results: Record<string, string[]> = {};
  for (const name of files) {
    const problems = checkConfigFile(join(dir, name), ports);
    if (!readme.includes(name)) problems.push('README.md: not listed');
    results[name] = problems;
  }
  return results;
}

// ---------------------------------------------------------------------------------------------------------------

const EXPECTED_FILES = [
  'bearer-auth-grpc.yaml',
  'bearer-auth-http.yaml',
  'error-traces-tail-sampling.yaml',
  'errors-only-grpc.yaml',
  'errors-only-http.yaml',
  'loadbalancing-several-instances.yaml',
];

describe('collector-configs/', () => {
  it('holds the documented files', () => {
    const names = readdirSync(CONFIG_DIR);
    expect(names).toContain('README.md');
    expect(names.filter((name) => /\.ya?ml$/.test(name)).sort()).toEqual(expect.arrayContaining(EXPECTED_FILES));
  });

  it('checks against the ports Rounds listens on by default', () => {
    expect(PORTS).toEqual({ grpc: 4317, http: 4318 });
  });

  const files = readdirSync(CONFIG_DIR).filter((name) => /\.ya?ml$/.test(name));
  it.each(files)('%s is valid and consistent', (name) => {
    expect(checkConfigFile(join(CONFIG_DIR, name))).toEqual([]);
  });

  it('README.md lists every file', () => {
    const readme = readFileSync(join(CONFIG_DIR, 'README.md'), 'utf8');
    for (const name of files) expect(readme).toContain(name);
  });
});

describe('the checks catch broken configs', () => {
  const load = (name: string): Mapping => mapping(parse(readFileSync(join(CONFIG_DIR, name), 'utf8')));
  const check = (config: unknown, fileName: string): string[] =>
    checkCollectorConfig(config, { fileName, ports: PORTS });
  /** A deep copy of the named file's config, changed by `edit`. */
  const broken = (name: string, edit: (config: Mapping) => void): string[] => {
    const config = structuredClone(load(name));
    edit(config);
    return check(config, name);
  };
  const at = (config: Mapping, ...path: string[]): Mapping => {
    let node: Mapping = config;
    for (const key of path) node = mapping(node[key]);
    return node;
  };
  const expectProblem = (problems: string[], pattern: RegExp): void => {
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(pattern)]));
  };

  it('accepts the unmodified files', () => {
    for (const name of EXPECTED_FILES) expect(check(load(name), name)).toEqual([]);
  });

  it('reports a gRPC exporter on the HTTP port, and an HTTP exporter on the gRPC port', () => {
    expectProblem(
      broken('errors-only-grpc.yaml', (c) => {
        at(c, 'exporters', 'otlp/rounds').endpoint = 'rounds:4318';
      }),
      /otlp\/rounds\.endpoint.*gRPC port 4317.*not 4318/,
    );
    expectProblem(
      broken('errors-only-http.yaml', (c) => {
        at(c, 'exporters', 'otlphttp/rounds').endpoint = 'http://rounds:4317';
      }),
      /otlphttp\/rounds\.endpoint.*HTTP port 4318.*not 4317/,
    );
  });

  it('follows the ports Rounds is configured with, not hard-coded numbers', () => {
    const config = load('errors-only-grpc.yaml');
    const custom = envSchema.parse({ OTLP_GRPC_PORT: '14317', OTLP_HTTP_PORT: '14318' });
    const problems = checkCollectorConfig(config, {
      fileName: 'errors-only-grpc.yaml',
      ports: { grpc: custom.OTLP_GRPC_PORT, http: custom.OTLP_HTTP_PORT },
    });
    expectProblem(problems, /gRPC port 14317.*not 4317/);
  });

  it('reports an otlphttp endpoint with a /v1 path, without a scheme, or sending metrics', () => {
    expectProblem(
      broken('errors-only-http.yaml', (c) => {
        at(c, 'exporters', 'otlphttp/rounds').endpoint = 'http://rounds:4318/v1/traces';
      }),
      /base URL without a path/,
    );
    expectProblem(
      broken('errors-only-http.yaml', (c) => {
        at(c, 'exporters', 'otlphttp/rounds').endpoint = 'rounds:4318';
      }),
      /otlphttp\/rounds\.endpoint.*http:\/\/ or https:\/\//,
    );
    expectProblem(
      broken('errors-only-http.yaml', (c) => {
        at(c, 'exporters', 'otlphttp/rounds').traces_endpoint = 'http://rounds:4318/v1/spans';
      }),
      /traces_endpoint.*must end in \/v1\/traces/,
    );
    expectProblem(
      broken('errors-only-http.yaml', (c) => {
        at(c, 'exporters', 'otlphttp/rounds').metrics_endpoint = 'http://rounds:4318/v1/metrics';
      }),
      /metrics_endpoint: Rounds does not accept metrics/,
    );
  });

  it('reports pipelines that reference undefined components', () => {
    expectProblem(
      broken('errors-only-grpc.yaml', (c) => {
        at(c, 'service', 'pipelines', 'traces/rounds').processors = ['memory_limiter', 'filter/rounds_typo', 'batch'];
      }),
      /traces\/rounds\.processors: "filter\/rounds_typo" is not defined/,
    );
    expectProblem(
      broken('errors-only-grpc.yaml', (c) => {
        at(c, 'service', 'pipelines', 'logs/rounds').exporters = ['otlp/round'];
      }),
      /logs\/rounds\.exporters: "otlp\/round" is not defined/,
    );
    expectProblem(
      broken('errors-only-grpc.yaml', (c) => {
        at(c, 'service', 'pipelines', 'traces').receivers = ['otlp/missing'];
      }),
      /traces\.receivers: "otlp\/missing" is not defined/,
    );
    expectProblem(
      broken('errors-only-grpc.yaml', (c) => {
        delete c.receivers;
      }),
      /^receivers: missing or empty/,
    );
  });

  it('reports metrics sent to Rounds', () => {
    expectProblem(
      broken('errors-only-grpc.yaml', (c) => {
        at(c, 'service', 'pipelines', 'metrics').exporters = ['otlp/backend', 'otlp/rounds'];
      }),
      /pipelines\.metrics\.exporters: otlp\/rounds send metrics to Rounds/,
    );
  });

  it('reports a compression Rounds cannot decode', () => {
    expectProblem(
      broken('errors-only-grpc.yaml', (c) => {
        at(c, 'exporters', 'otlp/rounds').compression = 'zstd';
      }),
      /otlp\/rounds\.compression: Rounds cannot decode "zstd"/,
    );
  });

  it('reports filters that would drop the errors, or that keep everything', () => {
    expectProblem(
      broken('errors-only-grpc.yaml', (c) => {
        at(c, 'processors', 'filter/rounds_errors_only', 'traces').span = ['status.code == STATUS_CODE_ERROR'];
      }),
      /DROPS error spans/,
    );
    expectProblem(
      broken('errors-only-grpc.yaml', (c) => {
        at(c, 'processors', 'filter/rounds_errors_only', 'logs').log_record = [
          'severity_number >= SEVERITY_NUMBER_ERROR',
        ];
      }),
      /DROPS error logs/,
    );
    expectProblem(
      broken('errors-only-http.yaml', (c) => {
        delete at(c, 'processors', 'filter/rounds_errors_only').logs;
      }),
      /logs\/rounds\.processors: filter\/rounds_errors_only has no logs conditions/,
    );
    expectProblem(
      broken('errors-only-grpc.yaml', (c) => {
        at(c, 'service', 'pipelines', 'traces/rounds').processors = ['memory_limiter', 'batch/rounds'];
      }),
      /traces\/rounds\.processors: needs a filter dropping spans/,
    );
  });

  it('reports a marker the filter keeps but no transform sets', () => {
    expectProblem(
      broken('errors-only-grpc.yaml', (c) => {
        at(c, 'service', 'pipelines', 'traces/rounds').processors = [
          'memory_limiter',
          'filter/rounds_errors_only',
          'batch/rounds',
        ];
      }),
      /keeps spans marked "rounds\.exception_event", but no earlier transform/,
    );
  });

  it('reports bearer auth that is not wired, not enabled, hard-coded, or over plaintext gRPC', () => {
    expectProblem(
      broken('bearer-auth-grpc.yaml', (c) => {
        at(c, 'service').extensions = [];
      }),
      /auth\.authenticator: "bearertokenauth\/rounds" is not listed in service\.extensions/,
    );
    expectProblem(
      broken('bearer-auth-http.yaml', (c) => {
        at(c, 'exporters', 'otlphttp/rounds', 'auth').authenticator = 'bearertokenauth/other';
      }),
      /"bearertokenauth\/other" is not defined under extensions/,
    );
    expectProblem(
      broken('bearer-auth-http.yaml', (c) => {
        delete at(c, 'exporters', 'otlphttp/rounds').auth;
      }),
      /otlphttp\/rounds\.auth\.authenticator: must reference a bearertokenauth extension/,
    );
    expectProblem(
      broken('bearer-auth-grpc.yaml', (c) => {
        at(c, 'extensions', 'bearertokenauth/rounds').token = 's3cret';
      }),
      /token: read it from an environment variable/,
    );
    expectProblem(
      broken('bearer-auth-grpc.yaml', (c) => {
        at(c, 'exporters', 'otlp/rounds').tls = { insecure: true };
      }),
      /tls\.insecure: bearertokenauth over gRPC requires transport security/,
    );
    expectProblem(
      broken('bearer-auth-grpc.yaml', (c) => {
        delete c.extensions;
        at(c, 'service').extensions = [];
        delete at(c, 'exporters', 'otlp/rounds').auth;
      }),
      /extensions: an auth config must define a bearertokenauth extension/,
    );
    expectProblem(
      broken('bearer-auth-grpc.yaml', (c) => {
        at(c, 'service').extensions = ['bearertokenauth/rounds', 'health_check'];
      }),
      /service\.extensions: "health_check" is not defined/,
    );
  });

  it('reports a tail-sampling config without an ERROR policy or used on logs', () => {
    expectProblem(
      broken('error-traces-tail-sampling.yaml', (c) => {
        at(c, 'processors', 'tail_sampling/rounds_error_traces').policies = [{ name: 'all', type: 'always_sample' }];
      }),
      /needs a status_code policy with status_codes \[ERROR\]/,
    );
    expectProblem(
      broken('error-traces-tail-sampling.yaml', (c) => {
        at(c, 'service', 'pipelines', 'logs/rounds').processors = [
          'memory_limiter',
          'tail_sampling/rounds_error_traces',
          'filter/rounds_error_logs',
        ];
      }),
      /logs\/rounds\.processors: tail_sampling\/rounds_error_traces works on traces only/,
    );
  });

  it('reports a loadbalancing config that is not by trace id, has one instance, or a wrong port', () => {
    const name = 'loadbalancing-several-instances.yaml';
    expectProblem(
      broken(name, (c) => {
        at(c, 'exporters', 'loadbalancing/rounds').routing_key = 'service';
      }),
      /routing_key: must be traceID/,
    );
    expectProblem(
      broken(name, (c) => {
        at(c, 'exporters', 'loadbalancing/rounds', 'resolver', 'static').hostnames = ['rounds-1:4317'];
      }),
      /list at least two Rounds instances on port 4317/,
    );
    expectProblem(
      broken(name, (c) => {
        at(c, 'exporters', 'loadbalancing/rounds', 'resolver', 'static').hostnames = ['rounds-1:4317', 'rounds-2:4318'];
      }),
      /"rounds-2:4318" must use Rounds' gRPC port 4317/,
    );
    expectProblem(
      broken(name, (c) => {
        at(c, 'exporters', 'loadbalancing/rounds', 'resolver').dns = { hostname: 'rounds', port: '4317' };
      }),
      /resolver: configure exactly one resolver, found static, dns/,
    );
  });
});

describe('checking a copy of the folder', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('flags the file where a port and a reference were broken, and only that file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rounds-collector-configs-'));
    dirs.push(dir);
    cpSync(CONFIG_DIR, dir, { recursive: true });
    const target = join(dir, 'errors-only-grpc.yaml');
    const original = readFileSync(target, 'utf8');
    const edited = original
      .replace('endpoint: rounds:4317', 'endpoint: rounds:4318')
      .replace('exporters: [otlp/rounds]\n    logs/rounds:', 'exporters: [otlp/rounds_typo]\n    logs/rounds:');
    expect(edited).not.toBe(original);
    writeFileSync(target, edited);

    const results = checkConfigDir(dir);
    const problems = results['errors-only-grpc.yaml'] ?? [];
    expectProblems(problems, [/otlp\/rounds\.endpoint.*not 4318/, /"otlp\/rounds_typo" is not defined/]);
    for (const [name, other] of Object.entries(results)) {
      if (name !== 'errors-only-grpc.yaml') expect(other, name).toEqual([]);
    }
  });

  it('flags a file that is not valid YAML, or has no header comment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rounds-collector-configs-'));
    dirs.push(dir);
    cpSync(CONFIG_DIR, dir, { recursive: true });
    writeFileSync(join(dir, 'errors-only-http.yaml'), 'receivers:\n  otlp:\n protocols: [\n');
    const original = readFileSync(join(dir, 'errors-only-grpc.yaml'), 'utf8');
    writeFileSync(join(dir, 'errors-only-grpc.yaml'), original.replace(/^(#.*\n)+/, ''));
    writeFileSync(join(dir, 'unlisted.yaml'), original);

    const results = checkConfigDir(dir);
    expectProblems(results['errors-only-http.yaml'] ?? [], [/^YAML: /]);
    expectProblems(results['errors-only-grpc.yaml'] ?? [], [/^header: the file must start with a comment/]);
    expectProblems(results['unlisted.yaml'] ?? [], [/README\.md: not listed/]);
  });
});

function expectProblems(problems: string[], patterns: RegExp[]): void {
  for (const pattern of patterns) {
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(pattern)]));
  }
}
