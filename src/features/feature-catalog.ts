/**
 * The model's features: only what is known when a ticket is created. Status, closure,
 * acknowledgement, reopening, durations and last update are never features (known only later).
 */
export const FEATURE_NAMES = [
  'requestTypeCode',
  'hourOfDay',
  'dayOfWeek',
  'month',
  'commissionDistrict',
  'policeSector',
  'latitude',
  'longitude',
  'hasDescription',
  'descriptionLength',
  'reporterPriorTickets',
  'typePriorTickets',
  'typeVolume7d',
  'totalVolume7d',
  'typeVolumeRatio',
  'typeBacklog',
  'totalBacklog',
  'typeBacklogRatio',
  'typeMedianHoursToClose',
  'typeBreachRate',
  'globalBreachRate90d',
  'locationTickets30d',
] as const;

export type FeatureName = (typeof FEATURE_NAMES)[number];

/** One ticket's features by name; NaN = missing. */
export type FeatureVector = Record<FeatureName, number>;

/**
 * Column-major features of many tickets: one Float64Array per feature, `rows` long; NaN = missing.
 * The same shape as model/'s Dataset, which the classifiers train on.
 */
export interface FeatureMatrix {
  featureNames: string[];
  rows: number;
  columns: Float64Array[];
}

/** Index of each feature in FEATURE_NAMES (= column of the Dataset). */
export const FEATURE_INDEX: Readonly<Record<FeatureName, number>> = Object.freeze(
  Object.fromEntries(FEATURE_NAMES.map((name, index) => [name, index])) as Record<FeatureName, number>,
);

/** Prior strength of the type breach rate: a type with n closures is shrunk by 20 / (n + 20) toward the global rate. */
export const BREACH_RATE_PRIOR_WEIGHT = 20;

const LABELS: Record<FeatureName, string> = {
  requestTypeCode: 'Request type (code by order of first appearance)',
  hourOfDay: 'Hour of creation (city time, 0-23)',
  dayOfWeek: 'Day of week of creation (city time, 1 = Monday)',
  month: 'Month of creation (city time, 1-12)',
  commissionDistrict: 'City commission district',
  policeSector: 'Police sector',
  latitude: 'Latitude',
  longitude: 'Longitude',
  hasDescription: 'The reporter wrote a description',
  descriptionLength: 'Length of the description (characters)',
  reporterPriorTickets: 'Tickets the same (named) reporter filed before',
  typePriorTickets: 'Tickets of this type filed before',
  typeVolume7d: 'Tickets of this type in the 7 days before',
  totalVolume7d: 'Tickets of all types in the 7 days before',
  typeVolumeRatio: "This type's 7-day intake against its usual week",
  typeBacklog: 'Open tickets of this type at creation',
  totalBacklog: 'Open tickets of all types at creation',
  typeBacklogRatio: "This type's backlog against its usual level",
  typeMedianHoursToClose: 'Median hours to close of this type (tickets closed before)',
  typeBreachRate: 'Share of closed tickets of this type that breached the SLA (smoothed)',
  globalBreachRate90d: 'Share of all tickets closed in the last 90 days that breached the SLA',
  locationTickets30d: 'Tickets at the same location (latitude and longitude to 4 decimals) in the 30 days before',
};

/** Human label of every feature, by name. */
export function describeFeatures(): Readonly<Record<FeatureName, string>> {
  return LABELS;
}

/** What a sentence about a factor may mention besides the value. */
export interface ExplainContext {
  /** Display name of the ticket's request type, e.g. "Road Repair". */
  typeName?: string;
  /** SLA hours of the ticket's type. */
  slaHours?: number;
}

const percent = (share: number) => `${Math.round(share * 100)}%`;
const times = (ratio: number) => `${ratio.toFixed(1)}×`;
const DAY_NAMES = ['', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTH_NAMES = [
  '',
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/**
 * One sentence a dispatcher can read about a feature's value, for model explanations
 * ("Road Repair tickets breached 41% of the time before", "backlog of Road Repair is 2.3× its usual level").
 */
export function explainFactor(featureName: FeatureName | string, value: number, context: ExplainContext = {}): string {
  const type = context.typeName ?? 'this type';
  const typeTickets = context.typeName ? `${context.typeName} tickets` : 'Tickets of this type';
  if (!Number.isFinite(value)) {
    const label = (LABELS as Record<string, string>)[featureName] ?? featureName;
    return `${label}: unknown.`;
  }
  switch (featureName as FeatureName) {
    case 'requestTypeCode':
      return `The request type is ${type}.`;
    case 'hourOfDay':
      return `Filed at ${String(value).padStart(2, '0')}:00 city time.`;
    case 'dayOfWeek':
      return `Filed on a ${DAY_NAMES[value] ?? `day ${value}`}.`;
    case 'month':
      return `Filed in ${MONTH_NAMES[value] ?? `month ${value}`}.`;
    case 'commissionDistrict':
      return `Located in commission district ${value}.`;
    case 'policeSector':
      return `Located in police sector ${value}.`;
    case 'latitude':
    case 'longitude':
      return `Location (${featureName}) ${value.toFixed(4)}.`;
    case 'hasDescription':
      return value > 0 ? 'The reporter described the problem.' : 'The reporter left no description.';
    case 'descriptionLength':
      return `The description is ${value} characters long.`;
    case 'reporterPriorTickets':
      return value === 0 ? 'First ticket from this reporter.' : `This reporter filed ${value} ticket${value === 1 ? '' : 's'} before.`;
    case 'typePriorTickets':
      return `${value} ${type} ticket${value === 1 ? ' was' : 's were'} filed before this one.`;
    case 'typeVolume7d':
      return `${value} ${type} ticket${value === 1 ? ' was' : 's were'} filed in the 7 days before.`;
    case 'totalVolume7d':
      return `${value} tickets of all types were filed in the 7 days before.`;
    case 'typeVolumeRatio':
      return `Intake of ${type} is ${times(value)} its usual weekly level.`;
    case 'typeBacklog':
      return `${value} ${type} ticket${value === 1 ? ' was' : 's were'} open when this one was filed.`;
    case 'totalBacklog':
      return `${value} tickets of all types were open when this one was filed.`;
    case 'typeBacklogRatio':
      return `The backlog of ${type} is ${times(value)} its usual level.`;
    case 'typeMedianHoursToClose':
      return `${typeTickets} usually take ${value < 48 ? `${value.toFixed(1)} hours` : `${(value / 24).toFixed(1)} days`} to close (median).`;
    case 'typeBreachRate':
      return `${typeTickets} breached the SLA ${percent(value)} of the time.`;
    case 'globalBreachRate90d':
      return `Across all types, ${percent(value)} of tickets closed in the last 90 days breached the SLA.`;
    case 'locationTickets30d':
      return value === 0
        ? 'No other ticket was filed at this location in the 30 days before.'
        : `${value} ticket${value === 1 ? ' was' : 's were'} filed at this location in the 30 days before.`;
    default:
      return explainModelFactor(featureName, value, typeTickets);
  }
}

/** Sentences for the columns a trained model adds to the engine's (model/model-features.ts). */
function explainModelFactor(featureName: string, value: number, typeTickets: string): string {
  switch (featureName) {
    case 'typeFamilyBreachRate':
      return `${typeTickets} (under this name or an earlier one) breached the SLA ${percent(value)} of the time in training.`;
    case 'hoursToNextBusinessDay':
      return value === 0 ? 'Filed during business hours.' : `Filed ${value} hours before the next business day starts.`;
    default:
      return `${featureName} = ${value}.`;
  }
}
