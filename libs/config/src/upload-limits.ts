// The upload limit's default, in a module without decorators or Node APIs: UploadConfig's
// default, and what the web client checks against when the page does not name the server's.

/** Largest accepted file by default, in bytes (UPLOAD_MAX_FILE_SIZE): 10 MiB. */
export const DEFAULT_UPLOAD_MAX_FILE_SIZE = 10 * 1024 * 1024;
