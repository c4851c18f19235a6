import { parseArgs } from 'node:util';
import { DomainError, NotFound } from './common/domain-errors.js';
import { ConfigError, loadConfig, type AppConfig } from './common/config.js';
import { historyCommand, liveReadModelsPath, replayCommand } from './audit/index.js';
import { REPLAY_SETUP } from './read-model-schema.js';
import {
  dataKeysOf,
  keyStoreAt,
  openDataKeys,
  openEventStore,
  openEventStoreAt,
  openRawEventStore,
} from './runtime.js';
import { copyKeyStore, SqliteKeyStore } from './encryption/key-store.js';
import { eraseWorkspace } from './erasure/index.js';
import { MasterKeyError } from './encryption/master-key.js';
import { copyEvents } from './event-store/copy-events.js';
import { ParkedSagaEvents, retryParkedEvent } from './completion/index.js';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import {
  ApiKeyUsage,
  createWorkspace,
  findApiKeyWorkspace,
  issueApiKey,
  listApiKeys,
  revokeApiKey,
  type IssuedApiKey,
} from './workspaces/index.js';
import { existsSync } from 'node:fs';
import { openSqlite } from './common/sqlite.js';

const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  workspace create --name NAME [--production]
      Creates a workspace (a sandbox one unless --production) and its first API key.
  api-key create --workspace-id ID
      Issues another API key for a workspace.
  api-key list --workspace-id ID
      A workspace's keys: id, short prefix, created, last used (by a server on this DATA_DIR) and revoked
      times. Never a secret.
  api-key revoke --api-key-id ID [--workspace-id ID]
      Revokes a key: a running server answers 401 to it within a second. Rotation: create a key, move the
      app to it, revoke the old one.
  saga parked
      Completions the saga gave up on after 5 attempts (a server keeps going without them), with the error.
  saga retry --event-id ID
      Runs a parked completion again from the log; unparked if it passes (exit status 1 if not).
  replay [--verify] [--swap]
      Rebuilds every read model from the start of the log into a fresh database beside the live one,
      while a server keeps serving. --verify compares it with the live read models and lists any
      difference (exit status 1 if there is one); --swap makes it live (a running server switches to it).
  history --device-id ID | --connected-account-id ID | --connect-webview-id ID [--json]
      The custom-metadata history of one resource: who changed what, when and why.
  workspace erase --workspace-id ID
      The operator's offboarding: destroys the workspace's keys, so every event it ever wrote is unreadable
      in every store and copy of the log; its rows leave the read models and its API keys stop working.
      Run again, it finishes an interrupted erasure.
  keys rotate-master
      Re-wraps every data key under a new master key, written to MASTER_KEY_FILE (or DATA_DIR/master.key)
      once the key store is re-wrapped; a running server takes it on its next key-store read. The old master
      key then opens nothing: keep no copy of it.
  copy-events [--to PATH]
      Copies the configured log (EVENT_STORE, DATA_DIR) into the target: a postgres:// URL or an esdb://
      connection string in COPY_TO_URL (never on the command line, where it would reach the process list
      and the shell's history), or --to the path of a SQLite events file: same streams, revisions, ids, data and
      metadata. Into an empty SQLite or PostgreSQL target, positions and the log's id are kept too, so a
      server switched to it rebuilds nothing. Interrupted, it resumes where it stopped when run again.

Each command prints, as the last line of its standard output, one JSON object with the new key.
The key is shown only then: the service stores only its hash.
The CLI writes to the event log in DATA_DIR (default ./data) directly, so it works whether or not a
server runs on the same DATA_DIR; a running server accepts a new key within a second.`;

class UsageError extends Error {}

/**
 * The copied events are sealed under the source's keys: they go along into the key store a server on the
 * target opens (unless it is the source's own), still wrapped by the same master key.
 */
async function copyKeysWith(config: AppConfig, target: string): Promise<string | undefined> {
  const source = config.encryption.enabled ? openDataKeys(config).store : undefined;
  const destination = source && keyStoreAt(target);
  try {
    const same =
      destination instanceof SqliteKeyStore &&
      config.encryption.keyStore.kind === 'sqlite' &&
      destination.path === config.encryption.keyStore.path;
    if (!source || !destination || same) return undefined;
    const { keys } = await copyKeyStore(source, destination);
    return `copied the key store's ${keys} data keys (wrapped by the same master key) beside the target`;
  } finally {
    await destination?.close();
    await source?.close();
  }
}

