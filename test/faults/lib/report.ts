/**
 * Every fault scenario prints what it measured as one line,
 * `[faults] <scenario>: key=value, ...`, so a CI log reads as a table.
 */
export function report(scenario: string, figures: Record<string, string | number>): void {
  const line = Object.entries(figures)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
  console.log(`[faults] ${scenario}: ${line}`);
}
