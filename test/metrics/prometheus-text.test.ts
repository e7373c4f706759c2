import { describe, expect, it } from "vitest";
import { sumByMetric } from "../../src/metrics/prometheus-text.js";

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
