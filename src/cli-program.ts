import { Command, CommanderError } from 'commander';
import { DomainError, NotFound } from './common/domain-errors.js';
import { ConfigError, loadConfig, type AppConfig } from './common/config.js';
import { historyCommand, liveReadModelsPath, replayCommand, type Terminal } from './audit/index.js';
import type { EventStore } from './event-store/event-store.js';
import { REPLAY_SETUP } from './read-model-schema.js';
import {
  dataKeysOf,
  keyStoreAt,
  openDataKeys,
  openEventStore,
  openEventStoreAt,
  openRawEventStore,
  rebuildProjectionsInWorker,
} from './runtime.js';
import { copyKeyStore, SqliteKeyStore } from './encryption/key-store.js';
import { EraseWorkspaceMessage } from './erasure/nest.js';
import { MasterKeyError } from './encryption/master-key.js';
import { copyEvents } from './event-store/copy-events.js';
import { ParkedSagaEvents, retryParkedEvent } from './completion/index.js';
import { completionCommands } from './completion/nest.js';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { CliCommandsModule } from './cli-commands.module.js';
import { DeciderCommandHandler } from './event-store/decider-command-handler.js';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ApiKeyUsage, findApiKeyWorkspace, listApiKeys, type IssuedApiKey } from './workspaces/index.js';
import { CreateWorkspaceMessage, IssueApiKeyMessage, RevokeApiKeyMessage } from './workspaces/nest.js';
import { openReadModelsReadOnly } from './read-models/read-model-database.js';

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
  const db = openReadModelsReadOnly(liveReadModelsPath(dataDir));
  if (!db) throw new UsageError('no read models in DATA_DIR yet: pass --workspace-id ID');
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

interface Context {
  config: AppConfig;
  store: EventStore;
  terminal: Terminal;
}

/** Prints the command's result: the last line of its standard output is one JSON object, for scripts. */
function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** An action that needs the configuration and the log: opened for it, and closed after it, whatever happens. */
function withLog<Options>(action: (options: Options, context: Context) => Promise<void>) {
  return async (options: Options) => {
    const config = loadConfig();
    const store = openEventStore(config);
    const terminal: Terminal = {
      out: (line: string) => process.stdout.write(`${line}\n`),
      err: (text: string) => process.stderr.write(text),
      isTTY: Boolean(process.stderr.isTTY),
    };
    try {
      await action(options, { config, store, terminal });
    } finally {
      await store.close();
    }
  };
}

/**
 * An action that writes: it sends its command on a CommandBus, to the same command handlers a server runs
 * (CliCommandsModule), in a Nest application context made for it and closed after it.
 */
function withCommands<Options>(
  action: (options: Options, context: Context & { bus: CommandBus; commands: DeciderCommandHandler }) => Promise<void>,
) {
  return withLog<Options>(async (options, context) => {
    const app = await NestFactory.createApplicationContext(CliCommandsModule.forRoot(context.config, context.store), {
      logger: false,
      abortOnError: false,
    });
    try {
      await action(options, { ...context, bus: app.get(CommandBus), commands: app.get(DeciderCommandHandler) });
    } finally {
      await app.close();
    }
  });
}

const printIssued = ({ position: _position, ...printed }: IssuedApiKey) => printJson(printed);

