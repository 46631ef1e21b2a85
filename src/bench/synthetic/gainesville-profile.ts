/**
 * What a 5,000-row sample of the real Gainesville 311 dataset (Socrata 78uv-94ar) looks like:
 * request types with their shares, typical durations and departments, statuses, the hour-of-day
 * profile, districts, sectors, computed regions and reporter handles. Tables only; the generator
 * in ../synthetic-soda.ts draws from them.
 */
import type { Weighted } from './weighted-random.js';

/** A request type of the real dataset: sample frequency, median minutes to close, usual department. */
export interface RequestTypeProfile {
  readonly name: string;
  readonly sampleCount: number;
  readonly medianMinutesToClose: number;
  readonly assignedTo: string;
}

// [name, rows in the 5,000-row sample, median minutes_to_close (2686 overall when <5 closed), usual assigned_to]
export const REQUEST_TYPE_TABLE: readonly (readonly [string, number, number, string])[] = [
  ['Trash/Debris (Private Property)', 430, 1488, 'Code Enforcement Department (Primary)'],
  ['Road Repair', 423, 4555, 'Public Works Department (Primary)'],
  ['General Code Issue', 398, 1390, 'Code Enforcement Department (Primary)'],
  ['Streetlight/Lamp', 387, 6864, 'GRU Electric Operations Primary'],
  ['Other', 370, 2859, 'Public Works Department (Primary)'],
  ['Vehicle (Abandoned/Non-Operational)', 318, 1053, 'Code Enforcement Department (Primary)'],
  ['Grass (Overgrown)', 246, 1064, 'Code Enforcement Department (Primary)'],
  ['Trash/Debris (Public Property)', 236, 2374, 'Public Works Department (Primary)'],
  ['Tree/Limbs (Public Property)', 235, 2518, 'Public Works Department (Primary)'],
  ['Street Sign', 187, 2000, 'Public Works Department (Primary)'],
  ['Traffic/Pedestrian Signal', 186, 4259, 'Public Works Department (Primary)'],
  ['Parking in Yard (Other Than Driveway)', 169, 1092, 'Code Enforcement Department (Primary)'],
  ['Sidewalk Repair', 160, 4394, 'Public Works Department (Primary)'],
  ['Right-of-Way Maintenance', 134, 2634, 'Public Works Department (Primary)'],
  ['Maintenance Ditch/Drainage/Flooding', 106, 2848, 'Public Works Department (Primary)'],
  ['Building (Abandoned/Damaged)', 93, 1149, 'Code Enforcement Department (Primary)'],
  ['Parking Enforcement', 93, 10231, 'GPD'],
  ['Noise Complaint', 77, 10366, 'GPD'],
  ['Emergency - Tree or Brush Debris', 76, 2970, 'Public Works Department (Primary)'],
  ['Garbage Pick Up & Recycling', 62, 1327, 'Public Works Department (Primary)'],
  ['Residential Rental Maintenance', 61, 1836, 'Code Enforcement Department (Primary)'],
  ['General Police Enforcement', 58, 27322, 'GPD'],
  ['Emergency - Other', 56, 28807, 'Public Works Department (Primary)'],
  ['Park Repair or Clean Up', 49, 2950, 'Parks, Recreation & Cultural Affairs Department'],
  ['Tree/Limbs (Private Property)', 42, 1336, 'Code Enforcement Department (Primary)'],
  ['Traffic Enforcement', 39, 11641, 'GPD'],
  ['Tree Planting Suggestion', 24, 11045, 'Urban Forestry Division'],
  ['Water Pipe Leaks/Spills', 24, 47511, 'WATER/WASTEWATER TROUBLE DISPATCH'],
  ['Dead Animal (Public Property)', 22, 195, 'Public Works Department (Primary)'],
  ['Graffiti', 22, 2992, 'Code Enforcement Department (Primary)'],
  ['Mosquito Control', 20, 2376, 'Public Works Department (Primary)'],
  ['Request for New Streetlight/Lamp', 18, 8192, 'Public Works Department (Primary)'],
  ['Tree / Limbs (Public Property)', 16, 1401, 'Urban Forestry Division'],
  ['Trash / Debris (Public Property)', 14, 1092, 'Public Works'],
  ['Emergency - Flooding', 12, 4028, 'Public Works Department (Primary)'],
  ['Streetlight Repair', 12, 3822, 'GRU Electric Operations'],
  ['Sewer/Wastewater', 11, 18445, 'WATER/WASTEWATER TROUBLE DISPATCH'],
  ['Parking Meter Malfunction', 11, 374, 'Public Works Department (Primary)'],
  ['Street Sign Repair', 11, 5760, 'Public Works'],
  ['Neighbor Assistance - myGNV', 10, 23, 'Strategic Initiatives'],
  ['Trash / Debris (Private Property)', 8, 1323, 'Code Enforcement'],
  ['Holiday Displays', 8, 43738, 'City Hall Neighbor Advocate'],
  ['Neighbor Assistance - Clerk', 7, 38880, 'Clerk'],
  ['Traffic / Pedestrian Signal within City Limits', 6, 62720, 'Transportation and Mobility'],
  ['Overgrown Grass', 5, 1440, 'Code Enforcement'],
  ['e-Scooter Issues', 5, 1440, 'Transportation and Mobility'],
  ['Graffiti (Public Property)', 5, 213, 'Strategic Initiatives'],
  ['Flooding', 4, 2686, 'Public Works Department (Primary)'],
  ['Fire Hydrant Issues', 4, 2686, 'WATER/WASTEWATER TROUBLE DISPATCH'],
  ['Blocked Exits', 4, 2686, 'GFR'],
  ['Street Sweeping', 3, 2686, 'Public Works Department (Primary)'],
  ['Emergency - Traffic', 2, 2686, 'Public Works Department (Primary)'],
  ['Wastewater & Sewer', 2, 2686, 'GRU Water / Wastewater'],
  ['Leaks', 2, 2686, 'GRU Water / Wastewater'],
  ['Flooding & Ditch Maintenance', 2, 2686, 'Public Works'],
  ['Abandoned Vehicle', 2, 2686, 'Code Enforcement'],
  ['Request to General Manager of Utilities', 2, 2686, "General Manager of Utilities' Office"],
  ["Request to City Auditor's Office", 1, 2686, 'Assistant City Auditor'],
  ['Say Thanks!', 1, 2686, 'Strategic Initiatives'],
  ['Tree / Limbs (Private Property)', 1, 2686, 'Code Enforcement'],
  ['Parking in Yard', 1, 2686, 'Code Enforcement'],
  ['Tree Blocking Street', 1, 2686, 'Commons Storm Requests'],
  ['New Infrastructure', 1, 2686, 'Transportation and Mobility'],
  ['Fire Hydrant issues', 1, 2686, 'GFR'],
  ['Substandard Commercial Rentals', 1, 2686, 'Code Enforcement'],
  ['Trees Near Wires or Cables', 1, 2686, 'GRU Electric Operations'],
  ['Neighborhood Watch Signs', 1, 2686, 'Parks, Recreation & Cultural Affairs Department'],
  ['Smoke Detector Installation', 1, 2686, 'GFR'],
];

