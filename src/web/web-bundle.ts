import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: two folders above this file both in src/web and in dist/web. */
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where `npm run build` writes the dashboard's assets. */
export const BUILT_ASSETS_DIR = join(PACKAGE_ROOT, 'dist', 'web', 'assets');
/** Name of the file that maps logical asset names to their hashed file names. */
export const MANIFEST_FILE = 'manifest.json';

/** One bundled file: its logical name ('dashboard.js'), hashed file name and bytes. */
export interface BundledFile {
  logicalName: string;
  fileName: string;
  contents: Uint8Array;
}

const ENTRY_POINTS = {
  dashboard: join(PACKAGE_ROOT, 'src', 'web', 'client', 'dashboard.ts'),
  'dashboard-style': join(PACKAGE_ROOT, 'src', 'web', 'dashboard.css'),
};

function hashedName(logicalName: string, contents: Uint8Array): string {
  const hash = createHash('sha256').update(contents).digest('hex').slice(0, 10);
  const dot = logicalName.lastIndexOf('.');
  return `${logicalName.slice(0, dot)}.${hash}${logicalName.slice(dot)}`;
}

/**
 * Bundles the browser script (with Chart.js from node_modules) and the stylesheet with esbuild,
 * in memory. esbuild is a build-time tool, so it is imported only when a bundle is made.
 */
export async function bundleWebAssets(): Promise<BundledFile[]> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: ENTRY_POINTS,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    sourcemap: false,
    legalComments: 'eof',
    write: false,
    outdir: '/bundle',
    logLevel: 'silent',
  });
  return result.outputFiles.map((file) => {
    const base = file.path.split('/').pop() ?? file.path;
    const logicalName = base === 'dashboard-style.css' ? 'dashboard.css' : base;
    return { logicalName, fileName: hashedName(logicalName, file.contents), contents: file.contents };
  });
}

/** `npm run build`: writes the bundle and its manifest to dist/web/assets. */
export async function writeWebAssets(outDir: string = BUILT_ASSETS_DIR): Promise<BundledFile[]> {
  const files = await bundleWebAssets();
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  for (const file of files) await writeFile(join(outDir, file.fileName), file.contents);
  const manifest = Object.fromEntries(files.map((file) => [file.logicalName, file.fileName]));
  await writeFile(join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return files;
}
