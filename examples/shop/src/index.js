/**
 * What the four shop examples share: everything but their `app.js` (the routes on one framework)
 * and their `settings.js` (name and ports). An example's `main.js` hands both to
 * {@link runExample}.
 */
export { HOST, portFromEnv, runExample, whenListening } from './lifecycle.js';
export { createLog } from './log.js';
export {
  CHAT_MAX_PAYLOAD,
  CHAT_PATH,
  chatSession,
  clientErrorStatus,
  createShop,
  EVENTS,
  INTERNAL_ERROR,
  InventoryUnavailableError,
  NOT_FOUND,
  reserveStock,
  serveChatUpgrades,
  tickerMessages,
  validateOrder,
} from './shop.js';
export { startExampleTelemetry } from './telemetry.js';
