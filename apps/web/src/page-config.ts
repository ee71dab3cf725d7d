import { DEFAULT_UPLOAD_MAX_FILE_SIZE } from '../../../libs/config/src/upload-limits';

// What the server that serves the page says about itself, in meta elements it adds to
// index.html (apps/suite/src/web/page-config.ts): no request, so a production page never asks
// for the development endpoints. A page served without them (plain files behind nginx) is not
// in development mode and checks uploads against the default limit the server's comes from.

export interface PageConfig {
  /** The development endpoints (/dev/users) exist. */
  devMode: boolean;
  /** The server's upload limit, in bytes. */
  maxUploadBytes: number;
}

/** `devBuild`: Vite's dev server serves the page (import.meta.env.DEV), with its own index.html. */
export function readPageConfig(doc: Pick<Document, 'querySelector'> | undefined, devBuild: boolean): PageConfig {
  const meta = (name: string) => doc?.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content;
  const devMode = meta('chat-dev-mode');
  const max = Number(meta('chat-upload-max-bytes'));
  return {
    // No meta from Vite's dev server (npm run dev:web): development by definition.
    devMode: devMode === undefined ? devBuild : devMode === 'true',
    maxUploadBytes: Number.isSafeInteger(max) && max > 0 ? max : DEFAULT_UPLOAD_MAX_FILE_SIZE,
  };
}

/** "10 MiB", "512 KiB": the server's way of writing a size. */
export function sizeText(bytes: number): string {
  const [value, unit] = bytes >= 1024 * 1024 ? [bytes / (1024 * 1024), 'MiB'] : [bytes / 1024, 'KiB'];
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
}
