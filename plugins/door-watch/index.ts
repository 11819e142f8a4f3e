// The example plugin of docs/plugins.md: counts live views per camera (a route to read the
// count), keeps some cameras private (a veto), records an event when a camera goes offline.
import { definePlugin, z } from '../sdk/index.js';

const configSchema = z.object({
  /** Cameras nobody may watch live while this plugin is enabled (e.g. during a medical procedure). */
  privateCameras: z.array(z.string().uuid()).default([]),
}).strict();

export default definePlugin({
  manifest: {
    name: 'door-watch',
    version: '1.0.0',
    hostApi: '^1.0.0',
    needs: ['http', 'notify'],
    configSchema,
    description: 'Example: view counts per camera, private cameras, offline events.',
  },
  setup(ctx) {
    const views = new Map<string, number>();
    ctx.route({
      method: 'GET', path: '/cameras/:id/views',
      async handler({ params, caller }) {
        if (!(await ctx.access.mayView(caller, params.id!, 'view count'))) {
          return { status: 404, json: { error: { code: 'NOT_FOUND', message: 'no such camera' } } };
        }
        return { json: { views: views.get(params.id!) ?? 0 } };
      },
    });
    return {
      hooks: {
        viewStarted: (e) => void views.set(e.cameraId, (views.get(e.cameraId) ?? 0) + 1),
        authorizeView: (req) => (ctx.config.privateCameras.includes(req.cameraId) ? 'deny' : undefined),
        cameraHealthChanged: async (e) => {
          if (e.stream === 'main' && e.state === 'offline') await ctx.emit('door.offline', { reason: e.reason ?? null }, e.cameraId);
        },
      },
      dispose: () => views.clear(),
    };
  },
});
