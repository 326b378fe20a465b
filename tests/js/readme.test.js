// Every ```js snippet of README.md runs as written on this Node: each is saved as an .mjs in a temp folder
// with `from 'posenc'` pointed at this repository's package, and run in its own process from the repository
// root (so a snippet reads the test fixtures by their repo-relative path, as a reader running it there would). A snippet that
// cannot run alone is marked by an HTML comment just before it: <!-- not-run: why -->.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const readme = readFileSync(path.join(repo, 'README.md'), 'utf8');
const entry = pathToFileURL(path.join(repo, 'bindings/index.node.js')).href;
const dir = mkdtempSync(path.join(os.tmpdir(), 'posenc-readme-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// { line, code, skip } for each ```js block; skip holds the reason of a not-run comment right above it.
function snippets(markdown) {
  const found = [];
  const fence = /^( *)```js\s*\n([\s\S]*?)^\1```\s*$/gm;
  for (let m; (m = fence.exec(markdown));) {
    const before = markdown.slice(0, m.index).trimEnd();
    const skip = /<!--\s*not-run:\s*(.*?)\s*-->$/.exec(before)?.[1] ?? null;
    const line = before.split('\n').length + 1;
    const code = m[2].split('\n').map((l) => l.slice(m[1].length)).join('\n');
    found.push({ line, code, skip });
  }
  return found;
}

const all = snippets(readme);

test('README has runnable js snippets and few skipped ones', () => {
  assert.ok(all.length >= 4, `found ${all.length} js snippets`);
  assert.ok(all.filter((s) => s.skip).length <= 2, 'keep not-run snippets rare');
});

for (const s of all) {
  test(`README.md:${s.line} runs on Node ${process.versions.node}`, { skip: s.skip ?? false }, () => {
    const file = path.join(dir, `snippet-${s.line}.mjs`);
    writeFileSync(file, s.code.replace(/from\s+(['"])posenc\1/g, `from '${entry}'`));
    try {
      execFileSync(process.execPath, [file], { cwd: repo, stdio: 'pipe', timeout: 60000 });
    } catch (e) {
      assert.fail(`README.md:${s.line} threw:\n${e.stderr?.toString() || e.message}`);
    }
  });
}
