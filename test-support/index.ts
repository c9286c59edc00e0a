export { createTestDatabase, type TestDatabase } from './database.js';
export { createTestVhost, rabbitmqctl, type TestVhost } from './vhost.js';
export { waitFor, type WaitOptions } from './waitFor.js';
export { adminUrl, databaseUrl, amqpUrl } from './urls.js';
export { createTcpProxy, type TcpProxy } from './tcpProxy.js';
export { startWorker, type WorkerProcess } from './workerProcess.js';
export { alarmRaised, withBrokerEnv, withMemoryAlarm } from './brokerSettings.js';
export { createSilentServer, type SilentServer } from './silentServer.js';
