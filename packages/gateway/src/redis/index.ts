export {
  describeRedisUrl,
  openRedis,
  type RedisConnection,
  type RedisLogger,
  type RedisSettings,
} from './connection.js';
