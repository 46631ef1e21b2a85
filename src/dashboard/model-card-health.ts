/**
 * The "model health" block of the model card: is the model older than its data (staleness), and
 * have its strongest features drifted (PSI, recent tickets against training)? The drift figures
 * come from the app's cached monitor (src/model/model-health.ts); the card never waits for a
 * measurement, it says "measuring" until one exists.
 */
import { z } from 'zod';
import { PSI_DRIFT_THRESHOLD } from '../model/feature-drift.js';
import type { ModelHealth } from '../model/model-health.js';

const ticketWindowSchema = z.object({ from: z.string(), to: z.string(), tickets: z.number().int() }).nullable();

export const modelHealthSchema = z
  .object({
    version: z.string(),
    stale: z
      .boolean()
      .describe('true when the data runs more than max_age_days past the newest ticket the model was trained and tested on'),
    message: z.string().nullable().describe('one sentence for people when stale; null otherwise'),
    trained_through: z.string().describe('the newest ticket of the test period'),
    data_through: z.string().nullable(),
    age_days: z.number().nullable().describe('data_through − trained_through, in days'),
    max_age_days: z.number().describe('MODEL_MAX_AGE_DAYS'),
    drift: z.object({
      state: z
        .enum(['measured', 'measuring'])
        .describe('measuring: the first measurement for this model runs in the background; the card does not wait for it'),
      psi_threshold: z.number().describe('a feature whose PSI is above this has drifted'),
      drifted: z.boolean().nullable(),
      measured_at: z.string().nullable().describe('the data clock the drift was measured at'),
      reference: ticketWindowSchema.describe('the training tickets'),
      recent: ticketWindowSchema.describe('the recent tickets compared with them'),
      features: z.array(z.object({ feature: z.string(), psi: z.number(), drifted: z.boolean() })),
      message: z.string().nullable(),
    }),
  })
  .nullable()
  .describe("the served model's staleness and feature drift; null before the first training or when the server has no health monitor");
export type ModelCardHealth = z.infer<typeof modelHealthSchema>;

/** The monitor's reading as the card's JSON. */
export function modelCardHealth(health: ModelHealth | null): ModelCardHealth {
  if (!health) return null;
  const drift = health.drift;
  return {
    version: health.version,
    stale: health.stale,
    message: health.message,
    trained_through: health.trainedThrough.toISOString(),
    data_through: health.dataThrough?.toISOString() ?? null,
    age_days: health.ageDays,
    max_age_days: health.maxAgeDays,
    drift: drift
      ? {
          state: 'measured',
          psi_threshold: PSI_DRIFT_THRESHOLD,
          drifted: drift.drifted,
          measured_at: drift.measuredAt?.toISOString() ?? null,
          reference: drift.reference && {
            ...drift.reference,
            from: drift.reference.from.toISOString(),
            to: drift.reference.to.toISOString(),
          },
          recent: drift.recent && { ...drift.recent, from: drift.recent.from.toISOString(), to: drift.recent.to.toISOString() },
          features: drift.features.map(({ feature, psi, drifted }) => ({ feature, psi, drifted })),
          message: drift.message,
        }
      : {
          state: 'measuring',
          psi_threshold: PSI_DRIFT_THRESHOLD,
          drifted: null,
          measured_at: null,
          reference: null,
          recent: null,
          features: [],
          message: 'Feature drift is being measured; reload the card in a minute.',
        },
  };
}
