// Entry: loads the posenc package like any app would, then mounts each panel when it comes near the
// viewport, so the first screen is ready at once. A panel that fails to mount shows its error in place;
// the others keep working.
import { load } from 'posenc';
import { mountAlibi } from './panels/alibi.js';
import { mountAnswers } from './panels/answers.js';
import { mountAttention } from './panels/attention.js';
import { mountLearned } from './panels/learned.js';
import { mountRelative } from './panels/relative.js';
import { mountRope } from './panels/rope.js';
import { mountSinusoidal } from './panels/sinusoidal.js';
import { mountSpeed } from './panels/speed.js';
import { mountTrain } from './panels/train.js';
import { mountXpos } from './panels/xpos.js';
import { mountYourModel } from './panels/your-model.js';
import { errorBox, showError } from './ui.js';

const panels = {
  sinusoidal: mountSinusoidal, learned: mountLearned, rope: mountRope, alibi: mountAlibi,
  relative: mountRelative, xpos: mountXpos, yourmodel: mountYourModel, attention: mountAttention, answers: mountAnswers, speed: mountSpeed,
  train: mountTrain,
};

async function main() {
  const status = document.getElementById('status');
  const timings = {};
  const started = performance.now();
  let pe;
  try {
    pe = await load();
  } catch (e) {
    status.className = 'bad';
    status.textContent = `Could not load the posenc WebAssembly module: ${e.message}`;
    document.body.dataset.ready = 'failed';
    return;
  }
  timings.load = performance.now() - started;
  status.textContent = `posenc ${pe.features.version} · ${pe.features.simd ? 'WebAssembly SIMD128 build' : 'scalar WebAssembly build (no SIMD in this browser)'}`;

  const mount = (id) => {
    const body = document.querySelector(`#${id} .body`);
    if (body.dataset.mounted) return;
    body.dataset.mounted = '1';
    const t0 = performance.now();
    try {
      panels[id](body, pe, load);
    } catch (e) {
      showError(errorBox(body), e);
      console.error(`panel ${id} failed to mount`, e);
    }
    timings[id] = performance.now() - t0;
  };
  window.posencDemo = { features: pe.features, timings, mountAll: () => Object.keys(panels).forEach(mount) };

  // The first report covers every panel, so after it the visible ones are drawn and the page is ready.
  const near = new IntersectionObserver((entries) => {
    for (const e of entries) if (e.isIntersecting) { near.unobserve(e.target); mount(e.target.id); }
    timings.firstScreen ??= performance.now() - started;
    document.body.dataset.ready = '1';
  }, { rootMargin: '300px 0px' });
  for (const id of Object.keys(panels)) near.observe(document.getElementById(id));
}

main();