/** Every request type of the real sample with its share and typical handling. */
export const GAINESVILLE_REQUEST_TYPES: readonly RequestTypeProfile[] = REQUEST_TYPE_TABLE.map(
  ([name, sampleCount, medianMinutesToClose, assignedTo]) => ({ name, sampleCount, medianMinutesToClose, assignedTo }),
);

/** Requests per local hour of day (0-23) in the sample. */

export const HOUR_WEIGHTS = [
  55, 50, 29, 15, 13, 12, 58, 169, 341, 397, 379, 401, 397, 381, 376, 363, 289, 240, 222, 236, 228, 158, 102, 89,
];
export const CLOSED_STATUSES: Weighted<string> = [
  ['Archived', 4704],
  ['Closed', 205],
  ['Referred to Another Agency', 17],
];
export const OPEN_STATUSES: Weighted<string> = [
  ['Submitted', 21],
  ['Archived', 19],
  ['In Process', 14],
  ['Open', 10],
  ['Acknowledged', 9],
  ['Received', 1],
];
export const COMMISSION_DISTRICTS: Weighted<string> = [
  ['4', 1632],
  ['1', 1363],
  ['2', 972],
  ['3', 903],
];
export const POLICE_SECTORS: Weighted<string> = [
  ['1', 1869],
  ['3', 1342],
  ['4', 1093],
  ['2', 440],
  ['6', 52],
  ['5', 14],
];
export const REGION_9CFM: Weighted<string> = [
  ['2', 1644],
  ['3', 32],
  ['4', 12],
  ['1', 9],
  ['5', 6],
];
export const REGION_43JD: Weighted<string> = [
  ['5', 723],
  ['13', 543],
  ['3', 476],
  ['14', 475],
  ['2', 422],
  ['15', 420],
  ['4', 234],
  ['6', 232],
  ['10', 207],
  ['17', 202],
  ['16', 177],
  ['7', 162],
  ['8', 135],
  ['12', 115],
  ['11', 102],
  ['18', 94],
  ['1', 81],
  ['9', 50],
];
export const REGION_NDI2: Weighted<string> = [
  ['1', 1511],
  ['6', 839],
  ['4', 763],
  ['2', 724],
  ['7', 388],
  ['3', 317],
  ['12', 212],
  ['5', 152],
  ['10', 32],
  ['9', 19],
  ['8', 16],
  ['11', 4],
];
export const REGION_4RAT: Weighted<string> = [
  ['772', 1733],
  ['770', 951],
  ['766', 498],
  ['768', 483],
  ['771', 410],
  ['767', 388],
  ['1082', 215],
  ['1079', 174],
  ['769', 91],
  ['765', 23],
  ['925', 6],
  ['764', 3],
  ['1058', 3],
];
// Public handles only: the real column also holds residents' names, which have no place here.
export const REPORTERS: Weighted<string> = [
  ['An anonymous SeeClickFix user', 1706],
  ['City of Gainesville Neighbor', 788],
  ['Rapid Assessment Team', 123],
  ['Gainesville, FL', 51],
  ['BetterGNV', 25],
  ['Noticer', 25],
  ["City Clerk's Office 2", 24],
  ['Parking Enforcement Primary', 23],
  ['GNVNeighbor', 18],
  ['City Fixer', 17],
  ['Gville Mosquito Control', 15],
  ['Concerned Citizen', 12],
  ['Alachua County, FL Neighbor', 11],
  ['Guest', 10],
  ['Neighbor 1024', 40],
  ['gnv_walker', 60],
  ['porch_light', 45],
  ['SW 13th Resident', 30],
  ['Duckpond Neighbor', 30],
  ['cyclist352', 25],
  ['Mom of 3', 20],
];
export const OTHER_DEPARTMENTS: Weighted<string> = [
  ['Public Works', 90],
  ['Code Enforcement', 32],
  ['City Hall Neighbor Advocate', 64],
  ['Office of the City Manager (Primary)', 61],
  ['GRU Electric Operations', 52],
  ['Strategic Initiatives', 24],
  ['Transportation and Mobility', 16],
  ['Parking Enforcement', 12],
];
export const GAINESVILLE_CENTER = { latitude: 29.6607, longitude: -82.3447 };
