// Locates ../shared/fixtures next to the repository root (read in place, never copied); shared by every package's tests.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES = process.env.WCNN_FIXTURES ?? fileURLToPath(new URL('../../shared/fixtures/', import.meta.url));

if (!existsSync(FIXTURES)) {
  throw new Error(`fixtures not found at ${FIXTURES}: the repository expects ../shared/fixtures beside it (or set WCNN_FIXTURES)`);
}
