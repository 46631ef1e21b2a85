/**
 * Free-text fields shaped like the real export: street addresses, descriptions by request-type
 * category and coordinates printed the way the city's export prints them.
 */

const DIRECTIONS = ['NW', 'NW', 'NW', 'SW', 'SW', 'NE', 'SE'];
const STREET_SUFFIXES = ['ST', 'ST', 'AVE', 'AVE', 'TERR', 'PL', 'DR', 'LN', 'WAY', 'RD', 'BLVD'];
const DESCRIPTIONS: Record<string, readonly string[]> = {
  trash: [
    'Trash and debris piled at the curb for over a week.',
    'Couch and mattress dumped next to the dumpster.',
    'Bags of garbage left out at the end of the driveway. It is very messy and unsightly.',
    'Construction debris left on the lot after the renovation.',
  ],
  road: [
    'Large pothole in the northbound lane.',
    'Pavement cracked and sinking near the storm drain.',
    'Road surface left incomplete after utility work. Hazard for bikes.',
  ],
  light: ['Streetlight out on the corner.', 'Two streetlights are burnt out or flickering.', 'Light cycles on and off all night.'],
  grass: ['Yard has not been maintained for months.', 'Grass over knee high, vacant house.', 'Overgrown vegetation blocking the sidewalk.'],
  vehicle: [
    'Car with flat tires and expired tag parked for weeks.',
    'Abandoned vehicle on blocks in the front yard.',
    'Boat trailer left on the street for a month.',
  ],
  tree: [
    'Large limb fell across the sidewalk after the storm.',
    'Tree branches hanging low over the road.',
    'Dead tree leaning toward the power lines.',
  ],
  sign: ['Stop sign knocked down.', 'Street name sign missing at the intersection.', 'Sign faded and unreadable.'],
  signal: ['Signal stuck on red in all directions.', 'Pedestrian button does not work.', 'Left turn arrow never turns green.'],
  parking: ['Cars parked on the front lawn every night.', 'Vehicles blocking the bike lane.', 'Parking in the yard, not on the driveway.'],
  water: ['Standing water after every rain.', 'Ditch clogged and flooding the yard.', 'Water leaking from the meter box.'],
  noise: ['Loud music past midnight again.', 'Construction noise starting before 7am.', 'Party noise every weekend.'],
  other: [
    'Please send someone to look at this.',
    'Reported before and nothing has been done.',
    'This has been going on for a while now.',
    'Hazard for pedestrians and cyclists.',
  ],
};
const CATEGORY_KEYWORDS: readonly [RegExp, string][] = [
  [/trash|garbage|debris/i, 'trash'],
  [/road|sidewalk|pothole/i, 'road'],
  [/streetlight|lamp/i, 'light'],
  [/grass/i, 'grass'],
  [/vehicle/i, 'vehicle'],
  [/tree|limb/i, 'tree'],
  [/sign\b|sign repair/i, 'sign'],
  [/signal/i, 'signal'],
  [/parking/i, 'parking'],
  [/flood|drain|water|sewer|leak/i, 'water'],
  [/noise/i, 'noise'],
];
const EXTRA_SENTENCES = [
  'It makes this corner very dangerous for drivers who cannot see to pull out.',
  'Neighbors have complained several times.',
  'Kids walk past here on the way to school.',
  'It has been like this since last month.',
  'Photos attached.',
];

/** A Gainesville-style address ('1234 NW 13TH ST', a range, or a bare street). */
export function makeAddress(random: () => number): string {
  const direction = DIRECTIONS[Math.floor(random() * DIRECTIONS.length)];
  const streetNumber = 1 + Math.floor(random() * 80);
  const ordinal = random() < 0.6 ? `${streetNumber}${ordinalSuffix(streetNumber)}` : String(streetNumber);
  const suffix = STREET_SUFFIXES[Math.floor(random() * STREET_SUFFIXES.length)];
  const roll = random();
  if (roll < 0.08) return `${direction} ${ordinal} ${suffix}`;
  const house = 1 + Math.floor(random() * 4999);
  if (roll < 0.2) return `${house}-${house + 1 + Math.floor(random() * 200)} ${direction} ${ordinal} ${suffix}`;
  return `${house} ${direction} ${ordinal} ${suffix}`;
}

function ordinalSuffix(value: number): string {
  if (value % 100 >= 11 && value % 100 <= 13) return 'TH';
  return ['TH', 'ST', 'ND', 'RD'][value % 10] ?? 'TH';
}

/** One to a few sentences fitting the request type, sometimes led by the address. */
export function makeDescription(typeName: string, address: string | undefined, random: () => number): string {
  const category = CATEGORY_KEYWORDS.find(([pattern]) => pattern.test(typeName))?.[1] ?? 'other';
  const phrases = DESCRIPTIONS[category];
  let text = phrases[Math.floor(random() * phrases.length)];
  if (address && random() < 0.35) text = `${address}. ${text}`;
  const extra = Math.floor(-Math.log(1 - random()) * 0.7);
  for (let i = 0; i < extra; i++) text += ` ${EXTRA_SENTENCES[Math.floor(random() * EXTRA_SENTENCES.length)]}`;
  return text;
}

/** '29.6516344' (7 decimals, trailing zeros dropped) or a full double like '29.6475456104085', as in the real data. */
export function formatCoordinate(value: number, random: () => number): string {
  return random() < 0.6 ? String(Number(value.toFixed(7))) : String(Number(value.toPrecision(15)));
}
