import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createPool, migrate } from '../feed-store/src/index.js';
import { adminUrl, databaseUrl } from './urls.js';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

/**
 * Migrates one template database per test run; each test file clones it (fast) into a
 * database of its own. The name is unique per run, so runs on one machine do not collide.
 */
export default async function setup(project: TestProject) {
  const template = `feed_tpl_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`create database ${template}`);
  const pool = createPool({ connectionString: databaseUrl(template), max: 1 });
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
  project.provide('templateDatabase', template);
  return async () => {
    await admin.query(`drop database if exists ${template} with (force)`);
    await admin.end();
  };
}
