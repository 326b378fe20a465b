// Functions evaluated inside the page: pixel statistics of canvases (is anything drawn, did it change).

// For every canvas under `selector`: a pixel hash and the fraction of coloured ("ink") pixels — data drawn
// in colour, as opposed to white background and grey axes, text and grid lines.
export function canvasStats(selector) {
  return [...document.querySelectorAll(`${selector} canvas`)].map((c) => {
    const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    let ink = 0, hash = 2166136261;
    for (let i = 0; i < data.length; i += 4) {
      const r = data[i], g = data[i + 1], b = data[i + 2];
      if (Math.max(r, g, b) - Math.min(r, g, b) > 30) ink++;
      hash = Math.imul(hash ^ (r + 7 * g + 13 * b), 16777619);
    }
    return { ink: ink / (c.width * c.height), hash: hash >>> 0, version: Number(c.dataset.version), width: c.width };
  });
}
