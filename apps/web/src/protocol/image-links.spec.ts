import { imageUrlOf } from './image-links';

describe('imageUrlOf', () => {
  it('recognises the links the upload answers', () => {
    expect(imageUrlOf('http://localhost:8080/images/2b1c1a4e-8a3c-4e0b-9a43-6f3c1f0c2d11.jpg')).toBe(
      'http://localhost:8080/images/2b1c1a4e-8a3c-4e0b-9a43-6f3c1f0c2d11.jpg',
    );
    expect(imageUrlOf(' https://chat.example.com/static/images/a.webp ')).toBe('https://chat.example.com/static/images/a.webp');
    expect(imageUrlOf('/images/a.PNG')).toBe('/images/a.PNG');
  });

  it('leaves everything else as text', () => {
    for (const text of [
      'look at http://x/images/a.png',
      'http://x/images/a.svg',
      'javascript:alert(1)//images/a.png',
      'http://x/images/a.png?x=1',
      'http://x/other/a.png',
      'images/a.png',
      '你好',
      '',
    ]) {
      expect(imageUrlOf(text)).toBeNull();
    }
  });
});
