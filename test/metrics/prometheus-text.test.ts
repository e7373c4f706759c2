import { describe, expect, it } from "vitest";
import { samplesOf, sumByMetric } from "../../src/metrics/prometheus-text.js";

describe("sumByMetric", () => {
  it("sums every labelled sample of a metric and skips comments and junk", () => {
    const text = [
      "# HELP vllm:num_requests_waiting Number of requests waiting.",
      "# TYPE vllm:num_requests_waiting gauge",
      'vllm:num_requests_waiting{model_name="a",engine="0"} 3.0',
      'vllm:num_requests_waiting{model_name="a",engine="1"} 2',
      "vllm:num_requests_running 4 1700000000000",
      'odd{label="has } brace"} 1',
      "garbage line",
      "nan_metric NaN",
    ].join("\n");
    const sums = sumByMetric(text);
    expect(sums.get("vllm:num_requests_waiting")).toBe(5);
    expect(sums.get("vllm:num_requests_running")).toBe(4);
    expect(sums.has("nan_metric")).toBe(false);
  });
});

describe("samplesOf", () => {
  it("reads each sample's labels, escapes included, and only the metric asked for", () => {
    const text = [
      "# TYPE x_info gauge",
      'x_info{a="1",b="say \\"hi\\"",c="back\\\\slash",d="two\\nlines",} 1.0',
      "x_info 2",
      'x_info_total{a="9"} 9',
      'x_info{broken="1} 3',
      'x_info{constructor="c"} 4',
    ].join("\n");
    const samples = samplesOf(text, "x_info");
    expect(samples.map((sample) => sample.value)).toEqual([1, 2, 4]);
    expect({ ...samples[0]!.labels }).toEqual({ a: "1", b: 'say "hi"', c: "back\\slash", d: "two\nlines" });
    expect({ ...samples[1]!.labels }).toEqual({});
    expect(samples[1]!.labels.constructor).toBeUndefined();
    expect(samples[2]!.labels.constructor).toBe("c");
  });
});
