import { pingWarehouse } from '../../warehouse/advisory-lock.repository.js';
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

/** Database reachable, model loaded, jobs healthy: ok, degraded (no model or a failing job) or down. */
export async function readHealth(deps: HealthRoutesDeps): Promise<HealthResponse> {
  const reachable = await checkDatabase(deps.warehouse, deps.timeoutMs);
  const version = deps.scorer.currentModelVersion();
  const jobs = reachable && deps.jobHealth ? await deps.jobHealth() : undefined;
  const jobsOk = !jobs || jobs.every((job) => job.state === 'ok' || job.state === 'never_run');
  return {
    status: !reachable ? 'down' : version && jobsOk ? 'ok' : 'degraded',
    database: { reachable, engine: deps.warehouse.kind },
    model: { loaded: version !== null, version },
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
