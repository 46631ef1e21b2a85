/**
 * The ingest's public face: what entry points and tests import. The work lives beside it:
 * socrata-ingest.ts (the SODA paging loop and resume), row-stream-ingest.ts (snapshot files and rows
 * in hand), commit-page.ts (one page's writes and checkpoint), validate-chunk.ts (validation and
 * duplicate ids within a page), recover-quarantine.ts and run-tally.ts (a run's counts).
 */
export type { IngestDeps, IngestProgress, IngestSummary } from './ingest-types.js';
export { recoverQuarantinedRows } from './recover-quarantine.js';
export { ingestRows, ingestRowStream, type RowStreamIngestOptions } from './row-stream-ingest.js';
export { ingestFromSocrata, sodaTimestampLiteral, type SocrataIngestOptions } from './socrata-ingest.js';
