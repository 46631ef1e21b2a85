// Runs a `civicops` command (ingest, alerts, status…) in a child process (through vite-node) so a test can SIGKILL it mid-run.
import { runCli } from '../../src/cli/main.js';

process.exitCode = await runCli(process.argv.slice(2).filter((arg) => arg !== '--'));
