import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BUILT_ASSETS_DIR, bundleWebAssets, MANIFEST_FILE, type BundledFile } from './web-bundle.js';

/** One file served under /assets/, ready to send. */
export interface WebAsset {
  fileName: string;
  contentType: string;
  body: Buffer;
  gzipped: Buffer;
  etag: string;
}

export interface WebAssets {
  /** The asset with this hashed file name, or undefined. */
  get(fileName: string): Promise<WebAsset | undefined>;
  /** The URL of a logical asset ('dashboard.js') under /assets/. */
  urlOf(logicalName: string): Promise<string>;
}

const CONTENT_TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
};

function toAsset(fileName: string, contents: Uint8Array): WebAsset {
  const body = Buffer.from(contents);
  const extension = fileName.split('.').pop() ?? '';
  return {
    fileName,
    contentType: CONTENT_TYPES[extension] ?? 'application/octet-stream',
    body,
    gzipped: gzipSync(body, { level: 9 }),
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
  };
}

async function readBuilt(dir: string): Promise<BundledFile[] | undefined> {
  let manifest: Record<string, string>;
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as Record<string, string>;
  } catch {
    return undefined;
  }
  return Promise.all(
    Object.entries(manifest).map(async ([logicalName, fileName]) => ({
      logicalName,
      fileName,
      contents: await readFile(join(dir, fileName)),
    })),
  );
}

export interface WebAssetsOptions {
  /**
   * 'built' reads dist/web/assets (written by `npm run build`) and bundles from source only when
   * it is missing; 'source' always bundles from src/web (tests and `tsx` runs, so the page never
   * serves a stale build). Default: 'source' when this module runs from TypeScript.
   */
  from?: 'built' | 'source';
  dir?: string;
}

/** The dashboard's assets, loaded (or bundled) once on first use and kept in memory. */
export function createWebAssets(options: WebAssetsOptions = {}): WebAssets {
  const from = options.from ?? (import.meta.url.endsWith('.ts') ? 'source' : 'built');
  const dir = options.dir ?? BUILT_ASSETS_DIR;
  let loading: Promise<{ byFile: Map<string, WebAsset>; byLogical: Map<string, string> }> | undefined;
  const load = () => {
    loading ??= (async () => {
      const files = (from === 'built' ? await readBuilt(dir) : undefined) ?? (await bundleWebAssets());
      return {
        byFile: new Map(files.map((file) => [file.fileName, toAsset(file.fileName, file.contents)])),
        byLogical: new Map(files.map((file) => [file.logicalName, file.fileName])),
      };
    })();
    // A failed bundle is retried by the next request rather than cached.
    loading.catch(() => {
      loading = undefined;
    });
    return loading;
  };
  return {
    async get(fileName) {
      return (await load()).byFile.get(fileName);
    },
    async urlOf(logicalName) {
      const fileName = (await load()).byLogical.get(logicalName);
      if (!fileName) throw new Error(`The dashboard bundle has no ${logicalName}.`);
      return `/assets/${fileName}`;
    },
  };
}