/** A key's workspace, from the live read models (without --workspace-id). */
function workspaceOfKey(dataDir: string, apiKeyId: string): string {
  const path = liveReadModelsPath(dataDir);
  if (!existsSync(path)) throw new UsageError('no read models in DATA_DIR yet: pass --workspace-id ID');
  const db = openSqlite(path, { readonly: true });
  try {
    const workspaceId = findApiKeyWorkspace(db, apiKeyId);
    if (!workspaceId) throw new NotFound('api_key', 'api_key_id', apiKeyId);
    return workspaceId;
  } finally {
    db.close();
  }
}

/**
 * Where copy-events copies to: a database URL carries a password, so it comes from COPY_TO_URL only; on the
 * command line it would be in `ps` and the shell's history. `--to` takes a SQLite file's path.
 */
function copyTarget(to: string | undefined): string {
  const fromEnvironment = process.env.COPY_TO_URL;
  if (to !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(to)) {
    throw new UsageError('copy-events takes a database URL from COPY_TO_URL, never from the command line');
  }
  if (to !== undefined && fromEnvironment) throw new UsageError('copy-events takes COPY_TO_URL or --to, not both');
  const target = to ?? fromEnvironment;
  if (!target) throw new UsageError('copy-events needs COPY_TO_URL (a database URL) or --to PATH (a SQLite file)');
  return target;
}

