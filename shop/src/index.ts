export { createShop, type Shop } from './shop';
export { configFromEnv, parseContacts } from './config';
export { drainServer } from './drain';
export { migrate, MIGRATIONS, DEMO_PRODUCTS } from './migrations';
export { CartCleanup, DEFAULT_CART_CLEANUP, type CartCleanupOptions, type CleanupRunResult } from './cleanup';
export * from './types';
