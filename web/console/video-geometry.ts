/** Where the picture sits inside a `<video>` with `object-fit: contain` (letterboxed). */
export type ContentRect = { left: number; top: number; width: number; height: number };

export function containRect(boxWidth: number, boxHeight: number, videoWidth: number, videoHeight: number): ContentRect {
  if (boxWidth <= 0 || boxHeight <= 0 || videoWidth <= 0 || videoHeight <= 0) {
    return { left: 0, top: 0, width: Math.max(boxWidth, 0), height: Math.max(boxHeight, 0) };
  }
  const scale = Math.min(boxWidth / videoWidth, boxHeight / videoHeight);
  const width = videoWidth * scale;
  const height = videoHeight * scale;
  return { left: (boxWidth - width) / 2, top: (boxHeight - height) / 2, width, height };
}

/**
 * A point relative to the element's box as fractions of the picture (0..1 each),
 * or null when it falls on the letterbox bars.
 */
export function toFractions(x: number, y: number, rect: ContentRect): { x: number; y: number } | null {
  if (rect.width <= 0 || rect.height <= 0) return null;
  const fx = (x - rect.left) / rect.width;
  const fy = (y - rect.top) / rect.height;
  if (fx < 0 || fx > 1 || fy < 0 || fy > 1) return null;
  return { x: fx, y: fy };
}

/** Wheel deltas (pixels, lines or pages) to whole notches, bounded like the wire schema. */
export function wheelNotches(delta: number, mode: number): number {
  const lines = mode === 1 ? delta : mode === 2 ? delta * 10 : delta / 40;
  const rounded = lines > 0 ? Math.ceil(lines) : Math.floor(lines);
  return Math.max(-20, Math.min(20, rounded));
}
