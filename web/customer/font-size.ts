/** The customer's display font size, kept in localStorage across reloads. */
export const FONT_SIZES = [87.5, 100, 112.5, 125, 150, 175, 200] as const;
const KEY = 'rr.fontSize';

export function loadFontSize(): number {
  try {
    const value = Number(localStorage.getItem(KEY));
    return (FONT_SIZES as readonly number[]).includes(value) ? value : 100;
  } catch {
    return 100;
  }
}

export function applyFontSize(percent: number): void {
  document.documentElement.style.fontSize = `${percent}%`;
  try {
    localStorage.setItem(KEY, String(percent));
  } catch {
    // Private mode without storage: the size still applies for this visit.
  }
}

export function stepFontSize(current: number, direction: 1 | -1): number {
  const list = FONT_SIZES as readonly number[];
  const index = list.indexOf(current);
  const next = Math.min(list.length - 1, Math.max(0, (index < 0 ? 1 : index) + direction));
  return list[next] ?? 100;
}
