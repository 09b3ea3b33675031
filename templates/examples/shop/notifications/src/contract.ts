import { defineContract, problem, text, z } from '@msx/runtime/contract';

// The API of notifications, declared once: validated at run time and
// published as OpenAPI (msx openapi notifications). Keep this file free of
// side effects.

export const Notification = z.object({
  userId: z.string(),
  kind: z.string(),
  subject: z.string(),
  at: z.string().describe('when the event that caused it happened (ISO 8601)'),
});

export const contract = defineContract('notifications', {
  listNotifications: {
    method: 'get',
    path: '/notifications',
    summary: 'A user\'s notifications, oldest first; userId defaults to the caller, reading another user\'s needs the admin scope',
    query: z.object({ userId: text().min(1).max(200).optional() }),
    responses: { 200: z.array(Notification), 403: problem('the notifications are another user\'s') },
  },
});
