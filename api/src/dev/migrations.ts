/** Applies the D1 migrations in api/migrations to a local D1 database, tracked like wrangler does. */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { D1Database } from "@cloudflare/workers-types";
import { unstable_splitSqlQuery } from "wrangler";

const TABLE = "d1_migrations";

export async function applyMigrations(db: D1Database, migrationsDir: string): Promise<string[]> {
  await db
    .prepare(
      `CREATE TABLE IF NOT EXISTS ${TABLE} (
         id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)`,
    )
    .run();
  const done = new Set(
    (await db.prepare(`SELECT name FROM ${TABLE}`).all<{ name: string }>()).results.map((r) => r.name),
  );
  const names = (await readdir(migrationsDir)).filter((n) => n.endsWith(".sql")).sort();
  const applied: string[] = [];
  for (const name of names.filter((n) => !done.has(n))) {
    const sql = await readFile(join(migrationsDir, name), "utf8");
    const statements = unstable_splitSqlQuery(sql).map((q) => db.prepare(q));
    await db.batch([...statements, db.prepare(`INSERT INTO ${TABLE} (name) VALUES (?1)`).bind(name)]);
    applied.push(name);
  }
  return applied;
}
