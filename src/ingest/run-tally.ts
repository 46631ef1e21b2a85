import type { IngestRun, PageProgress } from '../warehouse/ingest-run.repository.js';
import type { IngestSummary } from './ingest-types.js';

/** One run's counts so far (what its ingest_run row holds after the last committed page) and its clock. */
export class RunTally {
  readonly progress: PageProgress;
  private readonly startedAt = performance.now();
  pages = 0;
  constructor(highWaterMark: Date | null, startOffset: number, resumeAfterId: string | null = null) {
    this.progress = {
      nextOffset: startOffset,
      resumeAfterId,
      highWaterMark,
      fetched: 0,
      inserted: 0,
      updated: 0,
      unchanged: 0,
      quarantined: 0,
      duplicates: 0,
    };
  }
  rowsPerSecond(): number {
    const seconds = (performance.now() - this.startedAt) / 1000;
    return seconds > 0 ? Math.round(this.progress.fetched / seconds) : 0;
  }
  durationMs(): number {
    return Math.round(performance.now() - this.startedAt);
  }
}

/** The row counts of a run's progress, without its checkpoint. */
export function countsOf(progress: PageProgress) {
  const { fetched, inserted, updated, unchanged, quarantined, duplicates } = progress;
  return { fetched, inserted, updated, unchanged, quarantined, duplicates };
}

export function summarise(run: IngestRun, tally: RunTally, resumedFromRun: number | null): IngestSummary {
  return {
    run_id: run.runId,
    source: run.source,
    mode: run.mode,
    ...countsOf(tally.progress),
    high_water_mark: tally.progress.highWaterMark?.toISOString() ?? null,
    resumed_from_run: resumedFromRun,
    recovered_from_quarantine: 0,
    duration_ms: tally.durationMs(),
    rows_per_second: tally.rowsPerSecond(),
  };
}