function program(): Command {
  const cli = new Command('npm run cli --')
    .description('Operates the service on DATA_DIR (default ./data), whether or not a server runs on it.')
    .exitOverride()
    .showHelpAfterError('(npm run cli -- --help lists every command)')
    .addHelpText(
      'after',
      `
Each command prints, as the last line of its standard output, one JSON object. A new key is shown only then:
the service stores only its hash. The CLI writes to the event log directly; a running server sees a new or
revoked key within a second.`,
    );

  const workspace = cli.command('workspace').description('create or erase workspaces');
  workspace
    .command('create')
    .description('Creates a workspace (a sandbox one unless --production) and its first API key.')
    .requiredOption('--name <name>', "the workspace's name")
    .option('--production', 'a production workspace, not a sandbox one', false)
    .action(
      withCommands<{ name: string; production: boolean }>(async ({ name, production }, { bus }) =>
        printIssued(
          await bus.execute(new CreateWorkspaceMessage({ name, isSandbox: !production, actor: { type: 'cli' } })),
        ),
      ),
    );
  workspace
    .command('erase')
    .description(
      "The operator's offboarding: destroys the workspace's keys, so every event it ever wrote is unreadable in " +
        'every store and copy of the log; its rows leave the read models and its API keys stop working. Run ' +
        'again, it finishes an interrupted erasure.',
    )
    .requiredOption('--workspace-id <id>', 'the workspace')
    .action(
      withCommands<{ workspaceId: string }>(async ({ workspaceId }, { bus }) => {
        const erased = await bus.execute(
          new EraseWorkspaceMessage({ workspaceId, actor: { type: 'cli' }, now: new Date().toISOString() }),
        );
        printJson({ workspace_id: workspaceId, erased_at: erased.erasedAt, keys_destroyed: erased.keysDestroyed });
      }),
    );

  const apiKey = cli.command('api-key').description("issue, list and revoke a workspace's API keys");
  apiKey
    .command('create')
    .description('Issues another API key for a workspace.')
    .requiredOption('--workspace-id <id>', 'the workspace')
    .action(
      withCommands<{ workspaceId: string }>(async ({ workspaceId }, { bus }) =>
        printIssued(await bus.execute(new IssueApiKeyMessage({ workspaceId, actor: { type: 'cli' } }))),
      ),
    );
  apiKey
    .command('list')
    .description(
      "A workspace's keys: id, short prefix, created, last used (by a server on this DATA_DIR) and revoked " +
        'times. Never a secret.',
    )
    .requiredOption('--workspace-id <id>', 'the workspace')
    .action(
      withLog<{ workspaceId: string }>(async ({ workspaceId }, { store, config }) => {
        const usage = new ApiKeyUsage(config);
        try {
          const keys = await listApiKeys(store, workspaceId, usage);
          for (const key of keys) {
            const state = key.revoked_at ? `revoked ${key.revoked_at}` : 'active';
            process.stdout.write(
              `${key.api_key_id}  ${key.short_token}…  created ${key.created_at}  ` +
                `last used ${key.last_used_at ?? 'never'}  ${state}\n`,
            );
          }
          printJson({ workspace_id: workspaceId, api_keys: keys });
        } finally {
          await usage.close();
        }
      }),
    );
  apiKey
    .command('revoke')
    .description(
      'Revokes a key: a running server answers 401 to it within a second. Rotation: create a key, move the ' +
        'app to it, revoke the old one.',
    )
    .requiredOption('--api-key-id <id>', 'the key')
    .option('--workspace-id <id>', "the key's workspace (found in the read models without it)")
    .action(
      withCommands<{ apiKeyId: string; workspaceId?: string }>(async ({ apiKeyId, workspaceId }, { bus, config }) => {
        const { position: _revokedAt, ...revoked } = await bus.execute(
          new RevokeApiKeyMessage({
            workspaceId: workspaceId ?? workspaceOfKey(config.dataDir, apiKeyId),
            apiKeyId,
            actor: { type: 'cli' },
          }),
        );
        printJson(revoked);
      }),
    );

  const saga = cli.command('saga').description('completions the saga parked');
  saga
    .command('parked')
    .description(
      'Completions the saga gave up on after 5 attempts (a server keeps going without them), with the error.',
    )
    .action(
      withLog(async (_options, { config }) => {
        const parked = new ParkedSagaEvents(config);
        try {
          const events = await parked.list();
          for (const e of events) {
            process.stdout.write(`${e.event_id}  position ${e.position}  ${e.attempts} attempts  ${e.error}\n`);
          }
          printJson({ parked_saga_events: events });
        } finally {
          await parked.close();
        }
      }),
    );
  saga
    .command('retry')
    .description('Runs a parked completion again from the log; unparked if it passes (exit status 1 if not).')
    .requiredOption('--event-id <id>', 'the parked event')
    .action(
      withCommands<{ eventId: string }>(async ({ eventId }, { bus, commands, config }) => {
        const parked = new ParkedSagaEvents(config);
        try {
          const result = await retryParkedEvent(completionCommands(bus, commands), parked, eventId);
          printJson(result);
          if (!result.completed) process.exitCode = 1;
        } finally {
          await parked.close();
        }
      }),
    );

  cli
    .command('replay')
    .summary('rebuild the read models beside the live ones; --verify, --swap')
    .description(
      'Rebuilds every read model from the start of the log into a fresh database beside the live one, while a ' +
        'server keeps serving.',
    )
    .option('--verify', 'compare it with the live read models and list any difference (exit status 1 if any)', false)
    .option('--swap', 'make it live (a running server switches to it)', false)
    .option(
      '--threads',
      'build on worker threads, as a server does (the public events on one, the rest on another): faster, more memory; not with --verify',
      false,
    )
    .action(
      withLog<{ verify: boolean; swap: boolean; threads: boolean }>(async (options, { store, config, terminal }) => {
        if (options.threads && options.verify) throw new UsageError('replay takes --threads or --verify, not both');
        const onThreads = (parts: { name: string; path: string }[], onProgress: (position: number) => void) =>
          rebuildProjectionsInWorker(config, parts, { onProgress, signal: new AbortController().signal });
        process.exitCode = await replayCommand(
          store,
          config.dataDir,
          REPLAY_SETUP,
          options,
          terminal,
          options.threads ? onThreads : undefined,
        );
      }),
    );

  cli
    .command('history')
    .summary("one resource's custom-metadata history")
    .description('The custom-metadata history of one resource: who changed what, when and why.')
    .option('--device-id <id>', 'a device')
    .option('--connected-account-id <id>', 'a connected account')
    .option('--connect-webview-id <id>', 'a Connect Webview')
    .option('--json', 'JSON lines, for scripts', false)
    .action(
      withLog<{ deviceId?: string; connectedAccountId?: string; connectWebviewId?: string; json: boolean }>(
        async (options, { store, terminal }) => {
          const [resource, ...others] = [
            options.deviceId && ({ type: 'device', idField: 'device_id', id: options.deviceId } as const),
            options.connectedAccountId &&
              ({ type: 'connected_account', idField: 'connected_account_id', id: options.connectedAccountId } as const),
            options.connectWebviewId &&
              ({ type: 'connect_webview', idField: 'connect_webview_id', id: options.connectWebviewId } as const),
          ].filter((r) => typeof r === 'object');
          if (!resource || others.length > 0)
            throw new UsageError('history needs one of --device-id, --connected-account-id, --connect-webview-id');
          await historyCommand(store, resource, options.json, terminal);
        },
      ),
    );

  cli
    .command('keys')
    .description('the master key')
    .command('rotate-master')
    .description(
      'Re-wraps every data key under a new master key, written to MASTER_KEY_FILE (or DATA_DIR/master.key) once ' +
        'the key store is re-wrapped; a running server takes it on its next key-store read. The old master key ' +
        'then opens nothing: keep no copy of it.',
    )
    .action(
      withLog(async (_options, { store, config }) => {
        const keys = dataKeysOf(store);
        const source = config.encryption.masterKey;
        if (!keys) throw new UsageError('keys rotate-master needs encryption on (EVENT_ENCRYPTION=on)');
        if ('value' in source) {
          throw new UsageError(
            'keys rotate-master writes the new master key to a file: set MASTER_KEY_FILE rather than MASTER_KEY',
          );
        }
        const rotated = await keys.rotateMaster('file' in source ? source.file : source.generatedIn);
        printJson({ data_keys_rewrapped: rotated.keys, master_key_id: rotated.masterKeyId });
      }),
    );

  cli
    .command('copy-events')
    .summary('copy the log into another store (COPY_TO_URL) or SQLite file (--to)')
    .description(
      'Copies the configured log (EVENT_STORE, DATA_DIR) into the target: a postgres:// URL or an esdb:// ' +
        'connection string in COPY_TO_URL (never on the command line, where it would reach the process list and ' +
        'the shell history), or --to the path of a SQLite events file: same streams, revisions, ids, data and ' +
        "metadata. Into an empty SQLite or PostgreSQL target, positions and the log's id are kept too, so a " +
        'server switched to it rebuilds nothing. Interrupted, it resumes where it stopped when run again.',
    )
    .option('--to <path>', 'a SQLite events file')
    .action(
      withLog<{ to?: string }>(async (options, { config, terminal }) => {
        const to = copyTarget(options.to);
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
      }),
    );
  return cli;
}

const synopsis = (command: Command) =>
  command.options.map((option) => (option.mandatory ? option.flags : `[${option.flags}]`)).join(' ');

/** Every command on one line each, as `--help` ends: commander shows only the groups at the top level. */
function commandList(cli: Command): string {
  const leaves = (command: Command, prefix: string): string[] =>
    command.commands.length === 0
      ? [`  ${prefix}${command.name()} ${synopsis(command)}`.trimEnd()]
      : command.commands.flatMap((sub) => leaves(sub, `${prefix}${command === cli ? '' : `${command.name()} `}`));
  return `\nCommands, each with --help:\n${leaves(cli, '').join('\n')}\n`;
}

const cli = program();
cli.addHelpText('afterAll', commandList(cli));
const argv = process.argv.slice(2);
cli.parseAsync(argv.length === 0 ? ['--help'] : argv, { from: 'user' }).catch((error: unknown) => {
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2); // commander said why
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\n(npm run cli -- --help lists every command)\n`);
    process.exit(2);
  }
  if (error instanceof ConfigError || error instanceof DomainError || error instanceof MasterKeyError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
