import type { MouseButton, Screen } from '../../protocol/index.ts';

/**
 * Injects the technician's input into the customer's desktop. Coordinates are
 * fractions (0..1) of the selected screen. Each platform folder has its
 * implementation; Windows (SendInput) and macOS (CGEvent) implement the same
 * methods. Permission checks happen before these calls (the customer engine,
 * rtc/customer-engine.ts); an injector injects whatever it is told.
 */
export interface InputInjector {
  readonly method: string;
  /** The screen that fractional coordinates refer to. */
  setScreen(screen: Screen): void;
  move(x: number, y: number): void;
  button(button: MouseButton, down: boolean, x: number, y: number): void;
  /** Wheel notches: positive dy scrolls down, positive dx right. */
  wheel(dx: number, dy: number, x: number, y: number): void;
  /** Presses or releases the key of a `KeyboardEvent.code`; false when the code is not mapped. */
  key(code: string, down: boolean): boolean;
  /** Types text character by character, whatever the keyboard layout. */
  text(text: string): Promise<void>;
  /** Releases every key and button this injector holds down. */
  releaseAll(): void;
  close(): void;
}

/** Maps a fraction of `screen` to absolute root-window pixels. */
export function toPixels(screen: Screen, fx: number, fy: number): { x: number; y: number } {
  const clamp = (v: number): number => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0);
  return {
    x: screen.x + Math.round(clamp(fx) * (screen.width - 1)),
    y: screen.y + Math.round(clamp(fy) * (screen.height - 1)),
  };
}
