/**
 * HTTP statuses as metric label values, without a new string per request.
 * @module
 */

const LABELS = new Map<number, string>();

export function statusLabel(status: number): string {
  let label = LABELS.get(status);
  if (label === undefined) {
    label = String(status);
    LABELS.set(status, label);
  }
  return label;
}
