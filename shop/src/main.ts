/** Entry point: configuration from SHOP_* environment variables, graceful drain on SIGTERM. */
import { configFromEnv } from './config';
import { isUnavailable } from './db';
import { secretsManagerFetcher, secretsManagerJson } from './secrets';
import { parsePayments, PAYMENTS_ENV } from './payments/index';
import { cloudWatchPublisher } from './payments/metrics';
import { ssmSwitchReader } from './operator-switch';
import { NOTIFY_ENV, parseNotify } from './notify/index';
import { createShop } from './shop';
import { testRequestGateFromEnv } from './signed-test-request';
import { jsonLogger as logger } from './types';

async function main(): Promise<void> {
  const { options, port, secretName } = configFromEnv(process.env, logger);
  if (secretName) options.fetchSecret = secretsManagerFetcher(secretName, options.region);
  const payments = parsePayments(process.env[PAYMENTS_ENV]);
  const notify = parseNotify(process.env[NOTIFY_ENV]);
  const cloudWatch = async () => {
    const { CloudWatchClient } = await import('@aws-sdk/client-cloudwatch');
    return cloudWatchPublisher(new CloudWatchClient({ region: options.region, maxAttempts: 2 }));
  };
  if (payments) {
    options.payments = {
      settings: payments,
      readSecret: secretsManagerJson(options.region),
      switchReader: payments.switchParameter
        ? ssmSwitchReader(payments.switchParameter, options.region)
        : undefined,
      faultReader: payments.faultParameter
        ? ssmSwitchReader(payments.faultParameter, options.region)
        : undefined,
      publisher: await cloudWatch(),
    };
  }
  if (notify) {
    options.notify = {
      settings: notify,
      readSecret: secretsManagerJson(options.region),
      switchReader: notify.switchParameter
        ? ssmSwitchReader(notify.switchParameter, options.region)
        : undefined,
      publisher: await cloudWatch(),
    };
  } else {
    logger.warn(`${NOTIFY_ENV} unset: notices are written to the outbox and nothing sends them`);
  }
  options.testRequests = testRequestGateFromEnv(process.env, options.region, logger);
  const shop = createShop({ ...options, logger });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('draining', { signal });
    shop
      .close()
      .then(() => process.exit(0))
      .catch((err: Error) => {
        logger.error('drain failed', { error: err.message });
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('unhandledRejection', (err) => logger.error('unhandled rejection', { error: String(err) }));
  // Last resort only: every pg client has its own 'error' listener (shop/src/db.ts). A connection
  // error that still gets here is a missing listener (a bug), logged loudly, and not worth ending
  // every customer's session for; anything else is a real bug and systemd restarts us.
  process.on('uncaughtException', (err) => {
    if (isUnavailable(err)) {
      logger.error('uncaught database connection error (a listener is missing); continuing', {
        error: err.message,
        stack: err.stack,
      });
      return;
    }
    logger.error('uncaught exception; exiting', { error: err.message, stack: err.stack });
    process.exit(1);
  });

  await shop.listen(port);
}

main().catch((err: Error) => {
  logger.error('shop failed to start', { error: err.message });
  process.exit(1);
});
