// The "Train short, test long" panel's Worker: loads posenc and runs the grid's jobs one by one (the page
// stays responsive), posting loss chunks while a model trains and each finished run's result, with the
// trained model's attention maps for the jobs marked `capture`. Stopping terminates the Worker; the panel
// resumes by sending the jobs still to do to a new one.
import { load } from 'posenc';
import { runOne } from '../experiments/grid.js';
import { buffersOf, captureAttention } from './attention-capture.js';

const LOSS_CHUNK = 5; // steps per progress message

self.onmessage = async ({ data: { jobs } }) => {
  try {
    const pe = await load();
    self.postMessage({ type: 'ready', simd: pe.features.simd });
    for (const job of jobs) {
      let chunk = [];
      const result = runOne(pe, job, (step, r) => {
        chunk.push(r.loss);
        if (chunk.length === LOSS_CHUNK || step === job.steps - 1) {
          self.postMessage({ type: 'losses', id: job.id, step, losses: chunk });
          chunk = [];
        }
      }, job.capture ? (model, task) => captureAttention(model, task, job) : null);
      self.postMessage({ type: 'result', id: job.id, result }, buffersOf(result.trained));
    }
    self.postMessage({ type: 'done' });
  } catch (e) {
    self.postMessage({ type: 'error', code: e.code, message: e.message });
  }
};
