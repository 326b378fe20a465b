// Entry: loads the posenc package like any app would, then mounts each panel. A panel that fails to
// mount shows its error in place; the others keep working.
import { load } from 'posenc';
import { mountAlibi } from './panels/alibi.js';
import { mountAnswers } from './panels/answers.js';
import { mountAttention } from './panels/attention.js';
import { mountLearned } from './panels/learned.js';
import { mountRope } from './panels/rope.js';
import { mountSinusoidal } from './panels/sinusoidal.js';
import { mountSpeed } from './panels/speed.js';
import { mountT5Xpos } from './panels/t5-xpos.js';
import { errorBox, showError } from './ui.js';

const panels = [
  ['sinusoidal', mountSinusoidal], ['learned', mountLearned], ['rope', mountRope], ['alibi', mountAlibi],
  ['t5xpos', mountT5Xpos], ['attention', mountAttention], ['answers', mountAnswers], ['speed', mountSpeed],
];

async function main() {
  const status = document.getElementById('status');
  let pe;
  try {
    pe = await load();
  } catch (e) {
    status.className = 'bad';
    status.textContent = `Could not load the posenc WebAssembly module: ${e.message}`;
    document.body.dataset.ready = 'failed';
    return;
  }
  status.textContent = `posenc ${pe.features.version} · ${pe.features.simd ? 'WebAssembly SIMD128 build' : 'scalar WebAssembly build (no SIMD in this browser)'}`;
  window.posencDemo = { features: pe.features };
  for (const [id, mount] of panels) {
    const body = document.querySelector(`#${id} .body`);
    try {
      mount(body, pe, load);
    } catch (e) {
      showError(errorBox(body), e);
      console.error(`panel ${id} failed to mount`, e);
    }
  }
  document.body.dataset.ready = '1';
}

main();
