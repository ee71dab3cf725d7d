// What the page learns from the server that serves it, without asking: whether the development
// endpoints exist (so a production page never probes /dev/users) and the upload limit (checked
// before a file is sent). Meta elements, not an inline script: a policy of script-src 'self'
// allows the page as it is.

export interface PageConfig {
  /** CHAT_DEV_MODE: the /dev/users endpoints exist. */
  devMode: boolean;
  /** UPLOAD_MAX_FILE_SIZE, in bytes. */
  maxUploadBytes: number;
}

/** The meta names apps/web/src/page-config.ts reads. */
export const PAGE_META = { devMode: 'chat-dev-mode', maxUploadBytes: 'chat-upload-max-bytes' } as const;

/** index.html with the page configuration as meta elements at the end of its head. */
export function withPageConfig(html: string, config: PageConfig): string {
  const metas =
    `<meta name="${PAGE_META.devMode}" content="${config.devMode ? 'true' : 'false'}" />` +
    `<meta name="${PAGE_META.maxUploadBytes}" content="${Math.floor(config.maxUploadBytes)}" />`;
  const at = html.search(/<\/head>/i);
  return at < 0 ? metas + html : `${html.slice(0, at)}${metas}\n${html.slice(at)}`;
}
