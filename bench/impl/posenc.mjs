// posenc through its npm package, as a user imports it (`import { load } from 'posenc'`).
export async function loadPosenc() {
  let mod;
  try {
    mod = await import('posenc');
  } catch (e) {
    return { impls: [], reason: `package not importable yet (${e.message.split('\n')[0]})` };
  }
  return { impls: [], reason: 'package adapter not written yet', version: mod.version };
}
