/** One row as the fake SODA store holds it, and how SoQL reads its columns. */

/** Socrata's system fields, served under `$select=:*`. */
export const SYSTEM_FIELDS = [':id', ':version', ':created_at', ':updated_at'] as const;
export type SystemField = (typeof SYSTEM_FIELDS)[number];

export interface StoredRow {
  key: string;
  systemId: string;
  version: string;
  createdAtMs: number;
  updatedAtMs: number;
  data: Record<string, unknown>;
  /** `"k":v,...` of the data fields, without braces. */
  dataJson: string;
  /** `":id":...,":version":...,":created_at":...,":updated_at":...` without braces. */
  systemJson: string;
  /** The whole row (`$select=:*,*`) as UTF-8, encoded when stored: serving a page is then a copy. */
  allJsonBytes: Buffer;
}

export function isSystemField(field: string): field is SystemField {
  return (SYSTEM_FIELDS as readonly string[]).includes(field);
}

/** The value of a data or system column; undefined for SQL null (the key is absent). */
export function readColumn(row: StoredRow, column: string): unknown {
  switch (column) {
    case ':id':
      return row.systemId;
    case ':version':
      return row.version;
    case ':created_at':
      return new Date(row.createdAtMs).toISOString();
    case ':updated_at':
      return new Date(row.updatedAtMs).toISOString();
    default:
      return row.data[column];
  }
}
