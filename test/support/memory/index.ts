export { InMemoryCounterStore } from './counterStore';
export { InMemoryDedupStore, type InMemoryDedupOptions, type MemoryChange } from './dedupStore';
export { InMemoryTallyStore } from './tallyStore';
export { createMemoryServices, ManualClock, TEST_CONFIG, type MemoryServices, type MemoryServicesOptions } from './services';
export { InMemoryDeadLetters, InMemoryMetrics, InMemoryPublisher, zeroCounters } from './simple';
