export * from './errors.js';
export * from './findings.js';
export * from './verdict.js';
