import { runServer } from '@strata/service-kit';
import app from './app.js';
import { loadUiConfig } from './config.js';

await runServer({ loadConfig: loadUiConfig, app });
