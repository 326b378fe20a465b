// Colour scales: diverging (negative blue, zero white, positive red) for signed values, sequential for
// magnitudes. Each returns [r, g, b] for t in [0, 1].

const DIVERGING = [[33, 102, 172], [103, 169, 207], [209, 229, 240], [247, 247, 247], [253, 219, 199], [239, 138, 98], [178, 24, 43]];
const SEQUENTIAL = [[20, 22, 60], [44, 62, 130], [31, 120, 150], [40, 170, 130], [140, 205, 80], [250, 230, 60]];

function ramp(stops, t) {
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i, a = stops[i], b = stops[i + 1];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

export const colourScales = {
  diverging: (t) => ramp(DIVERGING, t),
  sequential: (t) => ramp(SEQUENTIAL, t),
};

export const MASKED = [205, 205, 205];

// Line and bar colours, distinguishable in print and for common colour-vision deficiencies.
export const PALETTE = ['#1b6ca8', '#d1495b', '#2a9d55', '#e8a33d', '#7b4fa0', '#4a4a4a', '#00a6a6', '#b5651d'];
