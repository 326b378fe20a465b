// posenc native as a child process (bench/native_bench.cpp): one command a line over stdin, one answer
// a line, so its runs interleave with the JavaScript ones; it reports its own wall and CPU time in ns.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';

export class NativeBench {
  constructor(path) {
    this.child = spawn(path, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  static exists(path) {
    return existsSync(path);
  }

  async ask(command) {
    this.child.stdin.write(command + '\n');
    const { value, done } = await this.lines.next();
    if (done) throw new Error(`native bench exited while answering '${command}'`);
    if (value.startsWith('error')) throw new Error(`native bench: ${value} (command '${command}')`);
    return value;
  }

  info() {
    return this.ask('info').then(JSON.parse);
  }

  // A runner for `spec` ("rope 32 2048 128 half 0", …): timed by the child, outputs read from a dump.
  async runner(spec, { reps = 1, outputs, scratch }) {
    await this.ask(`time 1 ${spec}`);  // prepares the inputs outside any timing
    const runner = {
      reps,  // the harness lowers it so that a sample takes ~20 ms, as for the JS runners
      prime: () => this.ask(`time 1 ${spec}`),
      time: async () => {
        const [wall, cpu] = (await this.ask(`time ${runner.reps} ${spec}`)).split(' ').map(Number);
        return { wall: wall / 1e6, cpu: cpu / 1e6 };
      },
      output: async () => {
        await this.ask(`dump ${scratch} ${spec}`);
        const all = new Float32Array(new Uint8Array(readFileSync(scratch)).buffer);  // small reads share a pool
        rmSync(scratch);
        const parts = [];
        for (let at = 0; at < all.length; at += outputs) parts.push(all.subarray(at, at + outputs));
        return parts;
      },
      cacheBuilds: async () => Number(await this.ask(`cache_builds ${spec}`)),
    };
    return runner;
  }

  close() {
    this.child.stdin.end();
  }
}

