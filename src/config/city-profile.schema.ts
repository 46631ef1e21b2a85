import { z } from 'zod';

/**
 * The shape of one city profile (`cities/<name>.json`): where the city's Socrata dataset lives
 * and how its columns, timestamps and status words map onto a ticket. A city is data, not code.
 */

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

function isRegularExpression(value: string): boolean {
  try {
    new RegExp(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * How a city writes its timestamps:
 * - `floating`: Socrata's floating timestamp, `2023-07-09T14:03:00.000`, read on the city's clock;
 * - `us`: `07/09/2023 14:03[:00]` or `7/9/2023 2:03 PM`, read on the city's clock;
 * - `fixed`: an instant with its zone, `2023-07-09T18:03:00.000Z` or `…-04:00`.
 */
export const TIMESTAMP_FORMATS = ['floating', 'us', 'fixed'] as const;
export type TimestampFormat = (typeof TIMESTAMP_FORMATS)[number];

const columnName = z.string().trim().min(1, 'must name a column');

/**
 * The ticket fields a profile maps, each to one of the city's columns. Only `id`, `createdAt`,
 * `requestType` and `status` are required; a field the city does not publish is left out (and
 * the ticket's value is null, never invented).
 */
export const fieldMappingSchema = z
  .object({
    id: columnName,
    createdAt: columnName,
    requestType: columnName,
    status: columnName,
    closedAt: columnName.optional(),
    updatedAt: columnName.optional(),
    acknowledgedAt: columnName.optional(),
    reopenedAt: columnName.optional(),
    latitude: columnName.optional(),
    longitude: columnName.optional(),
    /** A GeoJSON Point column, read when the latitude/longitude columns are absent or empty. */
    point: columnName.optional(),
    address: columnName.optional(),
    district: columnName.optional(),
    description: columnName.optional(),
    policeSector: columnName.optional(),
    reporter: columnName.optional(),
    assignedTo: columnName.optional(),
    /** The city's own minutes-to-close figure (kept beside ours, never trusted over the timestamps). */
    minutesToClose: columnName.optional(),
    /** The city's own minutes-to-acknowledge figure: checked to be a number, not stored. */
    minutesToAcknowledge: columnName.optional(),
  })
  .strict()
  .superRefine((fields, ctx) => {
    const seen = new Map<string, string>();
    for (const [key, column] of Object.entries(fields)) {
      if (column === undefined) continue;
      const earlier = seen.get(column);
      if (earlier) ctx.addIssue({ code: 'custom', path: [key], message: `maps column "${column}" already mapped by fields.${earlier}` });
      else seen.set(column, key);
    }
  });

export type FieldMapping = z.infer<typeof fieldMappingSchema>;
export type TicketField = keyof FieldMapping;

const slaPolicySchema = z
  .object({
    requestType: z.string().trim().min(1, 'is empty'),
    hours: z.number().positive('must be a positive number of hours'),
    /** Where the city publishes this target. */
    source: z.string().trim().min(1, 'must say where the city publishes this target'),
  })
  .strict();

export const cityProfileSchema = z
  .object({
    // Its warehouse schema is city_<name>, and PostgreSQL keeps 63 characters of a name: a longer
    // one would be cut, so two long names could share a schema (and the /sla header's 150).
    name: z
      .string()
      .max(58, 'is longer than 58 characters (its warehouse schema, city_<name>, must fit in 63)')
      .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be lower-case words joined by dashes, e.g. new-york'),
    displayName: z.string().trim().min(1, 'is empty'),
    /** The portal's host name, without a scheme: `data.cityofchicago.org`. */
    host: z
      .string()
      .trim()
      .regex(/^[a-z0-9.-]+(:\d+)?$/i, 'must be a host name such as data.cityofchicago.org (no https://, no path)'),
    dataset: z.string().regex(/^[a-z0-9]{4}-[a-z0-9]{4}$/, 'must be a Socrata dataset id such as v6vf-nfxy'),
    timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as America/Chicago'),
    fields: fieldMappingSchema,
    /** A regular expression every ticket id must match, e.g. `^\\d+$`; absent: any non-empty id. */
    idPattern: z.string().refine(isRegularExpression, 'is not a valid regular expression').optional(),
    timestampFormats: z.array(z.enum(TIMESTAMP_FORMATS)).min(1, 'must list at least one format'),
    statuses: z
      .object({
        /** Status words that mean closed (compared without case). */
        closed: z.array(z.string().trim().min(1)),
        /** Status words that mean open even though `closedPattern` matches them. */
        open: z.array(z.string().trim().min(1)).default([]),
        /** Case-insensitive pattern for closed statuses not listed (a city adds words over time). */
        closedPattern: z.string().refine(isRegularExpression, 'is not a valid regular expression').optional(),
      })
      .strict(),
    /** Every data column of the dataset, from its data dictionary. */
    columns: z.array(columnName).min(1, 'must list the data columns'),
    /**
     * A row with a column not in `columns`: `quarantine` keeps it aside until the column is
     * declared (Gainesville's rule); `keep` loads it, the new column staying in the raw row.
     */
    unknownColumns: z.enum(['quarantine', 'keep']),
    sla: z
      .object({
        /** The city-wide default when no policy names the type; absent: SLA_HOURS (72). */
        defaultHours: z.number().positive().optional(),
        policies: z.array(slaPolicySchema).default([]),
      })
      .strict()
      .default({ policies: [] }),
    /** The ticket's page, `{id}` replaced by the URL-encoded ticket id. */
    ticketUrlTemplate: z.string().refine((value) => value.includes('{id}'), 'must contain {id}'),
    /** Where each mapping came from: the data dictionary and, per field, the column's entry. */
    sources: z
      .object({
        dataDictionary: z.string().trim().min(1, 'must name the data dictionary (URL)'),
        fields: z.record(z.string(), z.string()),
        notes: z.array(z.string()).default([]),
      })
      .strict(),
  })
  .strict()
  .superRefine((profile, ctx) => {
    const declared = new Set(profile.columns);
    for (const [key, column] of Object.entries(profile.fields)) {
      if (column !== undefined && !declared.has(column)) {
        ctx.addIssue({ code: 'custom', path: ['fields', key], message: `maps column "${column}", which is not in columns` });
      }
    }
    for (const key of Object.keys(profile.fields)) {
      if (!(key in profile.sources.fields)) {
        ctx.addIssue({ code: 'custom', path: ['sources', 'fields', key], message: `is required: say where fields.${key} came from` });
      }
    }
  });

export type CityProfile = z.infer<typeof cityProfileSchema>;

/** The first problem of a profile that failed validation, as `fields.createdAt is required`. */
export function describeProfileIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'is not a valid city profile';
  const path = issue.path.join('.') || '(profile)';
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return `${path} is required`;
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
    return `${where}unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
  }
  return `${path} ${issue.message.replace(/^Invalid input: /, 'must be ')}`;
}
