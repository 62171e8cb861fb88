/**
 * The CLI's client of the Prescale HTTP API: a thin layer over the global fetch that adds the bearer token,
 * sends and parses JSON, and turns every failure into a CommandError that says what to fix and which exit code
 * the CLI returns (1: the server is unreachable or failed, 2: the request was wrong: a 4xx).
 *
 * Also the connection flags every API command shares (--server, --token, --token-file, --json) and their
 * resolution from the environment (PRESCALE_SERVER, PRESCALE_TOKEN, PRESCALE_TOKEN_FILE).
 * Left out: retries (a CLI user reruns the command), TLS client certificates (the HTTP API uses bearer tokens).
 */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { InputError } from '../core/errors.js';
import { CommandError, EXIT_BAD_INPUT, EXIT_FAILURE, type ErrorDetail } from './command-error.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';
/** How long a request may take before the CLI gives up (the API answers from caches and stores). */
export const DEFAULT_TIMEOUT_MS = 30_000;

export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ApiClient {
  readonly server: string;
  request<T>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
}

export interface ApiClientOptions {
  /** Base URL, e.g. http://127.0.0.1:8080 (a trailing slash is ignored). */
  server: string;
  token?: string | undefined;
  timeoutMs?: number;
  /** Injected for tests; the global fetch by default. */
  fetch?: typeof fetch;
}

/** What to do about a 4xx, beyond the server's own message. */
function hintFor(status: number): string | null {
  if (status === 401) return 'pass a valid token with --token, --token-file or PRESCALE_TOKEN';
  if (status === 403) return 'use a token that has the scope named above';
  if (status === 412) return 'the entry changed since that revision: read it again (prescale calendar get ID) and retry with its current revision';
  if (status === 428) return 'pass the revision you read with --if-match';
  if (status === 413) return 'the request body is too large';
  if (status === 429) return 'too many writes: wait a moment and retry';
  return null;
}

/** Lines of a 4xx/5xx answer: the server's message, each detail as `path: message`, a hint. */
function describeFailure(method: string, url: string, status: number, body: unknown): { message: string; details: ErrorDetail[] } {
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const serverMessage = typeof record['message'] === 'string' ? record['message'] : typeof body === 'string' && body.trim() !== '' ? body.trim().slice(0, 500) : `HTTP ${status}`;
  const details = Array.isArray(record['details'])
    ? (record['details'] as unknown[]).flatMap((d) => {
        const detail = d as Record<string, unknown>;
        return typeof detail['message'] === 'string' ? [{ path: typeof detail['path'] === 'string' ? detail['path'] : '', message: detail['message'] }] : [];
      })
    : [];
  const detailLines = details.map((d) => `${d.path || '(request)'}: ${d.message}`);
  // A message that only joins the details is said once, as one line per field (the form people scan).
  const onlyDetails = details.length > 0 && serverMessage === detailLines.join('; ');
  const lines = [`${method} ${url} failed with ${status}:${onlyDetails ? '' : ` ${serverMessage}`}`, ...detailLines.map((l) => `  ${l}`)];
  const hint = status < 500 ? hintFor(status) : 'the server failed; check its logs and retry';
  if (hint) lines.push(`hint: ${hint}`);
  return { message: lines.join('\n'), details };
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const server = options.server.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    server,
    async request<T>(method: string, path: string, request: RequestOptions = {}): Promise<ApiResponse<T>> {
      const url = new URL(server + path);
      for (const [key, value] of Object.entries(request.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
      const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
      if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
      if (request.body !== undefined) headers['content-type'] = 'application/json';
      let response: Response;
      try {
        response = await doFetch(url, {
          method,
          headers,
          body: request.body === undefined ? undefined : JSON.stringify(request.body),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (cause?.code ?? cause?.message ?? (error as Error).message);
        throw new CommandError(
          `cannot reach Prescale at ${server} (${reason}): is the service running? Point --server or PRESCALE_SERVER at its HTTP API`,
          EXIT_FAILURE,
          null,
          [],
          { cause: error },
        );
      }
      const text = await response.text();
      let body: unknown = text;
      if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          // Kept as text: the failure message below quotes it.
        }
      }
      if (!response.ok) {
        const { message, details } = describeFailure(method, url.pathname + url.search, response.status, body);
        throw new CommandError(message, response.status >= 400 && response.status < 500 ? EXIT_BAD_INPUT : EXIT_FAILURE, response.status, details);
      }
      if (response.status !== 204 && typeof body === 'string' && text !== '') {
        throw new CommandError(`${method} ${url.pathname}: expected JSON from ${server}, got ${response.headers.get('content-type') ?? 'no content type'}: is --server the Prescale API?`, EXIT_FAILURE, response.status);
      }
      return { status: response.status, headers: response.headers, body: body as T };
    },
  };
}

/** The flags every API command takes. */
export interface ConnectionFlags {
  server: string;
  token?: string;
  tokenFile?: string;
  json?: boolean;
}

/** Adds --server, --token, --token-file and --json to a command (each leaf command, so they go after it). */
export function addConnectionOptions(command: Command): Command {
  return command
    .addOption(new Option('--server <url>', 'Prescale HTTP API').env('PRESCALE_SERVER').default(DEFAULT_SERVER))
    .addOption(new Option('--token <token>', 'bearer token (or PRESCALE_TOKEN)').conflicts('tokenFile'))
    .addOption(new Option('--token-file <file>', 'file holding the bearer token (or PRESCALE_TOKEN_FILE)'))
    .option('--json', 'print the API response as JSON instead of a table');
}

/**
 * The token to send: --token, else the contents of --token-file, else PRESCALE_TOKEN, else the contents of
 * PRESCALE_TOKEN_FILE, else none (an API without tokens configured accepts that).
 */
export function resolveToken(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (flags.token !== undefined) {
    if (flags.token.trim() === '') throw new InputError('the token is empty', '--token');
    return flags.token.trim();
  }
  const fromFile = (file: string, where: string) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new InputError(`cannot read token file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, where, { cause: error });
    }
    if (text === '') throw new InputError(`token file ${file} is empty`, where);
    return text;
  };
  if (flags.tokenFile !== undefined) return fromFile(flags.tokenFile, '--token-file');
  if (env['PRESCALE_TOKEN'] !== undefined && env['PRESCALE_TOKEN'].trim() !== '') return env['PRESCALE_TOKEN'].trim();
  if (env['PRESCALE_TOKEN_FILE'] !== undefined && env['PRESCALE_TOKEN_FILE'] !== '') return fromFile(env['PRESCALE_TOKEN_FILE'], '--token-file (PRESCALE_TOKEN_FILE)');
  return undefined;
}

/** A client for the command's flags; a malformed --server is a bad flag. */
export function clientFromFlags(flags: ConnectionFlags): ApiClient {
  let url: URL;
  try {
    url = new URL(flags.server);
  } catch {
    throw new InputError(`expected a URL like ${DEFAULT_SERVER}, got "${flags.server}"`, '--server');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InputError(`expected an http:// or https:// URL, got "${flags.server}"`, '--server');
  return createApiClient({ server: flags.server, token: resolveToken(flags) });
}

/** Prints a value as indented JSON on stdout (the --json output). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
