import { Logger } from '@nestjs/common';
import { CoreConfig, UploadConfig } from '@app/config';
import { PublicUrlService } from './public-url.service';

describe('PublicUrlService', () => {
  const core = Object.assign(new CoreConfig(), { port: 8080 });
  const make = (publicBaseUrl?: string) => new PublicUrlService(Object.assign(new UploadConfig(), { publicBaseUrl }), core);

  beforeEach(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('warns at start when no public base URL is configured', () => {
    make();
    expect(Logger.prototype.warn).toHaveBeenCalledWith(expect.stringContaining('UPLOAD_PUBLIC_BASE_URL is not set'));
  });
  const req = (host: string | undefined, protocol = 'http') => ({ headers: { host }, protocol }) as never;

  it.each([
    ['http://www.zhangshuo.fun/images/', 'http://www.zhangshuo.fun/images/'],
    ['https://cdn.example.com/img', 'https://cdn.example.com/img/'],
    ['https://cdn.example.com', 'https://cdn.example.com/'],
  ])('uses the configured base %s, whatever the request says', (configured, expected) => {
    expect(make(configured).baseFor(req('evil.example'))).toBe(expected);
  });

  it('follows the request Host when no base is configured', () => {
    expect(make().baseFor(req('192.168.1.20:8080'))).toBe('http://192.168.1.20:8080/images/');
    expect(make().baseFor(req('chat.example.com', 'https'))).toBe('https://chat.example.com/images/');
    expect(make().baseFor(req('[::1]:8080'))).toBe('http://[::1]:8080/images/');
  });

  it.each([undefined, '', 'evil.com/x?', 'a b', 'host:port', 'x"><script>'])(
    'falls back to localhost:<PORT> for the unusable Host %j',
    (host) => {
      expect(make().baseFor(req(host))).toBe('http://localhost:8080/images/');
    },
  );
});
