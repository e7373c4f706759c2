/**
 * What a backend is asked for: the model name as routed, unless the backend answers only to an id
 * of its own for it (see `BackendState.upstreamModel`). The client's bytes go through untouched
 * when the name stands; only a changed name costs a re-serialisation.
 * @module
 */
import type { BackendState } from "../routing/backend.js";

export interface ForwardedModel {
  model: string;
  body: Buffer;
}

export function forwardedModel(
  backend: BackendState,
  model: string,
  body: Buffer,
  parsedBody: Record<string, unknown>,
): ForwardedModel {
  const upstream = backend.upstreamModel(model);
  if (upstream === model) return { model, body };
  return { model: upstream, body: Buffer.from(JSON.stringify({ ...parsedBody, model: upstream })) };
}
