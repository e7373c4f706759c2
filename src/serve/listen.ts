/**
 * Binds a serve app, closing it when the address cannot be had, and answers the port it got and the URL clients use:
 * the in-process and the external-engine starters both begin this way.
 * @module
 */
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { clientUrl } from "../process/ready-line.js";

export async function listenForClients(
  app: FastifyInstance,
  host: string,
  port: number,
): Promise<{ url: string; port: number }> {
  try {
    await app.listen({ host, port });
  } catch (error) {
    await app.close();
    throw error;
  }
  const bound = (app.server.address() as AddressInfo).port;
  return { url: clientUrl(host, bound), port: bound };
}
