/** Tables owned by the model domain (migration files in db/migrations). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ModelTables {}
