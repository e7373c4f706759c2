/**
 * The response store as routes meet it: store calls whose outage becomes a 503 in the client's
 * protocol, and the 404s for ids the store does not hold. Shared by the read/delete routes and the
 * `POST /v1/responses` path (`previous_response_id`, and keeping a `store: true` response).
 * @module
 */
import { ResponseStoreUnavailableError } from "../state/response-store/response-store.js";
import { GatewayError } from "./errors.js";

/** Runs a store call; an unreachable store becomes SWY_ERR_RESPONSE_STORE_UNAVAILABLE (503). */
export async function callResponseStore<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ResponseStoreUnavailableError) {
      throw new GatewayError("SWY_ERR_RESPONSE_STORE_UNAVAILABLE", undefined, { cause: error });
    }
    throw error;
  }
}

/** 404 for `GET`/`DELETE /v1/responses/{id}`, naming the path parameter as OpenAI's reference does. */
export function responseNotFound(id: string): GatewayError {
  return new GatewayError("SWY_ERR_RESPONSE_NOT_FOUND", `Response with id '${id}' not found.`, {
    param: "response_id",
  });
}

/** 404 for a `previous_response_id` the store does not hold, in OpenAI's wording. */
export function previousResponseNotFound(id: string): GatewayError {
  return new GatewayError(
    "SWY_ERR_PREVIOUS_RESPONSE_NOT_FOUND",
    `Previous response with id '${id}' not found.`,
    { param: "previous_response_id" },
  );
}
