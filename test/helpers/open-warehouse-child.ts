// Opens the embedded warehouse at argv[2] in a separate process (exit 3 with the reason if refused).
import { openPGlite } from '../../src/warehouse/database.js';

const dir = process.argv.slice(2).filter((arg) => arg !== '--')[0]!;
try {
  const warehouse = await openPGlite(dir);
  await warehouse.close();
  process.exit(0);
} catch (error) {
  console.error((error as Error).message);
  process.exit(3);
}
