/** Both languages: every text has the same placeholders; times and durations read naturally. */
import { expect, test } from "bun:test";
import { absoluteTime, formatDuration, relativeTime } from "../../../src/dashboard/format.ts";
import { normLang, t, TEXT_TABLES } from "../../../src/dashboard/i18n.ts";

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test("the Japanese table has every key, no empty text and the same placeholders", () => {
  const { en, ja } = TEXT_TABLES;
  expect(Object.keys(ja).sort()).toEqual(Object.keys(en).sort());
  for (const [key, text] of Object.entries(en)) {
    const jaText = ja[key as keyof typeof ja];
    expect({ key, empty: jaText.trim() === "" }).toEqual({ key, empty: false });
    expect({ key, p: placeholders(jaText) }).toEqual({ key, p: placeholders(text) });
  }
});

test("t fills placeholders and formats numbers per language", () => {
  expect(t("runs.count", { shown: 20, total: 1000 }, "en")).toBe("20 of 1,000 runs");
  expect(t("runs.count", { shown: 20, total: 1000 }, "ja")).toBe("1,000 件中 20 件");
  expect(t("status.CANCELLED", undefined, "ja")).toBe("キャンセル済み");
  // English plurals follow the count; Japanese has none.
  expect([0, 1, 2].map((n) => t("logs.lines", { n }, "en"))).toEqual(["0 lines", "1 line", "2 lines"]);
  expect(t("logs.dropped", { n: 1 }, "en")).toBe("1 line was dropped (rate or size limit).");
  expect(t("queues.warning", { tag: "gpu", n: 1 }, "en")).toBe("Tag gpu: no worker serves it, 1 run waiting.");
  expect(t("logs.lines", { n: 1 }, "ja")).toBe("1 行");
  expect([normLang("ja_JP.UTF-8"), normLang("en-US"), normLang("fr"), normLang(undefined)]).toEqual(["ja", "en", null, null]);
});

test("relative and absolute times, durations", () => {
  expect(relativeTime(1000, 1002, "en")).toBe("now");
  expect(relativeTime(1000, 1120, "en")).toBe("2 min. ago");
  expect(relativeTime(1000, 1120, "ja")).toBe("2 分前");
  expect(relativeTime(1300, 1000, "en")).toBe("in 5 min.");
  expect(absoluteTime(0.5 + Date.UTC(2026, 0, 2, 3, 4, 5) / 1000, "en")).toMatch(/2026/);
  expect(formatDuration(340, "en")).toBe("340 ms");
  expect(formatDuration(4200, "en")).toBe("4.2 s");
  expect(formatDuration(83_000, "en")).toBe("1 min 23 s");
  expect(formatDuration(83_000, "ja")).toBe("1分23秒");
  expect(formatDuration(2 * 3600_000 + 5 * 60_000, "en")).toBe("2 h 5 min");
});
