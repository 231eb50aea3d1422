import type { Stage } from './scenario.js';

/**
 * The open model: arrivals follow the stages whatever the system does, as in k6's
 * ramping-arrival-rate. The rate moves linearly within a stage; the number of arrivals by time t
 * is the integral of the rate, so the i-th request is due when that integral reaches i.
 */
export function rateAt(startRate: number, stages: readonly Stage[], tS: number): number {
  let from = startRate;
  let t0 = 0;
  for (const stage of stages) {
    if (tS < t0 + stage.durationS) return from + ((stage.targetRate - from) * (tS - t0)) / stage.durationS;
    from = stage.targetRate;
    t0 += stage.durationS;
  }
  return 0;
}

/** Arrivals due in [0, tS]: the area under the rate curve (trapezoids, exact for linear stages). */
export function arrivalsBy(startRate: number, stages: readonly Stage[], tS: number): number {
  let from = startRate;
  let t0 = 0;
  let total = 0;
  for (const stage of stages) {
    const end = t0 + stage.durationS;
    if (tS <= t0) break;
    const upTo = Math.min(tS, end);
    const rateThere = from + ((stage.targetRate - from) * (upTo - t0)) / stage.durationS;
    total += ((from + rateThere) / 2) * (upTo - t0);
    from = stage.targetRate;
    t0 = end;
  }
  return total;
}

/** Scales every rate of the stages (the HPA check turns a local profile into production's). */
export function scaleStages(stages: readonly Stage[], factor: number): Stage[] {
  return stages.map((s) => ({ durationS: s.durationS, targetRate: s.targetRate * factor }));
}

/** Picks a kind by weight; `random` in [0, 1). */
export function weightedPick<K extends string>(weights: readonly (readonly [K, number])[], random: number): K {
  const total = weights.reduce((sum, [, w]) => sum + w, 0);
  if (weights.length === 0 || total <= 0) throw new Error('no positive weights to pick from');
  let x = random * total;
  for (const [kind, w] of weights) {
    if (x < w) return kind;
    x -= w;
  }
  return weights[weights.length - 1]![0];
}
