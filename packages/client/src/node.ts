// Transfers that need Node (files on disk, streams): `import { uploadFile, downloadFile } from '@strata/client/node'`.
// Kept apart from the main entry, which the UI bundles for the browser.
export { type DownloadOptions, type DownloadResult, type Progress, ResumeFile, type UploadOptions, type UploadResult, downloadFile, uploadFile } from './transfer.js';
