// A message whose whole text is the link of an uploaded image (what POST /user/upload.do answers
// as `url`, under /images/) is shown as the picture. Anything else stays text.

const IMAGE_PATH = /\/images\/[A-Za-z0-9._-]+\.(png|jpe?g|gif|webp)$/i;

export function imageUrlOf(text: string): string | null {
  const candidate = text.trim();
  if (!candidate || /\s/.test(candidate)) return null;
  let url: URL;
  try {
    url = new URL(candidate, 'http://relative.invalid');
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.search || url.hash || !IMAGE_PATH.test(url.pathname)) return null;
  if (url.host === 'relative.invalid') return candidate.startsWith('/') ? url.pathname : null;
  return url.href;
}