async function run(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      'workspace-id': { type: 'string' },
      'api-key-id': { type: 'string' },
      'event-id': { type: 'string' },
      production: { type: 'boolean', default: false },
      verify: { type: 'boolean', default: false },
      swap: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'device-id': { type: 'string' },
      'connected-account-id': { type: 'string' },
      'connect-webview-id': { type: 'string' },
      to: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const command = positionals.join(' ');
  if (values.help || command === '' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }

  const config = loadConfig();
  const store = openEventStore(config);
  const terminal = {
    out: (line: string) => process.stdout.write(`${line}\n`),
    err: (text: string) => process.stderr.write(text),
    isTTY: Boolean(process.stderr.isTTY),
  };
  try {
    let issued: IssuedApiKey;
    switch (command) {
      case 'replay':
        process.exitCode = await replayCommand(
          store,
          config.dataDir,
          REPLAY_SETUP,
          { verify: values.verify, swap: values.swap },
          terminal,
        );
        return;
      case 'copy-events': {
        const to = copyTarget(values.to);
        const target = openEventStoreAt(to);
        const source = openRawEventStore(config);
        try {
          const checkpoint = join(
            config.dataDir,
            `copy-events.${createHash('sha256').update(to).digest('hex').slice(0, 12)}.checkpoint`,
          );
          const { copied, resumedAfter, verifiedUpTo, samePositions } = await copyEvents(
            source,
            target,
            checkpoint,
            (p) => terminal.err(`copy-events: ${p.copied} events, at position ${p.position} of ${p.head}\n`),
          );
          const keys = await copyKeysWith(config, to);
          if (keys) terminal.err(`copy-events: ${keys}\n`);
          terminal.out(
            `copy-events: copied ${copied} events${resumedAfter > 0 ? `, resuming after position ${resumedAfter}` : ''}; ` +
              `checked: the target holds the source's log up to position ${verifiedUpTo}; ` +
              (samePositions
                ? 'same positions and log id: read models and webhook progress carry over to it'
                : 'other positions: a server switched to it rebuilds its read models once'),
          );
        } finally {
          await target.close();
          await source.close();
        }
        return;
      }
      case 'history': {
        const [resource, ...others] = [
          values['device-id'] && ({ type: 'device', idField: 'device_id', id: values['device-id'] } as const),
          values['connected-account-id'] &&
            ({
              type: 'connected_account',
              idField: 'connected_account_id',
              id: values['connected-account-id'],
            } as const),
          values['connect-webview-id'] &&
            ({ type: 'connect_webview', idField: 'connect_webview_id', id: values['connect-webview-id'] } as const),
        ].filter((r) => typeof r === 'object');
        if (!resource || others.length > 0)
          throw new UsageError('history needs one of --device-id, --connected-account-id, --connect-webview-id');
        await historyCommand(store, resource, values.json, terminal);
        return;
      }
      case 'workspace create':
        if (!values.name) throw new UsageError('workspace create needs --name NAME');
        issued = await createWorkspace(store, {
          name: values.name,
          isSandbox: !values.production,
          actor: { type: 'cli' },
        });
        break;
      case 'workspace erase': {
        if (!values['workspace-id']) throw new UsageError('workspace erase needs --workspace-id ID');
        const erased = await eraseWorkspace(store, dataKeysOf(store), {
          workspaceId: values['workspace-id'],
          actor: { type: 'cli' },
          now: new Date().toISOString(),
        });
        process.stdout.write(
          `${JSON.stringify({ workspace_id: values['workspace-id'], erased_at: erased.erasedAt, keys_destroyed: erased.keysDestroyed })}\n`,
        );
        return;
      }
      case 'keys rotate-master': {
        const keys = dataKeysOf(store);
        const source = config.encryption.masterKey;
        if (!keys) throw new UsageError('keys rotate-master needs encryption on (EVENT_ENCRYPTION=on)');
        if ('value' in source) {
          throw new UsageError(
            'keys rotate-master writes the new master key to a file: set MASTER_KEY_FILE rather than MASTER_KEY',
          );
        }
        const rotated = await keys.rotateMaster('file' in source ? source.file : source.generatedIn);
        process.stdout.write(
          `${JSON.stringify({ data_keys_rewrapped: rotated.keys, master_key_id: rotated.masterKeyId })}\n`,
        );
        return;
      }
      case 'api-key create':
        if (!values['workspace-id']) throw new UsageError('api-key create needs --workspace-id ID');
        issued = await issueApiKey(store, { workspaceId: values['workspace-id'], actor: { type: 'cli' } });
        break;
      case 'saga parked':
      case 'saga retry': {
        const parked = new ParkedSagaEvents(config.dataDir);
        try {
          if (command === 'saga parked') {
            const events = parked.list();
            for (const e of events) {
              process.stdout.write(`${e.event_id}  position ${e.position}  ${e.attempts} attempts  ${e.error}\n`);
            }
            process.stdout.write(`${JSON.stringify({ parked_saga_events: events })}\n`);
            return;
          }
          if (!values['event-id']) throw new UsageError('saga retry needs --event-id ID');
          const result = await retryParkedEvent(store, parked, values['event-id']);
          process.stdout.write(`${JSON.stringify(result)}\n`);
          if (!result.completed) process.exitCode = 1;
          return;
        } finally {
          parked.close();
        }
      }
      case 'api-key list': {
        if (!values['workspace-id']) throw new UsageError('api-key list needs --workspace-id ID');
        const usage = new ApiKeyUsage(config.dataDir);
        try {
          const keys = await listApiKeys(store, values['workspace-id'], usage);
          for (const key of keys) {
            const state = key.revoked_at ? `revoked ${key.revoked_at}` : 'active';
            process.stdout.write(
              `${key.api_key_id}  ${key.short_token}…  created ${key.created_at}  ` +
                `last used ${key.last_used_at ?? 'never'}  ${state}\n`,
            );
          }
          process.stdout.write(`${JSON.stringify({ workspace_id: values['workspace-id'], api_keys: keys })}\n`);
        } finally {
          usage.close();
        }
        return;
      }
      case 'api-key revoke': {
        const apiKeyId = values['api-key-id'];
        if (!apiKeyId) throw new UsageError('api-key revoke needs --api-key-id ID');
        const workspaceId = values['workspace-id'] ?? workspaceOfKey(config.dataDir, apiKeyId);
        const { position: _revokedAt, ...revoked } = await revokeApiKey(store, {
          workspaceId,
          apiKeyId,
          actor: { type: 'cli' },
        });
        process.stdout.write(`${JSON.stringify(revoked)}\n`);
        return;
      }
      default:
        throw new UsageError(`Unknown command: ${command}`);
    }
    const { position: _position, ...printed } = issued;
    process.stdout.write(`${JSON.stringify(printed)}\n`);
  } finally {
    await store.close();
  }
}

run(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError || (error instanceof Error && error.name === 'TypeError' && 'code' in error)) {
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (error instanceof ConfigError || error instanceof DomainError || error instanceof MasterKeyError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
