import { CivicOpsError } from '../shared/errors.js';

/** Why a chart could not be turned into a PNG. */
export type ChartRenderFailure = 'http-status' | 'not-png' | 'network' | 'render' | 'font';

/** A chart could not be rendered, in-process or by the QuickChart server. */
export class ChartRenderError extends CivicOpsError {
  readonly failure: ChartRenderFailure;
  readonly status?: number;
  readonly url?: string;
  constructor(message: string, details: { failure: ChartRenderFailure; status?: number; url?: string; cause?: unknown }) {
    super('CHART_RENDER_FAILED', message, { cause: details.cause });
    this.failure = details.failure;
    this.status = details.status;
    this.url = details.url;
  }
}
