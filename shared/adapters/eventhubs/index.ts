export { createProducer, EventHubPublisher, packedEventData, type BatchProducer, type ProducerBatch } from './publisher';
