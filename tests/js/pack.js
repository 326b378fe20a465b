// Packs the repository as users get it (`npm pack`) and installs the tarball into a fresh folder, offline.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

// Returns { dir, tarball, files }: a temp folder with posenc installed from the packed tarball.
export function installPackedPackage(prefix, extraPackageJson = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', dir], repoRoot))[0];
  const tarball = path.join(dir, packed.filename);
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', ...extraPackageJson }));
  npm(['install', tarball, '--offline', '--no-audit', '--no-fund', '--loglevel=error'], dir);
  return { dir, tarball, files: packed.files.map((f) => f.path), size: packed.size };
}

export const listInstalled = (dir) => readdirSync(path.join(dir, 'node_modules', 'posenc'), { recursive: true });
