/** Queue figures: delivered-but-unacknowledged jobs of a tag with no alive worker count as waiting. */
import { expect, test } from "bun:test";
import { attributeUnacknowledged } from "../../../src/domain/queue-figures.ts";

test("with alive workers, unacknowledged jobs are held by them", () => {
  expect(attributeUnacknowledged({ waiting: 3, unacknowledged: 2 }, 1)).toEqual({ waiting: 3, unacknowledged: 2 });
});

test("with no alive worker, a requeued or orphaned job is waiting (so `waiting > 0 and workers == 0` fires)", () => {
  expect(attributeUnacknowledged({ waiting: 0, unacknowledged: 1 }, 0)).toEqual({ waiting: 1, unacknowledged: 0 });
  expect(attributeUnacknowledged({ waiting: 4, unacknowledged: 2 }, 0)).toEqual({ waiting: 6, unacknowledged: 0 });
});
