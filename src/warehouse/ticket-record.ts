/** A source row as received (JSON object): what raw_ticket and ingest_quarantine keep. */
export type RawRowPayload = Record<string, unknown>;

/** A validated ticket, ready for the warehouse (instants, canonical type key, flags): what the ingest maps each source row into. */
export interface TicketRecord {
  ticketId: string;
  typeKey: string;
  requestType: string;
  status: string;
  /** The city profile's reading of `status` (true: work pending); absent, isOpenState(status) decides. */
  statusIsOpen?: boolean;
  createdAt: Date;
  createdDate: string;
  acknowledgedAt: Date | null;
  closedAt: Date | null;
  reopenedAt: Date | null;
  lastUpdatedAt: Date | null;
  minutesToClose: number | null;
  minutesToAcknowledge: number | null;
  sourceMinutesToClose: number | null;
  durationFlag: 'negative_duration' | 'implausible_duration' | null;
  latitude: number | null;
  longitude: number | null;
  commissionDistrict: string | null;
  policeSector: string | null;
  locationDetail: string | null;
  reporterDisplay: string | null;
  assignedTo: string | null;
  description: string | null;
  sourceUpdatedAt: Date | null;
  /** Hash of the row's data (not its system fields): equal hash = nothing changed. */
  rowHash: string;
  /** The row as received, as JSON text (key order aside, NUL characters replaced): the raw_ticket payload. */
  payloadJson: string;
}
