import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { ChartRenderer } from './chart-renderer.js';
import type { ChartSpec } from './chart-spec.js';

/**
 * Renders a chart and writes the PNG (for `civicops chart … --out FILE.png`), creating the
 * folder if needed. Returns the absolute path and the number of bytes written.
 */
export async function writeChartPng(renderer: ChartRenderer, spec: ChartSpec, outPath: string): Promise<{ path: string; bytes: number }> {
  const png = await renderer.render(spec);
  const path = resolve(outPath);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, png);
  return { path, bytes: png.length };
}
