/** A SoQL problem, answered as 400 with Socrata's error shape `{ code, error: true, message }`. */
export class SoqlError extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}
