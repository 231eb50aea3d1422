import { Type } from '@sinclair/typebox';
import { BaseConfigSchema, loadConfig } from '@strata/service-kit';

export const UiConfigSchema = Type.Composite([
  BaseConfigSchema,
  Type.Object({
    /** Folder with the adapter-node build (`npm run build -w @strata/ui`). */
    UI_BUILD_DIR: Type.String({ default: new URL('../build', import.meta.url).pathname }),
  }),
]);
export type UiConfig = ReturnType<typeof loadUiConfig>;

export function loadUiConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(UiConfigSchema, env);
}
