import { z } from 'zod';

/** What a technician can ask the customer for. The customer's side enforces every one. */
export const PERMISSIONS = ['view', 'control', 'files', 'clipboard'] as const;
export const permissionSchema = z.enum(PERMISSIONS);
export type Permission = z.infer<typeof permissionSchema>;

/** not_asked -> asked -> granted | denied; granted -> revoked; any -> asked again. */
export const PERMISSION_STATES = ['not_asked', 'asked', 'granted', 'denied', 'revoked'] as const;
export const permissionStateSchema = z.enum(PERMISSION_STATES);
export type PermissionState = z.infer<typeof permissionStateSchema>;

export const permissionMapSchema = z.strictObject({
  view: permissionStateSchema,
  control: permissionStateSchema,
  files: permissionStateSchema,
  clipboard: permissionStateSchema,
});
export type PermissionMap = z.infer<typeof permissionMapSchema>;

export const PERMISSION_LABELS: Record<Permission, string> = {
  view: 'View your screen',
  control: 'Control your mouse and keyboard',
  files: 'Send and receive files',
  clipboard: 'Share the clipboard',
};

export function initialPermissions(): PermissionMap {
  return { view: 'not_asked', control: 'not_asked', files: 'not_asked', clipboard: 'not_asked' };
}
