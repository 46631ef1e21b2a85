/**
 * `GET /api/views/{id}.json`: the dataset's metadata as Socrata serves it, a view object whose
 * `columns[]` carry `id`, `name`, `dataTypeName`, `fieldName`, `position`, `renderTypeName`,
 * `tableColumnId`, `format` and, when the publisher wrote one, `description` (shape as in
 * Socrata's own query-coordinator fixtures of /api/views answers).
 */

/** One column of a view, as in `columns[]`. */
export interface SodaViewColumn {
  id: number;
  name: string;
  dataTypeName: string;
  fieldName: string;
  position: number;
  renderTypeName: string;
  tableColumnId: number;
  description?: string;
  format: Record<string, string>;
}

/** The parts of a view object the fake serves (the real one has many more keys). */
export interface SodaView {
  id: string;
  name: string;
  assetType: 'dataset';
  attribution?: string;
  category?: string;
  description?: string;
  displayType: 'table';
  newBackend: true;
  viewType: 'tabular';
  rowsUpdatedAt: number;
  columns: SodaViewColumn[];
}

/** What a test may give: the columns (name, type, description) and a few view fields. */
export interface FakeSodaViewSpec {
  name?: string;
  attribution?: string;
  description?: string;
  columns?: { fieldName: string; name?: string; dataTypeName?: string; description?: string }[];
}

const ISO_FLOATING = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?$/;

/**
 * Socrata's type of a column guessed from served values (when a test gives no columns): the type
 * nearly all of them have, so one bad value in a fixture does not turn a date column into text.
 */
function guessType(values: unknown[]): string {
  const present = values.filter((value) => value !== undefined && value !== null);
  if (present.length === 0) return 'text';
  const mostly = (test: (value: unknown) => boolean) => present.filter(test).length >= present.length * 0.9;
  if (mostly((value) => typeof value === 'boolean')) return 'checkbox';
  if (mostly((value) => typeof value === 'object' && (value as { type?: string }).type === 'Point')) return 'point';
  if (mostly((value) => typeof value === 'string' && ISO_FLOATING.test(value))) return 'calendar_date';
  if (mostly((value) => typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))) return 'number';
  return 'text';
}

/** `sr_created_date` → `Sr Created Date`: how a portal titles a column nobody named. */
function titleOf(fieldName: string): string {
  return fieldName
    .split('_')
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join(' ');
}

/** The view object of a dataset: from `spec.columns`, or guessed from the stored rows. */
export function buildSodaView(
  dataset: string,
  rows: readonly Record<string, unknown>[],
  spec: FakeSodaViewSpec = {},
  rowsUpdatedAtMs = Date.now(),
): SodaView {
  const specified = spec.columns;
  const fieldNames =
    specified?.map((column) => column.fieldName) ??
    [...new Set(rows.flatMap((row) => Object.keys(row)))].filter((field) => !field.startsWith(':'));
  const columns = fieldNames.map((fieldName, index): SodaViewColumn => {
    const given = specified?.[index];
    const dataTypeName = given?.dataTypeName ?? guessType(rows.map((row) => row[fieldName]));
    return {
      id: 500_000_000 + index,
      name: given?.name ?? titleOf(fieldName),
      dataTypeName,
      fieldName,
      position: index + 1,
      renderTypeName: dataTypeName,
      tableColumnId: 90_000_000 + index,
      ...(given?.description ? { description: given.description } : {}),
      format: dataTypeName === 'calendar_date' ? { view: 'date_time', align: 'left' } : {},
    };
  });
  return {
    id: dataset,
    name: spec.name ?? `311 Service Requests (${dataset})`,
    assetType: 'dataset',
    ...(spec.attribution ? { attribution: spec.attribution } : {}),
    category: 'Service Requests',
    ...(spec.description ? { description: spec.description } : {}),
    displayType: 'table',
    newBackend: true,
    viewType: 'tabular',
    rowsUpdatedAt: Math.floor(rowsUpdatedAtMs / 1000),
    columns,
  };
}
