/** Small fetch wrappers for tests: JSON in, JSON out, status and headers kept. */

export interface JsonResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

export async function getJson<T = Record<string, unknown>>(
  url: string,
  init: RequestInit = {},
): Promise<JsonResponse<T>> {
  const response = await fetch(url, init);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: (text ? JSON.parse(text) : undefined) as T,
  };
}

export function postJson<T = Record<string, unknown>>(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse<T>> {
  return getJson<T>(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

export interface ChatCompletionBody {
  model: string;
  choices: { message: { content: string } }[];
  _routing?: { backend: string; model_type: string };
  error?: { message: string; type: string; code: string | null; param: string | null };
}

export function chat(
  baseUrl: string,
  model: string,
  content = "hello",
  headers: Record<string, string> = {},
) {
  return postJson<ChatCompletionBody>(
    `${baseUrl}/v1/chat/completions`,
    { model, messages: [{ role: "user", content }] },
    headers,
  );
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 5_000, stepMs = 50) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
