// The experiment's report on a re-run: the tables are regenerated, and a hand-written "## Reading this run"
// already in the target file is carried over verbatim, once, before "## Per run" (a run cannot write that prose).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const RUNNER = fileURLToPath(new URL('../../experiments/run.mjs', import.meta.url));
// One tiny run of the quick grid, into the given directory.
const runInto = (out) => execFileSync(process.execPath,
  [RUNNER, '--quick', '--tasks', 'copy', '--schemes', 'alibi', '--seeds', '1', '--out', out], { stdio: 'pipe' });

test('a regenerated report keeps an existing hand-written reading, verbatim, before "## Per run"', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'posenc-report-'));
  const file = path.join(out, 'extrapolation.md');
  try {
    runInto(out);
    const fresh = readFileSync(file, 'utf8');
    assert.ok(!fresh.includes('## Reading this run'), 'a first run writes no reading');
    const reading = '## Reading this run\n\nWritten by hand: ALiBi keeps 62% at 2L.\n\n- a list item\n- another';
    writeFileSync(file, fresh.replace('## Per run', `${reading}\n\n## Per run`).replace('## copy', '## copy\n\nA stale line.'));

    runInto(out);
    const again = readFileSync(file, 'utf8');
    assert.ok(!again.includes('A stale line.'), 'everything but the reading is regenerated');
    const at = again.indexOf(`${reading}\n\n## Per run`);
    assert.ok(at > again.indexOf('## copy'), 'the reading follows the task tables and precedes "## Per run"');
    assert.equal(again.split('## Reading this run').length, 2, 'the reading appears once');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
