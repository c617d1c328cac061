import { builder } from './builder.js';
import { withEnumInputErrors } from './enum-input-errors.js';
import './bar.js';
import './ticker.js';
import './funding-rate.js';
import './fear-greed.js';
import './llm-analysis.js';
import './order-book.js';
import './trade.js';
import './symbols.js';
import './invalidation.js';
import './warm.js';
import './cache-stats.js';

export const schema = withEnumInputErrors(builder.toSchema());
