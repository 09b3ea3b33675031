import { randomUUID } from 'node:crypto';
import { problems, type Service } from '@msx/runtime';
import { requireOwnerOrScope } from '@msx/runtime/auth';
import { serveContract } from '@msx/runtime/contract';
import { isUniqueViolation, type Database } from '@msx/runtime/data';
import type { Outbox } from '@msx/runtime/outbox';
import { contract } from './contract.js';

interface UserRow {
  id: string;
  email: string;
  name: string;
  active: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function registerRoutes(service: Service, db: Database, outbox: Outbox): void {
  serveContract(service, contract, {
    createUser: async ({ body: input }, _req, res) => {
      const user: UserRow = { id: randomUUID(), email: input.email.toLowerCase(), name: input.name, active: true };
      try {
        // The user and its user.created event commit together: no user without
        // its welcome, no welcome for a user that was rolled back.
        await db.transaction(async (tx) => {
          await tx.query('INSERT INTO users (id, email, name, active) VALUES ($1, $2, $3, $4)', [user.id, user.email, user.name, user.active]);
          await outbox.add(tx, { type: 'user.created', key: user.id, data: user });
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw problems.conflict(`the e-mail address ${user.email} is already taken`);
        throw error;
      }
      res.location(`/users/${user.id}`);
      return { status: 201, body: user };
    },

    // A user reads their own record (it holds the e-mail address); admins and other services read any.
    getUser: async ({ params: { id } }, req) => {
      requireOwnerOrScope(req, id);
      if (!UUID.test(id)) throw problems.notFound(`no user ${id}`);
      const { rows } = await db.query<UserRow>('SELECT id, email, name, active FROM users WHERE id = $1', [id]);
      if (!rows[0]) throw problems.notFound(`no user ${id}`);
      return { status: 200, body: rows[0] };
    },
  });
}
