/** Usage text of the slash commands (`/sla help`, `/score help`), as the person sees it. */

/** `/sla help`. */
export const SLA_HELP_TEXT = [
  '*`/sla`* — SLA status of 311 request types (private unless you share it):',
  '• `/sla road repair` — attainment, P90, backlog and the last 7 days of one type, against the 28 days before',
  '• `/sla` — the five types furthest from their SLA',
  '• `/sla road repair in_channel` — post it for the channel, with the trend chart',
  '• `/sla city:chicago pothole` — another city of the same warehouse (the app answers for its own city by default)',
  '• `/sla help` — this text',
].join('\n');

/** `/score help`. */
export const SCORE_HELP_TEXT = [
  '*`/score`* — opens a form to estimate the SLA-breach risk of a new 311 ticket:',
  '• pick the request type (type to search), the commission district, optionally "latitude, longitude" and a description',
  '• the result shows the breach probability, risk level, the main reasons and the model version',
  '• `/score help` — this text',
].join('\n');

/** True when the command text asks for help (`help`, ` Help `, `?`). */
export function isHelpRequest(text: string | undefined): boolean {
  return /^\s*(help|\?)\s*$/i.test(text ?? '');
}
