/** The time `seconds` ago, as an ISO 8601 string (a stream's startAt). */
export function ago(seconds: number): string {
  return new Date(Date.now() - seconds * 1000).toISOString();
}
