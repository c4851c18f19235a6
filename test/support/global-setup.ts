import { execSync } from 'node:child_process';

/** End-to-end tests run the real server and CLI from dist/, so build once before any test. */
export default function globalSetup(): void {
  execSync('npm run build --silent', { stdio: 'inherit' });
}
