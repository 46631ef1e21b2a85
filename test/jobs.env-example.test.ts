import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { envSchema, loadConfig } from '../src/config/config.js';

/** KEY=value lines of .env.example, commented-out ones included, quotes removed (as compose and dotenv do). */
function readEnvExample(): { active: Record<string, string>; documented: Set<string> } {
  const text = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
  const active: Record<string, string> = {};
  const documented = new Set<string>();
  for (const line of text.split('\n')) {
    const match = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!match) continue;
    documented.add(match[2]!);
    if (!match[1]) active[match[2]!] = match[3]!.replace(/^"(.*)"$/, '$1');
  }
  return { active, documented };
}

describe('.env.example', () => {
  it('documents every environment variable the config reads', () => {
    const { documented } = readEnvExample();
    expect([...documented].sort()).toEqual(Object.keys(envSchema.shape).sort());
  });

  it('holds values that load, and they are the defaults', () => {
    const { active } = readEnvExample();
    const fromExample = loadConfig(active);
    const defaults = loadConfig({});
    expect(fromExample).toEqual(defaults);
  });
});
