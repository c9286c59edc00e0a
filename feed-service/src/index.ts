export { buildApp, type AppDeps } from './app.js';
export { loadConfig, type ServiceConfig } from './config.js';
export { PgLiveFeed, type LiveFeed, type LiveFeedOptions } from './liveFeed.js';
export { ApiError, ApiErrorCode, type ApiErrorBody } from './apiErrors.js';
