import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../..');

/** The real server (`node dist/main.js`) in its own process, on a free port, with its own DATA_DIR. */
export class ServerProcess {
  private process: ChildProcess | undefined;
  output = '';
  /** Everything it wrote, across restarts: checked for secrets when it stops. */
  private allOutput = '';
  /** Secrets this server handed out or was given (its key, webhook secrets, auth tokens, passwords). */
  readonly knownSecrets = new Set<string>();
  url = '';
  /** Where it serves Prometheus metrics (METRICS_PORT=0 here: a free port). */
  metricsUrl = '';

  /** Readiness with its detail, as the metrics port serves it to the operator. */
  get detailedHealthUrl(): string {
    return this.metricsUrl.replace(/\/metrics$/, '/health');
  }
  /** The sandbox key printed by a first start on an empty store. */
  sandboxApiKey: string | undefined;

  constructor(
    readonly dataDir = newDataDir(),
    private readonly env: Record<string, string> = {},
  ) {}

  /** Resolves once it listens and, unless told otherwise, has caught up with the log (no 503 catching_up). */
  async start({
    untilCaughtUp = true,
    env = {},
  }: { untilCaughtUp?: boolean; env?: Record<string, string> } = {}): Promise<this> {
    this.output = '';
    const child = spawn(process.execPath, [join(root, 'dist/main.js')], {
      cwd: root,
      env: {
        ...process.env,
        DATA_DIR: this.dataDir,
        PORT: '0',
        HOST: '127.0.0.1',
        METRICS_PORT: '0',
        NO_COLOR: '1',
        // Test receivers listen on free ports; the port list itself is tested in webhooks-bounded.test.ts.
        WEBHOOK_ALLOWED_PORTS: 'any',
        ...this.env,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.process = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${this.output}`)), 30_000);
      const onData = (chunk: Buffer) => {
        this.output += chunk.toString();
        this.allOutput += chunk.toString();
        const listening = /Listening on (http:\/\/[^\s"]+)/.exec(this.output);
        if (listening) {
          clearTimeout(timer);
          this.url = listening[1];
          this.metricsUrl = /Metrics on (http:\/\/[^\s"]+)/.exec(this.output)?.[1] ?? '';
          const keyFile = join(this.dataDir, 'sandbox-api-key');
          if (existsSync(keyFile)) this.sandboxApiKey = readFileSync(keyFile, 'utf8').trim();
          if (this.sandboxApiKey) this.knownSecrets.add(this.sandboxApiKey);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code}:\n${this.output}`));
      });
    });
    for (let i = 0; untilCaughtUp && i < 600; i++) {
      const health = (await (await fetch(`${this.url}/health`)).json()) as { error?: { type?: string } };
      if (health.error?.type !== 'catching_up') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return this;
  }

  /** A JSON POST to the server, with the sandbox key unless other headers are given: status, headers, body. */
  async post(path: string, body: unknown = {}, headers: Record<string, string> = this.auth()) {
    const response = await fetch(`${this.url}${path}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    this.noteSecrets(text);
    return { status: response.status, headers: response.headers, body: JSON.parse(text) as Record<string, any> };
  }

  /** Remembers the secrets in an answer (keys, webhook secrets, auth tokens), to look for them in the logs. */
  noteSecrets(text: string): void {
    for (const [, secret] of text.matchAll(/"(?:secret|api_key|password)":"([^"]{4,})"/g))
      this.knownSecrets.add(secret);
    for (const [, token] of text.matchAll(/auth_token=([A-Za-z0-9_-]{16,})/g)) this.knownSecrets.add(token);
  }

  /**
   * Secrets in what the server wrote: the known ones, and anything shaped like an API key or a webhook
   * secret. The logging redacts them all (src/common/logging.ts); this holds every e2e server to it.
   */
  secretsInOutput(): string[] {
    const found = new Set<string>();
    for (const secret of this.knownSecrets) if (this.allOutput.includes(secret)) found.add(secret);
    for (const [shaped] of this.allOutput.matchAll(/seam_[0-9a-f]{8}_[A-Za-z0-9_-]{20,}|whsec_[A-Za-z0-9+/=]{16,}/g)) {
      found.add(shaped);
    }
    return [...found];
  }

  auth(apiKey = this.sandboxApiKey): Record<string, string> {
    return { authorization: `Bearer ${apiKey}` };
  }

  /** The server process's resident memory now, in bytes (Linux: /proc). */
  rssBytes(): number {
    const status = readFileSync(`/proc/${this.process?.pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]) * 1024;
  }

  /** Whether the process is still the one `start` spawned (it has not exited or restarted). */
  get running(): boolean {
    return this.process !== undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Sends a signal and returns at once (see `exited`). */
  signal(signal: NodeJS.Signals): void {
    this.process?.kill(signal);
  }

  /** Resolves with the exit code once the process exits. */
  exited(): Promise<number | null> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child?.exitCode ?? null);
    return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** SIGKILL: no shutdown hook runs, exactly like a crash. */
  async kill9(): Promise<void> {
    await this.stopWith('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.stopWith('SIGTERM');
  }

  /** SIGTERM, as an orchestrator stops it: resolves with the exit code once the process has exited. */
  async terminate(): Promise<number | null> {
    return this.stopWith('SIGTERM');
  }

  private async stopWith(signal: NodeJS.Signals): Promise<number | null> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(signal);
    const code = await exited;
    this.process = undefined;
    const leaked = this.secretsInOutput();
    if (leaked.length > 0) {
      throw new Error(
        `The server wrote ${leaked.length} secret(s) to its log: ${leaked.map((s) => `${s.slice(0, 8)}…`)}`,
      );
    }
    return code;
  }
}

export function newDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'cms-data-'));
}

/** `npm run cli -- …` as a newcomer types it, minus the build npm would run first (global setup built it). */
export async function runCli(
  dataDir: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(root, 'dist/cli.js'), ...args], {
    cwd: root,
    env: { ...process.env, DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? -1)));
  return { code, stdout, stderr };
}

/** The JSON object the CLI prints as the last line of its standard output. */
export function lastJsonLine(stdout: string): Record<string, string> {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as Record<string, string>;
}
