// Process entry: load config, build the app, run migrations, seed the demo network (never in
// production), listen, stop cleanly on SIGTERM/SIGINT.
import type { Server } from 'node:http';
import { consoleLogger, createNodeApp, type NodeApp } from './app.ts';
import type { Config } from './config/schema.ts';

export async function startNode(config: Readonly<Config>): Promise<{ app: NodeApp; server: Server; url: string; stop(): Promise<void> }> {
  const logger = consoleLogger(config.log.level);
  const app = await createNodeApp(config, { logger });
  const applied = await app.migrate();
  if (applied.length) logger.info(`Đã cập nhật cơ sở dữ liệu (migrations: ${applied.join(', ')})`);
  if (config.demo.seed) {
    const seeded = await app.seedDemo();
    if (seeded.created.length) {
      logger.info(`Đã tạo mạng cơ quan mẫu: ${seeded.created.join(', ')}`);
      logger.info(`Tài khoản mẫu: vanthu@, lanhdao@, chuyenvien@, quantri@<mã định danh>, ví dụ vanthu@000.00.00.G22`);
      if (seeded.generatedPassword) logger.info(`Mật khẩu chung của tài khoản mẫu (chỉ in một lần): ${seeded.generatedPassword}`);
      else logger.info('Mật khẩu của tài khoản mẫu: giá trị của DEMO_PASSWORD');
    }
  }
  // The exchange over the axis (directory, relay, inbox consumers). A broker that cannot be reached does
  // not stop the node: the registry keeps working, sends wait in the outbox, /health shows the state.
  try {
    await app.exchange.start();
    logger.info(`Trục liên thông: ${config.axis.url ? 'RabbitMQ' : 'trong tiến trình (in-process)'} đã kết nối`);
  } catch (error) {
    logger.error('Không khởi động được trao đổi qua trục liên thông (exchange not started)', error);
  }
  const server = app.http.listen(config.server.port, config.server.host);
  await new Promise<void>((resolve, reject) => { server.once('listening', resolve); server.once('error', reject); });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  const url = config.server.publicUrl ?? `http://${config.server.host === '0.0.0.0' ? 'localhost' : config.server.host}:${port}/`;
  logger.info(`edoc-node đang chạy tại ${url} (cơ sở dữ liệu: ${app.database.kind})`);
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await app.close();
  })());
  return { app, server, url, stop };
}
