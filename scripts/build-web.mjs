// `npm run build`, after tsc: bundles the dashboard's browser script (with Chart.js) and its
// stylesheet with esbuild into dist/web/assets, using the same options as the server's fallback.
import { writeWebAssets } from '../dist/web/web-bundle.js';

const files = await writeWebAssets();
for (const file of files) console.error(`web: dist/web/assets/${file.fileName} (${file.contents.length} bytes)`);
