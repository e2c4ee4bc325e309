// Message size models. Real mailboxes have a long tail: most messages are a
// few KB of text, a few carry attachments of hundreds of KB. Each band is
// log-uniform between its bounds, which gives that shape with few knobs.
import { randomFrom, shuffle } from './random.js';

interface Band {
  min: number;
  max: number;
  /** Share of the messages, 0..1. */
  weight: number;
}

export interface SizeModel {
  bands: Band[];
}

export const KB = 1000;
export const MB = 1000 * KB;
const MAX_SIZE = 1 << 20; // "up to ~1 MB"

function bandMean({ min, max }: Band): number {
  return (max - min) / Math.log(max / min);
}

/**
 * The long tail with the given average size: plain text 2–16 KB, a tenth of
 * the messages 16–100 KB, and as many 100 KB–1 MiB messages as it takes to
 * reach the average (about 7% for the default 40 KB).
 */
export function longTail(averageBytes: number): SizeModel {
  const small = { min: 2 * KB, max: 16 * KB };
  const medium = { min: 16 * KB, max: 100 * KB, weight: 0.1 };
  const large = { min: 100 * KB, max: MAX_SIZE };
  const smallMean = bandMean({ ...small, weight: 0 });
  const largeMean = bandMean({ ...large, weight: 0 });
  const share = (averageBytes - (1 - medium.weight) * smallMean - medium.weight * bandMean(medium)) / (largeMean - smallMean);
  if (share < 0 || share > 1 - medium.weight) {
    const lowest = (1 - medium.weight) * smallMean + medium.weight * bandMean(medium);
    const highest = medium.weight * bandMean(medium) + (1 - medium.weight) * largeMean;
    throw new Error(
      `an average message size of ${(averageBytes / KB).toFixed(1)} KB is outside what the long-tail model makes ` +
        `(${(lowest / KB).toFixed(1)}–${(highest / KB).toFixed(1)} KB): change --messages or --megabytes`,
    );
  }
  return { bands: [{ ...small, weight: 1 - medium.weight - share }, medium, { ...large, weight: share }] };
}

/** Small messages only (2–5 KB): for measuring the per-message cost of a no-op run. */
export function smallOnly(): SizeModel {
  return { bands: [{ min: 2 * KB, max: 5 * KB, weight: 1 }] };
}

/** The size at quantile u (0..1) of the model. */
export function sizeAt(model: SizeModel, u: number): number {
  let start = 0;
  for (const band of model.bands) {
    if (u < start + band.weight) return Math.round(band.min * (band.max / band.min) ** ((u - start) / band.weight));
    start += band.weight;
  }
  return model.bands.findLast((band) => band.weight > 0)!.max; // the weights may sum to a hair under 1
}

/**
 * `count` sizes following the model, in a seeded random order. Taken at evenly
 * spaced quantiles rather than drawn, so the total is what was asked for, not
 * a random number near it: then scaled by the small remaining error.
 */
export function plannedSizes(model: SizeModel, count: number, seed: number, totalBytes?: number): number[] {
  const sizes = Array.from({ length: count }, (_, i) => sizeAt(model, (i + 0.5) / count));
  if (totalBytes !== undefined) {
    const factor = totalBytes / sizes.reduce((sum, size) => sum + size, 0);
    const lowest = model.bands[0]!.min;
    const highest = model.bands.at(-1)!.max;
    for (let i = 0; i < count; i++) sizes[i] = Math.min(highest, Math.max(lowest, Math.round(sizes[i]! * factor)));
  }
  return shuffle(sizes, randomFrom(seed));
}
