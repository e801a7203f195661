import { PERMISSIONS, PERMISSION_LABELS, type Permission } from '../../protocol/index.ts';
import { Emitter } from '../../rtc/emitter.ts';

/** What a question asks for: a permission, or letting in the colleague the lead invited. */
export type PromptSubject = Permission | 'colleague';

/** The one question on the customer's screen. */
export interface PromptQuestion {
  permission: PromptSubject;
  /** The line the customer sees; it names the permission. */
  text: string;
  /** When it became the question shown (a redraw does not change this). */
  shownAt: number;
}

/** What a typed line did to the questions. */
export type PromptAnswer =
  /** Not an answer (chat or a command), or nothing is asked. */
  | { kind: 'none' }
  | { kind: 'answered'; permission: PromptSubject; yes: boolean }
  /** A bare "y" for a question shown less than `settleMs` ago: not used; the question stays. */
  | { kind: 'too_soon'; permission: PromptSubject }
  /** "yes control" while nobody asks for control. */
  | { kind: 'not_asked'; permission: PromptSubject };

export type PermissionPromptsEvents = { change: PromptQuestion | null };

interface Pending {
  permission: PromptSubject;
  text: string;
  resolve: (yes: boolean) => void;
}

const BARE_YES = /^(y|yes)$/i;
const BARE_NO = /^(n|no|)$/i;
const NAMED = new RegExp(`^(y|yes|allow|n|no|deny)\\s+(${[...PERMISSIONS, 'colleague'].join('|')})$`, 'i');

/**
 * The customer's permission questions, one shown at a time, so that an answer
 * can only go to the question the customer saw asked last:
 * - the question asked last is the one shown; one it displaced waits and is
 *   shown again (asked anew) once this one is answered;
 * - a bare "y" grants only the question shown, and only once that question has
 *   been on screen alone for `settleMs`: a "y" typed for one question cannot
 *   land on another that a hostile technician slipped in just before Enter;
 * - "n", "no" or Enter alone refuse the question shown at once (a refusal is
 *   always safe);
 * - "yes control" / "no files" answer the named question whatever is shown
 *   (naming it is as explicit as `/grant control`).
 * The terminal draws `current` and redraws it after any other output.
 */
export class PermissionPrompts extends Emitter<PermissionPromptsEvents> {
  /** Oldest first; the last one is shown. */
  private readonly pending: Pending[] = [];
  private shown: PromptQuestion | null = null;

  constructor(
    private readonly settleMs = 1000,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  /** The question on screen, or null. */
  get current(): PromptQuestion | null {
    return this.shown;
  }

  /** Whether a question for `permission` is waiting (shown or not). */
  isPending(permission: PromptSubject): boolean {
    return this.pending.some((p) => p.permission === permission);
  }

  /**
   * Asks one permission on behalf of the (server-verified) `technician`;
   * resolves with the answer. Asking again for a pending permission shows it
   * again and resolves both promises with the one answer.
   */
  ask(permission: Permission, technician: string): Promise<boolean> {
    return this.put(permission, questionText(permission, technician));
  }

  /**
   * Asks whether the colleague the lead invited may join (names from the
   * server); the same rules as a permission ("yes colleague" names it).
   */
  askColleague(colleague: { name: string; email: string; leadName: string }): Promise<boolean> {
    return this.put('colleague', colleagueQuestionText(colleague));
  }

  private put(permission: PromptSubject, text: string): Promise<boolean> {
    return new Promise((resolve) => {
      const earlier = this.pending.findIndex((p) => p.permission === permission);
      if (earlier >= 0) {
        const [old] = this.pending.splice(earlier, 1);
        this.pending.push({ permission, text, resolve: (yes) => (old!.resolve(yes), resolve(yes)) });
      } else {
        this.pending.push({ permission, text, resolve });
      }
      this.show();
    });
  }

  /** Takes a typed line; answers a question when the line is an answer to one. */
  answer(line: string): PromptAnswer {
    const named = NAMED.exec(line);
    if (named) {
      const permission = named[2]!.toLowerCase() as PromptSubject;
      if (!this.isPending(permission)) return { kind: 'not_asked', permission };
      const yes = /^(y|yes|allow)$/i.test(named[1]!);
      this.settle(permission, yes);
      return { kind: 'answered', permission, yes };
    }
    const shown = this.shown;
    if (!shown) return { kind: 'none' };
    if (BARE_NO.test(line)) {
      this.settle(shown.permission, false);
      return { kind: 'answered', permission: shown.permission, yes: false };
    }
    if (!BARE_YES.test(line)) return { kind: 'none' };
    if (this.now() - shown.shownAt < this.settleMs) return { kind: 'too_soon', permission: shown.permission };
    this.settle(shown.permission, true);
    return { kind: 'answered', permission: shown.permission, yes: true };
  }

  /** Drops the question for `permission` (decided elsewhere, e.g. by `/grant`); its promise resolves false. */
  withdraw(permission: PromptSubject): void {
    if (this.isPending(permission)) this.settle(permission, false);
  }

  /** Refuses everything pending (the input closed, the session ended). */
  denyAll(): void {
    for (const p of this.pending.splice(0)) p.resolve(false);
    this.show();
  }

  private settle(permission: PromptSubject, yes: boolean): void {
    const i = this.pending.findIndex((p) => p.permission === permission);
    if (i < 0) return;
    const [p] = this.pending.splice(i, 1);
    if (this.shown?.permission === permission) {
      this.shown = null;
      this.emit('change', null);
    }
    p!.resolve(yes);
    // The next question comes after what this answer prints ("…: granted"), so the screen reads in order.
    setImmediate(() => this.show());
  }

  /** Shows the question asked last; a change of question restarts the settling time. */
  private show(): void {
    const top = this.pending[this.pending.length - 1];
    const text = top?.text ?? null;
    if (this.shown && top && this.shown.permission === top.permission && this.shown.text === text) return;
    this.shown = top && text ? { permission: top.permission, text, shownAt: this.now() } : null;
    this.emit('change', this.shown);
  }
}

/** `? Ann Tech (ann@example.com) asks for control: Control your mouse and keyboard. Allow? [y/N]`. */
export function questionText(permission: Permission, technician: string): string {
  return `? ${technician} asks for ${permission}: ${PERMISSION_LABELS[permission]}. Allow? [y/N]`;
}

/** `? Ann Tech asks to bring in Bo Helper (bo@example.com, verified by the server) to help: … Let them in? [y/N]`. */
export function colleagueQuestionText(c: { name: string; email: string; leadName: string }): string {
  return `? ${c.leadName} asks to bring in ${c.name} (${c.email}, verified by the server) to help: they would see your screen and chat; control stays with ${c.leadName}. Let them in? [y/N]`;
}
