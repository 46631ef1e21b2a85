import type { AppConfig } from '../../../config/config.js';
import type { ChartRenderer } from '../../../charts/chart-renderer.js';
import type { Scorer } from '../../../model/scorer.js';
import type { Logger } from '../../../shared/logger.js';
import type { Warehouse } from '../../../warehouse/database.js';

/** What every Slack listener receives: the same deps as the rest of the service, passed in. */
export interface SlackListenerDeps {
  config: AppConfig;
  logger: Logger;
  warehouse: Warehouse;
  scorer: Scorer;
  chartRenderer: ChartRenderer;
  /** The clock: analytics windows end here (tests pin it inside the bundled 2014–2023 data). */
  now: () => Date;
  /**
   * The same deps for another city of the warehouse (`/sla city:chicago …`); an InputError naming
   * the warehouse's cities when it holds no such city. Absent: this app answers for its city only.
   */
  forCity?: (city: string) => Promise<SlackListenerDeps>;
}
