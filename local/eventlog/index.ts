export { EventLog, EventLogPublisher, type EventLogOptions, type LogAppend, type ReadableLog } from './eventLog';
export { EventLogMirror } from './mirror';
export { LogPartition, PartitionReader, type PartitionOpenReport, type PartitionState } from './partition';
export { decodeRecord, encodeRecord, type LogRecord } from './record';
