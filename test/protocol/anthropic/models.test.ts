import { describe, expect, it } from "vitest";
import { modelPage, parseModelPageQuery } from "../../../src/protocol/anthropic/models.js";

const IDS = ["a", "b", "c", "d", "e"];
const AT = "2026-01-01T00:00:00.000Z";

function ids(page: ReturnType<typeof modelPage>): string[] {
  return page.data.map((model) => model.id);
}

describe("modelPage", () => {
  it("gives model objects in Anthropic's shape", () => {
    const page = modelPage(["m"], { limit: 20 }, AT);
    expect(page).toEqual({
      data: [{ type: "model", id: "m", display_name: "m", created_at: AT }],
      has_more: false,
      first_id: "m",
      last_id: "m",
    });
  });

  it.each([
    ["the first page", { limit: 2 }, ["a", "b"], true],
    ["after an id", { limit: 2, afterId: "b" }, ["c", "d"], true],
    ["the last page after an id", { limit: 2, afterId: "d" }, ["e"], false],
    ["before an id", { limit: 2, beforeId: "d" }, ["b", "c"], true],
    ["the first models before an id", { limit: 2, beforeId: "c" }, ["a", "b"], false],
    ["everything", { limit: 1000 }, IDS, false],
    ["after an id no longer listed", { limit: 2, afterId: "gone" }, [], false],
    ["before an id no longer listed", { limit: 2, beforeId: "gone" }, [], false],
  ])("%s", (_name, query, expected, hasMore) => {
    const page = modelPage(IDS, query, AT);
    expect(ids(page)).toEqual(expected);
    expect(page.has_more).toBe(hasMore);
    expect(page.first_id).toBe(expected[0] ?? null);
    expect(page.last_id).toBe(expected.at(-1) ?? null);
  });

  it("walks every model page by page, as the SDK's auto-pagination does", () => {
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = modelPage(IDS, { limit: 2, afterId: after }, AT);
      seen.push(...ids(page));
      if (!page.has_more) break;
      after = page.last_id ?? undefined;
    }
    expect(seen).toEqual(IDS);
  });
});

describe("parseModelPageQuery", () => {
  it("defaults to 20 and reads the cursors", () => {
    expect(parseModelPageQuery({})).toEqual({ ok: true, query: { limit: 20 } });
    expect(parseModelPageQuery({ limit: "1000", after_id: "x" })).toEqual({
      ok: true,
      query: { limit: 1000, afterId: "x" },
    });
  });

  it.each([
    [{ limit: "0" }, "limit"],
    [{ limit: "1001" }, "limit"],
    [{ limit: "ten" }, "limit"],
    [{ limit: "2.5" }, "limit"],
    [{ after_id: ["a", "b"] }, "after_id"],
    [{ after_id: "a", before_id: "b" }, "before_id"],
  ])("refuses %j naming %s", (query, param) => {
    expect(parseModelPageQuery(query)).toMatchObject({ ok: false, param });
  });
});
