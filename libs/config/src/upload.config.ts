// Filled in by the upload feature.
export class UploadConfig {}
