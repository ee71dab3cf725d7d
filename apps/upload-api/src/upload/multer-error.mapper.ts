import { BadRequestException, HttpException, PayloadTooLargeException } from '@nestjs/common';
import { DomainError, ErrorCode } from '@app/common';
import { UploadMessages } from './upload-messages';

// What multer's and busboy's refusals say, as Nest's FileInterceptor hands them on: it turns
// multer's coded errors into HttpExceptions whose message starts with multer's own text (and
// ends with ` - <field>` when a field is named), and busboy's parse errors into messages that
// start with `Multipart: `.
const UNEXPECTED_FILE = 'Unexpected file field';
const TOO_MANY_FILES = 'Too many files';
const TOO_MANY = ['Too many parts', 'Too many fields', 'Field value too long', 'Field name too long'];
const NO_BOUNDARY = 'Multipart: Boundary not found';

/**
 * The upload's coded DomainError for whatever the multipart path threw: our own errors pass
 * unchanged, multer's and busboy's are given the reasons the legacy apps have always been shown.
 */
export function uploadErrorOf(err: unknown, field: string, maxFileSize: number): unknown {
  if (err instanceof DomainError) return err;
  if (err instanceof PayloadTooLargeException) return new DomainError(ErrorCode.UploadTooLarge, UploadMessages.tooLarge(maxFileSize));
  const message = err instanceof HttpException ? err.message : err instanceof Error ? err.message : undefined;
  if (message === undefined) return err;
  if (message.startsWith(UNEXPECTED_FILE)) {
    const named = message.slice(UNEXPECTED_FILE.length).replace(/^ - /, '');
    return named === field
      ? new DomainError(ErrorCode.UploadInvalid, UploadMessages.oneFileOnly(field))
      : new DomainError(ErrorCode.UploadInvalid, UploadMessages.unexpectedFileField(named, field));
  }
  if (message.startsWith(TOO_MANY_FILES)) return new DomainError(ErrorCode.UploadInvalid, UploadMessages.oneFileOnly(field));
  if (TOO_MANY.some((m) => message.startsWith(m))) return new DomainError(ErrorCode.UploadInvalid, UploadMessages.tooManyFields());
  if (message === NO_BOUNDARY) return new DomainError(ErrorCode.UploadInvalid, UploadMessages.notMultipart(field));
  if (err instanceof BadRequestException || isBusboyError(err)) {
    return new DomainError(ErrorCode.UploadInvalid, UploadMessages.malformed(message.replace(/^Multipart: /, '')));
  }
  if (/^Request (aborted|closed)$/.test(message)) return new DomainError(ErrorCode.UploadInvalid, UploadMessages.cutOff());
  return err;
}

// busboy's own parse errors that Nest passes through unmapped (control characters in a header...).
function isBusboyError(err: unknown): boolean {
  return err instanceof Error && !(err instanceof HttpException) && /^(Malformed|Unexpected end|Multipart)/.test(err.message);
}
