import type {
  ActionPage,
  AdminSession,
  AdminTechnician,
  RuntimeSettingsValues,
  SessionPage,
  SettingsPatch,
  StartupFacts,
} from '../../protocol/admin.ts';
import { apiCall } from '../shared/api.ts';

/** An audit event as `GET /api/admin/sessions/:id` lists it. */
export interface AuditEventView {
  id: number;
  at: number;
  event: string;
  actor: { kind: string; id: string | null; label: string };
  detail: string;
}

/** The filters of the audit search, as the page holds them (dates as ms, `to` exclusive). */
export interface AuditFilters {
  technician?: string;
  from?: number;
  to?: number;
  q?: string;
}

const id = (value: string): string => encodeURIComponent(value);

/** The query string of a search (also the CSV link). */
export function auditQuery(filters: AuditFilters, cursor?: string): string {
  const params = new URLSearchParams();
  if (filters.technician) params.set('technician', filters.technician);
  if (filters.from !== undefined) params.set('from', String(filters.from));
  if (filters.to !== undefined) params.set('to', String(filters.to));
  if (filters.q) params.set('q', filters.q);
  if (cursor) params.set('cursor', cursor);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The administration API (`/api/admin`, signaling/admin/admin-routes.ts). */
export const adminApi = {
  technicians: async () => (await apiCall<{ technicians: AdminTechnician[] }>('GET', '/api/admin/technicians')).technicians,
  create: async (input: { email: string; name: string; password: string; isAdmin: boolean }) =>
    (await apiCall<{ technician: AdminTechnician }>('POST', '/api/admin/technicians', input)).technician,
  setDisabled: async (accountId: string, disabled: boolean) =>
    (await apiCall<{ technician: AdminTechnician }>('POST', `/api/admin/technicians/${id(accountId)}/${disabled ? 'disable' : 'enable'}`, {})).technician,
  remove: (accountId: string) => apiCall<{ deleted: string }>('DELETE', `/api/admin/technicians/${id(accountId)}`),
  resetPassword: async (accountId: string, password: string) =>
    (await apiCall<{ technician: AdminTechnician }>('POST', `/api/admin/technicians/${id(accountId)}/password`, { password })).technician,
  resetTwoFactor: async (accountId: string) =>
    (await apiCall<{ technician: AdminTechnician }>('POST', `/api/admin/technicians/${id(accountId)}/reset-2fa`, {})).technician,
  setAdmin: async (accountId: string, isAdmin: boolean) =>
    (await apiCall<{ technician: AdminTechnician }>('POST', `/api/admin/technicians/${id(accountId)}/admin`, { isAdmin })).technician,
  settings: () => apiCall<{ settings: RuntimeSettingsValues; facts: StartupFacts }>('GET', '/api/admin/settings'),
  updateSettings: async (patch: SettingsPatch) => (await apiCall<{ settings: RuntimeSettingsValues }>('PATCH', '/api/admin/settings', patch)).settings,
  sessions: (filters: AuditFilters, cursor?: string) => apiCall<SessionPage>('GET', `/api/admin/sessions${auditQuery(filters, cursor)}`),
  session: (sessionId: string) => apiCall<{ session: AdminSession; events: AuditEventView[] }>('GET', `/api/admin/sessions/${id(sessionId)}`),
  actions: (cursor?: string) => apiCall<ActionPage>('GET', `/api/admin/actions${cursor ? `?cursor=${id(cursor)}` : ''}`),
};
