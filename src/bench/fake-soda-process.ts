/**
 * The SODA fake in its own process, serving N seeded synthetic rows: the ingest benchmark's
 * "city server", so that serving the rows does not eat the ingest's own CPU (a real city server
 * is another machine). Prints `listening <baseUrl>` on stdout and serves until stdin closes.
 */
import { startFakeSoda } from '../testing/fake-soda.js';
import { generateSodaRows } from './synthetic-soda.js';

const count = Number(process.argv[2] ?? 100_000);
const fake = await startFakeSoda({ rows: generateSodaRows(count, { seed: 311 }) });
process.stdout.write(`listening ${fake.baseUrl}\n`);
process.stdin.resume();
process.stdin.on('end', () => void fake.close().then(() => process.exit(0)));
