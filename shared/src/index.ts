export * from './core.js';
export * from './schema/bundle.js';
export * from './schema/decode.js';
export * from './parse/routing-json.js';
