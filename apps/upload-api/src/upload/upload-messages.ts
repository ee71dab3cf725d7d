// Reasons given to the apps in `msg`: Chinese first (what the app may show), English in
// parentheses for developers, the same style as the rest of the suite.

function size(bytes: number): string {
  const [value, unit] = bytes >= 1024 * 1024 ? [bytes / (1024 * 1024), 'MiB'] : [bytes / 1024, 'KiB'];
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
}

export const UploadMessages = {
  notMultipart: (field: string) =>
    `请用 multipart/form-data 上传，图片放在 ${field} 字段 (send multipart/form-data with the image in the field ${field})`,
  missingFile: (field: string) => `没有收到图片，请把图片放在 ${field} 字段 (no file in the field ${field})`,
  notAFilePart: (field: string) =>
    `${field} 字段不是文件，请带上文件名 (the part ${field} has no file name: send it as a file part with filename="...")`,
  emptyFile: () => '上传的文件是空的 (the uploaded file is empty)',
  notImage: () => '文件不是图片，只支持 PNG、JPEG、GIF、WebP (not an image: only PNG, JPEG, GIF and WebP are accepted)',
  damaged: (detail: string) => `图片不完整或已损坏 (the image is incomplete or damaged: ${detail})`,
  tooManyPixels: (detail: string) => `图片尺寸太大 (the image has too many pixels: ${detail})`,
  tooLarge: (maxBytes: number) => `图片太大，最大 ${size(maxBytes)} (file too large: the limit is ${maxBytes} bytes)`,
  unexpectedFileField: (name: string, field: string) =>
    `不认识的文件字段 ${JSON.stringify(name.slice(0, 64))}，请把图片放在 ${field} 字段 (unexpected file field: send the image in ${field})`,
  oneFileOnly: (field: string) => `一次只能上传一张图片 (send exactly one file, in the field ${field})`,
  tooManyFields: () => '表单字段太多 (too many form fields: send only the file)',
  malformed: (detail: string) => `上传内容格式错误 (malformed multipart body: ${detail})`,
  cutOff: () => '上传中断 (the upload was cut off)',
  thumbnailNotReady: (seconds: number) =>
    `缩略图正在生成，请稍后再试 (the thumbnail is still being made after ${seconds} s: try again shortly)`,
  storageUnavailable: () => '图片存储暂时不可用，请稍后再试 (image storage unavailable, try again later)',
} as const;
