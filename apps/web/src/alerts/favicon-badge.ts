// The tab's icon with a red badge and a count, drawn on a canvas into a data: URL (the page's
// policy allows data: images). The shape is public/favicon.svg's.

const ICON = 'M6 4h20a4 4 0 0 1 4 4v12a4 4 0 0 1-4 4H14l-7 6v-6H6a4 4 0 0 1-4-4V8a4 4 0 0 1 4-4z';
const LINES = 'M9 11h14v2H9zm0 5h10v2H9z';
const SIZE = 64;

/** What the badge says: the count, up to 99. */
export const badgeText = (count: number): string => (count > 99 ? '99+' : String(count));

/** A PNG data: URL of the icon with `count` on it, or null where the page cannot draw. */
export function badgedIcon(count: number, doc: Document = document): string | null {
  const canvas = doc.createElement('canvas');
  canvas.width = canvas.height = SIZE;
  const g = canvas.getContext('2d');
  if (!g || typeof Path2D === 'undefined') return null;
  g.save();
  g.scale(SIZE / 32, SIZE / 32);
  g.fillStyle = '#1f7a5a';
  g.fill(new Path2D(ICON));
  g.fillStyle = '#fff';
  g.fill(new Path2D(LINES));
  g.restore();
  const text = badgeText(count);
  const r = text.length > 1 ? 22 : 19;
  const cx = SIZE - r;
  const cy = r;
  g.fillStyle = '#d93025';
  g.beginPath();
  g.arc(cx, cy, r, 0, Math.PI * 2);
  g.fill();
  g.lineWidth = 3;
  g.strokeStyle = '#fff';
  g.stroke();
  g.fillStyle = '#fff';
  g.font = `bold ${text.length > 2 ? 18 : text.length > 1 ? 24 : 28}px system-ui, sans-serif`;
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  g.fillText(text, cx, cy + 1);
  return canvas.toDataURL('image/png');
}
