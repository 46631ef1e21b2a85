/** A model's standing for promotion: its version and its test-period ROC-AUC. */
export interface PromotionStanding {
  modelVersion: string;
  /** Undefined (or not a finite number) when the registry holds no usable score for it. */
  rocAuc: number | undefined;
}

export interface PromotionInput {
  candidate: PromotionStanding;
  /** The promoted model, undefined before the first promotion. */
  current: PromotionStanding | undefined;
  /** `civicops train --force`: promote whatever the scores. */
  force: boolean;
  /** How much worse than the promoted model's ROC-AUC the candidate may be and still replace it. */
  tolerance: number;
}

export interface PromotionDecision {
  promote: boolean;
  /** Why, in words for the registry's promotion_note and the train report. */
  reason: string;
}

/** The promoted model is replaced unless the new one is worse on its test period by more than this. */
export const PROMOTION_TOLERANCE = 0.01;

// Scores are rounded to 4 digits; without this, 0.4906 would fail `>= 0.5006 - 0.01` by float error.
const EPSILON = 1e-9;

/**
 * Whether a newly trained model replaces the promoted one: yes when there is none yet, with
 * `force`, when the promoted model has no usable score, or when the candidate's ROC-AUC is not
 * more than `tolerance` below the promoted one's.
 */
export function decidePromotion({ candidate, current, force, tolerance }: PromotionInput): PromotionDecision {
  if (!current) return { promote: true, reason: 'first model: promoted' };
  const currentAuc = current.rocAuc;
  if (force) return { promote: true, reason: `promoted with --force (previous ${current.modelVersion}, ROC-AUC ${currentAuc})` };
  if (currentAuc === undefined || !Number.isFinite(currentAuc)) {
    return { promote: true, reason: `promoted: ${current.modelVersion} has no ROC-AUC to compare with (new ROC-AUC ${candidate.rocAuc})` };
  }
  const candidateAuc = candidate.rocAuc;
  if (candidateAuc !== undefined && candidateAuc >= currentAuc - tolerance - EPSILON) {
    return { promote: true, reason: `promoted: ROC-AUC ${candidateAuc} vs ${currentAuc} of ${current.modelVersion}` };
  }
  return {
    promote: false,
    reason: `kept ${current.modelVersion}: its ROC-AUC ${currentAuc} beats ${candidateAuc} by more than ${tolerance} (use --force to promote anyway)`,
  };
}
