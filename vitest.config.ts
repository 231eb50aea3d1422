import { defineConfig } from 'vitest/config';

// Workspace packages export their TypeScript sources under the "development" condition.
const resolve = { conditions: ['development', 'module', 'node', 'import', 'default'] };

export default defineConfig({
  resolve,
  ssr: { resolve: { conditions: resolve.conditions, externalConditions: ['development'] } },
  test: {
    projects: [
      {
        resolve,
        test: {
          name: 'unit',
          include: ['{packages,services,tools,ui,deploy,load,clients}/**/test/**/*.unit.spec.ts'],
          exclude: ['**/node_modules/**'],
          environment: 'node',
        },
      },
      {
        resolve,
        test: {
          name: 'integration',
          include: ['{packages,services,tools,ui,deploy,load,clients}/**/test/**/*.int.spec.ts'],
          exclude: ['**/node_modules/**'],
          environment: 'node',
          // one stack (Azurite, every app and its sidecar) serves all integration test files
          globalSetup: ['tools/dev/src/test-stack.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
          // files share the stack; running them one after the other keeps failures readable
          fileParallelism: false,
        },
      },
    ],
  },
});
