import { pingWarehouse } from '../../warehouse/advisory-lock.repository.js';
import type { ModelHealth } from '../../model/model-health.js';
import type { Scorer } from '../../model/scorer.js';
import type { Warehouse } from '../../warehouse/database.js';
import { jsonReply, type RouteGroup } from '../router.js';
import type { HealthResponse } from '../score-ticket.schema.js';

export interface HealthRoutesDeps {
  warehouse: Warehouse;
  scorer: Scorer;
  /** How long the database may take before it counts as unreachable. */
  timeoutMs: number;
  jobHealth?: () => Promise<NonNullable<HealthResponse['jobs']>>;
  /** Staleness and drift of the promoted model; must answer without a feature pass (cached drift). */
  modelHealth?: () => Promise<ModelHealth | null>;
}

/** The model part of /healthz: version, how far the data runs past the training, and feature drift. */
export function formatModelHealth(version: string | null, health: ModelHealth | null): HealthResponse['model'] {
  if (!health || health.version !== version) return { loaded: version !== null, version };
  const notes = [health.message, health.drift?.message ?? null].filter((note): note is string => note !== null);
  return {
    loaded: true,
    version,
    trained_through: health.trainedThrough.toISOString(),
    data_through: health.dataThrough?.toISOString() ?? null,
    age_days: health.ageDays,
    max_age_days: health.maxAgeDays,
    stale: health.stale,
    drift: health.drift ? health.drift.features.map(({ feature, psi }) => ({ feature, psi })) : null,
    drifted: health.drift ? health.drift.drifted : null,
    drift_measured_at: health.drift?.measuredAt?.toISOString() ?? null,
    notes: health.drift ? notes : [...notes, 'Feature drift is being measured; it shows on a later call.'],
  };
}

async function checkDatabase(warehouse: Warehouse, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([pingWarehouse(warehouse.db), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Database reachable, model loaded and fresh, jobs healthy: ok, degraded (no model, a stale one or a failing job) or down. */
export async function readHealth(deps: HealthRoutesDeps): Promise<HealthResponse> {
  const reachable = await checkDatabase(deps.warehouse, deps.timeoutMs);
  const version = deps.scorer.currentModelVersion();
  const [jobs, modelHealth] = reachable ? await Promise.all([deps.jobHealth?.(), deps.modelHealth?.() ?? null]) : [undefined, null];
  const jobsOk = !jobs || jobs.every((job) => job.state === 'ok' || job.state === 'never_run');
  const model = formatModelHealth(version, modelHealth);
  return {
    status: !reachable ? 'down' : version && jobsOk && model.stale !== true ? 'ok' : 'degraded',
    database: { reachable, engine: deps.warehouse.kind },
    model,
    ...(jobs ? { jobs } : {}),
  };
}

/** GET /healthz: 200 while the database answers (status ok or degraded), 503 when it does not. */
export function createHealthRoutes(deps: HealthRoutesDeps): RouteGroup {
  return {
    name: 'health',
    routes: [
      {
        method: 'GET',
        path: '/healthz',
        access: 'public',
        async handle() {
          const health = await readHealth(deps);
          return jsonReply(health.database.reachable ? 200 : 503, health, { 'cache-control': 'no-store' });
        },
      },
    ],
  };
}
