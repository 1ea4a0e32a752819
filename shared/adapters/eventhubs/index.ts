export { createProducer, EventHubPublisher, toEventData, type BatchProducer, type ProducerBatch } from './publisher';
