// The "Train short, test long" panel's Worker: loads posenc once and runs a grid's jobs one by one (the page
// stays responsive), posting loss chunks while a model trains and each finished run's result, with the
// trained model's attention maps for the jobs marked `capture`.
// Messages in: { type: 'start', jobs, gen } (discards any run in progress or paused), { type: 'pause' },
// { type: 'resume' }. Pausing keeps the live model, so resuming continues at the next step with the same bits.
import { load } from 'posenc';
import { Run } from '../experiments/grid.js';
import { buffersOf, captureAttention } from './attention-capture.js';

const LOSS_CHUNK = 5; // steps per progress message
const SLICE_MS = 50; // training time between looks at the message queue

let api = null, session = null;

// A macrotask that lets queued messages in first; setTimeout(0) would be clamped to 4 ms when nested.
const channel = new MessageChannel();
const wakers = [];
channel.port1.onmessage = () => wakers.shift()();
const yieldToMessages = () => new Promise((resolve) => { wakers.push(resolve); channel.port2.postMessage(0); });

self.onmessage = ({ data: m }) => {
  if (m.type === 'start') {
    if (session) discard(session);
    session = { gen: m.gen, jobs: m.jobs, paused: false, cancelled: false, wake: null, run: null };
    drive(session);
  } else if (m.type === 'pause' && session) {
    session.paused = true;
  } else if (m.type === 'resume' && session) {
    session.paused = false;
    session.wake?.();
  }
};

// Frees the discarded grid's model before the next one allocates; its loop, suspended at an await, sees
// `cancelled` when it wakes and returns.
function discard(s) {
  s.cancelled = true;
  s.run?.delete();
  s.wake?.();
}

async function drive(s) {
  const post = (msg, transfer) => self.postMessage({ ...msg, gen: s.gen }, transfer);
  try {
    api ??= await load();
    if (s.cancelled) return;
    post({ type: 'ready', simd: api.features.simd });
    for (const job of s.jobs) {
      const run = s.run = new Run(api, job);
      let chunk = [], sliceStart = performance.now();
      const flush = () => {
        if (chunk.length) post({ type: 'losses', id: job.id, step: run.next - 1, losses: chunk });
        chunk = [];
      };
      while (!run.done) {
        chunk.push(run.step().loss);
        if (chunk.length === LOSS_CHUNK || run.done) flush();
        if (performance.now() - sliceStart < SLICE_MS) continue;
        await yieldToMessages();
        if (s.paused) {
          flush();
          post({ type: 'paused', id: job.id, step: run.next });
          await new Promise((resolve) => { s.wake = resolve; });
          s.wake = null;
          if (!s.cancelled) post({ type: 'resumed', id: job.id, step: run.next });
        }
        if (s.cancelled) return;
        sliceStart = performance.now();
      }
      const result = run.evaluate(job.capture ? (model, task) => captureAttention(model, task, job) : null);
      run.delete();
      s.run = null;
      post({ type: 'result', id: job.id, result }, buffersOf(result.trained));
    }
    post({ type: 'done' });
  } catch (e) {
    if (!s.cancelled) post({ type: 'error', code: e.code, message: e.message });
  } finally {
    s.run?.delete();
    if (session === s) session = null;
  }
}
