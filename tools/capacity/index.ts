/** The capacity and cost model (`npm run capacity`); see docs/capacity.md. */
export * from './constants';
export * from './inputs';
export * from './helpers';
export * from './operations';
export * from './types';
export { computeCapacity } from './model';
export { countersTouched } from './aggregate';
export { rowsChangedBy } from './rows';
export { formatReport, kqlModelRows, operationLines } from './report';
export { parseMeasured, readMeasured } from './measured';
export { CAPACITY_HELP, CAPACITY_OPTIONS, inputsFromArgs, main, parsePriceOverrides } from './cli';
