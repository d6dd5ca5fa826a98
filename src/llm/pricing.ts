/** Prices live in `core` (pure, used by the engine's forecasts too); re-exported for the model layer. */
export { costUsd, TOKENS_PER_PRICE_UNIT, type TokenCounts } from '../core/pricing.js';
