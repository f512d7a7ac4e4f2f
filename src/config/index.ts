/**
 * Configuration: the only area that reads the environment. Usage:
 *   const settings = loadSettings(effectiveEnv());         // process env > .env > defaults
 *   const settings2 = loadSettings(env, { natsUrl: flag }); // CLI flags win over both
 */
export { effectiveEnv, processEnv, parseDotenv, dotenvPath, type Env } from "./env.ts";
export { loadSettings, settingVariables, SETTINGS, type Settings, type SettingOverrides } from "./settings.ts";
export { resolveDashboardLang } from "./dashboard-lang.ts";
