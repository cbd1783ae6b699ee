// Fixture access for the facts tests (test/fixtures/facts/README.md says where each file comes from).
import { readFileSync } from 'node:fs';

const root = new URL('../../fixtures/facts/', import.meta.url);

export function fixture(path: string): string {
  return readFileSync(new URL(path, root), 'utf8');
}
