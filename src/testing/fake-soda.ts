/**
 * A loopback fake of one Socrata SODA 2.x resource speaking the real wire format, for tests and the
 * ingest benchmark. The pieces live in ./soda/: the HTTP wiring (soda-server.ts), the rows and
 * their system fields (soda-store.ts), scripted faults (soda-faults.ts) and the SoQL subset
 * (soql.ts, soql-where.ts). This module is the entry point tests import.
 */
export type { FakeSoda, FakeSodaOptions, FakeSodaRequest } from './soda/fake-soda.types.js';
export type { FakeSodaFault, FaultTarget } from './soda/soda-faults.js';
export type { FakeSodaViewSpec, SodaView, SodaViewColumn } from './soda/soda-views.js';
export { DEFAULT_FAKE_DATASET, startFakeSoda } from './soda/soda-server.js';
export { SODA_DEFAULT_LIMIT, SODA_MAX_LIMIT } from './soda/soql.js';
export { parseSoqlInstant } from './soda/soql-where.js';
