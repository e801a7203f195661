/** The console's pages, as the navigation lists them; the address's `#fragment` picks one. */
export const CONSOLE_VIEWS = ['sessions', 'adhoc', 'computers'] as const;
export type ConsoleView = (typeof CONSOLE_VIEWS)[number];

export interface NavEntry {
  view: ConsoleView;
  label: string;
  /** Shown to administrators only. */
  adminOnly?: boolean;
}

/**
 * The navigation. An "Administration" entry (adminOnly) joins this list when
 * the console has an administration page; today administrators use the admin
 * CLI (README: "The first administrator").
 */
export const NAV: readonly NavEntry[] = [
  { view: 'sessions', label: 'Sessions' },
  { view: 'adhoc', label: 'Ad hoc support' },
  { view: 'computers', label: 'Computers' },
];

/** The view named by a location hash (`#adhoc`); Sessions for anything else. */
export function viewFromHash(hash: string): ConsoleView {
  const name = hash.replace(/^#/, '');
  return (CONSOLE_VIEWS as readonly string[]).includes(name) ? (name as ConsoleView) : 'sessions';
}

/** The entries this technician sees. */
export function navFor(isAdmin: boolean): NavEntry[] {
  return NAV.filter((entry) => isAdmin || !entry.adminOnly);
}
