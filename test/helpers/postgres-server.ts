/** The Postgres server the tests start: the benchmark's (bench:overhead --ledger postgres starts it too). */
export * from "../../bench/postgres-server.js";
