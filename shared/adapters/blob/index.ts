export { createBlobServiceClient, isNotFound } from './client';
export { BlobDeadLetterSink, deadLetterBlobName, type BlobDeadLetterOptions } from './deadLetterSink';
export { BlobLocationSource } from './locationSource';
