import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { listShippedCities, loadCityProfile, parseCityProfile } from '../../config/city-profile.js';
import { InputError } from '../../shared/errors.js';
import { createSodaClient } from '../../socrata/configured-client.js';
import { proposeCityProfile } from '../../socrata/propose-profile.js';
import { writeLine, type CliCommand, type CliContext } from '../command.js';
import { parseIntegerOption } from '../parse-integer-option.js';

function listCities(context: CliContext, json: boolean): number {
  const active = context.config.city.name;
  const profiles = listShippedCities().map((name) => loadCityProfile(name));
  if (json) {
    const rows = profiles.map((p) => ({
      name: p.name,
      displayName: p.displayName,
      host: p.host,
      dataset: p.dataset,
      timeZone: p.timeZone,
    }));
    writeLine(context.stdout, JSON.stringify({ active, cities: rows }));
    return 0;
  }
  const width = Math.max(...profiles.map((profile) => profile.name.length));
  for (const profile of profiles) {
    const marker = profile.name === active ? '*' : ' ';
    writeLine(
      context.stdout,
      `${marker} ${profile.name.padEnd(width)}  ${profile.host}/${profile.dataset}  ${profile.timeZone}  ${profile.displayName}`,
    );
  }
  writeLine(context.stdout, `(* = CIVICOPS_CITY, now ${active})`);
  return 0;
}

/** `data.cityofchicago.org` or a URL (`http://127.0.0.1:8080` for a loopback server). */
function parseHost(text: string): { baseUrl: string; host: string } {
  if (/^https?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new InputError(`"${text}" is not a host or URL`);
    }
    return { baseUrl: `${url.protocol}//${url.host}`, host: url.host };
  }
  if (!/^[a-z0-9.-]+(:\d+)?$/i.test(text)) throw new InputError(`"${text}" is not a host name such as data.cityofchicago.org`);
  return { baseUrl: `https://${text}`, host: text };
}

interface DetectOptions {
  write?: string;
  force: boolean;
  name?: string;
  timeZone?: string;
  rows: number;
}

async function detectCity(context: CliContext, hostText: string, dataset: string, options: DetectOptions): Promise<number> {
  if (!/^[a-z0-9]{4}-[a-z0-9]{4}$/.test(dataset)) throw new InputError(`"${dataset}" is not a Socrata dataset id such as v6vf-nfxy`);
  const { baseUrl, host } = parseHost(hostText);
  const client = createSodaClient(context.config, context.logger, { baseUrl, dataset });
  const view = await client.fetchView();
  const rows = await client.fetchPage({ select: '*', order: ':id', limit: options.rows });
  const proposal = proposeCityProfile({ host, dataset, view, rows, name: options.name, timeZone: options.timeZone });
  const text = `${JSON.stringify(proposal.profile, null, 2)}\n`;
  const unmappedLine =
    proposal.unmapped.length > 0
      ? `Could not map: ${proposal.unmapped.join(', ')} (no column looked like one; left out, so the ticket's value is null).`
      : 'Every field was mapped to a column.';
  if (options.write) {
    if (proposal.missingRequired.length > 0) {
      throw new InputError(
        `Not written: no column for ${proposal.missingRequired.map((field) => `fields.${field}`).join(', ')}; run without --write, complete the JSON by hand and save it`,
      );
    }
    if (existsSync(options.write) && !options.force) throw new InputError(`${options.write} exists; add --force to replace it`);
    parseCityProfile(proposal.profile, options.write);
    await mkdir(dirname(options.write), { recursive: true });
    await writeFile(options.write, text);
    writeLine(context.stdout, `Wrote ${options.write} (${view.columns.length} columns, ${rows.length} sample rows).`);
    writeLine(context.stdout, unmappedLine);
    for (const assumption of proposal.assumptions) writeLine(context.stdout, `Check: ${assumption}`);
    return 0;
  }
  context.stdout.write(text);
  writeLine(context.stderr, unmappedLine);
  for (const assumption of proposal.assumptions) writeLine(context.stderr, `Check: ${assumption}`);
  return proposal.missingRequired.length > 0 ? 1 : 0;
}

/** `civicops city list|detect`: the shipped city profiles, and a first profile for a new dataset. */
export const cityCommand: CliCommand = {
  name: 'city',
  summary: 'List the shipped city profiles, or propose a profile for any Socrata 311 dataset',
  usage: 'civicops city list [--json] | detect <host> <dataset> [--name NAME] [--time-zone ZONE] [--write FILE [--force]]',
  usesWarehouse: false,
  options: {
    json: { type: 'boolean', description: 'list: print one JSON line' },
    name: { type: 'string', description: 'detect: the profile name (default: from the host, e.g. cityofchicago)' },
    'time-zone': { type: 'string', description: 'detect: the city IANA time zone (the metadata does not say; default America/New_York)' },
    rows: { type: 'string', description: 'detect: how many rows to read for formats and status words', default: '200' },
    write: { type: 'string', description: 'detect: write the profile to this file instead of printing it' },
    force: { type: 'boolean', description: 'detect: replace the --write file if it exists' },
  },
  details: [
    'A city is a JSON profile in cities/ (host, dataset, time zone, column mapping, timestamp formats,',
    'status words, ticket link, sources). CIVICOPS_CITY picks one (default gainesville), or names a',
    "profile file. detect reads the dataset's /api/views/<id>.json and one page of rows, prints a",
    'proposed profile and says which fields it could not map (exit 1 if a required one is missing).',
    '',
    'Examples:',
    '  civicops city list',
    '  civicops city list --json',
    '  civicops city detect data.cityofchicago.org v6vf-nfxy --time-zone America/Chicago',
    '  civicops city detect data.austintexas.gov xwdj-i9he --name austin-2 --write cities/austin-2.json',
    '  CIVICOPS_CITY=austin-2 civicops ingest',
  ].join('\n'),
  async run({ values, positionals }, context) {
    const [action, ...rest] = positionals;
    if (action === 'list' && rest.length === 0) return listCities(context, values.json === true);
    if (action === 'detect' && rest.length === 2) {
      return detectCity(context, rest[0]!, rest[1]!, {
        write: typeof values.write === 'string' ? values.write : undefined,
        force: values.force === true,
        name: typeof values.name === 'string' ? values.name : undefined,
        timeZone: typeof values['time-zone'] === 'string' ? values['time-zone'] : undefined,
        rows: parseIntegerOption('rows', String(values.rows ?? '200'), { min: 1, max: 50_000 }),
      });
    }
    throw new InputError('Usage: civicops city list [--json] | detect <host> <dataset> [--write FILE]');
  },
};
