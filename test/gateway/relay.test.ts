/**
 * routingParts: `_routing` spliced into a JSON object as chunks written one after another, views of
 * the body rather than a copy of it.
 */
import { describe, expect, it } from "vitest";
import { routingParts } from "../../src/gateway/relay.js";

const routing = Buffer.from('{"node":"a"}');
const joined = (body: string) => Buffer.concat(routingParts(Buffer.from(body), routing)).toString();

describe("routingParts", () => {
  it("adds _routing as the object's last field", () => {
    expect(JSON.parse(joined('{"id":"x"}\n'))).toEqual({ id: "x", _routing: { node: "a" } });
    expect(JSON.parse(joined("{ }"))).toEqual({ _routing: { node: "a" } });
  });

  it("leaves anything but an object as it is", () => {
    expect(joined("[1,2]")).toBe("[1,2]");
    expect(joined("not json")).toBe("not json");
  });

  it("shares the body's memory instead of copying it", () => {
    const body = Buffer.from('{"id":"x"}');
    const [head] = routingParts(body, routing);
    expect(head!.buffer).toBe(body.buffer);
  });
});
