import { defineContract, problem, text, z } from '@msx/runtime/contract';

// The API of users, declared once: validated at run time, published as
// OpenAPI (msx openapi users), and the source of the typed clients of the
// services that call users (orders). Keep this file free of side effects.

export const SignUp = z.object({
  email: text().max(320).pipe(z.email()),
  name: text().trim().min(1).max(200),
});

export const User = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  active: z.boolean(),
});

export const contract = defineContract('users', {
  createUser: {
    method: 'post',
    path: '/users',
    summary: 'Sign up: creates an active user and publishes user.created',
    body: SignUp,
    responses: { 201: User, 409: problem('the e-mail address is already taken') },
  },
  getUser: {
    method: 'get',
    path: '/users/:id',
    summary: 'One user; a user reads only their own record, admins and services any',
    params: z.object({ id: text().max(200) }),
    responses: { 200: User, 403: problem('the record is another user\'s'), 404: problem('no user with this id') },
  },
});
