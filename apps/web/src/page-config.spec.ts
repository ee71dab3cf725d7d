import { DEFAULT_UPLOAD_MAX_FILE_SIZE } from '../../../libs/config/src/upload-limits';
import { readPageConfig, sizeText } from './page-config';

const page = (metas: Record<string, string>) => ({
  querySelector: (selector: string) => {
    const name = /name="([^"]+)"/.exec(selector)?.[1] ?? '';
    return name in metas ? ({ content: metas[name] } as never) : null;
  },
});

describe('readPageConfig', () => {
  it('reads what the suite put in the page', () => {
    expect(readPageConfig(page({ 'chat-dev-mode': 'true', 'chat-upload-max-bytes': '3145728' }), false)).toEqual({ devMode: true, maxUploadBytes: 3145728 });
    expect(readPageConfig(page({ 'chat-dev-mode': 'false', 'chat-upload-max-bytes': '2048' }), true)).toEqual({ devMode: false, maxUploadBytes: 2048 });
  });

  it('without them: development only from the dev server, the default limit the server has too', () => {
    expect(readPageConfig(page({}), false)).toEqual({ devMode: false, maxUploadBytes: DEFAULT_UPLOAD_MAX_FILE_SIZE });
    expect(readPageConfig(page({}), true).devMode).toBe(true);
    expect(readPageConfig(page({ 'chat-upload-max-bytes': 'lots' }), false).maxUploadBytes).toBe(DEFAULT_UPLOAD_MAX_FILE_SIZE);
  });
});

describe('sizeText', () => {
  it('writes sizes as the server does', () => {
    expect(sizeText(10 * 1024 * 1024)).toBe('10 MiB');
    expect(sizeText(1.5 * 1024 * 1024)).toBe('1.5 MiB');
    expect(sizeText(512 * 1024)).toBe('512 KiB');
  });
});
