import { PERMISSIONS, initialPermissions } from '../protocol/permissions.ts';
import type { Permission, PermissionMap, PermissionState } from '../protocol/permissions.ts';
import { allowsTransition, checkTransition, stateTable } from '../protocol/state-table.ts';
import { Emitter } from './emitter.ts';

/**
 * Allowed permission transitions: not_asked -> asked -> granted | denied;
 * granted -> revoked; any state -> asked again on a new request.
 */
export const PERMISSION_TRANSITIONS = stateTable<PermissionState>({
  not_asked: ['asked'],
  asked: ['granted', 'denied', 'asked'],
  granted: ['revoked', 'asked'],
  denied: ['asked'],
  revoked: ['asked'],
});

export function canTransition(from: PermissionState, to: PermissionState): boolean {
  return allowsTransition(PERMISSION_TRANSITIONS, from, to);
}

export type PermissionChange = {
  permission: Permission;
  from: PermissionState;
  to: PermissionState;
  reason: string;
  /** A copy of the whole map after the change (what `permission.state` carries). */
  permissions: PermissionMap;
};

export type PermissionAuthorityEvents = { change: PermissionChange };

/** Read access to a permission map, shared by the customer's authority and the technician's mirror. */
abstract class PermissionView<E extends object> extends Emitter<E> {
  protected map: PermissionMap = initialPermissions();

  get(permission: Permission): PermissionState {
    return this.map[permission];
  }

  /** A copy of the whole map. */
  snapshot(): PermissionMap {
    return { ...this.map };
  }

  isGranted(permission: Permission): boolean {
    return this.map[permission] === 'granted';
  }
}

/**
 * The customer's side: the only authority on what the technician may do.
 * Every change emits `change` with the full map, to be sent as `permission.state`.
 */
export class PermissionAuthority extends PermissionView<PermissionAuthorityEvents> {
  /** Moves one permission; throws on an edge the table does not allow. */
  transition(permission: Permission, to: PermissionState, reason: string): void {
    const from = this.map[permission];
    checkTransition(PERMISSION_TRANSITIONS, `permission ${permission}`, from, to, reason);
    this.map[permission] = to;
    this.emit('change', { permission, from, to, reason, permissions: this.snapshot() });
  }

  /**
   * A technician asked. Returns false when the permission is already granted
   * (no prompt needed, the state stays), true when it is now `asked`.
   */
  request(permission: Permission): boolean {
    if (this.map[permission] === 'granted') return false;
    this.transition(permission, 'asked', 'requested');
    return true;
  }

  /** The customer grants without a request (through `asked`, as the table requires; the reason says nobody asked). */
  grant(permission: Permission): void {
    if (this.map[permission] === 'granted') return;
    if (this.map[permission] !== 'asked') this.transition(permission, 'asked', 'offered by customer');
    this.transition(permission, 'granted', 'granted by customer');
  }

  /** The customer answered a pending request. */
  answer(permission: Permission, granted: boolean): void {
    this.transition(permission, granted ? 'granted' : 'denied', granted ? 'granted by customer' : 'denied by customer');
  }

  revoke(permission: Permission): void {
    this.transition(permission, 'revoked', 'revoked by customer');
  }

  /** Revokes every granted permission (the customer's "stop everything" button). */
  revokeAll(): void {
    for (const p of PERMISSIONS) if (this.map[p] === 'granted') this.transition(p, 'revoked', 'revoked all');
  }
}

export type PermissionMirrorEvents = { change: { permissions: PermissionMap; previous: PermissionMap } };

/** The technician's side: a read-only mirror of the last map the customer sent. */
export class PermissionMirror extends PermissionView<PermissionMirrorEvents> {
  update(permissions: PermissionMap): void {
    const previous = this.map;
    this.map = { ...permissions };
    this.emit('change', { permissions: { ...this.map }, previous });
  }
}
