/** Settings for tests: defaults + a NATS URL + overrides, never reading the developer's .env. */
import { loadSettings, type SettingOverrides, type Settings } from "../../src/config/index.ts";

export function testSettings(natsUrl: string, overrides: SettingOverrides = {}): Settings {
  return loadSettings({ PYOCO_NATS_URL: natsUrl }, overrides);
}
