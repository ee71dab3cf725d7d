import { withPageConfig } from './page-config';

describe('withPageConfig', () => {
  const html = '<!doctype html><html><head><title>Chat</title></head><body></body></html>';

  it('names development mode and the upload limit in the head', () => {
    const out = withPageConfig(html, { devMode: true, maxUploadBytes: 10485760 });
    expect(out).toContain('<meta name="chat-dev-mode" content="true" /><meta name="chat-upload-max-bytes" content="10485760" />\n</head>');
    expect(out.indexOf('<title>')).toBeLessThan(out.indexOf('chat-dev-mode'));
  });

  it('says false outside development mode', () => {
    expect(withPageConfig(html, { devMode: false, maxUploadBytes: 2048 })).toContain('<meta name="chat-dev-mode" content="false" /><meta name="chat-upload-max-bytes" content="2048" />');
  });
});
