import { expect } from 'chai';
import { PERMISSIONS, PERMISSION_STATES } from '../../protocol/permissions.ts';
import type { PermissionState } from '../../protocol/permissions.ts';
import { PERMISSION_TRANSITIONS, PermissionAuthority, PermissionMirror, canTransition } from '../../rtc/permissions.ts';
import type { PermissionChange } from '../../rtc/permissions.ts';
import { IllegalTransitionError } from '../../protocol/state-table.ts';

/** Drives a fresh authority's 'files' permission into `state` through legal edges. */
function authorityAt(state: PermissionState): PermissionAuthority {
  const a = new PermissionAuthority();
  const path: Record<PermissionState, PermissionState[]> = {
    not_asked: [],
    asked: ['asked'],
    granted: ['asked', 'granted'],
    denied: ['asked', 'denied'],
    revoked: ['asked', 'granted', 'revoked'],
  };
  for (const s of path[state]) a.transition('files', s, 'setup');
  return a;
}

/** The documented lifecycle, written out independently of the table. */
const ALLOWED: [PermissionState, PermissionState][] = [
  ['not_asked', 'asked'],
  ['asked', 'asked'],
  ['asked', 'granted'],
  ['asked', 'denied'],
  ['granted', 'revoked'],
  ['granted', 'asked'],
  ['denied', 'asked'],
  ['revoked', 'asked'],
];

describe('rtc/permissions', () => {
  describe('state table, edge by edge', () => {
    it('the table has exactly the documented edges', () => {
      const edges = PERMISSION_STATES.flatMap((from) => PERMISSION_TRANSITIONS[from].map((to) => [from, to]));
      expect(edges).to.have.deep.members(ALLOWED);
      expect(edges).to.have.length(ALLOWED.length);
    });
    for (const from of PERMISSION_STATES) {
      for (const to of PERMISSION_STATES) {
        const allowed = ALLOWED.some(([a, b]) => a === from && b === to);
        it(`${from} -> ${to}: ${allowed ? 'allowed' : 'refused'}`, () => {
          const a = authorityAt(from);
          const changes: PermissionChange[] = [];
          a.on('change', (c) => changes.push(c));
          if (allowed) {
            a.transition('files', to, 'test');
            expect(canTransition(from, to)).to.equal(true);
            expect(a.get('files')).to.equal(to);
            expect(changes).to.have.length(1);
            expect(changes[0]).to.include({ permission: 'files', from, to });
            expect(changes[0]!.permissions.files).to.equal(to);
            expect(a.isGranted('files')).to.equal(to === 'granted');
          } else {
            expect(() => a.transition('files', to, 'test')).to.throw(IllegalTransitionError, `permission files: illegal transition ${from} -> ${to} (test)`);
            expect(canTransition(from, to)).to.equal(false);
            expect(a.get('files')).to.equal(from);
            expect(changes).to.have.length(0);
          }
        });
      }
    }
    it('the table matches the documented lifecycle', () => {
      expect(canTransition('not_asked', 'asked')).to.equal(true);
      expect(canTransition('not_asked', 'granted')).to.equal(false);
      expect(canTransition('denied', 'granted')).to.equal(false);
      expect(canTransition('revoked', 'granted')).to.equal(false);
      for (const s of PERMISSION_STATES) if (s !== 'not_asked') expect(canTransition(s, 'asked'), s).to.equal(true);
    });
  });

  describe('PermissionAuthority', () => {
    it('request asks, answer grants or denies, and every change carries the whole map', () => {
      const a = new PermissionAuthority();
      const maps: string[] = [];
      a.on('change', (c) => maps.push(JSON.stringify(c.permissions)));
      expect(a.request('view')).to.equal(true);
      a.answer('view', true);
      expect(a.request('control')).to.equal(true);
      a.answer('control', false);
      expect(a.snapshot()).to.deep.equal({ view: 'granted', control: 'denied', files: 'not_asked', clipboard: 'not_asked' });
      expect(maps).to.have.length(4);
      expect(JSON.parse(maps[1]!)).to.deep.equal({ view: 'granted', control: 'not_asked', files: 'not_asked', clipboard: 'not_asked' });
    });

    it('a request for an already granted permission needs no prompt and changes nothing', () => {
      const a = new PermissionAuthority();
      a.request('files');
      a.answer('files', true);
      let changes = 0;
      a.on('change', () => changes++);
      expect(a.request('files')).to.equal(false);
      expect(a.get('files')).to.equal('granted');
      expect(changes).to.equal(0);
    });

    it('revokeAll revokes exactly the granted ones', () => {
      const a = new PermissionAuthority();
      for (const p of PERMISSIONS) a.request(p);
      a.answer('view', true);
      a.answer('control', true);
      a.answer('files', false);
      a.revokeAll();
      expect(a.snapshot()).to.deep.equal({ view: 'revoked', control: 'revoked', files: 'denied', clipboard: 'asked' });
      expect(PERMISSIONS.some((p) => a.isGranted(p))).to.equal(false);
    });

    it('answering without a request is refused', () => {
      const a = new PermissionAuthority();
      expect(() => a.answer('view', true)).to.throw(/not_asked -> granted/);
    });
  });

  describe('PermissionMirror', () => {
    it('tracks the last map received and reports the previous one', () => {
      const m = new PermissionMirror();
      const seen: Array<[string, string]> = [];
      m.on('change', (c) => seen.push([c.previous.view, c.permissions.view]));
      m.update({ view: 'granted', control: 'asked', files: 'not_asked', clipboard: 'denied' });
      expect(m.isGranted('view')).to.equal(true);
      expect(m.get('control')).to.equal('asked');
      m.update({ view: 'revoked', control: 'asked', files: 'not_asked', clipboard: 'denied' });
      expect(m.isGranted('view')).to.equal(false);
      expect(seen).to.deep.equal([
        ['not_asked', 'granted'],
        ['granted', 'revoked'],
      ]);
    });
  });
});
