/** The console's pages, as the navigation lists them; the address's `#fragment` picks one. */
export const CONSOLE_VIEWS = ['sessions', 'adhoc', 'computers'] as const;
export type ConsoleView = (typeof CONSOLE_VIEWS)[number];

export interface NavEntry {
  /** The console page it shows, or null for a link out of the console. */
  view: ConsoleView | null;
  href: string;
  label: string;
  /** Shown to administrators only. */
  adminOnly?: boolean;
}

/** The navigation; "Administration" (administrators only) opens the administration page at `/admin`. */
export const NAV: readonly NavEntry[] = [
  { view: 'sessions', href: '#sessions', label: 'Sessions' },
  { view: 'adhoc', href: '#adhoc', label: 'Ad hoc support' },
  { view: 'computers', href: '#computers', label: 'Computers' },
  { view: null, href: '/admin', label: 'Administration', adminOnly: true },
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
