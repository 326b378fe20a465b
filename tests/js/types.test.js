// The hand-written index.d.ts type-checks the documented usage in strict mode (through the package's own
// "types" export condition).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

import { repoRoot } from './pack.js';

test('tsc --strict accepts tests/js/types/example.ts against bindings/index.d.ts', () => {
  execFileSync(process.execPath, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tests/js/types/tsconfig.json'],
    { cwd: repoRoot, encoding: 'utf8' });
});
