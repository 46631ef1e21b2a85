/**
 * The scoring contract the HTTP API and the Slack app call. Implemented by `createScorer`
 * in ./score-ticket.ts (loads the promoted model from the warehouse registry).
 */

/** A ticket to score: a real new ticket or a hypothetical one typed into Slack or sent over HTTP. */
export interface TicketToScore {
  /** The caller's id; generated when absent. */
  ticketId?: string;
  /** Request type as a person writes it ("road repair"); resolved to the canonical type. */
  requestType: string;
  /**
   * Creation instant. Context features are computed as of this instant. Absent: now, or the
   * warehouse's last event when the data stops before today (see TicketScore.createdAtAssumed).
   */
  createdAt?: Date;
  latitude?: number;
  longitude?: number;
  commissionDistrict?: string;
  policeSector?: string;
  description?: string;
  reporterDisplay?: string;
  /** Context the caller already knows; each overrides the value computed from the warehouse. */
  overrides?: {
    rolling7dVolume?: number;
    backlogAtCreation?: number;
  };
}

export type RiskLevel = 'Low' | 'Medium' | 'High';

export interface TicketScore {
  ticketId: string;
  requestType: { typeKey: string; displayName: string };
  /** Calibrated probability (0–1) that the ticket misses its SLA. */
  slaBreachProbability: number;
  riskLevel: RiskLevel;
  /** Readable sentences from the model's own attributions, strongest first. */
  topFactors: string[];
  modelVersion: string;
  slaHours: number;
  /** The creation instant the ticket was scored at: the caller's createdAt, or the one assumed. */
  scoredAt: Date;
  /**
   * null: the caller sent createdAt. 'now': none sent, the data is fresh. 'data_through': none
   * sent and the data stops before today, so the warehouse's last event stands in for now.
   */
  createdAtAssumed: CreatedAtAssumption | null;
  /** One sentence for people when the creation instant was assumed; null otherwise. */
  scoringNote: string | null;
}

export type CreatedAtAssumption = 'now' | 'data_through';

export interface Scorer {
  /** Throws UnknownRequestTypeError (with suggestions) or ModelNotTrainedError. */
  scoreTicket(ticket: TicketToScore): Promise<TicketScore>;
  /** Scores many at once; an unknown type in any ticket throws for the batch. */
  scoreTickets(tickets: TicketToScore[]): Promise<TicketScore[]>;
  /**
   * Scores tickets stored in the warehouse, by id, with what was known when each was created —
   * the same score `scoreTicket` gives them with their stored fields and `createdAt` (what the
   * alerts job does), but in one pass: the features come from the streaming pass of the last
   * refresh (every ticket open at or after its data clock: closed or created later included) or, for
   * any other ticket, of one new pass, never one SQL query per ticket. Results are
   * in the order of `ticketIds`; an id the warehouse does not hold throws InputError.
   */
  scoreStoredTickets(ticketIds: readonly string[]): Promise<TicketScore[]>;
  /** Version of the loaded model, or null when none is trained yet. */
  currentModelVersion(): string | null;
  /** Reloads the promoted model and refreshes the feature context (after train or ingest). */
  refresh(): Promise<void>;
}
