/**
 * Client keys at run time: `POST /admin/keys` makes one (its secret is in that answer only),
 * `GET /admin/keys` lists them, `GET`/`PATCH`/`DELETE /admin/keys/:id` read, change and revoke one,
 * and `POST /admin/keys/:id/rotate` gives it a new secret (the old one stops working). Behind the
 * admin token like every operator route. With Redis, a change reaches every replica at once.
 * @module
 */
import type { FastifyInstance } from "fastify";
import { KeyStoreUnavailableError } from "../../state/key-store/key-store.js";
import { checkAdminAccess } from "../admin-guard.js";
import { budgetOwners } from "../budget-admission.js";
import type { GatewayContext } from "../context.js";
import { GatewayError } from "../errors.js";
import {
  clientOfRecord,
  newKeyRecord,
  newSecret,
  parseKeySettings,
  publicKey,
  type RuntimeKeyRecord,
  updatedKeyRecord,
} from "../runtime-keys.js";

type ById = { Params: { id: string } };

export function keyRoutes(ctx: GatewayContext) {
  return async function keyRoutesPlugin(app: FastifyInstance): Promise<void> {
    app.addHook("onRequest", async (request) =>
      checkAdminAccess(ctx.config.admin_token, ctx.config.host, request.headers.authorization),
    );

    app.post("/admin/keys", async (request, reply) => {
      const settings = parseKeySettings(request.body, true);
      const { record, secret } = newKeyRecord({ ...settings, name: settings.name! }, new Date());
      await store(() => ctx.runtimeKeys.put(record));
      ctx.logger.info({ key: record.id, name: record.name }, "runtime key created");
      reply.code(201);
      return { ...publicKey(record), key: secret };
    });

    app.get("/admin/keys", async () => ({
      keys: ctx.runtimeKeys.list().map((stored) => publicKey(stored as RuntimeKeyRecord)),
    }));

    app.get<ById>("/admin/keys/:id", async (request) => {
      const record = existing(ctx, request.params.id);
      const client = clientOfRecord(record);
      const spend = await Promise.all(
        budgetOwners(client, ctx.config).map(async (owner) => ({
          scope: owner.scope,
          owner: owner.id,
          budgets: await ctx.budgets.spending(owner),
        })),
      );
      return { ...publicKey(record), spend };
    });

    app.patch<ById>("/admin/keys/:id", async (request) => {
      const record = existing(ctx, request.params.id);
      const updated = updatedKeyRecord(record, parseKeySettings(request.body, false), new Date());
      await store(() => ctx.runtimeKeys.put(updated));
      ctx.logger.info({ key: record.id }, "runtime key updated");
      return publicKey(updated);
    });

    app.post<ById>("/admin/keys/:id/rotate", async (request) => {
      const record = existing(ctx, request.params.id);
      const { secret, digest, hint } = newSecret();
      const rotated: RuntimeKeyRecord = {
        ...record,
        key_sha256: digest,
        key_hint: hint,
        updated_at: new Date().toISOString(),
      };
      await store(() => ctx.runtimeKeys.put(rotated));
      ctx.logger.info({ key: record.id }, "runtime key rotated");
      return { ...publicKey(rotated), key: secret };
    });

    app.delete<ById>("/admin/keys/:id", async (request) => {
      const record = existing(ctx, request.params.id);
      await store(() => ctx.runtimeKeys.delete(record.id));
      ctx.logger.info({ key: record.id }, "runtime key revoked");
      return { status: "revoked", id: record.id };
    });
  };
}

function existing(ctx: GatewayContext, id: string): RuntimeKeyRecord {
  const record = ctx.runtimeKeys.get(id);
  if (!record) throw new GatewayError("SWY_ERR_KEY_NOT_FOUND", `No key has the id '${id}'.`, { param: "id" });
  return record as RuntimeKeyRecord;
}

async function store<T>(change: () => Promise<T>): Promise<T> {
  try {
    return await change();
  } catch (error) {
    if (error instanceof KeyStoreUnavailableError) {
      throw new GatewayError("SWY_ERR_KEY_STORE_UNAVAILABLE", `${error.message}; nothing was changed.`);
    }
    throw error;
  }
}
