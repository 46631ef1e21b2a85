import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * The load process of the API benchmark: runs autocannon against a URL and reports the
 * numbers to its parent over IPC, so load generation never shares a CPU thread with the server.
 * Usage (forked): api-load.js '<LoadPlan JSON>'
 */

export interface LoadPlan {
  url: string;
  connections: number;
  durationSeconds: number;
  method: 'POST' | 'GET';
  headers: Record<string, string>;
  body?: string;
}

export interface LoadResult {
  requestsPerSecond: number;
  totalRequests: number;
  latencyP50Ms: number;
  latencyP90Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p99: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  method: string;
  headers: Record<string, string>;
  body?: string;
}) => Promise<AutocannonResult>;

/** Runs one autocannon load in this process. */
export async function runLoad(plan: LoadPlan): Promise<LoadResult> {
  // autocannon ships no type declarations; the shape we use is declared above.
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
  const result = await autocannon({
    url: plan.url,
    connections: plan.connections,
    duration: plan.durationSeconds,
    method: plan.method,
    headers: plan.headers,
    body: plan.body,
  });
  return {
    requestsPerSecond: result.requests.average,
    totalRequests: result.requests.total,
    latencyP50Ms: result.latency.p50,
    latencyP90Ms: result.latency.p90,
    latencyP99Ms: result.latency.p99,
    latencyMaxMs: result.latency.max,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const plan = JSON.parse(process.argv[2] ?? '{}') as LoadPlan;
  const result = await runLoad(plan);
  if (process.send) process.send(result);
  else process.stdout.write(`${JSON.stringify(result)}\n`);
}
