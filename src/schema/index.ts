import { builder } from './builder.js';
import './bar.js';
import './ticker.js';
import './funding-rate.js';
import './fear-greed.js';
import './llm-analysis.js';
import './invalidation.js';
import './warm.js';

export const schema = builder.toSchema();
