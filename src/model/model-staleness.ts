/**
 * Whether the served model is older than its data: the warehouse holds more than
 * MODEL_MAX_AGE_DAYS of tickets the model was never built from. "Trained through" is the newest
 * ticket of its test period (`test_to` in the registry), the last data it was fitted and checked
 * on; the training wall-clock time says nothing when the data itself is years old.
 */

const DAY_MS = 86_400_000;

export interface ModelStaleness {
  trainedThrough: Date;
  /** The warehouse's last event; null when it holds no tickets. */
  dataThrough: Date | null;
  /** dataThrough − trainedThrough in days (1 decimal); null without data. Negative: data ends before. */
  ageDays: number | null;
  maxAgeDays: number;
  stale: boolean;
  /** One sentence for people when stale; null otherwise. */
  message: string | null;
}

/** Stale when the data runs more than `maxAgeDays` past the model's training data. */
export function assessModelStaleness(input: { trainedThrough: Date; dataThrough: Date | null; maxAgeDays: number }): ModelStaleness {
  const { trainedThrough, dataThrough, maxAgeDays } = input;
  const ageMs = dataThrough === null ? null : dataThrough.getTime() - trainedThrough.getTime();
  const stale = ageMs !== null && ageMs > maxAgeDays * DAY_MS;
  const ageDays = ageMs === null ? null : Math.round((ageMs / DAY_MS) * 10) / 10;
  return {
    trainedThrough,
    dataThrough,
    ageDays,
    maxAgeDays,
    stale,
    message: stale
      ? `The model was trained on data through ${trainedThrough.toISOString()}, ${ageDays} days before the data ends (limit ${maxAgeDays}): retrain it (civicops train).`
      : null,
  };
}
