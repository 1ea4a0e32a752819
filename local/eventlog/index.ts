export { EventLog, EventLogPublisher, type EventLogOptions, type LogAppend } from './eventLog';
export { LogPartition, PartitionReader, type PartitionOpenReport } from './partition';
export { decodeRecord, encodeRecord, type LogRecord } from './record';
