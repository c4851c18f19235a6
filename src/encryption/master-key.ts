import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { EncryptionConfig } from '../common/config.js';

/** AES-256: every key of the service, master and data keys alike, is 32 random bytes. */
export const KEY_BYTES = 32;

/** The master key could not be read, or does not open the key store: the service must not start on it. */
export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MasterKeyError';
  }
}

/** A short public name of a master key (its hash's head), so the key store can say which key wrapped it. */
export function masterKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

export function newKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** How a key is written to a file: base64 and a newline, so that it survives a copy through a terminal. */
export function keyFileText(key: Buffer): string {
  return `${key.toString('base64')}\n`;
}

function parseKey(text: string, from: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== KEY_BYTES || !/^[A-Za-z0-9+/=\s]+$/.test(text)) {
    throw new MasterKeyError(`${from} must hold a base64 key of ${KEY_BYTES} bytes (\`openssl rand -base64 32\`)`);
  }
  return key;
}

/** Where a rotation writes the new key first: it replaces the old one only once the key store is re-wrapped. */
export function pendingKeyFile(file: string): string {
  return `${file}.new`;
}

/**
 * The master key the configuration names. With neither MASTER_KEY_FILE nor MASTER_KEY, it is
 * DATA_DIR/master.key, generated (mode 0600) when `mayGenerate`: a first start on an empty key store.
 */
export function readMasterKey(
  source: EncryptionConfig['masterKey'],
  { mayGenerate }: { mayGenerate: boolean },
): Buffer {
  if ('value' in source) return parseKey(source.value, 'MASTER_KEY');
  const file = 'file' in source ? source.file : source.generatedIn;
  const name = 'file' in source ? `MASTER_KEY_FILE (${file})` : file;
  if (existsSync(file)) return parseKey(readFileSync(file, 'utf8'), name);
  if ('file' in source) throw new MasterKeyError(`MASTER_KEY_FILE names ${file}, which does not exist`);
  if (!mayGenerate) {
    throw new MasterKeyError(
      `The key store holds encrypted data keys, and there is no master key: set MASTER_KEY_FILE (or MASTER_KEY), or put the key back at ${file}`,
    );
  }
  const key = newKey();
  writeFileSync(file, keyFileText(key), { mode: 0o600, flag: 'wx' });
  return key;
}

/** Every key a file may hold during a rotation: its own, then the one the rotation is moving to. */
export function candidateMasterKeys(source: EncryptionConfig['masterKey']): Buffer[] {
  if ('value' in source) return [parseKey(source.value, 'MASTER_KEY')];
  const file = 'file' in source ? source.file : source.generatedIn;
  return [file, pendingKeyFile(file)].filter(existsSync).map((path) => parseKey(readFileSync(path, 'utf8'), path));
}

/** Ends a rotation: the new key takes the file's place (an atomic rename). */
export function promotePendingKey(file: string): void {
  if (existsSync(pendingKeyFile(file))) renameSync(pendingKeyFile(file), file);
}

export function writePendingKey(file: string, key: Buffer): void {
  writeFileSync(pendingKeyFile(file), keyFileText(key), { mode: 0o600 });
}
