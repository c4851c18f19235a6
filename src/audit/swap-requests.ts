import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * How `npm run cli -- replay --swap` asks a running server on the same DATA_DIR to take rebuilt read models
 * live: the server writes its pid to `server.pid` while it runs; the CLI writes `read-models.swap-request`
 * and signals the server (SWAP_SIGNAL), which answers in `read-models.swap-report`. Files, because the CLI
 * and the server share nothing else but the data directory; a signal, so the server looks for a request
 * only when told there is one.
 */
export const SWAP_SIGNAL = 'SIGUSR2';

const PID_FILE = 'server.pid';
const REQUEST = 'read-models.swap-request';
const REPORT = 'read-models.swap-report';

export interface SwapReport {
  file: string;
  ok: boolean;
  error?: string;
}

export function markServerRunning(dataDir: string): void {
  writeFileSync(join(dataDir, PID_FILE), String(process.pid));
}

export function markServerStopped(dataDir: string): void {
  const file = join(dataDir, PID_FILE);
  if (existsSync(file) && readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true });
}

/** A server is running on `dataDir` if its pid file names a live process (a crashed one leaves a stale file). */
export function runningServerPid(dataDir: string): number | null {
  const file = join(dataDir, PID_FILE);
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

/** Asks the server `pid` to take the read models at `path` live. */
export function requestSwap(dataDir: string, path: string, pid: number): void {
  rmSync(join(dataDir, REPORT), { force: true });
  writeAtomically(join(dataDir, REQUEST), JSON.stringify({ file: basename(path) }));
  process.kill(pid, SWAP_SIGNAL);
}

/** The file a swap is requested for, taken (removed) so it is done once. */
export function takeSwapRequest(dataDir: string): string | null {
  const file = join(dataDir, REQUEST);
  if (!existsSync(file)) return null;
  const request = JSON.parse(readFileSync(file, 'utf8')) as { file: string };
  rmSync(file, { force: true });
  return basename(request.file);
}

export function reportSwap(dataDir: string, report: SwapReport): void {
  writeAtomically(join(dataDir, REPORT), JSON.stringify(report));
}

export async function awaitSwapReport(dataDir: string, path: string, timeoutMs: number): Promise<SwapReport> {
  const deadline = Date.now() + timeoutMs;
  const file = join(dataDir, REPORT);
  while (Date.now() < deadline) {
    if (existsSync(file)) {
      const report = JSON.parse(readFileSync(file, 'utf8')) as SwapReport;
      if (report.file === basename(path)) {
        rmSync(file, { force: true });
        return report;
      }
    }
    await sleep(100);
  }
  return { file: basename(path), ok: false, error: `the server did not answer within ${timeoutMs / 1000} s` };
}

function writeAtomically(path: string, content: string): void {
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
}
