/** The dashboard script's DOM helpers and number formats, shared by its panels. */
export function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`The page has no #${id}.`);
  return element as T;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: (Node | string | null)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'class') element.className = value;
    else element.setAttribute(name, value);
  }
  for (const child of children) if (child !== null) element.append(child);
  return element;
}

export const numberFormat = new Intl.NumberFormat('en-US');
export const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });

export function formatCount(value: number | null): string {
  return value === null ? '—' : numberFormat.format(Math.round(value));
}
export function formatShare(value: number | null): string {
  return value === null ? '—' : `${oneDecimal.format(value * 100)}%`;
}
export function formatHours(value: number | null): string {
  return value === null ? '—' : `${oneDecimal.format(value)} h`;
}
export function formatDate(value: string | null): string {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toLocaleString('en-US', { dateStyle: 'medium', timeStyle: value.length > 10 ? 'short' : undefined });
}

export function notAvailable(container: HTMLElement, reason: string): void {
  container.replaceChildren(el('p', { class: 'not-available' }, `Not available: ${reason}`));
}
