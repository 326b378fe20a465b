// The machine line of the report: CPU, cores, and the versions of everything measured.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

function firstMatch(path, re) {
  try {
    return readFileSync(path, 'utf8').match(re)?.[1]?.trim();
  } catch {
    return undefined;
  }
}

function emccVersion() {
  try {
    const out = execFileSync('emcc', ['--version'], { encoding: 'utf8', env: { ...process.env, NODE_PATH: '/usr/share/nodejs' } });
    return out.match(/emcc \(.*?\) ([\d.]+)/)?.[1];
  } catch {
    return undefined;
  }
}

function xsimdVersion(root) {
  const cfg = `${root}/.deps/xsimd13/usr/include/xsimd/config/xsimd_config.hpp`;
  const part = (p) => firstMatch(cfg, new RegExp(`#define XSIMD_VERSION_${p} (\\d+)`));
  const v = [part('MAJOR'), part('MINOR'), part('PATCH')];
  return v.every(Boolean) ? v.join('.') : undefined;
}

export function machine(root, extra = {}) {
  return {
    cpu: firstMatch('/proc/cpuinfo', /model name\s*:\s*(.*)/) ?? os.cpus()[0]?.model,
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    emcc: emccVersion(),
    xsimd: xsimdVersion(root),
    loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),  // other jobs on a shared machine
    ...extra,
  };
}

export function machineLine(m) {
  const parts = [`${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB`, `Node ${m.node}`, `emcc ${m.emcc ?? '?'}`,
    `xsimd ${m.xsimd ?? '?'}`];
  if (m.nativeArch) parts.push(`native ${m.nativeArch} (${m.nativeCompiler})`);
  if (m.tfjs) parts.push(`tfjs ${m.tfjs}`);
  if (m.loadAverage) parts.push(`load average ${m.loadAverage.join(' ')} at the end`);
  return parts.join(' · ');
}
