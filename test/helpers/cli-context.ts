import type { CliContext } from '../../src/cli/command.js';
import { createApp, type AppOverrides } from '../../src/main.js';
import type { Warehouse } from '../../src/warehouse/database.js';

/**
 * A command context whose App is built by the real composition root on a test warehouse. The
 * command closes the App it opens; the warehouse stays open for the test's next step.
 */
export function withTestApp(context: Omit<CliContext, 'openApp'>, warehouse: Warehouse, overrides: AppOverrides = {}): CliContext {
  return {
    ...context,
    openApp: async () =>
      createApp({ config: context.config, logger: context.logger, warehouse: { ...warehouse, close: async () => {} } }, overrides),
  };
}
