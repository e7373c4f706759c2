/**
 * Replication for a single process: there is no other replica, so every call answers at once.
 * `acquire` and `claimProbe` answer synchronously, which keeps the hot path free of promises;
 * nothing here allocates per request.
 * @module
 */
import { reserveProbeLocally } from "./half-open-probe.js";
import type { ReplicatedCircuit, Replication, SealedRegistration, StateView } from "./replication.js";

export class LocalReplication implements Replication {
  acquire(): true {
    return true;
  }

  shareVerdict(): void {}

  claimProbe(_backendId: string, circuit: ReplicatedCircuit): boolean {
    return reserveProbeLocally(circuit);
  }

  /** Nothing leaves the process, so the record is stored (in the registry only) as it is. */
  sealRegistration(_id: string, config: { api_keys: readonly string[] }): SealedRegistration {
    return { ok: true, stored: config };
  }

  async putRegistration(): Promise<void> {}

  async deleteRegistration(): Promise<void> {}

  view(): StateView {
    return "memory";
  }

  leave(): void {}
}
