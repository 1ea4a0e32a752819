export * from './archive';
export * from './blocks';
export * from './codec';
export * from './paths';
export * from './rolling';
export * from './schema';
