import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isOpenState } from '../src/analytics/ticket-lifecycle.js';
import { listShippedCities, loadCityProfile, parseCityProfile } from '../src/config/city-profile.js';
import { loadConfig } from '../src/config/config.js';
import { KNOWN_DATA_FIELDS, validateSodaRow } from '../src/ingest/soda-row.js';
import { ConfigError } from '../src/shared/errors.js';

const chicago = loadCityProfile('chicago');

function problemOf(value: unknown): string {
  try {
    parseCityProfile(value, 'cities/chicago.json');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the profile to be refused');
}

describe('city profiles', () => {
  it('ships six profiles, each valid and frozen', () => {
    expect(listShippedCities()).toEqual(['austin', 'chicago', 'gainesville', 'los-angeles', 'new-york', 'san-francisco']);
    for (const name of listShippedCities()) {
      const profile = loadCityProfile(name);
      expect(profile.name).toBe(name);
      expect(Object.isFrozen(profile.fields)).toBe(true);
      // Every mapped field says where it came from.
      expect(Object.keys(profile.sources.fields).sort()).toEqual(Object.keys(profile.fields).sort());
    }
    expect(loadCityProfile('los-angeles').dataset).toBe('h65r-yf5i');
  });

  it('without CIVICOPS_CITY the config is Gainesville, exactly as before profiles', () => {
    const config = loadConfig({});
    expect(config.city.name).toBe('gainesville');
    expect(config.socrata).toMatchObject({ baseUrl: 'https://data.cityofgainesville.org', dataset: '78uv-94ar' });
    expect(config.cityTimeZone).toBe('America/New_York');
    expect(config.slack.ticketUrlTemplate).toBe('https://data.cityofgainesville.org/resource/78uv-94ar.json?id={id}');
    expect(Object.isFrozen(config.city)).toBe(true);
    expect([...KNOWN_DATA_FIELDS].sort()).toEqual(
      [
        'id',
        'status',
        'request_type',
        'description',
        'created',
        'last_updated',
        'reporter_display',
        'location_detail',
        'latitude',
        'longitude',
        'location',
        'commission_district',
        'police_sector',
        'assigned_to',
        'closed',
        'minutes_to_close',
        'days_to_close',
        'acknowledged',
        'minutes_to_acknowledge',
        'days_to_acknowledge',
        'reopened',
      ].sort(),
    );
  });

  it("reads the Gainesville sample's statuses as the former isOpenState did, row for row", () => {
    const rows = JSON.parse(
      gunzipSync(readFileSync(new URL('../data/gainesville-78uv-94ar.sample.json.gz', import.meta.url))).toString('utf8'),
    ) as Record<string, unknown>[];
    let compared = 0;
    for (const row of rows) {
      const outcome = validateSodaRow(row, 'America/New_York');
      if (!outcome.ok) continue;
      expect(outcome.ticket.statusIsOpen, outcome.ticket.status).toBe(isOpenState(outcome.ticket.status));
      compared += 1;
    }
    expect(compared).toBeGreaterThan(4_900);
  });

  it('CIVICOPS_CITY picks the host, dataset, zone and ticket link; SOCRATA_* and TZ_CITY still override', () => {
    const config = loadConfig({ CIVICOPS_CITY: 'chicago' });
    expect(config.socrata).toMatchObject({ baseUrl: 'https://data.cityofchicago.org', dataset: 'v6vf-nfxy' });
    expect(config.cityTimeZone).toBe('America/Chicago');
    expect(config.slack.ticketUrlTemplate).toBe('https://data.cityofchicago.org/resource/v6vf-nfxy.json?sr_number={id}');
    const overridden = loadConfig({
      CIVICOPS_CITY: 'chicago',
      SOCRATA_BASE_URL: 'http://127.0.0.1:9/',
      SOCRATA_DATASET: 'abcd-1234',
      TZ_CITY: 'UTC',
    });
    expect(overridden.socrata).toMatchObject({ baseUrl: 'http://127.0.0.1:9', dataset: 'abcd-1234' });
    expect(overridden.cityTimeZone).toBe('UTC');
    expect(overridden.city.fields.id).toBe('sr_number');
  });

  it('refuses a bad profile with one line naming the file and the key', () => {
    const { createdAt: _created, ...withoutCreated } = chicago.fields;
    expect(problemOf({ ...chicago, fields: withoutCreated })).toBe('cities/chicago.json: fields.createdAt is required');
    expect(problemOf({ ...chicago, timeZone: 'Mars/Olympus' })).toBe(
      'cities/chicago.json: timeZone must be an IANA time zone such as America/Chicago',
    );
    expect(problemOf({ ...chicago, fields: { ...chicago.fields, created: 'created_date' } })).toBe(
      'cities/chicago.json: fields: unknown key "created"',
    );
    expect(problemOf({ ...chicago, fields: { ...chicago.fields, description: 'sr_description' } })).toBe(
      'cities/chicago.json: fields.description maps column "sr_description", which is not in columns',
    );
    expect(problemOf({ ...chicago, timestampFormats: ['iso'] })).toMatch(/^cities\/chicago\.json: timestampFormats\.0 /);
    const { sources, ...rest } = chicago;
    expect(problemOf({ ...rest, sources: { ...sources, fields: { id: 'sr_number' } } })).toMatch(
      /^cities\/chicago\.json: sources\.fields\.\w+ is required: say where fields\.\w+ came from$/,
    );
    expect(() => loadConfig({ CIVICOPS_CITY: 'boston' })).toThrow(/CIVICOPS_CITY: no profile "boston"/);
  });

  it('refuses a name longer than a warehouse schema can hold, and takes one that just fits', () => {
    const longest = `${'a'.repeat(28)}-${'b'.repeat(29)}`; // 58 characters: city_<name> is 63
    expect(problemOf({ ...chicago, name: `${longest}c` })).toBe(
      'cities/chicago.json: name is longer than 58 characters (its warehouse schema, city_<name>, must fit in 63)',
    );
    expect(parseCityProfile({ ...chicago, name: longest }, 'cities/chicago.json').name).toBe(longest);
  });
});

describe('validating a row with a city profile', () => {
  const row = (changes: Record<string, unknown> = {}) => ({
    sr_number: 'SR23-01100000',
    sr_type: 'Pothole in Street Complaint',
    status: 'Completed',
    created_date: '2023-07-09T14:03:00.000',
    closed_date: '2023-07-10T09:00:00.000',
    ...changes,
  });

  it("reads floating timestamps on the city's clock and maps status words to open/closed", () => {
    const outcome = validateSodaRow(row(), 'America/Chicago', chicago);
    if (!outcome.ok) throw new Error(outcome.reasons.join('; '));
    expect(outcome.ticket.createdAt.toISOString()).toBe('2023-07-09T19:03:00.000Z');
    expect(outcome.ticket).toMatchObject({ ticketId: 'SR23-01100000', statusIsOpen: false, description: null, commissionDistrict: null });
    const open = validateSodaRow(row({ status: 'Open', closed_date: undefined }), 'America/Chicago', chicago);
    expect(open.ok && open.ticket.statusIsOpen).toBe(true);
  });

  it("refuses a timestamp in a format the city does not use, naming the city's formats", () => {
    const outcome = validateSodaRow(row({ created_date: '07/09/2023 14:03' }), 'America/Chicago', chicago);
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.reasons).toEqual(['created_date is not a date in YYYY-MM-DDTHH:MM:SS form (got "07/09/2023 14:03")']);
    const fixed = parseCityProfile({ ...chicago, timestampFormats: ['floating', 'fixed'] }, 'test');
    const withZone = validateSodaRow(row({ created_date: '2023-07-09T19:03:00.000Z' }), 'America/Chicago', fixed);
    expect(withZone.ok && withZone.ticket.createdAt.toISOString()).toBe('2023-07-09T19:03:00.000Z');
  });

  it('keeps a column the city added when the profile says keep, and reads coordinates from the point', () => {
    const outcome = validateSodaRow(
      row({ brand_new_column: 'x', location: { type: 'Point', coordinates: [-87.62, 41.88] } }),
      'America/Chicago',
      chicago,
    );
    expect(outcome.ok && [outcome.ticket.latitude, outcome.ticket.longitude]).toEqual([41.88, -87.62]);
    const austin = loadCityProfile('austin');
    const strict = validateSodaRow(
      {
        sr_number: '23-00300000',
        sr_type_desc: 'ARR - Garbage',
        sr_status_desc: 'Open',
        sr_created_date: '2023-07-09T14:03:00.000',
        extra: '1',
      },
      'America/Chicago',
      austin,
    );
    expect(!strict.ok && strict.reasons).toEqual(['unexpected field "extra"']);
  });
});
